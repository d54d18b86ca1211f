//! Feed through its gRPC API beside the real identity (and scheduling where cards need
//! it), real NATS and PostgreSQL, a fresh namespace and databases per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Calls a feed rpc on a fresh clone of the platform's client, as an owned future (so
/// closures can return it).
macro_rules! rpc {
    ($p:expr, $method:ident, $request:expr) => {{
        let mut client = $p.feed.clone();
        let request = $request;
        async move { client.$method(request).await }
    }};
}

mod announcements;
mod cards;
mod content;
mod groups;
mod hostile;
mod isolation;
mod moderation;
mod permission;
mod posts;
mod reasons;
mod report;
mod social;
mod support;
mod visibility;
