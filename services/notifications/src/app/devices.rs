//! Devices: Web Push subscriptions registered by their person, removed by them or when
//! the push service says the subscription is gone.

use breakroom_base::Result;
use breakroom_directory::Caller;
use breakroom_events::{envelope::CommandMeta, repository::Committed};
use breakroom_proto::notifications::v1::{DeviceRegistered, UnregisterReason};

use super::App;
use crate::domain::device::{Device, DeviceCommand, device_id};

impl App {
    /// Registers a subscription for `user`; returns the device id and the commit.
    pub async fn register_device(
        &self,
        caller: &Caller,
        tenant: &str,
        registration: DeviceRegistered,
        request_id: &str,
    ) -> Result<(String, Committed<Device>)> {
        let meta = caller.meta(request_id)?;
        let id = device_id(&registration.endpoint);
        let committed = self
            .devices()
            .execute(tenant, &id, &meta, &DeviceCommand::Register(registration))
            .await?;
        Ok((id, committed))
    }

    /// Removes one of the caller's devices.
    pub async fn unregister_device(
        &self,
        caller: &Caller,
        tenant: &str,
        device: &str,
        request_id: &str,
    ) -> Result<Committed<Device>> {
        let meta = caller.meta(request_id)?;
        let command = DeviceCommand::Unregister {
            by: Some(caller.id().to_owned()),
            reason: UnregisterReason::User,
            status_code: 0,
        };
        self.devices()
            .execute(tenant, device, &meta, &command)
            .await
    }

    /// Removes a device its push service says is gone; `delivery` makes the request id,
    /// so a retried removal appends nothing twice.
    pub async fn device_gone(
        &self,
        tenant: &str,
        device: &str,
        status: u16,
        delivery: &str,
    ) -> Result<()> {
        let meta =
            CommandMeta::new("system/delivery").with_request_id(Some(format!("gone-{delivery}")));
        let command = DeviceCommand::Unregister {
            by: None,
            reason: UnregisterReason::Gone,
            status_code: i32::from(status),
        };
        self.devices()
            .execute(tenant, device, &meta, &command)
            .await?;
        Ok(())
    }
}
