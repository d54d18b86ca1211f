//! The `filter` of ListShiftClaims and ListShiftSwaps: a small subset of AIP-160 that
//! names states, `state = PENDING`, several joined by `OR`
//! (`state = OFFERED OR state = ACCEPTED`). Values are the enum's names with or without
//! their `STATE_` prefix; `OR` is upper case, as AIP-160 writes it. Anything else is
//! INVALID_ARGUMENT naming `filter`, so a client never gets a list it did not ask for.

use breakroom_base::{Error, Result};

/// The states `filter` names, in the order of `states` (so two spellings of one filter
/// give one page-token binding); empty when the filter is empty (every state).
/// `states` pairs each accepted name (without prefix) with its value.
pub fn states<T: Copy>(filter: &str, states: &[(&str, T)]) -> Result<Vec<T>> {
    let names: Vec<&str> = states.iter().map(|(name, _)| *name).collect();
    let invalid = |why: &str| {
        Error::invalid(
            "filter",
            format!(
                "{why}; expected empty or `state = {}`, several joined by OR, with state one of {}",
                names.first().copied().unwrap_or_default(),
                names.join(", ")
            ),
        )
    };
    let tokens = tokens(filter).ok_or_else(|| invalid("unexpected character"))?;
    if tokens.is_empty() {
        return Ok(vec![]);
    }
    let mut wanted = vec![false; states.len()];
    let mut rest = tokens.as_slice();
    loop {
        let (value, after) = match rest {
            ["state", "=", value, after @ ..] => (*value, after),
            _ => return Err(invalid("not a state comparison")),
        };
        let bare = value.strip_prefix("STATE_").unwrap_or(value);
        let index = names
            .iter()
            .position(|name| *name == bare)
            .ok_or_else(|| invalid(&format!("unknown state `{value}`")))?;
        wanted[index] = true;
        match after {
            [] => break,
            ["OR", more @ ..] if !more.is_empty() => rest = more,
            _ => return Err(invalid("only OR joins comparisons")),
        }
    }
    Ok(states
        .iter()
        .zip(wanted)
        .filter_map(|((_, value), wanted)| wanted.then_some(*value))
        .collect())
}

/// Words (`[A-Za-z0-9_]+`) and `=`; `None` for any other character.
fn tokens(filter: &str) -> Option<Vec<&str>> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in filter.char_indices() {
        let word = c.is_ascii_alphanumeric() || c == '_';
        if word {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            tokens.push(&filter[s..i]);
        }
        match c {
            '=' => tokens.push(&filter[i..i + 1]),
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    if let Some(s) = start {
        tokens.push(&filter[s..]);
    }
    Some(tokens)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::states;

    const STATES: [(&str, u8); 3] = [("PENDING", 1), ("APPROVED", 2), ("REJECTED", 3)];

    #[test]
    fn a_state_comparison_is_read_with_or_without_prefix_and_spaces() {
        assert_eq!(states("state = PENDING", &STATES).unwrap(), vec![1]);
        assert_eq!(states("state=STATE_PENDING", &STATES).unwrap(), vec![1]);
        assert_eq!(states("  ", &STATES).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn several_states_joined_by_or_come_in_declaration_order() {
        assert_eq!(
            states(
                "state = REJECTED OR state = PENDING OR state = PENDING",
                &STATES
            )
            .unwrap(),
            vec![1, 3]
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "state = UNSPECIFIED",
            "state = STATE_UNSPECIFIED",
            "state = pending",
            "state != PENDING",
            "state = PENDING AND state = APPROVED",
            "state = PENDING or state = APPROVED",
            "state = PENDING OR",
            "claimant = PENDING",
            "state = \"PENDING\"",
            "PENDING",
            "state = PENDING state = APPROVED",
        ] {
            assert!(states(bad, &STATES).is_err(), "{bad}");
        }
    }
}
