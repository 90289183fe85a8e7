# Roster: `make run` serves the app on SQLite; `make test` runs every level of tests.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test setup build bench clean

run: setup build
	mkdir -p data
	./target/debug/roster serve

setup:
	@bash scripts/setup.sh

build:
	cargo leptos build

# Unit, integration (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), then Chromium.
test:
	@bash scripts/setup.sh --e2e
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy -p roster-frontend --target wasm32-unknown-unknown -- -D warnings
	cargo test --features ssr
	cargo leptos build
	cd end2end && npx playwright test

# Release build (precompressed assets), a 100,000-user data set, load, budgets.
# PostgreSQL scenarios run when BENCH_DATABASE_URL or TEST_DATABASE_URL is set.
bench: setup
	@[ -x end2end/node_modules/.bin/wasm-opt ] || (cd end2end && npm install --no-save --no-audit --no-fund --loglevel=error binaryen)
	PATH="$(CURDIR)/end2end/node_modules/.bin:$$PATH" cargo leptos build --release --precompress
	cargo bench --features ssr --bench load

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/.state
