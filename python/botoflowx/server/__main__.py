"""``python -m botoflowx.server``: run the embedded SWF-compatible server."""

import sys

from botoflowx.cli import server_main

if __name__ == "__main__":
    sys.exit(server_main())
