"""``python benchmarks/bench.py [--quick] [--json]``: the same as ``calfspec bench``.

The measurements live in the package, ``calfspec._internal.bench``.
"""

import sys

from calfspec._internal.cli import main

sys.exit(main(["bench", *sys.argv[1:]]))
