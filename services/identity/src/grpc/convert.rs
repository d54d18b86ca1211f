//! Proto <-> domain: parsing requests into value types (collecting every field violation)
//! and rendering aggregate states as resources.

use breakroom_base::{Error, Result, error::Violations};
use breakroom_events::envelope::CommandMeta;
use breakroom_proto::identity::v1 as pb;

use crate::{
    app::{caller::Caller, invitations::InviteDraft, sessions::Client},
    domain::{
        role::{Membership, Role},
        store::Store,
        user::{Profile, Status, User},
        values::{DepartmentId, DisplayName, Email, Phone},
    },
    names,
    proxies::TrustedProxies,
};

/// Longest accepted client version string.
const MAX_CLIENT_VERSION: usize = 64;

/// Command metadata for a request: the caller as actor and the checked `request_id`.
pub fn meta(actor: String, request_id: &str) -> Result<CommandMeta> {
    CommandMeta::for_request(actor, request_id)
}

/// Optional e-mail and phone of a user message, at least one required.
pub fn contacts(
    violations: &mut Violations,
    prefix: &str,
    email: &str,
    phone: &str,
) -> (Option<Email>, Option<Phone>) {
    let email = (!email.trim().is_empty())
        .then(|| violations.check(Email::parse(&format!("{prefix}.email"), email)))
        .flatten();
    let phone = (!phone.trim().is_empty())
        .then(|| violations.check(Phone::parse(&format!("{prefix}.phone"), phone)))
        .flatten();
    (email, phone)
}

/// A membership of the request's tenant.
pub fn membership(tenant: &str, field: &str, message: &pb::Membership) -> Result<Membership> {
    let mut violations = Violations::new();
    let role = Role::from_proto(message.role);
    if role.is_none() {
        violations.add(format!("{field}.role"), "is required: a known role");
    }
    let store_id = if message.store.is_empty() {
        None
    } else {
        match names::store(&format!("{field}.store"), &message.store) {
            Ok((store_tenant, _)) if store_tenant != tenant => {
                violations.add(format!("{field}.store"), "must be a store of this tenant");
                None
            }
            Ok((_, id)) => Some(id),
            Err(e) => {
                violations.check::<()>(Err(e));
                None
            }
        }
    };
    let department_id = if message.department_id.is_empty() {
        None
    } else if message.store.is_empty() {
        violations.add(format!("{field}.department_id"), "needs a store");
        None
    } else {
        violations.check(DepartmentId::parse(
            &format!("{field}.department_id"),
            &message.department_id,
        ))
    };
    violations.finish()?;
    Ok(Membership {
        store_id,
        department_id,
        role: role.ok_or_else(|| Error::invalid(format!("{field}.role"), "is required"))?,
    })
}

/// An invitation entry: profile and memberships.
pub fn invite_draft(tenant: &str, field: &str, user: Option<&pb::User>) -> Result<InviteDraft> {
    let Some(user) = user else {
        return Err(Error::invalid(field, "is required"));
    };
    let mut violations = Violations::new();
    let display_name = violations.check(DisplayName::parse(
        &format!("{field}.display_name"),
        &user.display_name,
    ));
    let (email, phone) = contacts(&mut violations, field, &user.email, &user.phone);
    if user.email.trim().is_empty() && user.phone.trim().is_empty() {
        violations.add(format!("{field}.email"), "e-mail or phone is required");
    }
    let mut memberships = Vec::new();
    for (index, m) in user.memberships.iter().enumerate() {
        if let Some(m) = violations.check(membership(
            tenant,
            &format!("{field}.memberships[{index}]"),
            m,
        )) {
            memberships.push(m);
        }
    }
    violations.finish()?;
    Ok(InviteDraft {
        profile: Profile {
            display_name: display_name.ok_or_else(|| Error::invalid(field, "display_name"))?,
            email,
            phone,
        },
        memberships,
    })
}

/// Departments of a store message.
pub fn departments(
    violations: &mut Violations,
    store: &pb::Store,
) -> Vec<(DepartmentId, DisplayName)> {
    store
        .departments
        .iter()
        .enumerate()
        .filter_map(|(index, d)| {
            let field = format!("store.departments[{index}]");
            let id = violations.check(DepartmentId::parse(
                &format!("{field}.department_id"),
                &d.department_id,
            ));
            let name = violations.check(DisplayName::parse(
                &format!("{field}.display_name"),
                &d.display_name,
            ));
            Some((id?, name?))
        })
        .collect()
}

/// What a client says about itself, and where the request came from: its TCP peer, or
/// behind a trusted proxy the client that proxy names in `X-Forwarded-For`.
pub fn client<T>(
    request: &tonic::Request<T>,
    proxies: &TrustedProxies,
    device_class: i32,
    client_version: &str,
) -> Result<Client> {
    let mut violations = Violations::new();
    if pb::DeviceClass::try_from(device_class).is_err() {
        violations.add("device_class", "unknown device class");
    }
    if client_version.chars().count() > MAX_CLIENT_VERSION
        || client_version.chars().any(char::is_control)
    {
        violations.add("client_version", "must be at most 64 printable characters");
    }
    violations.finish()?;
    Ok(Client {
        device_class,
        client_version: client_version.to_owned(),
        source_address: source_address(request, proxies),
    })
}

/// The address a request comes from, as a string ("" when unknown).
pub fn source_address<T>(request: &tonic::Request<T>, proxies: &TrustedProxies) -> String {
    let peer = request.remote_addr().map(|a| a.ip());
    if proxies.is_empty() {
        return peer.map(|ip| ip.to_string()).unwrap_or_default();
    }
    let forwarded: Vec<&str> = request
        .metadata()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    proxies
        .source(peer, &forwarded)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// A store aggregate as a resource.
pub fn store(tenant: &str, id: &str, store: &Store) -> pb::Store {
    let a = &store.attributes;
    pb::Store {
        name: names::store_name(tenant, id),
        display_name: a.display_name.clone(),
        store_code: a.store_code.clone(),
        region: a.region.clone(),
        time_zone: a.time_zone.clone(),
        state: if store.closed {
            pb::store::State::Closed
        } else {
            pb::store::State::Open
        } as i32,
        departments: store
            .departments
            .iter()
            .map(|(id, name)| pb::Department {
                department_id: id.clone(),
                display_name: name.clone(),
            })
            .collect(),
    }
}

/// A user aggregate as a resource.
pub fn user(tenant: &str, id: &str, user: &User) -> pb::User {
    pb::User {
        name: names::user_name(tenant, id),
        display_name: user.profile.display_name.clone(),
        email: user.profile.email.clone(),
        phone: user.profile.phone.clone(),
        state: match user.status {
            Status::None => pb::user::State::Unspecified,
            Status::Invited => pb::user::State::Invited,
            Status::Active => pb::user::State::Active,
            Status::Deactivated => pb::user::State::Deactivated,
        } as i32,
        memberships: user
            .memberships
            .iter()
            .map(|m| pb::Membership {
                store: m
                    .store_id
                    .as_deref()
                    .map(|s| names::store_name(tenant, s))
                    .unwrap_or_default(),
                department_id: m
                    .department_id
                    .as_ref()
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                role: m.role.to_proto() as i32,
            })
            .collect(),
    }
}

/// Blanks e-mail and phone unless the caller may see them (admins, leaders of one of the
/// user's stores, the user).
pub fn redact(caller: &Caller, tenant: &str, mut user: pb::User) -> pb::User {
    let own = names::user("name", &user.name).is_ok_and(|(_, id)| caller.is_user(tenant, &id));
    let stores: Vec<&str> = user
        .memberships
        .iter()
        .filter_map(|m| m.store.rsplit('/').next().filter(|_| !m.store.is_empty()))
        .collect();
    if !own && !caller.sees_contacts(tenant, &stores) {
        user.email.clear();
        user.phone.clear();
    }
    user
}

/// The paths of an update mask; empty means "every field set in the message" (AIP-134),
/// `*` every updatable field.
pub fn mask_paths(
    mask: Option<&prost_types::FieldMask>,
    allowed: &[&str],
    populated: impl Fn(&str) -> bool,
) -> Result<Vec<String>> {
    let paths: Vec<String> = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Ok(allowed
            .iter()
            .filter(|p| populated(p))
            .map(|p| (*p).to_owned())
            .collect());
    }
    if paths.iter().any(|p| p == "*") {
        return Ok(allowed.iter().map(|p| (*p).to_owned()).collect());
    }
    let mut violations = Violations::new();
    for path in &paths {
        if !allowed.contains(&path.as_str()) {
            violations.add(
                "update_mask",
                format!(
                    "{path:?} cannot be updated; allowed: {}",
                    allowed.join(", ")
                ),
            );
        }
    }
    violations.finish()?;
    Ok(paths)
}
