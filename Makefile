# Two commands for a new user: `make demo` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test snapshots-update screenshots bench clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(STAMP_TEST): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(PY) -m tui_channels --demo

test: $(STAMP_TEST)
	$(PY) -m pytest -n auto --dist loadgroup

snapshots-update: $(STAMP_TEST)
	$(PY) -m pytest tests/test_snapshots.py --snapshot-update

screenshots: $(STAMP_TEST)
	$(PY) -m tui_channels.demo.screenshots screenshots

bench: $(STAMP_TEST)
	$(PY) bench/table.py
	$(PY) bench/batch.py
	$(PY) bench/fleet.py
	$(PY) bench/ratelimit.py
	$(PY) bench/tag_mode.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
