//! A tenant: one chain. Created once by the platform operator. (Its event type also has a
//! `LoginFailed` variant, which the hourly `login_audit` aggregates use.)

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, tenant_event::Event as Ev};

use super::values::{DisplayName, Locale, TimeZone};

/// State of a tenant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tenant {
    /// Whether it was created.
    pub exists: bool,
    /// Human-readable name of the chain.
    pub display_name: String,
    /// Default time zone for new stores.
    pub time_zone: String,
    /// Default locale.
    pub locale: String,
}

/// What can be asked of a tenant.
#[derive(Debug, Clone)]
pub enum TenantCommand {
    /// Create the tenant.
    Create {
        /// Name of the chain.
        display_name: DisplayName,
        /// Default time zone.
        time_zone: TimeZone,
        /// Default locale.
        locale: Locale,
    },
}

impl Aggregate for Tenant {
    const TYPE: &'static str = "tenant";
    type Command = TenantCommand;
    type Event = pb::TenantEvent;

    fn decide(&self, command: &TenantCommand) -> Result<Vec<pb::TenantEvent>> {
        let event = match command {
            TenantCommand::Create {
                display_name,
                time_zone,
                locale,
            } => {
                if self.exists {
                    return Err(Error::exists("TENANT_EXISTS", "tenant"));
                }
                Ev::Created(pb::TenantCreated {
                    display_name: display_name.to_string(),
                    time_zone: time_zone.to_string(),
                    locale: locale.to_string(),
                })
            }
        };
        Ok(vec![pb::TenantEvent { event: Some(event) }])
    }

    fn apply(mut self, event: &pb::TenantEvent) -> Self {
        if let Some(Ev::Created(e)) = &event.event {
            self.exists = true;
            self.display_name = e.display_name.clone();
            self.time_zone = e.time_zone.clone();
            self.locale = e.locale.clone();
        }
        self
    }
}
