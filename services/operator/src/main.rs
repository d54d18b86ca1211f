//! `operator`: reconciles `Tenant` resources into identity. `--print-crd` prints the CRD.

use breakroom_operator::{application::Application, config::Config, crd};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--print-crd") {
        print!("{}", crd::crd_yaml()?);
        return Ok(());
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    Application::build(Config::from_env()?)
        .await?
        .run_until_stopped()
        .await;
    Ok(())
}
