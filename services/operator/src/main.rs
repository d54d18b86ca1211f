//! `operator`: reconciles `Tenant` resources into identity. `--print-crd` prints the CRD.

use breakroom_operator::{config::Config, crd, reconcile::Context};

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
    let config = Config::from_env()?;
    let client = kube::Client::try_default().await?;
    let identity =
        tonic::transport::Endpoint::from_shared(config.identity_url.clone())?.connect_lazy();
    let ctx = Context {
        client,
        identity,
        token: config.operator_token,
        failures: Default::default(),
    };
    tracing::info!(identity = config.identity_url, "operator started");
    breakroom_operator::run(ctx, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
