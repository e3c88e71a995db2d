# All set-up happens here: a fresh machine needs only Python 3.11, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint demo bench clean strip golden

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: install
	$(BIN)/ruff check .

demo: install
	$(BIN)/fargate-nb demo

bench: install
	$(BIN)/python bench/run_all.py

strip: install
	$(BIN)/python -m fargate_nb.devtools strip-notebooks notebooks

# The expected diagnosis of every lab scenario (tests/golden); review `git diff tests/golden` after.
golden: install
	$(BIN)/python -m fargate_nb.devtools golden tests/golden

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
