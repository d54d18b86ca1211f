//! The VAPID JWT a push service receives names the endpoint's origin (RFC 8292 §2,
//! RFC 6454): scheme, host and the port, which the local push service's is.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use breakroom_proto::notifications::v1 as pb;

use crate::support::*;

#[tokio::test]
async fn the_vapid_audience_is_the_endpoints_origin_including_its_port() {
    let p = Platform::spawn().await;
    let chain = p.chain("vapid").await;
    let ann = p.employee(&chain, "ann@vapid.example").await;
    let device = p.device(&chain.tenant, &ann).await;
    p.client()
        .send_test_notification(bearer(
            &ann.token,
            pb::SendTestNotificationRequest {
                parent: format!("tenants/{}/users/{}", chain.tenant, ann.id),
                request_id: uuid(),
            },
        ))
        .await
        .unwrap();
    let pushes = p.push.wait_for(&device, 1).await;
    let (token, key) = pushes[0]
        .authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=<jwt>, k=<key>");
    assert_eq!(key, p.vapid.public_key());
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let origin = p.push.origin();
    assert!(origin.rsplit(':').next().unwrap().parse::<u16>().is_ok());
    assert_eq!(claims["aud"], origin.as_str());
    assert_eq!(claims["sub"], "mailto:notifications@breakroom.invalid");
    let expires = claims["exp"].as_i64().unwrap();
    let now = jiff::Timestamp::now().as_second();
    assert!(
        expires > now && expires <= now + 24 * 3600,
        "exp within 24 h"
    );
}
