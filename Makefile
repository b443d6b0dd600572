# Two commands for a new user: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
# torch is installed first and pinned: an unpinned torch pulls a multi-GB CUDA build.
TORCH ?= torch==2.13.0
EXTRAS ?= test,plot
BIN := $(VENV)/bin
STAMP := $(VENV)/.sksynth-installed

.PHONY: install demo test lint bench clean

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

test: lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/bench_transformer.py
	$(BIN)/python benchmarks/bench_synthesizer.py --model vae
	$(BIN)/python benchmarks/bench_synthesizer.py --model gan

clean:
	rm -rf $(VENV) demo_output .pytest_cache .ruff_cache
