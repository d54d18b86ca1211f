//! The group aggregate (type `group`): what a group is, who may post, and the explicit
//! members of custom groups (and the named helpers of the help group). Members of store
//! and department groups are not stored here: they follow identity's memberships.

use std::collections::BTreeMap;

use breakroom_base::{Error, Result};
use breakroom_events::aggregate::Aggregate;
use breakroom_proto::feed::v1::{self as pb, GroupKind, PostingPolicy, group_event::Event as Ev};

/// A group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    /// Created.
    pub exists: bool,
    /// Kind.
    pub kind: i32,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Store of store and department groups.
    pub store_id: String,
    /// Department of department groups.
    pub department_id: String,
    /// Posting policy.
    pub posting_policy: i32,
    /// Explicit members with their admin flag (custom groups; helpers of the help group).
    pub members: BTreeMap<String, bool>,
}

/// What can be asked of a group.
#[derive(Debug, Clone)]
pub enum GroupCommand {
    /// Create it (creating an existing group again changes nothing: reactions replay).
    Create {
        /// The facts.
        created: pb::GroupCreated,
        /// Admins among the members (the creator of a custom group).
        admins: Vec<String>,
    },
    /// Change details; `None` leaves a field as it is.
    Update {
        /// New display name.
        display_name: Option<String>,
        /// New description.
        description: Option<String>,
        /// New posting policy.
        posting_policy: Option<PostingPolicy>,
    },
    /// Add people (as admins/helpers or plain members).
    AddMembers {
        /// User ids.
        user_ids: Vec<String>,
        /// As admins (custom) or helpers (help).
        admins: bool,
    },
    /// Remove people.
    RemoveMembers {
        /// User ids.
        user_ids: Vec<String>,
    },
}

fn event(event: Ev) -> pb::GroupEvent {
    pb::GroupEvent { event: Some(event) }
}

impl Group {
    /// The kind as the enum.
    pub fn kind(&self) -> GroupKind {
        GroupKind::try_from(self.kind).unwrap_or(GroupKind::Unspecified)
    }

    fn require(&self) -> Result<()> {
        if self.exists {
            Ok(())
        } else {
            Err(Error::NotFound("group".into()))
        }
    }

    fn explicit_members(&self, admins: bool) -> Result<()> {
        match self.kind() {
            GroupKind::Custom => Ok(()),
            GroupKind::Help if admins => Ok(()),
            _ => Err(Error::precondition(
                "DERIVED_MEMBERSHIP",
                "group",
                "members of store, department and news groups follow identity; the help \
                 group takes helpers (admins) only",
            )),
        }
    }
}

impl Aggregate for Group {
    const TYPE: &'static str = "group";
    type Command = GroupCommand;
    type Event = pb::GroupEvent;

    fn decide(&self, command: &GroupCommand) -> Result<Vec<pb::GroupEvent>> {
        match command {
            GroupCommand::Create { created, admins } => {
                if self.exists {
                    return Ok(vec![]);
                }
                let mut events = vec![event(Ev::Created(created.clone()))];
                if !admins.is_empty() {
                    events.push(event(Ev::MembersAdded(pb::GroupMembersAdded {
                        user_ids: admins.clone(),
                        admins: true,
                    })));
                }
                Ok(events)
            }
            GroupCommand::Update {
                display_name,
                description,
                posting_policy,
            } => {
                self.require()?;
                let mut changed = pb::GroupUpdated {
                    display_name: self.display_name.clone(),
                    description: self.description.clone(),
                    posting_policy: self.posting_policy,
                    ..Default::default()
                };
                if let Some(name) = display_name.as_ref().filter(|n| **n != self.display_name) {
                    changed.fields.push("display_name".into());
                    changed.display_name = name.clone();
                }
                if let Some(text) = description.as_ref().filter(|d| **d != self.description) {
                    changed.fields.push("description".into());
                    changed.description = text.clone();
                }
                if let Some(policy) = posting_policy.filter(|p| *p as i32 != self.posting_policy) {
                    changed.fields.push("posting_policy".into());
                    changed.posting_policy = policy as i32;
                }
                if changed.fields.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![event(Ev::Updated(changed))])
            }
            GroupCommand::AddMembers { user_ids, admins } => {
                self.require()?;
                self.explicit_members(*admins)?;
                let new: Vec<String> = user_ids
                    .iter()
                    .filter(|u| self.members.get(*u) != Some(admins))
                    .cloned()
                    .collect();
                if new.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![event(Ev::MembersAdded(pb::GroupMembersAdded {
                    user_ids: new,
                    admins: *admins,
                }))])
            }
            GroupCommand::RemoveMembers { user_ids } => {
                self.require()?;
                self.explicit_members(self.kind() == GroupKind::Help)?;
                let gone: Vec<String> = user_ids
                    .iter()
                    .filter(|u| self.members.contains_key(*u))
                    .cloned()
                    .collect();
                if gone.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![event(Ev::MembersRemoved(pb::GroupMembersRemoved {
                    user_ids: gone,
                }))])
            }
        }
    }

    fn apply(mut self, event: &pb::GroupEvent) -> Self {
        match &event.event {
            Some(Ev::Created(e)) => {
                self.exists = true;
                self.kind = e.kind;
                self.display_name = e.display_name.clone();
                self.description = e.description.clone();
                self.store_id = e.store_id.clone();
                self.department_id = e.department_id.clone();
                self.posting_policy = e.posting_policy;
                for member in &e.member_ids {
                    self.members.insert(member.clone(), false);
                }
            }
            Some(Ev::Updated(e)) => {
                self.display_name = e.display_name.clone();
                self.description = e.description.clone();
                self.posting_policy = e.posting_policy;
            }
            Some(Ev::MembersAdded(e)) => {
                for user in &e.user_ids {
                    self.members.insert(user.clone(), e.admins);
                }
            }
            Some(Ev::MembersRemoved(e)) => {
                for user in &e.user_ids {
                    self.members.remove(user);
                }
            }
            None => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use breakroom_events::aggregate::given;

    use super::*;

    fn custom() -> pb::GroupEvent {
        event(Ev::Created(pb::GroupCreated {
            kind: GroupKind::Custom as i32,
            display_name: "Night crew".into(),
            posting_policy: PostingPolicy::Everyone as i32,
            member_ids: vec!["a".into(), "b".into()],
            ..Default::default()
        }))
    }

    #[test]
    fn adding_members_records_only_the_new_ones() {
        given::<Group>([custom()])
            .when(GroupCommand::AddMembers {
                user_ids: vec!["a".into(), "c".into()],
                admins: false,
            })
            .then([event(Ev::MembersAdded(pb::GroupMembersAdded {
                user_ids: vec!["c".into()],
                admins: false,
            }))]);
    }

    #[test]
    fn store_groups_take_no_explicit_members() {
        let store = event(Ev::Created(pb::GroupCreated {
            kind: GroupKind::Store as i32,
            store_id: "s".into(),
            ..Default::default()
        }));
        let error = given::<Group>([store])
            .when(GroupCommand::AddMembers {
                user_ids: vec!["x".into()],
                admins: false,
            })
            .then_error();
        assert_eq!(error.reason(), "DERIVED_MEMBERSHIP");
    }

    #[test]
    fn an_update_changing_nothing_records_nothing_and_names_changed_fields() {
        given::<Group>([custom()])
            .when(GroupCommand::Update {
                display_name: Some("Night crew".into()),
                description: None,
                posting_policy: None,
            })
            .then([]);
        let events = given::<Group>([custom()])
            .when(GroupCommand::Update {
                display_name: None,
                description: Some("Fridays".into()),
                posting_policy: Some(PostingPolicy::AdminsOnly),
            })
            .then_events();
        match &events[0].event {
            Some(Ev::Updated(u)) => assert_eq!(u.fields, vec!["description", "posting_policy"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn creating_twice_changes_nothing() {
        given::<Group>([custom()])
            .when(GroupCommand::Create {
                created: pb::GroupCreated::default(),
                admins: vec![],
            })
            .then([]);
    }
}
