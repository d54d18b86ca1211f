//! A local Web Push service: devices with real P-256 keys and auth secrets, an HTTP
//! endpoint that decrypts every push with the device's private key (RFC 8291) and answers
//! what the test scripted (201 by default; 429 with Retry-After, 500, 410).

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use web_push_native::p256::{SecretKey, elliptic_curve::sec1::ToEncodedPoint};

/// One received and decrypted push.
#[derive(Debug, Clone)]
pub struct Received {
    /// The device's endpoint id.
    pub device: String,
    /// The decrypted JSON payload.
    pub payload: serde_json::Value,
    /// `Urgency` header.
    pub urgency: String,
    /// `Topic` header.
    pub topic: String,
    /// Whether a VAPID `Authorization` header came with it.
    pub vapid: bool,
    /// The `Authorization` header.
    pub authorization: String,
    /// What the endpoint answered.
    pub status: u16,
    /// When it arrived.
    pub at: Instant,
}

impl Received {
    /// The payload's kind.
    pub fn kind(&self) -> &str {
        self.payload["kind"].as_str().unwrap_or("")
    }

    /// A field of the payload's fields.
    pub fn field(&self, name: &str) -> String {
        self.payload["fields"][name]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// The idempotency key.
    pub fn key(&self) -> String {
        self.payload["key"].as_str().unwrap_or("").to_owned()
    }
}

/// A test device: a subscription the endpoint can decrypt for.
#[derive(Clone)]
pub struct TestDevice {
    /// Endpoint URL.
    pub endpoint: String,
    /// `keys.p256dh`, base64url.
    pub p256dh: String,
    /// `keys.auth`, base64url.
    pub auth: String,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<String, (SecretKey, [u8; 16])>,
    script: HashMap<String, VecDeque<(u16, Option<u64>)>>,
    received: Vec<Received>,
}

/// The push service.
#[derive(Clone)]
pub struct PushService {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl PushService {
    /// Starts it on a free port.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/push/{id}", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, inner }
    }

    /// Its origin, `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new device subscription.
    pub fn device(&self) -> TestDevice {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let secret = loop {
            if let Ok(key) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
                break key;
            }
        };
        let auth: [u8; 16] = rand::random();
        let public = secret.public_key().to_encoded_point(false);
        let device = TestDevice {
            endpoint: format!("http://{}/push/{id}", self.addr),
            p256dh: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            auth: URL_SAFE_NO_PAD.encode(auth),
        };
        self.inner.lock().unwrap().keys.insert(id, (secret, auth));
        device
    }

    /// The next answers of `device` (status, Retry-After seconds); then 201.
    pub fn script(&self, device: &TestDevice, answers: &[(u16, Option<u64>)]) {
        let id = endpoint_id(&device.endpoint);
        self.inner
            .lock()
            .unwrap()
            .script
            .insert(id, answers.iter().copied().collect());
    }

    /// Everything received for `device` (any answer).
    pub fn received(&self, device: &TestDevice) -> Vec<Received> {
        let id = endpoint_id(&device.endpoint);
        self.inner
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| r.device == id)
            .cloned()
            .collect()
    }

    /// Pushes `device` accepted (201).
    pub fn delivered(&self, device: &TestDevice) -> Vec<Received> {
        self.received(device)
            .into_iter()
            .filter(|r| r.status == 201)
            .collect()
    }

    /// Every accepted push.
    pub fn all_delivered(&self) -> Vec<Received> {
        self.inner
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| r.status == 201)
            .cloned()
            .collect()
    }

    /// Waits until `device` has accepted `n` pushes (at most 20 s), returns them.
    pub async fn wait_for(&self, device: &TestDevice, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.delivered(device);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} pushes, got {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn endpoint_id(endpoint: &str) -> String {
    endpoint.rsplit('/').next().unwrap_or("").to_owned()
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let mut inner = inner.lock().unwrap();
    let Some((secret, auth)) = inner.keys.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, HeaderMap::new());
    };
    assert_eq!(headers.get("content-encoding").unwrap(), "aes128gcm");
    let auth = web_push_native::Auth::from(auth);
    let clear = web_push_native::decrypt(body.to_vec(), &secret, &auth)
        .expect("a push the device can decrypt");
    let payload: serde_json::Value = serde_json::from_slice(&clear).expect("JSON payload");
    let (status, retry_after) = inner
        .script
        .get_mut(&id)
        .and_then(|s| s.pop_front())
        .unwrap_or((201, None));
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    inner.received.push(Received {
        device: id,
        payload,
        urgency: header("urgency"),
        topic: header("topic"),
        vapid: header("authorization").starts_with("vapid t="),
        authorization: header("authorization"),
        status,
        at: Instant::now(),
    });
    let mut out = HeaderMap::new();
    if let Some(seconds) = retry_after {
        out.insert("retry-after", seconds.to_string().parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), out)
}
