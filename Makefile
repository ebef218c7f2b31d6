# Every target bootstraps .venv by itself: a fresh machine needs only python3 and make.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test bench screenshots lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip install -q -e '.[demo,test]'
	@rm -f $(VENV)/.installed-*; touch $@

demo: $(STAMP)
	$(BIN)/courier demo

test: $(STAMP)
	env -u NO_COLOR -u FORCE_COLOR -u TEXTUAL_THEME $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check core tui tests benchmarks screenshots

# BENCH_SCALE=small (default, a few minutes) or full (issue 8's size); peers go to .bench/peers-venv
bench: $(STAMP)
	$(BIN)/python -m benchmarks.peers install
	$(BIN)/python -m benchmarks.run --scale $(or $(BENCH_SCALE),small) --md tests/bench/results.md
	$(BIN)/python -m benchmarks.history --scale $(or $(BENCH_SCALE),small) --md tests/bench/history.md

screenshots: $(STAMP)
	$(BIN)/python screenshots/make_screenshots.py screenshots

clean:
	rm -rf $(VENV) .pytest_cache
