//! Given/when/then tests of the user aggregate: activation, sessions, offboarding.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use breakroom_base::Error;
use breakroom_events::aggregate::given;

use super::*;

const HOUR: Duration = Duration::from_secs(3600);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn invite(sealed_invite_code: Vec<u8>) -> UserCommand {
    UserCommand::Invite {
        profile: Profile {
            display_name: DisplayName::parse("n", "Anna").unwrap(),
            email: Some(Email::parse("e", "anna@example.com").unwrap()),
            phone: None,
        },
        invite_expires: t0() + 24 * HOUR,
        memberships: vec![Membership {
            store_id: Some("s1".into()),
            department_id: None,
            role: Role::Employee,
        }],
        sealed_invite_code,
    }
}

fn invited() -> Vec<pb::UserEvent> {
    given::<User>([]).when(invite(Vec::new())).then_events()
}

#[test]
fn an_invite_records_the_sealed_code_it_was_given_and_nothing_without_one() {
    let with = given::<User>([]).when(invite(vec![1, 2, 3])).then_events();
    let without = invited();
    let sealed = |events: &[pb::UserEvent]| match &events[0].event {
        Some(Ev::Invited(invited)) => invited.sealed_invite_code.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(sealed(&with), vec![1, 2, 3]);
    assert!(sealed(&without).is_empty());
}

fn active() -> Vec<pb::UserEvent> {
    let mut history = invited();
    history.extend(
        given::<User>(invited())
            .when(UserCommand::Activate)
            .then_events(),
    );
    history
}

fn login(session: &str, hours: u32) -> UserCommand {
    UserCommand::Login {
        password_ok: true,
        login: pb::UserLoggedIn {
            session_id: session.into(),
            refresh_token_expire_time: Some(timestamp(t0() + (48 + hours) * HOUR)),
            ..Default::default()
        },
        now: t0() + 2 * HOUR,
    }
}

fn refresh(session: &str) -> UserCommand {
    UserCommand::Refresh(pb::SessionRefreshed {
        session_id: session.into(),
        refresh_token_expire_time: Some(timestamp(t0() + 72 * HOUR)),
    })
}

fn revoke_family(session: &str) -> UserCommand {
    UserCommand::RevokeFamily {
        session_id: session.into(),
        source_address: "10.0.0.9".into(),
    }
}

fn after(history: Vec<pb::UserEvent>, command: UserCommand) -> Vec<pb::UserEvent> {
    let mut all = history.clone();
    all.extend(given::<User>(history).when(command).then_events());
    all
}

#[test]
fn activation_happens_once_and_completing_it_again_changes_nothing() {
    given::<User>(active()).when(UserCommand::Activate).then([]);
    let gone = after(active(), UserCommand::Deactivate);
    let err = given::<User>(gone).when(UserCommand::Activate).then_error();
    assert!(matches!(err, Error::Invalid(_)));
    let err = given::<User>([]).when(UserCommand::Activate).then_error();
    assert!(matches!(err, Error::Invalid(_)));
}

#[test]
fn an_invited_user_cannot_log_in_even_with_a_matching_password() {
    let events = given::<User>(invited()).when(login("s1", 1)).then_events();
    assert!(matches!(
        &events[..],
        [pb::UserEvent { event: Some(Ev::LoginFailed(f)) }] if f.reason == Reason::AccountInactive as i32
    ));
}

#[test]
fn a_refresh_is_recorded_for_an_open_session_only() {
    let logged_in = after(active(), login("s1", 1));
    let events = given::<User>(logged_in.clone())
        .when(refresh("s1"))
        .then_events();
    assert!(matches!(
        &events[..],
        [pb::UserEvent {
            event: Some(Ev::SessionRefreshed(_))
        }]
    ));
    let err = given::<User>(logged_in).when(refresh("s2")).then_error();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

#[test]
fn a_reused_family_ends_its_session_once() {
    let logged_in = after(active(), login("s1", 1));
    let events = given::<User>(logged_in.clone())
        .when(revoke_family("s1"))
        .then_events();
    assert!(matches!(
        &events[..],
        [pb::UserEvent { event: Some(Ev::SessionFamilyRevoked(e)) }] if e.session_id == "s1"
    ));
    let ended = after(logged_in, revoke_family("s1"));
    given::<User>(ended.clone())
        .when(revoke_family("s1"))
        .then([]);
    let err = given::<User>(ended).when(refresh("s1")).then_error();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

#[test]
fn deactivation_ends_every_session() {
    let two = after(after(active(), login("s1", 1)), login("s2", 2));
    let gone = after(two, UserCommand::Deactivate);
    let state = User::default().replay(&gone);
    assert!(state.sessions.is_empty());
    let err = given::<User>(gone).when(refresh("s2")).then_error();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

#[test]
fn a_login_beyond_the_session_limit_ends_the_oldest_session() {
    let mut history = active();
    for i in 0..MAX_SESSIONS {
        history = after(history, login(&format!("s{i}"), i as u32));
    }
    let events = given::<User>(history).when(login("new", 99)).then_events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(matches!(&events[0].event, Some(Ev::SessionRevoked(_))));
}

#[test]
fn revoking_a_membership_not_held_says_so() {
    let err = given::<User>(active())
        .when(UserCommand::Revoke(Membership {
            store_id: Some("s1".into()),
            department_id: None,
            role: Role::StoreManager,
        }))
        .then_error();
    assert_eq!(err.reason(), "MEMBERSHIP_NOT_HELD");
}
