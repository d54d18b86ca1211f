//! `AuthService`: login, refresh, logout, sessions, signing keys.

use breakroom_base::{Error, error::Violations};
use breakroom_proto::identity::v1::{
    self as pb,
    auth_service_server::AuthService,
    login_request::{Credential as Cred, password::Login},
};
use tonic::{Request, Response, Status};

use super::reply;
use super::{AuthGrpc, convert};
use crate::{
    app::sessions::Credential,
    domain::values::{Email, Phone},
    names, queries,
};

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl AuthService for AuthGrpc {
    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        let body = request.get_ref();
        let mut v = Violations::new();
        let tenant = v.check(names::tenant("tenant", &body.tenant));
        let client = v.check(convert::client(
            &request,
            &self.app.config().trusted_proxies,
            body.device_class,
            &body.client_version,
        ));
        let credential = match &body.credential {
            None => {
                v.add("credential", "is required: password or api_key");
                None
            }
            Some(Cred::ApiKey(key)) if key.is_empty() => {
                v.add("api_key", "is required");
                None
            }
            Some(Cred::ApiKey(key)) => Some(Credential::ApiKey(key.clone())),
            Some(Cred::Password(p)) => {
                if p.password.is_empty() {
                    v.add("password.password", "is required");
                }
                if p.password.chars().count() > crate::domain::values::MAX_PASSWORD_CHARS {
                    v.add("password.password", "is longer than any accepted password");
                }
                match &p.login {
                    None => {
                        v.add("password.email", "e-mail or phone is required");
                        None
                    }
                    Some(Login::Email(email)) => v
                        .check(Email::parse("password.email", email))
                        .map(|e| Credential::Email(e, p.password.clone())),
                    Some(Login::Phone(phone)) => v
                        .check(Phone::parse("password.phone", phone))
                        .map(|p2| Credential::Phone(p2, p.password.clone())),
                }
            }
        };
        v.finish()?;
        let (Some(tenant), Some(client), Some(credential)) = (tenant, client, credential) else {
            return Err(Error::invalid("credential", "is incomplete").into());
        };
        let meta = convert::meta(
            format!("{}/login", names::tenant_name(&tenant)),
            &body.request_id,
        )?;
        let tokens = self.app.login(&tenant, credential, client, &meta).await?;
        Ok(reply(
            pb::LoginResponse {
                access_token: tokens.access_token,
                access_token_expire_time: Some(tokens.access_expires.into()),
                refresh_token: tokens.refresh_token.unwrap_or_default(),
                session: tokens.session.unwrap_or_default(),
            },
            tokens.sequence,
        ))
    }

    async fn refresh_token(
        &self,
        request: Request<pb::RefreshTokenRequest>,
    ) -> Reply<pb::RefreshTokenResponse> {
        let body = request.get_ref();
        if body.refresh_token.is_empty() {
            return Err(Error::invalid("refresh_token", "is required").into());
        }
        let client = convert::client(&request, &self.app.config().trusted_proxies, 0, "")?;
        let meta = convert::meta("system/refresh".into(), &body.request_id)?;
        let tokens = self.app.refresh(&body.refresh_token, client, &meta).await?;
        Ok(reply(
            pb::RefreshTokenResponse {
                access_token: tokens.access_token,
                access_token_expire_time: Some(tokens.access_expires.into()),
                refresh_token: tokens.refresh_token.unwrap_or_default(),
            },
            tokens.sequence,
        ))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<()> {
        let caller = self.app.caller(&request).await?;
        caller.session()?;
        let meta = convert::meta(caller.actor(), &request.get_ref().request_id)?;
        let sequence = self.app.logout(&caller, &meta).await?;
        Ok(reply((), sequence))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Reply<pb::ListSessionsResponse> {
        let caller = self.app.caller(&request).await?;
        let (tenant, user) = names::user("parent", &request.get_ref().parent)?;
        caller.require_sessions_of(&tenant, &user, &request.get_ref().parent)?;
        let body = request.get_ref();
        let page = queries::Page::parse(body.page_size, &body.page_token, &body.parent)?;
        self.app.read().catch_up(&request).await?;
        self.app.existing_user(&tenant, &user).await?;
        let (sessions, next_page_token) =
            queries::sessions(self.app.read().pool(), &tenant, &user, &page).await?;
        Ok(Response::new(pb::ListSessionsResponse {
            sessions,
            next_page_token,
        }))
    }

    async fn revoke_session(&self, request: Request<pb::RevokeSessionRequest>) -> Reply<()> {
        let caller = self.app.caller(&request).await?;
        let (tenant, user, session) = names::session("name", &request.get_ref().name)?;
        caller.require_sessions_of(&tenant, &user, &request.get_ref().name)?;
        let meta = convert::meta(caller.actor(), &request.get_ref().request_id)?;
        let sequence = self
            .app
            .revoke_session(&caller, &tenant, &user, &session, &meta)
            .await?;
        Ok(reply((), sequence))
    }

    async fn get_signing_keys(
        &self,
        request: Request<pb::GetSigningKeysRequest>,
    ) -> Reply<pb::GetSigningKeysResponse> {
        self.app.read().catch_up(&request).await?;
        let keys = queries::signing_keys(self.app.read().pool()).await?;
        Ok(Response::new(pb::GetSigningKeysResponse { keys }))
    }
}
