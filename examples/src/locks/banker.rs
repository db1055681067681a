//! Dijkstra's banker's algorithm: deadlock *avoidance*. Every process declares the most it will
//! ever hold of each resource; a request is granted only if, afterwards, there is still an order
//! (a safe sequence) in which every process can get its maximum, finish and give everything
//! back. The input is the `mode = banker` form of `locks::deadlock_search`.

use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::{Entry, Params};
use crate::registry::{Drawn, Example, InputError, Run, Runs};

/// The banker's algorithm, the same simulation's second mode.
pub const EXAMPLE: Example = Example {
    id: "locks::banker",
    title: "The banker's algorithm: is this state safe, and may this request be granted?",
    file: file!(),
    default_input: BANKER_INPUT,
    input_help: "`mode = banker`, `resources = N N …` (the total of each kind), one \
                 `process = NAME max N N … holds N N …` per process, optionally `request = NAME N N …`",
    runs: Runs::Everywhere,
    run: Run::Drawn(super::search::run),
};

const BANKER_INPUT: &str = "\
# Two kinds of resource (say, database connections and worker slots).
# Each process declared the most it will ever hold; C asks for one of each.
mode = banker
resources = 6 4
process = A max 4 2 holds 2 1
process = B max 3 3 holds 1 1
process = C max 5 2 holds 1 0
request = C 1 1
";

pub const MAX_PROCESSES: usize = 8;
pub const MAX_KINDS: usize = 6;
pub const MAX_UNITS: u32 = 1000;

// ANCHOR: banker
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub name: String,
    /// The most it will ever hold of each kind of resource (declared up front).
    pub max: Vec<u32>,
    /// What it holds now.
    pub holds: Vec<u32>,
}

impl Process {
    /// What it may still ask for.
    pub fn need(&self) -> Vec<u32> {
        self.max.iter().zip(&self.holds).map(|(m, h)| m - h).collect()
    }
}

fn fits(want: &[u32], free: &[u32]) -> bool {
    want.iter().zip(free).all(|(w, f)| w <= f)
}

/// The safety check: pretend the processes run one at a time, each getting all it may still
/// need from what is free, finishing and returning what it holds. Returns the order found (a
/// safe sequence) and the processes that could not finish in it (empty: the state is safe).
pub fn safe_sequence(free: &[u32], processes: &[Process]) -> (Vec<usize>, Vec<usize>) {
    let mut work = free.to_vec();
    let mut finished = vec![false; processes.len()];
    let mut order = Vec::new();
    while let Some(p) = (0..processes.len()).find(|&p| !finished[p] && fits(&processes[p].need(), &work)) {
        for (w, h) in work.iter_mut().zip(&processes[p].holds) {
            *w += h;
        }
        finished[p] = true;
        order.push(p);
    }
    let stuck = (0..processes.len()).filter(|&p| !finished[p]).collect();
    (order, stuck)
}
// ANCHOR_END: banker

fn units(values: &[u32]) -> String {
    values.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
}

fn numbers(entry: &Entry<'_>, words: &[&str], kinds: usize, what: &str) -> Result<Vec<u32>, InputError> {
    let values = words
        .iter()
        .map(|w| crate::input::parse_number(w, entry.line, 0, MAX_UNITS))
        .collect::<Result<Vec<u32>, _>>()?;
    if values.len() != kinds {
        return Err(InputError::at_line(
            entry.line,
            format!("{what}: {} numbers for {kinds} kinds of resource", values.len()),
        ));
    }
    Ok(values)
}

pub(crate) fn run(params: &Params<'_>) -> Result<Drawn, InputError> {
    let resources = params.one("resources")?.ok_or_else(|| {
        InputError::new("missing `resources = …`: the total of each kind, such as `resources = 6 4`")
    })?;
    let total = resources.numbers::<u32>(0, MAX_UNITS)?;
    if total.len() > MAX_KINDS {
        return Err(InputError::at_line(resources.line, format!("at most {MAX_KINDS} kinds of resource")));
    }
    let kinds = total.len();
    let mut processes: Vec<Process> = Vec::new();
    for entry in params.all("process") {
        if processes.len() == MAX_PROCESSES {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_PROCESSES} processes")));
        }
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let max_at = words.iter().position(|w| *w == "max");
        let holds_at = words.iter().position(|w| *w == "holds");
        let (Some(1), Some(h)) = (max_at, holds_at) else {
            return Err(InputError::at_line(entry.line, "expected `process = NAME max N N … holds N N …`"));
        };
        let name = words[0];
        if name.len() > 8 || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(InputError::at_line(
                entry.line,
                format!("process name `{name}`: up to 8 letters or digits"),
            ));
        }
        if processes.iter().any(|p| p.name == name) {
            return Err(InputError::at_line(entry.line, format!("process `{name}` is defined twice")));
        }
        let max = numbers(entry, words.get(2..h).unwrap_or_default(), kinds, &format!("{name} max"))?;
        let holds = numbers(entry, &words[h + 1..], kinds, &format!("{name} holds"))?;
        if let Some(k) = (0..kinds).find(|&k| holds[k] > max[k]) {
            return Err(InputError::at_line(
                entry.line,
                format!("{name} holds {} of resource {}, more than its max of {}", holds[k], k + 1, max[k]),
            ));
        }
        if let Some(k) = (0..kinds).find(|&k| max[k] > total[k]) {
            return Err(InputError::at_line(
                entry.line,
                format!(
                    "{name}'s max of resource {} is {}, more than the {} there are",
                    k + 1,
                    max[k],
                    total[k]
                ),
            ));
        }
        processes.push(Process { name: name.to_string(), max, holds });
    }
    if processes.is_empty() {
        return Err(InputError::new("no processes: add a line such as `process = P1 max 3 2 holds 1 0`"));
    }
    let held: Vec<u32> = (0..kinds).map(|k| processes.iter().map(|p| p.holds[k]).sum()).collect();
    if let Some(k) = (0..kinds).find(|&k| held[k] > total[k]) {
        return Err(InputError::at_line(
            resources.line,
            format!("the processes hold {} of resource {} but there are only {}", held[k], k + 1, total[k]),
        ));
    }
    let free: Vec<u32> = total.iter().zip(&held).map(|(t, h)| t - h).collect();

    let mut out =
        format!("Resources: total {}, held {}, free {}.\n", units(&total), units(&held), units(&free));
    out.push_str("process   max        holds      may still need\n");
    for p in &processes {
        let _ =
            writeln!(out, "{:<9} {:<10} {:<10} {}", p.name, units(&p.max), units(&p.holds), units(&p.need()));
    }
    out.push('\n');

    // A request: grant it only if the state after it is still safe.
    let mut state = processes.clone();
    let mut state_free = free.clone();
    if let Some(entry) = params.one("request")? {
        let words: Vec<&str> = entry.value.split_whitespace().collect();
        let Some(p) = words.first().and_then(|n| processes.iter().position(|p| p.name == *n)) else {
            return Err(InputError::at_line(
                entry.line,
                "expected `request = NAME N N …`, NAME one of the processes",
            ));
        };
        let name = &processes[p].name;
        let asked = numbers(entry, &words[1..], kinds, &format!("request of {name}"))?;
        let _ = writeln!(out, "{name} asks for {}.", units(&asked));
        if !fits(&asked, &processes[p].need()) {
            let _ = writeln!(out, "Refused as an error: more than {name} declared it would ever need.");
        } else if !fits(&asked, &free) {
            let _ = writeln!(out, "It must wait: only {} is free.", units(&free));
        } else {
            let mut after = processes.clone();
            for (held, more) in after[p].holds.iter_mut().zip(&asked) {
                *held += more;
            }
            let after_free: Vec<u32> = free.iter().zip(&asked).map(|(f, a)| f - a).collect();
            if safe_sequence(&after_free, &after).1.is_empty() {
                let _ =
                    writeln!(out, "Granted: the state after it is still safe (free {}).", units(&after_free));
                state = after;
                state_free = after_free;
            } else {
                let _ = writeln!(
                    out,
                    "It must wait, though {} is free: granting it would leave an unsafe state.",
                    units(&free)
                );
            }
        }
        out.push('\n');
    }

    let (order, stuck) = safe_sequence(&state_free, &state);
    let names = |list: &[usize]| list.iter().map(|&p| state[p].name.as_str()).collect::<Vec<_>>().join(", ");
    if stuck.is_empty() {
        let _ = writeln!(out, "SAFE. A safe sequence: {}.", names(&order));
    } else {
        let _ = writeln!(
            out,
            "UNSAFE: after {}, none of {} can be sure to finish.",
            if order.is_empty() { "nothing".to_string() } else { names(&order) },
            names(&stuck)
        );
        out.push_str("Unsafe is not yet a deadlock (a process may finish without asking for its\n");
        out.push_str("maximum), but the banker can no longer promise that every process finishes.\n");
    }
    let mut work = state_free.clone();
    for &p in &order {
        let before = units(&work);
        for (w, h) in work.iter_mut().zip(&state[p].holds) {
            *w += h;
        }
        let _ = writeln!(
            out,
            "  {:<8} needs {:<10} free {:<10} -> finishes, free becomes {}",
            state[p].name,
            units(&state[p].need()),
            before,
            units(&work)
        );
    }
    for &p in &stuck {
        let _ = writeln!(
            out,
            "  {:<8} needs {:<10} free {:<10} -> cannot be sure to finish",
            state[p].name,
            units(&state[p].need()),
            units(&work)
        );
    }

    let mut lanes: Vec<Lane> =
        state.iter().map(|p| Lane { name: p.name.clone(), spans: Vec::new() }).collect();
    for (k, &p) in order.iter().enumerate() {
        lanes[p].spans.push(Span {
            start: k as f64,
            end: k as f64 + 1.0,
            label: format!("gets {}, finishes, returns {}", units(&state[p].need()), units(&state[p].max)),
            kind: SpanKind::Busy,
        });
    }
    for &p in &stuck {
        lanes[p].spans.push(Span {
            start: order.len() as f64,
            end: order.len() as f64 + 1.0,
            label: format!("may need {}, cannot be sure of it", units(&state[p].need())),
            kind: SpanKind::Lost,
        });
    }
    let steps = Step::at_span_starts(&lanes, "turns");
    let title = if stuck.is_empty() { "The banker's safe sequence" } else { "An unsafe state" }.to_string();
    Ok(Drawn { text: out, figure: Figure::Timeline { title, unit: "turns".to_string(), lanes, steps } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banker(input: &str) -> Result<Drawn, InputError> {
        let params = Params::parse(input, &["mode", "resources", "process", "request"]).unwrap();
        run(&params)
    }

    const THREE: &str = "resources = 6 4\n\
        process = A max 4 2 holds 2 1\n\
        process = B max 3 3 holds 1 1\n\
        process = C max 5 2 holds 1 0\n";

    #[test]
    fn a_safe_state_and_its_sequence() {
        // Free: 2 2. A needs 2 1: fits, finishes, free 4 3. B needs 2 2: fits, free 5 4.
        // C needs 4 2: fits. Safe sequence A, B, C.
        let out = banker(THREE).unwrap();
        assert!(out.text.contains("free 2 2"), "{}", out.text);
        assert!(out.text.contains("SAFE. A safe sequence: A, B, C."), "{}", out.text);
        out.figure.validate().unwrap();
    }

    #[test]
    fn a_request_that_fits_but_would_be_unsafe_waits() {
        // C asks for 1 1: it fits (free 2 2), but then free is 1 1, A needs 2 1, B needs 2 2,
        // C needs 3 1: nobody can finish.
        let out = banker(&format!("{THREE}request = C 1 1\n")).unwrap();
        assert!(out.text.contains("It must wait, though 2 2 is free"), "{}", out.text);
        assert!(out.text.contains("SAFE."), "the state stays as it was: {}", out.text);
        // A's request of 1 0 leaves free 1 2; A then needs 1 1: finishes; free 4 3; B, C follow.
        let out = banker(&format!("{THREE}request = A 1 0\n")).unwrap();
        assert!(out.text.contains("Granted"), "{}", out.text);
        assert!(out.text.contains("SAFE. A safe sequence: A, B, C."), "{}", out.text);
        let out = banker(&format!("{THREE}request = B 3 0\n")).unwrap();
        assert!(out.text.contains("more than B declared"), "{}", out.text);
    }

    /// The chapter's "raise C's holds" suggestion: with C holding 2 1, free is 1 1 and nobody
    /// can be sure to finish.
    #[test]
    fn the_default_with_more_held_by_c_is_unsafe() {
        let input = EXAMPLE.default_input.replace("holds 1 0", "holds 2 1");
        let out = EXAMPLE.output(&input).unwrap();
        assert!(out.text.contains("UNSAFE"), "{}", out.text);
    }

    #[test]
    fn an_unsafe_state_is_reported_and_drawn() {
        let out = banker("resources = 4\nprocess = A max 4 holds 2\nprocess = B max 4 holds 2\n").unwrap();
        assert!(out.text.contains("UNSAFE: after nothing, none of A, B"), "{}", out.text);
        out.figure.validate().unwrap();
    }

    #[test]
    fn bad_input_names_its_line() {
        for (input, expected) in [
            ("process = A max 1 holds 0", "missing `resources = …`"),
            ("resources = 3\nprocess = A max 1", "input line 2: expected `process = NAME max"),
            ("resources = 3\nprocess = A max 1 2 holds 0 0", "input line 2: A max: 2 numbers for 1 kinds"),
            (
                "resources = 3\nprocess = A max 1 holds 2",
                "input line 2: A holds 2 of resource 1, more than its max",
            ),
            ("resources = 3\nprocess = A max 4 holds 0", "input line 2: A's max of resource 1 is 4"),
            (
                "resources = 3\nprocess = A max 3 holds 2\nprocess = B max 3 holds 2",
                "input line 1: the processes hold 4",
            ),
            (
                "resources = 3\nprocess = A max 3 holds 2\nrequest = Z 1",
                "input line 3: expected `request = NAME",
            ),
            ("resources = 3", "no processes"),
        ] {
            let got = banker(input).unwrap_err().to_string();
            assert!(got.starts_with(expected), "{input:?}: {got}");
        }
    }
}
