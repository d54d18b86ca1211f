//! A store of a chain, with its departments.

use std::collections::BTreeMap;

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::identity::v1::{self as pb, store_event::Event as Ev};

use super::values::{DepartmentId, DisplayName, StoreCode, TimeZone};

/// State of a store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Store {
    /// Whether it was created.
    pub exists: bool,
    /// Attributes, as last recorded.
    pub attributes: pb::StoreUpdated,
    /// Whether it is closed.
    pub closed: bool,
    /// Departments by id, with their display names.
    pub departments: BTreeMap<String, String>,
}

/// A store's attributes after a create or update.
#[derive(Debug, Clone)]
pub struct StoreAttributes {
    /// Human-readable name.
    pub display_name: DisplayName,
    /// The chain's code, unique per tenant (claimed by the handler first).
    pub store_code: StoreCode,
    /// Region; free text, may be empty.
    pub region: String,
    /// IANA time zone.
    pub time_zone: TimeZone,
}

/// What can be asked of a store.
#[derive(Debug, Clone)]
pub enum StoreCommand {
    /// Create the store with its first departments.
    Create {
        /// Attributes.
        attributes: StoreAttributes,
        /// Departments `(id, display name)`.
        departments: Vec<(DepartmentId, DisplayName)>,
    },
    /// Change attributes, open or close, add departments.
    Update {
        /// New attributes, if they are to change.
        attributes: Option<StoreAttributes>,
        /// `Some(true)` closes, `Some(false)` reopens.
        closed: Option<bool>,
        /// Departments to add; existing ones must be repeated unchanged.
        departments: Option<Vec<(DepartmentId, DisplayName)>>,
        /// The store code the change was computed from (compare-and-set: the handler
        /// claims and releases codes based on it).
        expected_code: String,
    },
}

fn event(event: Ev) -> pb::StoreEvent {
    pb::StoreEvent { event: Some(event) }
}

impl StoreAttributes {
    fn to_event(&self) -> pb::StoreUpdated {
        pb::StoreUpdated {
            display_name: self.display_name.to_string(),
            store_code: self.store_code.to_string(),
            region: self.region.clone(),
            time_zone: self.time_zone.to_string(),
        }
    }
}

impl Store {
    fn added_departments(
        &self,
        departments: &[(DepartmentId, DisplayName)],
        keep_existing: bool,
    ) -> Result<Vec<pb::StoreEvent>> {
        let mut seen = std::collections::BTreeSet::new();
        let mut events = Vec::new();
        for (index, (id, name)) in departments.iter().enumerate() {
            if !seen.insert(id.as_str()) {
                return Err(Error::invalid(
                    format!("store.departments[{index}].department_id"),
                    "appears twice",
                ));
            }
            match self.departments.get(id.as_str()) {
                Some(existing) if existing == name.as_str() => {}
                Some(_) => {
                    return Err(Error::invalid(
                        format!("store.departments[{index}].display_name"),
                        "departments cannot be renamed",
                    ));
                }
                None => events.push(event(Ev::DepartmentAdded(pb::DepartmentAdded {
                    department_id: id.to_string(),
                    display_name: name.to_string(),
                }))),
            }
        }
        if keep_existing
            && let Some(missing) = self
                .departments
                .keys()
                .find(|id| !seen.contains(id.as_str()))
        {
            return Err(Error::invalid(
                "store.departments",
                format!("must keep every existing department; {missing:?} is missing"),
            ));
        }
        Ok(events)
    }
}

impl Aggregate for Store {
    const TYPE: &'static str = "store";
    type Command = StoreCommand;
    type Event = pb::StoreEvent;

    fn decide(&self, command: &StoreCommand) -> Result<Vec<pb::StoreEvent>> {
        match command {
            StoreCommand::Create {
                attributes,
                departments,
            } => {
                if self.exists {
                    return Err(Error::exists("STORE_EXISTS", "store"));
                }
                let a = attributes.to_event();
                let mut events = vec![event(Ev::Created(pb::StoreCreated {
                    display_name: a.display_name,
                    store_code: a.store_code,
                    region: a.region,
                    time_zone: a.time_zone,
                }))];
                events.extend(self.added_departments(departments, false)?);
                Ok(events)
            }
            StoreCommand::Update {
                attributes,
                closed,
                departments,
                expected_code,
            } => {
                if !self.exists {
                    return Err(Error::NotFound("store".into()));
                }
                if &self.attributes.store_code != expected_code {
                    return Err(Error::Conflict("store code changed concurrently".into()));
                }
                let mut events = Vec::new();
                if let Some(attributes) = attributes {
                    let updated = attributes.to_event();
                    if updated != self.attributes {
                        events.push(event(Ev::Updated(updated)));
                    }
                }
                match closed {
                    Some(true) if !self.closed => {
                        events.push(event(Ev::Closed(pb::StoreClosed {})))
                    }
                    Some(false) if self.closed => {
                        events.push(event(Ev::Reopened(pb::StoreReopened {})))
                    }
                    _ => {}
                }
                if let Some(departments) = departments {
                    events.extend(self.added_departments(departments, true)?);
                }
                Ok(events)
            }
        }
    }

    fn apply(mut self, event: &pb::StoreEvent) -> Self {
        match &event.event {
            Some(Ev::Created(e)) => {
                self.exists = true;
                self.attributes = pb::StoreUpdated {
                    display_name: e.display_name.clone(),
                    store_code: e.store_code.clone(),
                    region: e.region.clone(),
                    time_zone: e.time_zone.clone(),
                };
            }
            Some(Ev::Updated(e)) => self.attributes = e.clone(),
            Some(Ev::Closed(_)) => self.closed = true,
            Some(Ev::Reopened(_)) => self.closed = false,
            Some(Ev::DepartmentAdded(e)) => {
                self.departments
                    .insert(e.department_id.clone(), e.display_name.clone());
            }
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use breakroom_events::aggregate::given;

    use super::*;

    fn attributes(code: &str) -> StoreAttributes {
        StoreAttributes {
            display_name: DisplayName::parse("n", "Utrecht Centraal").unwrap(),
            store_code: StoreCode::parse("c", code).unwrap(),
            region: "mid".into(),
            time_zone: TimeZone::parse("tz", "Europe/Amsterdam").unwrap(),
        }
    }

    fn department(id: &str, name: &str) -> (DepartmentId, DisplayName) {
        (
            DepartmentId::parse("d", id).unwrap(),
            DisplayName::parse("n", name).unwrap(),
        )
    }

    fn created() -> Vec<pb::StoreEvent> {
        given::<Store>([])
            .when(StoreCommand::Create {
                attributes: attributes("U-1"),
                departments: vec![department("fresh", "Fresh")],
            })
            .then_events()
    }

    #[test]
    fn departments_can_be_added_but_not_dropped_or_renamed() {
        let update = |departments| StoreCommand::Update {
            attributes: None,
            closed: None,
            departments: Some(departments),
            expected_code: "U-1".into(),
        };
        let events = given::<Store>(created())
            .when(update(vec![
                department("fresh", "Fresh"),
                department("checkout", "Checkout"),
            ]))
            .then_events();
        assert_eq!(events.len(), 1);
        let dropped = given::<Store>(created())
            .when(update(vec![department("checkout", "Checkout")]))
            .then_error();
        assert!(dropped.to_string().contains("fresh"), "{dropped}");
        given::<Store>(created())
            .when(update(vec![department("fresh", "Obst")]))
            .then_error();
    }

    #[test]
    fn closing_twice_records_one_closure_and_unchanged_attributes_nothing() {
        let close = StoreCommand::Update {
            attributes: Some(attributes("U-1")),
            closed: Some(true),
            departments: None,
            expected_code: "U-1".into(),
        };
        let mut history = created();
        history.extend(given::<Store>(created()).when(close.clone()).then_events());
        given::<Store>(history).when(close).then([]);
    }
}
