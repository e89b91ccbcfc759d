"""Run the workbench from a source checkout: ``python main.py --demo``."""

import sys

from rm_workbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
