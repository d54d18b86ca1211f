//! Forged and stale access tokens are refused (UNAUTHENTICATED) before anything is read.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_directory::auth::{AUDIENCE, Claims, ISSUER, Signer};
use breakroom_proto::identity::v1 as pb;
use tonic::Code;

use crate::support::*;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn encode(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

#[tokio::test]
async fn expired_foreign_unsigned_tampered_and_confused_tokens_are_refused() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("aldi").await;
    let kid = jsonwebtoken::decode_header(&admin.access)
        .unwrap()
        .kid
        .unwrap();
    let genuine = claims_of(&admin.access);
    let real_key = Signer::from_seed(&kid, &[7; 32]).unwrap();

    let expired = real_key
        .sign_claims(&Claims {
            iat: now() - 3600,
            exp: now() - 600,
            ..genuine.clone()
        })
        .unwrap();
    let foreign_same_kid = Signer::generate(&kid)
        .unwrap()
        .sign_claims(&genuine)
        .unwrap();
    let foreign_kid = Signer::generate("k-attacker")
        .unwrap()
        .sign_claims(&genuine)
        .unwrap();
    let header_none = encode(&serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid}));
    let unsigned = format!("{header_none}.{}.", admin.access.split('.').nth(1).unwrap());
    let mut parts: Vec<String> = admin.access.split('.').map(str::to_owned).collect();
    let mut tampered_claims = serde_json::to_value(&genuine).unwrap();
    tampered_claims["exp"] = serde_json::json!(now() + 10 * 365 * 86400);
    parts[1] = encode(&tampered_claims);
    let tampered = parts.join(".");
    let hs256 = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: Some(kid.clone()),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &genuine,
        &jsonwebtoken::EncodingKey::from_secret(real_key.public_x().as_bytes()),
    )
    .unwrap();
    let wrong_audience = real_key
        .sign_claims(&Claims {
            aud: "someone-else".into(),
            ..genuine.clone()
        })
        .unwrap();
    assert_eq!(
        (genuine.iss.as_str(), genuine.aud.as_str()),
        (ISSUER, AUDIENCE)
    );

    for (what, token) in [
        ("expired", expired),
        ("foreign key under our kid", foreign_same_kid),
        ("unknown kid", foreign_kid),
        ("alg none", unsigned),
        ("tampered claims", tampered),
        ("HS256 keyed with the public key", hs256),
        ("wrong audience", wrong_audience),
        ("garbage", "not.a.jwt".to_owned()),
    ] {
        let status = id
            .identity
            .clone()
            .get_tenant(bearer(
                &token,
                pb::GetTenantRequest {
                    name: "tenants/aldi".into(),
                },
            ))
            .await
            .expect_err(what);
        assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
    }
    // Control: the genuine token works.
    id.identity
        .clone()
        .get_tenant(bearer(
            &admin.access,
            pb::GetTenantRequest {
                name: "tenants/aldi".into(),
            },
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_for_one_tenant_is_useless_in_another_and_no_token_is_unauthenticated() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("lidl").await;
    id.tenant("lidl-be").await;
    let other = id
        .identity
        .clone()
        .list_stores(bearer(
            &admin.access,
            pb::ListStoresRequest {
                parent: "tenants/lidl-be".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::NotFound);
    let anonymous = id
        .identity
        .clone()
        .list_stores(pb::ListStoresRequest {
            parent: "tenants/lidl".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    // Only the operator creates tenants.
    let denied = id
        .identity
        .clone()
        .create_tenant(bearer(
            &admin.access,
            pb::CreateTenantRequest {
                tenant_id: "lidl-nl".into(),
                tenant: Some(pb::Tenant {
                    display_name: "x".into(),
                    time_zone: "UTC".into(),
                    locale: "nl".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_and_recorded_without_secrets() {
    let env = breakroom_testing::TestEnv::new().await;
    let mut config = config(&env);
    config.failures_per_account = 3;
    let id = Identity::spawn_with(env, config).await;
    id.chain_with_admin("hoogvliet").await;
    for _ in 0..3 {
        let status = id
            .login("hoogvliet", "hq@hoogvliet.example", "wrong password!")
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let throttled = id
        .login("hoogvliet", "hq@hoogvliet.example", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(throttled.code(), Code::ResourceExhausted);
    // An unknown account fails exactly like a wrong password.
    let unknown = id
        .login("hoogvliet", "nobody@hoogvliet.example", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(unknown.message(), throttled_free_message());

    let user = id.recorded("user.hoogvliet.>").await;
    let failures = event_types(&user)
        .iter()
        .filter(|t| t.ends_with(".LoginFailed"))
        .count();
    assert_eq!(
        failures,
        3,
        "throttled attempts are not recorded: {:?}",
        event_types(&user)
    );
    let tenant = id.recorded("login_audit.hoogvliet.>").await;
    let failed = tenant
        .iter()
        .flat_map(|c| c.events::<pb::TenantEvent>().unwrap())
        .find_map(|e| match e.event {
            Some(pb::tenant_event::Event::LoginFailed(failed)) => Some(failed),
            _ => None,
        })
        .expect("unknown-account failure in the hourly audit");
    assert_eq!(
        failed.reason,
        pb::login_failed::Reason::UnknownAccount as i32
    );
    assert_eq!(failed.device_class, pb::DeviceClass::MobileApp as i32);
    for commit in user.iter().chain(&tenant) {
        for event in &commit.commit.events {
            let bytes = &event.payload;
            for secret in [PASSWORD.as_bytes(), b"wrong password!"] {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret),
                    "a password leaked into {}",
                    commit.subject
                );
            }
        }
    }
}

fn throttled_free_message() -> &'static str {
    "unauthenticated: invalid credentials"
}

fn login_with(email: &str, password: &str, request_id: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        tenant: "tenants/jumbo".into(),
        credential: Some(pb::login_request::Credential::Password(
            pb::login_request::Password {
                login: Some(pb::login_request::password::Login::Email(email.into())),
                password: password.into(),
            },
        )),
        device_class: pb::DeviceClass::MobileApp as i32,
        client_version: "ios/3.4.1".into(),
        request_id: request_id.into(),
    }
}

#[tokio::test]
async fn knowing_someones_login_request_id_does_not_open_their_session_without_the_password() {
    let id = Identity::spawn().await;
    id.chain_with_admin("jumbo").await;
    let request_id = uuid();
    let victim = id
        .auth
        .clone()
        .login(login_with("hq@jumbo.example", PASSWORD, &request_id))
        .await
        .unwrap()
        .into_inner();
    let attacker = id
        .auth
        .clone()
        .login(login_with(
            "hq@jumbo.example",
            "guessing wrong",
            &request_id,
        ))
        .await
        .unwrap_err();
    assert_eq!(attacker.code(), Code::Unauthenticated);
    // The victim's own retry is still answered with the same session.
    let retry = id
        .auth
        .clone()
        .login(login_with("hq@jumbo.example", PASSWORD, &request_id))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.session, victim.session);
}

#[tokio::test]
async fn an_integration_cannot_make_admins_and_a_manager_cannot_act_on_people_above_them() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("jumbo").await;
    let store = id.store("jumbo", "J-1", &admin.access).await;
    let key = id
        .identity
        .clone()
        .create_service_account(bearer(
            &admin.access,
            pb::CreateServiceAccountRequest {
                parent: "tenants/jumbo".into(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "WFM".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .api_key;
    let wfm = id
        .auth
        .clone()
        .login(pb::LoginRequest {
            tenant: "tenants/jumbo".into(),
            credential: Some(pb::login_request::Credential::ApiKey(key)),
            device_class: pb::DeviceClass::Api as i32,
            client_version: "wfm/1".into(),
            request_id: uuid(),
        })
        .await
        .unwrap()
        .into_inner()
        .access_token;
    let hq = id
        .invite("jumbo", "sneaky@jumbo.example", vec![hq_admin()], &wfm)
        .await
        .unwrap_err();
    assert_eq!(hq.code(), Code::PermissionDenied);
    let grant = id
        .identity
        .clone()
        .grant_role(bearer(
            &wfm,
            pb::GrantRoleRequest {
                name: admin.user.clone(),
                membership: Some(hq_admin()),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(grant.code(), Code::PermissionDenied);
    // Employees are the integration's business.
    id.invite(
        "jumbo",
        "new@jumbo.example",
        vec![role_in(&store.name, pb::Role::Employee)],
        &wfm,
    )
    .await
    .unwrap();

    // A store manager gives the HQ admin a role in their store, then tries to take over
    // the admin's e-mail address: refused, the admin holds a role the manager cannot give.
    let invited = id
        .invite(
            "jumbo",
            "mgr@jumbo.example",
            vec![role_in(&store.name, pb::Role::StoreManager)],
            &admin.access,
        )
        .await
        .unwrap();
    let manager = id
        .activate_and_login("jumbo", "mgr@jumbo.example", &invited.invite_code)
        .await;
    id.identity
        .clone()
        .grant_role(bearer(
            &manager.access,
            pb::GrantRoleRequest {
                name: admin.user.clone(),
                membership: Some(role_in(&store.name, pb::Role::Employee)),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let takeover = id
        .identity
        .clone()
        .update_user(bearer(
            &manager.access,
            pb::UpdateUserRequest {
                user: Some(pb::User {
                    name: admin.user.clone(),
                    email: "mine@jumbo.example".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["email".into()],
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(takeover.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_request_id_answers_only_the_caller_who_sent_it() {
    let id = Identity::spawn().await;
    let admin = id.chain_with_admin("jumbo").await;
    let store = id.store("jumbo", "J-1", &admin.access).await;
    let invited = id
        .invite(
            "jumbo",
            "mgr@jumbo.example",
            vec![role_in(&store.name, pb::Role::StoreManager)],
            &admin.access,
        )
        .await
        .unwrap();
    let manager = id
        .activate_and_login("jumbo", "mgr@jumbo.example", &invited.invite_code)
        .await;
    let request_id = uuid();
    let invite = |token: &str, email: &str| {
        bearer(
            token,
            pb::InviteUserRequest {
                parent: "tenants/jumbo".into(),
                user: Some(pb::User {
                    display_name: "X".into(),
                    email: email.into(),
                    memberships: vec![role_in(&store.name, pb::Role::Employee)],
                    ..Default::default()
                }),
                request_id: request_id.clone(),
            },
        )
    };
    let first = id
        .identity
        .clone()
        .invite_user(invite(&admin.access, "a@jumbo.example"))
        .await
        .unwrap()
        .into_inner();
    let stolen = id
        .identity
        .clone()
        .invite_user(invite(&manager.access, "b@jumbo.example"))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&stolen), ["request_id"]);
    assert!(!stolen.message().contains(&first.invite_code));
    // b@ was not left claimed by the refused attempt.
    id.invite(
        "jumbo",
        "b@jumbo.example",
        vec![role_in(&store.name, pb::Role::Employee)],
        &manager.access,
    )
    .await
    .unwrap();
}
