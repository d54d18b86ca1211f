//! gRPC handlers: authenticate, parse requests into domain values, call `app` or
//! `queries`, render, and reply with the consistency token of what was written.
//!
//! - `convert`: validation and proto <-> domain.
//! - `shifts`, `rosters`, `claims`, `swaps`, `notices`, `time_off`, `import`, `calendar`:
//!   the handlers by resource; this module only routes `SchedulingService` to them.
//! - `filter`: the state filter of the claim and swap lists.
//! - `views`: rosters converted once per version.

mod calendar;
mod claims;
mod convert;
mod filter;
mod import;
mod notices;
mod rosters;
mod shifts;
mod swaps;
mod time_off;
mod views;

use breakroom_events::consistency::Token;
use breakroom_proto::scheduling::v1::{self as pb, scheduling_service_server::SchedulingService};
use tonic::{Request, Response, Status};

use crate::app::App;

type Reply<T> = Result<Response<T>, Status>;

/// `breakroom.scheduling.v1.SchedulingService`.
#[derive(Debug, Clone)]
pub struct SchedulingGrpc {
    app: App,
    /// GetRoster answers by roster version, so a week read by 60 people is converted once.
    views: views::RosterViews,
}

impl SchedulingGrpc {
    /// Handlers over `app`.
    pub fn new(app: App) -> Self {
        Self {
            app,
            views: views::RosterViews::default(),
        }
    }
}

/// The consistency token of a commit in scheduling's stream.
fn token(sequence: u64) -> Token {
    Token::new(crate::config::SERVICE, sequence)
}

#[tonic::async_trait]
impl SchedulingService for SchedulingGrpc {
    async fn upsert_shift(&self, r: Request<pb::UpsertShiftRequest>) -> Reply<pb::Shift> {
        shifts::upsert(&self.app, r).await
    }
    async fn delete_shift(&self, r: Request<pb::DeleteShiftRequest>) -> Reply<()> {
        shifts::delete(&self.app, r).await
    }
    async fn list_my_shifts(
        &self,
        r: Request<pb::ListMyShiftsRequest>,
    ) -> Reply<pb::ListMyShiftsResponse> {
        shifts::list_mine(&self.app, r).await
    }
    async fn list_store_shifts(
        &self,
        r: Request<pb::ListStoreShiftsRequest>,
    ) -> Reply<pb::ListStoreShiftsResponse> {
        shifts::list_store(&self.app, r).await
    }
    async fn list_open_shifts(
        &self,
        r: Request<pb::ListOpenShiftsRequest>,
    ) -> Reply<pb::ListOpenShiftsResponse> {
        shifts::list_open(&self.app, r).await
    }
    async fn publish_roster(&self, r: Request<pb::PublishRosterRequest>) -> Reply<pb::Roster> {
        rosters::publish(&self.app, r).await
    }
    async fn get_roster(&self, r: Request<pb::GetRosterRequest>) -> Reply<pb::Roster> {
        rosters::get(&self.app, &self.views, r).await
    }
    async fn claim_open_shift(
        &self,
        r: Request<pb::ClaimOpenShiftRequest>,
    ) -> Reply<pb::ShiftClaim> {
        claims::claim(&self.app, r).await
    }
    async fn decide_claim(&self, r: Request<pb::DecideClaimRequest>) -> Reply<pb::ShiftClaim> {
        claims::decide(&self.app, r).await
    }
    async fn list_shift_claims(
        &self,
        r: Request<pb::ListShiftClaimsRequest>,
    ) -> Reply<pb::ListShiftClaimsResponse> {
        claims::list(&self.app, r).await
    }
    async fn offer_shift(&self, r: Request<pb::OfferShiftRequest>) -> Reply<pb::ShiftSwap> {
        swaps::offer(&self.app, r).await
    }
    async fn accept_shift_offer(
        &self,
        r: Request<pb::AcceptShiftOfferRequest>,
    ) -> Reply<pb::ShiftSwap> {
        swaps::accept(&self.app, r).await
    }
    async fn decide_swap(&self, r: Request<pb::DecideSwapRequest>) -> Reply<pb::ShiftSwap> {
        swaps::decide(&self.app, r).await
    }
    async fn list_shift_swaps(
        &self,
        r: Request<pb::ListShiftSwapsRequest>,
    ) -> Reply<pb::ListShiftSwapsResponse> {
        swaps::list(&self.app, r).await
    }
    async fn acknowledge_shift_change(
        &self,
        r: Request<pb::AcknowledgeShiftChangeRequest>,
    ) -> Reply<pb::ShiftChangeNotice> {
        notices::acknowledge(&self.app, r).await
    }
    async fn list_my_change_notices(
        &self,
        r: Request<pb::ListMyChangeNoticesRequest>,
    ) -> Reply<pb::ListMyChangeNoticesResponse> {
        notices::list_mine(&self.app, r).await
    }
    async fn request_time_off(
        &self,
        r: Request<pb::RequestTimeOffRequest>,
    ) -> Reply<pb::TimeOffRequest> {
        time_off::request(&self.app, r).await
    }
    async fn decide_time_off(
        &self,
        r: Request<pb::DecideTimeOffRequest>,
    ) -> Reply<pb::TimeOffRequest> {
        time_off::decide(&self.app, r).await
    }
    async fn list_time_off_requests(
        &self,
        r: Request<pb::ListTimeOffRequestsRequest>,
    ) -> Reply<pb::ListTimeOffRequestsResponse> {
        time_off::list(&self.app, r).await
    }
    async fn import_roster(
        &self,
        r: Request<pb::ImportRosterRequest>,
    ) -> Reply<pb::ImportRosterResponse> {
        import::import(&self.app, r).await
    }
    async fn create_calendar_feed(
        &self,
        r: Request<pb::CreateCalendarFeedRequest>,
    ) -> Reply<pb::CalendarFeed> {
        calendar::create(&self.app, r).await
    }
    async fn revoke_calendar_feed(&self, r: Request<pb::RevokeCalendarFeedRequest>) -> Reply<()> {
        calendar::revoke(&self.app, r).await
    }
}
