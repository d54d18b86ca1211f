//! The source of a login behind an ingress: with the ingress among the trusted proxies,
//! clients behind it are throttled and recorded one by one; a peer that is not trusted
//! cannot choose its source with a forged `X-Forwarded-For`.

use breakroom_identity::proxies::TrustedProxies;
use breakroom_proto::identity::v1 as pb;
use breakroom_testing::TestEnv;
use tonic::Code;

use crate::support::*;

/// Identity allowing 3 failed logins per source, trusting `proxies`.
async fn behind(proxies: &str) -> Identity {
    let env = TestEnv::new().await;
    let mut config = config(&env);
    config.failures_per_source = 3;
    config.trusted_proxies = TrustedProxies::parse("BREAKROOM_TRUSTED_PROXIES", proxies).unwrap();
    Identity::spawn_with(env, config).await
}

/// A password login of `email` as forwarded for `client`.
fn login_from(client: &str, email: &str, password: &str) -> tonic::Request<pb::LoginRequest> {
    let mut request = tonic::Request::new(pb::LoginRequest {
        tenant: "tenants/hema".into(),
        credential: Some(pb::login_request::Credential::Password(
            pb::login_request::Password {
                login: Some(pb::login_request::password::Login::Email(email.into())),
                password: password.into(),
            },
        )),
        device_class: pb::DeviceClass::DesktopWeb as i32,
        client_version: "kiosk/1".into(),
        request_id: uuid(),
    });
    request
        .metadata_mut()
        .insert("x-forwarded-for", client.parse().unwrap());
    request
}

/// The source addresses of the failed and successful logins recorded for the admin.
async fn recorded_sources(id: &Identity) -> Vec<String> {
    id.recorded("user.hema.>")
        .await
        .iter()
        .flat_map(|c| c.events::<pb::UserEvent>().unwrap())
        .filter_map(|e| match e.event? {
            pb::user_event::Event::LoginFailed(f) => Some(f.source_address),
            pb::user_event::Event::LoggedIn(l) => Some(l.source_address),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn two_clients_behind_a_trusted_proxy_are_throttled_and_recorded_separately() {
    // Tests reach the service from 127.0.0.1: that is "the ingress" here.
    let id = behind("127.0.0.1, 10.0.0.0/8").await;
    id.chain_with_admin("hema").await;
    let mut auth = id.auth.clone();
    for _ in 0..3 {
        let status = auth
            .login(login_from(
                "203.0.113.10",
                "hq@hema.example",
                "wrong guess!",
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let blocked = auth
        .login(login_from("203.0.113.10", "hq@hema.example", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Code::ResourceExhausted);
    // Another till in the same shop, behind the same ingress (and a hop of its own).
    auth.login(login_from(
        "203.0.113.20, 10.1.1.1",
        "hq@hema.example",
        PASSWORD,
    ))
    .await
    .unwrap();
    // A client cannot escape its limit by prepending an address of its choice.
    let forged = auth
        .login(login_from(
            "198.51.100.1, 203.0.113.10",
            "hq@hema.example",
            PASSWORD,
        ))
        .await
        .unwrap_err();
    assert_eq!(forged.code(), Code::ResourceExhausted);

    let sources = recorded_sources(&id).await;
    // The first login (chain_with_admin) came straight from the test, then three failures
    // from .10 and one success from .20; throttled attempts are not recorded.
    assert_eq!(
        sources[1..],
        [
            "203.0.113.10",
            "203.0.113.10",
            "203.0.113.10",
            "203.0.113.20"
        ]
    );
}

#[tokio::test]
async fn an_untrusted_peer_is_its_own_source_whatever_it_forwards() {
    let id = behind("10.0.0.0/8").await;
    id.chain_with_admin("hema").await;
    let mut auth = id.auth.clone();
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let status = auth
            .login(login_from(client, "hq@hema.example", "wrong guess!"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let blocked = auth
        .login(login_from("203.0.113.4", "hq@hema.example", PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(blocked.code(), Code::ResourceExhausted);
    let sources = recorded_sources(&id).await;
    assert!(
        sources.iter().all(|s| s == "127.0.0.1"),
        "the forged header is ignored: {sources:?}"
    );
}
