"""``python -m botoflowx``: the ``botoflowx`` command."""

import sys

from botoflowx.cli import main

if __name__ == "__main__":
    sys.exit(main())
