//! The encryption checked against RFC 8291's example and against a user agent's side
//! written on RustCrypto (`p256`, `hkdf`, `aes-gcm`), an implementation that shares no
//! code with `ring`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aes_gcm::{Aes128Gcm, KeyInit, aead::Aead};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use web_push_native::p256::{
    PublicKey, SecretKey, ecdh::diffie_hellman, elliptic_curve::sec1::ToEncodedPoint,
};

use super::*;

fn b64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

/// A subscription as a browser makes it: its private key, `p256dh` and `auth`.
fn subscription() -> (SecretKey, Vec<u8>, [u8; 16]) {
    let secret = loop {
        if let Ok(secret) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            break secret;
        }
    };
    let p256dh = secret
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    (secret, p256dh, rand::random())
}

/// What a user agent does with a push (RFC 8291 §3.4, RFC 8188 §2), strictly: one
/// record of at most the record size, ending in the last-record delimiter.
fn decrypt(body: &[u8], secret: &SecretKey, auth: &[u8; 16]) -> Vec<u8> {
    let (salt, rest) = body.split_at(16);
    let (rs, rest) = rest.split_at(4);
    assert_eq!(u32::from_be_bytes(rs.try_into().unwrap()), 4096);
    assert_eq!(rest[0], 65, "the key id is an uncompressed point");
    let (as_public, record) = rest[1..].split_at(65);
    assert!(record.len() <= 4096, "one record");

    let as_public = PublicKey::from_sec1_bytes(as_public).unwrap();
    let shared = diffie_hellman(secret.to_nonzero_scalar(), as_public.as_affine());
    let ua_public = secret.public_key().to_encoded_point(false);
    let mut info = b"WebPush: info\0".to_vec();
    info.extend_from_slice(ua_public.as_bytes());
    info.extend_from_slice(as_public.to_encoded_point(false).as_bytes());
    let mut ikm = [0u8; 32];
    ::hkdf::Hkdf::<sha2::Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&info, &mut ikm)
        .unwrap();
    let prk = ::hkdf::Hkdf::<sha2::Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .unwrap();
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .unwrap();
    let mut clear = Aes128Gcm::new(&cek.into())
        .decrypt(&nonce.into(), record)
        .expect("the record authenticates");
    while clear.last() == Some(&0) {
        clear.pop();
    }
    assert_eq!(clear.pop(), Some(0x02), "the last record's delimiter");
    clear
}

#[test]
fn the_rfc_8291_example_comes_out_byte_for_byte() {
    let ua_public: [u8; 65] = b64(
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
    )
    .try_into()
    .unwrap();
    let as_public: [u8; 65] = b64(
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
    )
    .try_into()
    .unwrap();
    let as_secret =
        SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
    let auth: [u8; 16] = b64("BTBZMqHH6r4Tts7J_aSIgg").try_into().unwrap();
    let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
    let peer = PublicKey::from_sec1_bytes(&ua_public).unwrap();
    let shared = diffie_hellman(as_secret.to_nonzero_scalar(), peer.as_affine());

    let body = seal(
        shared.raw_secret_bytes(),
        &as_public,
        &ua_public,
        &auth,
        &salt,
        b"When I grow up, I want to be a watermelon",
    )
    .unwrap();

    assert_eq!(
        URL_SAFE_NO_PAD.encode(body),
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml\
         mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT\
         pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
    );
}

#[test]
fn pushes_of_every_size_up_to_the_maximum_decrypt_with_an_independent_implementation() {
    let (secret, p256dh, auth) = subscription();
    for size in [
        0,
        1,
        15,
        16,
        17,
        200,
        1000,
        2048,
        MAX_PAYLOAD - 1,
        MAX_PAYLOAD,
    ] {
        let payload: Vec<u8> = (0..size).map(|i| (i * 7 + size) as u8).collect();

        let body = encrypt(&p256dh, &auth, &payload).unwrap();

        assert_eq!(body.len(), 86 + size + 1 + 16, "size {size}");
        assert!(body.len() <= 4096);
        assert_eq!(decrypt(&body, &secret, &auth), payload, "size {size}");
        // The decryption of the test suite's and the benchmark's push endpoints.
        let theirs =
            web_push_native::decrypt(body, &secret, &web_push_native::Auth::from(auth)).unwrap();
        assert_eq!(theirs, payload, "size {size}");
    }
}

#[test]
fn a_payload_above_the_maximum_is_refused() {
    let (_, p256dh, auth) = subscription();

    let refused = encrypt(&p256dh, &auth, &vec![b'x'; MAX_PAYLOAD + 1]);

    assert_eq!(refused, Err(EncryptError::TooLarge(MAX_PAYLOAD + 1)));
    assert_eq!(MAX_PAYLOAD, 3993);
}

#[test]
fn every_push_has_a_key_pair_and_salt_of_its_own() {
    let (secret, p256dh, auth) = subscription();

    let first = encrypt(&p256dh, &auth, b"same").unwrap();
    let second = encrypt(&p256dh, &auth, b"same").unwrap();

    assert_ne!(first[..16], second[..16], "salt");
    assert_ne!(first[21..86], second[21..86], "application server key");
    assert_eq!(decrypt(&first, &secret, &auth), b"same");
    assert_eq!(decrypt(&second, &secret, &auth), b"same");
}

#[test]
fn a_subscription_with_a_malformed_key_or_secret_is_refused() {
    let (secret, p256dh, auth) = subscription();
    let compressed = secret
        .public_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    let mut off_curve = p256dh.clone();
    off_curve[64] ^= 1;
    let mut hybrid = p256dh.clone();
    hybrid[0] = 0x06;

    for key in [
        &compressed,
        &off_curve,
        &hybrid,
        &p256dh[..64].to_vec(),
        &vec![],
    ] {
        assert_eq!(
            encrypt(key, &auth, b"x"),
            Err(EncryptError::PublicKey),
            "{key:?}"
        );
    }
    assert_eq!(encrypt(&p256dh, &auth[..15], b"x"), Err(EncryptError::Auth));
    assert_eq!(
        EncryptError::PublicKey.to_string(),
        "p256dh is not a P-256 point"
    );
}

#[test]
fn the_request_posts_the_encrypted_body_with_its_ttl_and_encoding() {
    let (secret, p256dh, auth) = subscription();
    let endpoint: http::Uri = "https://push.example.net/send/abc".parse().unwrap();

    let request = request(&endpoint, Duration::from_secs(3600), &p256dh, &auth, b"{}").unwrap();

    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), &endpoint);
    let header = |name: &str| request.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("ttl"), "3600");
    assert_eq!(header("content-encoding"), "aes128gcm");
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(header("content-length"), request.body().len().to_string());
    assert_eq!(decrypt(request.body(), &secret, &auth), b"{}");
}
