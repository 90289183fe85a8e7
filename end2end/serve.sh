#!/usr/bin/env bash
# Starts Roster for the end-to-end tests on a fresh SQLite database, with a bootstrapped
# platform admin whose one-time password is written to end2end/.state/admin.txt, and Google
# sign-in pointed at the local OpenID provider (end2end/tools/oidc-provider.mjs) with role sync
# from its `roles` claim for the default workspace.
# ROSTER_BIN picks another build (e.g. target/release/roster, to try the release bundle).
set -euo pipefail
bin="${ROSTER_BIN:-./target/debug/roster}"
port="${1:-3947}"
op_port="${2:-3948}"
state="end2end/.state"
rm -rf "$state" && mkdir -p "$state"
export DATABASE_URL="sqlite://$state/e2e.db"
export BIND_ADDR="127.0.0.1:$port"
export PUBLIC_URL="http://127.0.0.1:$port"
export SITE_ROOT="target/site"
export RUST_LOG="${RUST_LOG:-warn}"
# The webhook test points at a closed port on this machine.
export WEBHOOK_ALLOW_PRIVATE_TARGETS=true
out=$("$bin" bootstrap-admin --email admin@example.com --name "Ada Admin" --generate-password)
sed -n 's/^password: //p' <<<"$out" > "$state/admin.txt"
workspace=$(sed -n 's/.*(workspace \(.*\))$/\1/p' <<<"$out")
export OIDC_ISSUER="http://127.0.0.1:$op_port"
export OIDC_CLIENT_ID="roster-e2e"
export OIDC_CLIENT_SECRET="roster-e2e-secret"
export OIDC_ROLE_CLAIM="roles"
export OIDC_ROLE_MAP="admin=workspace_admin,dev=workspace_editor,staff=workspace_viewer"
export OIDC_ROLE_WORKSPACES="$workspace"
exec "$bin" serve
