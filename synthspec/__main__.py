"""`python -m synthspec` runs the command line."""

import sys

from synthspec.cli import main

if __name__ == "__main__":  # worker processes (spawn) import this module again: only the parent runs the CLI
    sys.exit(main())
