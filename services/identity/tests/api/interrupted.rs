//! Flows that write a credential and then a public aggregate, stopped between the two
//! writes (the first write is made here as the handler would have made it): the
//! half-done state lets nobody in, and a retry completes it.

use std::time::Duration;

use breakroom_events::{
    envelope::{CommandMeta, new_aggregate_id},
    event_store::EventStore,
    repository::Repository,
};
use breakroom_identity::{
    config::SECRETS_SERVICE,
    domain::credential::{Credential, CredentialCommand},
    secrets::{self, Passwords, RefreshTokenParts, Secrets, digest, invite_code_digest},
};
use breakroom_proto::identity::v1 as pb;
use tonic::Code;

use crate::support::*;

/// The credentials repository, on the test's secrets stream.
async fn credentials(id: &Identity) -> std::sync::Arc<Repository<Credential>> {
    let js = async_nats::jetstream::new(id.env.nats().await);
    let store = EventStore::new(
        js,
        id.env.namespace.clone(),
        SECRETS_SERVICE,
        Duration::from_secs(120),
    );
    Repository::new(store, 16)
}

fn meta(actor: &str, request_id: &str) -> CommandMeta {
    CommandMeta {
        request_id: Some(request_id.into()),
        ..CommandMeta::new(actor)
    }
}

fn activation(
    tenant: &str,
    code: &str,
    password: &str,
    request_id: &str,
) -> pb::ActivateUserRequest {
    pb::ActivateUserRequest {
        tenant: format!("tenants/{tenant}"),
        invite_code: code.into(),
        password: password.into(),
        request_id: request_id.into(),
    }
}

#[tokio::test]
async fn an_activation_stopped_after_the_password_logs_nobody_in_and_any_retry_completes_it() {
    let id = Identity::spawn().await;
    id.tenant("aldi").await;
    let invited = id
        .invite("aldi", "eva@aldi.example", vec![hq_admin()], OPERATOR)
        .await
        .unwrap();
    let user = invited.user.unwrap().name;
    let (first, request_id) = ("the first chosen passphrase", uuid());
    // The handler set the password in the credential and stopped.
    let hash = Passwords::new(config(&id.env).argon2, 1)
        .unwrap()
        .hash(first)
        .await
        .unwrap();
    credentials(&id)
        .await
        .execute(
            "aldi",
            id_of(&user),
            &meta("system/activation", &request_id),
            &CredentialCommand::SetPassword {
                invite_code_hash: invite_code_digest(&invited.invite_code).unwrap(),
                password_hash: hash,
                now: std::time::SystemTime::now(),
            },
        )
        .await
        .unwrap();
    let early = id
        .login("aldi", "eva@aldi.example", first)
        .await
        .unwrap_err();
    assert_eq!(
        early.code(),
        Code::Unauthenticated,
        "the user is not active yet"
    );

    // Someone else with the code, a new request id and another password: the code counts
    // as used, the first password stays, and the activation is completed.
    let other = id
        .identity
        .clone()
        .activate_user(activation(
            "aldi",
            &invited.invite_code,
            "a second passphrase!",
            &uuid(),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&other), ["invite_code"]);
    let refused = id
        .login("aldi", "eva@aldi.example", "a second passphrase!")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    id.login("aldi", "eva@aldi.example", first).await.unwrap();

    // The original request, retried, is answered as a success.
    let retried = id
        .identity
        .clone()
        .activate_user(activation("aldi", &invited.invite_code, first, &request_id))
        .await;
    // Its code may already be gone from the read model (the user is active): then it is
    // refused like any used code; never does it change the password.
    if let Err(status) = &retried {
        assert_eq!(violated_fields(status), ["invite_code"]);
    }
    id.login("aldi", "eva@aldi.example", first).await.unwrap();
}

#[tokio::test]
async fn an_activation_stopped_after_the_password_is_completed_by_its_own_retry() {
    let id = Identity::spawn().await;
    id.tenant("plus").await;
    let invited = id
        .invite("plus", "sam@plus.example", vec![hq_admin()], OPERATOR)
        .await
        .unwrap();
    let user = invited.user.unwrap().name;
    let request_id = uuid();
    let hash = Passwords::new(config(&id.env).argon2, 1)
        .unwrap()
        .hash(PASSWORD)
        .await
        .unwrap();
    credentials(&id)
        .await
        .execute(
            "plus",
            id_of(&user),
            &meta("system/activation", &request_id),
            &CredentialCommand::SetPassword {
                invite_code_hash: invite_code_digest(&invited.invite_code).unwrap(),
                password_hash: hash,
                now: std::time::SystemTime::now(),
            },
        )
        .await
        .unwrap();
    let activated = id
        .identity
        .clone()
        .activate_user(activation(
            "plus",
            &invited.invite_code,
            PASSWORD,
            &request_id,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(activated.state, pb::user::State::Active as i32);
    id.login("plus", "sam@plus.example", PASSWORD)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_login_stopped_after_the_refresh_token_opens_no_session_until_its_retry() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("spar").await;
    let (tenant, user) = ("spar", id_of(&admin.user).to_owned());
    let request_id = uuid();
    // What the handler derives for this request id, and writes first.
    let session = new_aggregate_id(tenant, "session", Some(&request_id));
    let token = secrets::refresh_token(
        &RefreshTokenParts {
            tenant: tenant.into(),
            user: user.clone(),
            session: session.clone(),
        },
        &Secrets::new(&[7; 32]).token("refresh", &[tenant, &user, &session], Some(&request_id)),
    );
    let now = std::time::SystemTime::now();
    credentials(&id)
        .await
        .execute(
            tenant,
            &user,
            &meta("tenants/spar/login", &request_id),
            &CredentialCommand::OpenFamily {
                session_id: session.clone(),
                refresh_hash: digest(&token),
                expires: now + Duration::from_secs(3600),
                now,
            },
        )
        .await
        .unwrap();
    let unopened = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: token.clone(),
            request_id: uuid(),
        })
        .await
        .unwrap_err();
    assert_eq!(unopened.code(), Code::Unauthenticated, "no session is open");

    let mut retry = pb::LoginRequest {
        tenant: "tenants/spar".into(),
        credential: Some(pb::login_request::Credential::Password(
            pb::login_request::Password {
                login: Some(pb::login_request::password::Login::Email(
                    "hq@spar.example".into(),
                )),
                password: PASSWORD.into(),
            },
        )),
        device_class: pb::DeviceClass::MobileApp as i32,
        client_version: "ios/3.4.1".into(),
        request_id: request_id.clone(),
    };
    let logged_in = id
        .auth
        .clone()
        .login(retry.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        logged_in.refresh_token, token,
        "the token the first attempt stored"
    );
    id.auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: token,
            request_id: uuid(),
        })
        .await
        .unwrap();
    // The same request id with a wrong password still opens nothing.
    if let Some(pb::login_request::Credential::Password(p)) = &mut retry.credential {
        p.password = "a wrong guess".into();
    }
    let guessed = id.auth.clone().login(retry).await.unwrap_err();
    assert_eq!(guessed.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_reuse_detected_but_not_yet_recorded_on_the_user_ends_the_session_at_the_next_refresh() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("coop").await;
    let rotated = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: admin.refresh.clone(),
            request_id: uuid(),
        })
        .await
        .unwrap()
        .into_inner();
    // The handler saw the old token again, flagged the family and stopped.
    let session = id_of(&admin.session).to_owned();
    credentials(&id)
        .await
        .execute(
            "coop",
            id_of(&admin.user),
            &meta("system/refresh", &uuid()),
            &CredentialCommand::Refresh {
                session_id: session,
                presented_hash: digest(&admin.refresh),
                next_hash: vec![0; 32],
                next_expires: std::time::SystemTime::now(),
                now: std::time::SystemTime::now(),
            },
        )
        .await
        .unwrap();
    // The newest token no longer refreshes; presenting it ends the session.
    let ended = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: rotated.refresh_token,
            request_id: uuid(),
        })
        .await
        .unwrap_err();
    assert!(ended.message().contains("already used"), "{ended:?}");
    let access = id
        .identity
        .clone()
        .get_tenant(bearer(
            &rotated.access_token,
            pb::GetTenantRequest {
                name: "tenants/coop".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(access.code(), Code::Unauthenticated);
}
