//! `raft::cluster`: a Raft cluster on the simulated network, driven by a script, drawn as a
//! ring of servers (RaftScope's picture) with one step per event. Routine traffic (a round of
//! heartbeats and their acks) is folded into one step, so a run of a few seconds stays readable.

use super::node::Role;
use super::sim::{Config, Do, Outcome, simulate};
use crate::figure::{Figure, Mark, RingAction, Step, time_text};
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "raft::cluster",
    title: "A Raft cluster: elections, replication, crashes and partitions",
    file: file!(),
    default_input: "servers 5\nseed 7\nuntil 2500      # ms\nloss 0.02\n\
                    at 300 request x=1   # a client command, sent to the leader\n\
                    at 600 crash S1\n\
                    at 1000 restart S1\n\
                    at 1300 request x=2\n\
                    at 1302 partition S1 S2 | S3 S4 S5\n\
                    at 1700 request x=3\n\
                    at 2100 heal\n",
    input_help: "`servers N` (1–7), `seed N`, `until MS`, `loss P` (0–0.5), `delay A B`, `timeout A B`, `heartbeat MS`; \
                 then `at MS crash|restart|timeout|isolate S2`, `at MS heal`, `at MS partition S1 S2 | S3 S4 S5`, \
                 `at MS request x=1`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// Figure steps at most; a longer run stops drawing and says so.
const MAX_STEPS: usize = 400;

fn server(word: &str, n: usize, line: usize) -> Result<usize, InputError> {
    let k = word
        .strip_prefix(['S', 's'])
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|&k| (1..=n).contains(&k))
        .ok_or_else(|| InputError::at_line(line, format!("`{word}` is not a server (S1 to S{n})")))?;
    Ok(k - 1)
}

// ANCHOR: parse
/// Reads the script: settings first or anywhere, then `at MS …` lines in any order.
pub fn parse(input: &str) -> Result<Config, InputError> {
    use crate::input::parse_number;
    let lines: Vec<(usize, Vec<&str>)> = input
        .lines()
        .enumerate()
        .map(|(i, raw)| (i + 1, raw.split('#').next().unwrap_or("").split_whitespace().collect::<Vec<_>>()))
        .filter(|(_, words)| !words.is_empty())
        .collect();
    let mut c = Config::new(5, 1);
    c.until = 3_000;
    let mut actions = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (line, words) in &lines {
        let line = *line;
        let key = words[0];
        if key != "at" {
            if seen.contains(&key) {
                return Err(InputError::at_line(line, format!("`{key}` is given twice")));
            }
            seen.push(key);
        }
        let arity = |k: usize| {
            if words.len() == k + 1 {
                Ok(())
            } else {
                Err(InputError::at_line(
                    line,
                    format!("`{key}` takes {k} value{}", if k == 1 { "" } else { "s" }),
                ))
            }
        };
        match key {
            "servers" => {
                arity(1)?;
                c.servers = parse_number(words[1], line, 1, 7)?;
            }
            "seed" => {
                arity(1)?;
                c.seed = parse_number(words[1], line, 0, u64::MAX)?;
            }
            "until" => {
                arity(1)?;
                c.until = parse_number(words[1], line, 1, 20_000)?;
            }
            "loss" => {
                arity(1)?;
                c.loss = parse_number(words[1], line, 0.0, 0.5)?;
            }
            "heartbeat" => {
                arity(1)?;
                c.heartbeat = parse_number(words[1], line, 5, 1_000)?;
            }
            "delay" | "timeout" => {
                arity(2)?;
                let a = parse_number(words[1], line, 1, 5_000)?;
                let b = parse_number(words[2], line, a, 5_000)?;
                if key == "delay" { c.delay = (a, b) } else { c.timeout = (a, b) }
            }
            "at" => actions.push((line, words.clone())),
            _ => {
                return Err(InputError::at_line(
                    line,
                    format!(
                        "unknown line `{key}` (expected servers, seed, until, loss, delay, timeout, heartbeat or at)"
                    ),
                ));
            }
        }
    }
    let n = c.servers;
    for (line, words) in actions {
        let bad = || {
            InputError::at_line(
                line,
                "expected `at MS crash|restart|timeout|isolate S1`, `at MS heal`, `at MS partition S1 S2 | S3 …` or `at MS request [command]`",
            )
        };
        if words.len() < 3 {
            return Err(bad());
        }
        let at: u64 = parse_number(words[1], line, 0, c.until)?;
        let what = match (words[2], &words[3..]) {
            ("crash", [s]) => Do::Crash(server(s, n, line)?),
            ("restart", [s]) => Do::Restart(server(s, n, line)?),
            ("timeout", [s]) => Do::TimeOut(server(s, n, line)?),
            ("isolate", [s]) => Do::Isolate(server(s, n, line)?),
            ("heal", []) => Do::Heal,
            ("request", []) => Do::Request(format!("c{}", at)),
            ("request", words) => Do::Request(words.join(" ")),
            ("partition", words) if !words.is_empty() => {
                // Servers not named are each cut off from everyone.
                let mut side: Vec<usize> = (0..n).map(|s| 1_000 + s).collect();
                let mut named = vec![false; n];
                for (k, group) in words.split(|w| *w == "|").enumerate() {
                    if group.is_empty() {
                        return Err(InputError::at_line(line, "an empty side in `partition`"));
                    }
                    for w in group {
                        let s = server(w, n, line)?;
                        if std::mem::replace(&mut named[s], true) {
                            return Err(InputError::at_line(line, format!("{w} is named twice")));
                        }
                        side[s] = k;
                    }
                }
                Do::Partition(side)
            }
            _ => return Err(bad()),
        };
        c.script.push((at, what));
    }
    // Events at one time run in the order written, whatever order the lines came in.
    c.script.sort_by_key(|(at, _)| *at);
    c.record = true;
    Ok(c)
}
// ANCHOR_END: parse

/// The buttons under the drawing: each adds a line to the input at the current step's time.
fn actions() -> Vec<RingAction> {
    let a = |label: &str, line: &str| RingAction {
        label: label.into(),
        line: line.into(),
        per_server: line.contains("{server}"),
    };
    vec![
        a("Crash", "at {at} crash {server}"),
        a("Restart", "at {at} restart {server}"),
        a("Time out", "at {at} timeout {server}"),
        a("Isolate", "at {at} isolate {server}"),
        a("Heal", "at {at} heal"),
        a("Client request", "at {at} request"),
    ]
}

fn role_name(outcome: &Outcome, s: usize) -> &'static str {
    if !outcome.up[s] {
        return "down";
    }
    match outcome.servers[s].role {
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    }
}

/// The final table: per server its role, term, log (each entry's term, `|` after the commit
/// index) and commit index.
pub fn summary(outcome: &Outcome) -> String {
    let mut out =
        String::from("server  role       term  commit  log (entry terms; | marks the commit index)\n");
    for (i, s) in outcome.servers.iter().enumerate() {
        let mut log = String::new();
        for (k, e) in s.log.iter().enumerate() {
            if k > 0 {
                log.push(' ');
            }
            log.push_str(&e.term.to_string());
            if k + 1 == s.commit_index && k + 1 < s.log.len() {
                log.push_str(" |");
            }
        }
        if s.log.is_empty() {
            log.push('-');
        }
        out.push_str(&format!(
            "S{:<6} {:<10} {:<5} {:<7} {log}\n",
            i + 1,
            role_name(outcome, i),
            s.current_term,
            s.commit_index
        ));
    }
    out
}

pub fn verdict(outcome: &Outcome) -> String {
    if outcome.violations.is_empty() {
        "safety checks: election safety, log matching, leader completeness, state machine safety: all hold\n"
            .into()
    } else {
        let mut out = String::from("safety checks FAILED:\n");
        for v in &outcome.violations {
            out.push_str(&format!("  {v}\n"));
        }
        out
    }
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let c = parse(input)?;
    let outcome = simulate(&c);
    let mut steps: Vec<Step> = Vec::new();
    let mut snapshots = Vec::new();
    let mut folded = 0usize;
    let mut truncated = false;
    for (k, r) in outcome.records.iter().enumerate() {
        let next_quiet = outcome.records.get(k + 1).is_some_and(|n| n.quiet);
        if r.quiet && next_quiet {
            folded += 1;
            continue;
        }
        if steps.len() == MAX_STEPS {
            truncated = true;
            break;
        }
        let text = if r.quiet && folded > 0 {
            format!(
                "{}: routine traffic, {} events (heartbeats, acks, messages lost or cut)",
                time_text(r.at as f64, "ms"),
                folded + 1
            )
        } else {
            format!("{}: {}", time_text(r.at as f64, "ms"), r.text)
        };
        folded = 0;
        let mut servers = r.servers.clone();
        servers.dedup();
        steps.push(Step {
            at: r.at as f64,
            text,
            marks: servers.into_iter().map(|server| Mark::Server { server }).collect(),
        });
        snapshots.push(r.snapshot.clone());
    }
    let mut text = String::new();
    for step in &steps {
        text.push_str(&step.text);
        text.push('\n');
    }
    if truncated {
        text.push_str(&format!(
            "… the drawing stops after {MAX_STEPS} steps; shorten `until` to see the end\n"
        ));
    }
    if outcome.stopped_early {
        text.push_str(&format!("… the run stopped at its budget of {} events\n", c.max_events));
    }
    text.push('\n');
    text.push_str(&summary(&outcome));
    let terms: Vec<String> = outcome.leaders.iter().map(|(t, l)| format!("S{} in term {t}", l + 1)).collect();
    text.push_str(&format!(
        "leaders: {}\n",
        if terms.is_empty() { "none".to_string() } else { terms.join(", ") }
    ));
    text.push_str(&verdict(&outcome));
    let figure = Figure::Ring {
        title: format!("Raft, {} servers, seed {}", c.servers, c.seed),
        unit: "ms".into(),
        servers: (1..=c.servers).map(|i| format!("S{i}")).collect(),
        snapshots,
        steps,
        actions: actions(),
    };
    Ok(Drawn { text, figure })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_run_is_drawable_readable_and_safe() {
        let drawn = run(EXAMPLE.default_input).unwrap();
        drawn.figure.validate().unwrap();
        let Figure::Ring { steps, .. } = &drawn.figure else { panic!("a ring") };
        assert!((60..=150).contains(&steps.len()), "{} steps", steps.len());
        assert!(drawn.text.contains("all hold"), "{}", drawn.text);
    }

    #[test]
    fn every_action_line_parses() {
        for action in actions() {
            let line = action.line.replace("{at}", "100").replace("{server}", "S2");
            let c = parse(&format!("servers 3\n{line}\n")).unwrap();
            assert_eq!(c.script.len(), 1, "{line}");
            run(&format!("servers 3\n{line}\n")).unwrap().figure.validate().unwrap();
        }
    }

    #[test]
    fn bad_lines_are_named() {
        let error = |input: &str| parse(input).unwrap_err().to_string();
        assert_eq!(error("servers 3\nat 10 crash S4"), "input line 2: `S4` is not a server (S1 to S3)");
        assert_eq!(error("servers 9"), "input line 1: 9 is out of range (from 1 to 7)");
        assert!(error("until 100\n\nat 200 heal").starts_with("input line 3: 200 is out of range"));
        assert!(error("at 5 explode S1").starts_with("input line 1: expected `at MS"));
        assert!(error("speed 3").starts_with("input line 1: unknown line `speed`"));
        assert_eq!(error("seed 1\nseed 2"), "input line 2: `seed` is given twice");
        assert_eq!(error("at 5 partition S1 | S1"), "input line 1: S1 is named twice");
        assert_eq!(error("loss x"), "input line 1: `x` is not a number");
    }
}
