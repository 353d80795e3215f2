"""``python -m ogpu_sim.cli`` runs the ``ogpu-sim`` command."""

import sys

from ogpu_sim.cli.main import main

sys.exit(main())
