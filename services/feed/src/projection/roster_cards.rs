//! The roster in the timeline: a card in the store group when a week is published and a
//! personal one for each scheduled employee ("your week is out", with their shifts);
//! personal cards when someone's shifts change (before/after), when an open shift they
//! may claim appears, and when their claim or swap moves.
//!
//! Published and amended cards are collected in the batch's `CardRows` and written in
//! bulk; their ids derive from the commit, the event's index and the person, so a
//! replayed commit adds nothing. Scheduling publishes a week once (publishing it again
//! decides nothing), so there is one personal week card per person and publication;
//! later changes arrive as SHIFTS_CHANGED cards and the week card stays the
//! publication's snapshot. Should scheduling ever record another publication of a week,
//! it is another commit and so another card.

use std::collections::{BTreeMap, BTreeSet};

use breakroom_base::Result;
use breakroom_directory::{Role, UserState};
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::{
    feed::v1::{self as pb, CardKind},
    scheduling::v1::{self as sc, roster_event::Event as Ro, shift_diff::Kind},
};
use sqlx::PgConnection;

use super::{
    card_rows::CardRows,
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
    rows: &mut CardRows,
) -> Result<()> {
    let (tenant, at) = (commit.tenant(), occurred(commit));
    let (store, week) = commit.aggregate_id().split_once('_').unwrap_or_default();
    let roster = roster_name(tenant, store, week);
    let base = format!("{}-{index}", commit.commit_id());
    match event.event {
        Some(Ro::Published(e)) => {
            let week = roster.rsplit('/').next().unwrap_or_default().to_owned();
            let mut fields = BTreeMap::new();
            fields.insert("roster", roster.clone());
            fields.insert("week", week.clone());
            fields.insert("shift_count", e.shifts.len().to_string());
            fields.insert("employee_count", e.employees.len().to_string());
            let card = Card::new(CardKind::RosterPublished, fields, vec![]);
            rows.push(&card, tenant, base.clone(), store_group_id(store), "", at);
            for employee in &e.employees {
                let card = personal_week(tenant, store, &roster, &week, employee);
                let id = format!("{base}-{}", employee.employee_id);
                rows.push(&card, tenant, id, String::new(), &employee.employee_id, at);
            }
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
                let card = Card::new(CardKind::ShiftsChanged, fields, changes);
                rows.push(&card, tenant, id, String::new(), &employee.employee_id, at);
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

/// The PERSONAL_ROSTER card of one scheduled employee: their shifts of the week, by start,
/// with their count and paid time.
fn personal_week(
    tenant: &str,
    store: &str,
    roster: &str,
    week: &str,
    employee: &sc::EmployeeChanges,
) -> Card {
    let mut shifts: Vec<&sc::ShiftData> = employee
        .changes
        .iter()
        .filter_map(|d| d.after.as_ref())
        .collect();
    shifts.sort_by(|a, b| (&a.start_local, &a.shift_id).cmp(&(&b.start_local, &b.shift_id)));
    let mut fields = BTreeMap::new();
    fields.insert("roster", roster.to_owned());
    fields.insert("store", format!("tenants/{tenant}/stores/{store}"));
    fields.insert("week", week.to_owned());
    fields.insert("shift_count", shifts.len().to_string());
    let paid: i64 = shifts.iter().map(|s| paid_minutes(s)).sum();
    fields.insert("paid_minutes", paid.to_string());
    let changes = shifts
        .into_iter()
        .map(|s| pb::CardShiftChange {
            change: "added".into(),
            before: None,
            after: Some(card_shift(store, s)),
        })
        .collect();
    Card::new(CardKind::PersonalRoster, fields, changes)
}

/// Paid minutes of a shift: the time between its instants (so a night over a DST change
/// counts its real length) less the unpaid break, never negative.
fn paid_minutes(shift: &sc::ShiftData) -> i64 {
    let seconds = |t: Option<&prost_types::Timestamp>| t.map_or(0, |t| t.seconds);
    let length = (seconds(shift.end_time.as_ref()) - seconds(shift.start_time.as_ref())) / 60;
    (length - i64::from(shift.unpaid_break_minutes)).max(0)
}

/// An OPEN_SHIFT card for everyone who may claim `shift`: people of the store (not
/// offboarded, employees and team leads) whose membership covers its department (read
/// from the directory). One card per shift and person, written by one statement whatever
/// the store's size.
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
    let recipients: BTreeSet<String> =
        breakroom_directory::read::store_members(&mut *conn, tenant, store)
            .await?
            .into_iter()
            .filter(|m| {
                m.state != UserState::Deactivated
                    && matches!(m.role, Role::Employee | Role::TeamLead)
                    && m.covers(&shift.department_id)
            })
            .map(|m| m.user)
            .collect();
    let recipients: Vec<String> = recipients.into_iter().collect();
    sqlx::query(
        "INSERT INTO posts (tenant, id, group_id, recipient_id, kind, card, create_time) \
         SELECT $1, 'open-' || $2 || '-' || u, '', u, 'card', $4::bytea, $5 \
         FROM UNNEST($3::text[]) AS u \
         ON CONFLICT (tenant, id) DO NOTHING",
    )
    .bind(tenant)
    .bind(&shift.shift_id)
    .bind(&recipients)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn shift(id: &str, start: i64, end: i64, unpaid_break: i32) -> sc::ShiftData {
        sc::ShiftData {
            shift_id: id.into(),
            employee_id: "eva".into(),
            start_local: format!("2026-12-0{id}T09:00"),
            start_time: Some(prost_types::Timestamp {
                seconds: start,
                nanos: 0,
            }),
            end_time: Some(prost_types::Timestamp {
                seconds: end,
                nanos: 0,
            }),
            unpaid_break_minutes: unpaid_break,
            ..Default::default()
        }
    }

    #[test]
    fn paid_time_is_the_length_between_the_instants_less_the_unpaid_break() {
        assert_eq!(paid_minutes(&shift("1", 0, 8 * 3600, 30)), 450);
        // A night over the October change: nine hours between the instants.
        assert_eq!(paid_minutes(&shift("1", 0, 9 * 3600, 0)), 540);
        assert_eq!(paid_minutes(&shift("1", 0, 600, 30)), 0);
    }

    #[test]
    fn a_personal_week_card_lists_the_employees_shifts_by_start_with_their_totals() {
        let employee = sc::EmployeeChanges {
            employee_id: "eva".into(),
            changes: [shift("3", 0, 4 * 3600, 0), shift("1", 0, 8 * 3600, 30)]
                .into_iter()
                .map(|s| sc::ShiftDiff {
                    kind: Kind::Added as i32,
                    before: None,
                    after: Some(s),
                })
                .collect(),
            notice_id: "n".into(),
        };
        let card = personal_week("acme", "s1", "r", "2026-W49", &employee).0;
        assert_eq!(card.kind, CardKind::PersonalRoster as i32);
        assert_eq!(card.fields["shift_count"], "2");
        assert_eq!(card.fields["paid_minutes"], (450 + 240).to_string());
        assert_eq!(card.fields["store"], "tenants/acme/stores/s1");
        assert_eq!(card.fields["week"], "2026-W49");
        let starts: Vec<&str> = card
            .shift_changes
            .iter()
            .map(|c| c.after.as_ref().unwrap().shift_id.as_str())
            .collect();
        assert_eq!(starts, ["1", "3"]);
    }
}
