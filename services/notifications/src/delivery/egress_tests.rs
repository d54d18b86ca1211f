#![allow(clippy::unwrap_used)]
use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn every_special_purpose_range_is_non_public() {
    for (address, why) in [
        ("0.0.0.0", NonPublic::Unspecified),
        ("10.1.2.3", NonPublic::Private),
        ("100.64.0.1", NonPublic::SharedAddressSpace),
        ("100.127.255.254", NonPublic::SharedAddressSpace),
        ("127.0.0.1", NonPublic::Loopback),
        ("127.255.0.9", NonPublic::Loopback),
        ("169.254.169.254", NonPublic::LinkLocal),
        ("172.16.0.1", NonPublic::Private),
        ("172.31.255.255", NonPublic::Private),
        ("192.0.2.10", NonPublic::Documentation),
        ("192.168.1.1", NonPublic::Private),
        ("198.18.0.1", NonPublic::Reserved),
        ("224.0.0.1", NonPublic::Multicast),
        ("255.255.255.255", NonPublic::Reserved),
        ("::", NonPublic::Unspecified),
        ("::1", NonPublic::Loopback),
        ("::ffff:127.0.0.1", NonPublic::Ipv4Mapped),
        ("::ffff:169.254.169.254", NonPublic::Ipv4Mapped),
        ("::ffff:8.8.8.8", NonPublic::Ipv4Mapped),
        ("::127.0.0.1", NonPublic::Reserved),
        ("fd00::1", NonPublic::UniqueLocal),
        ("fc00::1", NonPublic::UniqueLocal),
        ("fe80::1", NonPublic::LinkLocal),
        ("ff02::1", NonPublic::Multicast),
        ("2001:db8::1", NonPublic::Documentation),
        ("64:ff9b::a9fe:a9fe", NonPublic::LinkLocal),
        ("2002:7f00:1::", NonPublic::Loopback),
    ] {
        assert_eq!(non_public(ip(address)), Some(why), "{address}");
    }
}

#[test]
fn public_unicast_addresses_pass() {
    for address in [
        "8.8.8.8",
        "142.250.74.138",
        "172.32.0.1",
        "100.128.0.1",
        "2a00:1450:4001::200e",
        "64:ff9b::808:808",
        "2002:808:808::",
    ] {
        assert_eq!(non_public(ip(address)), None, "{address}");
    }
}

fn refused(egress: &Egress, endpoint: &str) -> bool {
    egress.endpoint(endpoint).is_err()
}

#[test]
fn every_spelling_of_an_internal_endpoint_is_refused() {
    let egress = Egress::public();
    for endpoint in [
        "https://127.0.0.1/push",
        "https://127.1/push",
        "https://2130706433/push",
        "https://0x7f000001/push",
        "https://0177.0.0.1/push",
        "https://[::1]/push",
        "https://[::ffff:127.0.0.1]/push",
        "https://[::ffff:7f00:1]/push",
        "https://localhost/push",
        "https://LOCALHOST./push",
        "https://push.localhost/push",
        "https://push.example@127.0.0.1/push",
        "https://user:pass@push.example.com/push",
        "https://169.254.169.254/latest/meta-data",
        "https://2852039166/latest/meta-data",
        "https://[::ffff:169.254.169.254]/",
        "https://[fe80::1]/",
        "https://10.0.0.1/",
        "https://172.16.5.4/",
        "https://192.168.0.1/",
        "https://100.64.0.1/",
        "https://[fd00::1]/",
        "https://0.0.0.0/",
        "https://0/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://metadata/",
        "https://printer.local/",
        "http://push.example.com/push",
        "ftp://push.example.com/push",
        "https:///push",
        "not a url",
    ] {
        assert!(refused(&egress, endpoint), "{endpoint} accepted");
    }
}

#[test]
fn push_services_pass_with_any_port_and_are_normalised() {
    let egress = Egress::public();
    let url = egress
        .endpoint("https://FCM.googleapis.com:8443/fcm/send/abc")
        .unwrap();
    assert_eq!(url.as_str(), "https://fcm.googleapis.com:8443/fcm/send/abc");
    assert!(!refused(&egress, "https://8.8.8.8/push"));
}

#[test]
fn loopback_needs_the_local_development_switch_and_nothing_else_opens() {
    let dev = Egress::local_development();
    for endpoint in [
        "http://127.0.0.1:37683/push/1",
        "https://127.0.0.1/push",
        "http://localhost:8080/push",
        "http://[::1]:8080/push",
    ] {
        assert!(!refused(&dev, endpoint), "{endpoint} refused");
        assert!(refused(&Egress::public(), endpoint), "{endpoint} accepted");
    }
    assert!(refused(&dev, "https://10.0.0.1/push"));
    assert!(refused(&dev, "http://push.example.com/push"));
    assert!(refused(&dev, "https://metadata.google.internal/"));
}

#[test]
fn an_allow_list_admits_only_its_domains() {
    let settings = DeliverySettings {
        allowed_hosts: vec!["fcm.googleapis.com".into(), "push.apple.com".into()],
        ..DeliverySettings::default()
    };
    let egress = Egress::from_settings(&settings);
    assert!(!refused(&egress, "https://fcm.googleapis.com/fcm/send/x"));
    assert!(!refused(&egress, "https://web.push.apple.com/x"));
    assert!(refused(&egress, "https://evilfcm.googleapis.com.example/x"));
    assert!(refused(&egress, "https://notpush.apple.com/x"));
    assert!(refused(&egress, "https://8.8.8.8/x"));
}

#[test]
fn connection_time_checks_follow_the_same_policy() {
    let egress = Egress::public();
    let uri = |text: &str| text.parse::<http::Uri>().unwrap();
    assert!(egress.uri(&uri("https://127.1/x")).is_err());
    assert!(egress.uri(&uri("https://localhost/x")).is_err());
    assert!(egress.uri(&uri("http://push.example.com/x")).is_err());
    assert!(egress.uri(&uri("https://push.example.com/x")).is_ok());
    let dev = Egress::local_development();
    assert!(dev.uri(&uri("http://127.0.0.1:9/x")).is_ok());
}
