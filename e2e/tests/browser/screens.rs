//! Every main screen of the app, in Dutch and English, at phone size: checked by axe-core
//! (no serious or critical violation) and, with `BREAKROOM_SCREENS=<folder>`, written there
//! as `<screen>.<lang>.png` (`cargo dev screens` writes docs/screens).
//!
//! The screens are data (`SCREENS`): a new screen is one more entry.

use std::path::PathBuf;

use breakroom_e2e::platform::Service;
use serde_json::{Value, json};

use crate::{
    Stack, activate, onboard, sign_in, submit,
    webdriver::{By, Session},
};

/// Who is signed in to see a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Nobody: the sign-in and activation pages.
    Guest,
    /// The chain's employee (Sanne), with next week's roster, a must-read and a post.
    Employee,
    /// The store's manager, signed in through /signin.
    Manager,
}

/// One screen.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    /// The file name's stem: `<name>.<lang>.png`.
    pub name: &'static str,
    pub who: Who,
    /// Its path; `{week}` is next week (`2026-W50`), `{post}` the must-read's page,
    /// `{store}` the store's id.
    pub path: &'static str,
    /// A CSS selector present once the screen shows its content (the services project
    /// behind the log, so the page is reloaded until it is there).
    pub ready: &'static str,
}

/// The main screens, in the order a person meets them.
pub const SCREENS: &[Screen] = &[
    Screen {
        name: "signin",
        who: Who::Guest,
        path: "/signin",
        ready: "form[action='/signin']",
    },
    Screen {
        name: "activate",
        who: Who::Guest,
        path: "/activate",
        ready: "form[action='/activate']",
    },
    Screen {
        name: "home",
        who: Who::Employee,
        path: "/",
        ready: ".must-read",
    },
    Screen {
        name: "week",
        who: Who::Employee,
        path: "/week?week={week}",
        ready: ".notice form",
    },
    Screen {
        name: "post",
        who: Who::Employee,
        path: "{post}",
        ready: "article.post",
    },
    Screen {
        name: "new-post",
        who: Who::Employee,
        path: "/new",
        ready: "form[action='/new']",
    },
    Screen {
        name: "inbox",
        who: Who::Employee,
        path: "/inbox",
        ready: ".inbox li",
    },
    Screen {
        name: "time-off",
        who: Who::Employee,
        path: "/time-off",
        ready: "form[action='/time-off']",
    },
    Screen {
        name: "settings",
        who: Who::Employee,
        path: "/settings",
        ready: "form[action='/settings/language']",
    },
    Screen {
        name: "groups",
        who: Who::Employee,
        path: "/groups",
        ready: "a[href^='/groups/']",
    },
    Screen {
        name: "colleagues",
        who: Who::Employee,
        path: "/colleagues",
        ready: ".shifts li",
    },
    Screen {
        name: "manage",
        who: Who::Manager,
        path: "/manage",
        ready: "a[href^='/manage/stores/']",
    },
    Screen {
        name: "manage-week",
        who: Who::Manager,
        path: "/manage/stores/{store}/week?week={week}",
        ready: ".shift",
    },
    Screen {
        name: "manage-requests",
        who: Who::Manager,
        path: "/manage/stores/{store}/requests",
        ready: "#requests-time-off",
    },
    Screen {
        name: "announce",
        who: Who::Manager,
        path: "/manage/announce",
        ready: "form[action='/manage/announce'] fieldset",
    },
    Screen {
        name: "read-report",
        who: Who::Manager,
        path: "{report}",
        ready: "table.rollup",
    },
    Screen {
        name: "moderation",
        who: Who::Manager,
        path: "/manage/moderation",
        ready: "main h1",
    },
];

/// What fills the screens' placeholders.
struct Fixture {
    week: String,
    post: String,
    store: String,
    report: String,
}

impl Screen {
    fn path(&self, fixture: &Fixture) -> String {
        self.path
            .replace("{week}", &fixture.week)
            .replace("{post}", &fixture.post)
            .replace("{store}", &fixture.store)
            .replace("{report}", &fixture.report)
    }
}

/// Where screenshots go, when asked for.
fn screenshots() -> Option<PathBuf> {
    std::env::var_os("BREAKROOM_SCREENS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_screen_passes_axe_in_dutch_and_english() {
    let axe = tokio::task::spawn_blocking(breakroom_e2e::tools::axe_core)
        .await
        .unwrap()
        .unwrap();
    let axe = std::fs::read_to_string(axe).unwrap();
    let out = screenshots();
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).unwrap();
    }

    let stack = Stack::start().await;
    let identity = stack.channel(Service::Identity).await;
    let scheduling = stack.channel(Service::Scheduling).await;
    let feed = stack.channel(Service::Feed).await;
    let chain = onboard::onboard(&identity, "browser-screens").await;

    // English first: the guest pages (English by Accept-Language), then the employee
    // activates and chooses English in Settings (the chain's locale is Dutch).
    let english = stack.browser("en").await;
    let mut violations = Vec::new();
    let mut csp_checked = false;
    for screen in SCREENS.iter().filter(|s| s.who == Who::Guest) {
        let fixture = Fixture {
            week: String::new(),
            post: String::new(),
            store: String::new(),
            report: String::new(),
        };
        visit(&english, screen, &fixture, "en").await;
        if !csp_checked {
            check_csp_holds_for_the_page(&english).await;
            csp_checked = true;
        }
        violations.extend(audit(&english, &axe, screen, "en").await);
        photograph(&english, screen, "en", out.as_ref()).await;
    }
    activate(&english, &chain).await;
    onboard::publish_next_week(&scheduling, &chain).await;
    let announcement = onboard::must_read(&feed, &chain, "Nieuwe kassaprocedure").await;
    let parts: Vec<&str> = announcement.split('/').collect();
    let fixture = Fixture {
        week: onboard::next_week().0,
        post: format!("/posts/{}/{}", parts[3], parts[5]),
        store: chain.store.rsplit('/').next().unwrap().to_owned(),
        report: format!("/manage/announcements/{}/{}", parts[3], parts[5]),
    };
    let manager = onboard::store_manager(&identity, &chain).await;
    english.goto("/settings").await;
    english.choose("lang", "en").await;
    submit(&english, "/settings/language").await;
    english.wait_for_text("Settings").await;

    let dutch = stack.browser("nl").await;
    for screen in SCREENS.iter().filter(|s| s.who == Who::Guest) {
        visit(&dutch, screen, &fixture, "nl").await;
        violations.extend(audit(&dutch, &axe, screen, "nl").await);
        photograph(&dutch, screen, "nl", out.as_ref()).await;
    }
    let email = format!("sanne@{}.example", chain.tenant);
    sign_in(&dutch, &chain.tenant, &email).await;

    for (browser, lang) in [(&english, "en"), (&dutch, "nl")] {
        for screen in SCREENS.iter().filter(|s| s.who == Who::Employee) {
            visit(browser, screen, &fixture, lang).await;
            violations.extend(audit(browser, &axe, screen, lang).await);
            photograph(browser, screen, lang, out.as_ref()).await;
        }
    }
    english.quit().await;
    dutch.quit().await;

    // The store manager's screens, in a browser of each language.
    for lang in ["en", "nl"] {
        let browser = stack.browser(lang).await;
        sign_in(&browser, &chain.tenant, &manager).await;
        // The chain's language is Dutch; English is the manager's own choice.
        browser.goto("/settings").await;
        browser.choose("lang", lang).await;
        submit(&browser, "/settings/language").await;
        for screen in SCREENS.iter().filter(|s| s.who == Who::Manager) {
            visit(&browser, screen, &fixture, lang).await;
            violations.extend(audit(&browser, &axe, screen, lang).await);
            photograph(&browser, screen, lang, out.as_ref()).await;
        }
        browser.quit().await;
    }

    assert!(
        violations.is_empty(),
        "axe-core found serious or critical violations:\n{}",
        violations.join("\n")
    );
}

/// Opens `screen` and waits for its content; checks the page is in `lang`.
async fn visit(browser: &Session, screen: &Screen, fixture: &Fixture, lang: &str) {
    let path = screen.path(fixture);
    crate::webdriver::until(
        &format!("{} ({path}) shows {}", screen.name, screen.ready),
        || {
            let path = path.clone();
            async move {
                browser.goto(&path).await;
                browser.find(By::Css(screen.ready)).await.ok()
            }
        },
    )
    .await;
    let html_lang = browser
        .execute("return document.documentElement.lang;", json!([]))
        .await;
    assert_eq!(html_lang, lang, "{} in {lang}", screen.name);
}

/// The page's CSP forbids inline script, yet the tests' scripts (DevTools evaluation, as
/// WebDriver's execute-script is) run: that is how axe-core gets in.
async fn check_csp_holds_for_the_page(browser: &Session) {
    let inline_ran = browser
        .execute(
            "var s = document.createElement('script');\
             s.textContent = 'window.__inlineRan = true;';\
             document.head.appendChild(s);\
             return window.__inlineRan === true;",
            json!([]),
        )
        .await;
    assert_eq!(inline_ran, false, "the CSP blocks an inline script");
}

/// axe-core on the current page; the serious and critical violations, one line each.
async fn audit(browser: &Session, axe: &str, screen: &Screen, lang: &str) -> Vec<String> {
    let loaded = browser
        .execute(&format!("{axe}\n;return typeof window.axe;"), json!([]))
        .await;
    assert_eq!(loaded, "object", "axe-core injected despite the page's CSP");
    let result = browser
        .execute_async(
            "var done = arguments[arguments.length - 1];\
             window.axe.run(document, { resultTypes: ['violations'] }).then(function (r) {\
               done(r.violations.map(function (v) {\
                 return { id: v.id, impact: v.impact, help: v.help,\
                          nodes: v.nodes.map(function (n) { return n.target.join(' '); }) };\
               }));\
             }, function (e) { done('axe failed: ' + e); });",
            json!([]),
        )
        .await;
    let list = result
        .as_array()
        .unwrap_or_else(|| panic!("{}.{lang}: {result}", screen.name));
    let mut serious = Vec::new();
    for v in list {
        let impact = v["impact"].as_str().unwrap_or("unknown");
        let nodes: Vec<&str> = v["nodes"]
            .as_array()
            .map(|n| n.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let line = format!(
            "{}.{lang}: {} ({impact}): {} — {}",
            screen.name,
            v["id"].as_str().unwrap_or("?"),
            v["help"].as_str().unwrap_or(""),
            nodes.join(", ")
        );
        if matches!(impact, "serious" | "critical") {
            serious.push(line);
        } else {
            eprintln!("axe, not failing: {line}");
        }
    }
    serious
}

/// The viewport as `<dir>/<name>.<lang>.png`, when screenshots are asked for.
async fn photograph(browser: &Session, screen: &Screen, lang: &str, dir: Option<&PathBuf>) {
    let Some(dir) = dir else { return };
    browser
        .execute(
            "window.scrollTo(0, 0); if (document.activeElement) { document.activeElement.blur(); }",
            json!([]),
        )
        .await;
    let png = browser.screenshot().await;
    let file = dir.join(format!("{}.{lang}.png", screen.name));
    std::fs::write(&file, png).unwrap();
    eprintln!("wrote {}", file.display());
}
