//! Open-shift claims and shift swaps of a store (or of one of its shifts), each with the
//! shift it is about as the read model holds it now, newest first, narrowed to what the
//! viewer may see.
//!
//! A claim or swap whose shift has since been removed is not listed: nobody can act on it
//! any more (deciding it answers NOT_FOUND).

use breakroom_base::{Result, paging::Page};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::shifts::{ShiftRow, columns_of};
use crate::domain::roster::{ClaimStatus, SwapStatus};

/// Where to list: a store's claims or swaps, or one shift's.
#[derive(Debug, Clone)]
pub struct ListScope<'a> {
    /// Tenant id.
    pub tenant: &'a str,
    /// Store id.
    pub store: &'a str,
    /// One shift of the store; `None` for all of them.
    pub shift: Option<&'a str>,
}

/// What one person may see of a store's claims and swaps.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// Planners of the store see everything.
    pub everything: bool,
    /// The caller's id: their own claims, and the swaps they offered, were offered or
    /// accepted.
    pub user: String,
    /// The caller works in the store (holds a role there): only members accept offers.
    pub member: bool,
    /// The caller works in the whole store: every open offer is for them.
    pub whole_store: bool,
    /// The departments the caller works in at the store: open offers of shifts of these
    /// departments (or of the whole store) are for them.
    pub departments: Vec<String>,
}

/// A claim with its shift.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimRow {
    /// Claim id.
    pub claim_id: String,
    /// Who claimed.
    pub claimant_id: String,
    /// `pending`, `approved` or `rejected`.
    pub claim_state: String,
    /// When it was claimed.
    pub claim_create_time: DateTime<Utc>,
    /// The shift as it is now.
    #[sqlx(flatten)]
    pub shift: ShiftRow,
}

impl ClaimRow {
    /// Where the claim stands.
    pub fn status(&self) -> ClaimStatus {
        match self.claim_state.as_str() {
            "approved" => ClaimStatus::Approved,
            "rejected" => ClaimStatus::Rejected,
            _ => ClaimStatus::Pending,
        }
    }
}

/// A swap with its shift.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SwapRow {
    /// Swap id.
    pub swap_id: String,
    /// Who gives the shift away.
    pub offered_by: String,
    /// To whom; empty for anyone eligible.
    pub offered_to: String,
    /// Who accepted; empty until then.
    pub accepted_by: String,
    /// `offered`, `accepted`, `approved` or `rejected`.
    pub swap_state: String,
    /// When it was offered.
    pub swap_create_time: DateTime<Utc>,
    /// The shift as it is now.
    #[sqlx(flatten)]
    pub shift: ShiftRow,
}

impl SwapRow {
    /// Where the swap stands.
    pub fn status(&self) -> SwapStatus {
        match self.swap_state.as_str() {
            "accepted" => SwapStatus::Accepted,
            "approved" => SwapStatus::Approved,
            "rejected" => SwapStatus::Rejected,
            _ => SwapStatus::Offered,
        }
    }
}

fn claim_state(status: ClaimStatus) -> &'static str {
    match status {
        ClaimStatus::Pending => "pending",
        ClaimStatus::Approved => "approved",
        ClaimStatus::Rejected => "rejected",
    }
}

fn swap_state(status: SwapStatus) -> &'static str {
    match status {
        SwapStatus::Offered => "offered",
        SwapStatus::Accepted => "accepted",
        SwapStatus::Approved => "approved",
        SwapStatus::Rejected => "rejected",
    }
}

/// A page of claims in `states` (all when empty) the viewer may see: planners every
/// claim, anyone else their own.
pub async fn claims(
    pool: &PgPool,
    scope: &ListScope<'_>,
    states: &[ClaimStatus],
    viewer: &Viewer,
    page: &Page,
) -> Result<(Vec<ClaimRow>, String)> {
    let (after_time, after_id) = page.after_instant()?;
    let states: Vec<&str> = states.iter().copied().map(claim_state).collect();
    let sql = format!(
        "SELECT c.id AS claim_id, c.claimant_id, c.state AS claim_state, \
         c.create_time AS claim_create_time, {} \
         FROM shift_claims c JOIN shifts s ON s.tenant = c.tenant AND s.id = c.shift_id \
         WHERE c.tenant = $1 AND c.store_id = $2 AND ($3::text IS NULL OR c.shift_id = $3) \
         AND (cardinality($4::text[]) = 0 OR c.state = ANY($4)) \
         AND ($5 OR c.claimant_id = $6) \
         AND ($7::timestamptz IS NULL OR (c.create_time, c.id) < ($7, $8)) \
         ORDER BY c.create_time DESC, c.id DESC LIMIT $9",
        columns_of("s")
    );
    let rows: Vec<ClaimRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.tenant)
        .bind(scope.store)
        .bind(scope.shift)
        .bind(&states)
        .bind(viewer.everything)
        .bind(&viewer.user)
        .bind(after_time)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(pool)
        .await?;
    Ok(page.finish(rows, |r| {
        (r.claim_create_time.to_rfc3339(), r.claim_id.clone())
    }))
}

/// A page of swaps in `states` (all when empty) the viewer may see: planners every swap;
/// anyone else those they offered, were offered or accepted, and the offers to anyone,
/// still open, of a shift they could accept (its department is one of theirs, or either
/// is the whole store) — the rule AcceptShiftOffer applies.
pub async fn swaps(
    pool: &PgPool,
    scope: &ListScope<'_>,
    states: &[SwapStatus],
    viewer: &Viewer,
    page: &Page,
) -> Result<(Vec<SwapRow>, String)> {
    let (after_time, after_id) = page.after_instant()?;
    let states: Vec<&str> = states.iter().copied().map(swap_state).collect();
    let sql = format!(
        "SELECT w.id AS swap_id, w.offered_by, w.offered_to, w.accepted_by, \
         w.state AS swap_state, w.create_time AS swap_create_time, {} \
         FROM shift_swaps w JOIN shifts s ON s.tenant = w.tenant AND s.id = w.shift_id \
         WHERE w.tenant = $1 AND w.store_id = $2 AND ($3::text IS NULL OR w.shift_id = $3) \
         AND (cardinality($4::text[]) = 0 OR w.state = ANY($4)) \
         AND ($5 OR w.offered_by = $6 OR w.offered_to = $6 OR w.accepted_by = $6 \
              OR (w.offered_to = '' AND w.state = 'offered' AND $7 \
                  AND ($8 OR s.department_id = '' OR s.department_id = ANY($9)))) \
         AND ($10::timestamptz IS NULL OR (w.create_time, w.id) < ($10, $11)) \
         ORDER BY w.create_time DESC, w.id DESC LIMIT $12",
        columns_of("s")
    );
    let rows: Vec<SwapRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.tenant)
        .bind(scope.store)
        .bind(scope.shift)
        .bind(&states)
        .bind(viewer.everything)
        .bind(&viewer.user)
        .bind(viewer.member)
        .bind(viewer.whole_store)
        .bind(&viewer.departments)
        .bind(after_time)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(pool)
        .await?;
    Ok(page.finish(rows, |r| {
        (r.swap_create_time.to_rfc3339(), r.swap_id.clone())
    }))
}
