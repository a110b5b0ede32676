"""``python -m r9s_stream``: the ``r9s-stream`` command."""

import sys

from ._cli._main import main

sys.exit(main())
