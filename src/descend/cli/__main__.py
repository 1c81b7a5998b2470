"""``python -m descend.cli``: the ``descend`` command."""

import sys

from .commands import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
