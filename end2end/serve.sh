#!/usr/bin/env bash
# Starts Roster for the end-to-end tests on a fresh SQLite database, with a bootstrapped
# platform admin whose one-time password is written to end2end/.state/admin.txt.
set -euo pipefail
port="${1:-3947}"
state="end2end/.state"
rm -rf "$state" && mkdir -p "$state"
export DATABASE_URL="sqlite://$state/e2e.db"
export BIND_ADDR="127.0.0.1:$port"
export PUBLIC_URL="http://127.0.0.1:$port"
export SITE_ROOT="target/site"
export RUST_LOG="${RUST_LOG:-warn}"
./target/debug/roster bootstrap-admin --email admin@example.com --name "Ada Admin" --generate-password \
  | sed -n 's/^password: //p' > "$state/admin.txt"
exec ./target/debug/roster serve
