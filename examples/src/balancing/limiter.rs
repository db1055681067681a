//! A token bucket on a request pattern, drawn as a timeline: which requests it admits, and the
//! tokens left between them. A sliding-window log with the same average rate runs beside it, so
//! the difference in burst handling shows.

use super::algorithms::{TokenBucket, sliding_window_admits};
use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "balancing::limiter",
    title: "A token bucket on a bursty request pattern, drawn as a timeline",
    file: file!(),
    default_input: "rate = 5\nburst = 3\n# one `at = ` line per group: start ms, count, gap ms\n\
                    at = 0 6 0\nat = 500 4 100\nat = 1500 8 50\nat = 3000 2 0\n",
    input_help: "`rate = R` tokens per second (1 to 1000), `burst = B` bucket size (1 to 100), and one \
                 `at = START COUNT GAP` per group of requests (times in ms, up to 200 requests in all)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// How wide a request's mark is on the timeline, in ms.
const MARK: f64 = 20.0;

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["rate", "burst", "at"])?;
    let rate: u64 = p.number_or("rate", 1, 1000, 5)?;
    let burst: u64 = p.number_or("burst", 1, 100, 3)?;
    let mut times: Vec<u64> = Vec::new();
    for e in p.all("at") {
        let v = e.numbers(0u64, 600_000)?;
        let [start, count, gap] = v[..] else {
            return Err(InputError::at_line(e.line, "expected `at = START COUNT GAP`"));
        };
        for k in 0..count {
            times.push(start + k * gap);
        }
        if times.len() > 200 {
            return Err(InputError::at_line(e.line, "at most 200 requests in all"));
        }
    }
    if times.is_empty() {
        return Err(InputError::new("give at least one `at = START COUNT GAP` line"));
    }
    times.sort_unstable();

    // ANCHOR: limiter
    let mut bucket = TokenBucket::new(rate, burst);
    let mut decisions = Vec::new(); // (time, admitted, milli-tokens left after)
    for &t in &times {
        let ok = bucket.admit(t);
        decisions.push((t, ok, bucket.milli_tokens()));
    }
    // The same long-run rate as a sliding window: `rate` requests in any 1,000 ms.
    let window = sliding_window_admits(&times, rate as usize, 1000);
    // ANCHOR_END: limiter

    let mut text = format!(
        "token bucket: {rate} tokens/s, burst {burst} (starts full); sliding window: {rate} per 1000 ms\n\n\
         {:>4} {:>7}  {:<12} {:>12}  {}\n",
        "#", "t ms", "bucket", "tokens after", "window"
    );
    for (i, ((t, ok, left), w)) in decisions.iter().zip(&window).enumerate() {
        text.push_str(&format!(
            "{i:>4} {t:>7}  {:<12} {:>12.3}  {}\n",
            if *ok { "admitted" } else { "refused 429" },
            *left as f64 / 1000.0,
            if *w { "admitted" } else { "refused" }
        ));
    }
    let admitted = decisions.iter().filter(|d| d.1).count();
    let by_window = window.iter().filter(|w| **w).count();
    let span_s = (times[times.len() - 1] - times[0]) as f64 / 1000.0;
    text.push_str(&format!(
        "\nbucket admitted {admitted} of {}; sliding window admitted {by_window}\n\
         bound: at most burst + rate × span = {burst} + {rate} × {span_s:.3} s = {:.0}: {}\n",
        times.len(),
        burst as f64 + rate as f64 * span_s,
        if admitted as f64 <= burst as f64 + rate as f64 * span_s + 1e-9 { "holds" } else { "does NOT hold" }
    ));

    let mut lanes = vec![
        Lane { name: "bucket: admitted".into(), spans: Vec::new() },
        Lane { name: "bucket: refused".into(), spans: Vec::new() },
        Lane { name: "tokens left".into(), spans: Vec::new() },
        Lane { name: "window: refused".into(), spans: Vec::new() },
    ];
    for (i, (t, ok, left)) in decisions.iter().enumerate() {
        let start = *t as f64;
        let (lane, kind) = if *ok { (0, SpanKind::Busy) } else { (1, SpanKind::Lost) };
        lanes[lane].spans.push(Span { start, end: start + MARK, label: format!("#{i}"), kind });
        // The level after this request, until the next request with a later time.
        let next = decisions.iter().map(|d| d.0).find(|&u| u > *t);
        if decisions.get(i + 1).is_none_or(|d| d.0 != *t) {
            let end = next.map_or(start + 500.0, |u| u as f64);
            lanes[2].spans.push(Span {
                start,
                end,
                label: format!("{:.1}", *left as f64 / 1000.0),
                kind: if *left >= 1000 { SpanKind::Idle } else { SpanKind::Wait },
            });
        }
        if !window[i] {
            lanes[3].spans.push(Span {
                start,
                end: start + MARK,
                label: format!("#{i}"),
                kind: SpanKind::Lost,
            });
        }
    }
    let steps = Step::at_span_starts(&lanes, "ms");
    Ok(Drawn {
        text,
        figure: Figure::Timeline {
            title: format!("token bucket {rate}/s, burst {burst}"),
            unit: "ms".into(),
            lanes,
            steps,
        },
    })
}
