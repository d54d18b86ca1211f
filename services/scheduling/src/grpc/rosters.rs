//! `SchedulingService`.

use breakroom_kit::{
    Error,
    consistency::{Token, reply},
    error::Violations,
    paging::Page,
};
use breakroom_proto::scheduling::v1::{self as pb, scheduling_service_server::SchedulingService};
use tonic::{Request, Response, Status};

use super::{SchedulingGrpc, convert};
use crate::{
    app::{access::Access, claims::ClaimRef, import::WeekImport, planning::RosterRead},
    domain::time::Week,
    names, queries,
};

type Reply<T> = Result<Response<T>, Status>;

/// The consistency token of a commit in scheduling's stream.
fn token(sequence: u64) -> Token {
    Token::new(crate::config::SERVICE, sequence)
}

#[tonic::async_trait]
impl SchedulingService for SchedulingGrpc {
    async fn upsert_shift(&self, request: Request<pb::UpsertShiftRequest>) -> Reply<pb::Shift> {
        let caller = self.app.caller(&request).await?;
        let body = request.into_inner();
        let shift = body.shift.unwrap_or_default();
        let (tenant, store, shift_id) = if shift.name.is_empty() {
            let (tenant, store) = names::store("parent", &body.parent)?;
            (tenant, store, None)
        } else {
            let (tenant, store, id) = names::shift("shift.name", &shift.name)?;
            (tenant, store, Some(id))
        };
        let input = convert::shift_input(&tenant, "shift", &shift, shift_id)?;
        let meta = caller.meta(&body.request_id)?;
        let (data, committed) = self
            .app
            .upsert_shift(&caller, &tenant, &store, input, &meta)
            .await?;
        let week = Week::of(crate::domain::time::parse_local(
            "shift",
            &data.start_local,
        )?);
        Ok(reply(
            convert::shift(&tenant, &store, &week, &data, committed.state.published),
            token(committed.sequence),
        ))
    }

    async fn delete_shift(&self, request: Request<pb::DeleteShiftRequest>) -> Reply<()> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, id) = names::shift("name", &request.get_ref().name)?;
        let meta = caller.meta(&request.get_ref().request_id)?;
        let sequence = self
            .app
            .delete_shift(&caller, &tenant, &store, &id, &meta)
            .await?;
        Ok(reply((), token(sequence)))
    }

    async fn publish_roster(
        &self,
        request: Request<pb::PublishRosterRequest>,
    ) -> Reply<pb::Roster> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, week) = names::roster("name", &request.get_ref().name)?;
        let meta = caller.meta(&request.get_ref().request_id)?;
        let committed = self
            .app
            .publish(&caller, &tenant, &store, week, &meta)
            .await?;
        let zone = committed.state.time_zone.clone();
        Ok(reply(
            convert::roster(&tenant, &store, &week, &zone, &committed.state, true),
            token(committed.sequence),
        ))
    }

    async fn get_roster(&self, request: Request<pb::GetRosterRequest>) -> Reply<pb::Roster> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, week) = names::roster("name", &request.get_ref().name)?;
        let drafts = caller.plans(&store);
        let key = (tenant.clone(), store.clone(), week, drafts);
        let known = self.views.get(&key);
        let read = self
            .app
            .roster(
                &caller,
                &tenant,
                &store,
                week,
                known.as_ref().map(|(v, _)| *v),
            )
            .await?;
        let view = match (read, known) {
            (RosterRead::Unchanged { .. }, Some((_, view))) => view,
            (
                RosterRead::Loaded {
                    roster,
                    zone,
                    version,
                },
                _,
            ) => {
                let view = std::sync::Arc::new(convert::roster(
                    &tenant,
                    &store,
                    &week,
                    zone.name(),
                    &roster,
                    drafts,
                ));
                self.views.put(key, version, view.clone());
                view
            }
            (RosterRead::Unchanged { .. }, None) => {
                return Err(Error::internal(anyhow::anyhow!("roster view vanished")).into());
            }
        };
        Ok(Response::new(pb::Roster::clone(&view)))
    }

    async fn list_my_shifts(
        &self,
        request: Request<pb::ListMyShiftsRequest>,
    ) -> Reply<pb::ListMyShiftsResponse> {
        let caller = self.app.caller(&request).await?;
        let body = request.get_ref();
        let mut v = Violations::new();
        let range = v.check(queries::shifts::range(
            body.start_time.as_ref(),
            body.end_time.as_ref(),
        ));
        let filter = format!("{:?}|{:?}", body.start_time, body.end_time);
        let page = v.check(Page::parse_with_default(
            body.page_size,
            &body.page_token,
            &filter,
            queries::shifts::DEFAULT_PAGE,
        ));
        v.finish()?;
        let (Some(range), Some(page)) = (range, page) else {
            return Err(Error::invalid("start_time", "invalid range").into());
        };
        let (shifts, next_page_token) = queries::shifts::my_shifts(
            self.app.read().pool(),
            caller.tenant(),
            caller.id(),
            range,
            &page,
        )
        .await?;
        Ok(Response::new(pb::ListMyShiftsResponse {
            shifts: shifts
                .into_iter()
                .map(|row| convert::shift_row(caller.tenant(), row))
                .collect(),
            next_page_token,
        }))
    }

    async fn list_store_shifts(
        &self,
        request: Request<pb::ListStoreShiftsRequest>,
    ) -> Reply<pb::ListStoreShiftsResponse> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store) = names::store("parent", &request.get_ref().parent)?;
        caller.see_tenant(&tenant, &request.get_ref().parent)?;
        if !caller.sees(&store) {
            return Err(
                Error::denied("NOT_IN_STORE", "only people of the store see its shifts").into(),
            );
        }
        let body = request.get_ref();
        let mut v = Violations::new();
        let range = v.check(queries::shifts::range(
            body.start_time.as_ref(),
            body.end_time.as_ref(),
        ));
        let filter = format!("{}|{:?}|{:?}", body.parent, body.start_time, body.end_time);
        let page = v.check(Page::parse_with_default(
            body.page_size,
            &body.page_token,
            &filter,
            queries::shifts::DEFAULT_PAGE,
        ));
        v.finish()?;
        let (Some(range), Some(page)) = (range, page) else {
            return Err(Error::invalid("start_time", "invalid range").into());
        };
        self.app.store(&tenant, &store).await?;
        let (shifts, next_page_token) =
            queries::shifts::store_shifts(self.app.read().pool(), &tenant, &store, range, &page)
                .await?;
        Ok(Response::new(pb::ListStoreShiftsResponse {
            shifts: shifts
                .into_iter()
                .map(|row| convert::shift_row(&tenant, row))
                .collect(),
            next_page_token,
        }))
    }

    async fn list_open_shifts(
        &self,
        request: Request<pb::ListOpenShiftsRequest>,
    ) -> Reply<pb::ListOpenShiftsResponse> {
        let caller = self.app.caller(&request).await?;
        let body = request.get_ref();
        let stores: Vec<String> = if body.parent.is_empty() {
            caller.stores().into_iter().map(str::to_owned).collect()
        } else {
            let (tenant, store) = names::store("parent", &body.parent)?;
            caller.see_tenant(&tenant, &body.parent)?;
            if !caller.sees(&store) {
                return Err(Error::denied(
                    "NOT_IN_STORE",
                    "only people of the store see its open shifts",
                )
                .into());
            }
            vec![store]
        };
        let mut scope = queries::shifts::OpenShiftScope::default();
        for store in stores {
            let departments = caller.departments_in(&store);
            if caller.plans(&store) || departments.iter().any(|d| d.is_empty()) {
                scope.whole_stores.push(store.clone());
            }
            scope
                .departments
                .extend(departments.iter().map(|d| format!("{store}/{d}")));
            scope.member_stores.push(store);
        }
        let page = Page::parse_with_default(
            body.page_size,
            &body.page_token,
            &body.parent,
            queries::shifts::DEFAULT_PAGE,
        )?;
        let (shifts, next_page_token) =
            queries::shifts::open_shifts(self.app.read().pool(), caller.tenant(), &scope, &page)
                .await?;
        Ok(Response::new(pb::ListOpenShiftsResponse {
            shifts: shifts
                .into_iter()
                .map(|row| convert::shift_row(caller.tenant(), row))
                .collect(),
            next_page_token,
        }))
    }

    async fn claim_open_shift(
        &self,
        request: Request<pb::ClaimOpenShiftRequest>,
    ) -> Reply<pb::ShiftClaim> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, shift) = names::shift("shift", &request.get_ref().shift)?;
        let meta = caller.meta(&request.get_ref().request_id)?;
        let claim = self
            .app
            .claim_open_shift(&caller, &tenant, &store, &shift, &meta)
            .await?;
        Ok(reply(
            convert::claim(&tenant, &store, &claim, meta.now()),
            token(claim.sequence),
        ))
    }

    async fn decide_claim(
        &self,
        request: Request<pb::DecideClaimRequest>,
    ) -> Reply<pb::ShiftClaim> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, shift, claim) = names::claim("name", &request.get_ref().name)?;
        let body = request.get_ref();
        let meta = caller.meta(&body.request_id)?;
        let place = ClaimRef {
            tenant,
            store,
            shift,
            claim,
        };
        let claim = self
            .app
            .decide_claim(&caller, &place, body.approve, &meta)
            .await?;
        Ok(reply(
            convert::claim(&place.tenant, &place.store, &claim, meta.now()),
            token(claim.sequence),
        ))
    }

    async fn offer_shift(&self, request: Request<pb::OfferShiftRequest>) -> Reply<pb::ShiftSwap> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, shift) = names::shift("shift", &request.get_ref().shift)?;
        let body = request.get_ref();
        let offered_to = if body.offered_to.is_empty() {
            None
        } else {
            let (to_tenant, user) = names::user("offered_to", &body.offered_to)?;
            if to_tenant != tenant {
                return Err(Error::invalid("offered_to", "must be a user of this tenant").into());
            }
            Some(user)
        };
        let meta = caller.meta(&body.request_id)?;
        let place = ClaimRef {
            tenant,
            store,
            shift,
            claim: String::new(),
        };
        let swap = self
            .app
            .offer_shift(&caller, &place, offered_to, &meta)
            .await?;
        Ok(reply(
            convert::swap(&place.tenant, &place.store, &swap, meta.now()),
            token(swap.sequence),
        ))
    }

    async fn accept_shift_offer(
        &self,
        request: Request<pb::AcceptShiftOfferRequest>,
    ) -> Reply<pb::ShiftSwap> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, shift, swap) = names::swap("name", &request.get_ref().name)?;
        let meta = caller.meta(&request.get_ref().request_id)?;
        let place = ClaimRef {
            tenant,
            store,
            shift,
            claim: swap,
        };
        let swap = self.app.accept_offer(&caller, &place, &meta).await?;
        Ok(reply(
            convert::swap(&place.tenant, &place.store, &swap, meta.now()),
            token(swap.sequence),
        ))
    }

    async fn decide_swap(&self, request: Request<pb::DecideSwapRequest>) -> Reply<pb::ShiftSwap> {
        let caller = self.app.caller(&request).await?;
        let (tenant, store, shift, swap) = names::swap("name", &request.get_ref().name)?;
        let body = request.get_ref();
        let meta = caller.meta(&body.request_id)?;
        let place = ClaimRef {
            tenant,
            store,
            shift,
            claim: swap,
        };
        let swap = self
            .app
            .decide_swap(&caller, &place, body.approve, &meta)
            .await?;
        Ok(reply(
            convert::swap(&place.tenant, &place.store, &swap, meta.now()),
            token(swap.sequence),
        ))
    }

    async fn acknowledge_shift_change(
        &self,
        request: Request<pb::AcknowledgeShiftChangeRequest>,
    ) -> Reply<pb::ShiftChangeNotice> {
        let caller = self.app.caller(&request).await?;
        let (tenant, user, notice) = names::shift_change("name", &request.get_ref().name)?;
        let meta = caller.meta(&request.get_ref().request_id)?;
        let (notice, sequence) = self
            .app
            .acknowledge(&caller, &tenant, &user, &notice, &meta)
            .await?;
        Ok(reply(
            convert::notice(&tenant, &user, &notice),
            token(sequence),
        ))
    }

    async fn list_my_change_notices(
        &self,
        request: Request<pb::ListMyChangeNoticesRequest>,
    ) -> Reply<pb::ListMyChangeNoticesResponse> {
        let caller = self.app.caller(&request).await?;
        let body = request.get_ref();
        let page = Page::parse(body.page_size, &body.page_token, "notices")?;
        let (notices, next_page_token) =
            queries::notices::mine(self.app.read().pool(), caller.tenant(), caller.id(), &page)
                .await?;
        Ok(Response::new(pb::ListMyChangeNoticesResponse {
            shift_change_notices: notices
                .iter()
                .map(|n| convert::notice(caller.tenant(), caller.id(), n))
                .collect(),
            next_page_token,
        }))
    }

    async fn request_time_off(
        &self,
        request: Request<pb::RequestTimeOffRequest>,
    ) -> Reply<pb::TimeOffRequest> {
        let caller = self.app.caller(&request).await?;
        let (tenant, user) = names::user("parent", &request.get_ref().parent)?;
        let body = request.get_ref();
        let wanted = body.time_off_request.clone().unwrap_or_default();
        let (store_tenant, store) = names::store("time_off_request.store", &wanted.store)?;
        if store_tenant != tenant {
            return Err(
                Error::invalid("time_off_request.store", "must be a store of this tenant").into(),
            );
        }
        let meta = caller.meta(&body.request_id)?;
        let period = (
            wanted.start_date.as_str(),
            wanted.end_date.as_str(),
            wanted.reason.as_str(),
        );
        let created = self
            .app
            .request_time_off(&caller, &tenant, &user, &store, period, &meta)
            .await?;
        Ok(reply(
            convert::time_off(&tenant, &created),
            token(created.sequence),
        ))
    }

    async fn decide_time_off(
        &self,
        request: Request<pb::DecideTimeOffRequest>,
    ) -> Reply<pb::TimeOffRequest> {
        let caller = self.app.caller(&request).await?;
        let (tenant, user, id) = names::time_off("name", &request.get_ref().name)?;
        let body = request.get_ref();
        let meta = caller.meta(&body.request_id)?;
        let decided = self
            .app
            .decide_time_off(&caller, &tenant, &user, &id, body.approve, &meta)
            .await?;
        Ok(reply(
            convert::time_off(&tenant, &decided),
            token(decided.sequence),
        ))
    }

    async fn list_time_off_requests(
        &self,
        request: Request<pb::ListTimeOffRequestsRequest>,
    ) -> Reply<pb::ListTimeOffRequestsResponse> {
        let caller = self.app.caller(&request).await?;
        let body = request.get_ref();
        let (tenant, store, employee) = if body.parent.contains("/stores/") {
            let (tenant, store) = names::store("parent", &body.parent)?;
            (tenant, Some(store), None)
        } else {
            let (tenant, user) = names::user("parent", &body.parent)?;
            (tenant, None, Some(user))
        };
        caller.see_tenant(&tenant, &body.parent)?;
        let page = Page::parse(body.page_size, &body.page_token, &body.parent)?;
        let (rows, next_page_token) = self
            .app
            .list_time_off(
                &caller,
                &tenant,
                store.as_deref(),
                employee.as_deref(),
                &page,
            )
            .await?;
        Ok(Response::new(pb::ListTimeOffRequestsResponse {
            time_off_requests: rows
                .into_iter()
                .map(|row| convert::time_off_row(&tenant, row))
                .collect(),
            next_page_token,
        }))
    }

    async fn import_roster(
        &self,
        request: Request<pb::ImportRosterRequest>,
    ) -> Reply<pb::ImportRosterResponse> {
        let caller = self.app.caller(&request).await?;
        let tenant = names::tenant("parent", &request.get_ref().parent)?;
        caller.see_tenant(&tenant, &request.get_ref().parent)?;
        let body = request.into_inner();
        let weeks = match (body.rosters.is_empty(), body.csv.is_empty()) {
            (false, true) => structured(&tenant, &body.rosters)?,
            (true, false) => self.app.parse_csv(&tenant, &body.csv).await?,
            _ => return Err(Error::invalid("rosters", "give either rosters or csv").into()),
        };
        let meta = caller.meta(&body.request_id)?;
        let results = self
            .app
            .import(&caller, &tenant, weeks, body.publish, &meta)
            .await?
            .iter()
            .map(|week| convert::imported(&tenant, week))
            .collect();
        let sequence = self.app.last_sequence().await?;
        Ok(reply(pb::ImportRosterResponse { results }, token(sequence)))
    }

    async fn create_calendar_feed(
        &self,
        request: Request<pb::CreateCalendarFeedRequest>,
    ) -> Reply<pb::CalendarFeed> {
        let caller = self.app.caller(&request).await?;
        let (tenant, user) = names::user("parent", &request.get_ref().parent)?;
        let meta = caller.meta(&request.get_ref().request_id)?;
        let (url, sequence) = self
            .app
            .create_calendar_feed(&caller, &tenant, &user, &meta)
            .await?;
        Ok(reply(
            pb::CalendarFeed {
                name: format!("{}/calendarFeed", names::user_name(&tenant, &user)),
                url,
                create_time: Some(meta.now().into()),
            },
            token(sequence),
        ))
    }

    async fn revoke_calendar_feed(
        &self,
        request: Request<pb::RevokeCalendarFeedRequest>,
    ) -> Reply<()> {
        let caller = self.app.caller(&request).await?;
        let (tenant, user) = names::calendar_feed("name", &request.get_ref().name)?;
        let meta = caller.meta(&request.get_ref().request_id)?;
        let sequence = self
            .app
            .revoke_calendar_feed(&caller, &tenant, &user, &meta)
            .await?;
        Ok(reply((), token(sequence)))
    }
}

/// Structured store-weeks into imports, every field checked.
fn structured(tenant: &str, rosters: &[pb::RosterImport]) -> Result<Vec<WeekImport>, Error> {
    let mut v = Violations::new();
    let mut weeks = Vec::with_capacity(rosters.len());
    for (i, roster) in rosters.iter().enumerate() {
        let field = format!("rosters[{i}]");
        let Some((roster_tenant, store, week)) =
            v.check(names::roster(&format!("{field}.roster"), &roster.roster))
        else {
            continue;
        };
        if roster_tenant != tenant {
            v.add(format!("{field}.roster"), "must be a roster of this tenant");
            continue;
        }
        let mut shifts = Vec::with_capacity(roster.shifts.len());
        let mut shift_fields = Vec::with_capacity(roster.shifts.len());
        for (j, shift) in roster.shifts.iter().enumerate() {
            let shift_field = format!("{field}.shifts[{j}]");
            if let Some(input) = v.check(convert::shift_input(tenant, &shift_field, shift, None)) {
                shifts.push(input);
                shift_fields.push(shift_field);
            }
        }
        weeks.push(WeekImport {
            store_id: store,
            week,
            shifts,
            full_week: roster.full_week,
            field,
            shift_fields,
        });
    }
    v.finish()?;
    Ok(weeks)
}
