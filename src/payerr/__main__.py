"""``python -m payerr``: the same as the ``payerr`` command."""

import sys

from payerr._cli.main import main

sys.exit(main())
