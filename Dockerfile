# Herald: multi-stage build. Dependencies are cooked in their own layer (cargo-chef),
# so a source change rebuilds only the crate itself.
FROM rust:1.95-slim-bookworm AS chef
# make builds jemalloc (tikv-jemalloc-sys); the slim image has only gcc.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make=4.3-4.1 \
    && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --locked --version 0.1.73
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin herald

FROM debian:bookworm-slim AS runtime
LABEL org.opencontainers.image.title="herald" \
      org.opencontainers.image.description="Syndication service for news publishers: articles in, RSS, Atom, JSON Feed and related stories out." \
      org.opencontainers.image.source="https://example.invalid/herald" \
      org.opencontainers.image.licenses="MIT"
# ca-certificates: WebSub hubs and purge webhooks are usually https.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20250419~deb12u2 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin herald \
    && mkdir -p /data \
    && chown herald:herald /data
WORKDIR /app
COPY --from=builder /src/target/release/herald /usr/local/bin/herald
COPY config/default.toml /app/config/default.toml
ENV HERALD_LISTEN=0.0.0.0:8080 HERALD_DATA_DIR=/data
USER 10001:10001
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["herald", "healthcheck"]
ENTRYPOINT ["herald"]
CMD ["serve"]
