"""python -m tutorials.mini_axon.check CHAPTER FILE"""

from . import main

raise SystemExit(main())
