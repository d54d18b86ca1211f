//! Failed logins for accounts nobody holds, recorded per tenant and hour (aggregate type
//! `login_audit`, id `<yyyymmddhh>`): an attacker spraying made-up names appends here,
//! never to an aggregate the service has to load to do its work.

use breakroom_base::Result;
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, tenant_event::Event as Ev};

/// An hour's audit log; it has no state that decisions depend on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoginAudit;

impl Aggregate for LoginAudit {
    const TYPE: &'static str = "login_audit";
    type Command = pb::LoginFailed;
    type Event = pb::TenantEvent;

    fn decide(&self, failed: &pb::LoginFailed) -> Result<Vec<pb::TenantEvent>> {
        Ok(vec![pb::TenantEvent {
            event: Some(Ev::LoginFailed(failed.clone())),
        }])
    }

    fn apply(self, _: &pb::TenantEvent) -> Self {
        self
    }
}
