//! What the e-mails say: digests and invite codes in Dutch or English (the chain's
//! locale).

use crate::domain::Kind;

/// A line of a digest in the reader's language.
fn line(dutch: bool, kind: Kind, fields: &serde_json::Value) -> String {
    let f = |k: &str| {
        fields
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    match (dutch, kind) {
        (true, Kind::RosterPublished) => format!(
            "Je rooster voor {} staat klaar ({} diensten)",
            f("week"),
            f("shift_count")
        ),
        (false, Kind::RosterPublished) => format!(
            "Your roster for {} is out ({} shifts)",
            f("week"),
            f("shift_count")
        ),
        (true, Kind::ShiftChanged) => format!(
            "Je dienst is gewijzigd: {} → {}",
            f("before_start"),
            f("after_start")
        ),
        (false, Kind::ShiftChanged) => format!(
            "Your shift changed: {} → {}",
            f("before_start"),
            f("after_start")
        ),
        (true, Kind::OpenShift) => format!("Open dienst: {} tot {}", f("start"), f("end")),
        (false, Kind::OpenShift) => format!("Open shift: {} to {}", f("start"), f("end")),
        (true, Kind::Announcement) => format!("Mededeling: {}", f("title")),
        (false, Kind::Announcement) => format!("Announcement: {}", f("title")),
        (true, Kind::AcknowledgementReminder) => {
            format!("Herinnering: lees en bevestig \"{}\"", f("title"))
        }
        (false, Kind::AcknowledgementReminder) => {
            format!("Reminder: please read and confirm \"{}\"", f("title"))
        }
        (true, Kind::Comment | Kind::Reply) => format!("Nieuwe reactie bij \"{}\"", f("title")),
        (false, Kind::Comment | Kind::Reply) => format!("New comment on \"{}\"", f("title")),
        (true, Kind::Mention) => format!("Je bent genoemd in \"{}\"", f("title")),
        (false, Kind::Mention) => format!("You were mentioned in \"{}\"", f("title")),
        (true, _) => "Nieuwe melding over je rooster".into(),
        (false, _) => "New update about your schedule".into(),
    }
}

/// Subject and body of a digest of `items` (kind, fields) for a reader in `locale`.
pub fn digest(locale: &str, items: &[(Kind, serde_json::Value)]) -> (String, String) {
    let dutch = locale.to_ascii_lowercase().starts_with("nl");
    let subject = if dutch {
        format!("Je hebt {} nieuwe meldingen in Breakroom", items.len())
    } else {
        format!("You have {} new notifications in Breakroom", items.len())
    };
    let mut body = String::from(if dutch {
        "Hallo,\n\nSinds je laatste dienst:\n\n"
    } else {
        "Hello,\n\nSince your last shift:\n\n"
    });
    for (kind, fields) in items {
        body.push_str("- ");
        body.push_str(&line(dutch, *kind, fields));
        body.push('\n');
    }
    body.push_str(if dutch {
        "\nOpen de Breakroom-app voor alles.\n"
    } else {
        "\nOpen the Breakroom app for everything.\n"
    });
    (subject, body)
}

/// What an invite e-mail says: whom it is for, from which chain, the code and its end.
#[derive(Debug, Clone)]
pub struct InviteLetter<'a> {
    /// The invited person's display name.
    pub name: &'a str,
    /// The chain's display name.
    pub chain: &'a str,
    /// The activation code, as identity shows it (`XXXX-XXXX-XXXX-XXXX`).
    pub code: &'a str,
    /// When the code stops working, in the chain's time zone (`2026-12-16 12:30`).
    pub expires: &'a str,
    /// That time zone's name.
    pub time_zone: &'a str,
}

/// Subject and body of the e-mail carrying an invited person's activation code, in the
/// chain's `locale` (Dutch for `nl*`, English otherwise).
pub fn invite(locale: &str, letter: &InviteLetter<'_>) -> (String, String) {
    let InviteLetter {
        name,
        chain,
        code,
        expires,
        time_zone,
    } = letter;
    if locale.to_ascii_lowercase().starts_with("nl") {
        (
            format!("Je uitnodiging voor Breakroom van {chain}"),
            format!(
                "Hallo {name},\n\n\
                 {chain} heeft je uitgenodigd voor Breakroom: je rooster, diensten ruilen en het \
                 nieuws van je winkel in een app.\n\n\
                 Je activatiecode: {code}\n\n\
                 Zo activeer je je account: open de Breakroom-app, kies \"Account activeren\", \
                 vul deze code in en kies een wachtwoord. De code is eenmalig en werkt tot \
                 {expires} ({time_zone}).\n\n\
                 Verwachtte je deze uitnodiging niet? Dan kun je deze e-mail negeren.\n"
            ),
        )
    } else {
        (
            format!("Your invitation to Breakroom from {chain}"),
            format!(
                "Hello {name},\n\n\
                 {chain} has invited you to Breakroom: your roster, shift swaps and your \
                 store's news in one app.\n\n\
                 Your activation code: {code}\n\n\
                 To activate your account, open the Breakroom app, choose \"Activate account\", \
                 enter this code and choose a password. The code works once, until \
                 {expires} ({time_zone}).\n\n\
                 Not expecting this invitation? Then you can ignore this e-mail.\n"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_speak_dutch_to_dutch_chains_and_english_otherwise() {
        let items = vec![
            (Kind::Mention, serde_json::json!({"title": "Shelf plan"})),
            (
                Kind::RosterPublished,
                serde_json::json!({"week": "2026-W49", "shift_count": "3"}),
            ),
        ];
        let (subject, body) = digest("nl-NL", &items);
        assert_eq!(subject, "Je hebt 2 nieuwe meldingen in Breakroom");
        assert!(body.contains("Je bent genoemd in \"Shelf plan\""));
        assert!(body.contains("Je rooster voor 2026-W49 staat klaar (3 diensten)"));
        let (subject, body) = digest("en-GB", &items);
        assert_eq!(subject, "You have 2 new notifications in Breakroom");
        assert!(body.contains("Your roster for 2026-W49 is out (3 shifts)"));
    }

    #[test]
    fn an_invite_carries_the_code_and_how_to_activate_in_the_chains_language() {
        let letter = InviteLetter {
            name: "Anna",
            chain: "Jumbo",
            code: "ABCD-EFGH-JKMN-PQRS",
            expires: "2026-12-16 12:30",
            time_zone: "Europe/Amsterdam",
        };
        let (subject, body) = invite("nl-NL", &letter);
        assert_eq!(subject, "Je uitnodiging voor Breakroom van Jumbo");
        assert!(body.starts_with("Hallo Anna,"));
        assert!(body.contains("Je activatiecode: ABCD-EFGH-JKMN-PQRS"));
        assert!(body.contains("kies \"Account activeren\""));
        assert!(body.contains("tot 2026-12-16 12:30 (Europe/Amsterdam)"));
        let (subject, body) = invite("en-GB", &letter);
        assert_eq!(subject, "Your invitation to Breakroom from Jumbo");
        assert!(body.contains("Your activation code: ABCD-EFGH-JKMN-PQRS"));
        assert!(body.contains("until 2026-12-16 12:30 (Europe/Amsterdam)"));
    }
}
