//! gRPC handlers (thin): authenticate, check the caller may act for the named person,
//! parse, call `app` or `queries`, render; mutations reply with a consistency token.
//!
//! - `convert`: proto <-> domain.

pub mod convert;

use breakroom_base::{Error, paging::Page};
use breakroom_events::consistency::{Token, reply};
use breakroom_proto::notifications::v1::{
    self as pb, DeviceRegistered, notification_service_server::NotificationService,
};
use tonic::{Request, Response, Status};

use crate::{app::App, config::SERVICE, queries};

type Reply<T> = Result<Response<T>, Status>;

/// `breakroom.notifications.v1.NotificationService`.
#[derive(Debug, Clone)]
pub struct NotificationsGrpc {
    app: App,
}

impl NotificationsGrpc {
    /// Handlers over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationsGrpc {
    async fn get_vapid_public_key(
        &self,
        _: Request<pb::GetVapidPublicKeyRequest>,
    ) -> Reply<pb::GetVapidPublicKeyResponse> {
        Ok(Response::new(pb::GetVapidPublicKeyResponse {
            public_key: self.app.vapid().public_key().to_owned(),
        }))
    }

    async fn register_device(
        &self,
        request: Request<pb::RegisterDeviceRequest>,
    ) -> Reply<pb::Device> {
        let caller = self.app.directory().caller(&request).await?;
        let body = request.get_ref();
        let (tenant, user) = convert::user("parent", &body.parent)?;
        App::require_self(&caller, &tenant, &user, &body.parent)?;
        let (endpoint, p256dh, auth, display_name) =
            convert::subscription(body.device.as_ref(), self.app.egress())?;
        let registration = DeviceRegistered {
            user_id: user.clone(),
            endpoint: endpoint.clone(),
            p256dh,
            auth,
            display_name: display_name.clone(),
        };
        let (id, committed) = self
            .app
            .register_device(&caller, &tenant, registration, &body.request_id)
            .await?;
        let device = pb::Device {
            name: format!("tenants/{tenant}/users/{user}/devices/{id}"),
            endpoint,
            display_name,
            register_time: Some(prost_types::Timestamp::from(self.app.clock().now())),
            ..pb::Device::default()
        };
        Ok(reply(device, Token::new(SERVICE, committed.sequence)))
    }

    async fn unregister_device(&self, request: Request<pb::UnregisterDeviceRequest>) -> Reply<()> {
        let caller = self.app.directory().caller(&request).await?;
        let body = request.get_ref();
        let (tenant, user, device) = convert::child("name", &body.name, "devices")?;
        App::require_self(&caller, &tenant, &user, &body.name)?;
        let committed = self
            .app
            .unregister_device(&caller, &tenant, &device, &body.request_id)
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound(body.name.clone()),
                e => e,
            })?;
        Ok(reply((), Token::new(SERVICE, committed.sequence)))
    }

    async fn list_devices(
        &self,
        request: Request<pb::ListDevicesRequest>,
    ) -> Reply<pb::ListDevicesResponse> {
        let caller = self.app.directory().caller(&request).await?;
        let body = request.get_ref();
        let (tenant, user) = convert::user("parent", &body.parent)?;
        App::require_self(&caller, &tenant, &user, &body.parent)?;
        let page = Page::parse(body.page_size, &body.page_token, &body.parent)?;
        let (rows, next_page_token) =
            queries::devices(self.app.pool(), &tenant, &user, &page).await?;
        Ok(Response::new(pb::ListDevicesResponse {
            devices: rows.iter().map(|d| convert::device(&tenant, d)).collect(),
            next_page_token,
        }))
    }

    async fn get_preferences(
        &self,
        request: Request<pb::GetPreferencesRequest>,
    ) -> Reply<pb::Preferences> {
        let caller = self.app.directory().caller(&request).await?;
        let name = &request.get_ref().name;
        let (tenant, user) = convert::preferences_name("name", name)?;
        App::require_self(&caller, &tenant, &user, name)?;
        let (settings, updated) = queries::preferences(self.app.pool(), &tenant, &user).await?;
        let zone = queries::zone_of(self.app.pool(), &tenant, &user).await?;
        Ok(Response::new(convert::render_preferences(
            &tenant, &user, &settings, zone, updated,
        )))
    }

    async fn update_preferences(
        &self,
        request: Request<pb::UpdatePreferencesRequest>,
    ) -> Reply<pb::Preferences> {
        let caller = self.app.directory().caller(&request).await?;
        let body = request.get_ref();
        let Some(wanted) = body.preferences.as_ref() else {
            return Err(Error::invalid("preferences", "is required").into());
        };
        let (tenant, user) = convert::preferences_name("preferences.name", &wanted.name)?;
        App::require_self(&caller, &tenant, &user, &wanted.name)?;
        let mask = body
            .update_mask
            .as_ref()
            .map(|m| m.paths.clone())
            .unwrap_or_default();
        let current = self.app.current_preferences(&tenant, &user).await?;
        let next = convert::preferences(&current, wanted, &mask)?;
        let committed = self
            .app
            .update_preferences(&caller, &tenant, next, &body.request_id)
            .await?;
        let zone = queries::zone_of(self.app.pool(), &tenant, &user).await?;
        let rendered = convert::render_preferences(
            &tenant,
            &user,
            &committed.state.settings,
            zone,
            Some(self.app.clock().utc()),
        );
        Ok(reply(rendered, Token::new(SERVICE, committed.sequence)))
    }

    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Reply<pb::ListNotificationsResponse> {
        let caller = self.app.directory().caller(&request).await?;
        let body = request.get_ref();
        let (tenant, user) = convert::user("parent", &body.parent)?;
        App::require_self(&caller, &tenant, &user, &body.parent)?;
        let filter = format!("{}:{}", body.parent, body.unread_only);
        let page = Page::parse(body.page_size, &body.page_token, &filter)?;
        let (rows, next_page_token) =
            queries::notifications(self.app.pool(), &tenant, &user, body.unread_only, &page)
                .await?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: rows
                .iter()
                .map(|n| convert::notification(&tenant, n))
                .collect(),
            next_page_token,
        }))
    }

    async fn get_unread_count(
        &self,
        request: Request<pb::GetUnreadCountRequest>,
    ) -> Reply<pb::GetUnreadCountResponse> {
        let caller = self.app.directory().caller(&request).await?;
        let parent = &request.get_ref().parent;
        let (tenant, user) = convert::user("parent", parent)?;
        App::require_self(&caller, &tenant, &user, parent)?;
        let unread_count = queries::unread_count(self.app.pool(), &tenant, &user).await?;
        Ok(Response::new(pb::GetUnreadCountResponse { unread_count }))
    }

    async fn mark_notifications_read(
        &self,
        request: Request<pb::MarkNotificationsReadRequest>,
    ) -> Reply<()> {
        let caller = self.app.directory().caller(&request).await?;
        let body = request.get_ref();
        let (tenant, user) = convert::user("parent", &body.parent)?;
        App::require_self(&caller, &tenant, &user, &body.parent)?;
        let mut v = breakroom_base::error::Violations::new();
        let mut ids = Vec::new();
        if body.all != body.names.is_empty() {
            v.add("names", "name the notifications, or set `all` (not both)");
        }
        if body.names.len() > 1000 {
            v.add("names", "at most 1000");
        }
        for (i, name) in body.names.iter().enumerate() {
            let field = format!("names[{i}]");
            match convert::child(&field, name, "notifications") {
                Ok((t, u, id))
                    if t == tenant && u == user && uuid::Uuid::parse_str(&id).is_ok() =>
                {
                    ids.push(id)
                }
                Ok(_) => v.add(field, "must be one of the parent's notifications"),
                Err(_) => v.add(
                    field,
                    "must be tenants/{tenant}/users/{user}/notifications/{id}",
                ),
            }
        }
        v.finish()?;
        let committed = self
            .app
            .mark_read(&caller, &tenant, ids, body.all, &body.request_id)
            .await?;
        Ok(reply((), Token::new(SERVICE, committed.sequence)))
    }

    async fn send_test_notification(
        &self,
        request: Request<pb::SendTestNotificationRequest>,
    ) -> Reply<pb::SendTestNotificationResponse> {
        let caller = self.app.directory().caller(&request).await?;
        let body = request.get_ref();
        let (tenant, user) = convert::user("parent", &body.parent)?;
        App::require_self(&caller, &tenant, &user, &body.parent)?;
        if body.request_id.is_empty() {
            return Err(Error::invalid(
                "request_id",
                "is required: it names the test notification",
            )
            .into());
        }
        let (id, committed) = self
            .app
            .request_test(&caller, &tenant, &body.request_id)
            .await?;
        Ok(reply(
            pb::SendTestNotificationResponse {
                notification: format!("tenants/{tenant}/users/{user}/notifications/{id}"),
            },
            Token::new(SERVICE, committed.sequence),
        ))
    }

    async fn list_failed_deliveries(
        &self,
        request: Request<pb::ListFailedDeliveriesRequest>,
    ) -> Reply<pb::ListFailedDeliveriesResponse> {
        let caller = self.app.directory().caller(&request).await?;
        if !caller.is_hq_admin() {
            return Err(
                Error::denied("NOT_AN_HQ_ADMIN", "only HQ admins see failed deliveries").into(),
            );
        }
        let body = request.get_ref();
        let tenant =
            breakroom_base::names::parse("parent", &body.parent, &["tenants"], "tenants/{tenant}")?
                .pop()
                .unwrap_or_default();
        caller.see_tenant(&tenant, &body.parent)?;
        let page = Page::parse(body.page_size, &body.page_token, &body.parent)?;
        let (rows, next_page_token) =
            queries::failed_deliveries(self.app.pool(), &tenant, &page).await?;
        Ok(Response::new(pb::ListFailedDeliveriesResponse {
            failed_deliveries: rows.iter().map(|f| convert::failed(&tenant, f)).collect(),
            next_page_token,
        }))
    }
}
