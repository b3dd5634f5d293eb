"""``python -m calfspec``: the same as the ``calfspec`` command."""

from __future__ import annotations

from ._internal.cli import main

if __name__ == "__main__":
    main()
