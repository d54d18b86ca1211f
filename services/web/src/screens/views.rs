//! Posts, comments and roster cards as the templates show them: bodies rendered by the
//! shared markdown renderer, cards written in the reader's language from `kind` + `fields`
//! (feed writes no sentences).

use breakroom_proto::feed::v1::{
    self as pb, AcknowledgementState, CardKind, PostKind, ReactionKind,
};

use crate::{fmt, i18n::Tr};

/// A post in a list or on its page.
#[derive(Debug, Clone)]
pub struct PostView {
    /// `/posts/{group}/{post}`.
    pub path: String,
    /// Title (may be empty).
    pub title: String,
    /// Author's display name.
    pub author: String,
    /// When, in the chain's zone.
    pub when: String,
    /// The body as sanitized HTML.
    pub body_html: String,
    /// Reactions of every kind.
    pub reactions: i64,
    /// Whether the reader reacted.
    pub reacted: bool,
    /// Comments.
    pub comments: i64,
    /// An announcement.
    pub announcement: bool,
    /// The reader must still acknowledge it.
    pub pending: bool,
    /// The reader acknowledged it.
    pub acknowledged: bool,
    /// An announcement to confirm: its read-and-understood report for managers.
    pub report_path: Option<String>,
}

/// `/posts/{group}/{post}` for `tenants/{t}/groups/{g}/posts/{p}`.
pub fn post_path(name: &str) -> String {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["tenants", _, "groups", group, "posts", post] => format!("/posts/{group}/{post}"),
        _ => "/".to_owned(),
    }
}

impl PostView {
    /// The view of `post`.
    pub fn new(t: &Tr, post: &pb::Post, zone: &str) -> Self {
        let ack = post.my_acknowledgement();
        Self {
            path: post_path(&post.name),
            title: post.title.clone(),
            author: post.author_display_name.clone(),
            when: fmt::instant(t, post.create_time.as_ref(), zone),
            body_html: breakroom_markup::render_html(&post.body),
            reactions: post.reactions.iter().map(|r| r.count).sum(),
            reacted: post.my_reaction() != ReactionKind::Unspecified,
            comments: post.comment_count,
            announcement: post.kind() == PostKind::Announcement,
            pending: ack == AcknowledgementState::Pending,
            acknowledged: ack == AcknowledgementState::Acknowledged,
            report_path: (post.kind() == PostKind::Announcement
                && post.acknowledgement_revision > 0)
                .then(|| {
                    format!(
                        "/manage/announcements{}",
                        post_path(&post.name).trim_start_matches("/posts")
                    )
                }),
        }
    }
}

/// A comment.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// Author's display name.
    pub author: String,
    /// When.
    pub when: String,
    /// The body as sanitized HTML.
    pub body_html: String,
    /// A reply to another comment.
    pub reply: bool,
}

impl CommentView {
    /// The view of `comment`.
    pub fn new(t: &Tr, comment: &pb::Comment, zone: &str) -> Self {
        Self {
            author: comment.author_display_name.clone(),
            when: fmt::instant(t, comment.create_time.as_ref(), zone),
            body_html: breakroom_markup::render_html(&comment.body),
            reply: !comment.parent_comment.is_empty(),
        }
    }
}

/// A roster card.
#[derive(Debug, Clone)]
pub struct CardView {
    /// What it says.
    pub text: String,
    /// Its shifts, one line each.
    pub lines: Vec<String>,
    /// When it happened.
    pub when: String,
}

fn field<'a>(card: &'a pb::Card, key: &str) -> &'a str {
    card.fields.get(key).map_or("", String::as_str)
}

fn shift_line(t: &Tr, change: &pb::CardShiftChange) -> String {
    let side = |s: &Option<pb::CardShift>| {
        s.as_ref()
            .map(|s| fmt::shift_when(t, &s.start_local, &s.end_local))
            .unwrap_or_default()
    };
    match change.change.as_str() {
        "removed" => t.arg("change-removed", "before", side(&change.before)),
        "changed" => t.args(
            "change-changed",
            &[
                ("before", side(&change.before)),
                ("after", side(&change.after)),
            ],
        ),
        _ => side(&change.after),
    }
}

impl CardView {
    /// The view of `card`.
    pub fn new(t: &Tr, card: &pb::Card, zone: &str) -> Self {
        let status = |key: &str| t.get(&format!("status-{}", field(card, key)));
        let text = match card.kind() {
            CardKind::RosterPublished => t.args(
                "card-roster-published",
                &[
                    ("week", field(card, "week").into()),
                    ("shifts", field(card, "shift_count").into()),
                ],
            ),
            CardKind::ShiftsChanged => t.get("card-shifts-changed"),
            CardKind::OpenShift => t.get("card-open-shift"),
            CardKind::ClaimUpdate => t.arg("card-claim-update", "status", status("status")),
            CardKind::SwapUpdate => t.arg("card-swap-update", "status", status("status")),
            CardKind::TimeOffUpdate => t.args(
                "card-time-off-update",
                &[
                    ("status", status("status")),
                    ("start", field(card, "start_date").into()),
                    ("end", field(card, "end_date").into()),
                ],
            ),
            CardKind::Welcome => t.get("card-welcome"),
            CardKind::PersonalRoster => {
                let minutes: i64 = field(card, "paid_minutes").parse().unwrap_or(0);
                t.args(
                    "card-personal-roster",
                    &[
                        ("week", field(card, "week").into()),
                        ("shifts", field(card, "shift_count").into()),
                        ("paid", fmt::duration(t, minutes * 60)),
                    ],
                )
            }
            CardKind::Unspecified => t.get("card-unknown"),
        };
        let mut lines: Vec<String> = card
            .shift_changes
            .iter()
            .map(|c| shift_line(t, c))
            .collect();
        if card.kind() == CardKind::Welcome {
            lines = field(card, "steps")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|step| t.get(&format!("step-{}", step.trim())))
                .collect();
        }
        Self {
            text,
            lines,
            when: fmt::instant(t, card.create_time.as_ref(), zone),
        }
    }
}

/// One timeline entry: a post or a card.
#[derive(Debug, Clone)]
pub struct Item {
    /// The post.
    pub post: Option<PostView>,
    /// The card.
    pub card: Option<CardView>,
}
