//! A heartbeat timeline: a server pings a client every `interval`; the client vanishes without a
//! FIN (a pulled cable, a phone that lost its signal), so TCP stays "established" on the server.
//! Two policies detect it: `ws`'s documented `isAlive` flag (at each tick, a client that did not
//! answer the previous ping is terminated) and a pong deadline (a pong must come within
//! `timeout` of its ping). With `seed = N` the run is a puzzle: when is the dead peer detected?

use crate::figure::{Figure, Message, Note, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "realtime::heartbeat",
    title: "Ping/pong keep-alive: when is a dead peer detected? (set `seed` to predict, then reveal)",
    file: file!(),
    default_input: "interval = 30\npolicy = flag\nrtt = 0.2\ndies = 47\n",
    input_help: "`interval` (s between pings), `policy = flag | deadline`, `timeout` (s, deadline only), `rtt` (s), `dies` (s, when the client vanishes); or `seed = N` for a puzzle",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// One run's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setup {
    pub interval: f64,
    /// `None`: `ws`'s flag (checked at the next tick); `Some(t)`: a deadline `t` after each ping.
    pub timeout: Option<f64>,
    pub rtt: f64,
    pub dies: f64,
}

/// What happened: when the server gave up, and the drawing.
pub struct Outcome {
    pub detected: f64,
    pub pings: usize,
    pub log: Vec<String>,
    pub figure: Figure,
}

// ANCHOR: simulate
pub fn simulate(s: Setup) -> Outcome {
    let parties = vec!["server".to_string(), "client".to_string()];
    let (mut messages, mut notes) = (Vec::new(), Vec::new());
    let mut log = Vec::new();
    let half = s.rtt / 2.0;
    notes.push(Note { party: 1, at: s.dies, text: "gone: no FIN, no RST".into() });
    // The time the last pong reached the server, if any.
    let mut last_pong: Option<f64> = None;
    let mut k = 1;
    let detected = loop {
        let tick = k as f64 * s.interval;
        if s.timeout.is_none() && k > 1 {
            // ws's pattern: was the previous ping answered before this tick?
            let previous = (k - 1) as f64 * s.interval;
            if last_pong.is_none_or(|p| p < previous) {
                log.push(format!("t={tick:.1} s: no pong since the ping at {previous:.1} s: terminate()"));
                break tick;
            }
        }
        let arrives = tick + half;
        let alive = arrives < s.dies;
        messages.push(Message {
            from: 0,
            to: 1,
            sent: tick,
            arrived: alive.then_some(arrives),
            label: "ping".into(),
        });
        if alive {
            let back = arrives + half;
            messages.push(Message {
                from: 1,
                to: 0,
                sent: arrives,
                arrived: Some(back),
                label: "pong".into(),
            });
            log.push(format!("t={tick:.1} s: ping; pong back at {back:.1} s"));
            last_pong = Some(back);
        } else {
            log.push(format!("t={tick:.1} s: ping, unanswered (the client is gone)"));
            if let Some(timeout) = s.timeout {
                let at = tick + timeout;
                log.push(format!("t={at:.1} s: no pong within {timeout:.1} s of the ping: terminate()"));
                break at;
            }
        }
        k += 1;
        if k > 10_000 {
            break tick;
        }
    };
    notes.push(Note { party: 0, at: detected, text: "dead peer detected: terminate()".into() });
    let pings = messages.iter().filter(|m| m.label == "ping").count();
    let steps = Step::per_event(&parties, &messages, &notes, "s");
    let title = match s.timeout {
        None => format!("ping every {} s, isAlive flag checked at each tick", s.interval),
        Some(t) => format!("ping every {} s, pong deadline {t} s", s.interval),
    };
    Outcome {
        detected,
        pings,
        log,
        figure: Figure::Sequence { title, unit: "s".into(), parties, messages, notes, steps },
    }
}
// ANCHOR_END: simulate

/// The bounds the page states: the flag detects within (interval, 2 × interval] of the death,
/// a deadline within (timeout, interval + timeout] (plus half a round trip either way).
pub fn bounds(s: &Setup) -> (f64, f64) {
    match s.timeout {
        None => (s.interval, 2.0 * s.interval),
        Some(t) => (t, s.interval + t),
    }
}

fn puzzle(seed: u64) -> Setup {
    let mut rng = Rng::new(seed);
    let interval = [5.0, 10.0, 15.0, 20.0, 30.0][rng.range(0, 4) as usize];
    let timeout = if rng.chance(0.5) { None } else { Some([2.0, 5.0, 10.0][rng.range(0, 2) as usize]) };
    let dies = (rng.range(1, 40) as f64 * interval / 10.0).max(1.0) + 0.5;
    Setup { interval, timeout, rtt: 0.2, dies }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["interval", "policy", "timeout", "rtt", "dies", "seed"])?;
    let (setup, seed) = match p.one("seed")? {
        Some(entry) => (puzzle(entry.number(0u64, u64::MAX)?), Some(entry.number(0u64, u64::MAX)?)),
        None => {
            let interval = p.number_or("interval", 0.5, 3600.0, 30.0)?;
            let policy = p.choice_or("policy", &["flag", "deadline"], "flag")?;
            let timeout = match policy {
                "flag" => {
                    if let Some(e) = p.one("timeout")? {
                        return Err(InputError::at_line(e.line, "`timeout` goes with `policy = deadline`"));
                    }
                    None
                }
                _ => Some(p.number_or("timeout", 0.1, 3600.0, 10.0)?),
            };
            let rtt = p.number_or("rtt", 0.0, 10.0, 0.2)?;
            if let Some(t) = timeout
                && t <= rtt
            {
                return Err(InputError::at_line(
                    p.one("timeout")?.map_or(1, |e| e.line),
                    "`timeout` must be longer than the round trip, or every pong is late",
                ));
            }
            let dies = p.number_or("dies", 0.0, 36_000.0, 47.0)?;
            if dies / interval > 400.0 {
                return Err(InputError::new(
                    "at most 400 pings before the death: raise `interval` or lower `dies`",
                ));
            }
            (Setup { interval, timeout, rtt, dies }, None)
        }
    };
    let o = simulate(setup);
    let policy = match setup.timeout {
        None => {
            "ws's isAlive flag: a client that did not answer the last ping by the next tick is terminated"
                .to_string()
        }
        Some(t) => format!("a deadline: a pong must arrive within {t} s of its ping"),
    };
    let mut text = String::new();
    if let Some(seed) = seed {
        text.push_str(&format!("puzzle {seed}:\n"));
    }
    text.push_str(&format!(
        "The server pings every {} s ({policy}); the round trip is {} s.\n",
        setup.interval, setup.rtt
    ));
    text.push_str(&format!("At t={} s the client vanishes without a FIN.\n", setup.dies));
    if seed.is_some() {
        text.push_str("When does the server detect the dead peer, and how long after the death?\n");
        text.push_str(REVEAL_MARKER);
        text.push('\n');
    }
    for line in &o.log {
        text.push_str(line);
        text.push('\n');
    }
    let (low, high) = bounds(&setup);
    text.push_str(&format!(
        "detected at t={:.1} s, {:.1} s after the death, after {} ping(s) (this policy: between {low} and {high} s, ± half a round trip)\n",
        o.detected,
        o.detected - setup.dies,
        o.pings
    ));
    text.push_str(
        "without a heartbeat: never while idle (Linux keepalive, if enabled, after 7200 + 9 × 75 s)\n",
    );
    Ok(Drawn { text, figure: o.figure })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_falls_within_the_policys_bounds() {
        for seed in 0..300 {
            let s = puzzle(seed);
            let o = simulate(s);
            o.figure.validate().unwrap();
            let (low, high) = bounds(&s);
            let after = o.detected - s.dies;
            assert!(after > low - s.rtt && after <= high + s.rtt, "seed {seed}: {s:?} detected {after}");
        }
    }

    #[test]
    fn the_default_is_detected_at_the_second_tick_after_death() {
        let out = run(EXAMPLE.default_input).unwrap();
        // Death at 47: the ping at 60 goes unanswered, the tick at 90 terminates.
        assert!(out.text.contains("detected at t=90.0 s, 43.0 s after the death"), "{}", out.text);
        let out = run("interval = 30\npolicy = deadline\ntimeout = 10\ndies = 47\n").unwrap();
        assert!(out.text.contains("detected at t=70.0 s"), "{}", out.text);
        assert_eq!(run("policy = flag\ntimeout = 3\n").unwrap_err().line, Some(2));
        let puzzle = run("seed = 3\n").unwrap();
        assert_eq!(puzzle.text.matches(REVEAL_MARKER).count(), 1);
        assert!(!puzzle.text.split(REVEAL_MARKER).next().unwrap().contains("detected at"));
    }
}
