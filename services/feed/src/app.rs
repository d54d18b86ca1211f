//! Command handling: who may do what (`access`), and the commands of each concept, run
//! through the kit's repositories. No SQL here: what a decision needs is read through
//! `queries`.
//!
//! - `access`: feed's rules on the kit `Caller` and a group.
//! - `groups`: custom groups, group details, explicit members, derived groups.
//! - `posts`: posting, editing, deleting, pinning, reporting, moderating.
//! - `announcements`: audiences resolved into obligations, acknowledgements, reminders.
//! - `moderation`: whose reported posts a caller may list (the moderation queue).
//! - `social`: comments, reactions, read markers.
//! - `visibility`: who sees a post, the one rule of every path that returns one.

pub mod access;
pub mod announcements;
pub mod groups;
pub mod moderation;
pub mod posts;
pub mod social;
pub mod visibility;

use std::sync::Arc;

use breakroom_base::Result;
use breakroom_chassis::server::Infra;
use breakroom_directory::{Caller, Directory};
use breakroom_events::{consistency::ReadModel, repository::Repository};

use crate::{
    config::FeedConfig,
    domain::{
        group::Group,
        post::Post,
        records::{Acknowledgement, AudienceChunk, Comment, Reaction, ReadState, ReminderChunk},
    },
    projection::PROJECTION,
};

/// Feed's command side, shared by the handlers and the reaction.
#[derive(Debug, Clone)]
pub struct App {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: FeedConfig,
    groups: Arc<Repository<Group>>,
    posts: Arc<Repository<Post>>,
    audiences: Arc<Repository<AudienceChunk>>,
    acknowledgements: Arc<Repository<Acknowledgement>>,
    reminders: Arc<Repository<ReminderChunk>>,
    comments: Arc<Repository<Comment>>,
    reactions: Arc<Repository<Reaction>>,
    read_states: Arc<Repository<ReadState>>,
    directory: Directory,
    read: ReadModel,
}

impl App {
    /// The command side over `infra`, deciding with `directory`.
    pub fn new(config: FeedConfig, infra: &Infra, directory: Directory) -> Self {
        let cache = infra.config.cache_size;
        let store = || infra.store.clone();
        Self {
            inner: Arc::new(Inner {
                groups: Repository::new(store(), cache),
                posts: Repository::new(store(), cache),
                audiences: Repository::new(store(), 16),
                acknowledgements: Repository::new(store(), cache),
                reminders: Repository::new(store(), 16),
                comments: Repository::new(store(), cache),
                reactions: Repository::new(store(), cache),
                read_states: Repository::new(store(), cache),
                read: ReadModel::new(
                    infra.pool.clone(),
                    PROJECTION,
                    infra.store.stream_name().to_owned(),
                ),
                directory,
                config,
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &FeedConfig {
        &self.inner.config
    }

    /// The read model (its pool, with the directory replica beside it, and its position,
    /// for waits).
    pub fn read(&self) -> &ReadModel {
        &self.inner.read
    }

    /// The directory replica.
    pub fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    /// Authenticates a request and looks up the caller's roles.
    pub async fn caller<T>(&self, request: &tonic::Request<T>) -> Result<Caller> {
        self.inner.directory.caller(request).await
    }

    /// Waits until the read model has applied everything feed's stream holds now: for
    /// decisions that must see a write of moments ago (a comment's parent, an obligation).
    pub async fn catch_up(&self) -> Result<()> {
        self.inner
            .read
            .catch_up_to_latest(self.inner.posts.store())
            .await
    }

    pub(crate) fn groups(&self) -> &Repository<Group> {
        &self.inner.groups
    }

    pub(crate) fn posts(&self) -> &Repository<Post> {
        &self.inner.posts
    }
}

/// A deterministic request id derived from `parts` (UUID v5): commands a reaction or a
/// fan-out issues are recognised as retries when run again.
pub fn derived_request_id(parts: &[&str]) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, parts.join("/").as_bytes()).to_string()
}
