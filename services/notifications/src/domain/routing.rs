//! The routing table: which person hears about which source event, as what kind of
//! notification. Pure functions over decoded events and what the routing projection
//! remembers (post titles, who asked for a swap); the projection does the lookups.
//!
//! Two rules hold for every row: an actor is never told about their own action, and one
//! event reaching a person for several reasons (mentioned in a comment on their own post)
//! is one notification, of the most personal kind (mention, then reply, then comment).
//! Each notification has a `source_key` naming the event, unique per recipient, so a
//! redelivered or replayed event never makes a second one.

use std::collections::BTreeMap;

use breakroom_proto::{
    feed::v1::CommentAdded,
    scheduling::v1::{EmployeeChanges, ShiftData, shift_diff},
};
use jiff::{Timestamp, ToSpan};

use super::Kind;

/// One notification to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// Names the source event; unique per recipient.
    pub source_key: String,
    /// Who is told.
    pub recipient: String,
    /// What about.
    pub kind: Kind,
    /// Pushed even in quiet hours.
    pub urgent: bool,
    /// What acknowledging clears it (post id, change notice id); empty for none.
    pub subject: String,
    /// The structured content the app renders.
    pub fields: BTreeMap<String, String>,
    /// Pending pushes with the same key for one device collapse into one.
    pub collapse_key: Option<String>,
    /// The notification's id when the command chose it (test notifications); otherwise
    /// derived from the source key and the recipient.
    pub id: Option<uuid::Uuid>,
}

fn fields<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn routed(source_key: String, recipient: &str, kind: Kind, subject: &str) -> Routed {
    Routed {
        source_key,
        recipient: recipient.to_owned(),
        kind,
        urgent: false,
        subject: subject.to_owned(),
        fields: BTreeMap::new(),
        collapse_key: None,
        id: None,
    }
}

/// A comment: mentioned people, the parent comment's author (reply) and the post's author
/// (comment), one notification each, never the commenter.
pub fn comment(comment_id: &str, added: &CommentAdded, title: &str) -> Vec<Routed> {
    let mut kinds: BTreeMap<&str, Kind> = BTreeMap::new();
    for user in &added.mention_ids {
        kinds.entry(user.as_str()).or_insert(Kind::Mention);
    }
    if !added.parent_author_id.is_empty() {
        kinds.entry(&added.parent_author_id).or_insert(Kind::Reply);
    }
    if !added.post_author_id.is_empty() {
        kinds.entry(&added.post_author_id).or_insert(Kind::Comment);
    }
    kinds.remove(added.author_id.as_str());
    kinds.remove("");
    kinds
        .into_iter()
        .map(|(user, kind)| {
            let mut r = routed(
                format!("feed:comment:{comment_id}"),
                user,
                kind,
                &added.post_id,
            );
            r.fields = fields([
                ("post_id", added.post_id.clone()),
                ("comment_id", comment_id.to_owned()),
                ("author_id", added.author_id.clone()),
                ("title", title.to_owned()),
            ]);
            if kind == Kind::Comment {
                r.collapse_key = Some(format!("comments:{}", added.post_id));
            }
            r
        })
        .collect()
}

/// People mentioned in a post (created or edited): those not told before. The key is
/// per post, so a person mentioned again in an edit is not told twice.
pub fn post_mentions(
    post_id: &str,
    author: &str,
    title: &str,
    mentioned: &[String],
) -> Vec<Routed> {
    let mut seen: Vec<&str> = Vec::new();
    mentioned
        .iter()
        .filter(|user| !user.is_empty() && user.as_str() != author)
        .filter(|user| {
            let new = !seen.contains(&user.as_str());
            seen.push(user);
            new
        })
        .map(|user| {
            let mut r = routed(
                format!("feed:mention:{post_id}"),
                user,
                Kind::Mention,
                post_id,
            );
            r.fields = fields([
                ("post_id", post_id.to_owned()),
                ("comment_id", String::new()),
                ("author_id", author.to_owned()),
                ("title", title.to_owned()),
            ]);
            r
        })
        .collect()
}

/// What an announcement is, for routing its audience and reminders.
#[derive(Debug, Clone, Default)]
pub struct AnnouncementSummary {
    /// Post id.
    pub post_id: String,
    /// Author (never told).
    pub author: String,
    /// Title.
    pub title: String,
    /// Urgent: pushed in quiet hours.
    pub urgent: bool,
    /// Readers must acknowledge.
    pub requires_ack: bool,
}

/// A chunk of an announcement's readers.
pub fn announcement(a: &AnnouncementSummary, revision: i64, readers: &[String]) -> Vec<Routed> {
    readers
        .iter()
        .filter(|user| !user.is_empty() && **user != a.author)
        .map(|user| {
            let key = format!("feed:announcement:{}:{revision}", a.post_id);
            let mut r = routed(key, user, Kind::Announcement, &a.post_id);
            r.urgent = a.urgent;
            r.fields = fields([
                ("post_id", a.post_id.clone()),
                ("title", a.title.clone()),
                ("requires_acknowledgement", a.requires_ack.to_string()),
            ]);
            r
        })
        .collect()
}

/// A chunk of an acknowledgement reminder: exactly the people it names.
pub fn reminder(a: &AnnouncementSummary, reminder_id: &str, readers: &[String]) -> Vec<Routed> {
    readers
        .iter()
        .filter(|user| !user.is_empty() && **user != a.author)
        .map(|user| {
            let key = format!("feed:reminder:{reminder_id}");
            let mut r = routed(key, user, Kind::AcknowledgementReminder, &a.post_id);
            r.fields = fields([
                ("post_id", a.post_id.clone()),
                ("title", a.title.clone()),
                ("reminder_id", reminder_id.to_owned()),
            ]);
            r
        })
        .collect()
}

fn paid_minutes(shift: &ShiftData) -> i64 {
    let seconds = |t: &Option<prost_types::Timestamp>| t.as_ref().map(|t| t.seconds).unwrap_or(0);
    ((seconds(&shift.end_time) - seconds(&shift.start_time)) / 60
        - i64::from(shift.unpaid_break_minutes))
    .max(0)
}

/// A published week: each scheduled employee gets a summary (shifts, paid hours).
pub fn roster_published(
    store: &str,
    week: &str,
    employees: &[EmployeeChanges],
    actor: &str,
) -> Vec<Routed> {
    employees
        .iter()
        .filter(|e| !e.employee_id.is_empty() && e.employee_id != actor)
        .map(|e| {
            let shifts: Vec<&ShiftData> =
                e.changes.iter().filter_map(|c| c.after.as_ref()).collect();
            let minutes: i64 = shifts.iter().map(|s| paid_minutes(s)).sum();
            let key = format!("scheduling:notice:{}", e.notice_id);
            let mut r = routed(key, &e.employee_id, Kind::RosterPublished, &e.notice_id);
            r.fields = fields([
                ("store_id", store.to_owned()),
                ("week", week.to_owned()),
                ("shift_count", shifts.len().to_string()),
                ("minutes", minutes.to_string()),
                ("notice_id", e.notice_id.clone()),
            ]);
            r
        })
        .collect()
}

fn starts_within_a_day(shift: Option<&ShiftData>, now: Timestamp) -> bool {
    let Some(start) = shift.and_then(|s| s.start_time.as_ref()) else {
        return false;
    };
    let end = shift
        .and_then(|s| s.end_time.as_ref())
        .map(|t| t.seconds)
        .unwrap_or(start.seconds);
    end >= now.as_second() && start.seconds <= (now + 24.hours()).as_second()
}

/// Amended shifts: each affected employee with the before/after of their (first) change;
/// urgent when a changed shift starts within 24 h of the amendment.
pub fn shifts_amended(employees: &[EmployeeChanges], actor: &str, at: Timestamp) -> Vec<Routed> {
    employees
        .iter()
        .filter(|e| !e.employee_id.is_empty() && e.employee_id != actor && !e.changes.is_empty())
        .map(|e| {
            let first = &e.changes[0];
            let change = match shift_diff::Kind::try_from(first.kind) {
                Ok(shift_diff::Kind::Added) => "added",
                Ok(shift_diff::Kind::Removed) => "removed",
                _ => "changed",
            };
            let local = |s: &Option<ShiftData>, end: bool| {
                s.as_ref()
                    .map(|s| {
                        if end {
                            s.end_local.clone()
                        } else {
                            s.start_local.clone()
                        }
                    })
                    .unwrap_or_default()
            };
            let shift_id = first
                .after
                .as_ref()
                .or(first.before.as_ref())
                .map(|s| s.shift_id.clone())
                .unwrap_or_default();
            let key = format!("scheduling:notice:{}", e.notice_id);
            let mut r = routed(key, &e.employee_id, Kind::ShiftChanged, &e.notice_id);
            r.urgent = e.changes.iter().any(|c| {
                starts_within_a_day(c.before.as_ref(), at)
                    || starts_within_a_day(c.after.as_ref(), at)
            });
            r.fields = fields([
                ("notice_id", e.notice_id.clone()),
                ("shift_id", shift_id),
                ("change", change.to_owned()),
                ("changes", e.changes.len().to_string()),
                ("before_start", local(&first.before, false)),
                ("before_end", local(&first.before, true)),
                ("after_start", local(&first.after, false)),
                ("after_end", local(&first.after, true)),
            ]);
            r
        })
        .collect()
}

/// An open shift: every eligible colleague (the projection finds them), never the actor.
pub fn open_shift(store: &str, shift: &ShiftData, eligible: &[String], actor: &str) -> Vec<Routed> {
    eligible
        .iter()
        .filter(|user| !user.is_empty() && user.as_str() != actor)
        .map(|user| {
            let key = format!("scheduling:open:{}:{}", shift.shift_id, shift.revision);
            let mut r = routed(key, user, Kind::OpenShift, &shift.shift_id);
            r.fields = fields([
                ("store_id", store.to_owned()),
                ("shift_id", shift.shift_id.clone()),
                ("start", shift.start_local.clone()),
                ("end", shift.end_local.clone()),
                ("department_id", shift.department_id.clone()),
                ("position", shift.position.clone()),
            ]);
            r
        })
        .collect()
}

/// One person told about one thing (swap offered to them, their request decided).
pub fn direct(
    source_key: String,
    recipient: &str,
    actor: &str,
    kind: Kind,
    pairs: BTreeMap<String, String>,
) -> Option<Routed> {
    if recipient.is_empty() || recipient == actor {
        return None;
    }
    let mut r = routed(source_key, recipient, kind, "");
    r.fields = pairs;
    Some(r)
}

#[cfg(test)]
#[path = "routing_tests.rs"]
mod tests;
