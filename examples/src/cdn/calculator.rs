//! The browser tool: paste a response's headers (and, if you like, the request's and the
//! times), and see what an RFC 9111 cache does with it now and over time.

use super::rfc9111::{Action, analyse, parse, report};
use crate::Figure;
use crate::figure::{Lane, Span, SpanKind, Step};
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "cdn::calculator",
    title: "An RFC 9111 freshness and validation calculator",
    file: file!(),
    default_input: "\
# Paste a response's header lines; `request:` starts the request's (`response:` goes back).
# Times are seconds after t=0, the response's Date (or HTTP-dates).
cache = shared
request_time = 0
response_time = 1
now = 75
HTTP/1.1 200 OK
Date: Mon, 30 Nov 2026 06:00:00 GMT
Cache-Control: public, max-age=60, stale-while-revalidate=30, stale-if-error=600
ETag: W/\"5f2-1a\"
Last-Modified: Mon, 30 Nov 2026 05:00:00 GMT
Age: 10
Vary: Accept-Encoding
request:
GET /products/42 HTTP/1.1
Accept-Encoding: gzip, br
",
    input_help: "header lines `Name: value` (response by default; after `request:` the request's, after \
`stored request:` the request that fetched the stored copy); settings `cache = shared | private`, \
`request_time`, `response_time`, `now` (seconds after the Date, or HTTP-dates), `origin = up | error`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

// ANCHOR: example
fn run(input: &str) -> Result<Drawn, InputError> {
    let exchange = parse(input)?;
    let analysis = analyse(&exchange)?;
    let text = report(&exchange, &analysis);

    // The drawing: the stored response's life on the cache's clock, and the request at `now`.
    let (start, now) = (exchange.request_time as f64, exchange.now as f64);
    let fresh_until = analysis.fresh_until as f64;
    let swr_until = analysis.swr_until as f64;
    let sie_until = analysis.sie_until as f64;
    let last = [now, fresh_until, swr_until, sie_until].into_iter().fold(start, f64::max);
    let end = last + ((last - start) * 0.15).max(2.0);
    let span = |start: f64, end: f64, label: &str, kind| Span { start, end, label: label.to_string(), kind };
    let mut life = Vec::new();
    let received = exchange.response_time as f64;
    if received > start {
        life.push(span(start, received, "request in flight", SpanKind::Wait));
    }
    let mut origin_down = Vec::new();
    if analysis.storable {
        if fresh_until > received {
            life.push(span(received, fresh_until, "fresh: served from cache", SpanKind::Busy));
        }
        if swr_until > fresh_until {
            life.push(span(fresh_until, swr_until, "stale-while-revalidate", SpanKind::Overhead));
        }
        life.push(span(swr_until.max(fresh_until), end, "stale: revalidate first", SpanKind::Lost));
        if sie_until > fresh_until {
            origin_down.push(span(fresh_until, sie_until, "stale-if-error", SpanKind::Overhead));
        }
    } else {
        life.push(span(received, end, "not stored", SpanKind::Lost));
    }
    let served_here = matches!(
        analysis.action,
        Action::ServeFresh | Action::ServeStale | Action::StaleWhileRevalidate { .. } | Action::StaleIfError
    );
    let kind = if served_here { SpanKind::Busy } else { SpanKind::Wait };
    let request =
        vec![span(now, now + (end - start) * 0.02, &format!("now: {}", analysis.action.short()), kind)];
    let mut lanes = vec![Lane { name: "stored response".into(), spans: life }];
    if !origin_down.is_empty() {
        lanes.push(Lane { name: "if the origin fails".into(), spans: origin_down });
    }
    lanes.push(Lane { name: "this request".into(), spans: request });
    let steps = Step::at_span_starts(&lanes, "s");
    let title = format!(
        "freshness_lifetime {} s, current age {} s: {}",
        analysis.freshness_lifetime,
        analysis.age.current_age,
        analysis.action.short()
    );
    Ok(Drawn { text, figure: Figure::Timeline { title, unit: "s".into(), lanes, steps } })
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_served_stale_while_revalidating() {
        let drawn = run(EXAMPLE.default_input).unwrap();
        drawn.figure.validate().unwrap();
        assert!(
            drawn
                .text
                .contains("corrected_initial_age = max(apparent_age, corrected_age_value) = max(1, 11) = 11"),
            "{}",
            drawn.text
        );
        assert!(drawn.text.contains("decision at t=75: serve from cache (stale), and revalidate in the background with If-None-Match: W/\"5f2-1a\""), "{}", drawn.text);
    }

    #[test]
    fn a_bare_header_paste_works_and_errors_name_lines() {
        let drawn = run("Cache-Control: max-age=60\n").unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("serve from cache (fresh)"), "{}", drawn.text);
        let error = run("Cache-Control: max-age=60\nETag \"x\"\n").unwrap_err();
        assert_eq!(error.line, Some(2));
    }

    #[test]
    fn a_response_that_is_not_stored_is_drawn() {
        let drawn = run("Cache-Control: no-store\nnow = 5\n").unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("store: no"), "{}", drawn.text);
    }
}
