//! Claims and swaps as resources: from a command's result (without the shift) and from a
//! list's rows (with the shift as the read model holds it now).

use breakroom_proto::scheduling::v1 as pb;

use super::{shift_row, timestamp};
use crate::{
    app::Recorded,
    domain::roster::{ClaimState, ClaimStatus, SwapState, SwapStatus},
    names,
    queries::claims_swaps::{ClaimRow, SwapRow},
};

/// A claim as a resource; `at` is the time of the command that returned it.
pub fn claim(
    tenant: &str,
    store: &str,
    claim: &Recorded<ClaimState>,
    at: std::time::SystemTime,
) -> pb::ShiftClaim {
    let Recorded { id, state, .. } = claim;
    pb::ShiftClaim {
        name: format!(
            "{}/claims/{id}",
            names::shift_name(tenant, store, &state.shift_id)
        ),
        claimant: names::user_name(tenant, &state.claimant_id),
        state: claim_state(state.status) as i32,
        create_time: Some(at.into()),
        shift: None,
    }
}

fn claim_state(status: ClaimStatus) -> pb::shift_claim::State {
    match status {
        ClaimStatus::Pending => pb::shift_claim::State::Pending,
        ClaimStatus::Approved => pb::shift_claim::State::Approved,
        ClaimStatus::Rejected => pb::shift_claim::State::Rejected,
    }
}

/// The `ShiftClaim.State` names a list filter accepts, with their statuses.
pub const CLAIM_STATES: [(&str, ClaimStatus); 3] = [
    ("PENDING", ClaimStatus::Pending),
    ("APPROVED", ClaimStatus::Approved),
    ("REJECTED", ClaimStatus::Rejected),
];

/// A listed claim with its shift as a resource.
pub fn claim_row(tenant: &str, row: ClaimRow) -> pb::ShiftClaim {
    let state = claim_state(row.status()) as i32;
    pb::ShiftClaim {
        name: format!(
            "{}/claims/{}",
            names::shift_name(tenant, &row.shift.store_id, &row.shift.id),
            row.claim_id
        ),
        claimant: names::user_name(tenant, &row.claimant_id),
        state,
        create_time: Some(timestamp(row.claim_create_time)),
        shift: Some(shift_row(tenant, row.shift)),
    }
}

/// A swap as a resource; `at` is the time of the command that returned it.
pub fn swap(
    tenant: &str,
    store: &str,
    swap: &Recorded<SwapState>,
    at: std::time::SystemTime,
) -> pb::ShiftSwap {
    let Recorded { id, state, .. } = swap;
    let user = |id: &str| {
        if id.is_empty() {
            String::new()
        } else {
            names::user_name(tenant, id)
        }
    };
    pb::ShiftSwap {
        name: format!(
            "{}/swaps/{id}",
            names::shift_name(tenant, store, &state.shift_id)
        ),
        offered_by: user(&state.offered_by),
        offered_to: user(&state.offered_to),
        accepted_by: user(&state.accepted_by),
        state: swap_state(state.status) as i32,
        create_time: Some(at.into()),
        shift: None,
    }
}

fn swap_state(status: SwapStatus) -> pb::shift_swap::State {
    match status {
        SwapStatus::Offered => pb::shift_swap::State::Offered,
        SwapStatus::Accepted => pb::shift_swap::State::Accepted,
        SwapStatus::Approved => pb::shift_swap::State::Approved,
        SwapStatus::Rejected => pb::shift_swap::State::Rejected,
    }
}

/// The `ShiftSwap.State` names a list filter accepts, with their statuses.
pub const SWAP_STATES: [(&str, SwapStatus); 4] = [
    ("OFFERED", SwapStatus::Offered),
    ("ACCEPTED", SwapStatus::Accepted),
    ("APPROVED", SwapStatus::Approved),
    ("REJECTED", SwapStatus::Rejected),
];

/// A listed swap with its shift as a resource.
pub fn swap_row(tenant: &str, row: SwapRow) -> pb::ShiftSwap {
    let user = |id: &str| {
        if id.is_empty() {
            String::new()
        } else {
            names::user_name(tenant, id)
        }
    };
    pb::ShiftSwap {
        name: format!(
            "{}/swaps/{}",
            names::shift_name(tenant, &row.shift.store_id, &row.shift.id),
            row.swap_id
        ),
        offered_by: user(&row.offered_by),
        offered_to: user(&row.offered_to),
        accepted_by: user(&row.accepted_by),
        state: swap_state(row.status()) as i32,
        create_time: Some(timestamp(row.swap_create_time)),
        shift: Some(shift_row(tenant, row.shift)),
    }
}
