"""``python -m apps.pipeline_lab``: see ``apps.pipeline_lab.cli``."""

from .cli import main

raise SystemExit(main())
