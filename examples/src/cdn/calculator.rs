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
    // A drawing's axis starts at 0, so a request sent before t=0 shifts it.
    let shift = (-exchange.request_time).max(0) as f64;
    let at = |t: i64| t as f64 + shift;
    let (start, now) = (at(exchange.request_time), at(exchange.now));
    let fresh_until = at(analysis.fresh_until);
    let swr_until = at(analysis.swr_until);
    let sie_until = at(analysis.sie_until);
    let last = [now, fresh_until, swr_until, sie_until].into_iter().fold(start, f64::max);
    let end = last + ((last - start) * 0.15).max(2.0);
    let span = |start: f64, end: f64, label: &str, kind| Span { start, end, label: label.to_string(), kind };
    let mut life = Vec::new();
    let received = at(exchange.response_time);
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
    let mut title = format!(
        "freshness_lifetime {} s, current age {} s: {}",
        analysis.freshness_lifetime,
        analysis.age.current_age,
        analysis.action.short()
    );
    if shift > 0.0 {
        title.push_str(&format!(" (axis: t + {shift})"));
    }
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
    fn mangled_inputs_give_an_answer_or_a_line_error_never_a_panic() {
        let input = EXAMPLE.default_input;
        let mut rng = crate::rng::Rng::new(9);
        let pieces = ["", "=", ":", "-1", "99999999999999999999", "W/", "\"", ",", "0", "HTTP/1.1 999"];
        for i in 0..400 {
            let cut =
                input.char_indices().nth(rng.range(0, input.chars().count() as u64 - 1) as usize).unwrap().0;
            let piece = pieces[i % pieces.len()];
            let mangled = format!("{}{piece}{}", &input[..cut], &input[cut..]);
            match run(&mangled) {
                Ok(drawn) => drawn.figure.validate().unwrap_or_else(|e| panic!("{e}\n{mangled}")),
                Err(error) => assert!(!error.message.is_empty()),
            }
        }
    }

    #[test]
    fn a_response_that_is_not_stored_is_drawn() {
        let drawn = run("Cache-Control: no-store\nnow = 5\n").unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("store: no"), "{}", drawn.text);
    }
}
