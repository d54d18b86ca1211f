//! What text Breakroom accepts, decided once for every service and every field.
//!
//! A string that reaches the event log must also fit every read model built from it:
//! PostgreSQL's `text` cannot hold U+0000, so a NUL committed to a stream would make every
//! projector skip that commit as poison, and the person's post would silently never show.
//! Other control characters (escape sequences, backspace, bell, the C1 range) have no
//! business in names, posts or settings either and make logs and terminals lie. So a
//! string may hold any Unicode scalar except the control characters (general category
//! `Cc`), with tab, line feed and carriage return allowed: multi-line text is typed with
//! them, and browsers submit a text area's lines separated by CR LF.
//!
//! The chassis's text layer (`breakroom_chassis::layers::text`) applies the rule to every
//! string field of every request a server receives, before a handler runs, so no command
//! can append text a read model would refuse.

use crate::error::FieldViolation;

/// Whether `c` is refused in any text: a control character other than tab, LF and CR.
pub fn is_refused(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The violation of `field` if `value` holds a refused character, naming the first one
/// and its position (in characters, from 0) so that a client can find it.
pub fn check(field: &str, value: &str) -> Option<FieldViolation> {
    let (position, c) = value.chars().enumerate().find(|(_, c)| is_refused(*c))?;
    Some(FieldViolation::new(
        field,
        format!(
            "contains the control character U+{:04X} at position {position}; text may hold \
             tab, line feed and carriage return but no other control character",
            u32::from(c)
        ),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn ordinary_multi_line_text_in_any_script_is_accepted() {
        for text in [
            "Coffee machine fixed",
            "Line one\r\nLine two\n\tindented",
            "Kassa 3 is stuk — graag melden 🙏",
            "日本語のテキスト",
            "",
        ] {
            assert_eq!(check("body", text), None, "{text:?}");
        }
    }

    #[test]
    fn nul_and_other_control_characters_are_refused_with_their_position() {
        for (text, code, position) in [
            ("a\0b", 0x0, 1),
            ("\u{1b}[31mred", 0x1b, 0),
            ("bell\u{7}", 0x7, 4),
            ("del\u{7f}", 0x7f, 3),
            ("c1 \u{85}", 0x85, 3),
            ("back\u{8}space", 0x8, 4),
        ] {
            let violation = check("post.body", text).expect(text);
            assert_eq!(violation.field, "post.body");
            assert!(
                violation
                    .description
                    .contains(&format!("U+{code:04X} at position {position}")),
                "{violation:?}"
            );
        }
    }
}
