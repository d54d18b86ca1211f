//! The kit's reference service: a counter, event-sourced end to end (aggregate, gRPC
//! handlers with auth and idempotency, a bulk-writing projection, read-your-writes).
//! The kit's tests and benchmark drive it; real services have the same shape.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use breakroom_base::{
    error::{Error, Result},
    names::check_token,
};
use breakroom_chassis::server::{Infra, Server};
use breakroom_directory::auth::{KeySet, Principal, Signer};
use breakroom_events::{
    aggregate::Aggregate,
    consistency::{self, ReadModel},
    envelope::{CommandMeta, RecordedCommit},
    projector::{Projection, Source},
    repository::Repository,
};
use breakroom_proto::kit::testing::v1::{
    self as pb,
    counter_event::Event as Ev,
    counter_service_client::CounterServiceClient,
    counter_service_server::{CounterService, CounterServiceServer},
};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, transport::Channel};

use super::TestEnv;

/// Service name used for streams and databases.
pub const SERVICE: &str = "counter";
/// Projection name.
pub const PROJECTION: &str = "counters";
/// The reference service's migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./testing-migrations");

/// The counter aggregate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counter {
    /// Whether it was created.
    pub exists: bool,
    /// Current value.
    pub value: i64,
}

/// Add `amount`.
#[derive(Debug, Clone)]
pub struct Increment {
    /// Amount to add.
    pub amount: i64,
    /// Free text carried into the event (benchmarks use it to size events).
    pub note: String,
}

impl Increment {
    /// Add `amount`, with no note.
    pub fn by(amount: i64) -> Self {
        Self {
            amount,
            note: String::new(),
        }
    }
}

impl Aggregate for Counter {
    const TYPE: &'static str = "counter";
    type Command = Increment;
    type Event = pb::CounterEvent;

    fn decide(&self, command: &Increment) -> Result<Vec<pb::CounterEvent>> {
        if command.amount == 0 || command.amount.abs() > 1000 {
            return Err(Error::invalid(
                "amount",
                "must be non-zero and at most 1000 in absolute value",
            ));
        }
        let mut events = Vec::new();
        if !self.exists {
            events.push(pb::CounterEvent {
                event: Some(Ev::Created(pb::CounterCreated {})),
            });
        }
        events.push(pb::CounterEvent {
            event: Some(Ev::Incremented(pb::CounterIncremented {
                amount: command.amount,
                note: command.note.clone(),
            })),
        });
        Ok(events)
    }

    fn apply(mut self, event: &pb::CounterEvent) -> Self {
        match &event.event {
            Some(Ev::Created(_)) => self.exists = true,
            Some(Ev::Incremented(e)) => self.value += e.amount,
            None => {}
        }
        self
    }
}

/// Parses `tenants/{tenant}/counters/{counter}`.
pub fn parse_name(name: &str) -> Result<(String, String)> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        ["tenants", tenant, "counters", id] => {
            check_token("name", tenant)?;
            check_token("name", id)?;
            Ok(((*tenant).to_owned(), (*id).to_owned()))
        }
        _ => Err(Error::invalid(
            "name",
            "must be tenants/{tenant}/counters/{counter}",
        )),
    }
}

/// The counters read model; writes a whole batch with one statement.
#[derive(Debug, Default)]
pub struct CounterProjection;

#[async_trait::async_trait]
impl Projection for CounterProjection {
    fn name(&self) -> &'static str {
        PROJECTION
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all(SERVICE)]
    }

    async fn apply(&self, conn: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        self.apply_batch(conn, std::slice::from_ref(commit)).await
    }

    async fn apply_batch(&self, conn: &mut PgConnection, commits: &[RecordedCommit]) -> Result<()> {
        let mut sums: std::collections::BTreeMap<(&str, &str), (i64, i64)> = Default::default();
        for commit in commits {
            for event in commit.events::<pb::CounterEvent>()? {
                if let Some(Ev::Incremented(e)) = event.event {
                    let entry = sums
                        .entry((commit.tenant(), commit.aggregate_id()))
                        .or_default();
                    entry.0 += e.amount;
                    entry.1 += 1;
                }
            }
        }
        let (mut tenants, mut ids, mut values, mut counts) = (vec![], vec![], vec![], vec![]);
        for ((tenant, id), (value, count)) in sums {
            tenants.push(tenant);
            ids.push(id);
            values.push(value);
            counts.push(count);
        }
        sqlx::query(
            "INSERT INTO counters (tenant, id, value, increments) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[]) \
             ON CONFLICT (tenant, id) DO UPDATE SET value = counters.value + EXCLUDED.value, \
             increments = counters.increments + EXCLUDED.increments",
        )
        .bind(&tenants)
        .bind(&ids)
        .bind(&values)
        .bind(&counts)
        .execute(conn)
        .await?;
        Ok(())
    }

    async fn reset(&self, conn: &mut PgConnection) -> Result<()> {
        sqlx::query("DELETE FROM counters").execute(conn).await?;
        Ok(())
    }
}

/// gRPC handlers.
#[derive(Debug, Clone)]
pub struct CounterGrpc {
    repository: Arc<Repository<Counter>>,
    read: ReadModel,
    keys: KeySet,
}

impl CounterGrpc {
    fn caller<T>(&self, request: &Request<T>, tenant: &str) -> Result<Principal> {
        let principal = self.keys.authenticate(request)?;
        principal.require_tenant(tenant)?;
        Ok(principal)
    }
}

#[tonic::async_trait]
impl CounterService for CounterGrpc {
    async fn increment_counter(
        &self,
        request: Request<pb::IncrementCounterRequest>,
    ) -> Result<Response<pb::IncrementCounterResponse>, Status> {
        let (tenant, id) = parse_name(&request.get_ref().name)?;
        let principal = self.caller(&request, &tenant)?;
        let body = request.into_inner();
        let request_id = Some(body.request_id).filter(|r| !r.is_empty());
        if let Some(r) = &request_id {
            uuid::Uuid::parse_str(r).map_err(|_| Error::invalid("request_id", "must be a UUID"))?;
        }
        let meta = CommandMeta::new(principal.resource_name()).with_request_id(request_id);
        let committed = self
            .repository
            .execute(&tenant, &id, &meta, &Increment::by(body.amount))
            .await?;
        Ok(consistency::reply(
            pb::IncrementCounterResponse {
                value: committed.state.value,
                sequence: committed.sequence,
            },
            consistency::Token::new(SERVICE, committed.sequence),
        ))
    }

    async fn get_counter(
        &self,
        request: Request<pb::GetCounterRequest>,
    ) -> Result<Response<pb::Counter>, Status> {
        let (tenant, id) = parse_name(&request.get_ref().name)?;
        self.caller(&request, &tenant)?;
        self.read.catch_up(&request).await?;
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT value, increments FROM counters WHERE tenant = $1 AND id = $2")
                .bind(&tenant)
                .bind(&id)
                .fetch_optional(self.read.pool())
                .await
                .map_err(Error::from)?;
        let (value, increments) =
            row.ok_or_else(|| Error::NotFound(request.get_ref().name.clone()))?;
        Ok(Response::new(pb::Counter {
            name: request.into_inner().name,
            value,
            increments,
        }))
    }
}

/// Builds the reference service on `infra`, trusting tokens of `keys`.
pub async fn build(infra: Infra, keys: KeySet) -> Result<Server> {
    let repository = Repository::new(infra.store.clone(), infra.config.cache_size);
    let read = ReadModel::new(
        infra.pool.clone(),
        PROJECTION,
        infra.store.stream_name().to_owned(),
    );
    let grpc = CounterGrpc {
        repository,
        read,
        keys,
    };
    Ok(Server::bind(infra, Some(&MIGRATOR))
        .await?
        .add_service(CounterServiceServer::new(grpc))
        .add_projection(Arc::new(CounterProjection)))
}

/// A running reference service for one test.
#[derive(Debug)]
pub struct TestCounter {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Signs tokens it accepts.
    pub signer: Signer,
    /// Stops it.
    pub shutdown: CancellationToken,
    /// The server task.
    pub task: tokio::task::JoinHandle<Result<()>>,
}

impl TestCounter {
    /// Starts the service in `env` and waits until it is SERVING.
    pub async fn spawn(env: &TestEnv) -> Self {
        let signer = Signer::generate("test-key").expect("key");
        let keys = KeySet::new();
        keys.insert(signer.kid(), &signer.public_x()).expect("key");
        let infra = Infra::connect(env.config(SERVICE)).await.expect("infra");
        let server = build(infra, keys).await.expect("build");
        let running = super::spawn(server, "breakroom.kit.testing.v1.CounterService").await;
        Self {
            addr: running.addr,
            signer,
            shutdown: running.shutdown,
            task: running.task,
        }
    }

    /// A bearer token for a user of `tenant`.
    pub fn token(&self, tenant: &str) -> String {
        let principal = Principal {
            user: "tester".into(),
            tenant: tenant.into(),
            session: "session".into(),
            service_account: false,
        };
        self.signer
            .sign(
                &principal,
                std::time::SystemTime::now(),
                Duration::from_secs(600),
            )
            .expect("sign")
    }

    /// A client.
    pub async fn client(&self) -> CounterServiceClient<Channel> {
        CounterServiceClient::new(super::channel(self.addr).await)
    }

    /// Wraps a message with a bearer token for `tenant`.
    pub fn request<T>(&self, tenant: &str, message: T) -> Request<T> {
        let mut request = Request::new(message);
        let value = format!("Bearer {}", self.token(tenant))
            .parse()
            .expect("metadata");
        request.metadata_mut().insert("authorization", value);
        request
    }
}
