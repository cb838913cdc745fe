"""`python -m hpdesk.cli`: the same as the `hpdesk` command."""

import sys

from hpdesk.cli import main

sys.exit(main())
