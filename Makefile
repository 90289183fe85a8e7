# Roster: `make run` serves the app on SQLite; `make test` runs every level of tests.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test setup build lint unit-and-integration e2e bench clean

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
	cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo test --features ssr
	cargo leptos build
	cd end2end && npx playwright test

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/.state
