"""`python -m crds_deliver` runs the command line, as the console script does."""

from crds_deliver.cli import main

main()
