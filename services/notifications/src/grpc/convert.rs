//! Proto <-> domain for notifications: resource names, device subscriptions and
//! preferences parsed with every field violation collected; rows rendered as resources.

use base64::{
    Engine,
    engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD},
};
use breakroom_base::{Result, error::Violations, names};
use breakroom_proto::notifications::v1::{self as pb, Category};
use web_push_native::p256::PublicKey;

use crate::{
    delivery::egress::Egress,
    domain::preferences::{Settings, format_time, parse_time},
    queries::{DeviceRow, FailedRow, NotificationRow},
};

/// `tenants/{tenant}/users/{user}`.
pub fn user(field: &str, name: &str) -> Result<(String, String)> {
    names::parse2(
        field,
        name,
        ["tenants", "users"],
        "tenants/{tenant}/users/{user}",
    )
}

/// `tenants/{tenant}/users/{user}/{collection}/{id}`.
pub fn child(field: &str, name: &str, collection: &str) -> Result<(String, String, String)> {
    let pattern = format!("tenants/{{tenant}}/users/{{user}}/{collection}/{{id}}");
    let ids = names::parse(field, name, &["tenants", "users", collection], &pattern)?;
    Ok((ids[0].clone(), ids[1].clone(), ids[2].clone()))
}

/// `tenants/{tenant}/users/{user}/preferences`.
pub fn preferences_name(field: &str, name: &str) -> Result<(String, String)> {
    match name.strip_suffix("/preferences") {
        Some(user_name) => user(field, user_name),
        None => user(field, "").and(Err(breakroom_base::Error::invalid(
            field,
            "must be tenants/{tenant}/users/{user}/preferences",
        ))),
    }
}

fn key(value: &str) -> Option<Vec<u8>> {
    let trimmed = value.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE.decode(value))
        .ok()
}

/// The subscription of a RegisterDevice request: `(endpoint, p256dh, auth, display name)`,
/// the endpoint normalised as browsers parse it and checked against `egress` (no internal
/// addresses or names: the service would connect there).
pub fn subscription(
    device: Option<&pb::Device>,
    egress: &Egress,
) -> Result<(String, Vec<u8>, Vec<u8>, String)> {
    let mut v = Violations::new();
    let Some(d) = device else {
        v.add("device", "is required");
        v.finish()?;
        return Err(breakroom_base::Error::invalid("device", "is required"));
    };
    let mut endpoint = String::new();
    if d.endpoint.is_empty() {
        v.add("device.endpoint", "is required");
    } else if d.endpoint.len() > 2048 {
        v.add("device.endpoint", "must be at most 2048 characters");
    } else {
        match egress.endpoint(&d.endpoint) {
            Ok(url) => endpoint = url.into(),
            Err(e) => v.add("device.endpoint", e.to_string()),
        }
    }
    let p256dh = key(&d.p256dh).filter(|k| PublicKey::from_sec1_bytes(k).is_ok() && k.len() == 65);
    if p256dh.is_none() {
        v.add(
            "device.p256dh",
            "must be base64url of an uncompressed P-256 public key (65 bytes)",
        );
    }
    let auth = key(&d.auth).filter(|a| a.len() == 16);
    if auth.is_none() {
        v.add("device.auth", "must be base64url of 16 bytes");
    }
    if d.display_name.chars().count() > 80 {
        v.add("device.display_name", "must be at most 80 characters");
    }
    v.finish()?;
    Ok((
        endpoint,
        p256dh.unwrap_or_default(),
        auth.unwrap_or_default(),
        d.display_name.trim().to_owned(),
    ))
}

/// Applies the fields of `wanted` named by `mask` (all when empty) to `current`.
pub fn preferences(
    current: &Settings,
    wanted: &pb::Preferences,
    mask: &[String],
) -> Result<Settings> {
    const FIELDS: [&str; 4] = [
        "categories",
        "quiet_hours",
        "off_shift_quiet",
        "digest_time",
    ];
    let mut v = Violations::new();
    for path in mask {
        if !FIELDS.contains(&path.as_str()) {
            v.add(
                "update_mask",
                format!("unknown field `{path}`; one of {}", FIELDS.join(", ")),
            );
        }
    }
    let all = mask.is_empty();
    let has = |f: &str| all || mask.iter().any(|m| m == f);
    let mut next = current.clone();
    if has("categories") {
        let (mut push_off, mut email_off, mut seen) = (Vec::new(), Vec::new(), Vec::new());
        for (i, c) in wanted.categories.iter().enumerate() {
            let field = format!("preferences.categories[{i}].category");
            match Category::try_from(c.category) {
                Ok(Category::Unspecified) | Err(_) => v.add(field, "must be a category"),
                Ok(_) if seen.contains(&c.category) => v.add(field, "is listed twice"),
                Ok(_) => {
                    seen.push(c.category);
                    if !c.push {
                        push_off.push(c.category);
                    }
                    if !c.email {
                        email_off.push(c.category);
                    }
                }
            }
        }
        push_off.sort_unstable();
        email_off.sort_unstable();
        next.push_off = push_off;
        next.email_off = email_off;
    }
    if has("quiet_hours") {
        next.quiet = match &wanted.quiet_hours {
            Some(q) if q.enabled => {
                let start = parse_time("preferences.quiet_hours.start", &q.start, &mut v);
                let end = parse_time("preferences.quiet_hours.end", &q.end, &mut v);
                match (start, end) {
                    (Some(s), Some(e)) if s == e => {
                        v.add("preferences.quiet_hours.end", "must differ from the start");
                        None
                    }
                    (Some(s), Some(e)) => Some((s, e)),
                    _ => None,
                }
            }
            _ => None,
        };
    }
    if has("off_shift_quiet") {
        next.off_shift_quiet = wanted.off_shift_quiet;
    }
    if has("digest_time") {
        next.digest_minute = if wanted.digest_time.is_empty() {
            None
        } else {
            parse_time("preferences.digest_time", &wanted.digest_time, &mut v)
        };
    }
    v.finish()?;
    Ok(next)
}

fn timestamp(t: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// A device as a resource (keys are input only).
pub fn device(tenant: &str, d: &DeviceRow) -> pb::Device {
    pb::Device {
        name: format!("tenants/{tenant}/users/{}/devices/{}", d.user_id, d.id),
        endpoint: d.endpoint.clone(),
        p256dh: String::new(),
        auth: String::new(),
        display_name: d.display_name.clone(),
        register_time: Some(timestamp(d.registered_at)),
    }
}

/// Preferences as a resource.
pub fn render_preferences(
    tenant: &str,
    user: &str,
    s: &Settings,
    zone: String,
    updated: Option<chrono::DateTime<chrono::Utc>>,
) -> pb::Preferences {
    let categories = [
        Category::Schedule,
        Category::Announcements,
        Category::Social,
        Category::System,
    ]
    .into_iter()
    .map(|c| pb::CategoryPreference {
        category: c as i32,
        push: !s.push_off.contains(&(c as i32)),
        email: !s.email_off.contains(&(c as i32)),
    })
    .collect();
    pb::Preferences {
        name: format!("tenants/{tenant}/users/{user}/preferences"),
        categories,
        quiet_hours: Some(match s.quiet {
            Some((start, end)) => pb::QuietHours {
                enabled: true,
                start: format_time(start),
                end: format_time(end),
            },
            None => pb::QuietHours::default(),
        }),
        off_shift_quiet: s.off_shift_quiet,
        digest_time: s.digest_minute.map(format_time).unwrap_or_default(),
        time_zone: zone,
        update_time: updated.map(timestamp),
    }
}

/// An inbox item as a resource.
pub fn notification(tenant: &str, n: &NotificationRow) -> pb::Notification {
    let fields = n
        .fields
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    pb::Notification {
        name: format!(
            "tenants/{tenant}/users/{}/notifications/{}",
            n.user_id, n.id
        ),
        kind: n.kind,
        category: n.category,
        fields,
        urgent: n.urgent,
        create_time: Some(timestamp(n.created_at)),
        read_time: n.read_at.map(timestamp),
    }
}

/// A dead letter as a resource.
pub fn failed(tenant: &str, f: &FailedRow) -> pb::FailedDelivery {
    pb::FailedDelivery {
        name: format!("tenants/{tenant}/deliveries/{}", f.id),
        notification: format!(
            "tenants/{tenant}/users/{}/notifications/{}",
            f.user_id, f.notification_id
        ),
        device: format!(
            "tenants/{tenant}/users/{}/devices/{}",
            f.user_id, f.device_id
        ),
        attempts: f.attempts,
        last_status_code: f.last_status,
        last_error: f.last_error.clone(),
        fail_time: f.finished_at.map(timestamp),
    }
}
