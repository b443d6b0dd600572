# Two commands for a new user: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
# torch is installed first and pinned: an unpinned torch pulls a multi-GB CUDA build.
TORCH ?= torch==2.13.0
EXTRAS ?= test,plot
BIN := $(VENV)/bin
STAMP := $(VENV)/.sksynth-installed

.PHONY: install demo test test-oldest lint browser docs bench bench-seeds clean FORCE

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Each environment records the TORCH it was built with: the file is rewritten only when
# TORCH changes, which makes the environment reinstall (`make test TORCH=torch==2.5.0`).
%/.torch-spec: FORCE
	@mkdir -p $(@D) && { echo '$(TORCH)' | cmp -s - $@ || echo '$(TORCH)' > $@; }

$(STAMP): $(BIN)/python pyproject.toml $(VENV)/.torch-spec
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

# The suite again at the oldest versions pyproject.toml allows (tests/oldest-versions.txt,
# a pip constraints file), in an environment of its own; CI runs it after `make test`.
# Those pins have wheels for Python 3.10 and 3.11 only (matplotlib 3.7.0 has none for 3.12,
# numpy 1.26.0 none for 3.13): set PYTHON to one of those where python3 is newer.
OLDEST_VENV ?= .venv-oldest
$(OLDEST_VENV)/.installed: pyproject.toml tests/oldest-versions.txt $(OLDEST_VENV)/.torch-spec
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet "$(TORCH)"
	$(OLDEST_VENV)/bin/python -m pip install --quiet -c tests/oldest-versions.txt -e ".[test]"
	touch $@

test-oldest: $(OLDEST_VENV)/.installed
	$(OLDEST_VENV)/bin/python -m pytest -q

# The documentation site, warnings treated as errors (docs/_build/html/index.html).
DOCS_STAMP := $(VENV)/.sksynth-docs
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS),docs]"
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/sksynth demo --output-dir demo_output --vae-epochs 30 --gan-epochs 10 >/dev/null
	cp demo_output/adult_marginals.png docs/_static/adult_marginals.png
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

# Side by side with the peer (ctgan's CTGAN and TVAE) in a separate environment:
# ctgan and sdmetrics need pandas < 3 and are never dependencies of sksynth.
BENCH_VENV ?= .venv-bench
BENCH_EPOCHS ?= 300
$(BENCH_VENV)/.installed: pyproject.toml $(BENCH_VENV)/.torch-spec
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet "$(TORCH)"
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[test,plot,parquet]" ctgan sdmetrics "pandas<3"
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/compare.py --dataset adult --epochs $(BENCH_EPOCHS)
	$(BENCH_VENV)/bin/python benchmarks/compare.py --dataset credit_default --epochs $(BENCH_EPOCHS)
	$(BENCH_VENV)/bin/python benchmarks/compare_preprocessing.py --repeats 3
	$(BENCH_VENV)/bin/python benchmarks/bench_levers.py
	$(BENCH_VENV)/bin/python benchmarks/bench_autoregressive.py
	$(BENCH_VENV)/bin/python benchmarks/bench_scale.py

# The VAE, plain and autoregressive, against TVAE over five seeds each (40-50 min per
# dataset on 2 cores).
bench-seeds: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/compare_seeds.py --dataset adult
	$(BENCH_VENV)/bin/python benchmarks/compare_seeds.py --dataset credit_default

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(OLDEST_VENV) demo_output docs/_build docs/generated docs/auto_examples \
	  .pytest_cache .ruff_cache
