//! Routing scheduling's events: a published week to each scheduled employee, amendments to
//! the affected employees, open shifts to those who may claim them, swap offers to their
//! target, decisions on swaps, claims and time off to who asked; a change acknowledged
//! clears its item. Routing remembers published shifts (open shifts, off-shift quiet) and
//! who asked for each swap, claim and time off (the decisions do not say).

use std::collections::{BTreeMap, BTreeSet};

use breakroom_base::Result;
use breakroom_directory::UserState;
use breakroom_events::envelope::RecordedCommit;
use breakroom_proto::scheduling::v1::{
    RosterEvent, ShiftData, TimeOffEvent, roster_event::Event as Ro, time_off_event::Event as To,
};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::actor_user;
use crate::{
    delivery::outbox,
    domain::{
        Kind,
        routing::{self, Routed},
    },
};

/// The notifications one scheduling commit makes.
pub async fn route(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<Vec<Routed>> {
    match commit.aggregate_type() {
        "roster" => roster(conn, commit).await,
        "time_off" => time_off(conn, commit).await,
        _ => Ok(Vec::new()),
    }
}

fn pairs<const N: usize>(items: [(&str, String); N]) -> BTreeMap<String, String> {
    items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn roster(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<Vec<Routed>> {
    let tenant = commit.tenant();
    let actor = actor_user(commit);
    // `<store id>_<year>W<week>`
    let (store, week) = commit
        .aggregate_id()
        .rsplit_once('_')
        .unwrap_or((commit.aggregate_id(), ""));
    let week = week.replace('W', "-W");
    let at = jiff::Timestamp::try_from(commit.occurred_at()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let mut out = Vec::new();
    for event in commit.events::<RosterEvent>()? {
        match event.event {
            Some(Ro::Published(p)) => {
                save_shifts(conn, tenant, store, &p.shifts).await?;
                for shift in &p.shifts {
                    if shift.employee_id.is_empty() {
                        let eligible = eligible(conn, tenant, store, &shift.department_id).await?;
                        out.extend(routing::open_shift(store, shift, &eligible, &actor));
                    }
                }
                out.extend(routing::roster_published(
                    store,
                    &week,
                    &p.employees,
                    &actor,
                ));
            }
            Some(Ro::Amended(a)) => {
                for shift in &a.upserted {
                    let before: Option<String> = sqlx::query_scalar(
                        "SELECT employee_id FROM route_shifts WHERE tenant = $1 AND shift_id = $2",
                    )
                    .bind(tenant)
                    .bind(&shift.shift_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                    save_shift(conn, tenant, store, shift).await?;
                    let newly_open =
                        shift.employee_id.is_empty() && before.is_none_or(|b| !b.is_empty());
                    if newly_open {
                        let eligible = eligible(conn, tenant, store, &shift.department_id).await?;
                        out.extend(routing::open_shift(store, shift, &eligible, &actor));
                    }
                }
                sqlx::query("DELETE FROM route_shifts WHERE tenant = $1 AND shift_id = ANY($2)")
                    .bind(tenant)
                    .bind(&a.removed_shift_ids)
                    .execute(&mut *conn)
                    .await?;
                out.extend(routing::shifts_amended(&a.employees, &actor, at));
            }
            Some(Ro::ShiftOffered(o)) => {
                remember(conn, tenant, &format!("swap:{}", o.swap_id), &o.offered_by).await?;
                out.extend(routing::direct(
                    format!("scheduling:swap_offered:{}", o.swap_id),
                    &o.offered_to,
                    &actor,
                    Kind::SwapOffered,
                    pairs([
                        ("swap_id", o.swap_id.clone()),
                        ("shift_id", o.shift_id.clone()),
                        ("offered_by", o.offered_by.clone()),
                    ]),
                ));
            }
            Some(Ro::SwapDecided(d)) => {
                let requester = requester(conn, tenant, &format!("swap:{}", d.swap_id)).await?;
                out.extend(routing::direct(
                    format!("scheduling:swap_decided:{}", d.swap_id),
                    &requester,
                    &actor,
                    Kind::SwapDecided,
                    pairs([
                        ("swap_id", d.swap_id.clone()),
                        ("approved", d.approved.to_string()),
                        ("reason", d.reason.clone()),
                    ]),
                ));
            }
            Some(Ro::ShiftClaimed(c)) => {
                remember(
                    conn,
                    tenant,
                    &format!("claim:{}", c.claim_id),
                    &c.claimant_id,
                )
                .await?;
            }
            Some(Ro::ClaimDecided(d)) => {
                let requester = requester(conn, tenant, &format!("claim:{}", d.claim_id)).await?;
                out.extend(routing::direct(
                    format!("scheduling:claim_decided:{}", d.claim_id),
                    &requester,
                    &actor,
                    Kind::ClaimDecided,
                    pairs([
                        ("claim_id", d.claim_id.clone()),
                        ("approved", d.approved.to_string()),
                        ("reason", d.reason.clone()),
                    ]),
                ));
            }
            Some(Ro::ChangeAcknowledged(a)) => {
                outbox::acknowledged(
                    conn,
                    tenant,
                    &a.employee_id,
                    &a.notice_id,
                    commit.occurred_at(),
                )
                .await?;
            }
            _ => {}
        }
    }
    Ok(out)
}

async fn time_off(conn: &mut PgConnection, commit: &RecordedCommit) -> Result<Vec<Routed>> {
    let (tenant, id) = (commit.tenant(), commit.aggregate_id());
    let key = format!("time_off:{id}");
    let mut out = Vec::new();
    for event in commit.events::<TimeOffEvent>()? {
        match event.event {
            Some(To::Requested(r)) => {
                sqlx::query(
                    "INSERT INTO route_requests (tenant, key, requester, detail) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (tenant, key) DO UPDATE SET requester = $3, detail = $4",
                )
                .bind(tenant)
                .bind(&key)
                .bind(&r.employee_id)
                .bind(serde_json::json!({ "start_date": r.start_date, "end_date": r.end_date }))
                .execute(&mut *conn)
                .await?;
            }
            Some(To::Decided(d)) => {
                let row: Option<(String, serde_json::Value)> = sqlx::query_as(
                    "SELECT requester, detail FROM route_requests WHERE tenant = $1 AND key = $2",
                )
                .bind(tenant)
                .bind(&key)
                .fetch_optional(&mut *conn)
                .await?;
                let (requester, detail) = row.unwrap_or_default();
                let text = |k: &str| {
                    detail
                        .get(k)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_owned()
                };
                out.extend(routing::direct(
                    format!("scheduling:time_off_decided:{id}"),
                    &requester,
                    &actor_user(commit),
                    Kind::TimeOffDecided,
                    pairs([
                        ("request_id", id.to_owned()),
                        ("approved", d.approved.to_string()),
                        ("start_date", text("start_date")),
                        ("end_date", text("end_date")),
                    ]),
                ));
            }
            None => {}
        }
    }
    Ok(out)
}

fn instant(t: &Option<prost_types::Timestamp>) -> DateTime<Utc> {
    t.as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .unwrap_or_default()
}

/// Remembers a published week's shifts in one statement (a week of a store is ~300).
async fn save_shifts(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    shifts: &[ShiftData],
) -> Result<()> {
    let column = |f: fn(&ShiftData) -> &String| -> Vec<&str> {
        shifts.iter().map(|s| f(s).as_str()).collect()
    };
    let starts: Vec<DateTime<Utc>> = shifts.iter().map(|s| instant(&s.start_time)).collect();
    let ends: Vec<DateTime<Utc>> = shifts.iter().map(|s| instant(&s.end_time)).collect();
    sqlx::query(
        "INSERT INTO route_shifts (tenant, shift_id, store_id, employee_id, department_id, start_time, end_time) \
         SELECT $1, s.id, $2, s.employee, s.department, s.starts, s.ends \
         FROM UNNEST($3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[]) \
           AS s(id, employee, department, starts, ends) \
         ON CONFLICT (tenant, shift_id) DO UPDATE SET store_id = EXCLUDED.store_id, \
           employee_id = EXCLUDED.employee_id, department_id = EXCLUDED.department_id, \
           start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time",
    )
    .bind(tenant)
    .bind(store)
    .bind(column(|s| &s.shift_id))
    .bind(column(|s| &s.employee_id))
    .bind(column(|s| &s.department_id))
    .bind(&starts)
    .bind(&ends)
    .execute(conn)
    .await?;
    Ok(())
}

async fn save_shift(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    s: &ShiftData,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO route_shifts (tenant, shift_id, store_id, employee_id, department_id, start_time, end_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, shift_id) DO UPDATE SET \
         store_id = $3, employee_id = $4, department_id = $5, start_time = $6, end_time = $7",
    )
    .bind(tenant)
    .bind(&s.shift_id)
    .bind(store)
    .bind(&s.employee_id)
    .bind(&s.department_id)
    .bind(instant(&s.start_time))
    .bind(instant(&s.end_time))
    .execute(conn)
    .await?;
    Ok(())
}

async fn remember(conn: &mut PgConnection, tenant: &str, key: &str, requester: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO route_requests (tenant, key, requester, detail) VALUES ($1, $2, $3, '{}') \
         ON CONFLICT (tenant, key) DO UPDATE SET requester = $3",
    )
    .bind(tenant)
    .bind(key)
    .bind(requester)
    .execute(conn)
    .await?;
    Ok(())
}

async fn requester(conn: &mut PgConnection, tenant: &str, key: &str) -> Result<String> {
    let requester: Option<String> =
        sqlx::query_scalar("SELECT requester FROM route_requests WHERE tenant = $1 AND key = $2")
            .bind(tenant)
            .bind(key)
            .fetch_optional(conn)
            .await?;
    Ok(requester.unwrap_or_default())
}

/// Active people of `store` whose membership fits `department` (as scheduling's claim
/// rule: the whole store, or the shift's department, or a shift for the whole store),
/// each once, by id.
async fn eligible(
    conn: &mut PgConnection,
    tenant: &str,
    store: &str,
    department: &str,
) -> Result<Vec<String>> {
    let people: BTreeSet<String> = breakroom_directory::read::store_members(conn, tenant, store)
        .await?
        .into_iter()
        .filter(|m| m.state == UserState::Active && m.covers(department))
        .map(|m| m.user)
        .collect();
    Ok(people.into_iter().collect())
}
