//! The roster in the timeline: a card in the store group when a week is published;
//! personal cards when someone's shifts change (before/after), when an open shift they
//! may claim appears, and when their claim or swap moves.

use std::collections::BTreeMap;

use breakroom_kit::{Result, envelope::RecordedCommit};
use breakroom_proto::{
    feed::v1::{self as pb, CardKind},
    scheduling::v1::{self as sc, roster_event::Event as Ro, shift_diff::Kind},
};
use sqlx::PgConnection;

use super::{
    cards::{Card, card_shift},
    occurred,
};
use crate::domain::store_group_id;

/// Scheduling's roster name of a roster aggregate id `<store>_<year>W<week>`.
fn roster_name(tenant: &str, store: &str, week: &str) -> String {
    let (year, number) = week.split_once('W').unwrap_or_default();
    format!("tenants/{tenant}/stores/{store}/rosters/{year}-W{number}")
}

/// Applies the `index`-th event of a roster commit.
pub async fn roster(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    index: usize,
    event: sc::RosterEvent,
) -> Result<()> {
    let (tenant, at) = (commit.tenant(), occurred(commit));
    let (store, week) = commit.aggregate_id().split_once('_').unwrap_or_default();
    let roster = roster_name(tenant, store, week);
    let base = format!("{}-{index}", commit.commit_id());
    match event.event {
        Some(Ro::Published(e)) => {
            let mut fields = BTreeMap::new();
            fields.insert("roster", roster.clone());
            fields.insert(
                "week",
                roster.rsplit('/').next().unwrap_or_default().to_owned(),
            );
            fields.insert("shift_count", e.shifts.len().to_string());
            fields.insert("employee_count", e.employees.len().to_string());
            Card::new(CardKind::RosterPublished, fields, vec![])
                .insert(conn, tenant, &base, &store_group_id(store), "", at)
                .await?;
            for shift in e.shifts.iter().filter(|s| s.employee_id.is_empty()) {
                open_shift(conn, commit, store, shift).await?;
            }
        }
        Some(Ro::Amended(e)) => {
            for employee in &e.employees {
                let changes = employee
                    .changes
                    .iter()
                    .map(|d| pb::CardShiftChange {
                        change: match d.kind() {
                            Kind::Added => "added",
                            Kind::Removed => "removed",
                            _ => "changed",
                        }
                        .into(),
                        before: d.before.as_ref().map(|s| card_shift(store, s)),
                        after: d.after.as_ref().map(|s| card_shift(store, s)),
                    })
                    .collect();
                let mut fields = BTreeMap::new();
                fields.insert("roster", roster.clone());
                fields.insert("reason", e.reason.clone());
                let id = format!("{base}-{}", employee.employee_id);
                Card::new(CardKind::ShiftsChanged, fields, changes)
                    .insert(conn, tenant, &id, "", &employee.employee_id, at)
                    .await?;
            }
            for shift in e.upserted.iter().filter(|s| s.employee_id.is_empty()) {
                open_shift(conn, commit, store, shift).await?;
            }
        }
        Some(Ro::ShiftClaimed(e)) => {
            sqlx::query(
                "INSERT INTO card_claims (tenant, claim_id, shift_id, claimant_id) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(&e.claim_id)
            .bind(&e.shift_id)
            .bind(&e.claimant_id)
            .execute(&mut *conn)
            .await?;
            claim(conn, commit, &base, &e.claim_id, "pending", "").await?;
        }
        Some(Ro::ClaimDecided(e)) => {
            let status = if e.approved { "approved" } else { "rejected" };
            claim(conn, commit, &base, &e.claim_id, status, &e.reason).await?;
        }
        Some(Ro::ShiftOffered(e)) => {
            sqlx::query(
                "INSERT INTO card_swaps (tenant, swap_id, shift_id, offered_by, offered_to) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(&e.swap_id)
            .bind(&e.shift_id)
            .bind(&e.offered_by)
            .bind(&e.offered_to)
            .execute(&mut *conn)
            .await?;
            if !e.offered_to.is_empty() {
                swap(conn, commit, &base, &e.swap_id, "offered", &[&e.offered_to]).await?;
            }
        }
        Some(Ro::SwapAccepted(e)) => {
            sqlx::query(
                "UPDATE card_swaps SET accepted_by = $3 WHERE tenant = $1 AND swap_id = $2",
            )
            .bind(tenant)
            .bind(&e.swap_id)
            .bind(&e.accepted_by)
            .execute(&mut *conn)
            .await?;
            swap(conn, commit, &base, &e.swap_id, "accepted", &["offered_by"]).await?;
        }
        Some(Ro::SwapDecided(e)) => {
            let status = if e.approved { "approved" } else { "rejected" };
            swap(
                conn,
                commit,
                &base,
                &e.swap_id,
                status,
                &["offered_by", "accepted_by"],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// An OPEN_SHIFT card for everyone who may claim `shift`: people of the store (not
/// offboarded, employees and team leads) whose membership covers its department. One
/// card per shift and person, written by one statement whatever the store's size.
async fn open_shift(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    store: &str,
    shift: &sc::ShiftData,
) -> Result<()> {
    let tenant = commit.tenant();
    let change = pb::CardShiftChange {
        change: "open".into(),
        before: None,
        after: Some(card_shift(store, shift)),
    };
    let mut fields = BTreeMap::new();
    fields.insert(
        "shift",
        format!("tenants/{tenant}/stores/{store}/shifts/{}", shift.shift_id),
    );
    let card = Card::new(CardKind::OpenShift, fields, vec![change]);
    sqlx::query(
        "INSERT INTO posts (tenant, id, group_id, recipient_id, kind, card, create_time) \
         SELECT DISTINCT $1, 'open-' || $3 || '-' || m.user_id, '', m.user_id, 'card', $5::bytea, $6 \
         FROM kit_directory_memberships m \
         JOIN kit_directory_users u ON u.tenant = m.tenant AND u.id = m.user_id \
         WHERE m.tenant = $1 AND m.store_id = $2 AND u.state <> 'deactivated' \
         AND m.role IN ('employee', 'team_lead') \
         AND (m.department_id = '' OR $4 = '' OR m.department_id = $4) \
         ON CONFLICT (tenant, id) DO NOTHING",
    )
    .bind(tenant)
    .bind(store)
    .bind(&shift.shift_id)
    .bind(&shift.department_id)
    .bind(card.encoded())
    .bind(occurred(commit))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn claim(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    base: &str,
    claim_id: &str,
    status: &str,
    reason: &str,
) -> Result<()> {
    let found: Option<(String, String)> = sqlx::query_as(
        "SELECT shift_id, claimant_id FROM card_claims WHERE tenant = $1 AND claim_id = $2",
    )
    .bind(commit.tenant())
    .bind(claim_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((shift, claimant)) = found else {
        return Ok(());
    };
    let mut fields = BTreeMap::new();
    fields.insert("claim_id", claim_id.to_owned());
    fields.insert("shift_id", shift);
    fields.insert("status", status.to_owned());
    fields.insert("reason", reason.to_owned());
    Card::new(CardKind::ClaimUpdate, fields, vec![])
        .insert(
            conn,
            commit.tenant(),
            &format!("{base}-{claimant}"),
            "",
            &claimant,
            occurred(commit),
        )
        .await
}

/// A SWAP_UPDATE card for the swap's people named by `to` (`offered_by`, `accepted_by`,
/// or a user id).
async fn swap(
    conn: &mut PgConnection,
    commit: &RecordedCommit,
    base: &str,
    swap_id: &str,
    status: &str,
    to: &[&str],
) -> Result<()> {
    let found: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT shift_id, offered_by, offered_to, accepted_by FROM card_swaps \
         WHERE tenant = $1 AND swap_id = $2",
    )
    .bind(commit.tenant())
    .bind(swap_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((shift, offered_by, offered_to, accepted_by)) = found else {
        return Ok(());
    };
    let mut fields = BTreeMap::new();
    fields.insert("swap_id", swap_id.to_owned());
    fields.insert("shift_id", shift);
    fields.insert("status", status.to_owned());
    fields.insert("offered_by", offered_by.clone());
    fields.insert("offered_to", offered_to);
    fields.insert("accepted_by", accepted_by.clone());
    let card = Card::new(CardKind::SwapUpdate, fields, vec![]);
    for who in to {
        let user = match *who {
            "offered_by" => offered_by.as_str(),
            "accepted_by" => accepted_by.as_str(),
            user => user,
        };
        if !user.is_empty() {
            let id = format!("{base}-{user}");
            card.insert(conn, commit.tenant(), &id, "", user, occurred(commit))
                .await?;
        }
    }
    Ok(())
}
