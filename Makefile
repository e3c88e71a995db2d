# All set-up happens here: a fresh machine needs only Python 3.11, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORE := $(VENV)/.core-installed
LAB := $(VENV)/.lab-installed
STAMP := $(VENV)/.installed
KERNEL := fargate-nb
HOST ?= 127.0.0.1
PORT ?= 8888

.PHONY: install test lint demo lab bench clean strip golden

install: $(STAMP)

# The library, its command and the notebook kernel: what `make demo` needs.
$(CORE): pyproject.toml
	@echo "Setting up $(VENV) (the first time takes a few minutes: boto3, moto, pandas, plotly, papermill)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (fargate-nb)" >/dev/null
	touch $(CORE)

# JupyterLab and the ipywidgets front end, for `make lab`.
$(LAB): $(CORE)
	@echo "Installing JupyterLab into $(VENV)..."
	$(BIN)/pip install --quiet -e '.[lab]'
	touch $(LAB)

# Everything the tests need (JupyterLab included: the notebooks are tested in it).
$(STAMP): $(CORE)
	@echo "Installing the test tools into $(VENV)..."
	$(BIN)/pip install --quiet -e '.[test,lab]'
	touch $(LAB) $(STAMP)

test: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

demo: $(CORE)
	$(BIN)/fargate-nb demo

lab: $(LAB)
	@echo "Starting JupyterLab on http://$(HOST):$(PORT)/lab in notebooks/ (kernel: Python (fargate-nb)); Ctrl-C stops it."
	$(BIN)/jupyter lab --ServerApp.ip=$(HOST) --ServerApp.port=$(PORT) --ServerApp.root_dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: install
	$(BIN)/python bench/run_all.py

strip: install
	$(BIN)/python -m fargate_nb.devtools strip-notebooks notebooks

# The expected diagnosis of every lab scenario (tests/golden); review `git diff tests/golden` after.
golden: install
	$(BIN)/python -m fargate_nb.devtools golden tests/golden

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
