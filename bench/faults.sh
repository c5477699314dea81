#!/usr/bin/env bash
# The load-and-fault audit: the split deployment (gateway, two membership replicas, and the
# consultation, reports and liaison services, which check references with membership) on a
# PostgreSQL server of its own (initdb on a free port, never the machine's shared server), a
# bounded load with idempotent retries, and the faults: kill -9 and restart a replica, SIGSTOP /
# SIGCONT, a SIGTERM rolling restart, PostgreSQL stopped and started. Then the audit:
# every acknowledged write (members, topics, reports, compatriots) present exactly once. Exits non-zero when it fails.
#
#   bench/faults.sh                          # release build, 32 clients, 5 s steps
#   CLIENTS=16 STEP=2 BIN=target/debug/xieshang bench/faults.sh   # the short variant (.ci/run)
# Needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    export BIN=target/release/xieshang
fi
exec python3 bench/faults.py
