# The two commands: `make demo` and `make test`. Nothing but Python is needed up front.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest prereqs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# A real scan of examples/, offline: origins come from the registry snapshots in examples/
# (PyPI's and the Hub's, imported into a store of the demo's own, so the demo touches
# nothing else). examples/models-app/auditor.toml blocks an unvetted model, so the scans
# exit 1 (`-`).
DEMO_DB := sqlite:///out/auditor.db
DEMO_POLICY := examples/models-app/auditor.toml
demo: $(STAMP)
	rm -rf out && mkdir -p out
	$(BIN)/auditor cache import examples/pypi-snapshot.jsonl --db $(DEMO_DB)
	$(BIN)/auditor cache import examples/hub-snapshot.jsonl --db $(DEMO_DB)
	-$(BIN)/auditor scan examples/ --offline --policy $(DEMO_POLICY) --format json --output out/scan.json --db $(DEMO_DB)
	$(BIN)/auditor report "$$($(BIN)/python -c 'import json; print(json.load(open("out/scan.json"))["scan"]["id"])')" \
		--format markdown --output out/report.md --db $(DEMO_DB)
	$(BIN)/auditor report "$$($(BIN)/python -c 'import json; print(json.load(open("out/scan.json"))["scan"]["id"])')" \
		--format html --output out/report.html --db $(DEMO_DB)
	-$(BIN)/auditor scan examples/ --offline --policy $(DEMO_POLICY) --no-store --db $(DEMO_DB)
	@echo "demo: wrote out/scan.json, out/report.html and out/report.md"

# What the tests need from the machine. Outside CI a missing one skips those tests loudly;
# with CI=true it fails the run (tests/prereqs.py decides, so both paths are one code).
# Under CI=true a missing chromium (the HTML report's browser tests; Playwright drives Debian's
# package, never a browser of its own) is installed first. tmux (the terminal screen captures
# at 80 and 160 columns) is checked, and installed as root on Debian, like graphviz.
prereqs: $(STAMP)
	@if [ "$$CI" = "true" ] && [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; fi
	@$(BIN)/python tests/prereqs.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict auditor

pytest: $(STAMP) prereqs
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) out build dist .pytest_cache .mypy_cache .ruff_cache
