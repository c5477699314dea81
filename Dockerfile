# One image holding the one binary; docker-compose.yml runs it once per role.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && cp target/release/xieshang /usr/local/bin/xieshang

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /data xieshang \
    && mkdir -p /data && chown xieshang /data
COPY --from=build /usr/local/bin/xieshang /usr/local/bin/xieshang
USER xieshang
ENV XS_DATA_DIR=/data XS_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["xieshang"]
CMD ["serve"]
