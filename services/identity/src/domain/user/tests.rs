//! Given/when/then tests of the user aggregate: activation, sessions, reuse detection.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use breakroom_kit::{Error, aggregate::given};

use super::*;

const HOUR: Duration = Duration::from_secs(3600);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn invited() -> Vec<pb::UserEvent> {
    given::<User>([])
        .when(UserCommand::Invite {
            profile: Profile {
                display_name: DisplayName::parse("n", "Anna").unwrap(),
                email: Some(Email::parse("e", "anna@example.com").unwrap()),
                phone: None,
            },
            invite_code_hash: vec![7; 32],
            invite_expires: t0() + 24 * HOUR,
            memberships: vec![Membership {
                store_id: Some("s1".into()),
                department_id: None,
                role: Role::Employee,
            }],
        })
        .then_events()
}

fn active() -> Vec<pb::UserEvent> {
    let mut history = invited();
    history.extend(
        given::<User>(invited())
            .when(UserCommand::Activate {
                invite_code_hash: vec![7; 32],
                password_hash: "$argon2id$...".into(),
                now: t0() + HOUR,
            })
            .then_events(),
    );
    history
}

fn login(session: &str, token: u8) -> UserCommand {
    UserCommand::Login {
        password_ok: true,
        login: pb::UserLoggedIn {
            session_id: session.into(),
            refresh_token_hash: vec![token; 32],
            refresh_token_expire_time: Some(timestamp(t0() + 48 * HOUR)),
            ..Default::default()
        },
        now: t0() + 2 * HOUR,
    }
}

fn refresh(session: &str, presented: u8, next: u8) -> UserCommand {
    UserCommand::Refresh {
        session_id: session.into(),
        presented_hash: vec![presented; 32],
        next: pb::SessionRefreshed {
            session_id: session.into(),
            refresh_token_hash: vec![next; 32],
            refresh_token_expire_time: Some(timestamp(t0() + 72 * HOUR)),
        },
        source_address: "10.0.0.9".into(),
        now: t0() + 3 * HOUR,
    }
}

fn after(history: Vec<pb::UserEvent>, command: UserCommand) -> Vec<pb::UserEvent> {
    let mut all = history.clone();
    all.extend(given::<User>(history).when(command).then_events());
    all
}

#[test]
fn an_invite_code_activates_once_and_not_after_it_expires() {
    let used_again = given::<User>(active())
        .when(UserCommand::Activate {
            invite_code_hash: vec![7; 32],
            password_hash: "x".into(),
            now: t0() + HOUR,
        })
        .then_error();
    assert!(matches!(used_again, Error::Invalid(_)));
    let expired = given::<User>(invited())
        .when(UserCommand::Activate {
            invite_code_hash: vec![7; 32],
            password_hash: "x".into(),
            now: t0() + 25 * HOUR,
        })
        .then_error();
    assert!(matches!(expired, Error::Invalid(_)));
    let wrong = given::<User>(invited())
        .when(UserCommand::Activate {
            invite_code_hash: vec![8; 32],
            password_hash: "x".into(),
            now: t0() + HOUR,
        })
        .then_error();
    assert!(matches!(wrong, Error::Invalid(_)));
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
fn a_refresh_rotates_the_token_and_replaying_the_old_one_ends_the_family() {
    let logged_in = after(active(), login("s1", 1));
    let rotated = after(logged_in, refresh("s1", 1, 2));
    let state = given::<User>(rotated.clone()).when(refresh("s1", 2, 3));
    state.then_events();
    let reuse = given::<User>(rotated.clone())
        .when(refresh("s1", 1, 9))
        .then_events();
    assert!(matches!(
        &reuse[..],
        [pb::UserEvent { event: Some(Ev::SessionFamilyRevoked(e)) }] if e.session_id == "s1"
    ));
    let revoked = after(rotated, refresh("s1", 1, 9));
    let err = given::<User>(revoked)
        .when(refresh("s1", 2, 3))
        .then_error();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

#[test]
fn an_unknown_refresh_token_is_refused_without_revoking_anything() {
    let logged_in = after(active(), login("s1", 1));
    let err = given::<User>(logged_in)
        .when(refresh("s1", 5, 6))
        .then_error();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

#[test]
fn deactivation_ends_every_session() {
    let two = after(after(active(), login("s1", 1)), login("s2", 2));
    let gone = after(two, UserCommand::Deactivate);
    let state = User::default().replay(&gone);
    assert!(state.sessions.is_empty());
    let err = given::<User>(gone).when(refresh("s2", 2, 3)).then_error();
    assert!(matches!(err, Error::Unauthenticated(_)));
}

#[test]
fn a_login_beyond_the_session_limit_ends_the_oldest_session() {
    let mut history = active();
    for i in 0..MAX_SESSIONS {
        history = after(history, login(&format!("s{i}"), i as u8));
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
