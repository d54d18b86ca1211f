//! Given/when/then tests of the credential: invite codes, passwords, refresh-token
//! families with reuse detection, API keys, revocation.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use breakroom_base::Error;
use breakroom_events::aggregate::given;

use super::*;

const HOUR: Duration = Duration::from_secs(3600);

fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn after(
    history: Vec<pb::CredentialEvent>,
    command: CredentialCommand,
) -> Vec<pb::CredentialEvent> {
    let mut all = history.clone();
    all.extend(given::<Credential>(history).when(command).then_events());
    all
}

fn invited() -> Vec<pb::CredentialEvent> {
    after(
        vec![],
        CredentialCommand::IssueInvite {
            invite_code_hash: vec![7; 32],
            expires: t0() + 24 * HOUR,
        },
    )
}

fn set_password(code: u8, hash: &str, at: SystemTime) -> CredentialCommand {
    CredentialCommand::SetPassword {
        invite_code_hash: vec![code; 32],
        password_hash: hash.into(),
        now: at,
    }
}

fn with_password() -> Vec<pb::CredentialEvent> {
    after(invited(), set_password(7, "$argon2id$first", t0() + HOUR))
}

fn open(session: &str, token: u8, expires: SystemTime) -> CredentialCommand {
    CredentialCommand::OpenFamily {
        session_id: session.into(),
        refresh_hash: vec![token; 32],
        expires,
        now: t0() + 2 * HOUR,
    }
}

fn refresh(session: &str, presented: u8, next: u8) -> CredentialCommand {
    CredentialCommand::Refresh {
        session_id: session.into(),
        presented_hash: vec![presented; 32],
        next_hash: vec![next; 32],
        next_expires: t0() + 72 * HOUR,
        now: t0() + 3 * HOUR,
    }
}

fn state(history: &[pb::CredentialEvent]) -> Credential {
    Credential::default().replay(history)
}

#[test]
fn an_invite_code_sets_the_first_password_before_it_expires_and_only_with_the_right_code() {
    let events = given::<Credential>(invited())
        .when(set_password(7, "$argon2id$first", t0() + HOUR))
        .then_events();
    assert!(matches!(
        &events[..],
        [pb::CredentialEvent { event: Some(Ev::PasswordSet(p)) }] if p.password_hash == "$argon2id$first"
    ));
    let wrong = given::<Credential>(invited())
        .when(set_password(8, "x", t0() + HOUR))
        .then_error();
    assert!(matches!(wrong, Error::Invalid(_)));
    let late = given::<Credential>(invited())
        .when(set_password(7, "x", t0() + 25 * HOUR))
        .then_error();
    assert!(matches!(late, Error::Invalid(_)));
}

#[test]
fn a_second_activation_with_the_code_keeps_the_first_password_even_after_expiry() {
    // The first attempt set the password and stopped before the user was activated: a
    // later attempt may complete the activation but never replace the password.
    given::<Credential>(with_password())
        .when(set_password(7, "$argon2id$second", t0() + 2 * HOUR))
        .then([]);
    given::<Credential>(with_password())
        .when(set_password(7, "$argon2id$second", t0() + 48 * HOUR))
        .then([]);
    assert_eq!(state(&with_password()).password_hash, "$argon2id$first");
}

#[test]
fn issuing_the_same_invite_again_changes_nothing_and_another_one_is_refused() {
    given::<Credential>(invited())
        .when(CredentialCommand::IssueInvite {
            invite_code_hash: vec![7; 32],
            expires: t0() + 24 * HOUR,
        })
        .then([]);
    let other = given::<Credential>(invited())
        .when(CredentialCommand::IssueInvite {
            invite_code_hash: vec![9; 32],
            expires: t0() + 24 * HOUR,
        })
        .then_error();
    assert_eq!(other.reason(), "USER_EXISTS");
}

#[test]
fn a_refresh_rotates_the_token_and_replaying_the_old_one_ends_the_family_for_good() {
    let opened = after(with_password(), open("s1", 1, t0() + 48 * HOUR));
    let rotated = after(opened, refresh("s1", 1, 2));
    assert_eq!(
        state(&rotated).refresh_outcome("s1", &[2; 32]),
        RefreshOutcome::Rotated
    );
    let reuse = given::<Credential>(rotated.clone())
        .when(refresh("s1", 1, 9))
        .then_events();
    assert!(matches!(
        &reuse[..],
        [pb::CredentialEvent { event: Some(Ev::RefreshTokenReused(e)) }] if e.session_id == "s1"
    ));
    let ended = after(rotated, refresh("s1", 1, 9));
    assert_eq!(
        state(&ended).refresh_outcome("s1", &[3; 32]),
        RefreshOutcome::Reused
    );
    // Even the newest token of the family no longer refreshes; it is reported as reuse
    // again, so that whoever comes next finishes ending the session.
    given::<Credential>(ended.clone())
        .when(refresh("s1", 2, 3))
        .then([]);
    assert!(!state(&ended).issued("s1", &[2; 32]));
}

#[test]
fn an_unknown_or_expired_refresh_token_is_refused_without_ending_anything() {
    let opened = after(with_password(), open("s1", 1, t0() + 48 * HOUR));
    let unknown = given::<Credential>(opened.clone())
        .when(refresh("s1", 5, 6))
        .then_error();
    assert!(matches!(unknown, Error::Unauthenticated(_)));
    let expired = after(with_password(), open("s2", 1, t0() + 2 * HOUR));
    let err = given::<Credential>(expired)
        .when(refresh("s2", 1, 2))
        .then_error();
    assert!(matches!(err, Error::Unauthenticated(_)));
    assert_eq!(
        state(&opened).refresh_outcome("s1", &[1; 32]),
        RefreshOutcome::Rotated,
        "the first token is still current"
    );
}

#[test]
fn opening_a_family_drops_expired_ones_and_keeps_at_most_the_limit() {
    let mut history = after(with_password(), open("old", 1, t0() + HOUR));
    for i in 0..=MAX_FAMILIES {
        history = after(
            history,
            open(&format!("s{i}"), 2, t0() + (10 + i as u32) * HOUR),
        );
    }
    let families = &state(&history).families;
    assert_eq!(families.len(), MAX_FAMILIES);
    assert!(!families.contains_key("old"), "expired first");
    assert!(
        !families.contains_key("s0"),
        "then the one expiring soonest"
    );
    assert!(families.contains_key("s1") && families.contains_key(&format!("s{MAX_FAMILIES}")));
}

#[test]
fn a_session_id_opens_once_and_only_with_a_password_set() {
    let opened = after(with_password(), open("s1", 1, t0() + 48 * HOUR));
    let again = given::<Credential>(opened)
        .when(open("s1", 1, t0() + 48 * HOUR))
        .then_error();
    assert!(matches!(again, Error::Invalid(_)));
    let no_password = given::<Credential>(invited())
        .when(open("s1", 1, t0() + 48 * HOUR))
        .then_error();
    assert!(matches!(no_password, Error::Unauthenticated(_)));
}

#[test]
fn revoking_drops_every_secret_and_nothing_works_afterwards() {
    let opened = after(with_password(), open("s1", 1, t0() + 48 * HOUR));
    let revoked = after(opened, CredentialCommand::Revoke);
    let gone = state(&revoked);
    assert!(gone.revoked && !gone.has_password() && gone.families.is_empty());
    assert!(!gone.invite_matches(&[7; 32]));
    given::<Credential>(revoked.clone())
        .when(CredentialCommand::Revoke)
        .then([]);
    let err = given::<Credential>(revoked)
        .when(set_password(7, "x", t0() + HOUR))
        .then_error();
    assert!(matches!(err, Error::Invalid(_)));
}

#[test]
fn an_api_key_is_issued_once_and_matches_only_itself() {
    let issued = after(
        vec![],
        CredentialCommand::IssueApiKey {
            api_key_hash: vec![4; 32],
        },
    );
    assert!(state(&issued).api_key_matches(&[4; 32]));
    assert!(!state(&issued).api_key_matches(&[5; 32]));
    assert!(!Credential::default().api_key_matches(&[]));
    let other = given::<Credential>(issued)
        .when(CredentialCommand::IssueApiKey {
            api_key_hash: vec![5; 32],
        })
        .then_error();
    assert_eq!(other.reason(), "SERVICE_ACCOUNT_EXISTS");
}
