# Two commands for a new user: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
# torch is installed first and pinned: an unpinned torch pulls a multi-GB CUDA build.
TORCH ?= torch==2.13.0
EXTRAS ?= test,plot
BIN := $(VENV)/bin
STAMP := $(VENV)/.sksynth-installed

.PHONY: install demo test lint browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/sksynth demo --output-dir demo_output

lint: install
	$(BIN)/ruff check sksynth tests benchmarks examples
	$(BIN)/ruff format --check sksynth tests benchmarks examples

# The HTML report is checked in a real headless browser: Debian's chromium, installed when
# this machine allows it (root and apt-get); otherwise that one test skips.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
	  || (apt-get update -qq >/dev/null 2>&1 \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1)); } \
	  || echo "chromium is not available: the headless-browser test will skip"

test: lint browser
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_transformer.py
	$(BIN)/python benchmarks/bench_synthesizer.py --model vae
	$(BIN)/python benchmarks/bench_synthesizer.py --model gan

clean:
	rm -rf $(VENV) demo_output .pytest_cache .ruff_cache
