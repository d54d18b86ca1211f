//! Where pushes may go. A push endpoint is a URL a browser handed to a person, and any
//! employee can register one, so without a policy the service would open connections
//! wherever an endpoint points: loopback, the cloud metadata address, the cluster's
//! private network. The policy is applied twice:
//!
//! - at registration (`Egress::endpoint`): the URL parsed the way browsers parse it
//!   (WHATWG, so `127.1`, `2130706433` and `0x7f000001` are the IPv4 address they name),
//!   https only, no user-info, no address outside public unicast, no local host names,
//!   and, when configured, only hosts under an allowed push-service domain;
//! - at connection time (`connect`): the same checks on the request's URI, and every
//!   address its name resolves to, because DNS can change after registration.
//!
//! Loopback is allowed only under the local-development switch
//! (`BREAKROOM_PUSH_ALLOW_HTTP`), which the tests' local push service needs.

pub mod connect;

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    sync::Arc,
};

use crate::config::DeliverySettings;

/// Why an address is not a public unicast one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonPublic {
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16 (RFC 1918).
    Private,
    /// 169.254/16 (the cloud metadata address is one), fe80::/10.
    LinkLocal,
    /// 0.0.0.0/8, ::.
    Unspecified,
    /// 100.64/10, carrier-grade NAT (RFC 6598).
    SharedAddressSpace,
    /// fc00::/7 (RFC 4193).
    UniqueLocal,
    /// 224/4, ff00::/8.
    Multicast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// ::ffff:0:0/96: an IPv4 address spelled as IPv6.
    Ipv4Mapped,
    /// Other special-purpose ranges (IANA registries): benchmarking, 240/4, site-local...
    Reserved,
}

impl std::fmt::Display for NonPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::LinkLocal => "a link-local address",
            Self::Unspecified => "an unspecified address",
            Self::SharedAddressSpace => "a carrier-grade NAT address",
            Self::UniqueLocal => "a unique local address",
            Self::Multicast => "a multicast address",
            Self::Documentation => "a documentation address",
            Self::Ipv4Mapped => "an IPv4-mapped IPv6 address",
            Self::Reserved => "a reserved address",
        })
    }
}

/// IPv4 ranges outside public unicast: (network, prefix length, why).
const V4: [(u32, u8, NonPublic); 15] = [
    (0x0000_0000, 8, NonPublic::Unspecified),
    (0x0a00_0000, 8, NonPublic::Private),
    (0x6440_0000, 10, NonPublic::SharedAddressSpace),
    (0x7f00_0000, 8, NonPublic::Loopback),
    (0xa9fe_0000, 16, NonPublic::LinkLocal),
    (0xac10_0000, 12, NonPublic::Private),
    (0xc000_0000, 24, NonPublic::Reserved),
    (0xc000_0200, 24, NonPublic::Documentation),
    (0xc058_6300, 24, NonPublic::Reserved),
    (0xc0a8_0000, 16, NonPublic::Private),
    (0xc612_0000, 15, NonPublic::Reserved),
    (0xc633_6400, 24, NonPublic::Documentation),
    (0xcb00_7100, 24, NonPublic::Documentation),
    (0xe000_0000, 4, NonPublic::Multicast),
    (0xf000_0000, 4, NonPublic::Reserved),
];

/// IPv6 ranges outside public unicast; NAT64 and 6to4 are judged by the IPv4 address
/// they carry (`non_public_v6`).
const V6: [(u128, u8, NonPublic); 13] = [
    (0, 128, NonPublic::Unspecified),
    (1, 128, NonPublic::Loopback),
    (0xffff_0000_0000, 96, NonPublic::Ipv4Mapped),
    // IPv4-compatible (deprecated), including the two above.
    (0, 96, NonPublic::Reserved),
    (0x0064_ff9b_0001 << 80, 48, NonPublic::Reserved),
    (0x0100 << 112, 64, NonPublic::Reserved),
    (0x2001_0db8 << 96, 32, NonPublic::Documentation),
    (0x2001 << 112, 23, NonPublic::Reserved),
    (0x3fff << 112, 20, NonPublic::Documentation),
    (0xfc00 << 112, 7, NonPublic::UniqueLocal),
    (0xfe80 << 112, 10, NonPublic::LinkLocal),
    (0xfec0 << 112, 10, NonPublic::Reserved),
    (0xff00 << 112, 8, NonPublic::Multicast),
];

fn within<const BITS: u32>(address: u128, network: u128, prefix: u8) -> bool {
    let shift = BITS - u32::from(prefix);
    shift >= BITS || address >> shift == network >> shift
}

fn non_public_v4(ip: Ipv4Addr) -> Option<NonPublic> {
    let address = u128::from(u32::from(ip));
    V4.iter()
        .find(|(net, prefix, _)| within::<32>(address, u128::from(*net), *prefix))
        .map(|(_, _, why)| *why)
}

fn non_public_v6(ip: Ipv6Addr) -> Option<NonPublic> {
    let address = u128::from(ip);
    if let Some((_, _, why)) = V6
        .iter()
        .find(|(net, prefix, _)| within::<128>(address, *net, *prefix))
    {
        return Some(*why);
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address inside them.
    if within::<128>(address, 0x0064_ff9b << 96, 96) {
        return non_public_v4(Ipv4Addr::from(address as u32));
    }
    if within::<128>(address, 0x2002 << 112, 16) {
        return non_public_v4(Ipv4Addr::from((address >> 80) as u32));
    }
    None
}

/// Why `ip` is not a public unicast address, or `None` when it is one.
pub fn non_public(ip: IpAddr) -> Option<NonPublic> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

/// A refused destination: the endpoint, name or address, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("push endpoint refused: {what} is {why}")]
pub struct Refused {
    /// The host, URL or address refused.
    pub what: String,
    /// Why, as a phrase ("a loopback address").
    pub why: String,
}

impl Refused {
    fn new(what: impl Into<String>, why: impl ToString) -> Self {
        Self {
            what: what.into(),
            why: why.to_string(),
        }
    }
}

/// Host names that only mean something inside a machine or a network.
const LOCAL_SUFFIXES: [&str; 5] = ["internal", "local", "localdomain", "home.arpa", "lan"];

/// The egress policy of pushes.
#[derive(Debug, Clone, Default)]
pub struct Egress {
    /// Local development: loopback hosts and addresses (and `http://` to them) allowed.
    allow_loopback: bool,
    /// Allowed push-service domains (the host itself or any name under it); empty = any
    /// public host.
    allowed_hosts: Arc<[String]>,
}

impl Egress {
    /// Public hosts only (what production runs with, unless an allow-list is set).
    pub fn public() -> Self {
        Self::default()
    }

    /// Public hosts and loopback: local runs, tests and benchmarks.
    pub fn local_development() -> Self {
        Self {
            allow_loopback: true,
            ..Self::default()
        }
    }

    /// The policy of `settings`: loopback only with `allow_http`, the allow-list if set.
    pub fn from_settings(settings: &DeliverySettings) -> Self {
        Self {
            allow_loopback: settings.allow_http,
            allowed_hosts: settings.allowed_hosts.clone().into(),
        }
    }

    /// Refuses an address outside public unicast (loopback allowed in development).
    pub fn address(&self, ip: IpAddr) -> Result<(), Refused> {
        match non_public(ip) {
            None => Ok(()),
            Some(NonPublic::Loopback) if self.allow_loopback => Ok(()),
            Some(why) => Err(Refused::new(ip.to_string(), why)),
        }
    }

    /// Refuses a host that is not a public one (or not under an allowed domain).
    pub fn host(&self, host: &url::Host<&str>) -> Result<(), Refused> {
        let domain = match host {
            url::Host::Ipv4(ip) => return self.literal(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => return self.literal(IpAddr::V6(*ip)),
            url::Host::Domain(domain) => domain.strip_suffix('.').unwrap_or(domain),
        };
        let under = |suffix: &str| {
            domain == suffix
                || domain
                    .strip_suffix(suffix)
                    .is_some_and(|head| head.ends_with('.'))
        };
        if under("localhost") {
            return match self.allow_loopback {
                true => Ok(()),
                false => Err(Refused::new(domain, NonPublic::Loopback)),
            };
        }
        if let Some(suffix) = LOCAL_SUFFIXES.iter().find(|s| under(s)) {
            return Err(Refused::new(domain, format!("a local name (.{suffix})")));
        }
        if !domain.contains('.') {
            return Err(Refused::new(domain, "a single-label name"));
        }
        if !self.allowed_hosts.is_empty() && !self.allowed_hosts.iter().any(|s| under(s)) {
            return Err(Refused::new(
                domain,
                "not under an allowed push service domain (BREAKROOM_PUSH_ALLOWED_HOSTS)",
            ));
        }
        Ok(())
    }

    /// An IP literal: with an allow-list, only loopback in development passes.
    fn literal(&self, ip: IpAddr) -> Result<(), Refused> {
        self.address(ip)?;
        if !self.allowed_hosts.is_empty() && non_public(ip).is_none() {
            return Err(Refused::new(
                ip.to_string(),
                "an address, not an allowed push service domain",
            ));
        }
        Ok(())
    }

    /// Parses an endpoint as browsers do and checks it; returns it normalised (what is
    /// stored and later connected to is what was checked).
    pub fn endpoint(&self, endpoint: &str) -> Result<url::Url, EndpointError> {
        let url = url::Url::parse(endpoint).map_err(|_| EndpointError::NotHttps)?;
        let host = url.host().ok_or(EndpointError::NotHttps)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(EndpointError::UserInfo);
        }
        let loopback = self.allow_loopback && is_loopback(&host);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(EndpointError::NotHttps),
        }
        self.host(&host).map_err(EndpointError::Refused)?;
        Ok(url)
    }

    /// The connection-time check of a request's URI: scheme, then the host as `host`.
    pub fn uri(&self, uri: &http::Uri) -> Result<(), Refused> {
        let raw = uri.host().unwrap_or_default();
        let owned = url::Host::parse(raw).map_err(|_| Refused::new(raw, "not a host name"))?;
        let host = match &owned {
            url::Host::Domain(domain) => url::Host::Domain(domain.as_str()),
            url::Host::Ipv4(ip) => url::Host::Ipv4(*ip),
            url::Host::Ipv6(ip) => url::Host::Ipv6(*ip),
        };
        if uri.scheme_str() != Some("https") && !(self.allow_loopback && is_loopback(&host)) {
            // The host only: the path is the subscription's secret.
            return Err(Refused::new(raw, "reached over plain http"));
        }
        self.host(&host)
    }
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(d) => {
            let d = d.strip_suffix('.').unwrap_or(d);
            d == "localhost" || d.ends_with(".localhost")
        }
    }
}

/// Why an endpoint was refused at registration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not an https URL with a host.
    #[error("must be an https URL of a push service")]
    NotHttps,
    /// `https://user:pass@host/`: never what a push service hands out, and a way to
    /// make a URL look like another host.
    #[error("must not carry a user name or password")]
    UserInfo,
    /// A host or address outside the policy.
    #[error("must be a public push service: {} is {}", .0.what, .0.why)]
    Refused(Refused),
}

#[cfg(test)]
#[path = "egress_tests.rs"]
mod tests;
