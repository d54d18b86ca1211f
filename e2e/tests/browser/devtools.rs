//! The DevTools protocol over Chromium's browser websocket, for what chromedriver's
//! `goog/cdp/execute` cannot do: *events* (the service worker's registration id comes only
//! in `ServiceWorker.workerRegistrationUpdated`) and commands to targets other than the page
//! (the service worker's own network, for offline).
//!
//! A minimal RFC 6455 client over a tokio `TcpStream`: text frames, masked as a client
//! must, fragments joined, pings answered. Enough for one test talking to one browser.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::webdriver::PATIENCE;

/// A connection to the browser target; page and worker targets are reached through
/// flattened sessions (`sessionId`).
pub struct DevTools {
    stream: TcpStream,
    next_id: u64,
    /// Events read while waiting for a command's answer, for `event` to find.
    pub events: Vec<Value>,
}

impl DevTools {
    /// Connects to the browser whose DevTools endpoint is `debugger` (`localhost:<port>`).
    pub async fn connect(debugger: &str) -> Self {
        let port: u16 = debugger.rsplit(':').next().unwrap().parse().unwrap();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let version = http_get(addr, "/json/version").await;
        let url: Value = serde_json::from_str(&version).unwrap();
        let ws = url["webSocketDebuggerUrl"].as_str().unwrap();
        let path = &ws[ws.find("/devtools/").unwrap()..];
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
        let handshake = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(handshake.as_bytes()).await.unwrap();
        // The answer's head, byte by byte, so no frame after it is swallowed.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        let head = String::from_utf8_lossy(&head);
        assert!(
            head.starts_with("HTTP/1.1 101"),
            "DevTools handshake: {head}"
        );
        Self {
            stream,
            next_id: 1,
            events: Vec::new(),
        }
    }

    /// Sends `method` (to `session`, or the browser) and returns its result.
    pub async fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.write(message.to_string().as_bytes()).await;
        let answer = tokio::time::timeout(PATIENCE, async {
            loop {
                let message = self.read().await;
                if message["id"].as_u64() == Some(id) {
                    return message;
                }
                if message.get("method").is_some() {
                    self.events.push(message);
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no answer to {method}"));
        assert!(
            answer.get("error").is_none(),
            "{method} failed: {}",
            answer["error"]
        );
        answer["result"].clone()
    }

    /// The first event (kept or still to come) for which `pick` yields a value.
    pub async fn event<T>(&mut self, what: &str, mut pick: impl FnMut(&Value) -> Option<T>) -> T {
        if let Some(found) = self.events.iter().find_map(&mut pick) {
            return found;
        }
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                let message = self.read().await;
                if let Some(found) = pick(&message) {
                    return found;
                }
                self.events.push(message);
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("waited {PATIENCE:?} for the DevTools event: {what}"))
    }

    /// Attaches to the first target of `kind` (`page`, `service_worker`) whose URL starts
    /// with `url`; returns the flattened session's id.
    pub async fn attach(&mut self, kind: &str, url: &str) -> String {
        let mut target = None;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while target.is_none() {
            let targets = self.send(None, "Target.getTargets", json!({})).await;
            target = targets["targetInfos"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == kind && t["url"].as_str().unwrap_or("").starts_with(url))
                .map(|t| t["targetId"].as_str().unwrap().to_owned());
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {kind} target at {url}: {targets}"
            );
            if target.is_none() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let attached = self
            .send(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .await;
        attached["sessionId"].as_str().unwrap().to_owned()
    }

    async fn write(&mut self, payload: &[u8]) {
        let mut frame = vec![0x81]; // FIN, text
        let len = payload.len();
        if len < 126 {
            frame.push(0x80 | len as u8);
        } else if let Ok(short) = u16::try_from(len) {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&short.to_be_bytes());
        } else {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
        let mask = rand::random::<[u8; 4]>();
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).await.unwrap();
    }

    /// The next whole message (a JSON text), answering pings on the way.
    async fn read(&mut self) -> Value {
        let mut message = Vec::new();
        loop {
            let first = self.stream.read_u8().await.unwrap();
            let second = self.stream.read_u8().await.unwrap();
            let (fin, opcode) = (first & 0x80 != 0, first & 0x0f);
            let len = match second & 0x7f {
                126 => u64::from(self.stream.read_u16().await.unwrap()),
                127 => self.stream.read_u64().await.unwrap(),
                n => u64::from(n),
            };
            let mask = if second & 0x80 != 0 {
                Some(self.stream.read_u32().await.unwrap().to_be_bytes())
            } else {
                None
            };
            let mut payload = vec![0; usize::try_from(len).unwrap()];
            self.stream.read_exact(&mut payload).await.unwrap();
            if let Some(mask) = mask {
                for (i, b) in payload.iter_mut().enumerate() {
                    *b ^= mask[i % 4];
                }
            }
            match opcode {
                0x0..=0x2 => {
                    message.extend_from_slice(&payload);
                    if fin {
                        return serde_json::from_slice(&message).unwrap();
                    }
                }
                0x8 => panic!("the browser closed the DevTools connection"),
                0x9 => {
                    // Pong with the same payload (masked, as from any client).
                    let mask = rand::random::<[u8; 4]>();
                    let mut frame = vec![0x8a, 0x80 | payload.len() as u8];
                    frame.extend_from_slice(&mask);
                    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
                    self.stream.write_all(&frame).await.unwrap();
                }
                _ => {}
            }
        }
    }
}

/// A plain `GET` to the DevTools HTTP endpoint; its body (sized by `Content-Length`).
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        addr.port()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("DevTools {path}: {head}"));
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.unwrap();
    String::from_utf8(body).unwrap()
}
