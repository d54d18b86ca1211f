//! A small browser for the tests: HTTP/1.1 over hyper, a cookie jar kept by hand, forms
//! posted with the page's CSRF token and the app's Origin, redirects not followed (the
//! tests look at them).

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, header};
use hyper_util::rt::TokioIo;

/// One answer.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Page {
    /// `Location` of a redirect.
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The first CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let marker = r#"name="csrf" value=""#;
        let start = self
            .body
            .find(marker)
            .expect("page has a form with a CSRF token")
            + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// A browser with its cookies.
#[derive(Debug, Clone)]
pub struct Browser {
    pub addr: std::net::SocketAddr,
    pub cookies: BTreeMap<String, String>,
    pub language: &'static str,
    pub user_agent: &'static str,
}

/// Form encoding (`application/x-www-form-urlencoded`).
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Browser {
    pub fn new(addr: std::net::SocketAddr) -> Self {
        Self {
            addr,
            cookies: BTreeMap::new(),
            language: "en",
            user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
        }
    }

    /// The app's origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self
            .request("GET", path)
            .body(Full::new(Bytes::new()))
            .unwrap();
        self.send(request).await
    }

    /// POSTs `fields` with the app's Origin (CSRF token as given in `fields`).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let origin = self.origin();
        self.post_from(path, fields, &origin).await
    }

    pub async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], origin: &str) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = self
            .request("POST", path)
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        self.send(request).await
    }

    fn request(&self, method: &str, path: &str) -> hyper::http::request::Builder {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string())
            .header(header::USER_AGENT, self.user_agent)
            .header(header::ACCEPT_LANGUAGE, self.language);
        if !cookie.is_empty() {
            builder = builder.header(header::COOKIE, cookie);
        }
        builder
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Page {
        let stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            let (name, val) = pair.split_once('=').unwrap();
            let removed = value.to_ascii_lowercase().contains("max-age=0");
            if removed || val.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), val.to_owned());
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

/// Posts a form of `page` (its CSRF token added).
pub async fn submit(
    browser: &mut Browser,
    page: &Page,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = page.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    browser.post(path, &all).await
}

/// The value of the hidden field `name` on a page.
pub fn hidden(page: &Page, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name}: {}", page.body))
        + marker.len();
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end].to_owned()
}

/// The value of the hidden field `name` in the first form posting to `action`.
pub fn hidden_in(page: &Page, action: &str, name: &str) -> String {
    let form = format!(r#"action="{action}""#);
    let at = page
        .body
        .find(&form)
        .unwrap_or_else(|| panic!("no form to {action}: {}", page.body));
    hidden(
        &Page {
            status: page.status,
            headers: page.headers.clone(),
            body: page.body[at..].to_owned(),
        },
        name,
    )
}

/// `/posts/{g}/{p}` of a post's resource name.
pub fn path_of(post: &str) -> String {
    let parts: Vec<&str> = post.split('/').collect();
    format!("/posts/{}/{}", parts[3], parts[5])
}
