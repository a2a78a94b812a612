# seqcourse: `make lab` to study, `make test` to check everything, `make grade` for the demo class.
# Each target bootstraps .venv (stdlib venv + pip) on first use, so a bare Python 3.11 suffices.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# pyproject extras to install; EXTRAS=gpu,dev puts TensorFlow with CUDA in place of the CPU build.
EXTRAS ?= cpu,dev

export TF_CPP_MIN_LOG_LEVEL ?= 2
# Notebook shell cells (`!python -m autograder ...`) must find the venv's tools.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install lab book book-test test lint grade benchmarks findings release clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "seqcourse needs Python >= 3.11, got " + sys.version'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@# The grader's sandbox (autograder/sandbox.py); installed when we are root with apt-get.
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq bubblewrap || { apt-get update -qq \
	  && apt-get install -y -qq bubblewrap; }; } >/dev/null 2>&1; } \
	  || echo "note: install bubblewrap (apt-get install -y bubblewrap) to sandbox grading"
	@touch $@

install: $(STAMP)

# Extra options for jupyter lab, e.g. LAB_ARGS="--port=8890 --no-browser"; as root (a container)
# --allow-root is added for you.
LAB_ARGS ?=
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# The course book: every lesson executed (SEQ_FAST=1: tiny data) into build/book (build/book-fast).
# Executed notebooks are cached in build/, so a rebuild re-runs only lessons whose code changed.
BOOK_DIR = build/book$(if $(filter-out 0 false no,$(SEQ_FAST)),-fast)
book: $(STAMP)
	$(BIN)/sphinx-build -b html lessons $(BOOK_DIR)
	@echo "The book: $(abspath $(BOOK_DIR))/index.html"

# Builds the fast-mode book and checks it in headless Chromium.
book-test: $(STAMP)
	$(BIN)/python -m pytest tests/test_book.py

lint: $(STAMP)
	$(BIN)/ruff check .

test: lint
	MPLBACKEND=Agg $(BIN)/python -m pytest
	KERAS_BACKEND=jax $(BIN)/python -m pytest tests/layers -q

grade: $(STAMP)
	$(BIN)/python -m autograder grade demo autograder/demo/submissions --out grades/demo -j 2 --timeout 10 --force

release: $(STAMP)
	$(BIN)/python -m autograder release

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/cells.py
	$(BIN)/python benchmarks/grading.py

# Every lesson in full mode (~20 min on 2 cores); table in benchmarks/findings.md.
findings: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python benchmarks/findings.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
