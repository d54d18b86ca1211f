//! The acknowledgement report handler: GetAcknowledgementReport. Counts per store and
//! role, a page of readers, and that page as CSV.
//!
//! The CSV export is paged like the people (AIP-158): 150 bytes or so a reader make an
//! audience of 200,000 a 30 MB answer, far above gRPC's 4 MiB default message size. With
//! `csv` set a page defaults to the largest size (1,000 readers, so reports of that size
//! are still one answer), the header comes with the first page only, and pages are cut
//! by name and id, which never change once snapshotted: a reader who acknowledges while
//! an export is being read does not move between pages, so every reader appears on
//! exactly one. Within a page readers are ordered as always, not acknowledged first.

use breakroom_base::{
    Error,
    error::Violations,
    paging::{MAX_PAGE, Page},
};
use breakroom_directory::Role;
use breakroom_proto::feed::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, announcements::post_ref};
use crate::{
    app::{App, announcements::role_name},
    names,
    queries::{
        announcements::{self, EntryOrder, EntryRow, ReportFilter},
        timestamp,
    },
};

/// The header of the CSV export.
const CSV_HEADER: &str = "user,display_name,store,role,acknowledged,acknowledge_time\n";

/// Readers per page when the client names no size: 100, or with the CSV 1,000.
fn default_page(csv: bool) -> i32 {
    if csv { MAX_PAGE } else { 100 }
}

fn role_value(name: &str) -> i32 {
    Role::parse(name).map_or(0, |r| r.to_proto() as i32)
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
    let store = drill_down_store(&mut v, &at.tenant, &body.store);
    let role = match body.role {
        0 => "",
        value => role_name(value).unwrap_or_else(|| {
            v.add("role", "must be an identity Role value");
            ""
        }),
    };
    // A token continues the list it came from: people and CSV pages differ in order.
    let mut filter_key = format!("{}|{store}|{role}|{}", at.post, body.pending_only);
    if body.csv {
        filter_key.push_str("|csv");
    }
    let page = v.check(Page::parse_with_default(
        body.page_size,
        &body.page_token,
        &filter_key,
        default_page(body.csv),
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
        announcements::rollup(app.read().pool(), &at.tenant, &at.post, &filter).await?;
    let order = order_after(&page, body.csv);
    let rows = announcements::entries(
        app.read().pool(),
        &at.tenant,
        &at.post,
        &filter,
        &order,
        Some(page.limit()),
    )
    .await?;
    let (mut rows, next_page_token) = page.finish(rows, |e| cursor(&order, e));
    // Within a page, always not acknowledged first (a stable sort keeps the database's
    // order by name): a report of one page reads as it did before the CSV was paged.
    rows.sort_by_key(|e| e.acknowledged);
    let csv = if body.csv {
        csv(&at.tenant, &rows, body.page_token.is_empty())
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

/// The store id of the `store` drill-down (empty: all).
fn drill_down_store(v: &mut Violations, tenant: &str, store: &str) -> String {
    if store.is_empty() {
        return String::new();
    }
    match names::store("store", store) {
        Ok((t, s)) if t == tenant => s,
        Ok(_) => {
            v.add("store", "must be a store of the announcement's tenant");
            String::new()
        }
        Err(e) => {
            v.check::<()>(Err(e));
            String::new()
        }
    }
}

/// The page's order (by name for the CSV, pending first otherwise) after the cursor of
/// the previous page.
fn order_after(page: &Page, csv: bool) -> EntryOrder {
    let after = match page.after_key() {
        (Some(key), id) => Some((key, id.to_owned())),
        (None, _) => None,
    };
    if csv {
        return EntryOrder::ByName(after.map(|(name, id)| (name.to_owned(), id)));
    }
    EntryOrder::PendingFirst(after.map(|(key, id)| {
        let (acked, name) = key.split_once('|').unwrap_or(("0", key));
        (acked == "1", name.to_owned(), id)
    }))
}

/// The cursor of a row in `order`.
fn cursor(order: &EntryOrder, e: &EntryRow) -> (String, String) {
    let key = match order {
        EntryOrder::ByName(_) => e.display_name.clone(),
        EntryOrder::PendingFirst(_) => format!("{}|{}", u8::from(e.acknowledged), e.display_name),
    };
    (key, e.user_id.clone())
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

/// A CSV field, quoted when it holds a separator, quote or line break. A value a
/// spreadsheet would run as a formula (a display name such as `=HYPERLINK(...)`, starting
/// with `=`, `+`, `-`, `@`, tab or CR) is prefixed with `'`, so it opens as text.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// `rows` as CSV lines, after the header when `first` (the first page).
fn csv(tenant: &str, rows: &[EntryRow], first: bool) -> String {
    let mut out = String::with_capacity(150 * (rows.len() + 1));
    if first {
        out.push_str(CSV_HEADER);
    }
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

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn a_name_a_spreadsheet_would_run_as_a_formula_opens_as_text() {
        assert_eq!(csv_field("Ann de Vries"), "Ann de Vries");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+31 6"), "'+31 6");
        assert_eq!(csv_field("-5"), "'-5");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("Jansen, Piet"), "\"Jansen, Piet\"");
    }
}
