//! The acknowledgement report's CSV export is paged like its people: the header once,
//! every reader on exactly one page, even while readers acknowledge between pages.

use std::collections::BTreeSet;

use breakroom_proto::feed::v1 as pb;

use crate::support::*;

const HEADER: &str = "user,display_name,store,role,acknowledged,acknowledge_time";

struct Report {
    p: Platform,
    admin: Person,
    readers: Vec<Person>,
    post: String,
}

async fn announced_to_five() -> Report {
    let p = Platform::spawn().await;
    let chain = p.chain("acme").await;
    let mut readers = Vec::new();
    for name in ["ann", "bob", "carl", "dana", "eve"] {
        let email = format!("{name}@acme.example");
        readers.push(p.employee(&chain, &chain.store, &email).await);
    }
    let post = p
        .note(
            rpc!(
                p,
                create_post,
                p.req(
                    &chain.admin.token,
                    pb::CreatePostRequest {
                        parent: news("acme"),
                        post: Some(pb::Post {
                            title: "Fridge rules".into(),
                            body: "Label everything.".into(),
                            announcement: Some(pb::Announcement {
                                requires_acknowledgement: true,
                                ..Default::default()
                            }),
                            ..Default::default()
                        }),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap()
        .name;
    Report {
        p,
        admin: chain.admin,
        readers,
        post,
    }
}

impl Report {
    async fn acknowledge(&self, user: &str) {
        let who = self.readers.iter().find(|r| r.name == user).unwrap();
        let p = &self.p;
        p.note(
            rpc!(
                p,
                acknowledge_post,
                p.req(
                    &who.token,
                    pb::AcknowledgePostRequest {
                        name: self.post.clone(),
                        request_id: uuid(),
                    },
                )
            )
            .await,
        )
        .unwrap();
    }

    async fn page(&self, size: i32, token: &str) -> pb::AcknowledgementReport {
        let p = &self.p;
        p.note(
            rpc!(
                p,
                get_acknowledgement_report,
                p.req(
                    &self.admin.token,
                    pb::GetAcknowledgementReportRequest {
                        name: self.post.clone(),
                        page_size: size,
                        page_token: token.into(),
                        csv: true,
                        ..Default::default()
                    },
                )
            )
            .await,
        )
        .unwrap()
    }
}

/// The user column of each data line of a page's CSV.
fn csv_users(csv: &str) -> Vec<String> {
    csv.lines()
        .filter(|l| *l != HEADER)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_csv_export_longer_than_a_page_holds_the_header_once_and_every_reader_once() {
    let r = announced_to_five().await;
    r.acknowledge(&r.readers[1].name).await;
    r.acknowledge(&r.readers[3].name).await;

    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = r.page(2, &token).await;
        assert!(page.entries.len() <= 2);
        let entries: Vec<String> = page.entries.iter().map(|e| e.user.clone()).collect();
        assert_eq!(
            csv_users(&page.csv),
            entries,
            "the CSV is the page's readers"
        );
        if pages.is_empty() {
            // Readers acknowledge between pages: each still appears once.
            for entry in page.entries.iter().filter(|e| !e.acknowledged) {
                r.acknowledge(&entry.user).await;
            }
        }
        pages.push(page.csv);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages.len(), 3, "{pages:?}");
    let export = pages.concat();
    assert!(export.starts_with(&format!("{HEADER}\n")), "{export}");
    assert_eq!(export.matches(HEADER).count(), 1, "{export}");
    let users = csv_users(&export);
    let unique: BTreeSet<&String> = users.iter().collect();
    let expected: BTreeSet<&String> = r.readers.iter().map(|p| &p.name).collect();
    assert_eq!(users.len(), 5, "{export}");
    assert_eq!(unique, expected);
}

#[tokio::test]
async fn a_small_csv_export_is_still_one_answer_not_acknowledged_first() {
    let r = announced_to_five().await;
    r.acknowledge(&r.readers[0].name).await;
    let report = r.page(0, "").await;
    assert!(report.next_page_token.is_empty());
    let lines: Vec<&str> = report.csv.lines().collect();
    assert_eq!(lines.len(), 6, "header and five readers");
    assert_eq!(lines[0], HEADER);
    let acknowledged: Vec<bool> = report.entries.iter().map(|e| e.acknowledged).collect();
    assert_eq!(acknowledged, vec![false, false, false, false, true]);
    assert_eq!(csv_users(&report.csv)[4], r.readers[0].name);
}
