//! `IdentityService`: stores and their departments.

use breakroom_base::{Error, error::Violations};
use breakroom_proto::identity::v1 as pb;
use tonic::{Request, Response};

use super::{IdentityGrpc, convert, identity::Reply, reply};
use crate::{
    app::directory::{NewStore, StoreChanges},
    domain::values::{DisplayName, StoreCode, TimeZone},
    names, queries,
};

/// `CreateStore`.
pub(super) async fn create(
    grpc: &IdentityGrpc,
    request: Request<pb::CreateStoreRequest>,
) -> Reply<pb::Store> {
    let caller = grpc.app.caller(&request).await?;
    caller.require_some_admin()?;
    let tenant = names::tenant("parent", &request.get_ref().parent)?;
    caller.require_admin(&tenant, &request.get_ref().parent)?;
    let body = request.into_inner();
    let store = body.store.unwrap_or_default();
    let mut v = Violations::new();
    let display_name = v.check(DisplayName::parse(
        "store.display_name",
        &store.display_name,
    ));
    let store_code = v.check(StoreCode::parse("store.store_code", &store.store_code));
    let time_zone = if store.time_zone.is_empty() {
        None
    } else {
        v.check(TimeZone::parse("store.time_zone", &store.time_zone))
    };
    let departments = convert::departments(&mut v, &store);
    if store.region.chars().count() > 100 {
        v.add("store.region", "must be at most 100 characters");
    }
    v.finish()?;
    let (Some(display_name), Some(store_code)) = (display_name, store_code) else {
        return Err(Error::invalid("store", "is incomplete").into());
    };
    let meta = convert::meta(caller.actor(), &body.request_id)?;
    let new = NewStore {
        display_name,
        store_code,
        region: store.region.trim().to_owned(),
        time_zone,
        departments,
    };
    let (id, committed) = grpc.app.create_store(&caller, &tenant, new, &meta).await?;
    Ok(reply(
        convert::store(&tenant, &id, &committed.state),
        committed.sequence,
    ))
}

/// `GetStore`.
pub(super) async fn get(
    grpc: &IdentityGrpc,
    request: Request<pb::GetStoreRequest>,
) -> Reply<pb::Store> {
    let caller = grpc.app.caller(&request).await?;
    let (tenant, id) = names::store("name", &request.get_ref().name)?;
    caller.see_tenant(&tenant, &request.get_ref().name)?;
    grpc.app.read().catch_up(&request).await?;
    let found = queries::store(grpc.app.read().pool(), &tenant, &id).await?;
    Ok(Response::new(found.ok_or_else(|| {
        Error::NotFound(names::store_name(&tenant, &id))
    })?))
}

/// `ListStores`.
pub(super) async fn list(
    grpc: &IdentityGrpc,
    request: Request<pb::ListStoresRequest>,
) -> Reply<pb::ListStoresResponse> {
    let caller = grpc.app.caller(&request).await?;
    let tenant = names::tenant("parent", &request.get_ref().parent)?;
    caller.see_tenant(&tenant, &request.get_ref().parent)?;
    let page = queries::Page::parse(
        request.get_ref().page_size,
        &request.get_ref().page_token,
        "",
    )?;
    grpc.app.read().catch_up(&request).await?;
    grpc.app.existing_tenant(&tenant).await?;
    let (stores, next_page_token) = queries::stores(grpc.app.read().pool(), &tenant, &page).await?;
    Ok(Response::new(pb::ListStoresResponse {
        stores,
        next_page_token,
    }))
}

/// `UpdateStore`.
pub(super) async fn update(
    grpc: &IdentityGrpc,
    request: Request<pb::UpdateStoreRequest>,
) -> Reply<pb::Store> {
    let caller = grpc.app.caller(&request).await?;
    caller.require_some_admin()?;
    let name = request
        .get_ref()
        .store
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let (tenant, id) = names::store("store.name", &name)?;
    caller.require_admin(&tenant, &name)?;
    let body = request.into_inner();
    let store = body.store.unwrap_or_default();
    let allowed = [
        "display_name",
        "store_code",
        "region",
        "time_zone",
        "state",
        "departments",
    ];
    let paths = convert::mask_paths(body.update_mask.as_ref(), &allowed, |path| match path {
        "display_name" => !store.display_name.is_empty(),
        "store_code" => !store.store_code.is_empty(),
        "region" => !store.region.is_empty(),
        "time_zone" => !store.time_zone.is_empty(),
        "state" => store.state != 0,
        _ => !store.departments.is_empty(),
    })?;
    let mut v = Violations::new();
    let mut changes = StoreChanges::default();
    for path in &paths {
        match path.as_str() {
            "display_name" => {
                changes.display_name = v.check(DisplayName::parse(
                    "store.display_name",
                    &store.display_name,
                ))
            }
            "store_code" => {
                changes.store_code =
                    v.check(StoreCode::parse("store.store_code", &store.store_code))
            }
            "region" => changes.region = Some(store.region.trim().to_owned()),
            "time_zone" => {
                changes.time_zone = v.check(TimeZone::parse("store.time_zone", &store.time_zone))
            }
            "state" => {
                changes.closed = match pb::store::State::try_from(store.state) {
                    Ok(pb::store::State::Open) => Some(false),
                    Ok(pb::store::State::Closed) => Some(true),
                    _ => {
                        v.add("store.state", "must be STATE_OPEN or STATE_CLOSED");
                        None
                    }
                }
            }
            _ => changes.departments = Some(convert::departments(&mut v, &store)),
        }
    }
    v.finish()?;
    let meta = convert::meta(caller.actor(), &body.request_id)?;
    let committed = grpc
        .app
        .update_store(&caller, &tenant, &id, changes, &meta)
        .await?;
    Ok(reply(
        convert::store(&tenant, &id, &committed.state),
        committed.sequence,
    ))
}
