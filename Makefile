# Roster: `make run` serves the app on SQLite; `make test` runs every level of tests.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test setup build release bench clean screenshots

run: setup build
	mkdir -p data
	./target/debug/roster serve

setup:
	@bash scripts/setup.sh

# `--split`: the lazy pages and dialogs (`#[lazy]`) are imports a split bundle provides; an
# unsplit bundle would not load at all.
build:
	cargo leptos build --split

# Unit, integration (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), then Chromium.
# The tests build with the RUSTFLAGS cargo-leptos gives the server, so that `cargo leptos build`
# reuses their dependencies; at most 4 test threads, so that however many cores the machine
# has, the tests' connections stay inside PostgreSQL's default `max_connections` (100).
test:
	@bash scripts/setup.sh --e2e
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy -p roster-frontend --target wasm32-unknown-unknown -- -D warnings
	RUSTFLAGS="--cfg erase_components" RUST_TEST_THREADS=$${RUST_TEST_THREADS:-$$(( $$(nproc) < 4 ? $$(nproc) : 4 ))} \
	  cargo test --features ssr
	cargo leptos build --split
	cd end2end && npx playwright test

# The release build, precompressed. The server builds with your default toolchain; the
# browser bundle with a pinned nightly, to rebuild the standard library for size and make a
# panic abort without formatting anything (no panic messages, Debug impls or source locations
# in the bundle). README, "Performance", has what each part saves.
RELEASE_NIGHTLY := nightly-2026-05-19
export RELEASE_NIGHTLY
# `-reference-types`: the split bundle's parts (`--split`) cannot import the table functions
# wasm-bindgen adds for reference types, and would not load.
WASM_RELEASE_RUSTFLAGS := -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Ctarget-feature=-reference-types

release: setup
	@bash scripts/setup.sh --release
	toolchain=$$(rustup show active-toolchain | cut -d' ' -f1); \
	[ -n "$$toolchain" ] || { echo "make release: no active Rust toolchain (rustup show active-toolchain)" >&2; exit 1; }; \
	PATH="$(CURDIR)/end2end/node_modules/.bin:$$PATH" RUSTUP_TOOLCHAIN=$(RELEASE_NIGHTLY) \
	  LEPTOS_BIN_CARGO_COMMAND="cargo +$$toolchain" \
	  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$(WASM_RELEASE_RUSTFLAGS)" \
	  cargo leptos build --release --precompress --split --lib-cargo-args=-Zbuild-std=std,panic_abort

# The release build, a 100,000-user data set, load, budgets. PostgreSQL scenarios run when
# BENCH_DATABASE_URL or TEST_DATABASE_URL is set. (The same RUSTFLAGS as cargo-leptos gave the
# server, so that the release dependencies are reused rather than rebuilt.)
bench: release
	RUSTFLAGS="--cfg erase_components" cargo bench --features ssr --bench load

# The README's screenshots (docs/screenshots/*.png), from a freshly seeded instance.
screenshots: setup build
	@bash scripts/setup.sh --e2e
	cd end2end && npx playwright test -c screenshots.config.ts

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/.state
