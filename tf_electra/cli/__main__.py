"""`python -m tf_electra.cli`."""

import sys

from tf_electra.cli.main import run

sys.exit(run())
