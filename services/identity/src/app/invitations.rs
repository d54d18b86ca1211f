//! Invitations (one person or a whole store) and activation.
//!
//! An invite writes three kinds of aggregates: the claims on the person's e-mail and
//! phone (so that two concurrent invites of one address have one winner), the credential
//! holding the invite code's hash, then the user (with the code sealed for notifications
//! when a delivery key is configured). Activation writes the credential (the
//! password, set with the code) and then the user (active). Each is safe to stop between
//! its writes:
//!
//! - an invite stopped after the credential leaves a code nobody can use (there is no
//!   user to activate); the retry with the same request id writes the user;
//! - an activation stopped after the credential leaves a user who cannot log in yet
//!   (login needs an active user); presenting the code again, with any request id,
//!   completes it with the password first chosen, so nobody is locked out and nobody
//!   replaces that password.

use std::{collections::HashMap, time::SystemTime};

use breakroom_base::{Error, Result, error::Violations};
use breakroom_events::{
    envelope::{CommandMeta, new_aggregate_id},
    repository::Committed,
};
use futures::StreamExt;

use super::{App, caller::Caller, people::contact_claims};
use crate::{
    domain::{
        claim::ClaimKind,
        credential::CredentialCommand,
        role::Membership,
        user::{Profile, Status, User, UserCommand},
        values::Password,
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

fn unusable() -> Error {
    Error::invalid("invite_code", "unknown, used or expired")
}

impl App {
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
        caller.require_some_manager()?;
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
                 (and no role at all) by admins, employee and team lead also by the store's \
                 managers",
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
        caller.require_some_manager()?;
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
        caller.require_some_manager()?;
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
                    self.release_all(tenant, taken, &user_id, meta).await;
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
        let expires = meta.now() + self.inner.config.invite_ttl;
        // Deterministic for one code and person, so a retry records the same bytes.
        let sealed_invite_code = self
            .inner
            .config
            .invite_delivery_key
            .as_ref()
            .map(|key| key.seal(tenant, &user_id, &code))
            .unwrap_or_default();
        let written = async {
            let secret = CredentialCommand::IssueInvite {
                invite_code_hash: digest,
                expires,
            };
            self.credential(tenant, &user_id, meta, &secret).await?;
            let command = UserCommand::Invite {
                profile: draft.profile,
                invite_expires: expires,
                memberships: draft.memberships,
                sealed_invite_code,
            };
            self.inner
                .users
                .execute(tenant, &user_id, meta, &command)
                .await
        }
        .await;
        match written {
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
                    self.release_all(tenant, taken, &user_id, meta).await;
                }
                Err(e)
            }
        }
    }

    async fn release_all(
        &self,
        tenant: &str,
        taken: Vec<(ClaimKind, String)>,
        owner: &str,
        meta: &CommandMeta,
    ) {
        for (kind, value) in taken {
            self.release(tenant, kind, &value, owner, &meta.actor).await;
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
        let digest = invite_code_digest(code).ok_or_else(unusable)?;
        let user_id = self.invited_user(tenant, &digest).await?;
        let loaded = self.inner.users.load_current(tenant, &user_id).await?;
        let retried = meta
            .request_id
            .as_deref()
            .and_then(|r| loaded.committed_request(r))
            .is_some_and(|(_, actor)| actor == meta.actor);
        if loaded.state.status == Status::Active && retried {
            // This very request activated the user; answer it again.
            let committed = self
                .inner
                .users
                .execute(tenant, &user_id, meta, &UserCommand::Activate)
                .await?;
            return Ok((user_id, committed));
        }
        let user = loaded.state;
        let credential = self
            .inner
            .credentials
            .load_current(tenant, &user_id)
            .await?
            .state;
        if user.status != Status::Invited || !credential.invite_matches(&digest) {
            return Err(unusable());
        }
        let email_name = user.profile.email.split('@').next().unwrap_or_default();
        let password = Password::parse("password", password, &[email_name, &user.profile.phone])?;
        let password_hash = self.inner.passwords.hash(password.expose()).await?;
        let command = CredentialCommand::SetPassword {
            invite_code_hash: digest,
            password_hash,
            now: meta.now(),
        };
        let set = self.credential(tenant, &user_id, meta, &command).await?;
        // Set now or by this request before: this attempt's password counts. Neither: an
        // earlier attempt set one and stopped before activating the user; finish that one
        // (its password stays) and tell this caller the code is used.
        let ours = set.replayed || !set.events.is_empty();
        let committed = self
            .inner
            .users
            .execute(tenant, &user_id, meta, &UserCommand::Activate)
            .await?;
        if !ours {
            return Err(unusable());
        }
        Ok((user_id, committed))
    }

    /// The user whose invite code has this digest, from the read model; when the code is
    /// not there yet (invited a moment ago), after letting the read model catch up with
    /// the secrets stream once.
    async fn invited_user(&self, tenant: &str, digest: &[u8]) -> Result<String> {
        let pool = self.read().pool();
        if let Some(id) = crate::queries::user_by_invite(pool, tenant, digest).await? {
            return Ok(id);
        }
        self.inner
            .secrets_read
            .catch_up_to_latest(self.secrets_store())
            .await?;
        crate::queries::user_by_invite(pool, tenant, digest)
            .await?
            .ok_or_else(unusable)
    }
}
