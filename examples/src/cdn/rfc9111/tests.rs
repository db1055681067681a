//! The calculator checked against RFC 9111 (and RFC 5861, RFC 8246, RFC 9110 §8.8 and §13),
//! rule by rule. Each case names its section and the arithmetic done by hand.

use super::*;

/// `t=0` of every case: the response's `Date`.
const DATE: &str = "Date: Mon, 30 Nov 2026 06:00:00 GMT";

struct Case {
    section: &'static str,
    /// Settings and header lines; `DATE` is added to the response unless the case has `no-date`.
    input: &'static str,
    storable: bool,
    lifetime: i64,
    current_age: i64,
    action: &'static str,
    /// The conditional headers the cache sends, when it revalidates.
    conditional: &'static [(&'static str, &'static str)],
    /// The hand computation this case checks.
    hand: &'static str,
}

const CASES: &[Case] = &[
    Case {
        section: "RFC 9111 §4.2.1 max-age",
        input: "now = 30\nCache-Control: max-age=60",
        storable: true,
        lifetime: 60,
        current_age: 30,
        action: "fresh",
        conditional: &[],
        hand: "lifetime = max-age = 60; age = 0 + 0 + (30 - 0) = 30; 60 > 30, fresh",
    },
    Case {
        section: "RFC 9111 §4.2.1 s-maxage over max-age in a shared cache",
        input: "now = 200\nCache-Control: max-age=60, s-maxage=300",
        storable: true,
        lifetime: 300,
        current_age: 200,
        action: "fresh",
        conditional: &[],
        hand: "shared: lifetime = s-maxage = 300 > 200",
    },
    Case {
        section: "RFC 9111 §5.2.2.10 a private cache ignores s-maxage",
        input: "cache = private\nnow = 200\nCache-Control: max-age=60, s-maxage=300",
        storable: true,
        lifetime: 60,
        current_age: 200,
        action: "forward",
        conditional: &[],
        hand: "private: lifetime = max-age = 60 <= 200, stale; no validator, so a plain request",
    },
    Case {
        section: "RFC 9111 §4.2.1 Expires minus Date",
        input: "now = 100\nExpires: Mon, 30 Nov 2026 06:10:00 GMT",
        storable: true,
        lifetime: 600,
        current_age: 100,
        action: "fresh",
        conditional: &[],
        hand: "06:10:00 - 06:00:00 = 600 > 100",
    },
    Case {
        section: "RFC 9111 §4.2.1 max-age takes precedence over Expires",
        input: "now = 20\nCache-Control: max-age=10\nExpires: Mon, 30 Nov 2026 06:10:00 GMT\nETag: \"v1\"",
        storable: true,
        lifetime: 10,
        current_age: 20,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"v1\"")],
        hand: "lifetime = max-age = 10, not 600; 10 <= 20, stale; ETag gives If-None-Match",
    },
    Case {
        section: "RFC 9111 §5.3 an invalid Expires (\"0\") means already expired",
        input: "now = 1\nExpires: 0\nETag: W/\"a\"",
        storable: true,
        lifetime: 0,
        current_age: 1,
        action: "revalidate",
        conditional: &[("If-None-Match", "W/\"a\"")],
        hand: "Expires 0 is in the past: lifetime 0; a weak ETag is fine for If-None-Match",
    },
    Case {
        section: "RFC 9111 §4.2.2 heuristic freshness, 10% of Date - Last-Modified",
        input: "now = 50\nLast-Modified: Mon, 30 Nov 2026 05:43:20 GMT",
        storable: true,
        lifetime: 100,
        current_age: 50,
        action: "fresh",
        conditional: &[],
        hand: "Date - Last-Modified = 06:00:00 - 05:43:20 = 1000 s; 10% = 100 > 50",
    },
    Case {
        section: "RFC 9111 §3, §4.2.2 no heuristic (and no storing) for 302",
        input: "HTTP/1.1 302 Found\nnow = 5\nLast-Modified: Mon, 30 Nov 2026 05:43:20 GMT",
        storable: false,
        lifetime: 0,
        current_age: 5,
        action: "forward",
        conditional: &[],
        hand: "302 is not in RFC 9110 §15.1's list and carries no explicit freshness: not stored",
    },
    Case {
        section: "RFC 9111 §3 heuristically cacheable 404 is stored",
        input: "HTTP/1.1 404 Not Found\nnow = 5\nLast-Modified: Mon, 30 Nov 2026 05:00:00 GMT",
        storable: true,
        lifetime: 360,
        current_age: 5,
        action: "fresh",
        conditional: &[],
        hand: "404 is heuristically cacheable; 3600 s since Last-Modified, 10% = 360 > 5",
    },
    Case {
        section: "RFC 9111 §4.2.3 Age header, response delay, boundary",
        input: "request_time = 0\nresponse_time = 2\nnow = 10\nCache-Control: max-age=60\nAge: 50\nETag: \"x\"",
        storable: true,
        lifetime: 60,
        current_age: 60,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"x\"")],
        hand: "apparent = max(0, 2-0) = 2; delay = 2; corrected_age_value = 50+2 = 52; initial = max(2,52) = 52; resident = 10-2 = 8; age = 60; 60 > 60 is false: stale",
    },
    Case {
        section: "RFC 9111 §4.2.3 apparent_age from a Date in the past",
        input: "request_time = 29\nresponse_time = 30\nnow = 40\nCache-Control: max-age=45",
        storable: true,
        lifetime: 45,
        current_age: 40,
        action: "fresh",
        conditional: &[],
        hand: "apparent = 30 - 0 = 30; corrected_age_value = 0 + 1 = 1; initial = 30; resident = 10; age = 40 < 45",
    },
    Case {
        section: "RFC 9111 §4.2.3 a Date ahead of the cache's clock gives apparent_age 0",
        input: "request_time = -5\nresponse_time = -1\nnow = 10\nCache-Control: max-age=15",
        storable: true,
        lifetime: 15,
        current_age: 15,
        action: "forward",
        conditional: &[],
        hand: "apparent = max(0, -1 - 0) = 0; delay = -1 - (-5) = 4; initial = max(0, 4) = 4; resident = 11; age = 15; 15 > 15 false",
    },
    Case {
        section: "RFC 9111 §5.2.2.4 response no-cache: stored, validated every time",
        input: "now = 1\nCache-Control: max-age=600, no-cache\nETag: \"n\"",
        storable: true,
        lifetime: 600,
        current_age: 1,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"n\"")],
        hand: "fresh (600 > 1) but no-cache forbids reuse without validation",
    },
    Case {
        section: "RFC 9111 §5.2.2.5 response no-store",
        input: "now = 1\nCache-Control: no-store, max-age=600",
        storable: false,
        lifetime: 600,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "no-store: never stored, whatever max-age says",
    },
    Case {
        section: "RFC 9111 §5.2.1.5 request no-store",
        input: "now = 1\nrequest:\nCache-Control: no-store\nresponse:\nCache-Control: max-age=600",
        storable: false,
        lifetime: 600,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "the request forbids storing this response",
    },
    Case {
        section: "RFC 9111 §5.2.2.7 private: not in a shared cache",
        input: "now = 1\nCache-Control: private, max-age=600",
        storable: false,
        lifetime: 600,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "shared cache + private = not stored",
    },
    Case {
        section: "RFC 9111 §5.2.2.7 private: fine in a browser",
        input: "cache = private\nnow = 1\nCache-Control: private, max-age=600",
        storable: true,
        lifetime: 600,
        current_age: 1,
        action: "fresh",
        conditional: &[],
        hand: "private cache stores it; 600 > 1",
    },
    Case {
        section: "RFC 9111 §3.5 Authorization without public/s-maxage/must-revalidate",
        input: "now = 1\nrequest:\nAuthorization: Bearer abc\nresponse:\nCache-Control: max-age=600",
        storable: false,
        lifetime: 600,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "shared cache, Authorization, only max-age: not stored",
    },
    Case {
        section: "RFC 9111 §3.5 Authorization with s-maxage",
        input: "now = 1\nrequest:\nAuthorization: Bearer abc\nresponse:\nCache-Control: s-maxage=60",
        storable: true,
        lifetime: 60,
        current_age: 1,
        action: "fresh",
        conditional: &[],
        hand: "s-maxage allows a shared cache to store an authorised response; 60 > 1",
    },
    Case {
        section: "RFC 9111 §5.2.1.4 request no-cache forces validation",
        input: "now = 1\nrequest:\nCache-Control: no-cache\nresponse:\nCache-Control: max-age=600\nLast-Modified: Mon, 30 Nov 2026 05:00:00 GMT",
        storable: true,
        lifetime: 600,
        current_age: 1,
        action: "revalidate",
        conditional: &[("If-Modified-Since", "Mon, 30 Nov 2026 05:00:00 GMT")],
        hand: "fresh, but the client asked for validation; Last-Modified gives If-Modified-Since",
    },
    Case {
        section: "RFC 9111 §5.2.1.1 request max-age below the age",
        input: "now = 30\nrequest:\nCache-Control: max-age=10\nresponse:\nCache-Control: max-age=600\nETag: \"m\"",
        storable: true,
        lifetime: 600,
        current_age: 30,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"m\"")],
        hand: "age 30 > the client's 10",
    },
    Case {
        section: "RFC 8246 §2 immutable: a browser does not revalidate on reload",
        input: "cache = private\nnow = 30\nrequest:\nCache-Control: max-age=0\nresponse:\nCache-Control: max-age=31536000, immutable\nETag: \"h\"",
        storable: true,
        lifetime: 31_536_000,
        current_age: 30,
        action: "fresh",
        conditional: &[],
        hand: "reload sends max-age=0, but the response is fresh (31536000 > 30) and immutable",
    },
    Case {
        section: "RFC 9111 §5.2.1.1 an RFC 9111 shared cache honours max-age=0 despite immutable",
        input: "now = 30\nrequest:\nCache-Control: max-age=0\nresponse:\nCache-Control: max-age=31536000, immutable\nETag: \"h\"",
        storable: true,
        lifetime: 31_536_000,
        current_age: 30,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"h\"")],
        hand: "RFC 8246 speaks to clients; 30 > 0 so the shared cache validates (many CDNs ignore request Cache-Control by default)",
    },
    Case {
        section: "RFC 5861 §3 stale-while-revalidate",
        input: "now = 80\nCache-Control: max-age=60, stale-while-revalidate=30\nETag: \"s\"",
        storable: true,
        lifetime: 60,
        current_age: 80,
        action: "swr",
        conditional: &[("If-None-Match", "\"s\"")],
        hand: "stale by 80 - 60 = 20 <= 30: serve, refresh in the background",
    },
    Case {
        section: "RFC 5861 §3 past the stale-while-revalidate window",
        input: "now = 100\nCache-Control: max-age=60, stale-while-revalidate=30\nETag: \"s\"",
        storable: true,
        lifetime: 60,
        current_age: 100,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"s\"")],
        hand: "stale by 40 > 30: the client waits for the revalidation",
    },
    Case {
        section: "RFC 9111 §4.2.4, §5.2.2.2 must-revalidate overrides stale-while-revalidate",
        input: "now = 80\nCache-Control: max-age=60, stale-while-revalidate=30, must-revalidate\nETag: \"s\"",
        storable: true,
        lifetime: 60,
        current_age: 80,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"s\"")],
        hand: "stale by 20, but must-revalidate forbids any stale use",
    },
    Case {
        section: "RFC 9111 §5.2.2.10 s-maxage implies proxy-revalidate in a shared cache",
        input: "now = 80\nCache-Control: s-maxage=60, stale-while-revalidate=30\nETag: \"s\"",
        storable: true,
        lifetime: 60,
        current_age: 80,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"s\"")],
        hand: "s-maxage = 60 < 80; its proxy-revalidate semantics cancel stale-while-revalidate",
    },
    Case {
        section: "RFC 5861 §4 stale-if-error when the origin fails",
        input: "origin = error\nnow = 300\nCache-Control: max-age=60, stale-if-error=600",
        storable: true,
        lifetime: 60,
        current_age: 300,
        action: "stale-if-error",
        conditional: &[],
        hand: "stale by 240 <= 600 and the origin answered 5xx",
    },
    Case {
        section: "RFC 9111 §5.2.2.2 must-revalidate with a failing origin: 504",
        input: "origin = error\nnow = 300\nCache-Control: max-age=60, stale-if-error=600, must-revalidate",
        storable: true,
        lifetime: 60,
        current_age: 300,
        action: "504",
        conditional: &[],
        hand: "must-revalidate: a disconnected cache must answer an error, not the stale copy",
    },
    Case {
        section: "RFC 9111 §4.3.3 a failing revalidation of a no-cache response: the error goes through",
        input: "origin = error\nnow = 5\nCache-Control: max-age=600, no-cache, stale-if-error=600\nETag: \"e\"",
        storable: true,
        lifetime: 600,
        current_age: 5,
        action: "504",
        conditional: &[],
        hand: "no-cache requires validation; the origin fails; a fresh-but-no-cache copy may not be sent",
    },
    Case {
        section: "RFC 9111 §5.2.1.2 max-stale without a value accepts any staleness",
        input: "now = 5000\nrequest:\nCache-Control: max-stale\nresponse:\nCache-Control: max-age=60",
        storable: true,
        lifetime: 60,
        current_age: 5000,
        action: "stale",
        conditional: &[],
        hand: "stale by 4940 s, and the client set no limit",
    },
    Case {
        section: "RFC 9111 §5.2.1.2 request max-stale",
        input: "now = 100\nrequest:\nCache-Control: max-stale=100\nresponse:\nCache-Control: max-age=60",
        storable: true,
        lifetime: 60,
        current_age: 100,
        action: "stale",
        conditional: &[],
        hand: "stale by 40 <= 100 accepted by the client",
    },
    Case {
        section: "RFC 9111 §5.2.1.3 request min-fresh",
        input: "now = 40\nrequest:\nCache-Control: min-fresh=30\nresponse:\nCache-Control: max-age=60\nETag: \"f\"",
        storable: true,
        lifetime: 60,
        current_age: 40,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"f\"")],
        hand: "60 - 40 = 20 s left < 30 wanted",
    },
    Case {
        section: "RFC 9111 §4.1 Vary: a different Accept-Encoding is another variant",
        input: "now = 1\nstored request:\nAccept-Encoding: gzip\nrequest:\nAccept-Encoding: br\nresponse:\nCache-Control: max-age=600\nVary: Accept-Encoding",
        storable: true,
        lifetime: 600,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "gzip != br: the stored response does not match",
    },
    Case {
        section: "RFC 9111 §4.1 Vary: the same Accept-Encoding matches",
        input: "now = 1\nstored request:\nAccept-Encoding: gzip,  br\nrequest:\nAccept-Encoding: gzip, br\nresponse:\nCache-Control: max-age=600\nVary: Accept-Encoding",
        storable: true,
        lifetime: 600,
        current_age: 1,
        action: "fresh",
        conditional: &[],
        hand: "values equal after whitespace normalisation; 600 > 1",
    },
    Case {
        section: "RFC 9111 §4.1 Vary: * never matches",
        input: "now = 1\nCache-Control: max-age=600\nVary: *",
        storable: true,
        lifetime: 600,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "Vary * always fails to match",
    },
    Case {
        section: "RFC 9111 §5.2.1.7 only-if-cached with a stale response",
        input: "now = 100\nrequest:\nCache-Control: only-if-cached\nresponse:\nCache-Control: max-age=60\nETag: \"o\"",
        storable: true,
        lifetime: 60,
        current_age: 100,
        action: "504",
        conditional: &[],
        hand: "stale, needs the origin, which the client forbade",
    },
    Case {
        section: "RFC 9111 §4.2.1 two max-age directives: treat as stale",
        input: "now = 1\nCache-Control: max-age=600\nCache-Control: max-age=60",
        storable: true,
        lifetime: 0,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "conflicting duplicates: lifetime 0",
    },
    Case {
        section: "RFC 9111 §4.2.1 non-integer max-age: treat as stale",
        input: "now = 1\nCache-Control: max-age=1h\nETag: \"i\"",
        storable: true,
        lifetime: 0,
        current_age: 1,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"i\"")],
        hand: "max-age=1h is invalid freshness information",
    },
    Case {
        section: "RFC 9111 §4.3.1 both validators go on the conditional request",
        input: "now = 100\nCache-Control: max-age=60\nETag: \"b\"\nLast-Modified: Mon, 30 Nov 2026 05:00:00 GMT",
        storable: true,
        lifetime: 60,
        current_age: 100,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"b\""), ("If-Modified-Since", "Mon, 30 Nov 2026 05:00:00 GMT")],
        hand: "stale by 40; ETag and Last-Modified both sent",
    },
    Case {
        section: "RFC 9111 §3 POST is not stored",
        input: "now = 1\nPOST /orders HTTP/1.1\nresponse:\nCache-Control: max-age=600",
        storable: false,
        lifetime: 600,
        current_age: 1,
        action: "forward",
        conditional: &[],
        hand: "the method is not one this cache stores",
    },
    Case {
        section: "RFC 7234 §5.4 Pragma: no-cache without Cache-Control (RFC 9111 §5.4 deprecates Pragma)",
        input: "now = 1\nrequest:\nPragma: no-cache\nresponse:\nCache-Control: max-age=600\nETag: \"p\"",
        storable: true,
        lifetime: 600,
        current_age: 1,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"p\"")],
        hand: "RFC 7234 §5.4 treated Pragma: no-cache as Cache-Control: no-cache when the request had no Cache-Control",
    },
    Case {
        section: "RFC 9111 §5.2.2.10, §4.2.4 s-maxage cancels stale-if-error in a shared cache",
        input: "origin = error\nnow = 30\nCache-Control: s-maxage=10, stale-if-error=600",
        storable: true,
        lifetime: 10,
        current_age: 30,
        action: "504",
        conditional: &[],
        hand: "stale by 20; s-maxage implies proxy-revalidate, so stale-if-error=600 does not apply",
    },
    Case {
        section: "RFC 9111 §5.2.2.10 a private cache ignores s-maxage and keeps the stale window",
        input: "cache = private\nnow = 80\nCache-Control: max-age=60, s-maxage=60, stale-while-revalidate=30",
        storable: true,
        lifetime: 60,
        current_age: 80,
        action: "swr",
        conditional: &[],
        hand: "private: lifetime = max-age = 60; stale by 20 <= 30; s-maxage's proxy-revalidate is for shared caches",
    },
    Case {
        section: "RFC 9111 §5.1 a list-valued Age: the first member is used",
        input: "now = 30\nAge: 10, 20\nCache-Control: max-age=60",
        storable: true,
        lifetime: 60,
        current_age: 40,
        action: "fresh",
        conditional: &[],
        hand: "age_value = 10; corrected = 10 + 0; age = 10 + 30 = 40 < 60",
    },
    Case {
        section: "RFC 5861 a request's stale-while-revalidate is not a request directive",
        input: "now = 80\nrequest:\nCache-Control: stale-while-revalidate=60\nresponse:\nCache-Control: max-age=60\nETag: \"s\"",
        storable: true,
        lifetime: 60,
        current_age: 80,
        action: "revalidate",
        conditional: &[("If-None-Match", "\"s\"")],
        hand: "only the response's stale-while-revalidate opens a window; stale by 20, so validate",
    },
];

fn with_date(input: &str) -> String {
    format!("{input}\nresponse:\n{DATE}\n")
}

#[test]
fn every_case_follows_its_rfc_section() {
    assert!(CASES.len() >= 20);
    for case in CASES {
        let x = parse(&with_date(case.input)).unwrap_or_else(|e| panic!("{}: {e}", case.section));
        let a = analyse(&x).unwrap_or_else(|e| panic!("{}: {e}", case.section));
        let context = format!("{} ({})\n{}", case.section, case.hand, report(&x, &a));
        assert_eq!(a.storable, case.storable, "storable: {context}");
        assert_eq!(a.freshness_lifetime, case.lifetime, "lifetime: {context}");
        assert_eq!(a.age.current_age, case.current_age, "current_age: {context}");
        assert_eq!(a.action.short(), case.action, "action: {context}");
        let sent: Vec<(String, String)> = match &a.action {
            Action::Revalidate { conditional } | Action::StaleWhileRevalidate { conditional } => {
                conditional.clone()
            }
            _ => Vec::new(),
        };
        let want: Vec<(String, String)> =
            case.conditional.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        assert_eq!(sent, want, "conditional headers: {context}");
        // Every decision cites its source.
        assert!(a.explanation.iter().all(|l| l.contains("RFC") || l.starts_with("  ")), "{context}");
    }
}

#[test]
fn the_timeline_follows_the_windows() {
    let x = parse(&with_date(
        "response_time = 0\nCache-Control: max-age=60, stale-while-revalidate=30, stale-if-error=300\nAge: 10",
    ))
    .unwrap();
    let a = analyse(&x).unwrap();
    // Fresh for 60 - 10 = 50 more seconds after arrival.
    assert_eq!((a.fresh_until, a.swr_until, a.sie_until), (50, 80, 350));
}

#[test]
fn http_dates_in_all_three_forms() {
    // RFC 9110 §5.6.7's example, in its three forms.
    for form in
        ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"]
    {
        assert_eq!(parse_http_date(form), Some(784_111_777), "{form}");
    }
    assert_eq!(format_http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(format_http_date(DEFAULT_BASE), "Mon, 30 Nov 2026 06:00:00 GMT");
    assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
    assert_eq!(parse_http_date("yesterday"), None);
    assert_eq!(parse_http_date("Sun, 06 Nov 1994 -8:49:37 GMT"), None);
}

#[test]
fn etag_comparison_follows_rfc_9110_table() {
    // RFC 9110 §8.8.3.2: the four rows of its example table.
    let rows = [
        ("W/\"1\"", "W/\"1\"", false, true),
        ("W/\"1\"", "W/\"2\"", false, false),
        ("W/\"1\"", "\"1\"", false, true),
        ("\"1\"", "\"1\"", true, true),
    ];
    for (a, b, strong, weak) in rows {
        let (a, b) = (parse_etag(a).unwrap(), parse_etag(b).unwrap());
        assert_eq!(strong_match(&a, &b), strong, "{a:?} {b:?}");
        assert_eq!(weak_match(&a, &b), weak, "{a:?} {b:?}");
    }
    let current = parse_etag("\"v2\"").unwrap();
    assert!(if_none_match_hits("\"v1\", W/\"v2\"", &current));
    assert!(if_none_match_hits("*", &current));
    assert!(!if_none_match_hits("\"v1\"", &current));
    assert_eq!(parse_etag("v1"), None);
}

#[test]
fn malformed_input_names_its_line() {
    let cases = [
        ("now = 1\nCache-Control max-age=60\n", 2, "needs a colon"),
        ("Cache-Control: max-age=60, \"x\"\n", 1, "cannot start a directive"),
        ("Cache-Control: private=\"a\n", 1, "not closed"),
        ("X-Trace : 1\n", 1, "whitespace"),
        ("Date: yesterday\n", 1, "HTTP-date"),
        ("when = 5\n", 1, "unknown setting"),
        ("\nnow = soon\n", 2, "neither seconds"),
        ("HTTP/1.1 abc\n", 1, "status code"),
        ("cache = edge\n", 1, "shared"),
    ];
    for (input, line, text) in cases {
        let error = parse(input).and_then(|x| analyse(&x)).unwrap_err();
        assert_eq!(error.line, Some(line), "{input}: {error}");
        assert!(error.message.contains(text), "{input}: {error}");
    }
}
