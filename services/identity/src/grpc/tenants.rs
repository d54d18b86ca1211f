//! `IdentityService`: tenants.

use breakroom_base::{Error, error::Violations};
use breakroom_proto::identity::v1 as pb;
use tonic::{Request, Response};

use super::{IdentityGrpc, convert, identity::Reply, reply};
use crate::{
    domain::values::{DisplayName, Locale, TenantId, TimeZone},
    names, queries,
};

/// `CreateTenant`.
pub(super) async fn create(
    grpc: &IdentityGrpc,
    request: Request<pb::CreateTenantRequest>,
) -> Reply<pb::Tenant> {
    let caller = grpc.app.caller(&request).await?;
    caller.require_operator()?;
    let body = request.into_inner();
    let mut v = Violations::new();
    let id = v.check(TenantId::parse("tenant_id", &body.tenant_id));
    let tenant = body.tenant.unwrap_or_default();
    let display_name = v.check(DisplayName::parse(
        "tenant.display_name",
        &tenant.display_name,
    ));
    let time_zone = v.check(TimeZone::parse("tenant.time_zone", &tenant.time_zone));
    let locale = v.check(Locale::parse("tenant.locale", &tenant.locale));
    v.finish()?;
    let (Some(id), Some(display_name), Some(time_zone), Some(locale)) =
        (id, display_name, time_zone, locale)
    else {
        return Err(Error::invalid("tenant", "is incomplete").into());
    };
    let meta = convert::meta(caller.actor(), &body.request_id)?;
    let committed = grpc
        .app
        .create_tenant(&caller, id.as_str(), display_name, time_zone, locale, &meta)
        .await?;
    let state = committed.state;
    Ok(reply(
        pb::Tenant {
            name: names::tenant_name(id.as_str()),
            display_name: state.display_name,
            time_zone: state.time_zone,
            locale: state.locale,
            create_time: Some(meta.now().into()),
        },
        committed.sequence,
    ))
}

/// `GetTenant`.
pub(super) async fn get(
    grpc: &IdentityGrpc,
    request: Request<pb::GetTenantRequest>,
) -> Reply<pb::Tenant> {
    let caller = grpc.app.caller(&request).await?;
    let tenant = names::tenant("name", &request.get_ref().name)?;
    caller.see_tenant(&tenant, &request.get_ref().name)?;
    grpc.app.read().catch_up(&request).await?;
    let found = queries::tenant(grpc.app.read().pool(), &tenant).await?;
    Ok(Response::new(found.ok_or_else(|| {
        Error::NotFound(names::tenant_name(&tenant))
    })?))
}
