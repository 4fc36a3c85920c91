"""`python -m itil_l2.cli` is the `itil-l2` command."""

import sys

from itil_l2.cli import main

if __name__ == "__main__":
    sys.exit(main())
