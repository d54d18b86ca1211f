//! Notifications' configuration: the shared settings plus its own `BREAKROOM_*` variables,
//! each with a default that works on a developer machine.

use std::{path::PathBuf, time::Duration};

use breakroom_base::{Error, Result};
use breakroom_chassis::config::Config;
use breakroom_directory::invite_delivery::InviteDeliveryKey;

/// Service name: stream `<NS>_NOTIFICATIONS`, database `breakroom_notifications`.
pub const SERVICE: &str = "notifications";
/// Well-known gRPC port.
pub const DEFAULT_PORT: u16 = 50054;

/// Where the VAPID private key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VapidKeySource {
    /// `BREAKROOM_VAPID_PRIVATE_KEY`: base64url of the raw 32-byte P-256 private key
    /// (production, from a Secret).
    Key(String),
    /// `BREAKROOM_VAPID_PRIVATE_KEY_FILE`: a file holding it, created with a new key when
    /// missing (local runs). Default `.breakroom/notifications-vapid-key`.
    File(PathBuf),
}

/// How pushes are attempted.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// `BREAKROOM_PUSH_MAX_ATTEMPTS`: attempts before a push is dead-lettered (default 8).
    pub max_attempts: i32,
    /// `BREAKROOM_PUSH_BACKOFF_MS`: the first retry's delay; doubled per attempt, with
    /// jitter, at most an hour (default 1000).
    pub backoff: Duration,
    /// `BREAKROOM_PUSH_CONCURRENCY`: pushes in flight per replica (default 64).
    pub concurrency: usize,
    /// `BREAKROOM_PUSH_TIMEOUT_SECS`: one push request's limit (default 10).
    pub timeout: Duration,
    /// `BREAKROOM_COLLAPSE_WINDOW_SECS`: comments on one post within this window become
    /// one push (default 60).
    pub collapse_window: Duration,
    /// `BREAKROOM_PUSH_ALLOW_HTTP`: the local-development switch (default false). On:
    /// push endpoints on loopback (`127.0.0.0/8`, `::1`, `localhost`) are accepted and
    /// connected to, also over `http://` (tests, local push services), and
    /// `BREAKROOM_DEV_TIME_OFFSET` is honoured. Off: pushes go to public addresses only
    /// (see `delivery::egress`); never turn it on in a cluster.
    pub allow_http: bool,
    /// `BREAKROOM_PUSH_ALLOWED_HOSTS`: comma-separated push-service domains; an endpoint's
    /// host must be one of them or a name under one (e.g.
    /// `fcm.googleapis.com,push.services.mozilla.com,web.push.apple.com,notify.windows.com`).
    /// Unset (default): any public host. Checked at registration and at connection time.
    pub allowed_hosts: Vec<String>,
    /// How often the worker looks for due pushes when nothing wakes it (200 ms).
    pub poll: Duration,
    /// `BREAKROOM_PUSH_LEASE_SECS`: how long a claimed push stays claimed: the pushes a
    /// replica was sending when it died are sent by another (or by it, restarted) after
    /// this (default 60; must be longer than the push timeout).
    pub lease: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff: Duration::from_secs(1),
            concurrency: 64,
            timeout: Duration::from_secs(10),
            collapse_window: Duration::from_secs(60),
            allow_http: false,
            allowed_hosts: Vec::new(),
            poll: Duration::from_millis(200),
            lease: Duration::from_secs(60),
        }
    }
}

/// Notifications' settings.
#[derive(Debug, Clone)]
pub struct NotificationsConfig {
    /// The shared settings.
    pub kit: Config,
    /// The VAPID key pair's private key.
    pub vapid_key: VapidKeySource,
    /// `BREAKROOM_VAPID_SUBJECT`: the contact push services may write to (default
    /// `mailto:notifications@breakroom.invalid`).
    pub vapid_subject: String,
    /// `BREAKROOM_SMTP_URL`: the mail relay (`smtp://user:pass@host:587`); unset: no e-mail.
    pub smtp_url: Option<String>,
    /// `BREAKROOM_SMTP_FROM`: sender of e-mails (default `Breakroom <noreply@breakroom.invalid>`).
    pub smtp_from: String,
    /// `BREAKROOM_INVITE_DELIVERY_KEY`: the key identity seals invite codes with (32 bytes,
    /// base64url, a Secret shared with identity only). With it and SMTP, every invited
    /// person with an e-mail address is e-mailed their code; unset (default): no invite
    /// e-mails.
    pub invite_delivery_key: Option<InviteDeliveryKey>,
    /// Push attempts.
    pub delivery: DeliverySettings,
    /// `BREAKROOM_DEV_TIME_OFFSET`: development only. A signed duration added to the
    /// service's clock (quiet hours, off-shift holds, digests, backoff), so integrators
    /// can see tomorrow morning's digest now: `+3h`, `-90m`, `1h 30m`, `PT2H`, or whole
    /// seconds (`-5400`). Honoured only with the local-development switch
    /// (`BREAKROOM_PUSH_ALLOW_HTTP=true`); set without it, the service refuses to start.
    /// Unset (default): the system clock. Events keep the real time of their commit.
    pub dev_time_offset: Option<jiff::SignedDuration>,
}

impl NotificationsConfig {
    /// Reads the environment.
    pub fn from_env() -> Result<Self> {
        let kit = Config::from_env(SERVICE, DEFAULT_PORT)?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let number = |name: &str, default: u64| -> Result<u64> {
            match var(name) {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| Error::invalid(name, "must be a whole number")),
            }
        };
        let vapid_key = match (
            var("BREAKROOM_VAPID_PRIVATE_KEY"),
            var("BREAKROOM_VAPID_PRIVATE_KEY_FILE"),
        ) {
            (Some(key), _) => VapidKeySource::Key(key),
            (None, Some(path)) => VapidKeySource::File(path.into()),
            (None, None) => VapidKeySource::File(".breakroom/notifications-vapid-key".into()),
        };
        let attempts = number("BREAKROOM_PUSH_MAX_ATTEMPTS", 8)?;
        if !(1..=50).contains(&attempts) {
            return Err(Error::invalid("BREAKROOM_PUSH_MAX_ATTEMPTS", "1 to 50"));
        }
        let concurrency = number("BREAKROOM_PUSH_CONCURRENCY", 64)?;
        if !(1..=4096).contains(&concurrency) {
            return Err(Error::invalid("BREAKROOM_PUSH_CONCURRENCY", "1 to 4096"));
        }
        let timeout = number("BREAKROOM_PUSH_TIMEOUT_SECS", 10)?.max(1);
        let lease = number("BREAKROOM_PUSH_LEASE_SECS", 60)?;
        if lease <= timeout {
            return Err(Error::invalid(
                "BREAKROOM_PUSH_LEASE_SECS",
                "must be longer than BREAKROOM_PUSH_TIMEOUT_SECS",
            ));
        }
        let allow_http = match var("BREAKROOM_PUSH_ALLOW_HTTP").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(Error::invalid("BREAKROOM_PUSH_ALLOW_HTTP", "true or false")),
        };
        let allowed_hosts = allowed_hosts(var("BREAKROOM_PUSH_ALLOWED_HOSTS").as_deref())?;
        let dev_time_offset =
            dev_time_offset(var("BREAKROOM_DEV_TIME_OFFSET").as_deref(), allow_http)?;
        Ok(Self {
            kit,
            vapid_key,
            vapid_subject: var("BREAKROOM_VAPID_SUBJECT")
                .unwrap_or_else(|| "mailto:notifications@breakroom.invalid".into()),
            smtp_url: var("BREAKROOM_SMTP_URL"),
            smtp_from: var("BREAKROOM_SMTP_FROM")
                .unwrap_or_else(|| "Breakroom <noreply@breakroom.invalid>".into()),
            invite_delivery_key: InviteDeliveryKey::from_env()?,
            delivery: DeliverySettings {
                max_attempts: attempts as i32,
                backoff: Duration::from_millis(number("BREAKROOM_PUSH_BACKOFF_MS", 1000)?.max(1)),
                concurrency: concurrency as usize,
                timeout: Duration::from_secs(timeout),
                lease: Duration::from_secs(lease),
                collapse_window: Duration::from_secs(number("BREAKROOM_COLLAPSE_WINDOW_SECS", 60)?),
                allow_http,
                allowed_hosts,
                ..DeliverySettings::default()
            },
            dev_time_offset,
        })
    }

    /// Defaults around shared settings `kit` (tests, tools) with the given VAPID key.
    pub fn new(kit: Config, vapid_key: VapidKeySource) -> Self {
        Self {
            kit,
            vapid_key,
            vapid_subject: "mailto:notifications@breakroom.invalid".into(),
            smtp_url: None,
            smtp_from: "Breakroom <noreply@breakroom.invalid>".into(),
            invite_delivery_key: None,
            delivery: DeliverySettings::default(),
            dev_time_offset: None,
        }
    }
}

/// `BREAKROOM_PUSH_ALLOWED_HOSTS`: lower-case domains, without leading or trailing dots.
pub fn allowed_hosts(value: Option<&str>) -> Result<Vec<String>> {
    let name = "BREAKROOM_PUSH_ALLOWED_HOSTS";
    let mut hosts = Vec::new();
    for part in value.unwrap_or_default().split(',') {
        let host = part.trim().trim_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            continue;
        }
        match url::Host::parse(&host) {
            Ok(url::Host::Domain(domain)) if domain.contains('.') => hosts.push(domain),
            _ => {
                return Err(Error::invalid(
                    name,
                    format!("`{host}` is not a domain such as fcm.googleapis.com"),
                ));
            }
        }
    }
    Ok(hosts)
}

/// `BREAKROOM_DEV_TIME_OFFSET`: a signed duration (`+3h`, `-90m`, `PT2H`) or whole
/// seconds; refused unless the local-development switch is on.
pub fn dev_time_offset(
    value: Option<&str>,
    development: bool,
) -> Result<Option<jiff::SignedDuration>> {
    let name = "BREAKROOM_DEV_TIME_OFFSET";
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if !development {
        return Err(Error::invalid(
            name,
            "is development only: it needs BREAKROOM_PUSH_ALLOW_HTTP=true",
        ));
    }
    let offset = match value.parse::<i64>() {
        Ok(seconds) => jiff::SignedDuration::from_secs(seconds),
        Err(_) => value.parse::<jiff::SignedDuration>().map_err(|_| {
            Error::invalid(
                name,
                "must be a signed duration: +3h, -90m, 1h 30m or seconds",
            )
        })?,
    };
    tracing::warn!(%offset, "BREAKROOM_DEV_TIME_OFFSET: the service clock is shifted (development only)");
    Ok(Some(offset))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_time_offset_needs_the_development_switch() {
        let error = dev_time_offset(Some("+3h"), false).unwrap_err();
        assert!(
            error.to_string().contains("BREAKROOM_PUSH_ALLOW_HTTP"),
            "{error}"
        );
        assert_eq!(dev_time_offset(None, false).unwrap(), None);
        assert_eq!(dev_time_offset(Some(""), false).unwrap(), None);
    }

    #[test]
    fn time_offsets_are_signed_durations_or_seconds() {
        let offset = |v| dev_time_offset(Some(v), true).unwrap().unwrap().as_secs();
        assert_eq!(offset("+3h"), 3 * 3600);
        assert_eq!(offset("-90m"), -90 * 60);
        assert_eq!(offset("1h 30m"), 5400);
        assert_eq!(offset("PT2H"), 7200);
        assert_eq!(offset("-5400"), -5400);
        assert!(dev_time_offset(Some("soon"), true).is_err());
    }

    #[test]
    fn allowed_hosts_are_domains() {
        assert_eq!(
            allowed_hosts(Some(" FCM.googleapis.com, .push.apple.com ,")).unwrap(),
            ["fcm.googleapis.com", "push.apple.com"]
        );
        assert!(allowed_hosts(None).unwrap().is_empty());
        assert!(allowed_hosts(Some("10.0.0.1")).is_err());
        assert!(allowed_hosts(Some("localhost")).is_err());
    }
}
