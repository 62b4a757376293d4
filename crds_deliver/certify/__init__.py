"""Preflight certification of reference files: what the CRDS server would reject, found early.

Public interface (the sandbox server reuses it server-side):
  certify_file(path, project) -> CertifyResult   one file, no manifest needed
  identify(path, project) -> (instrument, reftype)
  certify_delivery(...)                          checks across a whole delivery
  Finding, CertifyResult
"""

from __future__ import annotations

from crds_deliver.certify.delivery import certify_delivery
from crds_deliver.certify.findings import CertifyResult, Finding
from crds_deliver.certify.preflight import Preflight, certify_file, identify

__all__ = ["CertifyResult", "Finding", "Preflight", "certify_delivery", "certify_file",
           "identify"]
