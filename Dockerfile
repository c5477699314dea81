# One image holding the one binary; docker-compose.yml runs it once per role.
# Base images are pinned by version; bump them deliberately (and rebuild) for security fixes.
ARG RUST_IMAGE=rust:1.95.0-bookworm
ARG RUNTIME_IMAGE=debian:12.12-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
# Dependencies first, in their own layer: only the manifests and the lock file, with empty
# stand-ins for the workspace's own code, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY gateway/Cargo.toml gateway/
COPY services/embed/Cargo.toml services/embed/
COPY services/kit/Cargo.toml services/kit/
COPY services/membership/Cargo.toml services/membership/
COPY services/consultation/Cargo.toml services/consultation/
COPY services/reports/Cargo.toml services/reports/
COPY services/liaison/Cargo.toml services/liaison/
COPY services/testkit/Cargo.toml services/testkit/
COPY deploy/stub-workspace.sh deploy/
RUN sh deploy/stub-workspace.sh \
    && cargo build --release --locked --bin xieshang \
    && rm -rf src gateway services tests
# Then the sources. Their timestamps come from the build context and may be older than the
# stand-ins' build, so mark them changed, or cargo would keep the empty stand-ins.
COPY . .
RUN find src gateway services -type f -exec touch {} + \
    && cargo build --release --locked --bin xieshang \
    && cp target/release/xieshang /usr/local/bin/xieshang

FROM ${RUNTIME_IMAGE}
# curl is for the compose health checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 xieshang \
    && useradd --system --uid 10001 --gid 10001 --home /data xieshang \
    && mkdir -p /data/keys \
    && chown -R 10001:10001 /data \
    && chmod 0700 /data/keys
COPY --from=build /usr/local/bin/xieshang /usr/local/bin/xieshang
# A volume mounted on /data or /data/keys starts as a copy of these directories, owned by
# the service user, so the non-root process can write its keys and SQLite files there.
VOLUME ["/data"]
USER 10001:10001
WORKDIR /data
# In a container the gateway listens on every interface (so that a published port reaches
# it); in whole-stack mode the services stay on loopback. Logs are JSON lines on stdout.
ENV XS_DATA_DIR=/data XS_ADDR=0.0.0.0:8080 XS_LOG_FORMAT=json
EXPOSE 8080
# SIGTERM (the default stop signal) drains and stops every mode; allow it XS_DRAIN_SECS plus
# up to 10 s for in-flight requests (compose: stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["xieshang"]
CMD ["serve"]
