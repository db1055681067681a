//! An SLO's error budget over its window, burned by an incident script, minute by minute, with
//! the multiwindow, multi-burn-rate alerts of the Google SRE Workbook ("Alerting on SLOs",
//! table 5-8) beside a naive "error rate above the SLO for 10 minutes" alert.
//!
//! Traffic is taken as steady, so a share of failed requests over a minute counts as that share
//! of a minute of full outage, and the budget can be said in minutes: (1 − SLO) × window.

use std::fmt::Write as _;

use super::trim;
use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "reliability::budget",
    title: "An error budget burned by incidents, and which burn-rate alert fires when",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`slo` (%, 90–99.999), `window` (days, 1–90), `baseline` (% failing normally), `incident = start \
                 duration errors%` (start `2d09h`, durations in m, h, d; up to 20); or `mode = predict` with `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
slo = 99.9
# the SLO's window, in days
window = 30
# the share of requests that fail on an ordinary day, in %
baseline = 0.02
# incident = start duration errors (start: day and hour, 2d09h; durations in m, h or d)
# a bad deploy, rolled back after 4 minutes
incident = 2d09h 4m 100%
# a blip: 5% errors for 2 minutes
incident = 5d03h 2m 5%
# one of ten backends failing for half an hour
incident = 8d14h 30m 10%
# a slow leak overnight
incident = 15d02h 6h 1%
# a dependency erroring a little for three days
incident = 20d10h 3d 0.15%
";

const DAY: usize = 24 * 60;

/// An alerting rule: fires while the burn rate over both windows is above `burn`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    pub long: usize,
    pub short: usize,
    pub burn: f64,
}

// ANCHOR: rules
/// The SRE Workbook's starting point for a 30-day SLO (table 5-8): page on 2% of the budget
/// in an hour or 5% in six hours, ticket on 10% in three days; each long window is checked
/// with a short one of 1/12 its length, so the alert stops soon after the burning stops.
pub const RULES: [Rule; 4] = [
    Rule { name: "page: 1h & 5m > 14.4x", long: 60, short: 5, burn: 14.4 },
    Rule { name: "page: 6h & 30m > 6x", long: 360, short: 30, burn: 6.0 },
    Rule { name: "ticket: 3d & 6h > 1x", long: 3 * DAY, short: 360, burn: 1.0 },
    // The first attempt in the Workbook: error rate over 10 minutes above the SLO's allowance.
    Rule { name: "naive: 10m > 1x", long: 10, short: 10, burn: 1.0 },
];
// ANCHOR_END: rules

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub start: usize,
    pub minutes: usize,
    pub errors: f64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub slo: f64,
    pub days: usize,
    pub baseline: f64,
    pub incidents: Vec<Incident>,
}

pub struct Outcome {
    /// Failed share of each minute's requests.
    pub errors: Vec<f64>,
    /// Prefix sums of `errors`: budget spent in outage-minutes up to each minute.
    pub spent: Vec<f64>,
    /// For each rule, the (from, to) minutes during which it fired.
    pub firing: Vec<Vec<(usize, usize)>>,
}

// ANCHOR: simulate
pub fn simulate(s: &Setup) -> Outcome {
    let minutes = s.days * DAY;
    let mut errors = vec![s.baseline; minutes];
    for i in &s.incidents {
        for e in errors.iter_mut().skip(i.start).take(i.minutes) {
            *e = (*e + i.errors).min(1.0);
        }
    }
    let mut spent = vec![0.0; minutes + 1];
    for (m, e) in errors.iter().enumerate() {
        spent[m + 1] = spent[m] + e;
    }
    let allowed = 1.0 - s.slo; // the error rate that spends the budget exactly over the window
    // Burn rate over the `w` minutes ending with minute m (before t = 0: the baseline).
    let burn = |m: usize, w: usize| {
        let from = (m + 1).saturating_sub(w);
        let before = w.saturating_sub(m + 1) as f64 * s.baseline;
        (spent[m + 1] - spent[from] + before) / w as f64 / allowed
    };
    let firing = RULES
        .iter()
        .map(|rule| {
            let mut spans: Vec<(usize, usize)> = Vec::new();
            for m in 0..minutes {
                if burn(m, rule.long) > rule.burn && burn(m, rule.short) > rule.burn {
                    match spans.last_mut() {
                        Some(last) if last.1 == m => last.1 = m + 1,
                        _ => spans.push((m, m + 1)),
                    }
                }
            }
            spans
        })
        .collect();
    Outcome { errors, spent, firing }
}
// ANCHOR_END: simulate

/// `2d09h`, `45m`, `1h30m`, `3d`: minutes.
fn duration(text: &str) -> Option<usize> {
    let (mut total, mut number, mut any) = (0usize, String::new(), false);
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            let n: usize = number.parse().ok()?;
            number.clear();
            total += n * match c {
                'd' => DAY,
                'h' => 60,
                'm' => 1,
                _ => return None,
            };
            any = true;
        }
    }
    (number.is_empty() && any).then_some(total)
}

fn clock(m: usize) -> String {
    format!("{}d{:02}h{:02}", m / DAY, m % DAY / 60, m % 60)
}

fn span_text(m: usize) -> String {
    if m >= DAY && m.is_multiple_of(60) {
        format!("{}h", m / 60)
    } else if m >= 60 {
        format!("{}h{:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    }
}

fn report(s: &Setup, o: &Outcome) -> String {
    let minutes = s.days * DAY;
    let budget = (1.0 - s.slo) * minutes as f64;
    let share = |spent: f64| 100.0 * spent / budget;
    let mut out = format!(
        "SLO {}% over {} days: error budget {}% of requests = {:.1} minutes of full outage\n",
        trim(100.0 * s.slo),
        s.days,
        trim(100.0 * (1.0 - s.slo)),
        budget
    );
    let _ = writeln!(
        out,
        "baseline {}% errors: burn rate {:.2}, {:.1}% of the budget over the window by itself\n",
        trim(100.0 * s.baseline),
        s.baseline / (1.0 - s.slo),
        share(s.baseline * minutes as f64)
    );
    let _ = writeln!(out, "{:<24} {:>6} {:>7}  first alert after the start", "incident", "burn", "budget");
    for i in &s.incidents {
        let end = (i.start + i.minutes).min(minutes);
        let cost =
            o.spent[end] - o.spent[i.start.min(minutes)] - s.baseline * (end - i.start.min(minutes)) as f64;
        let mut first: Option<(usize, &str)> = None;
        for (rule, spans) in RULES.iter().zip(&o.firing) {
            // the first minute this rule fires during the incident or within an hour after it
            if let Some(&(from, _)) = spans.iter().find(|&&(from, to)| to > i.start && from < end + 60) {
                let at = from.max(i.start);
                if !rule.name.starts_with("naive") && first.is_none_or(|(f, _)| at < f) {
                    first = Some((at, rule.name));
                }
            }
        }
        let alert = match first {
            Some((at, name)) => format!("+{}  {name}", span_text(at - i.start)),
            None => "none".to_string(),
        };
        let _ = writeln!(
            out,
            "{:<24} {:>6} {:>6.1}%  {alert}",
            i.text,
            trim(((i.errors / (1.0 - s.slo)) * 10.0).round() / 10.0),
            share(cost)
        );
    }
    let _ = writeln!(out, "\n{:<24} {:>6} {:>8}", "alert", "fired", "minutes");
    for (rule, spans) in RULES.iter().zip(&o.firing) {
        let total: usize = spans.iter().map(|(a, b)| b - a).sum();
        let _ = writeln!(out, "{:<24} {:>6} {:>8}", rule.name, spans.len(), total);
    }
    let _ = writeln!(out, "\nbudget left at the end of each day:");
    for day in 1..=s.days {
        let left = (100.0 - share(o.spent[day * DAY])).max(0.0);
        let bar = "#".repeat((left * 0.4).round() as usize);
        let _ = writeln!(out, "day {day:>2} {bar:<40} {left:>5.1}%");
    }
    match o.spent.iter().position(|&x| x > budget) {
        Some(m) => {
            let _ = writeln!(out, "budget exhausted at {}: the SLO is missed", clock(m - 1));
        }
        None => {
            let _ = writeln!(
                out,
                "the SLO holds, with {:.1}% of the budget unspent",
                100.0 - share(o.spent[minutes])
            );
        }
    }
    out
}

fn figure(s: &Setup, o: &Outcome) -> Figure {
    let minutes = s.days * DAY;
    let budget = (1.0 - s.slo) * minutes as f64;
    let d = |m: usize| (m as f64 / DAY as f64 * 1000.0).round() / 1000.0;
    let mut lanes = Vec::new();
    lanes.push(Lane {
        name: "errors".into(),
        spans: s
            .incidents
            .iter()
            .filter(|i| i.start < minutes)
            .map(|i| Span {
                start: d(i.start),
                end: d((i.start + i.minutes).min(minutes)),
                label: format!("{}% for {}", trim(100.0 * i.errors), span_text(i.minutes)),
                kind: SpanKind::Lost,
            })
            .collect(),
    });
    for (rule, spans) in RULES.iter().zip(&o.firing) {
        let kind = if rule.name.starts_with("page") {
            SpanKind::Overhead
        } else if rule.name.starts_with("ticket") {
            SpanKind::Wait
        } else {
            SpanKind::Idle
        };
        lanes.push(Lane {
            name: rule.name.into(),
            spans: spans
                .iter()
                .map(|&(a, b)| Span {
                    start: d(a),
                    end: d(b),
                    label: format!("fires {}", span_text(b - a)),
                    kind,
                })
                .collect(),
        });
    }
    // The budget lane: one span between consecutive incident edges, labelled with what is left.
    let mut edges: Vec<usize> = vec![0, minutes];
    for i in &s.incidents {
        edges.push(i.start.min(minutes));
        edges.push((i.start + i.minutes).min(minutes));
    }
    edges.sort_unstable();
    edges.dedup();
    let mut budget_spans = Vec::new();
    for pair in edges.windows(2) {
        let left = 100.0 - 100.0 * o.spent[pair[1]] / budget;
        let kind = if left <= 0.0 {
            SpanKind::Lost
        } else if left < 25.0 {
            SpanKind::Wait
        } else {
            SpanKind::Busy
        };
        budget_spans.push(Span {
            start: d(pair[0]),
            end: d(pair[1]),
            label: format!("{:.0}% left", left.max(0.0)),
            kind,
        });
    }
    lanes.push(Lane { name: "budget".into(), spans: budget_spans });
    let steps = Step::at_span_starts(&lanes, "d");
    Figure::Timeline {
        title: format!("SLO {}% over {} days: errors, alerts and the budget", trim(100.0 * s.slo), s.days),
        unit: "d".into(),
        lanes,
        steps,
    }
}

fn parse(p: &Params) -> Result<Setup, InputError> {
    let slo = p.number_or("slo", 90.0, 99.999, 99.9)? / 100.0;
    let days = p.number_or("window", 1usize, 90, 30)?;
    let baseline = p.number_or("baseline", 0.0, 100.0, 0.0)? / 100.0;
    let mut incidents = Vec::new();
    for e in p.all("incident") {
        let words: Vec<&str> = e.value.split_whitespace().collect();
        let [start, length, errors] = words[..] else {
            return Err(InputError::at_line(
                e.line,
                "expected `incident = start duration errors%`, e.g. `2d09h 30m 10%`",
            ));
        };
        let start_m = duration(start).ok_or_else(|| {
            InputError::at_line(e.line, format!("start `{start}`: write it like `2d09h` or `50h`"))
        })?;
        let minutes = duration(length).filter(|&m| m > 0).ok_or_else(|| {
            InputError::at_line(e.line, format!("duration `{length}`: write it like `45m`, `6h` or `3d`"))
        })?;
        let rate: f64 =
            errors.trim_end_matches('%').parse().ok().filter(|r| (0.0..=100.0).contains(r)).ok_or_else(
                || InputError::at_line(e.line, format!("errors `{errors}`: a percentage, 0 to 100")),
            )?;
        if start_m >= days * DAY {
            return Err(InputError::at_line(e.line, format!("starts after the {days}-day window")));
        }
        if incidents.len() == 20 {
            return Err(InputError::at_line(e.line, "at most 20 incidents"));
        }
        incidents.push(Incident { start: start_m, minutes, errors: rate / 100.0, text: e.value.to_string() });
    }
    Ok(Setup { slo, days, baseline, incidents })
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["slo", "window", "baseline", "incident", "mode", "seed"])?;
    if p.choice_or("mode", &["run", "predict"], "run")? == "predict" {
        let seed = p.number_or("seed", 0u64, u64::MAX, 1)?;
        let mut rng = Rng::new(seed);
        let errors = [100.0, 20.0, 5.0, 2.0, 0.5][rng.range(0, 4) as usize];
        let minutes = [5, 15, 60, 240][rng.range(0, 3) as usize];
        let text = format!("3d10h {} {}%", span_text(minutes), trim(errors));
        let setup = Setup {
            slo: 0.999,
            days: 30,
            baseline: 0.0,
            incidents: vec![Incident {
                start: 3 * DAY + 600,
                minutes,
                errors: errors / 100.0,
                text: text.clone(),
            }],
        };
        let o = simulate(&setup);
        return Ok(Drawn {
            text: format!(
                "Predict, then reveal (seed {seed}): SLO 99.9% over 30 days, no other errors.\n\
                 An incident fails {}% of requests for {}.\n\
                 What share of the 30-day error budget does it burn?\n\
                 Which alert fires first (page 1h & 5m > 14.4x, page 6h & 30m > 6x, ticket 3d & 6h > 1x), and how soon?\n{REVEAL_MARKER}\n{}",
                trim(errors),
                span_text(minutes),
                report(&setup, &o)
            ),
            figure: figure(&setup, &o),
        });
    }
    let setup = parse(&p)?;
    let o = simulate(&setup);
    Ok(Drawn { text: report(&setup, &o), figure: figure(&setup, &o) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(errors: f64, minutes: usize) -> (Setup, Outcome) {
        let s = Setup {
            slo: 0.999,
            days: 30,
            baseline: 0.0,
            incidents: vec![Incident { start: 5 * DAY, minutes, errors, text: String::new() }],
        };
        let o = simulate(&s);
        (s, o)
    }

    #[test]
    fn the_report_states_the_budget_in_minutes() {
        for (slo, minutes) in [(0.999, "43.2"), (0.9995, "21.6"), (0.9999, "4.3")] {
            let s = Setup { slo, ..one(0.0, 1).0 };
            let text = report(&s, &simulate(&s));
            let want = format!("= {minutes} minutes of full outage");
            assert!(text.contains(&want), "{text}");
        }
    }

    #[test]
    fn the_fast_page_fires_when_two_percent_of_the_budget_is_gone_in_an_hour() {
        // 14.4x for an hour: the report charges it 2.0% of the budget
        let (s, o) = one(0.0144, 60);
        let text = report(&s, &o);
        assert!(text.contains("  14.4    2.0%"), "{text}");
        // a full outage pages within 2 minutes, and the 5-minute window stops it 5 minutes after
        let (_, o) = one(1.0, 30);
        let (from, to) = o.firing[0][0];
        assert!(from - 5 * DAY <= 1, "{from}");
        assert!((5 * DAY + 30..=5 * DAY + 36).contains(&to), "{to}");
        // 1% errors (10x) never trips 14.4x, but trips 6x over six hours after 3.6 hours (with
        // no baseline; the page's 3h28m has 0.02% of baseline errors in the window too)
        let (s, o) = one(0.01, 360);
        assert!(o.firing[0].is_empty());
        let text = report(&s, &o);
        assert!(text.contains("+3h36m  page: 6h & 30m > 6x"), "{text}");
    }

    /// Random incident scripts over 3,000 seeds (SLOs from 99% to 99.99%, windows of 1 to 7
    /// days, a baseline, up to six incidents of 1 minute to 3 days at burn rates from 0.1 to
    /// 1,000): the budget spent is the baseline plus the sum of the incidents' costs, the report
    /// says the SLO holds exactly when that is within the budget, every burn above a page's
    /// threshold that lasts long enough for both windows to cross it pages (and keeps paging to
    /// its end), and a script that never burns above 14.4 never fires the fast page.
    #[test]
    fn budgets_add_up_and_long_enough_burns_page_across_seeds() {
        for seed in 0..3000u64 {
            let mut rng = Rng::new(seed);
            let slo = [0.99, 0.995, 0.999, 0.9995, 0.9999][rng.range(0, 4) as usize];
            let allowed = 1.0 - slo;
            let days = rng.range(1, 7) as usize;
            let minutes = days * DAY;
            let baseline = if rng.chance(0.3) { 0.0 } else { allowed * 0.5 * rng.next_f64() };
            let log_uniform = |rng: &mut Rng, lo: f64, hi: f64| {
                lo * crate::rng::exp(rng.next_f64() * crate::rng::ln(hi / lo))
            };
            let mut incidents = Vec::new();
            let mut cursor = rng.range(0, (minutes / 4) as u64) as usize;
            while incidents.len() < 6 && cursor < minutes {
                let length = log_uniform(&mut rng, 1.0, (3 * DAY) as f64).round() as usize;
                let errors = (allowed * log_uniform(&mut rng, 0.1, 1000.0)).min(1.0 - baseline);
                incidents.push(Incident { start: cursor, minutes: length, errors, text: "x".into() });
                cursor += length + rng.range(0, (minutes / 3) as u64) as usize;
            }
            let s = Setup { slo, days, baseline, incidents };
            let o = simulate(&s);
            let inside = |i: &Incident| (i.start + i.minutes).min(minutes) - i.start;
            let expected = baseline * minutes as f64
                + s.incidents.iter().map(|i| i.errors * inside(i) as f64).sum::<f64>();
            let spent = o.spent[minutes];
            assert!(
                (spent - expected).abs() <= 1e-9 * expected.max(1.0),
                "seed {seed}: {spent} vs {expected}"
            );
            let budget = allowed * minutes as f64;
            let text = report(&s, &o);
            if (spent - budget).abs() > 1e-9 * budget {
                assert_eq!(text.contains("the SLO holds"), spent < budget, "seed {seed}: {text}");
            }
            for (r, rule) in RULES.iter().enumerate().take(2) {
                let fires_at = |m: usize| o.firing[r].iter().any(|&(a, b)| (a..b).contains(&m));
                for i in &s.incidents {
                    let burn = (i.errors + baseline) / allowed;
                    if burn < rule.burn * 1.001 {
                        continue;
                    }
                    // minutes of the incident before both windows average above the threshold,
                    // counting only the baseline before it
                    let need = |w: usize| {
                        (w as f64 * (rule.burn * allowed - baseline) / i.errors).floor() as usize + 1
                    };
                    let need = need(rule.long).max(need(rule.short));
                    if inside(i) < need {
                        continue;
                    }
                    assert!(
                        (i.start..i.start + need).any(fires_at),
                        "seed {seed}: {} at burn {burn:.1} for {} min: no page within {need} min",
                        rule.name,
                        i.minutes
                    );
                    assert!(
                        fires_at(i.start + inside(i) - 1),
                        "seed {seed}: {} stopped before the end",
                        rule.name
                    );
                }
            }
            let peak = s
                .incidents
                .iter()
                .map(|i| (i.errors + baseline) / allowed)
                .fold(baseline / allowed, f64::max);
            if peak < 14.4 * 0.999 {
                assert!(o.firing[0].is_empty(), "seed {seed}: peak burn {peak} fired the fast page");
            }
        }
    }

    #[test]
    fn a_blip_wakes_the_naive_alert_only() {
        let (_, o) = one(0.05, 2);
        assert!(o.firing[0].is_empty() && o.firing[1].is_empty() && o.firing[2].is_empty());
        assert!(!o.firing[3].is_empty());
    }

    /// The page's "things to try": the default incidents overspend a 99.99% budget, and one
    /// 45-minute outage spends all of a 99.9% one.
    #[test]
    fn the_things_to_try_hold() {
        let strict = run(&EXAMPLE.default_input.replace("slo = 99.9", "slo = 99.99")).unwrap();
        assert!(strict.text.contains("the SLO is missed"), "{}", strict.text);
        let outage = run("incident = 1d00h 45m 100%\n").unwrap();
        assert!(outage.text.contains("the SLO is missed"), "{}", outage.text);
    }

    #[test]
    fn default_and_predict_runs_draw_and_errors_name_lines() {
        run(EXAMPLE.default_input).unwrap().figure.validate().unwrap();
        for seed in 0..20 {
            let p = run(&format!("mode = predict\nseed = {seed}\n")).unwrap();
            p.figure.validate().unwrap();
            assert!(p.text.contains(REVEAL_MARKER));
        }
        assert_eq!(run("\nincident = 2d 3x 5%\n").unwrap_err().line, Some(2));
        assert_eq!(run("incident = 40d 3m 5%\n").unwrap_err().line, Some(1));
        assert_eq!(run("slo = 80\n").unwrap_err().line, Some(1));
        assert_eq!(duration("2d09h"), Some(2 * DAY + 540));
        assert_eq!(duration("1h30m"), Some(90));
        assert_eq!(duration("15"), None);
    }
}
