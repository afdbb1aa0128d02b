"""``python -m axon``: the ``axon`` command."""

from .cli import main

raise SystemExit(main())
