# The two commands a person needs: `make run` and `make test`. Everything else is set-up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints/constraints.txt

.PHONY: venv run test lint benchmarks clean system-deps install-desktop bundle

venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# The window on the default database (~/.local/share/hpdesk/hpdesk.db); the first launch has the
# built-in digits classification plan filled in, ready to launch.
run: venv
	$(VENV)/bin/hpdesk

# system-deps installs xvfb, fonts and the desktop-file validators with apt when root; otherwise
# it says what is missing and the tests that need them skip.
# ruff first: a finding stops the run at once, before the suite's minutes (tests/test_lint.py
# runs it again inside pytest, so that a plain `pytest` catches it too).
test: system-deps venv
	$(VENV)/bin/ruff check hpdesk tests scripts packaging benchmarks
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# ruff and mypy for the code, import-linter for the layers (ruff and import-linter also run by
# `make test`, above).
lint: venv
	$(VENV)/bin/ruff check hpdesk tests scripts packaging benchmarks
	$(VENV)/bin/mypy hpdesk
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/lint-imports

benchmarks: venv
	$(PY) benchmarks/ingest.py

system-deps:
	sh scripts/system-deps.sh

# The menu entry, AppStream metainfo and icons under ${XDG_DATA_HOME:-~/.local/share}, starting
# this checkout's venv hpdesk by absolute path.
install-desktop: venv
	sh packaging/install-desktop.sh --exec "$(abspath $(VENV))/bin/hpdesk"

# A one-folder PyInstaller build in dist/hpdesk/ (without torch: trials run in a Python the
# person configures).
bundle: venv
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e '.[bundle]'
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/hpdesk.spec

clean:
	rm -rf $(VENV) build dist *.egg-info
