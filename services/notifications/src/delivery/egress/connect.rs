//! The connection-time half of the egress policy, below TLS in the push HTTP client:
//! `Guarded` checks the request's URI (IP literals never reach a resolver), and
//! `GuardedResolver` resolves names and keeps only the addresses the policy allows, so
//! a name that was public at registration and now resolves to 127.0.0.1 is never
//! connected to. A refusal is a `Refused` in the error's source chain (`refusal`), which
//! the provider reports as a push that will never work.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use hyper_util::{
    client::legacy::connect::{HttpConnector, dns::Name},
    rt::TokioIo,
};
use tokio::net::TcpStream;
use tower_service::Service;

use super::{Egress, Refused};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// How names are looked up.
#[derive(Debug, Clone, Default)]
pub enum Lookup {
    /// The system resolver (`getaddrinfo`).
    #[default]
    System,
    /// Fixed answers, like curl's `--resolve` (tests: a public-looking name that now
    /// resolves to loopback); a name not in the table does not resolve.
    Table(Arc<HashMap<String, Vec<IpAddr>>>),
}

impl Lookup {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<SocketAddr>> {
        match self {
            Self::System => Ok(tokio::net::lookup_host((host, 0)).await?.collect()),
            Self::Table(table) => match table.get(host) {
                Some(ips) => Ok(ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect()),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("{host} is not in the lookup table"),
                )),
            },
        }
    }
}

/// Resolves names and drops the addresses the policy refuses; when none is left, fails
/// with `Refused`.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    egress: Egress,
    lookup: Lookup,
}

impl Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let (egress, lookup) = (self.egress.clone(), self.lookup.clone());
        Box::pin(async move {
            let host = name.as_str();
            let resolved = lookup.resolve(host).await?;
            let mut refused = None;
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match egress.address(addr.ip()) {
                    Ok(()) => true,
                    Err(why) => {
                        refused = Some(why);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(why)) => Err(Box::new(Refused {
                    what: format!("{host} ({})", why.what),
                    why: why.why,
                }) as BoxError),
                (_, refused) => {
                    if let Some(why) = refused {
                        tracing::warn!(%host, refused = %why, "a push host resolves to refused addresses too; they are skipped");
                    }
                    Ok(allowed.into_iter())
                }
            }
        })
    }
}

/// The TCP connector of the push client: the policy's URI check, then hyper's
/// `HttpConnector` over `GuardedResolver`.
#[derive(Debug, Clone)]
pub struct Guarded {
    inner: HttpConnector<GuardedResolver>,
    egress: Egress,
}

impl Guarded {
    /// A connector enforcing `egress` with the system resolver (TLS is layered on top by
    /// the caller).
    pub fn new(egress: Egress) -> Self {
        Self::with_lookup(egress, Lookup::System)
    }

    /// A connector enforcing `egress`, resolving names with `lookup`.
    pub fn with_lookup(egress: Egress, lookup: Lookup) -> Self {
        let mut inner = HttpConnector::new_with_resolver(GuardedResolver {
            egress: egress.clone(),
            lookup,
        });
        // https URIs reach it too: TLS wraps the stream it returns.
        inner.enforce_http(false);
        Self { inner, egress }
    }
}

impl Service<http::Uri> for Guarded {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = BoxFuture<Self::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        if let Err(refused) = self.egress.uri(&uri) {
            return Box::pin(std::future::ready(Err(Box::new(refused) as BoxError)));
        }
        let connecting = self.inner.call(uri);
        Box::pin(async move { connecting.await.map_err(Into::into) })
    }
}

/// The `Refused` somewhere in `error`'s source chain, if the policy caused it.
pub fn refusal<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    /// A listener on loopback counting the connections it accepts.
    async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        (port, accepted)
    }

    async fn connect(egress: Egress, uri: &str) -> Result<(), BoxError> {
        Guarded::new(egress)
            .call(uri.parse().unwrap())
            .await
            .map(|_| ())
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_and_loopback_literals_are_never_connected_to() {
        let (port, accepted) = counting_listener().await;
        for uri in [
            format!("https://localhost:{port}/push"),
            format!("https://127.0.0.1:{port}/push"),
            format!("https://127.1:{port}/push"),
            format!("https://2130706433:{port}/push"),
            format!("https://[::ffff:127.0.0.1]:{port}/push"),
            format!("http://127.0.0.1:{port}/push"),
        ] {
            let error = connect(Egress::public(), &uri).await.unwrap_err();
            assert!(refusal(&*error).is_some(), "{uri}: {error}");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_resolver_drops_the_refused_addresses_of_a_name() {
        let mut resolver = GuardedResolver {
            egress: Egress::public(),
            lookup: Lookup::System,
        };
        let error = resolver
            .call("localhost".parse().unwrap())
            .await
            .unwrap_err();
        let refused = refusal(&*error).unwrap();
        assert!(refused.what.starts_with("localhost ("), "{refused}");
        assert_eq!(refused.why, "a loopback address");
    }

    #[tokio::test]
    async fn loopback_is_connected_to_in_local_development() {
        let (port, accepted) = counting_listener().await;
        connect(
            Egress::local_development(),
            &format!("http://localhost:{port}/push"),
        )
        .await
        .unwrap();
        connect(
            Egress::local_development(),
            &format!("http://127.0.0.1:{port}/push"),
        )
        .await
        .unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }
}
