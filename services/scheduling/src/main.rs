//! The `scheduling` binary: configuration from the environment, then serve until SIGTERM.

use breakroom_scheduling::{config::SchedulingConfig, startup};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = breakroom_telemetry::init("scheduling")?;
    let config = SchedulingConfig::from_env()?;
    let cancel = CancellationToken::new();
    let built = startup::build(config, cancel.clone()).await?;
    tracing::info!(
        addr = %built.server.local_addr(),
        calendar = %built.calendar_addr,
        "scheduling listening"
    );
    built.server.run_until_stopped().await?;
    cancel.cancel();
    Ok(())
}
