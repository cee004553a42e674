.PHONY: help setup demo test lint bench
help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'
setup:  ## create .venv and build the Rust extension
	@scripts/dev.sh setup
demo:  ## run the main job: Hello World on the embedded server
	@scripts/dev.sh demo
test:  ## the whole test suite: cargo test, fmt, clippy, ruff, mypy, pytest
	@scripts/dev.sh test
lint:  ## the linters only
	@scripts/dev.sh lint
bench:  ## the benchmarks
	@scripts/dev.sh bench
