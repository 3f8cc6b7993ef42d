"""`python -m ingest.sandbox serve|generate`: the sandbox's own command line."""

import sys

from ingest.sandbox.cli import main

if __name__ == "__main__":
    sys.exit(main())
