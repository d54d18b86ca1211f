//! Pagination (AIP-158): page sizes with a default and a cap, and opaque page tokens
//! holding the last row's sort key, bound to the filters of the list they came from.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::{Error, Result};

/// Default page size (AIP-158).
pub const DEFAULT_PAGE: i32 = 50;
/// Largest page size; larger requests are served this many.
pub const MAX_PAGE: i32 = 1000;

/// A page request: how many, and after which `(sort key, id)`.
#[derive(Debug, Clone)]
pub struct Page {
    /// Rows to return.
    pub size: i64,
    /// Last row of the previous page.
    pub after: Option<(String, String)>,
    /// The filters the token is bound to.
    filter: String,
}

impl Page {
    /// Parses `page_size` and `page_token`; a token is only valid with the same `filter`.
    pub fn parse(page_size: i32, page_token: &str, filter: &str) -> Result<Self> {
        Self::parse_with_default(page_size, page_token, filter, DEFAULT_PAGE)
    }

    /// Like `parse`, with `default` rows when the client names no size.
    pub fn parse_with_default(
        page_size: i32,
        page_token: &str,
        filter: &str,
        default: i32,
    ) -> Result<Self> {
        if page_size < 0 {
            return Err(Error::invalid("page_size", "must not be negative"));
        }
        let size = match page_size {
            0 => default,
            n => n.min(MAX_PAGE),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            let invalid = || {
                Error::invalid(
                    "page_token",
                    "is not a token of this list with these filters",
                )
            };
            let raw = URL_SAFE_NO_PAD.decode(page_token).map_err(|_| invalid())?;
            let text = String::from_utf8(raw).map_err(|_| invalid())?;
            match text.split('\0').collect::<Vec<_>>().as_slice() {
                ["v1", token_filter, key, id] if *token_filter == filter => {
                    Some(((*key).to_owned(), (*id).to_owned()))
                }
                _ => return Err(invalid()),
            }
        };
        Ok(Self {
            size: i64::from(size),
            after,
            filter: filter.to_owned(),
        })
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn limit(&self) -> i64 {
        self.size + 1
    }

    /// Trims the extra row and makes the next token from the last row kept.
    pub fn finish<T>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> (String, String),
    ) -> (Vec<T>, String) {
        if rows.len() as i64 <= self.size {
            return (rows, String::new());
        }
        rows.truncate(self.size as usize);
        let token = rows
            .last()
            .map(|last| {
                let (k, id) = key(last);
                URL_SAFE_NO_PAD.encode(format!("v1\0{}\0{k}\0{id}", self.filter))
            })
            .unwrap_or_default();
        (rows, token)
    }

    /// Like `after_key` for lists sorted by an instant: the key parsed as RFC 3339, so a
    /// forged token is INVALID_ARGUMENT rather than a database error.
    pub fn after_instant(&self) -> Result<(Option<chrono::DateTime<chrono::Utc>>, &str)> {
        let (key, id) = self.after_key();
        let at = key
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|_| Error::invalid("page_token", "is not a token of this list"))
            })
            .transpose()?;
        Ok((at, id))
    }

    /// The previous page's last `(sort key, id)`, or `(None, "")` for the first page.
    pub fn after_key(&self) -> (Option<&str>, &str) {
        match &self.after {
            Some((key, id)) => (Some(key.as_str()), id.as_str()),
            None => (None, ""),
        }
    }
}
