"""``python -m apps.wordcount``: see ``apps.wordcount.cli``."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
