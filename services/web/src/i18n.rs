//! Dutch and English from the Fluent catalogues in `locales/`: every string a page shows
//! is looked up here. The language is the person's choice (a cookie set in Settings),
//! else the chain's locale, else the browser's `Accept-Language`, else English.

use std::{borrow::Cow, collections::HashMap};

use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Bidi isolation marks around arguments would end up inside attributes and URLs.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
}

static EN: LanguageIdentifier = langid!("en");
static NL: LanguageIdentifier = langid!("nl");

impl Lang {
    /// The language a tag such as `nl-NL`, `nl` or `en-GB` names, if the app speaks it.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Some(Self::Nl),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header the app speaks (by q-value).
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut ranked: Vec<(f32, Self)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Self::from_tag(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map(|(_, lang)| *lang)
    }

    /// The BCP 47 code for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Nl => "nl",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Self::En => &EN,
            Self::Nl => &NL,
        }
    }
}

/// Looks messages up in one language; templates call `t.get("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The message `key`; the key itself when the catalogue lacks it (a test catches that).
    pub fn get(&self, key: &str) -> String {
        LOCALES
            .try_lookup(self.lang.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with one text argument.
    pub fn arg(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.args(key, &[(name, value.to_string())])
    }

    /// The message `key` with a number `n` (for plural rules).
    pub fn count(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        let map = HashMap::from([(Cow::Borrowed("count"), FluentValue::from(*n.borrow()))]);
        self.lookup(key, &map)
    }

    /// The message `key` with text arguments.
    pub fn args(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.clone())))
            .collect();
        self.lookup(key, &map)
    }

    fn lookup(&self, key: &str, args: &HashMap<Cow<'static, str>, FluentValue<'static>>) -> String {
        LOCALES
            .try_lookup_with_args(self.lang.id(), key, args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether the catalogue of this language holds `key` (tests: every argument the
    /// catalogues use is given, so messages with arguments resolve too).
    pub fn has(&self, key: &str) -> bool {
        let names = [
            "count", "name", "time", "week", "shifts", "status", "start", "end", "paid", "after",
            "before", "date", "hours", "minutes", "length", "weekday", "day", "month", "names",
            "zone", "done", "total",
        ];
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = names
            .into_iter()
            .map(|n| (Cow::Borrowed(n), FluentValue::from(1)))
            .collect();
        LOCALES
            .try_lookup_with_args(self.lang.id(), key, &map)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_spoken_language() {
        assert_eq!(
            Lang::from_accept_language("de-DE,nl;q=0.8,en;q=0.5"),
            Some(Lang::Nl)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
        assert_eq!(Lang::from_tag("nl-NL"), Some(Lang::Nl));
    }

    #[test]
    fn both_catalogues_hold_the_same_keys() {
        let keys = |text: &str| -> Vec<String> {
            let mut keys: Vec<String> = text
                .lines()
                .filter(|l| !l.starts_with([' ', '#', '*', '[']) && l.contains(" ="))
                .filter_map(|l| l.split(" =").next().map(str::to_owned))
                .collect();
            keys.sort();
            keys
        };
        let en = keys(include_str!("../locales/en/main.ftl"));
        let nl = keys(include_str!("../locales/nl/main.ftl"));
        assert_eq!(en, nl);
        let dutch = Tr { lang: Lang::Nl };
        let missing: Vec<_> = en.iter().filter(|k| !dutch.has(k)).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn every_message_a_template_names_is_in_both_catalogues() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for call in ["t.get(\"", "t.arg(\"", "t.count(\"", "t.args(\""] {
                for piece in text.split(call).skip(1) {
                    let key = piece.split('"').next().unwrap();
                    for lang in [Lang::En, Lang::Nl] {
                        assert!(Tr { lang }.has(key), "{key} missing in {lang:?}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "{checked}");
    }
}
