//! Web Push (RFC 8030) as a `Provider`: `encrypt` encrypts the payload
//! (aes128gcm, RFC 8291); the VAPID header (RFC 8292) comes from the cached signature;
//! hyper with rustls (no OpenSSL) sends it with `TTL`, `Urgency` and `Topic`.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

use super::{
    Outcome, Provider, Push,
    egress::{
        Egress,
        connect::{Guarded, refusal},
    },
    encrypt,
    vapid::Vapid,
};

type Https = hyper_rustls::HttpsConnector<Guarded>;

/// Sends pushes to browsers' push services.
#[derive(Debug, Clone)]
pub struct WebPush {
    client: Client<Https, Full<Bytes>>,
    vapid: Arc<Vapid>,
    timeout: Duration,
}

impl WebPush {
    /// A provider for local runs, tests and benchmarks: signing with `vapid`, giving each
    /// request `timeout`, connecting to public addresses and loopback
    /// (`Egress::local_development`). The service uses `with_egress` with its settings.
    pub fn new(vapid: Arc<Vapid>, timeout: Duration) -> breakroom_base::Result<Self> {
        Self::with_egress(vapid, timeout, Egress::local_development())
    }

    /// A provider connecting only where `egress` allows: the URI is checked and every
    /// resolved address filtered before a connection is opened.
    pub fn with_egress(
        vapid: Arc<Vapid>,
        timeout: Duration,
        egress: Egress,
    ) -> breakroom_base::Result<Self> {
        Self::with_connector(vapid, timeout, Guarded::new(egress))
    }

    /// A provider over a given guarded connector (tests resolve names from a table).
    pub fn with_connector(
        vapid: Arc<Vapid>,
        timeout: Duration,
        connector: Guarded,
    ) -> breakroom_base::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = match hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider.clone())
        {
            Ok(builder) => builder,
            Err(e) => {
                // No system roots (a bare container): https pushes fail, are retried and
                // end in the dead letters where operators see them; loopback http works.
                tracing::warn!(error = %e, "no native root certificates; https pushes will fail");
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(breakroom_base::Error::internal)?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
        };
        let connector = builder
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build(connector);
        Ok(Self {
            client,
            vapid,
            timeout,
        })
    }

    fn request(&self, push: &Push) -> Result<http::Request<Full<Bytes>>, String> {
        let endpoint: http::Uri = push
            .endpoint
            .parse()
            .map_err(|e| format!("endpoint: {e}"))?;
        let request =
            encrypt::request(&endpoint, push.ttl, &push.p256dh, &push.auth, &push.payload)
                .map_err(|e| e.to_string())?;
        let authorization = self
            .vapid
            .authorization(&endpoint)
            .map_err(|e| e.to_string())?;
        let (mut parts, body) = request.into_parts();
        let headers = &mut parts.headers;
        let mut set = |name: &'static str, value: &str| {
            if let Ok(value) = http::HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        set("authorization", &authorization);
        set("urgency", push.urgency.as_str());
        set("topic", &push.topic);
        set("idempotency-key", &push.idempotency_key);
        Ok(http::Request::from_parts(
            parts,
            Full::new(Bytes::from(body)),
        ))
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare for push services and ignored).
pub fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[async_trait::async_trait]
impl Provider for WebPush {
    async fn send(&self, push: &Push) -> Outcome {
        // Encryption costs about 54 µs of CPU (ring's P-256): less than the hop to the
        // blocking pool and back, so it runs on the push's own task.
        let request = match self.request(push) {
            Ok(request) => request,
            Err(error) => return Outcome::Failed { status: 0, error },
        };
        let response = match tokio::time::timeout(self.timeout, self.client.request(request)).await
        {
            Err(_) => {
                return Outcome::Retry {
                    status: 0,
                    retry_after: None,
                    error: "timed out".into(),
                };
            }
            Ok(Err(e)) => {
                // Refused by the egress policy: no connection was made, and none ever will be.
                if let Some(refused) = refusal(&e) {
                    return Outcome::Failed {
                        status: 0,
                        error: refused.to_string(),
                    };
                }
                return Outcome::Retry {
                    status: 0,
                    retry_after: None,
                    error: format!("request: {e}"),
                };
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let after = retry_after(response.headers());
        // Read the (small) body so the connection goes back to the pool.
        let body = tokio::time::timeout(self.timeout, response.into_body().collect())
            .await
            .ok()
            .and_then(|b| b.ok())
            .map(|b| {
                String::from_utf8_lossy(&b.to_bytes())
                    .chars()
                    .take(200)
                    .collect::<String>()
            })
            .unwrap_or_default();
        match status {
            200..=299 => Outcome::Delivered(status),
            404 | 410 => Outcome::Gone(status),
            429 | 500..=599 => Outcome::Retry {
                status,
                retry_after: after,
                error: body,
            },
            _ => Outcome::Failed {
                status,
                error: body,
            },
        }
    }
}
