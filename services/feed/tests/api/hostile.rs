//! Hostile and broken conditions: bad input is refused with every field named, and a
//! database outage is answered UNAVAILABLE and survived.

use std::time::Duration;

use breakroom_proto::feed::v1::{self as pb, feed_service_client::FeedServiceClient};
use breakroom_testing::{eventually, violated_fields};
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn bad_input_is_refused_naming_every_field() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let group = store_group("acme", &chain.store);
    let status = p
        .feed
        .clone()
        .create_post(p.req(
            &chain.admin.token,
            pb::CreatePostRequest {
                parent: group.clone(),
                post: Some(pb::Post {
                    title: "t".repeat(201),
                    body: String::new(),
                    attachments: vec![pb::Attachment {
                        uri: "ftp://x y".into(),
                        media_type: "jpeg".into(),
                        ..Default::default()
                    }],
                    mentions: vec!["tenants/beta/users/u".into(), "users/x".into()],
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "post.attachments[0].media_type",
            "post.attachments[0].uri",
            "post.mentions[0]",
            "post.mentions[1]",
            "post.title",
        ]
    );
    let status = p
        .feed
        .clone()
        .create_group(p.req(
            &chain.admin.token,
            pb::CreateGroupRequest {
                parent: "tenants/acme".into(),
                group: Some(pb::Group {
                    display_name: String::new(),
                    posting_policy: 9,
                    ..Default::default()
                }),
                members: vec!["nobody".into()],
                request_id: "not-a-uuid".into(),
            },
        ))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        vec!["group.display_name", "group.posting_policy", "members[0]"]
    );
    let status = p
        .feed
        .clone()
        .list_timeline(p.req(
            &chain.admin.token,
            pb::ListTimelineRequest {
                parent: "tenants/acme".into(),
                page_size: 10,
                page_token: "garbage".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), vec!["page_token"]);
    let status = p
        .feed
        .clone()
        .get_post(p.req(
            &chain.admin.token,
            pb::GetPostRequest {
                name: "posts/1".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), vec!["name"]);
    let status = p
        .feed
        .clone()
        .get_group(tonic::Request::new(pb::GetGroupRequest { name: group }))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
}

/// A TCP proxy to PostgreSQL that can be cut and restored on the same port.
struct Proxy {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:5432").await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { port, task }
    }

    /// Cuts every connection and stops listening (dropping the task drops them all).
    fn cut(self) -> u16 {
        self.task.abort();
        self.port
    }
}

#[tokio::test]
async fn a_database_outage_is_answered_unavailable_and_feed_recovers_when_it_returns() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let ann = p.employee(&chain, &chain.store, "ann@acme.example").await;
    let proxy = Proxy::start(0).await;
    let mut config = p.env.config("feed");
    config.database_url = config
        .database_url
        .replace(":5432/", &format!(":{}/", proxy.port));
    let server = breakroom_feed::startup::build(breakroom_feed::config::FeedConfig::new(config))
        .await
        .unwrap();
    let running = breakroom_testing::spawn(server, "breakroom.feed.v1.FeedService").await;
    let feed = FeedServiceClient::new(running.channel().await);
    let group = store_group("acme", &chain.store);
    let post = |feed: FeedServiceClient<tonic::transport::Channel>| {
        let request = p.req(
            &ann.token,
            pb::CreatePostRequest {
                parent: group.clone(),
                post: Some(pb::Post {
                    body: "still here".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        );
        async move { feed.clone().create_post(request).await }
    };
    post(feed.clone()).await.unwrap();

    let port = proxy.cut();
    let refused = post(feed.clone()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");

    let _proxy = Proxy::start(port).await;
    eventually(Duration::from_secs(30), || {
        let attempt = post(feed.clone());
        async move {
            match attempt.await {
                Ok(_) => Some(()),
                Err(status) if status.code() == Code::Unavailable => None,
                Err(status) => panic!("{status:?}"),
            }
        }
    })
    .await;
    running.shutdown.cancel();
}

/// The `(field, description)` pairs of an INVALID_ARGUMENT status.
pub fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn bodies_outside_the_markdown_subset_are_refused_naming_what() {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let group = store_group("acme", &chain.store);

    for (body, named) in [
        (
            "[win a prize](javascript:alert(document.cookie))",
            "javascript:",
        ),
        ("[x](JaVaScRiPt:alert(1))", "JaVaScRiPt:"),
        ("Hello <script>alert(1)</script>", "<script"),
        ("![pixel](https://tracker.example/p.gif)", "images"),
    ] {
        let status = p.post(&chain.admin, &group, body).await.unwrap_err();
        let refused = violations(&status);
        assert!(!refused.is_empty(), "{body}");
        assert!(
            refused.iter().all(|(field, _)| field == "post.body"),
            "{refused:?}"
        );
        assert!(
            refused.iter().any(|(_, what)| what.contains(named)),
            "{body}: {refused:?}"
        );
    }

    // The subset itself passes and is stored as written.
    let body = "**Stocktake** on *Sunday*:\n- bring `gloves`\n- see [the plan](https://acme.example/plan)\n\nQuestions: <mailto:hq@acme.example>";
    let post = p.post(&chain.admin, &group, body).await.unwrap();
    assert_eq!(post.body, body);

    let status = p
        .feed
        .clone()
        .add_comment(p.req(
            &chain.admin.token,
            pb::AddCommentRequest {
                parent: post.name.clone(),
                comment: Some(pb::Comment {
                    body: "<img src=x onerror=alert(1)> [a](data:text/html,x)".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    let refused = violations(&status);
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|(field, _)| field == "comment.body"));
    assert!(refused[0].1.contains("<img"));
    assert!(refused[1].1.contains("data:text/html,x"));
    // Nothing half-written: the post has no comment.
    let post = p
        .feed
        .clone()
        .get_post(p.req(
            &chain.admin.token,
            pb::GetPostRequest {
                name: post.name.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(post.comment_count, 0);
}
