//! gRPC handlers: authenticate, parse requests into domain values, call `app` or
//! `queries`, render, and reply with the consistency token of what was written.
//!
//! - `convert`: validation and wire views.
//! - `groups`, `posts`, `social`, `announcements`, `report`, `moderation`: the handlers
//!   by concept; this module only routes `FeedService` to them.

mod announcements;
mod convert;
mod groups;
mod moderation;
mod posts;
mod report;
mod social;

use breakroom_events::consistency::{Token, reply};
use breakroom_proto::feed::v1::{self as pb, feed_service_server::FeedService};
use tonic::{Request, Response, Status};

use crate::app::App;

type Reply<T> = Result<Response<T>, Status>;

/// `breakroom.feed.v1.FeedService`.
#[derive(Debug, Clone)]
pub struct FeedGrpc {
    app: App,
}

impl FeedGrpc {
    /// Handlers over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

/// Replies with the consistency token of a commit in feed's stream.
fn written<T>(message: T, sequence: u64) -> Response<T> {
    reply(message, Token::new(crate::config::SERVICE, sequence))
}

#[tonic::async_trait]
impl FeedService for FeedGrpc {
    async fn create_group(&self, r: Request<pb::CreateGroupRequest>) -> Reply<pb::Group> {
        groups::create(&self.app, r).await
    }
    async fn get_group(&self, r: Request<pb::GetGroupRequest>) -> Reply<pb::Group> {
        groups::get(&self.app, r).await
    }
    async fn list_my_groups(
        &self,
        r: Request<pb::ListMyGroupsRequest>,
    ) -> Reply<pb::ListMyGroupsResponse> {
        groups::list_mine(&self.app, r).await
    }
    async fn update_group(&self, r: Request<pb::UpdateGroupRequest>) -> Reply<pb::Group> {
        groups::update(&self.app, r).await
    }
    async fn add_group_members(&self, r: Request<pb::AddGroupMembersRequest>) -> Reply<pb::Group> {
        groups::add_members(&self.app, r).await
    }
    async fn remove_group_members(
        &self,
        r: Request<pb::RemoveGroupMembersRequest>,
    ) -> Reply<pb::Group> {
        groups::remove_members(&self.app, r).await
    }
    async fn create_post(&self, r: Request<pb::CreatePostRequest>) -> Reply<pb::Post> {
        posts::create(&self.app, r).await
    }
    async fn get_post(&self, r: Request<pb::GetPostRequest>) -> Reply<pb::Post> {
        posts::get(&self.app, r).await
    }
    async fn update_post(&self, r: Request<pb::UpdatePostRequest>) -> Reply<pb::Post> {
        posts::update(&self.app, r).await
    }
    async fn delete_post(&self, r: Request<pb::DeletePostRequest>) -> Reply<()> {
        posts::delete(&self.app, r).await
    }
    async fn pin_post(&self, r: Request<pb::PinPostRequest>) -> Reply<pb::Post> {
        posts::pin(&self.app, r).await
    }
    async fn list_group_posts(
        &self,
        r: Request<pb::ListGroupPostsRequest>,
    ) -> Reply<pb::ListGroupPostsResponse> {
        posts::list_group(&self.app, r).await
    }
    async fn list_timeline(
        &self,
        r: Request<pb::ListTimelineRequest>,
    ) -> Reply<pb::ListTimelineResponse> {
        posts::timeline(&self.app, r).await
    }
    async fn mark_timeline_read(&self, r: Request<pb::MarkTimelineReadRequest>) -> Reply<()> {
        social::mark_read(&self.app, r).await
    }
    async fn add_comment(&self, r: Request<pb::AddCommentRequest>) -> Reply<pb::Comment> {
        social::add_comment(&self.app, r).await
    }
    async fn list_comments(
        &self,
        r: Request<pb::ListCommentsRequest>,
    ) -> Reply<pb::ListCommentsResponse> {
        social::list_comments(&self.app, r).await
    }
    async fn delete_comment(&self, r: Request<pb::DeleteCommentRequest>) -> Reply<()> {
        social::delete_comment(&self.app, r).await
    }
    async fn set_reaction(&self, r: Request<pb::SetReactionRequest>) -> Reply<pb::Post> {
        social::set_reaction(&self.app, r).await
    }
    async fn clear_reaction(&self, r: Request<pb::ClearReactionRequest>) -> Reply<pb::Post> {
        social::clear_reaction(&self.app, r).await
    }
    async fn acknowledge_post(&self, r: Request<pb::AcknowledgePostRequest>) -> Reply<pb::Post> {
        announcements::acknowledge(&self.app, r).await
    }
    async fn get_acknowledgement_report(
        &self,
        r: Request<pb::GetAcknowledgementReportRequest>,
    ) -> Reply<pb::AcknowledgementReport> {
        report::report(&self.app, r).await
    }
    async fn send_acknowledgement_reminder(
        &self,
        r: Request<pb::SendAcknowledgementReminderRequest>,
    ) -> Reply<pb::SendAcknowledgementReminderResponse> {
        announcements::remind(&self.app, r).await
    }
    async fn report_post(&self, r: Request<pb::ReportPostRequest>) -> Reply<()> {
        posts::report(&self.app, r).await
    }
    async fn moderate_post(&self, r: Request<pb::ModeratePostRequest>) -> Reply<pb::Post> {
        posts::moderate(&self.app, r).await
    }
    async fn list_reported_posts(
        &self,
        r: Request<pb::ListReportedPostsRequest>,
    ) -> Reply<pb::ListReportedPostsResponse> {
        moderation::list_reported(&self.app, r).await
    }
}
