//! What post and comment bodies may hold: the shared `breakroom-markup` crate, so feed's
//! check and the web app's renderer run the same parser with the same options (see that
//! crate for the allow-list and why).

pub use breakroom_markup::{MAX_REFUSALS, Refused, check, parser, parser_options, refusals};

#[cfg(test)]
mod tests;
