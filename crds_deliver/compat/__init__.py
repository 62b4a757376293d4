"""Drop-ins for the crds package's programmatic interfaces, on crds-deliver's engine:
`from crds_deliver.compat import rc_submit` replaces `from crds.submit import rc_submit`."""
