"""``python -m custseg.benchmark``: the command line (custseg.benchmark.cli)."""

import sys

from custseg.benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main())
