# The attendance system as one image: the web app (`attendance serve`, the default command) and
# the reconciler (`reconciler run|schedule|...`). Base images are build arguments, so a site
# can pin digests or use its own mirrors; `scripts/container-check` builds with local stand-ins.
ARG RUST_IMAGE=docker.io/library/rust:1.90-slim-bookworm
# Distroless "cc": glibc, libgcc, CA certificates and a non-root user, nothing else (no shell).
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
# Dependencies first, from the manifests alone with stub sources, so a source change does not
# rebuild them (this layer is reused while Cargo.toml and Cargo.lock stay the same).
COPY Cargo.toml Cargo.lock ./
COPY app/Cargo.toml app/Cargo.toml
COPY reconciler/Cargo.toml reconciler/Cargo.toml
RUN mkdir -p app/src reconciler/src tests/harness bench \
 && echo 'fn main() {}' > app/src/main.rs && touch app/src/lib.rs \
 && echo 'fn main() {}' > reconciler/src/main.rs && touch reconciler/src/lib.rs \
 && touch tests/harness/lib.rs && echo 'fn main() {}' > bench/main.rs \
 && cargo build --release --locked -p attendance -p reconciler \
 && rm -rf app/src reconciler/src
COPY app app
COPY reconciler reconciler
COPY migrations migrations
COPY firestore.rules firestore.rules
# Stubs replaced: make sure cargo sees the real sources as newer than the stub builds.
RUN touch app/src/lib.rs app/src/main.rs reconciler/src/lib.rs reconciler/src/main.rs \
 && cargo build --release --locked -p attendance --bin attendance -p reconciler --bin reconciler \
 && strip target/release/attendance target/release/reconciler

FROM ${RUNTIME_IMAGE}
COPY --from=builder /src/target/release/attendance /src/target/release/reconciler /usr/local/bin/
# distroless's "nonroot" user.
USER 65532:65532
ENV BIND_ADDR=0.0.0.0:8000
EXPOSE 8000
CMD ["attendance", "serve"]
