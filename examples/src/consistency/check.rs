//! The checker as the reader uses it: a history in, the verdicts out, and the history drawn as a
//! timeline (one lane per client, one bar per operation). The steps walk through the
//! linearization, each operation at the point where it takes effect, or through a minimal
//! set of operations that cannot be ordered at all.

use std::fmt::Write as _;

use super::checker::{self, Model, Outcome, Verdict};
use super::history::{self, History};
use crate::figure::{Figure, Lane, Mark, SpanKind, Step, time_text};
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "consistency::check",
    title: "Check a history: linearizable? sequentially consistent?",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "one operation per line: `CLIENT INVOKE COMPLETE OP VALUE`, times in ms, e.g. `c1 0 10 write 1`, \
                 `c2 5 15 read 1`, `c3 2 9 cas 1 2 ok` (or `fail`); COMPLETE `?` for an operation never answered \
                 (`c4 3 ? write 5`, `c4 20 ? read`); optional `init = V` (default 0) and `budget = N` search steps",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT_INPUT: &str = "\
# client  invoke  complete  operation   (times in ms; the register starts at 0)
c1   0  10  write 1
c2   2   8  read 0
c3  12  20  read 1
c1  15  25  write 2
c2  30  40  read 1
c3  32  38  read 2
";

/// Search states the checker may explore per check when the input sets no `budget`.
pub const DEFAULT_BUDGET: u64 = 200_000;

/// Both verdicts on one history, and a minimal violation when it is not linearizable.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub linearizable: Outcome,
    pub sequential: Outcome,
    /// A minimal violating subset, when the history is not linearizable.
    pub violation: Option<checker::Minimal>,
    /// Search states explored by all checks together.
    pub steps: u64,
}

// ANCHOR: example
pub fn judge(history: &History, budget: u64) -> Judgement {
    let linearizable = checker::check(history, Model::Linearizable, budget);
    let sequential = checker::check(history, Model::Sequential, budget);
    let mut steps = linearizable.steps + sequential.steps;
    let violation = if linearizable.verdict == Verdict::Violation {
        let (subset, spent) = checker::minimal_violation(history, Model::Linearizable, budget);
        steps += spent;
        subset
    } else {
        None
    };
    Judgement { linearizable, sequential, violation, steps }
}
// ANCHOR_END: example

fn run(input: &str) -> Result<Drawn, InputError> {
    let (history, settings) = history::parse(input)?;
    let budget = settings.budget.unwrap_or(DEFAULT_BUDGET);
    let judgement = judge(&history, budget);
    let clients = history.clients().len();
    let mut text = format!(
        "History: {} operations by {clients} clients; the register starts at {}.\n\n",
        history.ops.len(),
        history.init
    );
    text.push_str(&report(&history, &judgement, budget));
    let figure = figure(&history, &judgement, "History", Vec::new(), Vec::new());
    Ok(Drawn { text, figure })
}

/// The verdicts in words: the linearization with its points, or a minimal violation with
/// the real-time order inside it; then sequential consistency.
pub fn report(history: &History, j: &Judgement, budget: u64) -> String {
    let mut out = String::new();
    let name = |i: usize| {
        let op = &history.ops[i];
        if op.line > 0 { format!("line {:>2}: {}", op.line, op.describe()) } else { op.describe() }
    };
    match &j.linearizable.verdict {
        Verdict::Ok(order) => {
            let _ = writeln!(
                out,
                "Linearizable: yes. Each operation takes effect at one instant inside its bar:"
            );
            let mut value = history.init;
            for (&i, at) in order.iter().zip(checker::points(history, order)) {
                value = checker::apply(value, history.ops[i].kind).unwrap_or(value);
                let _ = writeln!(out, "  t={at:<4} {:<34} register = {value}", history.ops[i].describe());
            }
            let dropped = history
                .ops
                .iter()
                .enumerate()
                .filter(|(i, op)| op.complete.is_none() && !order.contains(i))
                .count();
            if dropped > 0 {
                let _ = writeln!(
                    out,
                    "  ({dropped} never-answered operation(s) left out: they need never have happened)"
                );
            }
        }
        Verdict::Violation => {
            let _ = writeln!(
                out,
                "Linearizable: no. No order of the operations respects both real time and the register."
            );
            match &j.violation {
                Some(minimal) => {
                    let subset = &minimal.ops;
                    if minimal.decided {
                        let _ = writeln!(
                            out,
                            "A minimal violating subset ({} of {} operations; remove any one, a write together \
                             with the reads of its value, and the rest can be ordered):",
                            subset.len(),
                            history.ops.len()
                        );
                    } else {
                        let _ = writeln!(
                            out,
                            "A violating subset ({} of {} operations; the budget ran out before every removal \
                             was tried, so it may not be minimal):",
                            subset.len(),
                            history.ops.len()
                        );
                    }
                    for &i in subset {
                        let _ = writeln!(out, "  {}", name(i));
                    }
                    let mut edges = Vec::new();
                    for &a in subset {
                        for &b in subset {
                            if history.ops[a].precedes(&history.ops[b]) {
                                edges.push(format!(
                                    "  {} completed at {} before {} began at {}",
                                    short(history, a),
                                    history.ops[a].complete.unwrap_or(0),
                                    short(history, b),
                                    history.ops[b].invoke
                                ));
                            }
                        }
                    }
                    if edges.is_empty() {
                        let _ = writeln!(out, "Real time orders none of them: they are all concurrent.");
                    } else {
                        let _ = writeln!(out, "Real time fixes:");
                        for edge in edges {
                            let _ = writeln!(out, "{edge}");
                        }
                    }
                }
                None => {
                    let _ = writeln!(out, "(The search for a minimal violating subset ran out of budget.)");
                }
            }
        }
        Verdict::Exhausted => {
            let _ = writeln!(
                out,
                "Linearizable: unknown. The search used its budget of {budget} steps without an answer; \
                 raise `budget = N` or shorten the history."
            );
        }
    }
    match &j.sequential.verdict {
        Verdict::Ok(order) => {
            let names: Vec<String> = order.iter().map(|&i| short(history, i)).collect();
            let _ = writeln!(
                out,
                "Sequentially consistent: yes. An order that keeps each client's own order: {}",
                names.join(", ")
            );
        }
        Verdict::Violation => {
            let _ = writeln!(
                out,
                "Sequentially consistent: no. Even ignoring real time, no single order explains every client."
            );
        }
        Verdict::Exhausted => {
            let _ = writeln!(out, "Sequentially consistent: unknown (budget of {budget} steps used up).");
        }
    }
    let _ = writeln!(out, "Search: {} steps in all.", j.steps);
    out
}

/// `c1 write 1`.
fn short(history: &History, i: usize) -> String {
    format!("{} {}", history.ops[i].client, history.ops[i].label())
}

/// The history as a timeline. Colours: answered operations "running", never-answered ones
/// "waiting"; when the history is not linearizable, the violating subset is "lost" and the rest
/// "idle". `extra` lanes (a simulation's servers) go under the clients, with their own steps.
pub fn figure(
    history: &History,
    j: &Judgement,
    title: &str,
    extra: Vec<Lane>,
    extra_steps: Vec<Step>,
) -> Figure {
    let subset = j.violation.as_ref().map(|m| m.ops.clone()).unwrap_or_default();
    let failing = j.linearizable.verdict == Verdict::Violation && !subset.is_empty();
    let (mut lanes, place) = history.lanes(|i| {
        if failing {
            if subset.contains(&i) { SpanKind::Lost } else { SpanKind::Idle }
        } else if history.ops[i].complete.is_none() {
            SpanKind::Wait
        } else {
            SpanKind::Busy
        }
    });
    let offset = lanes.len();
    lanes.extend(extra);
    let mark = |i: usize| Mark::Span { lane: place[i].0, span: place[i].1 };
    let mut steps: Vec<Step> = Vec::new();
    match &j.linearizable.verdict {
        Verdict::Ok(order) => {
            let mut value = history.init;
            for (&i, at) in order.iter().zip(checker::points(history, order)) {
                value = checker::apply(value, history.ops[i].kind).unwrap_or(value);
                steps.push(Step {
                    at: at as f64,
                    text: format!(
                        "{}: {} takes effect; the register holds {value}",
                        time_text(at as f64, "ms"),
                        short(history, i)
                    ),
                    marks: vec![mark(i)],
                });
            }
        }
        _ if failing => {
            let mut order = subset.clone();
            order.sort_by_key(|&i| history.ops[i].invoke);
            for &i in &order {
                let op = &history.ops[i];
                steps.push(Step {
                    at: op.invoke as f64,
                    text: format!(
                        "{}: {} begins, one of the {} operations no order can explain",
                        time_text(op.invoke as f64, "ms"),
                        short(history, i),
                        order.len()
                    ),
                    marks: vec![mark(i)],
                });
            }
        }
        _ => {}
    }
    // No linearization point to walk (an "unknown", or an order of only never-answered
    // operations, which a linearization may leave out): the steps are the operations' starts.
    if steps.is_empty() {
        steps = Step::at_span_starts(&lanes[..offset], "ms");
    }
    for mut step in extra_steps {
        for m in &mut step.marks {
            if let Mark::Span { lane, .. } = m {
                *lane += offset;
            }
        }
        steps.push(step);
    }
    steps.sort_by(|a, b| a.at.total_cmp(&b.at));
    let verdict = match j.linearizable.verdict {
        Verdict::Ok(_) => "linearizable",
        Verdict::Violation => "not linearizable",
        Verdict::Exhausted => "unknown (budget used up)",
    };
    Figure::Timeline { title: format!("{title}: {verdict}"), unit: "ms".to_string(), lanes, steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_history_fails_on_a_stale_read_and_names_it() {
        let drawn = run(DEFAULT_INPUT).unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("Linearizable: no"), "{}", drawn.text);
        assert!(drawn.text.contains("line  5: c1 write 2 [15, 25]"), "{}", drawn.text);
        assert!(drawn.text.contains("line  6: c2 read 1 [30, 40]"), "{}", drawn.text);
        assert!(drawn.text.contains("Sequentially consistent: yes"), "{}", drawn.text);
    }

    /// The variations the page suggests, with the verdicts it promises.
    #[test]
    fn the_pages_variations_get_the_verdicts_it_names() {
        let fixed = DEFAULT_INPUT.replace("c2  30  40  read 1", "c2  30  40  read 2");
        assert!(run(&fixed).unwrap().text.contains("Linearizable: yes"));
        let early = DEFAULT_INPUT.replace("c2  30  40  read 1", "c2  20  40  read 1");
        assert!(run(&early).unwrap().text.contains("Linearizable: yes"));
        let lost = format!("{fixed}c4 0 ? write 9\nc2 50 60 read 9\n");
        let text = run(&lost).unwrap().text;
        assert!(text.contains("Linearizable: yes") && text.contains("c4 write 9 [0, ?]"), "{text}");
        let tiny = format!("budget = 5\n{DEFAULT_INPUT}");
        assert!(run(&tiny).unwrap().text.contains("Linearizable: unknown"));
        let overlap = run("c1 0 10 write 1\nc1 5 20 read 1").unwrap_err();
        assert_eq!(overlap.line, Some(2));
    }

    /// Found by the wasm fuzz run: a history whose linearization places nothing (every
    /// operation never answered) or whose search gave up still has steps to replay.
    #[test]
    fn every_drawn_history_has_steps() {
        for input in
            ["c1 0 ? write 1", "c1 0 ? write 1\nc2 5 ? read", &format!("budget = 1\n{DEFAULT_INPUT}")]
        {
            let drawn = run(input).unwrap();
            drawn.figure.validate().unwrap_or_else(|e| panic!("{input:?}: {e}"));
        }
    }

    #[test]
    fn a_linearizable_history_is_drawn_with_its_points() {
        let drawn = run("c1 0 10 write 1\nc2 5 15 read 1\nc3 3 ? write 2").unwrap();
        drawn.figure.validate().unwrap();
        assert!(drawn.text.contains("Linearizable: yes"), "{}", drawn.text);
        let tiny = run("budget = 1\nc1 0 10 write 1\nc2 20 30 read 0\nc3 25 35 read 1").unwrap();
        assert!(tiny.text.contains("Linearizable: unknown"), "{}", tiny.text);
        tiny.figure.validate().unwrap();
    }
}
