//! Runs the real identity and feed services (and scheduling where cards need it) in one
//! test namespace, with the fixtures that set up a chain, and a client that passes the
//! consistency tokens of every write back, so reads see what the test wrote.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use breakroom_events::consistency::MIN_SEQUENCE_KEY;
use breakroom_feed::config::FeedConfig;
use breakroom_identity::testing::Identity;
pub use breakroom_identity::testing::{Chain, Person, id_of, role_in, role_in_department, uuid};
use breakroom_proto::{
    feed::v1::{self as pb, feed_service_client::FeedServiceClient},
    identity::v1 as id,
    scheduling::v1::scheduling_service_client::SchedulingServiceClient,
};
pub use breakroom_testing::reason;
use breakroom_testing::{Running, TestEnv};
use tonic::{Request, Response, Status, transport::Channel};

/// The services of one test.
pub struct Platform {
    pub env: TestEnv,
    /// Identity with its fixtures.
    pub people: Identity,
    /// Feed's client (use `call` to pass tokens).
    pub feed: FeedServiceClient<Channel>,
    /// Scheduling's client, when started.
    pub scheduling: Option<SchedulingServiceClient<Channel>>,
    /// Highest feed sequence any reply carried.
    feed_seen: Arc<AtomicU64>,
    /// Highest identity sequence of writes made outside the fixture.
    identity_seen: Arc<AtomicU64>,
    /// Highest scheduling sequence any reply carried.
    pub scheduling_seen: Arc<AtomicU64>,
    _feed: Running,
    _scheduling: Option<Running>,
}

impl Platform {
    /// Identity and feed.
    pub async fn spawn() -> Self {
        Self::start(false).await
    }

    /// Identity, scheduling and feed.
    pub async fn with_scheduling() -> Self {
        Self::start(true).await
    }

    async fn start(scheduling: bool) -> Self {
        let env = TestEnv::new().await;
        let people = Identity::spawn(&env).await;
        let (scheduling_client, scheduling_running) = if scheduling {
            let config =
                breakroom_scheduling::config::SchedulingConfig::new(env.config("scheduling"));
            let built = breakroom_scheduling::startup::build(
                config,
                tokio_util::sync::CancellationToken::new(),
            )
            .await
            .unwrap();
            let running =
                breakroom_testing::spawn(built.server, "breakroom.scheduling.v1.SchedulingService")
                    .await;
            (
                Some(SchedulingServiceClient::new(running.channel().await)),
                Some(running),
            )
        } else {
            (None, None)
        };
        let feed_running = spawn_feed(&env).await;
        Self {
            feed: FeedServiceClient::new(feed_running.channel().await),
            env,
            people,
            scheduling: scheduling_client,
            feed_seen: Arc::default(),
            identity_seen: Arc::default(),
            scheduling_seen: Arc::default(),
            _feed: feed_running,
            _scheduling: scheduling_running,
        }
    }

    /// The tokens of every write so far (`identity:N,feed:M[,scheduling:K]`).
    pub fn tokens(&self) -> String {
        let fixture: u64 = self
            .people
            .token()
            .rsplit_once(':')
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0);
        let identity = fixture.max(self.identity_seen.load(Ordering::SeqCst));
        let mut tokens = format!(
            "identity:{identity},feed:{}",
            self.feed_seen.load(Ordering::SeqCst)
        );
        let scheduling = self.scheduling_seen.load(Ordering::SeqCst);
        if scheduling > 0 {
            tokens.push_str(&format!(",scheduling:{scheduling}"));
        }
        tokens
    }

    /// The highest feed sequence any reply carried so far.
    pub fn feed_seen(&self) -> u64 {
        self.feed_seen.load(Ordering::SeqCst)
    }

    /// A request as `token`, asking feed to answer only once it has seen every write.
    pub fn req<T>(&self, token: &str, message: T) -> Request<T> {
        let mut request = breakroom_testing::bearer(token, message);
        request
            .metadata_mut()
            .insert(MIN_SEQUENCE_KEY, self.tokens().parse().unwrap());
        request
    }

    /// Remembers the feed sequence of a reply and unwraps it.
    pub fn note<T>(&self, reply: Result<Response<T>, Status>) -> Result<T, Status> {
        let reply = reply?;
        if reply
            .metadata()
            .get(breakroom_events::consistency::SEQUENCE_KEY)
            .is_some()
        {
            let token = breakroom_testing::token(reply.metadata());
            let seq = breakroom_testing::sequence(reply.metadata());
            if token.starts_with("feed:") {
                self.feed_seen.fetch_max(seq, Ordering::SeqCst);
            } else if token.starts_with("scheduling:") {
                self.scheduling_seen.fetch_max(seq, Ordering::SeqCst);
            }
        }
        Ok(reply.into_inner())
    }

    /// Remembers the identity sequence of a reply of identity.
    pub fn note_identity<T>(&self, reply: Response<T>) -> T {
        self.identity_seen.fetch_max(
            breakroom_testing::sequence(reply.metadata()),
            Ordering::SeqCst,
        );
        reply.into_inner()
    }

    /// A chain with an HQ admin and one store `S-1` (departments fresh, checkout).
    pub async fn chain(&self, tenant: &str) -> Chain {
        self.people.chain(tenant).await
    }

    /// A person with `memberships`, invited by the chain's admin, logged in.
    pub async fn person(
        &self,
        chain: &Chain,
        email: &str,
        memberships: Vec<id::Membership>,
    ) -> Person {
        self.people
            .person(&chain.tenant, email, memberships, &chain.admin.token)
            .await
    }

    /// An employee of the whole of `store`.
    pub async fn employee(&self, chain: &Chain, store: &str, email: &str) -> Person {
        self.people.employee(chain, store, email).await
    }

    /// A store manager of `store`.
    pub async fn manager(&self, chain: &Chain, store: &str, email: &str) -> Person {
        self.people
            .member(chain, store, email, id::Role::StoreManager)
            .await
    }

    /// Grants (true) or revokes a membership as the chain's admin.
    pub async fn membership(&self, chain: &Chain, user: &Person, m: id::Membership, grant: bool) {
        let mut client = self.people.identity.clone();
        let reply = if grant {
            client
                .grant_role(breakroom_testing::bearer(
                    &chain.admin.token,
                    id::GrantRoleRequest {
                        name: user.name.clone(),
                        membership: Some(m),
                        request_id: uuid(),
                    },
                ))
                .await
        } else {
            client
                .revoke_role(breakroom_testing::bearer(
                    &chain.admin.token,
                    id::RevokeRoleRequest {
                        name: user.name.clone(),
                        membership: Some(m),
                        request_id: uuid(),
                    },
                ))
                .await
        };
        self.note_identity(reply.unwrap());
    }

    /// The caller's groups (names).
    pub async fn my_groups(&self, who: &Person, tenant: &str) -> Vec<String> {
        let reply = rpc!(
            self,
            list_my_groups,
            self.req(
                &who.token,
                pb::ListMyGroupsRequest {
                    parent: format!("tenants/{tenant}"),
                    ..Default::default()
                },
            )
        );
        self.note(reply.await)
            .unwrap()
            .groups
            .into_iter()
            .map(|g| g.name)
            .collect()
    }

    /// Posts `body` in `group` as `who`.
    pub async fn post(&self, who: &Person, group: &str, body: &str) -> Result<pb::Post, Status> {
        let reply = rpc!(
            self,
            create_post,
            self.req(
                &who.token,
                pb::CreatePostRequest {
                    parent: group.into(),
                    post: Some(pb::Post {
                        body: body.into(),
                        ..Default::default()
                    }),
                    request_id: uuid(),
                },
            )
        );
        self.note(reply.await)
    }

    /// One page of `who`'s timeline.
    pub async fn timeline(
        &self,
        who: &Person,
        tenant: &str,
        size: i32,
        token: &str,
    ) -> pb::ListTimelineResponse {
        let reply = rpc!(
            self,
            list_timeline,
            self.req(
                &who.token,
                pb::ListTimelineRequest {
                    parent: format!("tenants/{tenant}"),
                    page_size: size,
                    page_token: token.into(),
                },
            )
        );
        self.note(reply.await).unwrap()
    }

    /// The bodies of posts on the first page of `who`'s timeline (cards as `card:<kind>`).
    pub async fn timeline_bodies(&self, who: &Person, tenant: &str) -> Vec<String> {
        self.timeline(who, tenant, 100, "")
            .await
            .items
            .into_iter()
            .map(|i| match i.item {
                Some(pb::timeline_item::Item::Post(p)) => p.body,
                Some(pb::timeline_item::Item::Card(c)) => format!("card:{}", c.kind),
                None => String::new(),
            })
            .collect()
    }
}

/// Starts feed in `env` and waits until it serves.
pub async fn spawn_feed(env: &TestEnv) -> Running {
    let server = breakroom_feed::startup::build(FeedConfig::new(env.config("feed")))
        .await
        .unwrap();
    breakroom_testing::spawn(server, "breakroom.feed.v1.FeedService").await
}

/// `tenants/{t}/groups/store-<store id>` of a store's resource name.
pub fn store_group(tenant: &str, store: &str) -> String {
    format!("tenants/{tenant}/groups/store-{}", id_of(store))
}

/// `tenants/{t}/groups/dept-<store id>-<department>`.
pub fn department_group(tenant: &str, store: &str, department: &str) -> String {
    format!("tenants/{tenant}/groups/dept-{}-{department}", id_of(store))
}

/// `tenants/{t}/groups/news`.
pub fn news(tenant: &str) -> String {
    format!("tenants/{tenant}/groups/news")
}
