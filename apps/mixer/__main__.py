"""``python -m apps.mixer``: see ``apps.mixer.cli``."""

from .cli import main

raise SystemExit(main())
