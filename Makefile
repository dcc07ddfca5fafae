# Quick start: `make run` and `make test`; both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format evaluate bench lock screenshots clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,scale]'
	touch $(STAMP)

run: install
	$(BIN)/mediawatch run

# Two workers, a test file each at a time: most of the suite waits on subprocesses and
# servers, so two cores finish it in about half the time. The tests that signal or kill
# runs midway run afterwards on their own, with the machine to themselves.
ALONE := tests/test_interrupts.py tests/test_crash.py tests/test_runner_signals.py
# Both sessions share one migrated Prefect database (tests/conftest.py), removed after.
test: install
	db=$$(mktemp -d) && export MEDIAWATCH_TEST_PREFECT_DB=$$db && \
	( $(BIN)/python -m pytest -q -n 2 --dist loadfile $(ALONE:%=--ignore=%) && \
	  $(BIN)/python -m pytest -q $(ALONE) ); status=$$?; rm -rf "$$db"; exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

evaluate: install
	$(BIN)/mediawatch evaluate all

# The benchmark suite (README: Performance); `make bench ARGS=--quick` for a smoke run.
bench: install
	$(BIN)/python bench/run_all.py $(ARGS)

# Re-pin every dependency to what is installed now (after changing pyproject.toml).
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

# The README's pictures: the seed pair's story and duplicate group, from the browser tests.
screenshots: install
	$(BIN)/python -m pytest -q tests/test_browser.py -k seed_pair
	$(BIN)/python -m pytest -q tests/test_browser_edit.py -k through_the_pages
	cp test-artifacts/story.png test-artifacts/group.png test-artifacts/story-edit.png docs/

clean:
	-test -x $(BIN)/mediawatch && $(BIN)/mediawatch server stop
	rm -rf $(VENV) .prefect data/*.duckdb data/*.duckdb.*
