"""certify_delivery: files against the manifest's form, and against each other."""

from __future__ import annotations

import pytest

from crds_deliver.certify import CertifyResult, certify_delivery
from crds_deliver.certify.delivery import CertifiedFile
from crds_deliver.problems import Severity

BIAS = CertifyResult("wfc3", "biasfile", [])


@pytest.mark.parametrize("file_type", ["Bias", "bia", "biasfile", "BIAS", "Dark, Bias"])
def test_hst_type_accepted_as_name_suffix_or_filetype(file_type: str) -> None:
    assert certify_delivery("hst", "wfc3", file_type, [CertifiedFile("a", "1", BIAS)]) == []


def test_other_type_is_a_warning_and_other_instrument_an_error() -> None:
    findings = certify_delivery("hst", "acs", "Dark", [CertifiedFile("a", "1", BIAS)])
    assert sorted((f.severity.value, f.file) for f in findings) == [("error", "a"),
                                                                    ("warning", "a")]


def test_bit_identical_files_error_on_the_second() -> None:
    files = [CertifiedFile("a", "same", BIAS), CertifiedFile("b", "same", BIAS)]
    [finding] = certify_delivery("hst", "wfc3", "bias", files)
    assert (finding.severity, finding.file) == (Severity.ERROR, "b")
    assert "bit-identical to a" in finding.message
