//! Signed-in sessions as browsers hold them (a cookie jar and one keep-alive connection
//! each) and the open-loop load steps over them.
//!
//! Each session paces itself at `rate / sessions` pages per second, the sessions' ticks
//! spread evenly over the period. A page's latency runs from the instant it was due, not
//! from when it was sent: a session that falls behind sends its late pages back to back,
//! and their wait counts, so a saturated app shows as a rising p99 instead of a quietly
//! lower rate (no coordinated omission).

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, client::conn::http1::SendRequest, header};
use hyper_util::rt::TokioIo;

use crate::lighthouse::{apply_set_cookie, cookie_header, form_encode};

/// Connections opened, all sessions together (a keep-alive connection is reused).
pub static RECONNECTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One signed-in person's browser.
pub struct Session {
    addr: SocketAddr,
    cookies: BTreeMap<String, String>,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Home's "older posts" link (`/?page=...`), once Home was read.
    pub older: String,
}

/// An answer: status and body.
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: String,
}

impl Session {
    /// A browser with no cookies yet.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            cookies: BTreeMap::new(),
            sender: None,
            older: String::new(),
        }
    }

    /// Signs in through the form, as a person does.
    pub async fn sign_in(&mut self, tenant: &str, login: &str, password: &str) -> Page {
        let form = self.send("GET", "/signin", None).await.unwrap();
        let marker = r#"name="csrf" value=""#;
        let start = form.body.find(marker).expect("a CSRF token on /signin") + marker.len();
        let csrf = form.body[start..].split('"').next().unwrap_or_default();
        let body = [
            ("csrf", csrf),
            ("tenant", tenant),
            ("login", login),
            ("password", password),
            ("next", "/"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        self.send("POST", "/signin", Some(body)).await.unwrap()
    }

    /// Whether the app gave this browser a session.
    pub fn signed_in(&self) -> bool {
        self.cookies.contains_key("br_session")
    }

    /// The `Cookie` header of this browser.
    pub fn cookie(&self) -> String {
        cookie_header(&self.cookies)
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Result<Page, String> {
        self.send("GET", path, None).await
    }

    /// A connection, opened when there is none or the last one closed.
    async fn connection(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(self.addr)
                .await
                .map_err(|e| e.to_string())?;
            stream.set_nodelay(true).map_err(|e| e.to_string())?;
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            RECONNECTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.sender = Some(sender);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| "no connection".to_owned())
    }

    /// One request on the session's connection (opened again after an error), keeping the
    /// cookies the answer sets: a renewed session's cookie replaces the spent one. A
    /// request the connection never sent (it closed first) goes out again on a new one.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        form: Option<String>,
    ) -> Result<Page, String> {
        let authority = self.addr.to_string();
        let mut attempt = 0;
        let answer = loop {
            attempt += 1;
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header(header::HOST, &authority)
                .header(header::USER_AGENT, "Mozilla/5.0 (Linux; Android 14) bench")
                .header(header::ACCEPT_LANGUAGE, "en");
            if !self.cookies.is_empty() {
                request = request.header(header::COOKIE, self.cookie());
            }
            if form.is_some() {
                request = request
                    .header(header::ORIGIN, format!("http://{authority}"))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            }
            let request = request
                .body(Full::new(Bytes::from(form.clone().unwrap_or_default())))
                .map_err(|e| e.to_string())?;
            match self.connection().await?.send_request(request).await {
                Ok(answer) => break answer,
                Err(e) => {
                    self.sender = None;
                    if !e.is_canceled() || attempt > 2 {
                        return Err(e.to_string());
                    }
                }
            }
        };
        for value in answer.headers().get_all(header::SET_COOKIE) {
            if let Ok(line) = value.to_str() {
                apply_set_cookie(&mut self.cookies, line);
            }
        }
        let status = answer.status();
        let body = answer
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Page {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// Home's "older posts" link in a page, unescaped.
pub fn older_link(body: &str) -> Option<String> {
    let start = body.find(r#"href="/?page="#)? + r#"href=""#.len();
    let end = body[start..].find('"')?;
    Some(
        body[start..start + end]
            .replace("&amp;", "&")
            .replace("&#x2f;", "/")
            .replace("&#x2F;", "/"),
    )
}

/// What a step measured.
pub struct Step {
    /// Pages answered 200 per second of the step.
    pub achieved: f64,
    /// Pages answered 200.
    pub pages: usize,
    /// From due to answered.
    pub p50: Duration,
    /// From due to answered.
    pub p99: Duration,
    /// From sent to answered (the app's own time, without a session's backlog).
    pub p99_sent: Duration,
    /// Answers other than 200, and failed exchanges.
    pub errors: usize,
    /// Wall time of the step.
    pub elapsed: Duration,
}

/// One step: every session paced at `rate / sessions.len()` pages per second for
/// `duration`, each asking `path(session)`; the sessions come back for the next step.
pub async fn step(
    sessions: Vec<Session>,
    path: fn(&Session) -> String,
    rate: f64,
    duration: Duration,
) -> (Vec<Session>, Step) {
    let n = sessions.len();
    let period = Duration::from_secs_f64(n as f64 / rate);
    let started = tokio::time::Instant::now();
    let end = started + duration;
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, mut session)| {
            tokio::spawn(async move {
                let first = started + period.mul_f64(i as f64 / n as f64);
                let mut ticker = tokio::time::interval_at(first, period);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let (mut due_latencies, mut sent_latencies, mut errors) = (vec![], vec![], 0);
                let mut done = started;
                loop {
                    let due = ticker.tick().await;
                    if due >= end {
                        break;
                    }
                    let sent = Instant::now();
                    let target = path(&session);
                    match session.get(&target).await {
                        Ok(page) if page.status == StatusCode::OK => {
                            due_latencies.push(due.elapsed());
                            sent_latencies.push(sent.elapsed());
                        }
                        _ => errors += 1,
                    }
                    done = tokio::time::Instant::now();
                }
                (session, due_latencies, sent_latencies, errors, done)
            })
        })
        .collect();
    let (mut sessions, mut due, mut sent, mut errors) = (Vec::new(), vec![], vec![], 0);
    let mut finished = started + duration;
    for task in tasks {
        let (session, d, s, e, done) = task.await.unwrap();
        finished = finished.max(done);
        sessions.push(session);
        due.extend(d);
        sent.extend(s);
        errors += e;
    }
    // Until the last page due in the step was answered (at least the step's length).
    let elapsed = finished - started;
    due.sort();
    sent.sort();
    let at = |l: &[Duration], q: f64| {
        l.get(((l.len() as f64 * q) as usize).min(l.len().saturating_sub(1)))
            .copied()
            .unwrap_or(Duration::MAX)
    };
    let step = Step {
        achieved: due.len() as f64 / elapsed.as_secs_f64(),
        pages: due.len(),
        p50: at(&due, 0.5),
        p99: at(&due, 0.99),
        p99_sent: at(&sent, 0.99),
        errors,
        elapsed,
    };
    (sessions, step)
}
