"""crds-deliver: deliveries of calibration reference files to CRDS as reviewed YAML manifests."""

__version__ = "0.1.0"
