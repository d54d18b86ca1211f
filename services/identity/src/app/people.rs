//! People: profiles, roles, offboarding.
//!
//! A user's e-mail address and phone number are claimed before the user is written, so
//! two concurrent changes to one address have exactly one winner; the loser's claim
//! attempt fails and nothing of it is written.

use breakroom_base::{Error, Result};
use breakroom_events::{envelope::CommandMeta, repository::Committed};

use super::{App, caller::Caller};
use crate::{
    domain::{
        claim::ClaimKind,
        credential::CredentialCommand,
        role::{Membership, Role},
        user::{Profile, User, UserCommand},
        values::{DisplayName, Email, Phone},
    },
    names,
};

/// Profile changes; `None` leaves a field, `Some(None)` clears e-mail or phone.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New display name.
    pub display_name: Option<DisplayName>,
    /// New or cleared e-mail.
    pub email: Option<Option<Email>>,
    /// New or cleared phone.
    pub phone: Option<Option<Phone>>,
}

impl App {
    /// A user's state; NOT_FOUND when missing.
    pub async fn existing_user(&self, tenant: &str, id: &str) -> Result<User> {
        let loaded = self.inner.users.load(tenant, id).await?;
        if loaded.state.status == crate::domain::user::Status::None {
            Err(Error::NotFound(names::user_name(tenant, id)))
        } else {
            Ok(loaded.state)
        }
    }

    /// Checks that a membership names an open store of the tenant and one of its
    /// departments, and fits its role; violations are reported under `field`.
    pub(super) async fn check_membership(
        &self,
        tenant: &str,
        membership: &Membership,
        field: &str,
    ) -> Result<()> {
        match (membership.role, &membership.store_id) {
            (Role::Integration, _) => Err(Error::invalid(
                format!("{field}.role"),
                "ROLE_INTEGRATION belongs to service accounts",
            )),
            (Role::HqAdmin, Some(_)) => Err(Error::invalid(
                format!("{field}.store"),
                "must be empty for the chain-wide ROLE_HQ_ADMIN",
            )),
            (Role::HqAdmin, None) => Ok(()),
            (_, None) => Err(Error::invalid(
                format!("{field}.store"),
                "is required for this role",
            )),
            (_, Some(store_id)) => {
                let store = self
                    .existing_store(tenant, store_id)
                    .await
                    .map_err(|e| match e {
                        Error::NotFound(name) => Error::invalid(
                            format!("{field}.store"),
                            format!("{name} does not exist"),
                        ),
                        other => other,
                    })?;
                if store.closed {
                    return Err(Error::invalid(
                        format!("{field}.store"),
                        "the store is closed",
                    ));
                }
                if let Some(department) = &membership.department_id
                    && !store.departments.contains_key(department.as_str())
                {
                    return Err(Error::invalid(
                        format!("{field}.department_id"),
                        format!("the store has no department {department:?}"),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Changes a user's profile: the user, a manager of one of their stores, or an admin.
    pub async fn update_user(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        changes: UserChanges,
        meta: &CommandMeta,
    ) -> Result<Committed<User>> {
        let name = names::user_name(tenant, id);
        caller.see_tenant(tenant, &name)?;
        caller.require_self_or_manager(tenant, id)?;
        let user = self.existing_user(tenant, id).await?;
        if !(caller.is_user(tenant, id) || caller.may_manage(tenant, &user)) {
            return Err(Error::denied(
                "OUTRANKED",
                "may only update yourself or people whose every role you may assign",
            ));
        }
        let old = &user.profile;
        let profile = Profile {
            display_name: match changes.display_name {
                Some(name) => name,
                None => DisplayName::parse("user.display_name", &old.display_name)?,
            },
            email: match changes.email {
                Some(email) => email,
                None => non_empty(&old.email)
                    .map(|e| Email::parse("user.email", e))
                    .transpose()?,
            },
            phone: match changes.phone {
                Some(phone) => phone,
                None => non_empty(&old.phone)
                    .map(|p| Phone::parse("user.phone", p))
                    .transpose()?,
            },
        };
        if profile.email.is_none() && profile.phone.is_none() {
            return Err(Error::invalid(
                "user.email",
                "e-mail or phone must remain set",
            ));
        }
        let before: Vec<_> = contact_claims_of(old);
        let after = contact_claims(&profile);
        let added: Vec<_> = after
            .iter()
            .filter(|c| !before.contains(c))
            .cloned()
            .collect();
        let removed: Vec<_> = before
            .iter()
            .filter(|c| !after.contains(c))
            .cloned()
            .collect();
        let mut taken: Vec<(ClaimKind, String)> = Vec::new();
        for (kind, value, _) in &added {
            match self.claim(tenant, *kind, value, id, meta).await {
                Ok(true) => taken.push((*kind, value.clone())),
                Ok(false) => {}
                Err(e) => {
                    for (kind, value) in taken {
                        self.release(tenant, kind, &value, id, &meta.actor).await;
                    }
                    return Err(e);
                }
            }
        }
        // Compare-and-set on the contacts the claims were computed from: a concurrent
        // change makes this one fail (ABORTED) instead of leaving a claim behind.
        let command = UserCommand::Update {
            profile,
            expected: old.clone(),
        };
        let result = self.inner.users.execute(tenant, id, meta, &command).await;
        match &result {
            Ok(_) => {
                for (kind, value, _) in removed {
                    self.release(tenant, kind, &value, id, &meta.actor).await;
                }
            }
            Err(e) if super::unwritten(e) || matches!(e, Error::Conflict(_)) => {
                for (kind, value) in taken {
                    self.release(tenant, kind, &value, id, &meta.actor).await;
                }
            }
            Err(_) => {}
        }
        result
    }

    /// Offboards a user: admins, or a manager of every store the user works in (for
    /// employees and team leads). Their sessions end in the same commit, their contacts
    /// are released and their secrets dropped.
    pub async fn deactivate(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        meta: &CommandMeta,
    ) -> Result<Committed<User>> {
        let name = names::user_name(tenant, id);
        caller.see_tenant(tenant, &name)?;
        caller.require_some_manager()?;
        let user = self.existing_user(tenant, id).await?;
        if !caller.may_manage(tenant, &user) {
            return Err(Error::denied(
                "OUTRANKED",
                "may only offboard people whose every role you may assign",
            ));
        }
        let committed = self
            .inner
            .users
            .execute(tenant, id, meta, &UserCommand::Deactivate)
            .await?;
        for (kind, value, _) in contact_claims_of(&user.profile) {
            self.release(tenant, kind, &value, id, &meta.actor).await;
        }
        // The user aggregate already refuses every login and refresh; dropping the
        // secrets only keeps nothing around that is no longer needed.
        self.tidy_credential(tenant, id, meta, &CredentialCommand::Revoke)
            .await;
        Ok(committed)
    }

    /// Grants (`grant = true`) or revokes a membership.
    pub async fn change_role(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        membership: Membership,
        grant: bool,
        meta: &CommandMeta,
    ) -> Result<Committed<User>> {
        let name = names::user_name(tenant, id);
        caller.see_tenant(tenant, &name)?;
        caller.require_some_manager()?;
        if !caller.may_assign(tenant, &membership) {
            return Err(Error::denied(
                "ROLE_NOT_GRANTABLE",
                "store managers assign employee and team-lead roles of their own stores",
            ));
        }
        self.existing_user(tenant, id).await?;
        let command = if grant {
            self.check_membership(tenant, &membership, "membership")
                .await?;
            UserCommand::Grant(membership)
        } else {
            UserCommand::Revoke(membership)
        };
        self.inner.users.execute(tenant, id, meta, &command).await
    }
}

fn non_empty(value: &str) -> Option<&str> {
    Some(value).filter(|v| !v.is_empty())
}

/// The unique values of a profile: `(kind, canonical value, field name)`.
pub(super) fn contact_claims(profile: &Profile) -> Vec<(ClaimKind, String, &'static str)> {
    let mut claims = Vec::new();
    if let Some(email) = &profile.email {
        claims.push((ClaimKind::Email, email.to_string(), "email"));
    }
    if let Some(phone) = &profile.phone {
        claims.push((ClaimKind::Phone, phone.to_string(), "phone"));
    }
    claims
}

/// The unique values of a recorded profile.
fn contact_claims_of(
    profile: &breakroom_proto::identity::v1::UserUpdated,
) -> Vec<(ClaimKind, String, &'static str)> {
    let mut claims = Vec::new();
    if !profile.email.is_empty() {
        claims.push((ClaimKind::Email, profile.email.clone(), "email"));
    }
    if !profile.phone.is_empty() {
        claims.push((ClaimKind::Phone, profile.phone.clone(), "phone"));
    }
    claims
}
