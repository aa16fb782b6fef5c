"""`python -m services.cli ...` runs the `groundtruth` command."""

import sys

from services.cli import main

sys.exit(main())
