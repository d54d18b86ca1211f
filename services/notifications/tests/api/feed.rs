//! Feed's events as feed writes them (`breakroom.feed.v1`, on the `FEED` stream), appended
//! with the kit's event store: the feed service is built in parallel and is not here.

use std::sync::Arc;

use breakroom_base::Result;
use breakroom_events::{
    aggregate::Aggregate, envelope::CommandMeta, event_store::EventStore, repository::Repository,
};
use breakroom_proto::feed::v1::{self as pb};
use breakroom_testing::TestEnv;

macro_rules! feed_aggregate {
    ($name:ident, $ty:literal, $event:ty) => {
        /// A feed aggregate that records what it is given.
        #[derive(Debug, Clone, Default)]
        pub struct $name;

        impl Aggregate for $name {
            const TYPE: &'static str = $ty;
            type Command = Vec<$event>;
            type Event = $event;

            fn decide(&self, command: &Vec<$event>) -> Result<Vec<$event>> {
                Ok(command.clone())
            }

            fn apply(self, _: &$event) -> Self {
                self
            }
        }
    };
}

feed_aggregate!(Post, "post", pb::PostEvent);
feed_aggregate!(Audience, "audience", pb::AudienceEvent);
feed_aggregate!(Reminder, "reminder", pb::ReminderEvent);
feed_aggregate!(Comment, "comment", pb::CommentEvent);
feed_aggregate!(Ack, "acknowledgement", pb::AcknowledgementEvent);

/// Appends feed commits.
#[derive(Clone)]
pub struct FeedWriter {
    posts: Arc<Repository<Post>>,
    audiences: Arc<Repository<Audience>>,
    reminders: Arc<Repository<Reminder>>,
    comments: Arc<Repository<Comment>>,
    acks: Arc<Repository<Ack>>,
}

fn meta(tenant: &str, actor: &str) -> CommandMeta {
    CommandMeta::new(format!("tenants/{tenant}/users/{actor}"))
        .with_request_id(Some(uuid::Uuid::new_v4().to_string()))
}

impl FeedWriter {
    /// The writer for `env`'s namespace; creates the FEED stream.
    pub async fn new(env: &TestEnv) -> Self {
        let config = env.config("feed");
        let nats = env.nats().await;
        let store = EventStore::new(
            async_nats::jetstream::new(nats),
            config.namespace.clone(),
            "feed",
            config.duplicate_window,
        );
        store.ensure_stream().await.unwrap();
        Self {
            posts: Repository::new(store.clone(), 100),
            audiences: Repository::new(store.clone(), 100),
            reminders: Repository::new(store.clone(), 100),
            comments: Repository::new(store.clone(), 100),
            acks: Repository::new(store, 100),
        }
    }

    /// A post (an announcement when `announcement` is set), as `PostCreated`.
    pub async fn post(
        &self,
        tenant: &str,
        post: &str,
        author: &str,
        title: &str,
        mentions: &[&str],
        announcement: Option<pb::Announcement>,
    ) {
        let event = pb::PostEvent {
            event: Some(pb::post_event::Event::Created(pb::PostCreated {
                group_id: "news".into(),
                author_id: author.into(),
                title: title.into(),
                body: "body".into(),
                mention_ids: mentions.iter().map(|m| (*m).into()).collect(),
                announcement,
                ..Default::default()
            })),
        };
        self.posts
            .execute(tenant, post, &meta(tenant, author), &vec![event])
            .await
            .unwrap();
    }

    /// A post edited with new mentions.
    pub async fn edit(&self, tenant: &str, post: &str, author: &str, mentions: &[&str]) {
        let event = pb::PostEvent {
            event: Some(pb::post_event::Event::Edited(pb::PostEdited {
                title: "edited".into(),
                body: "body 2".into(),
                mention_ids: mentions.iter().map(|m| (*m).into()).collect(),
                revision: 2,
                ..Default::default()
            })),
        };
        self.posts
            .execute(tenant, post, &meta(tenant, author), &vec![event])
            .await
            .unwrap();
    }

    /// One chunk of an announcement's audience.
    pub async fn audience(
        &self,
        tenant: &str,
        post: &str,
        author: &str,
        chunk: i32,
        chunks: i32,
        readers: &[String],
    ) {
        let event = pb::AudienceEvent {
            event: Some(pb::audience_event::Event::Resolved(pb::AudienceResolved {
                post_id: post.into(),
                chunk,
                chunk_count: chunks,
                user_ids: readers.to_vec(),
                revision: 1,
                ..Default::default()
            })),
        };
        let id = format!("{post}_{chunk}");
        self.audiences
            .execute(tenant, &id, &meta(tenant, author), &vec![event])
            .await
            .unwrap();
    }

    /// A reminder chunk.
    pub async fn reminder(
        &self,
        tenant: &str,
        post: &str,
        reminder: &str,
        actor: &str,
        readers: &[String],
    ) {
        let event = pb::ReminderEvent {
            event: Some(pb::reminder_event::Event::Sent(
                pb::AcknowledgementReminderSent {
                    reminder_id: reminder.into(),
                    post_id: post.into(),
                    chunk: 0,
                    chunk_count: 1,
                    user_ids: readers.to_vec(),
                },
            )),
        };
        let id = format!("{reminder}_0");
        self.reminders
            .execute(tenant, &id, &meta(tenant, actor), &vec![event])
            .await
            .unwrap();
    }

    /// A comment (a reply when `parent_author` is set).
    pub async fn comment(&self, tenant: &str, comment: &str, added: pb::CommentAdded) {
        let actor = added.author_id.clone();
        let event = pb::CommentEvent {
            event: Some(pb::comment_event::Event::Added(added)),
        };
        self.comments
            .execute(tenant, comment, &meta(tenant, &actor), &vec![event])
            .await
            .unwrap();
    }

    /// A reader acknowledged an announcement.
    pub async fn acknowledge(&self, tenant: &str, post: &str, user: &str) {
        let event = pb::AcknowledgementEvent {
            event: Some(pb::acknowledgement_event::Event::Acknowledged(
                pb::PostAcknowledged {
                    post_id: post.into(),
                    user_id: user.into(),
                    revision: 1,
                },
            )),
        };
        let id = format!("{post}_{user}");
        self.acks
            .execute(tenant, &id, &meta(tenant, user), &vec![event])
            .await
            .unwrap();
    }
}
