"""The Python API: `Delivery` for notebooks and scripts, on the engine the CLI uses.

    from crds_deliver import Delivery
    delivery = Delivery.load("manifests/jwst/miri/2026-11-imager-darks.yaml")
    delivery.plan()                 # offline: files, digests, findings, action
    delivery.apply(sandbox=True)    # deliver, follow the server, write the record

See docs/python-api.md.
"""

from crds_deliver.api.delivery import Delivery, DeliveryRefused
from crds_deliver.api.history import History, HistoryEntry, history
from crds_deliver.api.values import DeliveryError
from crds_deliver.api.views import Outcome, Plan

__all__ = ["Delivery", "DeliveryError", "DeliveryRefused", "History", "HistoryEntry", "Outcome",
           "Plan", "history"]
