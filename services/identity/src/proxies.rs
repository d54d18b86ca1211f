//! Where a request comes from when identity runs behind proxies: the failed-login throttle
//! counts per source address, and logins record it, so behind an ingress that every
//! request passes through, the TCP peer alone would make all logins one source.
//!
//! Only proxies named in `BREAKROOM_TRUSTED_PROXIES` are believed. When the peer is one of
//! them, each trusted hop appended the address it received the request from to
//! `X-Forwarded-For`, so the list is read from the right: the first address that is not a
//! trusted proxy is the client. Anything left of it was written by the client and may be
//! forged; an untrusted peer's header is ignored entirely.

use std::net::{IpAddr, SocketAddr};

use breakroom_base::{Error, Result};

/// One trusted network: an address and how many leading bits must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(ip)), self.prefix, 32)
                    == masked(u128::from(u32::from(net)), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(ip), self.prefix, 128)
                    == masked(u128::from(net), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// The `prefix` leading bits of a `width`-bit address.
fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
    let host_bits = u32::from(width - prefix);
    if host_bits >= 128 {
        0
    } else {
        bits >> host_bits
    }
}

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Network>,
}

impl TrustedProxies {
    /// Parses a comma-separated list of IP addresses and CIDRs (`10.0.0.0/8`,
    /// `2001:db8::/32`, `192.0.2.7`); empty means none. `field` names the setting in
    /// errors, which quote the offending entry.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        if value.trim().is_empty() {
            return Ok(Self::default());
        }
        let networks = value
            .split(',')
            .map(|entry| parse_network(entry.trim()).map_err(|why| Error::invalid(field, why)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { networks })
    }

    /// Whether any proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.networks.iter().any(|n| n.contains(ip))
    }

    /// The client's address: the peer, unless it is trusted; then the right-most
    /// `forwarded` address that is not trusted (or, when every hop is trusted, the
    /// left-most one). `forwarded` are the `X-Forwarded-For` values in header order.
    /// Reading stops at an entry that is no address: a hop behind it is unknown.
    pub fn source(&self, peer: Option<IpAddr>, forwarded: &[&str]) -> Option<IpAddr> {
        let peer = peer?.to_canonical();
        if !self.contains(peer) {
            return Some(peer);
        }
        let mut source = peer;
        let hops = forwarded.iter().flat_map(|value| value.split(','));
        for hop in hops.collect::<Vec<_>>().into_iter().rev() {
            let Some(ip) = parse_hop(hop.trim()) else {
                break;
            };
            source = ip.to_canonical();
            if !self.contains(source) {
                break;
            }
        }
        Some(source)
    }
}

fn parse_network(entry: &str) -> std::result::Result<Network, String> {
    if entry.is_empty() {
        return Err("has an empty entry; separate addresses and CIDRs with single commas".into());
    }
    let (address, prefix) = match entry.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (entry, None),
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| format!("{entry:?}: {address:?} is not an IPv4 or IPv6 address"))?;
    let address = address.to_canonical();
    let width: u8 = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => width,
        Some(text) => text
            .parse::<u8>()
            .ok()
            .filter(|p| *p <= width)
            .ok_or_else(|| format!("{entry:?}: the prefix length must be 0-{width}"))?,
    };
    let network = Network { address, prefix };
    let bits = match address {
        IpAddr::V4(ip) => u128::from(u32::from(ip)),
        IpAddr::V6(ip) => u128::from(ip),
    };
    let host_bits = u32::from(width - prefix);
    let host = if host_bits >= 128 {
        bits
    } else {
        bits & ((1u128 << host_bits) - 1)
    };
    if host != 0 {
        return Err(format!(
            "{entry:?}: has host bits set below the /{prefix} prefix; write the network address"
        ));
    }
    Ok(network)
}

/// One `X-Forwarded-For` hop: an address, possibly with a port (`192.0.2.1:443`,
/// `[2001:db8::1]:443`) or in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    fn proxies(value: &str) -> TrustedProxies {
        TrustedProxies::parse("BREAKROOM_TRUSTED_PROXIES", value).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_source_whatever_the_header_says() {
        let none = proxies("");
        assert!(none.is_empty());
        assert_eq!(
            none.source(ip("10.0.0.5"), &["203.0.113.9"]),
            ip("10.0.0.5")
        );
        assert_eq!(none.source(None, &["203.0.113.9"]), None);
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_source() {
        let ingress = proxies("10.0.0.0/8, 192.0.2.7, 2001:db8::/32");
        assert_eq!(
            ingress.source(ip("10.1.2.3"), &["203.0.113.9"]),
            ip("203.0.113.9")
        );
        // A client-supplied entry left of the real one is ignored.
        assert_eq!(
            ingress.source(ip("10.1.2.3"), &["6.6.6.6, 203.0.113.9, 192.0.2.7"]),
            ip("203.0.113.9")
        );
        // Several headers count in order, ports and brackets are read.
        assert_eq!(
            ingress.source(
                ip("10.1.2.3"),
                &["6.6.6.6", "[2001:db9::5]:443, 10.9.9.9:80"]
            ),
            ip("2001:db9::5")
        );
        // Every hop trusted: the left-most; garbage stops the walk at the last trusted hop.
        assert_eq!(
            ingress.source(ip("10.1.2.3"), &["10.7.7.7"]),
            ip("10.7.7.7")
        );
        assert_eq!(
            ingress.source(ip("10.1.2.3"), &["not-an-ip"]),
            ip("10.1.2.3")
        );
        assert_eq!(ingress.source(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        // An IPv4 peer seen through an IPv6 socket is the same peer.
        assert_eq!(
            ingress.source(ip("::ffff:10.1.2.3"), &["203.0.113.9"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_forge_its_source() {
        let ingress = proxies("10.0.0.0/8");
        assert_eq!(
            ingress.source(ip("198.51.100.4"), &["10.0.0.1"]),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn bad_entries_are_refused_with_the_entry_and_the_reason() {
        for (value, expected) in [
            (
                "10.0.0.0/33",
                "\"10.0.0.0/33\": the prefix length must be 0-32",
            ),
            ("2001:db8::/129", "the prefix length must be 0-128"),
            ("10.0.0.1/8", "host bits set below the /8 prefix"),
            (
                "ingress.local",
                "\"ingress.local\" is not an IPv4 or IPv6 address",
            ),
            ("10.0.0.1,,10.0.0.2", "has an empty entry"),
            ("10.0.0.0/x", "the prefix length must be 0-32"),
        ] {
            let err = TrustedProxies::parse("BREAKROOM_TRUSTED_PROXIES", value).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("BREAKROOM_TRUSTED_PROXIES") && text.contains(expected),
                "{value}: {text}"
            );
        }
        assert!(proxies("0.0.0.0/0").contains("8.8.8.8".parse().unwrap()));
        assert!(!proxies("0.0.0.0/0").contains("::1".parse().unwrap()));
    }
}
