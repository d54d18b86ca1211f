//! Secrets stay off the public stream: after every flow that handles one, no message of
//! `<NS>_IDENTITY` (what scheduling, feed and notifications consume) holds a secret, its
//! SHA-256 or an argon2 hash, and the secrets stream `<NS>_IDENTITY_SECRETS` holds the
//! hashes instead (so the test cannot pass by dropping them). It runs with an invite
//! delivery key: the codes sealed for notifications are on the public stream, open with
//! that key for their own person only, and the code in clear appears nowhere.

use breakroom_directory::invite_delivery::InviteDeliveryKey;
use breakroom_identity::secrets::invite_code_digest;
use breakroom_proto::identity::v1::{self as pb, login_request};
use breakroom_testing::TestEnv;
use sha2::{Digest, Sha256};
use tonic::Code;

use crate::support::*;

/// Every message of stream `<NS>_<suffix>`: subject, then headers and payload as bytes.
async fn every_message(env: &TestEnv, suffix: &str) -> Vec<(String, Vec<u8>)> {
    use futures::StreamExt;
    let js = async_nats::jetstream::new(env.nats().await);
    let name = format!("{}_{suffix}", env.namespace.as_str().to_uppercase());
    let stream = js.get_stream(&name).await.expect("stream");
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("consumer");
    let mut all = Vec::new();
    if consumer.cached_info().num_pending == 0 {
        return all;
    }
    let mut messages = consumer.messages().await.expect("messages");
    while let Some(message) = messages.next().await {
        let message = message.expect("message");
        let mut bytes = format!("{:?}", message.headers).into_bytes();
        bytes.extend_from_slice(&message.payload);
        all.push((message.subject.to_string(), bytes));
        if message.info().expect("info").pending == 0 {
            break;
        }
    }
    all
}

/// Every `UserInvited` on the public stream: (tenant, user id, event).
async fn invites_on_the_public_stream(env: &TestEnv) -> Vec<(String, String, pb::UserInvited)> {
    use breakroom_events::envelope::RecordedCommit;
    use futures::StreamExt;
    let js = async_nats::jetstream::new(env.nats().await);
    let name = format!("{}_IDENTITY", env.namespace.as_str().to_uppercase());
    let stream = js.get_stream(&name).await.expect("stream");
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("consumer");
    let mut found = Vec::new();
    let mut messages = consumer.messages().await.expect("messages");
    while let Some(message) = messages.next().await {
        let message = message.expect("message");
        let info = message.info().expect("info");
        let (sequence, pending) = (info.stream_sequence, info.pending);
        let commit = RecordedCommit::decode(sequence, &message.subject, None, &message.payload)
            .expect("a commit");
        if commit.aggregate_type() == "user" {
            for event in commit.events::<pb::UserEvent>().expect("user events") {
                if let Some(pb::user_event::Event::Invited(invited)) = event.event {
                    let (tenant, user) = (commit.tenant(), commit.aggregate_id());
                    found.push((tenant.to_owned(), user.to_owned(), invited));
                }
            }
        }
        if pending == 0 {
            break;
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn sha256(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

/// What was handed out, to look for.
#[derive(Default)]
struct Issued {
    /// Secrets in clear: codes, tokens, keys, passwords (and their random parts).
    clear: Vec<String>,
    /// SHA-256 digests the service stores of them.
    hashes: Vec<Vec<u8>>,
}

impl Issued {
    fn invite_code(&mut self, code: &str) {
        self.clear.push(code.to_owned());
        self.clear.push(code.replace('-', ""));
        self.hashes.push(sha256(code));
        self.hashes
            .push(invite_code_digest(code).expect("a valid code"));
    }

    /// A refresh token or API key: `<prefix>.<ids>.<secret>`.
    fn token(&mut self, token: &str) {
        assert!(!token.is_empty());
        self.clear.push(token.to_owned());
        self.clear
            .push(token.rsplit('.').next().unwrap_or_default().to_owned());
        self.hashes.push(sha256(token));
    }
}

fn login_by_phone(tenant: &str, phone: &str, password: &str) -> pb::LoginRequest {
    pb::LoginRequest {
        tenant: format!("tenants/{tenant}"),
        credential: Some(login_request::Credential::Password(
            login_request::Password {
                login: Some(login_request::password::Login::Phone(phone.into())),
                password: password.into(),
            },
        )),
        device_class: pb::DeviceClass::MobileApp as i32,
        client_version: "android/2.0".into(),
        request_id: uuid(),
    }
}

#[tokio::test]
async fn no_secret_or_hash_of_one_reaches_the_stream_other_services_read() {
    // With a delivery key, so that the sealed codes on `UserInvited` are checked too.
    let env = TestEnv::new().await;
    let delivery = InviteDeliveryKey::from_bytes([9; 32]).unwrap();
    let mut config = config(&env);
    config.invite_delivery_key = Some(delivery.clone());
    let id = Identity::spawn_with(env, config).await;
    let mut issued = Issued::default();
    issued.clear.push(PASSWORD.into());

    // Invite (by the operator), activate, log in by e-mail: the chain's admin.
    id.tenant("lidl").await;
    let invited = id
        .invite("lidl", "hq@lidl.example", vec![hq_admin()], OPERATOR)
        .await
        .unwrap();
    issued.invite_code(&invited.invite_code);
    let admin = id
        .activate_and_login("lidl", "hq@lidl.example", &invited.invite_code)
        .await;
    issued.token(&admin.refresh);
    let store = id.store("lidl", "L-1", &admin.access).await;

    // A batch invite: one by e-mail, one by phone; the latter activates and logs in by phone.
    let batch = id
        .identity
        .clone()
        .batch_invite_users(bearer(
            &admin.access,
            pb::BatchInviteUsersRequest {
                parent: "tenants/lidl".into(),
                requests: vec![
                    pb::InviteUserRequest {
                        user: Some(pb::User {
                            display_name: "Mia".into(),
                            email: "mia@lidl.example".into(),
                            memberships: vec![role_in(&store.name, pb::Role::Employee)],
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    pb::InviteUserRequest {
                        user: Some(pb::User {
                            display_name: "Noah".into(),
                            phone: "+31612345678".into(),
                            memberships: vec![role_in(&store.name, pb::Role::Employee)],
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ],
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    for invitation in &batch.invitations {
        issued.invite_code(&invitation.invite_code);
    }
    id.auth_activate("lidl", &batch.invitations[1].invite_code, PASSWORD)
        .await
        .unwrap();
    let noah = id
        .auth
        .clone()
        .login(login_by_phone("lidl", "+31612345678", PASSWORD))
        .await
        .unwrap()
        .into_inner();
    issued.token(&noah.refresh_token);

    // A failed login, a refresh, the reuse of the old refresh token, a logout, a revocation.
    let failed = id
        .login("lidl", "hq@lidl.example", "not the password at all")
        .await
        .unwrap_err();
    assert_eq!(failed.code(), Code::Unauthenticated);
    issued.clear.push("not the password at all".into());
    let refreshed = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: noah.refresh_token.clone(),
            request_id: uuid(),
        })
        .await
        .unwrap()
        .into_inner();
    issued.token(&refreshed.refresh_token);
    let reuse = id
        .auth
        .clone()
        .refresh_token(pb::RefreshTokenRequest {
            refresh_token: noah.refresh_token.clone(),
            request_id: uuid(),
        })
        .await
        .unwrap_err();
    assert!(reuse.message().contains("already used"), "{reuse:?}");
    let second = id.login("lidl", "hq@lidl.example", PASSWORD).await.unwrap();
    issued.token(&second.refresh_token);
    id.auth
        .clone()
        .logout(bearer(
            &second.access_token,
            pb::LogoutRequest { request_id: uuid() },
        ))
        .await
        .unwrap();
    id.auth
        .clone()
        .revoke_session(bearer(
            &admin.access,
            pb::RevokeSessionRequest {
                name: admin.session.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let admin = id.login("lidl", "hq@lidl.example", PASSWORD).await.unwrap();
    issued.token(&admin.refresh_token);

    // A service account: created, logged in with its key, deleted.
    let account = id
        .identity
        .clone()
        .create_service_account(bearer(
            &admin.access_token,
            pb::CreateServiceAccountRequest {
                parent: "tenants/lidl".into(),
                service_account: Some(pb::ServiceAccount {
                    display_name: "WFM".into(),
                    ..Default::default()
                }),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    issued.token(&account.api_key);
    id.auth
        .clone()
        .login(pb::LoginRequest {
            tenant: "tenants/lidl".into(),
            credential: Some(login_request::Credential::ApiKey(account.api_key.clone())),
            device_class: pb::DeviceClass::Api as i32,
            client_version: "wfm/1".into(),
            request_id: uuid(),
        })
        .await
        .unwrap();
    id.identity
        .clone()
        .delete_service_account(bearer(
            &admin.access_token,
            pb::DeleteServiceAccountRequest {
                name: account.service_account.unwrap().name,
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();

    // Offboarding.
    id.identity
        .clone()
        .deactivate_user(bearer(
            &admin.access_token,
            pb::DeactivateUserRequest {
                name: batch.invitations[1].user.as_ref().unwrap().name.clone(),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();

    let public = every_message(&id.env, "IDENTITY").await;
    assert!(public.len() > 20, "{} messages", public.len());
    for (subject, bytes) in &public {
        assert!(!contains(bytes, b"$argon2"), "an argon2 hash in {subject}");
        for secret in &issued.clear {
            assert!(!contains(bytes, secret.as_bytes()), "a secret in {subject}");
        }
        for hash in &issued.hashes {
            assert!(!contains(bytes, hash), "a secret's SHA-256 in {subject}");
        }
    }

    // The secrets stream holds what was kept out: every hash, but no secret in clear.
    let secret = every_message(&id.env, "IDENTITY_SECRETS").await;
    let all: Vec<u8> = secret.iter().flat_map(|(_, b)| b.clone()).collect();
    let argon2 = secret
        .iter()
        .filter(|(_, b)| contains(b, b"$argon2id$"))
        .count();
    assert_eq!(argon2, 2, "two passwords were set");
    for invitation in [&invited].into_iter().chain(batch.invitations.iter()) {
        let digest = invite_code_digest(&invitation.invite_code).unwrap();
        assert!(contains(&all, &digest), "an invite code's hash is kept");
    }
    for token in [
        &noah.refresh_token,
        &refreshed.refresh_token,
        &second.refresh_token,
        &admin.refresh_token,
        &account.api_key,
    ] {
        assert!(contains(&all, &sha256(token)), "a token's hash is kept");
    }
    for clear in &issued.clear {
        assert!(!contains(&all, clear.as_bytes()), "no secret in clear");
    }
    assert!(
        secret
            .iter()
            .all(|(subject, _)| subject.contains(".identity_secrets.credential.lidl.")),
        "only credentials live there"
    );

    // Each invite carries its code sealed for notifications: it opens with the delivery
    // key, for its own tenant and user only, to the code that was handed out.
    let handed_out: Vec<(String, String)> = [&invited]
        .into_iter()
        .chain(batch.invitations.iter())
        .map(|i| {
            let name = &i.user.as_ref().unwrap().name;
            (id_of(name).to_owned(), i.invite_code.clone())
        })
        .collect();
    let sealed = invites_on_the_public_stream(&id.env).await;
    assert_eq!(sealed.len(), handed_out.len());
    let other_key = InviteDeliveryKey::from_bytes([8; 32]).unwrap();
    for (tenant, user, invite) in &sealed {
        let code = &handed_out.iter().find(|(u, _)| u == user).unwrap().1;
        let bytes = &invite.sealed_invite_code;
        assert_eq!(&delivery.open(tenant, user, bytes).unwrap(), code);
        assert!(delivery.open(tenant, "someone-else", bytes).is_err());
        assert!(delivery.open("aldi", user, bytes).is_err());
        assert!(other_key.open(tenant, user, bytes).is_err());
    }
}

#[tokio::test]
async fn without_a_delivery_key_no_invite_carries_a_sealed_code() {
    let id = Identity::spawn().await;
    id.tenant("plus").await;
    let invited = id
        .invite("plus", "hq@plus.example", vec![hq_admin()], OPERATOR)
        .await
        .unwrap();
    assert!(!invited.invite_code.is_empty());
    let sealed = invites_on_the_public_stream(&id.env).await;
    assert_eq!(sealed.len(), 1);
    assert!(sealed[0].2.sealed_invite_code.is_empty());
}
