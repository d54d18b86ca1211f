//! Announcement handlers: AcknowledgePost, GetAcknowledgementReport,
//! SendAcknowledgementReminder.

use breakroom_kit::{Error, Result, directory::Role, error::Violations, paging::Page};
use breakroom_proto::feed::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, posts::view, written};
use crate::{
    app::{App, announcements::role_name, posts::PostRef},
    names,
    queries::{
        announcements::{self, EntryRow, ReportFilter},
        timestamp,
    },
};

fn post_ref(name: &str) -> Result<PostRef> {
    let (tenant, group, post) = names::post("name", name)?;
    Ok(PostRef {
        tenant,
        group,
        post,
    })
}

fn role_value(name: &str) -> i32 {
    Role::parse(name).map_or(0, |r| r.to_proto() as i32)
}

/// `AcknowledgePost`.
pub async fn acknowledge(
    app: &App,
    request: Request<pb::AcknowledgePostRequest>,
) -> Reply<pb::Post> {
    let caller = app.caller(&request).await?;
    let at = post_ref(&request.get_ref().name)?;
    app.may_take_part(&caller, &at).await?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let sequence = app.acknowledge(&caller, &at, &meta).await?;
    Ok(written(view(app, &caller, &at, sequence).await?, sequence))
}

fn entry(tenant: &str, e: &EntryRow) -> pb::AcknowledgementEntry {
    pb::AcknowledgementEntry {
        user: names::user_name(tenant, &e.user_id),
        display_name: e.display_name.clone(),
        store: names::store_name(tenant, &e.store_id),
        role: role_value(&e.role),
        acknowledged: e.acknowledged,
        acknowledge_time: e.acknowledge_time.map(timestamp),
    }
}

/// A CSV field, quoted when it holds a separator, quote or line break.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn csv(tenant: &str, rows: &[EntryRow]) -> String {
    let mut out = String::from("user,display_name,store,role,acknowledged,acknowledge_time\n");
    for e in rows {
        let line = [
            names::user_name(tenant, &e.user_id),
            e.display_name.clone(),
            names::store_name(tenant, &e.store_id),
            e.role.clone(),
            e.acknowledged.to_string(),
            e.acknowledge_time
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
        ];
        let fields: Vec<String> = line.iter().map(|f| csv_field(f)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// `GetAcknowledgementReport`.
pub async fn report(
    app: &App,
    request: Request<pb::GetAcknowledgementReportRequest>,
) -> Reply<pb::AcknowledgementReport> {
    let caller = app.caller(&request).await?;
    let body = request.get_ref();
    let at = post_ref(&body.name)?;
    let scope = app.report_scope(&caller, &at).await?;
    let mut v = Violations::new();
    let store = if body.store.is_empty() {
        String::new()
    } else {
        match names::store("store", &body.store) {
            Ok((t, s)) if t == at.tenant => s,
            Ok(_) => {
                v.add("store", "must be a store of the announcement's tenant");
                String::new()
            }
            Err(e) => {
                v.check::<()>(Err(e));
                String::new()
            }
        }
    };
    let role = match body.role {
        0 => "",
        value => role_name(value).unwrap_or_else(|| {
            v.add("role", "must be an identity Role value");
            ""
        }),
    };
    let filter_key = format!("{}|{store}|{role}|{}", at.post, body.pending_only);
    let page = v.check(Page::parse_with_default(
        body.page_size,
        &body.page_token,
        &filter_key,
        100,
    ));
    v.finish()?;
    let page = page.ok_or_else(|| Error::invalid("page_token", "invalid"))?;
    let filter = ReportFilter {
        revision: scope.post.acknowledgement_revision,
        scope: scope.stores,
        store,
        role: role.to_owned(),
        pending_only: body.pending_only,
    };
    let (rollups, total, acknowledged) =
        announcements::rollup(app.pool(), &at.tenant, &at.post, &filter).await?;
    let after = match page.after_key() {
        (Some(key), id) => {
            let (acked, name) = key.split_once('|').unwrap_or(("0", key));
            Some((acked == "1", name.to_owned(), id.to_owned()))
        }
        (None, _) => None,
    };
    let rows = announcements::entries(
        app.pool(),
        &at.tenant,
        &at.post,
        &filter,
        after,
        Some(page.limit()),
    )
    .await?;
    let (rows, next_page_token) = page.finish(rows, |e| {
        (
            format!("{}|{}", u8::from(e.acknowledged), e.display_name),
            e.user_id.clone(),
        )
    });
    let csv = if body.csv {
        let all =
            announcements::entries(app.pool(), &at.tenant, &at.post, &filter, None, None).await?;
        csv(&at.tenant, &all)
    } else {
        String::new()
    };
    Ok(Response::new(pb::AcknowledgementReport {
        post: at.name(),
        revision: filter.revision,
        total,
        acknowledged,
        rollups: rollups
            .into_iter()
            .map(|(store, store_display_name, role, total, acknowledged)| {
                pb::AcknowledgementRollup {
                    store: names::store_name(&at.tenant, &store),
                    store_display_name,
                    role: role_value(&role),
                    total,
                    acknowledged,
                }
            })
            .collect(),
        entries: rows.iter().map(|e| entry(&at.tenant, e)).collect(),
        next_page_token,
        csv,
    }))
}

/// `SendAcknowledgementReminder`.
pub async fn remind(
    app: &App,
    request: Request<pb::SendAcknowledgementReminderRequest>,
) -> Reply<pb::SendAcknowledgementReminderResponse> {
    let caller = app.caller(&request).await?;
    let at = post_ref(&request.get_ref().name)?;
    app.report_scope(&caller, &at).await?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let reminder = app.send_reminder(&caller, &at, &meta).await?;
    Ok(written(
        pb::SendAcknowledgementReminderResponse {
            reminder_id: reminder.id,
            recipient_count: reminder.recipients as i64,
        },
        reminder.sequence,
    ))
}
