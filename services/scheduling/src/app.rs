//! Command handling: who may plan, validation against identity's directory, and the
//! roster commands (via the kit's repositories). No SQL here (what a decision needs is read
//! through `queries`) and no API messages: commands take domain values and return domain
//! results (`Committed<A>`, `Recorded<T>`, small structs); `grpc` converts.
//!
//! - `access`: scheduling's rules on the kit's `Caller` (who plans, who sees a store).
//! - `booking`: the per-employee bookings every assignment passes first (no double booking
//!   across stores), run around each roster command that changes who works when.
//! - `planning`: upserting and removing shifts, publishing weeks.
//! - `claims`: claiming open shifts, deciding and listing claims (and the check of a claim
//!   or swap list's parent).
//! - `import`: the workforce-management import (structured and CSV).
//! - `swaps`: offering, accepting, deciding and listing shift swaps.
//! - `notices`: acknowledging shift changes.
//! - `time_off`: requesting and deciding time off.
//! - `calendar`: calendar feed URLs.

pub mod access;
pub mod booking;
pub mod calendar;
pub mod claims;
pub mod import;
pub mod notices;
pub mod planning;
pub mod swaps;
pub mod time_off;

use std::sync::Arc;

use breakroom_base::{Error, Result};
use breakroom_chassis::server::Infra;
use breakroom_directory::{Caller, Directory, Store};
use breakroom_events::{consistency::ReadModel, repository::Repository};

use crate::{
    config::SchedulingConfig,
    domain::{
        booking::Booking, calendar::CalendarFeed, roster::Roster, time::Zone, time_off::TimeOff,
    },
    names,
    projection::PROJECTION,
};

/// What a command left of one part of an aggregate (a claim, a swap, a time-off request):
/// its id, its state after the commit, and the commit's stream sequence. The handlers
/// render it; `app` returns no API messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded<T> {
    /// Id of the part (claim id, swap id, request id).
    pub id: String,
    /// Its state after the command.
    pub state: T,
    /// Stream sequence of the commit (the consistency token).
    pub sequence: u64,
}

/// Scheduling's command side, shared by the handlers.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SchedulingConfig,
    rosters: Arc<Repository<Roster>>,
    /// Employees' bookings per UTC week (`domain::booking`).
    bookings: Arc<Repository<Booking>>,
    feeds: Arc<Repository<CalendarFeed>>,
    time_off: Arc<Repository<TimeOff>>,
    /// Identity's directory as scheduling replicates it (callers, stores, people).
    directory: Directory,
    read: ReadModel,
    /// Public URL prefix of the calendar endpoint, known once it is bound.
    calendar_base_url: std::sync::RwLock<String>,
}

impl App {
    /// The command side over `infra`, deciding with `directory`.
    pub fn new(config: SchedulingConfig, infra: &Infra, directory: Directory) -> Self {
        let cache = infra.config.cache_size;
        Self {
            inner: Arc::new(Inner {
                rosters: Repository::new(infra.store.clone(), cache),
                bookings: Repository::new(infra.store.clone(), cache),
                feeds: Repository::new(infra.store.clone(), cache),
                time_off: Repository::new(infra.store.clone(), cache),
                read: ReadModel::new(
                    infra.pool.clone(),
                    PROJECTION,
                    infra.store.stream_name().to_owned(),
                ),
                directory,
                calendar_base_url: std::sync::RwLock::new(
                    config.calendar_base_url.clone().unwrap_or_default(),
                ),
                config,
            }),
        }
    }

    /// Sets the calendar URL prefix from the bound address, unless configured.
    pub fn calendar_bound(&self, addr: std::net::SocketAddr) {
        if self.inner.config.calendar_base_url.is_none()
            && let Ok(mut base) = self.inner.calendar_base_url.write()
        {
            *base = format!("http://{addr}");
        }
    }

    /// Runs a roster command under the booking protocol (for reactions to other
    /// services' events).
    pub async fn execute_roster(
        &self,
        tenant: &str,
        roster: &str,
        meta: &breakroom_events::envelope::CommandMeta,
        command: crate::domain::roster::RosterCommand,
    ) -> Result<u64> {
        Ok(self.plan(tenant, roster, meta, command).await?.sequence)
    }

    /// Waits until the read model has applied everything scheduling's stream holds now
    /// (offboarding and time-off decisions find shifts through it; planning never waits).
    pub async fn catch_up_rosters(&self) -> Result<()> {
        self.read()
            .catch_up_to_latest(self.inner.rosters.store())
            .await
    }

    /// The stream's last sequence (for replies covering several commits).
    pub async fn last_sequence(&self) -> Result<u64> {
        self.inner.rosters.store().last_sequence().await
    }

    /// The configuration.
    pub fn config(&self) -> &SchedulingConfig {
        &self.inner.config
    }

    /// The read model.
    pub fn read(&self) -> &ReadModel {
        &self.inner.read
    }

    /// The directory replica.
    pub fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    /// Authenticates a request and looks up the caller's roles.
    pub async fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller> {
        self.inner.directory.caller(request).await
    }

    /// A store of the tenant from the directory; NOT_FOUND when unknown.
    pub async fn store(&self, tenant: &str, store: &str) -> Result<(Store, Zone)> {
        let facts = self
            .inner
            .directory
            .store(tenant, store)
            .await?
            .ok_or_else(|| Error::NotFound(names::store_name(tenant, store)))?;
        let zone = Zone::parse("store.time_zone", &facts.time_zone)?;
        Ok((facts, zone))
    }
}
