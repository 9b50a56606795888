"""`python -m headscope ...`: see headscope.cli."""

import sys

from headscope.cli import main

sys.exit(main())
