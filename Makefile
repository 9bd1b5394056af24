# Everyday verbs. The README's two commands need none of this; it is for maintainers.
PYTHON ?= .venv/bin/python

.PHONY: install build check test lint messages assets bench clean

install:            ## create .venv and install the project with test and dev tools
	python3 -m venv .venv
	.venv/bin/pip install -e ".[dev]"

build:              ## validate, compute and write site/
	$(PYTHON) build.py

check:              ## validate the data strictly, as CI does
	$(PYTHON) build.py check --strict

test:               ## the whole test suite (browser tests need Debian's chromium)
	$(PYTHON) -m pytest

lint:               ## style and types
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy

messages:           ## refresh locales/messages.pot from templates and code
	$(PYTHON) -m babel.messages.frontend extract -F babel.cfg -o locales/messages.pot \
		--omit-header --no-location --sort-output .

assets:             ## rebuild the vendored plotly.js bundle and world map (needs npm), then the SVG map
	tools/assets/build.sh
	$(PYTHON) tools/world_map.py

bench:              ## build timings on synthetic data (N = 50, 200, 1000) and page weights
	$(PYTHON) benchmarks/run.py

clean:
	rm -rf site .site.tmp-* .pytest_cache .ruff_cache .mypy_cache
