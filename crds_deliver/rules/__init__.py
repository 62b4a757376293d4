"""The rules CRDS applies to a delivery: which rmap each file goes into, on which match case
and USEAFTER, and which reference it replaces. One engine for `plan` and the sandbox."""

from __future__ import annotations

from crds_deliver.rules.context import ContextError, LoadedContext, load_context
from crds_deliver.rules.mapfile import MappingError, MappingFile, parse_mapping
from crds_deliver.rules.predict import DeliveredFile, Placement, Prediction, predict
from crds_deliver.rules.rmap import Insertion, Rmap, UnsupportedRmap

__all__ = ["ContextError", "DeliveredFile", "Insertion", "LoadedContext", "MappingError",
           "MappingFile", "Placement", "Prediction", "Rmap", "UnsupportedRmap", "load_context",
           "parse_mapping", "predict"]
