# Two entry points for a fresh Debian machine with Python 3.11: `make demo` and `make test`.
# Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint unit tools bench ui clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The stock adb client is used by tests against the device simulator (Debian package `adb`); the npm
# socket.io-client (into .npm/) by the real-time tests; Debian's chromium by the console's browser tests (Playwright
# drives it through executable_path: its own browser download cannot work here).
tools:
	@command -v adb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq adb >/dev/null; \
	  else echo "note: stock adb client missing (sudo apt-get install adb); its tests will skip"; fi; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: chromium missing (sudo apt-get install chromium); the console's browser tests will fail"; fi; }
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
	  [ -d .npm/node_modules/socket.io-client ] || npm install --prefix .npm --no-audit --no-fund socket.io-client@4 >/dev/null; \
	else echo "note: node/npm missing; the npm socket.io-client test will skip"; fi

demo: $(STAMP)
	$(BIN)/vssd demo

lint: $(STAMP)
	$(BIN)/ruff check vssd tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

unit: $(STAMP) tools
	$(BIN)/python -m pytest

test: lint unit

bench: $(STAMP)
	$(BIN)/python bench/ami_pump.py

# The console's vendored libraries (vssd/console/static/vendor/), fetched again from npm at the pinned versions.
UI_VENDOR := vssd/console/static/vendor
ui:
	npm install --prefix .npm-ui --no-audit --no-fund htm@3.1.1 socket.io-client@4.8.4 uplot@1.6.32 >/dev/null
	cp .npm-ui/node_modules/htm/preact/standalone.mjs $(UI_VENDOR)/preact-htm.mjs
	cp .npm-ui/node_modules/socket.io-client/dist/socket.io.esm.min.js $(UI_VENDOR)/
	cp .npm-ui/node_modules/uplot/dist/uPlot.esm.js .npm-ui/node_modules/uplot/dist/uPlot.min.css $(UI_VENDOR)/
	cp .npm-ui/node_modules/htm/LICENSE $(UI_VENDOR)/licenses/htm.txt
	cp .npm-ui/node_modules/socket.io-client/LICENSE $(UI_VENDOR)/licenses/socket.io-client.txt
	cp .npm-ui/node_modules/uplot/LICENSE $(UI_VENDOR)/licenses/uplot.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
