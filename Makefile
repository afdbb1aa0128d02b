# The two set-up commands of the README:
#   make demo   - bootstrap a virtual environment and run the main demo
#   make test   - bootstrap everything the tests need and run the whole suite
# Everything is installed from the project's own files (setup.cfg extras; Debian's graphviz
# and xvfb).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
EXTRAS ?= dev,graph,bench,pygame

.PHONY: demo test bench system-deps clean

$(VENV)/.installed-$(EXTRAS): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

# the demo needs only Axon itself
$(VENV)/.installed-base: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $@

demo: $(VENV)/.installed-base
	$(PY) -m apps.demo

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

test: $(VENV)/.installed-$(EXTRAS) system-deps
	$(PY) -m pytest -q

bench: $(VENV)/.installed-$(EXTRAS)
	$(PY) -m bench.core

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
