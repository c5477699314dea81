#!/bin/sh
# Empty stand-ins for the workspace's own code, so that `cargo build` compiles only the
# dependencies (the Dockerfile's cached layer). Run from the workspace root, after copying
# only the Cargo.toml files and Cargo.lock.
set -eu
for crate in . gateway services/embed services/kit services/membership services/consultation \
    services/reports services/liaison services/testkit; do
    mkdir -p "$crate/src"
    : > "$crate/src/lib.rs"
done
echo 'fn main() {}' > src/main.rs
# Targets named in the manifests must exist for cargo to read them.
for t in tests/stack services/kit/tests/kit services/membership/tests/api; do
    mkdir -p "$t"
    : > "$t/main.rs"
done
