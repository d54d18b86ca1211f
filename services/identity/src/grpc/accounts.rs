//! `IdentityService`: service accounts of integrations.

use breakroom_proto::identity::v1 as pb;
use tonic::Request;

use super::{IdentityGrpc, convert, identity::Reply, reply};
use crate::{domain::values::DisplayName, names};

/// `CreateServiceAccount`.
pub(super) async fn create(
    grpc: &IdentityGrpc,
    request: Request<pb::CreateServiceAccountRequest>,
) -> Reply<pb::CreateServiceAccountResponse> {
    let caller = grpc.app.caller(&request).await?;
    caller.require_some_hq_admin()?;
    let tenant = names::tenant("parent", &request.get_ref().parent)?;
    caller.require_hq_admin(&tenant, &request.get_ref().parent)?;
    let body = request.into_inner();
    let account = body.service_account.unwrap_or_default();
    let display_name = DisplayName::parse("service_account.display_name", &account.display_name)?;
    let meta = convert::meta(caller.actor(), &body.request_id)?;
    let (id, api_key, committed) = grpc
        .app
        .create_service_account(&caller, &tenant, display_name, &meta)
        .await?;
    Ok(reply(
        pb::CreateServiceAccountResponse {
            service_account: Some(pb::ServiceAccount {
                name: names::service_account_name(&tenant, &id),
                display_name: committed.state.display_name,
                create_time: Some(meta.now().into()),
            }),
            api_key,
        },
        committed.sequence,
    ))
}

/// `DeleteServiceAccount`.
pub(super) async fn delete(
    grpc: &IdentityGrpc,
    request: Request<pb::DeleteServiceAccountRequest>,
) -> Reply<()> {
    let caller = grpc.app.caller(&request).await?;
    caller.require_some_hq_admin()?;
    let (tenant, id) = names::service_account("name", &request.get_ref().name)?;
    caller.require_hq_admin(&tenant, &request.get_ref().name)?;
    let meta = convert::meta(caller.actor(), &request.get_ref().request_id)?;
    let sequence = grpc
        .app
        .delete_service_account(&caller, &tenant, &id, &meta)
        .await?;
    Ok(reply((), sequence))
}
