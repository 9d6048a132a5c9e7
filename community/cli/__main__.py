"""``python -m community.cli``."""

from __future__ import annotations

import sys

from community.cli import main

if __name__ == "__main__":
    sys.exit(main())
