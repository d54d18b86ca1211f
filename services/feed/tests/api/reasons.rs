//! Every `ErrorInfo.reason` feed's code can answer is documented in feed_service.proto,
//! and every documented reason is one the code can answer, so clients can branch on them.

use std::collections::BTreeSet;

/// Reasons given as the first argument of `Error::denied`, `Error::precondition` and
/// `Error::exists` anywhere below `src/`.
fn answered() -> BTreeSet<String> {
    let mut reasons = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in ["denied(", "precondition(", "exists("] {
                for (at, _) in text.match_indices(call) {
                    let rest = text[at + call.len()..].trim_start();
                    if let Some(quoted) = rest.strip_prefix('"') {
                        let reason: String = quoted.chars().take_while(|c| *c != '"').collect();
                        if reason.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                            reasons.insert(reason);
                        }
                    }
                }
            }
        }
    }
    reasons
}

/// Reasons in backticks in the service's rpc comments.
fn documented() -> BTreeSet<String> {
    let proto = include_str!("../../../../proto/breakroom/feed/v1/feed_service.proto");
    let service = &proto[proto.find("service FeedService").unwrap()..];
    let service = &service[..service.find("\n}").unwrap()];
    service
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_reason_the_code_answers_is_documented_and_every_documented_one_is_answered() {
    let answered = answered();
    let documented = documented();
    // Creation races are answered ALREADY_EXISTS only when a retried id collides.
    let internal: BTreeSet<String> = ["POST_EXISTS", "COMMENT_EXISTS"].map(String::from).into();
    let undocumented: Vec<_> = answered
        .difference(&documented)
        .filter(|r| !internal.contains(*r))
        .collect();
    assert!(
        undocumented.is_empty(),
        "answered but not documented: {undocumented:?}"
    );
    let unanswered: Vec<_> = documented.difference(&answered).collect();
    assert!(
        unanswered.is_empty(),
        "documented but never answered: {unanswered:?}"
    );
    assert!(answered.len() >= 10, "{answered:?}");
}
