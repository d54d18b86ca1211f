//! A small SMTP sink: enough of RFC 5321 for one client (greeting, EHLO, MAIL, RCPT, DATA,
//! QUIT) to hand over messages, which it keeps for the test to read.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// One received message.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: String,
}

/// The sink.
#[derive(Clone)]
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    /// Starts it on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                    let mut mail = Mail::default();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            mail.to
                                .push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                            b"250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            while let Ok(Some(data)) = lines.next_line().await {
                                if data == "." {
                                    break;
                                }
                                mail.data.push_str(&data);
                                mail.data.push('\n');
                            }
                            kept.lock().unwrap().push(std::mem::take(&mut mail));
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        } else {
                            b"250 ok\r\n"
                        };
                        write.write_all(reply).await.unwrap();
                    }
                });
            }
        });
        Self { addr, mails }
    }

    /// The messages to `address` so far.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        let mails = self.mails.lock().unwrap();
        mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .cloned()
            .collect()
    }

    /// Waits until `n` messages arrived (at most 20 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mails = self.mails.lock().unwrap().clone();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} e-mails, got {mails:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}
