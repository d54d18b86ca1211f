//! What a statement costs in PostgreSQL round trips through the kit's pool, counted on
//! the wire: a proxy between the pool and the server counts `ReadyForQuery` messages,
//! the server's answer closing every round trip (statement, ping or prepare).

use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use sqlx::postgres::PgConnectOptions;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Forwards connections to PostgreSQL and counts the server's `ReadyForQuery` ('Z').
async fn counting_proxy(server: (String, u16)) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let ready = Arc::new(AtomicUsize::new(0));
    let counter = ready.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(server.clone()).await.unwrap();
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = upstream.into_split();
            tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
            let counter = counter.clone();
            tokio::spawn(async move {
                // Backend messages: a type byte, a big-endian length including itself, the body.
                let (mut buf, mut pending) = (vec![0u8; 64 * 1024], Vec::new());
                loop {
                    let n = match server_read.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    pending.extend_from_slice(&buf[..n]);
                    while pending.len() >= 5 {
                        let len = u32::from_be_bytes(pending[1..5].try_into().unwrap()) as usize;
                        if pending.len() < 1 + len {
                            break;
                        }
                        if pending[0] == b'Z' {
                            counter.fetch_add(1, Ordering::SeqCst);
                        }
                        pending.drain(..1 + len);
                    }
                    if client_write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, ready)
}

/// Waits until no round trip has happened for a while (the pool's release task is done).
async fn settled(count: &AtomicUsize) -> usize {
    let mut last = count.load(Ordering::SeqCst);
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = count.load(Ordering::SeqCst);
        if now == last {
            return now;
        }
        last = now;
    }
}

#[tokio::test]
async fn a_statement_costs_its_round_trip_and_the_pools_check_on_return_only() {
    let server = std::env::var("TEST_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let options = PgConnectOptions::from_str(&server).unwrap();
    let (port, ready) = counting_proxy((options.get_host().to_owned(), options.get_port())).await;
    let pool = breakroom_chassis::db::lazy_pool(&format!(
        "postgres://{}@127.0.0.1:{port}/postgres?sslmode=disable",
        options.get_username()
    ))
    .unwrap();
    let statements = [
        "SELECT 1::int4 AS one",
        "SELECT 2::int4 AS two",
        "SELECT 3::int4 AS three",
    ];
    // Connect and prepare each statement once (the pool caches prepared statements per
    // connection); one statement at a time so that one connection serves them all.
    for sql in statements {
        let _: i32 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        settled(&ready).await;
    }

    let before = settled(&ready).await;
    for sql in statements {
        let _: i32 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        settled(&ready).await;
    }
    let round_trips = settled(&ready).await - before;

    assert_eq!(pool.size(), 1, "one connection served every statement");
    // Per statement: the statement, and sqlx's ping when the connection is returned
    // (not configurable); no ping when it is taken.
    assert_eq!(round_trips, 2 * statements.len());
}
