//! Typed configuration from the environment, with defaults that work on a developer machine.
//!
//! Every service reads the same names (see the README's configuration table); service
//! specific settings use the `BREAKROOM_` prefix and live in the service's own `config.rs`.

use std::{net::SocketAddr, time::Duration};

use breakroom_base::{
    error::{Error, Result},
    namespace::Namespace,
};

/// Where projection leases live (`BREAKROOM_LEASE_BACKEND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeaseBackendKind {
    /// `nats`: keys in the namespace's NATS KV bucket (default; needs nothing else).
    #[default]
    Nats,
    /// `kubernetes`: `coordination.k8s.io/v1` Leases in the pod's namespace.
    Kubernetes,
}

impl LeaseBackendKind {
    /// Accepts `nats` or `kubernetes`.
    pub fn parse(value: &str) -> Result<Self> {
        match value {
            "nats" => Ok(Self::Nats),
            "kubernetes" => Ok(Self::Kubernetes),
            _ => Err(Error::invalid(
                "BREAKROOM_LEASE_BACKEND",
                "one of nats, kubernetes",
            )),
        }
    }
}

/// Where a pod's service account says it runs, when `POD_NAMESPACE` is unset.
const SERVICE_ACCOUNT_NAMESPACE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// The settings every service shares.
#[derive(Debug, Clone)]
pub struct Config {
    /// Service name: `identity`, `scheduling`, `feed`, `notifications` (stream and DB name).
    pub service: &'static str,
    /// `NATS_URL`: one server, or several separated by commas (the members of a cluster
    /// the client may connect to first).
    pub nats_url: String,
    /// `DATABASE_URL`; the database is created if missing.
    pub database_url: String,
    /// `GRPC_LISTEN_ADDR`; port 0 picks a free port (tests).
    pub grpc_listen_addr: SocketAddr,
    /// `BREAKROOM_NAMESPACE`.
    pub namespace: Namespace,
    /// `BREAKROOM_LEASE_TTL_SECS`: how long a dead projector holds its lease before another
    /// replica takes over (default 10 s).
    pub lease_ttl: Duration,
    /// `BREAKROOM_LEASE_BACKEND`: `nats` (default) or `kubernetes`.
    pub lease_backend: LeaseBackendKind,
    /// `POD_NAME`: the lease holder identity of this replica's projectors; unset, each
    /// projector names itself with a fresh UUID.
    pub lease_holder: Option<String>,
    /// `POD_NAMESPACE`, else the service account's namespace file, else the Kubernetes
    /// client's default: where Kubernetes Leases are kept.
    pub kubernetes_namespace: Option<String>,
    /// `BREAKROOM_DUPLICATE_WINDOW_SECS`: how long JetStream remembers request ids (default 2 min).
    pub duplicate_window: Duration,
    /// `BREAKROOM_MAX_LAG`: projection lag (events) above which readiness reports NOT_SERVING
    /// (default 10000).
    pub max_lag: u64,
    /// `BREAKROOM_CACHE_SIZE`: aggregates kept in memory per aggregate type (default 10000).
    pub cache_size: usize,
    /// `BREAKROOM_STREAM_REPLICAS`: copies JetStream keeps of every stream and lease bucket
    /// this service creates (default 1; 3 on a NATS cluster of three or more, so that one
    /// node can fail without losing or stopping anything). At most 5.
    pub stream_replicas: usize,
}

impl Config {
    /// Reads the environment; `default_port` is the service's well-known gRPC port.
    pub fn from_env(service: &'static str, default_port: u16) -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let grpc_listen_addr = var("GRPC_LISTEN_ADDR")
            .unwrap_or_else(|| format!("127.0.0.1:{default_port}"))
            .parse()
            .map_err(|e| Error::invalid("GRPC_LISTEN_ADDR", format!("not host:port: {e}")))?;
        let lease_secs = parse_number(
            var("BREAKROOM_LEASE_TTL_SECS"),
            "BREAKROOM_LEASE_TTL_SECS",
            10,
        )?;
        if lease_secs == 0 {
            return Err(Error::invalid(
                "BREAKROOM_LEASE_TTL_SECS",
                "must be at least 1",
            ));
        }
        Ok(Self {
            service,
            nats_url: var("NATS_URL").unwrap_or_else(|| "nats://127.0.0.1:4222".into()),
            database_url: var("DATABASE_URL").unwrap_or_else(|| {
                format!("postgres://postgres@127.0.0.1:5432/breakroom_{service}")
            }),
            grpc_listen_addr,
            namespace: Namespace::parse(
                &var("BREAKROOM_NAMESPACE").unwrap_or_else(|| "dev".into()),
            )?,
            lease_ttl: Duration::from_secs(lease_secs),
            lease_backend: var("BREAKROOM_LEASE_BACKEND")
                .map(|v| LeaseBackendKind::parse(&v))
                .transpose()?
                .unwrap_or_default(),
            lease_holder: var("POD_NAME"),
            kubernetes_namespace: var("POD_NAMESPACE").or_else(|| {
                std::fs::read_to_string(SERVICE_ACCOUNT_NAMESPACE)
                    .ok()
                    .map(|ns| ns.trim().to_owned())
                    .filter(|ns| !ns.is_empty())
            }),
            duplicate_window: Duration::from_secs(parse_number(
                var("BREAKROOM_DUPLICATE_WINDOW_SECS"),
                "BREAKROOM_DUPLICATE_WINDOW_SECS",
                120,
            )?),
            max_lag: parse_number(var("BREAKROOM_MAX_LAG"), "BREAKROOM_MAX_LAG", 10_000)?,
            cache_size: parse_number(var("BREAKROOM_CACHE_SIZE"), "BREAKROOM_CACHE_SIZE", 10_000)?
                as usize,
            stream_replicas: match parse_number(
                var("BREAKROOM_STREAM_REPLICAS"),
                "BREAKROOM_STREAM_REPLICAS",
                1,
            )? {
                n @ 1..=5 => n as usize,
                _ => {
                    return Err(Error::invalid(
                        "BREAKROOM_STREAM_REPLICAS",
                        "must be between 1 and 5 (JetStream's limit)",
                    ));
                }
            },
        })
    }

    /// Defaults for `service` in `namespace` against the given servers (tests, tools).
    pub fn new(
        service: &'static str,
        namespace: Namespace,
        nats_url: &str,
        database_url: &str,
    ) -> Self {
        Self {
            service,
            nats_url: nats_url.into(),
            database_url: database_url.into(),
            grpc_listen_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            namespace,
            lease_ttl: Duration::from_secs(10),
            lease_backend: LeaseBackendKind::Nats,
            lease_holder: None,
            kubernetes_namespace: None,
            duplicate_window: Duration::from_secs(120),
            max_lag: 10_000,
            cache_size: 10_000,
            stream_replicas: 1,
        }
    }
}

/// The servers of a `NATS_URL`: one URL, or several separated by commas.
pub fn nats_servers(url: &str) -> Result<Vec<async_nats::ServerAddr>> {
    url.split(',')
        .map(|server| {
            server
                .trim()
                .parse()
                .map_err(|e| Error::invalid("NATS_URL", format!("{server:?}: {e}")))
        })
        .collect()
}

fn parse_number(value: Option<String>, name: &str, default: u64) -> Result<u64> {
    match value {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| Error::invalid(name, format!("not a number: {v:?}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_lease_backend_is_nats_or_kubernetes() {
        assert_eq!(
            LeaseBackendKind::parse("nats").unwrap(),
            LeaseBackendKind::Nats
        );
        assert_eq!(
            LeaseBackendKind::parse("kubernetes").unwrap(),
            LeaseBackendKind::Kubernetes
        );
        assert!(LeaseBackendKind::parse("etcd").is_err());
    }
}
