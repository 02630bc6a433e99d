"""``python -m custseg.generate``: run the command line."""

from custseg.generate.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
