"""`python -m custseg <command>`: the same as the `custseg` command."""

import sys

from custseg.cli import main

sys.exit(main())
