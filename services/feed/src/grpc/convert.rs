//! Proto <-> domain: request validation (every field violation collected) and the wire
//! views of groups, posts, cards and comments.

use breakroom_base::{error::Violations, names::check_token};
use breakroom_directory::Role;
use breakroom_proto::feed::v1::{self as pb, PostKind};
use prost::Message;

use crate::{
    app::access::GroupAccess,
    domain::{attachment::AttachmentUri, markup, post::Content},
    names,
    queries::{comments::CommentRow, groups::GroupRow, posts::PostRow, timestamp},
};

/// Longest title.
pub const MAX_TITLE: usize = 200;
/// Longest post body.
pub const MAX_BODY: usize = 10_000;
/// Longest comment.
pub const MAX_COMMENT: usize = 4_000;
/// Most attachments per post.
pub const MAX_ATTACHMENTS: usize = 10;
/// Most mentions per post or comment.
pub const MAX_MENTIONS: usize = 50;

/// Checks a text's length in characters.
pub fn text(v: &mut Violations, field: &str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if n < min || n > max {
        if min > 0 && n == 0 {
            v.add(field, format!("is required (1-{max} characters)"));
        } else {
            v.add(field, format!("must be {min}-{max} characters, is {n}"));
        }
    }
}

/// Checks a body with the CommonMark parser clients render it with (`domain::markup`):
/// one violation per refused construct, naming it.
pub fn markdown(v: &mut Violations, field: &str, value: &str) {
    for refused in markup::refusals(value) {
        v.add(field, refused.to_string());
    }
}

/// User ids of `tenants/{t}/users/{u}` names of the caller's tenant.
pub fn mentions(v: &mut Violations, field: &str, tenant: &str, list: &[String]) -> Vec<String> {
    if list.len() > MAX_MENTIONS {
        v.add(field, format!("at most {MAX_MENTIONS}"));
    }
    let mut ids = Vec::new();
    for (i, name) in list.iter().enumerate() {
        match names::user(&format!("{field}[{i}]"), name) {
            Ok((t, user)) if t == tenant => ids.push(user),
            Ok(_) => v.add(format!("{field}[{i}]"), "must be a person of this tenant"),
            Err(e) => {
                v.check::<()>(Err(e));
            }
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

/// A post's content from the request, validated.
pub fn content(v: &mut Violations, tenant: &str, post: &pb::Post, announcement: bool) -> Content {
    text(
        v,
        "post.title",
        &post.title,
        usize::from(announcement),
        MAX_TITLE,
    );
    text(v, "post.body", &post.body, 0, MAX_BODY);
    markdown(v, "post.body", &post.body);
    if post.body.trim().is_empty() && post.attachments.is_empty() {
        v.add("post.body", "is required unless there are attachments");
    }
    if post.attachments.len() > MAX_ATTACHMENTS {
        v.add("post.attachments", format!("at most {MAX_ATTACHMENTS}"));
    }
    for (i, a) in post.attachments.iter().enumerate() {
        let field = format!("post.attachments[{i}]");
        if let Err(refused) = AttachmentUri::parse(&a.uri) {
            v.add(format!("{field}.uri"), refused.to_string());
        }
        if !a.media_type.contains('/') || a.media_type.len() > 100 {
            v.add(
                format!("{field}.media_type"),
                "must be a media type such as image/jpeg",
            );
        }
        if a.size_bytes < 0 || a.width < 0 || a.height < 0 {
            v.add(field, "size and dimensions must not be negative");
        }
    }
    Content {
        title: post.title.clone(),
        body: post.body.clone(),
        attachments: post.attachments.clone(),
        mention_ids: mentions(v, "post.mentions", tenant, &post.mentions),
    }
}

/// An announcement's settings from the request, validated.
pub fn announcement(v: &mut Violations, a: &pb::Announcement) -> pb::Announcement {
    let audience = a.audience.clone().unwrap_or_default();
    for (i, store) in audience.store_ids.iter().enumerate() {
        if check_token("", store).is_err() {
            v.add(
                format!("post.announcement.audience.store_ids[{i}]"),
                "not a store id",
            );
        }
    }
    for (i, role) in audience.roles.iter().enumerate() {
        if matches!(Role::from_proto(*role), None | Some(Role::Integration)) {
            v.add(
                format!("post.announcement.audience.roles[{i}]"),
                "must be identity's ROLE_EMPLOYEE, ROLE_TEAM_LEAD, ROLE_STORE_MANAGER or ROLE_HQ_ADMIN",
            );
        }
    }
    for (i, region) in audience.regions.iter().enumerate() {
        if region.is_empty() || region.len() > 100 {
            v.add(
                format!("post.announcement.audience.regions[{i}]"),
                "1-100 characters",
            );
        }
    }
    for (i, department) in audience.department_ids.iter().enumerate() {
        if department.is_empty() || department.len() > 64 {
            v.add(
                format!("post.announcement.audience.department_ids[{i}]"),
                "not a department id",
            );
        }
    }
    if let Some(due) = &a.due_time
        && (due.seconds <= 0 || due.nanos < 0)
    {
        v.add("post.announcement.due_time", "must be a valid instant");
    }
    pb::Announcement {
        audience: Some(audience),
        ..a.clone()
    }
}

/// A group as the caller sees it.
pub fn group(tenant: &str, row: &GroupRow, access: &GroupAccess, unread: i64) -> pb::Group {
    pb::Group {
        name: names::group_name(tenant, &row.id),
        kind: row.kind as i32,
        display_name: row.display_name.clone(),
        description: row.description.clone(),
        store: names::store_name(tenant, &row.store_id),
        department_id: row.department_id.clone(),
        posting_policy: row.posting_policy as i32,
        can_post: access.can_post(row),
        is_admin: access.admin,
        unread_count: unread,
        create_time: Some(timestamp(row.create_time)),
    }
}

/// A post row as the reader sees it.
pub fn post(tenant: &str, row: &PostRow) -> pb::Post {
    let attachments = row
        .attachments
        .as_deref()
        .and_then(|b| pb::Post::decode(b).ok())
        .map(|p| p.attachments)
        .unwrap_or_default();
    let announcement = row
        .announcement
        .as_deref()
        .and_then(|b| pb::Announcement::decode(b).ok());
    let my_acknowledgement = match row.my_acknowledged {
        Some(acked) if row.requires_ack && acked >= row.ack_revision => {
            pb::AcknowledgementState::Acknowledged
        }
        Some(_) if row.requires_ack => pb::AcknowledgementState::Pending,
        _ => pb::AcknowledgementState::Unspecified,
    };
    pb::Post {
        name: names::post_name(tenant, &row.group_id, &row.id),
        kind: if announcement.is_some() {
            PostKind::Announcement
        } else {
            PostKind::Post
        } as i32,
        author: names::user_name(tenant, &row.author_id),
        author_display_name: row.author_display_name.clone().unwrap_or_default(),
        title: row.title.clone(),
        body: row.body.clone(),
        attachments,
        mentions: row
            .mention_ids
            .iter()
            .map(|u| names::user_name(tenant, u))
            .collect(),
        announcement,
        revision: row.revision,
        pinned: row.pinned,
        hidden: row.hidden,
        comment_count: row.comment_count,
        reactions: row
            .reaction_counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| pb::ReactionCount {
                kind: i as i32 + 1,
                count: *n,
            })
            .collect(),
        my_reaction: row.my_reaction.unwrap_or_default(),
        my_acknowledgement: my_acknowledgement as i32,
        create_time: Some(timestamp(row.create_time)),
        update_time: row.update_time.map(timestamp),
        acknowledgement_revision: if row.requires_ack {
            row.ack_revision
        } else {
            0
        },
    }
}

/// A post as its events say (the read model's counts and the reader's own state unknown).
pub fn post_of(at: &crate::app::posts::PostRef, post: &crate::domain::post::Post) -> pb::Post {
    pb::Post {
        name: at.name(),
        kind: if post.announcement.is_some() {
            PostKind::Announcement
        } else {
            PostKind::Post
        } as i32,
        author: names::user_name(&at.tenant, &post.author_id),
        title: post.title.clone(),
        body: post.body.clone(),
        attachments: post.attachments.clone(),
        mentions: post
            .mention_ids
            .iter()
            .map(|u| names::user_name(&at.tenant, u))
            .collect(),
        announcement: post.announcement.clone(),
        revision: post.revision,
        pinned: post.pinned,
        hidden: post.hidden,
        acknowledgement_revision: if post.requires_acknowledgement() {
            post.acknowledgement_revision
        } else {
            0
        },
        ..Default::default()
    }
}

/// A timeline entry: a post, or a card.
pub fn item(tenant: &str, row: &PostRow) -> pb::TimelineItem {
    let group = if row.group_id.is_empty() {
        String::new()
    } else {
        names::group_name(tenant, &row.group_id)
    };
    let item = if row.kind == "card" {
        let mut card = row
            .card
            .as_deref()
            .and_then(|b| pb::Card::decode(b).ok())
            .unwrap_or_default();
        card.name = names::card_name(tenant, &row.group_id, &row.recipient_id, &row.id);
        card.create_time = Some(timestamp(row.create_time));
        pb::timeline_item::Item::Card(card)
    } else {
        pb::timeline_item::Item::Post(post(tenant, row))
    };
    pb::TimelineItem {
        item: Some(item),
        group,
    }
}

/// A comment.
pub fn comment(tenant: &str, group: &str, row: &CommentRow) -> pb::Comment {
    pb::Comment {
        name: names::comment_name(tenant, group, &row.post_id, &row.id),
        parent_comment: if row.parent_id.is_empty() {
            String::new()
        } else {
            names::comment_name(tenant, group, &row.post_id, &row.parent_id)
        },
        author: names::user_name(tenant, &row.author_id),
        author_display_name: row.author_display_name.clone().unwrap_or_default(),
        body: row.body.clone(),
        mentions: row
            .mention_ids
            .iter()
            .map(|u| names::user_name(tenant, u))
            .collect(),
        create_time: Some(timestamp(row.create_time)),
    }
}
