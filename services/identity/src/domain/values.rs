//! Value types that can only be built by parsing: past this boundary an e-mail address is
//! well-formed, a time zone exists and a password meets the policy.

use std::fmt;

use breakroom_base::{Error, Result};

/// Defines a string newtype with `as_str`, `Display` and `into_inner`.
macro_rules! string_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as an owned string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_value!(
    /// A tenant id: 3-40 lowercase letters, digits and `-`, starting with a letter.
    TenantId
);
string_value!(
    /// A name shown to people: 1-200 characters, trimmed, no control characters.
    DisplayName
);
string_value!(
    /// An e-mail address, lower-cased.
    Email
);
string_value!(
    /// A phone number in E.164 format (`+` and 8-15 digits).
    Phone
);
string_value!(
    /// An IANA time zone known to the bundled time zone database.
    TimeZone
);
string_value!(
    /// A BCP 47 language tag such as `de-DE`.
    Locale
);
string_value!(
    /// A store's code in the chain: 1-40 letters, digits, `-`, `_` or `.`.
    StoreCode
);
string_value!(
    /// A department id inside a store: 1-40 lowercase letters, digits and `-`.
    DepartmentId
);

fn is_slug(value: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !value.ends_with('-')
}

impl TenantId {
    /// Parses a tenant id (it appears in subjects and resource names).
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        if is_slug(value, 3, 40) {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                "must be 3-40 lowercase letters, digits and '-', starting with a letter",
            ))
        }
    }
}

impl DisplayName {
    /// Trims and checks a display name.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let value = value.trim();
        if value.is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        if value.chars().count() > 200 {
            return Err(Error::invalid(field, "must be at most 200 characters"));
        }
        if value.chars().any(char::is_control) {
            return Err(Error::invalid(field, "must not contain control characters"));
        }
        Ok(Self(value.to_owned()))
    }
}

impl Email {
    /// Parses an address of the form `local@domain.tld`; the result is lower-cased so that
    /// uniqueness does not depend on capitalisation.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let value = value.trim().to_lowercase();
        let invalid = || Error::invalid(field, "must be an e-mail address like name@example.com");
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.contains(['@', '"', '(', ')', ',', ':', ';', '<', '>', '[', ']', '\\']);
        if domain_ok && local_ok {
            Ok(Self(value))
        } else {
            Err(invalid())
        }
    }
}

impl Phone {
    /// Parses E.164, tolerating spaces, dashes, dots and parentheses between digits.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let compact: String = value
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        let ok = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(compact))
        } else {
            Err(Error::invalid(
                field,
                "must be a phone number in E.164 format, e.g. +4915112345678",
            ))
        }
    }
}

impl TimeZone {
    /// Accepts IANA names the time zone database knows (`Europe/Amsterdam`).
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let value = value.trim();
        if value.is_empty() {
            return Err(Error::invalid(field, "is required: an IANA time zone"));
        }
        match jiff::tz::db().get(value) {
            Ok(zone) => Ok(Self(zone.iana_name().unwrap_or(value).to_owned())),
            Err(_) => Err(Error::invalid(
                field,
                format!("unknown time zone {value:?}; use an IANA name like Europe/Berlin"),
            )),
        }
    }
}

impl Locale {
    /// Accepts `language[-subtag]*`, e.g. `de`, `de-DE`, `pt-BR`, `zh-Hant-TW`.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let mut parts = value.split('-');
        let language_ok = parts.next().is_some_and(|language| {
            (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase())
        });
        let rest_ok = parts.all(|part| {
            (2..=8).contains(&part.len()) && part.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if language_ok && rest_ok && value.len() <= 35 {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                "must be a BCP 47 language tag like de-DE",
            ))
        }
    }
}

impl StoreCode {
    /// Parses a store code; uniqueness ignores case.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        let value = value.trim();
        let ok = (1..=40).contains(&value.len())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                "must be 1-40 letters, digits, '-', '_' or '.'",
            ))
        }
    }

    /// The form uniqueness is decided on.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

impl DepartmentId {
    /// Parses a department id.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        if is_slug(value, 1, 40) {
            Ok(Self(value.to_owned()))
        } else {
            Err(Error::invalid(
                field,
                "must be 1-40 lowercase letters, digits and '-', starting with a letter",
            ))
        }
    }
}

/// A password that meets the policy; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Shortest accepted password, in characters. Length is what makes a password strong
/// (NIST SP 800-63B); there are no composition rules.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest accepted password, in characters; bounds the hashing work per attempt.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords so common that attackers try them first.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789012",
    "0987654321",
    "qwertyuiop",
    "password123",
    "password1234",
    "passwort123",
    "iloveyou123",
    "qwerty12345",
    "1q2w3e4r5t",
    "abcdefghij",
    "letmein1234",
    "welcome123",
    "willkommen1",
    "breakroom123",
];

impl Password {
    /// Checks a chosen password: 10-128 characters, not a well-known one, not mostly one
    /// character, and not containing the user's e-mail name or phone number.
    pub fn parse(field: &str, value: &str, personal: &[&str]) -> Result<Self> {
        let chars = value.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(Error::invalid(
                field,
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(Error::invalid(
                field,
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        let lower = value.to_lowercase();
        if COMMON_PASSWORDS.contains(&lower.as_str()) {
            return Err(Error::invalid(field, "is too common; choose another"));
        }
        let distinct: std::collections::BTreeSet<char> = value.chars().collect();
        if distinct.len() < 4 {
            return Err(Error::invalid(
                field,
                "must use at least 4 different characters",
            ));
        }
        if personal
            .iter()
            .filter(|p| p.chars().count() >= 4)
            .any(|p| lower.contains(&p.to_lowercase()))
        {
            return Err(Error::invalid(
                field,
                "must not contain your e-mail name or phone number",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn email_addresses_are_lower_cased_and_malformed_ones_refused() {
        assert_eq!(
            Email::parse("email", " Anna.Schmidt@Example.COM ")
                .unwrap()
                .as_str(),
            "anna.schmidt@example.com"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "an na@example.com",
            "anna@@example.com",
            "anna@-x.com",
            "a..b@example.com",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        assert_eq!(
            Phone::parse("phone", "+49 151 1234-5678").unwrap().as_str(),
            "+4915112345678"
        );
        for bad in [
            "015112345678",
            "+0151123456",
            "+49",
            "+49abc12345678",
            "+1234567890123456",
        ] {
            assert!(Phone::parse("phone", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn only_known_iana_time_zones_are_accepted() {
        assert_eq!(
            TimeZone::parse("tz", "Europe/Amsterdam").unwrap().as_str(),
            "Europe/Amsterdam"
        );
        assert!(TimeZone::parse("tz", "Europe/Atlantis").is_err());
        assert!(TimeZone::parse("tz", "").is_err());
        assert!(TimeZone::parse("tz", "+02:00").is_err());
    }

    #[test]
    fn the_password_policy_wants_length_not_composition() {
        assert!(Password::parse("p", "correct horse battery", &[]).is_ok());
        assert!(Password::parse("p", "short1!", &[]).is_err());
        assert!(Password::parse("p", "Password123", &[]).is_err());
        assert!(Password::parse("p", "aaaaaaaaaaaaab", &[]).is_err());
        assert!(Password::parse("p", "anna.schmidt-rocks", &["anna.schmidt"]).is_err());
        assert!(Password::parse("p", &"x1y2".repeat(40), &[]).is_err());
    }

    #[test]
    fn identifiers_are_slugs() {
        assert!(TenantId::parse("t", "acme-retail").is_ok());
        for bad in ["ac", "Acme", "1acme", "acme-", "acme.retail", "acme_retail"] {
            assert!(TenantId::parse("t", bad).is_err(), "{bad:?} accepted");
        }
        assert!(DepartmentId::parse("d", "fresh").is_ok());
        assert!(StoreCode::parse("c", "B-0042").is_ok());
        assert!(StoreCode::parse("c", "B 0042").is_err());
        assert!(Locale::parse("l", "de-DE").is_ok());
        assert!(Locale::parse("l", "german").is_err());
    }
}
