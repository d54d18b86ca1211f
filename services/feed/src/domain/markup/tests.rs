//! The check against a corpus of attack forms (each must be refused) and of ordinary
//! markdown (each must pass).

use super::{MAX_REFUSALS, Refused, refusals};

fn fine(text: &str) {
    assert_eq!(refusals(text), vec![], "{text:?}");
}

fn refused(text: &str) -> Vec<Refused> {
    let found = refusals(text);
    assert!(!found.is_empty(), "accepted: {text:?}");
    found
}

fn target(t: &str) -> Refused {
    Refused::LinkTarget(t.into())
}

#[test]
fn ordinary_markdown_passes() {
    fine("Hello *team*, **big** news and __more__ _today_.");
    fine("- bread\n- milk\n* eggs\n+ salt\n\n1. first\n2) second");
    fine("line one  \nline two\\\nline three");
    fine("See [the rota](https://example.com/rota?week=49) or [mail](mailto:hq@acme.example).");
    fine("[Wiki](http://intranet.example/a_(b)) and <https://example.com> and <hq@acme.example>");
    fine("[ref link][r]\n\n[r]: https://example.com \"Title\"");
    fine("[Update]: shop closes at 5");
    fine("`<script>` in code, ``a ` b <div>``, and \\<b> escaped");
    fine("a < b, 3 <4, <3 love, x <= y, # of boxes, > 5 crates");
    fine("# Stocktake\n\n> Bring gloves.\n\n---\n\n```\n<script>alert(1)</script>\n```");
    fine("    indented <b>code</b> block");
    fine("[HTTPS upper case](HTTPS://EXAMPLE.COM) and [x](https://a.example \"t\")");
    fine("- item with [a link](https://a.example)\n  > quoted [ref][r]\n\n[r]: http://b.example");
    fine("CR only\r[x][r]\r\r[r]: https://a.example\r");
    fine("[never used]: javascript:alert(1)");
}

#[test]
fn raw_html_is_refused_and_named() {
    assert_eq!(
        refusals("Hi <script>alert(1)</script>"),
        vec![
            Refused::Html("<script".into()),
            Refused::Html("</script".into())
        ]
    );
    assert_eq!(
        refusals("<img src=x onerror=alert(1)>"),
        vec![Refused::Html("<img".into())]
    );
    assert_eq!(
        refusals("a <!-- hidden -->"),
        vec![Refused::Html("<!--".into())]
    );
    assert_eq!(refusals("<b>bold</b>").len(), 2);
    // HTML blocks: every line of the block.
    assert_eq!(
        refusals("<div>\n<a href=\"javascript:alert(1)\">x</a>\n</div>"),
        vec![
            Refused::Html("<div".into()),
            Refused::Html("<a".into()),
            Refused::Html("</div".into())
        ]
    );
    refused("<!DOCTYPE html>");
    refused("<?php echo 1; ?>");
    refused("<![CDATA[x]]>");
    refused("> <iframe src=https://evil.example></iframe>");
    refused("- item\n\n  <svg onload=alert(1)>");
    refused("text\r<script>alert(1)</script>");
}

#[test]
fn images_are_refused() {
    assert_eq!(
        refusals("![pixel](https://t.example/p.gif)"),
        vec![Refused::Image]
    );
    assert_eq!(
        refusals("![x][r]\n\n[r]: https://a.example"),
        vec![Refused::Image]
    );
    assert_eq!(
        refusals("> ![x][r]\n>\n> [r]: https://a.example"),
        vec![Refused::Image]
    );
    assert_eq!(
        refusals("[![x](https://a.example/i.png)](https://a.example)"),
        vec![Refused::Image]
    );
    fine("Wow! [link](https://a.example)");
}

#[test]
fn inline_and_autolink_targets_other_than_https_http_and_mailto_are_refused() {
    let cases = [
        ("[click](javascript:alert(1))", "javascript:alert(1)"),
        ("[x](JaVaScRiPt:alert(1))", "JaVaScRiPt:alert(1)"),
        ("[x](&#106;avascript:alert(1))", "javascript:alert(1)"),
        ("[x](jav&#x61;script:alert(1))", "javascript:alert(1)"),
        ("[x](jav&#X61;script&colon;alert(1))", "javascript:alert(1)"),
        ("[x](java\\script:alert(1))", "java\\script:alert(1)"),
        ("[x]( <javascript:alert(1)> )", "javascript:alert(1)"),
        ("[x](<java script:alert(1)>)", "java script:alert(1)"),
        (
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "data:text/html;base64,PHNjcmlwdD4=",
        ),
        ("[x](vbscript:msgbox(1))", "vbscript:msgbox(1)"),
        ("[x](file:///etc/passwd)", "file:///etc/passwd"),
        ("<javascript:alert(1)>", "javascript:alert(1)"),
        ("<JAVASCRIPT:alert(1)>", "JAVASCRIPT:alert(1)"),
        ("<data:text/html,x>", "data:text/html,x"),
        ("[relative](/admin)", "/admin"),
        ("[fragment](#top)", "#top"),
        ("[page](page.html)", "page.html"),
        ("[protocol relative](//evil.example/x)", "//evil.example/x"),
        ("[empty]()", ""),
        ("[bare](https://)", "https://"),
        ("[mail](mailto:)", "mailto:"),
    ];
    for (text, expected) in cases {
        assert!(
            refusals(text).contains(&target(expected)),
            "{text:?}: {:?}",
            refusals(text)
        );
    }
}

#[test]
fn whitespace_and_control_tricks_in_targets_are_refused() {
    for text in [
        "[x](&#9;javascript:alert(1))",
        "[x](java&#9;script:alert(1))",
        "[x](java&#10;script:alert(1))",
        "[x](&#0;javascript:alert(1))",
        "[x](<\u{1}javascript:alert(1)>)",
        "[x](https://a.example/&#9;x)",
        "[x](<https://a.example/ x>)",
        "[x](\u{200b}javascript:alert(1))",
    ] {
        refused(text);
    }
    assert_eq!(
        refusals("[x](java&#9;script:alert(1))"),
        vec![target("java\\tscript:alert(1)")],
        "the control character is shown escaped"
    );
}

#[test]
fn reference_definitions_anywhere_are_checked_where_they_are_used() {
    for text in [
        "[x][r]\n\n[r]: javascript:alert(1)",
        // The issue's form: the definition inside a block quote.
        "[x][r]\n\n> [r]: javascript:alert(1)",
        "[x][r]\n\n> > [r]: javascript:alert(1)",
        // Inside list items.
        "[x][r]\n\n- [r]: javascript:alert(1)",
        "[x][r]\n\n1. [r]: javascript:alert(1)",
        "- [x][r]\n\n  [r]: javascript:alert(1)",
        // The target on the next line.
        "[x][r]\n\n[r]:\njavascript:alert(1)",
        "[x][r]\n\n> [r]:\n> javascript:alert(1)",
        "[x][r]\n\n[r]:\n<javascript:alert(1)> 'title'",
        // Bare CR and CRLF line endings.
        "[x][r]\r\r> [r]: javascript:alert(1)",
        "[x][r]\r\r[r]:\rjavascript:alert(1)",
        "[x][r]\r\n\r\n- [r]:\r\n  javascript:alert(1)",
        // Collapsed and shortcut references, labels matched case-insensitively.
        "[R][]\n\n[r]: javascript:alert(1)",
        "[r]\n\n[R]: javascript:alert(1)",
        // Indented up to three spaces, entity-encoded.
        "[x][r]\n\n   [r]: jav&#x61;script:alert(1)",
        "[x][r]\n\n[r]: DATA:text/html,x",
    ] {
        let found = refused(text);
        assert!(
            found.iter().all(|r| matches!(r, Refused::LinkTarget(_))),
            "{text:?}: {found:?}"
        );
    }
}

#[test]
fn each_refusal_is_named_once_and_their_number_is_bounded() {
    assert_eq!(
        refusals("[a](javascript:x) [b](javascript:x) <b> <b>"),
        vec![target("javascript:x"), Refused::Html("<b".into())]
    );
    let hostile: String = (0..500).map(|i| format!("[x](javascript:{i}) ")).collect();
    assert_eq!(refusals(&hostile).len(), MAX_REFUSALS);
}

#[test]
fn a_target_is_shown_shortened() {
    let long = format!("[x](javascript:{})", "a".repeat(100));
    let found = refusals(&long);
    assert_eq!(
        found,
        vec![target(&format!("javascript:{}", "a".repeat(29)))]
    );
    assert!(found[0].to_string().contains("must start with https://"));
}
