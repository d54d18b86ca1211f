#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;

fn principal() -> Principal {
    Principal {
        user: "u1".into(),
        tenant: "chain-a".into(),
        session: "s1".into(),
        service_account: false,
    }
}

fn keyset_for(signer: &Signer) -> KeySet {
    let keys = KeySet::new();
    keys.insert(signer.kid(), &signer.public_x()).unwrap();
    keys
}

fn is_unauthenticated(result: Result<Principal>) -> bool {
    matches!(result, Err(Error::Unauthenticated(_)))
}

#[test]
fn a_valid_token_yields_its_principal() {
    let signer = Signer::generate("k1").unwrap();
    let token = signer
        .sign(&principal(), SystemTime::now(), Duration::from_secs(600))
        .unwrap();
    assert_eq!(keyset_for(&signer).verify(&token).unwrap(), principal());
}

#[test]
fn a_remembered_token_is_refused_once_its_key_is_removed_or_it_expires() {
    let signer = Signer::generate("k1").unwrap();
    let keys = keyset_for(&signer);
    let token = signer
        .sign(&principal(), SystemTime::now(), Duration::from_secs(600))
        .unwrap();
    assert!(keys.verify(&token).is_ok());
    assert!(keys.verify(&token).is_ok(), "second time from memory");
    keys.remove("k1");
    // Before the set has read identity's keys an unknown key may still arrive: retry.
    assert!(matches!(keys.verify(&token), Err(Error::Unavailable(_))));
    keys.set_loaded();
    assert!(is_unauthenticated(keys.verify(&token)));

    let keys = keyset_for(&signer);
    let nearly_expired = signer
        .sign(
            &principal(),
            SystemTime::now() - Duration::from_secs(600 + LEEWAY_SECS - 1),
            Duration::from_secs(600),
        )
        .unwrap();
    assert!(keys.verify(&nearly_expired).is_ok());
    std::thread::sleep(Duration::from_millis(2100));
    assert!(is_unauthenticated(keys.verify(&nearly_expired)));
}

#[test]
fn an_expired_token_is_rejected() {
    let signer = Signer::generate("k1").unwrap();
    let long_ago = SystemTime::now() - Duration::from_secs(3600);
    let token = signer
        .sign(&principal(), long_ago, Duration::from_secs(600))
        .unwrap();
    assert!(is_unauthenticated(keyset_for(&signer).verify(&token)));
}

#[test]
fn a_token_signed_by_a_foreign_key_with_a_known_kid_is_rejected() {
    let signer = Signer::generate("k1").unwrap();
    let forger = Signer::generate("k1").unwrap();
    let token = forger
        .sign(&principal(), SystemTime::now(), Duration::from_secs(600))
        .unwrap();
    assert!(is_unauthenticated(keyset_for(&signer).verify(&token)));
}

#[test]
fn an_unsigned_alg_none_token_is_rejected() {
    let signer = Signer::generate("k1").unwrap();
    let token = signer
        .sign(&principal(), SystemTime::now(), Duration::from_secs(600))
        .unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1","typ":"JWT"}"#);
    let forged = format!("{header}.{payload}.");
    assert!(is_unauthenticated(keyset_for(&signer).verify(&forged)));
}

#[test]
fn tampered_claims_break_the_signature() {
    let signer = Signer::generate("k1").unwrap();
    let token = signer
        .sign(&principal(), SystemTime::now(), Duration::from_secs(600))
        .unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["tid"] = "chain-b".into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
        parts[2]
    );
    assert!(is_unauthenticated(keyset_for(&signer).verify(&tampered)));
}

#[test]
fn a_token_for_another_tenant_is_not_accepted_for_this_one() {
    let signer = Signer::generate("k1").unwrap();
    let token = signer
        .sign(&principal(), SystemTime::now(), Duration::from_secs(600))
        .unwrap();
    let who = keyset_for(&signer).verify(&token).unwrap();
    assert!(who.require_tenant("chain-a").is_ok());
    assert!(matches!(
        who.require_tenant("chain-b"),
        Err(Error::Unauthenticated(_))
    ));
}

#[test]
fn two_authorization_entries_are_refused_even_when_one_of_them_is_valid() {
    let signer = Signer::generate("k1").unwrap();
    let keys = keyset_for(&signer);
    let token = signer
        .sign(&principal(), SystemTime::now(), Duration::from_secs(600))
        .unwrap();
    let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    let mut one = tonic::Request::new(());
    one.metadata_mut().insert("authorization", bearer.clone());
    assert!(keys.authenticate(&one).is_ok());
    for second in [bearer.clone(), "Bearer forged".parse().unwrap()] {
        let mut two = tonic::Request::new(());
        two.metadata_mut().insert("authorization", bearer.clone());
        two.metadata_mut().append("authorization", second);
        assert!(is_unauthenticated(keys.authenticate(&two)));
    }
}

#[test]
fn short_or_garbage_keys_are_refused_instead_of_panicking_later() {
    let keys = KeySet::new();
    assert!(keys.insert("k", "AAAA").is_err());
    assert!(keys.insert("k", "***").is_err());
    assert!(is_unauthenticated(keys.verify("not.a.token")));
    assert!(is_unauthenticated(keys.verify("")));
}
