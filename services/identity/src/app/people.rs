//! People: invitations (one or a whole store), activation, profiles, roles, offboarding.
//!
//! A user's e-mail address and phone number are claimed before the user is written, so
//! two concurrent invites of one address have exactly one winner; the loser's claim
//! attempt fails and nothing of it is written.

use std::{collections::HashMap, time::SystemTime};

use breakroom_kit::{
    Error, Result,
    envelope::{CommandMeta, new_aggregate_id},
    error::Violations,
    repository::Committed,
};
use futures::StreamExt;

use super::{App, caller::Caller};
use crate::{
    domain::{
        claim::ClaimKind,
        role::{Membership, Role},
        user::{Profile, User, UserCommand},
        values::{DisplayName, Email, Password, Phone},
    },
    names,
    secrets::{self, invite_code_digest},
};

/// Invites written concurrently by a batch.
const BATCH_CONCURRENCY: usize = 32;

/// A person to invite.
#[derive(Debug, Clone)]
pub struct InviteDraft {
    /// Profile (e-mail and/or phone).
    pub profile: Profile,
    /// Initial memberships.
    pub memberships: Vec<Membership>,
}

/// An invited user and the code that activates them.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// The new user's id.
    pub user_id: String,
    /// The invite code, shown once.
    pub code: String,
    /// When the code expires.
    pub expires: SystemTime,
    /// The commit.
    pub committed: Committed<User>,
}

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
    async fn check_membership(
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

    /// Checks who may invite this draft and that its memberships are valid.
    async fn check_draft(
        &self,
        caller: &Caller,
        tenant: &str,
        draft: &InviteDraft,
        field: &str,
    ) -> Result<()> {
        let parent = names::tenant_name(tenant);
        caller.see_tenant(tenant, &parent)?;
        let assignable = if draft.memberships.is_empty() {
            caller.is_admin(tenant)
        } else {
            draft
                .memberships
                .iter()
                .all(|m| caller.may_assign(tenant, m))
        };
        if !assignable {
            return Err(Error::denied(
                "ROLE_NOT_GRANTABLE",
                "may not give these roles: ROLE_HQ_ADMIN is given by HQ admins, store roles \
                 by admins, employee and team lead also by the store's managers",
            ));
        }
        let mut violations = Violations::new();
        for (index, membership) in draft.memberships.iter().enumerate() {
            violations.check(
                self.check_membership(tenant, membership, &format!("{field}.memberships[{index}]"))
                    .await,
            );
        }
        violations.finish()
    }

    /// Invites one user.
    pub async fn invite(
        &self,
        caller: &Caller,
        tenant: &str,
        draft: InviteDraft,
        meta: &CommandMeta,
    ) -> Result<Invitation> {
        self.existing_tenant(tenant).await?;
        self.check_draft(caller, tenant, &draft, "user").await?;
        self.spawn_invite(tenant, draft, meta.clone()).await
    }

    /// Invites many users: every entry is checked (memberships, duplicates, addresses
    /// already in use) before anyone is invited, then they are written concurrently.
    /// Each entry gets a request id derived from the batch's, so a retried batch
    /// re-answers every entry with the same user and invite code.
    pub async fn batch_invite(
        &self,
        caller: &Caller,
        tenant: &str,
        drafts: Vec<InviteDraft>,
        meta: &CommandMeta,
    ) -> Result<Vec<Invitation>> {
        self.existing_tenant(tenant).await?;
        let batch_id = meta
            .request_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let mut violations = Violations::new();
        let mut seen: HashMap<(ClaimKind, String), usize> = HashMap::new();
        let mut metas = Vec::with_capacity(drafts.len());
        for (index, draft) in drafts.iter().enumerate() {
            let field = format!("requests[{index}].user");
            if let Err(e) = self.check_draft(caller, tenant, draft, &field).await {
                match e {
                    Error::Invalid(_) => {
                        violations.check::<()>(Err(e));
                    }
                    other => return Err(other),
                }
            }
            let entry_request = uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!("{batch_id}/{index}").as_bytes(),
            )
            .to_string();
            let entry_meta = CommandMeta {
                request_id: Some(entry_request),
                ..meta.clone()
            };
            let user_id = new_aggregate_id(tenant, "user", entry_meta.request_id.as_deref());
            for (kind, value, name) in contact_claims(&draft.profile) {
                if let Some(first) = seen.insert((kind, value.clone()), index) {
                    violations.add(
                        format!("{field}.{name}"),
                        format!("repeats requests[{first}]"),
                    );
                } else if let Some(owner) = self.claim_owner(tenant, kind, &value).await?
                    && owner != user_id
                {
                    violations.add(format!("{field}.{name}"), "is already used by another user");
                }
            }
            metas.push(entry_meta);
        }
        violations.finish()?;
        let results: Vec<Result<Invitation>> = futures::stream::iter(drafts.into_iter().zip(metas))
            .map(|(draft, meta)| self.spawn_invite(tenant, draft, meta))
            .buffered(BATCH_CONCURRENCY)
            .collect()
            .await;
        // Every started invite ran to its end; a retry of the batch re-answers those that
        // were written and writes the rest.
        results.into_iter().collect()
    }

    /// Writes an invite on its own task, so that a caller going away (a cancelled request)
    /// cannot stop it between taking the claims and writing the user.
    async fn spawn_invite(
        &self,
        tenant: &str,
        draft: InviteDraft,
        meta: CommandMeta,
    ) -> Result<Invitation> {
        let app = self.clone();
        let tenant = tenant.to_owned();
        tokio::spawn(async move { app.write_invite(&tenant, draft, &meta).await })
            .await
            .map_err(Error::internal)?
    }

    async fn write_invite(
        &self,
        tenant: &str,
        draft: InviteDraft,
        meta: &CommandMeta,
    ) -> Result<Invitation> {
        let request_id = meta.request_id.as_deref();
        let user_id = new_aggregate_id(tenant, "user", request_id);
        let claims = contact_claims(&draft.profile);
        let mut taken: Vec<(ClaimKind, String)> = Vec::new();
        for (kind, value, _) in &claims {
            match self.claim(tenant, *kind, value, &user_id, meta).await {
                Ok(true) => taken.push((*kind, value.to_owned())),
                Ok(false) => {}
                Err(e) => {
                    // The user was not written: give back what this call took.
                    for (kind, value) in taken {
                        self.release(tenant, kind, &value, &user_id, &meta.actor)
                            .await;
                    }
                    return Err(e);
                }
            }
        }
        let code = secrets::invite_code(&self.inner.secrets.bytes(
            "invite",
            &[tenant, &user_id],
            request_id,
        ));
        let digest = invite_code_digest(&code)
            .ok_or_else(|| Error::internal(anyhow::anyhow!("invite code")))?;
        let command = UserCommand::Invite {
            profile: draft.profile,
            invite_code_hash: digest,
            invite_expires: meta.now() + self.inner.config.invite_ttl,
            memberships: draft.memberships,
        };
        match self
            .inner
            .users
            .execute(tenant, &user_id, meta, &command)
            .await
        {
            Ok(committed) => Ok(Invitation {
                expires: committed
                    .state
                    .invite_expires
                    .unwrap_or(SystemTime::UNIX_EPOCH),
                user_id,
                code,
                committed,
            }),
            Err(e) => {
                if super::unwritten(&e) {
                    for (kind, value) in taken {
                        self.release(tenant, kind, &value, &user_id, &meta.actor)
                            .await;
                    }
                }
                Err(e)
            }
        }
    }

    /// Activates the invited user holding `code` with a password of their choice.
    pub async fn activate(
        &self,
        tenant: &str,
        code: &str,
        password: &str,
        meta: &CommandMeta,
    ) -> Result<(String, Committed<User>)> {
        let unusable = || Error::invalid("invite_code", "unknown, used or expired");
        let digest = invite_code_digest(code).ok_or_else(unusable)?;
        let user_id =
            match crate::queries::user_by_invite(self.read().pool(), tenant, &digest).await? {
                Some(id) => id,
                None => {
                    // Invited moments ago: the read model may not have it yet.
                    self.read()
                        .catch_up_to_latest(self.inner.users.store())
                        .await?;
                    crate::queries::user_by_invite(self.read().pool(), tenant, &digest)
                        .await?
                        .ok_or_else(unusable)?
                }
            };
        let user = self.existing_user(tenant, &user_id).await?;
        let email_name = user.profile.email.split('@').next().unwrap_or_default();
        let password = Password::parse("password", password, &[email_name, &user.profile.phone])?;
        let password_hash = self.inner.passwords.hash(password.expose()).await?;
        let command = UserCommand::Activate {
            invite_code_hash: digest,
            password_hash,
            now: meta.now(),
        };
        let committed = self
            .inner
            .users
            .execute(tenant, &user_id, meta, &command)
            .await?;
        Ok((user_id, committed))
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
    /// employees and team leads). Their sessions end and their contacts are released.
    pub async fn deactivate(
        &self,
        caller: &Caller,
        tenant: &str,
        id: &str,
        meta: &CommandMeta,
    ) -> Result<Committed<User>> {
        let name = names::user_name(tenant, id);
        caller.see_tenant(tenant, &name)?;
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
fn contact_claims(profile: &Profile) -> Vec<(ClaimKind, String, &'static str)> {
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
