"""``python -m graphddb_runtime``: the same as the ``graphddb-runtime`` command."""

import sys

from .cli import main

sys.exit(main())
