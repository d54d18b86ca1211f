//! The reaction that keeps derived groups in feed's log: for each chain identity
//! creates, the news and help channels; for each store and department, its group. The
//! read model already shows them from identity's events (so an identity token is enough
//! to see a new store's group); this reaction records `GroupCreated` in feed's stream
//! so that the group is an aggregate (its posting policy can change) and the
//! notifications service learns of it from feed's events like any other group.
//!
//! It runs as a projection of identity's stream with its own checkpoint; commands carry
//! request ids derived from identity's commit and the group, and creating an existing
//! group changes nothing, so a replayed batch appends nothing twice.

use breakroom_base::Result;
use breakroom_events::{
    envelope::{CommandMeta, RecordedCommit},
    projector::{Projection, Source},
};
use sqlx::PgConnection;

use crate::{
    app::{App, derived_request_id},
    projection::cards::derived_groups,
};

/// Name of the reaction (checkpoint, lease, consumer).
pub const DIRECTORY_GROUPS: &str = "feed_directory_groups";

/// Creates the derived groups of identity's chains, stores and departments.
#[derive(Debug)]
pub struct DirectoryGroups {
    app: App,
}

impl DirectoryGroups {
    /// The reaction, issuing commands through `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[async_trait::async_trait]
impl Projection for DirectoryGroups {
    fn name(&self) -> &'static str {
        DIRECTORY_GROUPS
    }

    fn sources(&self) -> Vec<Source> {
        vec![Source::all("identity")]
    }

    fn serves_reads(&self) -> bool {
        false
    }

    async fn apply(&self, _: &mut PgConnection, commit: &RecordedCommit) -> Result<()> {
        let commit_id = commit.commit_id().to_string();
        for (id, created) in derived_groups(commit)? {
            if breakroom_base::names::check_token("group", &id).is_err() {
                tracing::warn!(group = %id, "derived group id is not a valid subject token");
                continue;
            }
            let mut meta = CommandMeta::new("system/directory-groups")
                .with_request_id(Some(derived_request_id(&[&commit_id, &id])));
            meta.causation_id = Some(commit_id.clone());
            self.app
                .ensure_group(commit.tenant(), &id, created, &meta)
                .await?;
        }
        Ok(())
    }

    async fn reset(&self, _: &mut PgConnection) -> Result<()> {
        Ok(())
    }
}
