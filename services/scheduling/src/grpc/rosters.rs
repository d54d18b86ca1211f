//! Roster handlers: PublishRoster, GetRoster (answered from a view kept per roster
//! version, `views`).

use breakroom_base::Error;
use breakroom_events::consistency::reply;
use breakroom_proto::scheduling::v1 as pb;
use tonic::{Request, Response};

use super::{Reply, convert, token, views::RosterViews};
use crate::{
    app::{App, access::Access, planning::RosterRead},
    names,
};

/// `PublishRoster`.
pub async fn publish(app: &App, request: Request<pb::PublishRosterRequest>) -> Reply<pb::Roster> {
    let caller = app.caller(&request).await?;
    let (tenant, store, week) = names::roster("name", &request.get_ref().name)?;
    let meta = caller.meta(&request.get_ref().request_id)?;
    let committed = app.publish(&caller, &tenant, &store, week, &meta).await?;
    let zone = committed.state.time_zone.clone();
    Ok(reply(
        convert::roster(&tenant, &store, &week, &zone, &committed.state, true),
        token(committed.sequence),
    ))
}

/// `GetRoster`.
pub async fn get(
    app: &App,
    views: &RosterViews,
    request: Request<pb::GetRosterRequest>,
) -> Reply<pb::Roster> {
    let caller = app.caller(&request).await?;
    let (tenant, store, week) = names::roster("name", &request.get_ref().name)?;
    let drafts = caller.plans(&store);
    let key = (tenant.clone(), store.clone(), week, drafts);
    let known = views.get(&key);
    let read = app
        .roster(
            &caller,
            &tenant,
            &store,
            week,
            known.as_ref().map(|(v, _)| *v),
        )
        .await?;
    let view = match (read, known) {
        (RosterRead::Unchanged { .. }, Some((_, view))) => view,
        (
            RosterRead::Loaded {
                roster,
                zone,
                version,
            },
            _,
        ) => {
            let view = std::sync::Arc::new(convert::roster(
                &tenant,
                &store,
                &week,
                zone.name(),
                &roster,
                drafts,
            ));
            views.put(key, version, view.clone());
            view
        }
        (RosterRead::Unchanged { .. }, None) => {
            return Err(Error::internal(anyhow::anyhow!("roster view vanished")).into());
        }
    };
    Ok(Response::new(pb::Roster::clone(&view)))
}
