# AutoInvokePermission: every target creates and reuses .venv, so a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
SHARED ?= ../shared
# the code the complexity gate (`make lint`) grades
XENON_PATHS := macro/auto_invoke_permission tests bench org

.PHONY: demo test install install-dev lint typecheck unit validate docs dist bench e2e org-template conformance corpus clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# compileall: bytecode for the macro package even where PYTHONDONTWRITEBYTECODE is set, so that
# imports (and `make bench`'s cold-start figure) do not recompile it every time
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e .
	$(PY) -m compileall -q -f macro/auto_invoke_permission
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m compileall -q -f macro/auto_invoke_permission
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## demo: transform the bundled sample and show the injected permission
demo: install
	@echo "== autoinvoke transform samples/seed/template.yaml"
	@$(BIN)/autoinvoke transform samples/seed/template.yaml
	@echo
	@echo "== the permission the macro added (autoinvoke graph)"
	@$(BIN)/autoinvoke graph samples/seed/template.yaml --format text

## test: every check a change must pass
test: install-dev lint typecheck validate docs unit

## lint: ruff (with C901, complexity 15 at most) and xenon: every block and module at radon grade C or better
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/xenon --max-absolute C --max-modules C --max-average A $(XENON_PATHS)

typecheck: install-dev
	$(BIN)/mypy

validate: install-dev
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --template-file template.yaml --region us-east-1

## docs: the docs site, strictly (a broken link or a page missing from the nav fails)
docs: install-dev
	$(PY) docs/gen_findings.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

## dist: wheel and sdist in dist/, checked as PyPI would show them
dist: install-dev
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .
	$(BIN)/twine check --strict dist/*

## unit: every test but e2e, with branch coverage of the package (the floor is in pyproject.toml)
unit: install-dev
	$(BIN)/pytest --cov --cov-report=term

## bench: performance ratios (prints figures, asserts nothing); BENCH_ARGS="--corpus-limit 150" for a short run
bench: install-dev
	$(PY) -m compileall -q -f macro/auto_invoke_permission
	$(PY) bench/run_bench.py $(BENCH_ARGS)

## e2e: real AWS, opt-in; skipped without credentials
e2e: install-dev
	$(PY) -m pip install --quiet -e '.[e2e]'
	$(BIN)/pytest -m e2e tests/e2e -p no:cacheprovider -o addopts=""

## org-template: plain-CloudFormation macro stack for StackSets; prints its path last
org-template: install
	@$(PY) org/build_org_template.py

## conformance: the shared checks (needs ../shared)
conformance: install-dev
	$(PY) $(SHARED)/conformance/aipcheck.py $(SHARED)/conformance/cases/*.yaml

corpus: install-dev
	$(PY) $(SHARED)/conformance/corpuscheck.py $(SHARED)/corpus --edges $(SHARED)/corpus/EDGES.tsv --lint 40

clean:
	rm -rf $(VENV) .aws-sam build dist site *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis
