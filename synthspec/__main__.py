"""`python -m synthspec` runs the command line."""

import sys

from synthspec.cli import main

sys.exit(main())
