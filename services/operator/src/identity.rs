//! Identity's gRPC API as the operator uses it: the operator token on every call, and
//! read-your-writes (each reply's `breakroom-sequence` is sent back as
//! `breakroom-min-sequence`, so a read right after a write sees it).

use breakroom_proto::identity::v1::{self as pb, identity_service_client::IdentityServiceClient};
use tonic::{Request, Response, Status, metadata::MetadataValue, transport::Channel};

/// Response metadata naming the commit a mutation made (`identity:<sequence>`).
const SEQUENCE_KEY: &str = "breakroom-sequence";
/// Request metadata: answer once the read model has reached this commit.
const MIN_SEQUENCE_KEY: &str = "breakroom-min-sequence";

/// One reconciliation's session with identity.
#[derive(Debug, Clone)]
pub struct Identity {
    client: IdentityServiceClient<Channel>,
    /// `Bearer <operator token>`.
    authorization: MetadataValue<tonic::metadata::Ascii>,
    /// The newest commit this session wrote or saw.
    seen: u64,
}

impl Identity {
    /// A session on `channel` with the operator `token`.
    pub fn new(channel: Channel, token: &str) -> Result<Self, Status> {
        let authorization = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::invalid_argument("operator token is not ASCII"))?;
        Ok(Self {
            client: IdentityServiceClient::new(channel),
            authorization,
            seen: 0,
        })
    }

    /// Reads from now on wait for identity's commit `sequence` (one an earlier pass wrote).
    pub fn after(mut self, sequence: u64) -> Self {
        self.seen = self.seen.max(sequence);
        self
    }

    /// The newest commit this session wrote or was told to wait for.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        let metadata = request.metadata_mut();
        metadata.insert("authorization", self.authorization.clone());
        if self.seen > 0
            && let Ok(token) = format!("identity:{}", self.seen).parse()
        {
            metadata.insert(MIN_SEQUENCE_KEY, token);
        }
        request
    }

    fn note<T>(&mut self, response: Response<T>) -> T {
        let sequence = response
            .metadata()
            .get(SEQUENCE_KEY)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(':').next())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(sequence) = sequence {
            self.seen = self.seen.max(sequence);
        }
        response.into_inner()
    }

    /// The tenant, or `None` when it does not exist.
    pub async fn get_tenant(&mut self, id: &str) -> Result<Option<pb::Tenant>, Status> {
        let request = self.request(pb::GetTenantRequest {
            name: format!("tenants/{id}"),
        });
        match self.client.get_tenant(request).await {
            Ok(reply) => Ok(Some(reply.into_inner())),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(status),
        }
    }

    /// Creates a tenant.
    pub async fn create_tenant(
        &mut self,
        request: pb::CreateTenantRequest,
    ) -> Result<pb::Tenant, Status> {
        let request = self.request(request);
        let reply = self.client.create_tenant(request).await?;
        Ok(self.note(reply))
    }

    /// Every store of the tenant.
    pub async fn list_stores(&mut self, tenant: &str) -> Result<Vec<pb::Store>, Status> {
        let mut stores = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = self.request(pb::ListStoresRequest {
                parent: format!("tenants/{tenant}"),
                page_size: 1000,
                page_token,
            });
            let page = self.client.list_stores(request).await?.into_inner();
            stores.extend(page.stores);
            if page.next_page_token.is_empty() {
                return Ok(stores);
            }
            page_token = page.next_page_token;
        }
    }

    /// Creates a store.
    pub async fn create_store(
        &mut self,
        request: pb::CreateStoreRequest,
    ) -> Result<pb::Store, Status> {
        let request = self.request(request);
        let reply = self.client.create_store(request).await?;
        Ok(self.note(reply))
    }

    /// Updates a store.
    pub async fn update_store(
        &mut self,
        request: pb::UpdateStoreRequest,
    ) -> Result<pb::Store, Status> {
        let request = self.request(request);
        let reply = self.client.update_store(request).await?;
        Ok(self.note(reply))
    }

    /// Every HQ admin of the tenant.
    pub async fn list_hq_admins(&mut self, tenant: &str) -> Result<Vec<pb::User>, Status> {
        let mut users = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = self.request(pb::ListUsersRequest {
                parent: format!("tenants/{tenant}"),
                page_size: 1000,
                page_token,
                store: String::new(),
                role: pb::Role::HqAdmin as i32,
            });
            let page = self.client.list_users(request).await?.into_inner();
            users.extend(page.users);
            if page.next_page_token.is_empty() {
                return Ok(users);
            }
            page_token = page.next_page_token;
        }
    }

    /// Invites a user; the reply carries the one-time invite code.
    pub async fn invite_user(
        &mut self,
        request: pb::InviteUserRequest,
    ) -> Result<pb::InviteUserResponse, Status> {
        let request = self.request(request);
        let reply = self.client.invite_user(request).await?;
        Ok(self.note(reply))
    }

    /// Deactivates a user.
    pub async fn deactivate_user(
        &mut self,
        request: pb::DeactivateUserRequest,
    ) -> Result<pb::User, Status> {
        let request = self.request(request);
        let reply = self.client.deactivate_user(request).await?;
        Ok(self.note(reply))
    }
}

/// The `ErrorInfo.reason` of an identity error (`STORE_CODE_TAKEN`, ...), if any.
pub fn reason(status: &Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}
