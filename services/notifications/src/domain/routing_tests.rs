//! The routing table's rows that need no lookups.
#![allow(clippy::unwrap_used)]

use breakroom_proto::scheduling::v1::ShiftDiff;

use super::*;

fn comment_by(
    author: &str,
    post_author: &str,
    parent_author: &str,
    mentions: &[&str],
) -> CommentAdded {
    CommentAdded {
        post_id: "p1".into(),
        group_id: "g".into(),
        post_author_id: post_author.into(),
        parent_comment_id: if parent_author.is_empty() {
            String::new()
        } else {
            "c0".into()
        },
        parent_author_id: parent_author.into(),
        author_id: author.into(),
        body: "hi".into(),
        mention_ids: mentions.iter().map(|m| (*m).into()).collect(),
    }
}

fn who(routed: &[Routed]) -> Vec<(String, Kind)> {
    routed
        .iter()
        .map(|r| (r.recipient.clone(), r.kind))
        .collect()
}

#[test]
fn a_comment_tells_the_post_author_and_a_reply_the_parent_author() {
    let r = comment("c1", &comment_by("bob", "ann", "", &[]), "T");
    assert_eq!(who(&r), vec![("ann".into(), Kind::Comment)]);
    assert_eq!(r[0].collapse_key.as_deref(), Some("comments:p1"));
    let r = comment("c2", &comment_by("bob", "ann", "cid", &[]), "T");
    assert_eq!(
        who(&r),
        vec![("ann".into(), Kind::Comment), ("cid".into(), Kind::Reply)]
    );
}

#[test]
fn a_person_reached_twice_by_one_comment_gets_one_notification() {
    let r = comment(
        "c1",
        &comment_by("bob", "ann", "ann", &["ann", "ann", "cid"]),
        "T",
    );
    assert_eq!(
        who(&r),
        vec![("ann".into(), Kind::Mention), ("cid".into(), Kind::Mention)]
    );
}

#[test]
fn nobody_is_told_about_their_own_comment() {
    let r = comment("c1", &comment_by("ann", "ann", "ann", &["ann"]), "T");
    assert!(r.is_empty());
}

#[test]
fn post_mentions_skip_the_author_and_duplicates() {
    let mentioned = vec!["a".to_owned(), "author".into(), "a".into(), "b".into()];
    let r = post_mentions("p", "author", "T", &mentioned);
    assert_eq!(
        who(&r),
        vec![("a".into(), Kind::Mention), ("b".into(), Kind::Mention)]
    );
    assert!(r.iter().all(|r| r.source_key == "feed:mention:p"));
}

#[test]
fn an_announcement_reaches_its_readers_but_not_its_author() {
    let a = AnnouncementSummary {
        post_id: "p".into(),
        author: "hq".into(),
        title: "Recall".into(),
        urgent: true,
        requires_ack: true,
    };
    let r = announcement(&a, 1, &["x".into(), "hq".into(), "y".into()]);
    assert_eq!(r.len(), 2);
    assert!(
        r.iter()
            .all(|r| r.urgent && r.subject == "p" && r.kind == Kind::Announcement)
    );
}

fn shift(id: &str, start: i64, hours: i64) -> ShiftData {
    ShiftData {
        shift_id: id.into(),
        start_local: "2026-12-03T09:00".into(),
        end_local: "2026-12-03T17:00".into(),
        start_time: Some(prost_types::Timestamp {
            seconds: start,
            nanos: 0,
        }),
        end_time: Some(prost_types::Timestamp {
            seconds: start + hours * 3600,
            nanos: 0,
        }),
        unpaid_break_minutes: 30,
        ..ShiftData::default()
    }
}

#[test]
fn a_published_week_summarises_shifts_and_paid_hours() {
    let employees = vec![EmployeeChanges {
        employee_id: "e1".into(),
        notice_id: "n1".into(),
        changes: vec![
            ShiftDiff {
                kind: 1,
                before: None,
                after: Some(shift("s1", 0, 8)),
            },
            ShiftDiff {
                kind: 1,
                before: None,
                after: Some(shift("s2", 86_400, 8)),
            },
        ],
    }];
    let r = roster_published("st", "2026-W49", &employees, "manager");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].fields["shift_count"], "2");
    assert_eq!(r[0].fields["minutes"], (2 * (8 * 60 - 30)).to_string());
    assert!(roster_published("st", "w", &employees, "e1").is_empty());
}

#[test]
fn a_change_to_a_shift_within_a_day_is_urgent() {
    let now: Timestamp = "2026-12-02T12:00:00Z".parse().unwrap();
    let soon = now.as_second() + 6 * 3600;
    let later = now.as_second() + 3 * 86_400;
    let change = |start: i64| EmployeeChanges {
        employee_id: "e1".into(),
        notice_id: "n".into(),
        changes: vec![ShiftDiff {
            kind: 2,
            before: Some(shift("s", start, 8)),
            after: Some(shift("s", start + 3600, 8)),
        }],
    };
    assert!(shifts_amended(&[change(soon)], "m", now)[0].urgent);
    let r = shifts_amended(&[change(later)], "m", now);
    assert!(!r[0].urgent);
    assert_eq!(r[0].fields["change"], "changed");
    assert_eq!(r[0].fields["before_start"], "2026-12-03T09:00");
}

#[test]
fn direct_notifications_never_reach_the_actor() {
    assert!(direct("k".into(), "a", "a", Kind::SwapDecided, BTreeMap::new()).is_none());
    assert!(direct("k".into(), "a", "m", Kind::SwapDecided, BTreeMap::new()).is_some());
}
