# The two commands a person needs: `make run` and `make test`. Everything else is set-up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints/constraints.txt

.PHONY: venv run test lint benchmarks clean

venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# Until the desktop window exists, `make run` runs the built-in demo experiment headless.
run: venv
	$(VENV)/bin/hpdesk demo

test: venv
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

benchmarks: venv
	$(PY) benchmarks/ingest.py

clean:
	rm -rf $(VENV) build *.egg-info
