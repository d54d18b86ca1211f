# Breakroom's tasks. `just` lists them.

# List the recipes.
default:
    @just --list

# Run the platform locally: NATS, PostgreSQL and every service, healthy, addresses printed
# (the same as `cargo dev up`).
up:
    cargo dev up

# Make sure NATS (JetStream) and PostgreSQL answer, installing and starting them if needed.
infra:
    cargo dev infra

# Run every test (unit, service, end-to-end) against real NATS and PostgreSQL (the same
# as `cargo dev test`).
test:
    cargo dev test

# Lint, render and strictly validate the Helm chart offline (Kubernetes 1.30 and 1.37 schemas).
chart:
    python3 charts/check.py

# Formatting, clippy with warnings as errors, and buf lint of the protos.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cd proto && npx --yes @bufbuild/buf@1 lint

# Regenerate the Tenant CRD from the operator's Rust types (a test checks it is current).
crd:
    cargo run -q -p breakroom-operator --bin operator -- --print-crd > charts/breakroom/crds/tenants.breakroom.io.yaml

# Format the code.
fmt:
    cargo fmt --all

# Benchmarks that print throughput figures (release build; needs `just infra`).
bench: infra
    cargo bench -p breakroom-events --bench eventstore
    cargo bench -p breakroom-identity --bench identity
    cargo bench -p breakroom-scheduling --bench import
    cargo bench -p breakroom-scheduling --bench reads
    cargo bench -p breakroom-feed --bench timeline
    cargo bench -p breakroom-feed --bench cards
    cargo bench -p breakroom-notifications --bench fanout
