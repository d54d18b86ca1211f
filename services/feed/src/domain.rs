//! Feed's aggregates, pure: `decide(&state, &command) -> events`, `apply(state, &event)`.
//!
//! - `markup`: what post and comment bodies may hold, decided by the CommonMark parser
//!   clients render them with.
//! - `attachment`: where an attachment's bytes may be (an object key or an https URL).
//! - `group`: groups, their details, posting policy and (for custom and help groups)
//!   explicit members.
//! - `post`: posts and announcements: edits with history, pinning, deletion, reports,
//!   moderation.
//! - `records`: the small per-fact aggregates: audience chunks, acknowledgements,
//!   reminders, comments, reactions, read state.

pub mod attachment;
pub mod group;
pub mod markup;
pub mod post;
pub mod records;

/// Readers per audience or reminder commit: 60,000 readers are 30 commits, each well
/// under NATS's message limit (36 bytes per id, about 80 KB).
pub const CHUNK: usize = 2_000;

/// Id of the store group of `store`.
pub fn store_group_id(store: &str) -> String {
    format!("store-{store}")
}

/// Id of the department group of `department` in `store`.
pub fn department_group_id(store: &str, department: &str) -> String {
    format!("dept-{store}-{department}")
}

/// Id of the chain-wide news channel.
pub const NEWS: &str = "news";
/// Id of the chain-wide help group.
pub const HELP: &str = "help";

/// Lower-case RFC 4648 base32 without padding: 16 bytes become 26 characters, all valid
/// in a subject token and without `_`, so `<post>_<user>` ids split unambiguously.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base32_of_a_uuid_is_26_characters_and_distinct() {
        let a = super::base32(&[0u8; 16]);
        let b = super::base32(&[255u8; 16]);
        assert_eq!((a.len(), b.len()), (26, 26));
        assert_eq!(a, "a".repeat(26));
        assert_ne!(a, b);
        assert_eq!(super::base32(b"f"), "my");
    }
}
