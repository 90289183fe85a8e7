#!/usr/bin/env bash
# Installs what `make run` / `make test` need, skipping whatever is already there:
# the wasm32 target, cargo-leptos, wasm-bindgen-cli of exactly the version in Cargo.lock,
# the end-to-end npm packages and (for tests) Chromium; with --release, the pinned nightly
# toolchain with the standard library's source and wasm-opt, which the release bundle needs, and wrk for `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
want_e2e="${1:-}"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

command -v cargo >/dev/null || { echo "setup: Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

CARGO_LEPTOS_VERSION=0.3.4
if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 9 minutes, once)"
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

[ -f Cargo.lock ] || cargo generate-lockfile
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
  # Not --locked: one of its locked dependencies is missing from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "$want_e2e" = "--e2e" ]; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Node.js and npm (Debian packages)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    else
      echo "setup: Node.js (20 or later) and npm are required for the tests" >&2
      exit 1
    fi
  fi
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package.json -nt end2end/node_modules/.package-lock.json ]; then
    say "installing end-to-end test packages"
    (cd end2end && npm install --no-audit --no-fund --loglevel=error)
  fi
  # The SCIM client library one integration test drives the server with (Python, from PyPI).
  # Where PyPI cannot be reached, set-up goes on and leaves the reason in
  # end2end/.venv-scim-unavailable: that test then says it is skipped, and why.
  SCIM2_CLIENT_VERSION=0.13.2
  if ! end2end/.venv-scim/bin/python -c "import scim2_client, httpx2" 2>/dev/null \
     || ! end2end/.venv-scim/bin/pip show scim2-client 2>/dev/null | grep -qx "Version: $SCIM2_CLIENT_VERSION"; then
    rm -rf end2end/.venv-scim end2end/.venv-scim-unavailable
    # `python3 -m venv` exists without Debian's python3-venv, but cannot make a venv with pip.
    if ! python3 -m venv end2end/.venv-scim 2>/dev/null; then
      rm -rf end2end/.venv-scim
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing Python 3 with venv (Debian packages)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
      fi
      python3 -m venv end2end/.venv-scim 2>/dev/null || rm -rf end2end/.venv-scim
    fi
    say "installing scim2-client $SCIM2_CLIENT_VERSION for the SCIM test (end2end/.venv-scim)"
    if [ ! -x end2end/.venv-scim/bin/pip ]; then
      echo "python3 cannot make a virtual environment with pip (python3-venv)" > end2end/.venv-scim-unavailable
    elif ! end2end/.venv-scim/bin/pip install --quiet --disable-pip-version-check --timeout 30 --retries 2 \
         "scim2-client[httpx2]==$SCIM2_CLIENT_VERSION" 2> end2end/.venv-scim-unavailable; then
      rm -rf end2end/.venv-scim
    else
      rm -f end2end/.venv-scim-unavailable
    fi
    if [ -f end2end/.venv-scim-unavailable ]; then
      say "scim2-client could not be installed; its test will be skipped: $(tail -n 1 end2end/.venv-scim-unavailable)"
    fi
  fi
  if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Chromium (Debian package)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
      echo "setup: Chromium is required for the end-to-end tests: apt-get install chromium (or set CHROMIUM_PATH)" >&2
      exit 1
    fi
  fi
fi

if [ "$want_e2e" = "--release" ]; then
  nightly="${RELEASE_NIGHTLY:?set by the Makefile}"
  if ! rustup +"$nightly" component list --installed 2>/dev/null | grep -q '^rust-src'; then
    say "installing the $nightly toolchain with rust-src (the release bundle rebuilds std)"
    rustup toolchain install "$nightly" --profile minimal --component rust-src
  fi
  if [ ! -x end2end/node_modules/.bin/wasm-opt ]; then
    say "installing wasm-opt (npm package binaryen)"
    (cd end2end && npm install --no-save --no-audit --no-fund --loglevel=error binaryen)
  fi
  # `make bench` drives the server from a second, external load generator too.
  if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing wrk (the external load generator of make bench)"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
    else
      echo "setup: make bench needs wrk: apt-get install wrk (or your system's package)" >&2
      exit 1
    fi
  fi
fi
