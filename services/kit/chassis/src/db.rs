//! PostgreSQL: the service's own database, created if missing, with the projectors' tables
//! and the service's embedded migrations applied.

use std::{str::FromStr, time::Duration};

use breakroom_base::error::{Error, Result};
use sqlx::{
    ConnectOptions, Connection, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

/// A pool that connects on first use (no I/O here).
pub fn lazy_pool(database_url: &str) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(database_url)
        .map_err(|e| Error::invalid("DATABASE_URL", e.to_string()))?
        .disable_statement_logging()
        // A hung statement or a lock held by a stuck session must not freeze a projector
        // that keeps renewing its lease: fail, and the projector resumes from its checkpoint.
        .options([
            ("statement_timeout", "30s"),
            ("lock_timeout", "10s"),
            ("idle_in_transaction_session_timeout", "60s"),
        ]);
    Ok(PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings (a Sync round trip) every idle connection it hands out, and again
        // when one comes back (`return_to_pool`, not configurable in 0.9). The ping on
        // return already catches a connection broken while in use, and one that breaks
        // while idle fails its next statement like any outage would; so a statement
        // costs its own round trip plus the one on return, off the request's path.
        .test_before_acquire(false)
        .connect_lazy_with(options))
}

/// Creates the database named in `database_url` when it does not exist.
pub async fn ensure_database(database_url: &str) -> Result<()> {
    let options = PgConnectOptions::from_str(database_url)
        .map_err(|e| Error::invalid("DATABASE_URL", e.to_string()))?;
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let mut admin = match options.clone().database("postgres").connect().await {
        Ok(admin) => admin,
        Err(admin_error) => {
            // Managed databases (CloudNativePG's app user) often may not open `postgres`;
            // the service's own database, made by the operator, is all it needs then.
            return match options.connect().await {
                Ok(own) => own.close().await.map_err(Error::from),
                Err(_) => Err(admin_error.into()),
            };
        }
    };
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
        {
            // Another replica may have created it in the meantime.
            let duplicate = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04" || c == "23505");
            if !duplicate {
                return Err(e.into());
            }
        }
    }
    admin.close().await?;
    Ok(())
}

/// Applies the projectors' migrations (`breakroom_events::projector::MIGRATOR`), then the
/// others in order (the directory's, the service's). Each migrator ignores the others'
/// entries in the shared `_sqlx_migrations` table (the projectors' versions are small
/// numbers, the directory's 100 and up, service versions are timestamps). sqlx holds an
/// advisory lock while migrating, so replicas starting at the same moment migrate one
/// after the other.
pub async fn migrate(pool: &PgPool, others: &[&Migrator]) -> Result<()> {
    run(pool, &breakroom_events::projector::MIGRATOR).await?;
    for migrator in others {
        run(pool, migrator).await?;
    }
    Ok(())
}

async fn run(pool: &PgPool, migrator: &Migrator) -> Result<()> {
    let mut migrator = Migrator {
        migrations: migrator.migrations.clone(),
        ..Migrator::DEFAULT
    };
    migrator.set_ignore_missing(true);
    migrator
        .run(pool)
        .await
        .map_err(|e| Error::internal(anyhow::Error::new(e).context("migrations")))
}
