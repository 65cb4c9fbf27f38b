# syntax=docker/dockerfile:1
# The lab's one binary, `chaoslab`, built in a Rust image and copied into a
# small Debian runtime that runs it as an unprivileged user. Every lab
# container (services, agent, hub, load generator) runs this image with a
# different subcommand; see docker-compose.yml.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target caches survive between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin chaoslab \
 && install -D -m 0755 target/release/chaoslab /out/chaoslab

FROM debian:bookworm-slim AS runtime
# curl is for the healthchecks only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin chaoslab
COPY --from=build /out/chaoslab /usr/local/bin/chaoslab
USER 10001:10001
ENV CHAOSLAB_STATE_DIR=/tmp/chaoslab
ENTRYPOINT ["/usr/local/bin/chaoslab"]
CMD ["--help"]
