//! The row-version simulator: a script of interleaved statements (the isolation chapter's
//! language) plus `vacuum` and `show` lines, run on the isolation chapter's MVCC engine, with
//! every row version drawn as PostgreSQL keeps it: its `xmin` and `xmax`, who sees it, and when
//! `VACUUM` may remove it. Plus a seeded "predict, then reveal" variant.

use std::fmt::Write as _;

use super::heap::{Heap, Holder, State, XmaxKind, initial_moment};
use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::input::Params;
use crate::isolation::engine::{self, Moment, Status, TxId};
use crate::isolation::script::{Level, Statement};
use crate::isolation::setup::{self, Setup};
use crate::isolation::trace::{Start, describe};
use crate::registry::{self, Drawn, Example, InputError, REVEAL_MARKER, Runs};
use crate::rng::Rng;

/// The drawing has a lane per tuple: a run may write at most this many.
pub const MAX_TUPLES: usize = 40;

const HELP: &str = "Optional `rows = 1:10 2:20` and `level = read committed | repeatable read | serializable`; \
    then lines `T1: statement` (begin [isolation level …], select * from test [where …] [for update], \
    insert into test values (3, 30), update test set value = … [where …], delete from test [where …], \
    commit, rollback; sessions T1 to T9), and the lines `vacuum` (remove what no snapshot can see) \
    and `show` (print the heap). At most 40 tuples.";

pub const EXAMPLE: Example = Example {
    id: "mvcc::versions",
    title: "Row versions: xmin, xmax, who sees which, and what VACUUM removes",
    file: file!(),
    default_input: "rows = 1:10 2:20 3:30
# T1 is a long report at repeatable read: its snapshot is taken at its first select.
T1: begin isolation level repeatable read
T1: select * from test
# Meanwhile, three autocommitted writes.
T2: update test set value = 11 where id = 1
T3: update test set value = 12 where id = 1
T4: delete from test where id = 2
vacuum
T1: select * from test
T1: commit
vacuum
",
    input_help: HELP,
    runs: Runs::Everywhere,
    run: registry::Run::Drawn(versions),
};

pub const PREDICT: Example = Example {
    id: "mvcc::versions_predict",
    title: "Predict, then reveal: what does this VACUUM remove?",
    file: file!(),
    default_input: "seed = 1\n",
    input_help: "`seed = N` (0 to 1000000) picks a script: a reader, a few writes, and a VACUUM.",
    runs: Runs::Everywhere,
    run: registry::Run::Text(predict),
};

/// One line of the script: a statement (by its index among the steps), or `vacuum` / `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Step(usize),
    Vacuum { line: usize },
    Show { line: usize },
}

/// What the drawing needs of the state after each item.
#[derive(Debug, Clone, Default)]
struct Frame {
    /// Per tuple: its state, `None` before it exists and after `VACUUM` removed it.
    tuples: Vec<Option<State>>,
    /// Per session (index 0 is T1): the transaction to show and how.
    sessions: Vec<Option<(String, SpanKind)>>,
}

/// A whole run.
struct Sim {
    setup: Setup,
    items: Vec<Item>,
    run: engine::Run,
    heap: Heap,
    frames: Vec<Frame>,
    /// Per step: what changed on the page.
    step_notes: Vec<Vec<String>>,
    /// Per item: the table a `vacuum` or `show` printed.
    tables: Vec<Option<String>>,
    /// Per item: the tuples a `vacuum` removed.
    removed: Vec<Vec<usize>>,
}

/// Reads the input: `vacuum` and `show` lines here, everything else through the isolation
/// chapter's setup (rows, level, statements).
fn read(input: &str) -> Result<(Setup, Vec<Item>), InputError> {
    let mut rest = String::new();
    let mut items = Vec::new();
    let mut statements = 0;
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.split("--").next().unwrap_or("").trim().trim_end_matches(';').trim();
        match text.to_ascii_lowercase().as_str() {
            "vacuum" => items.push(Item::Vacuum { line }),
            "show" => items.push(Item::Show { line }),
            _ => {
                if crate::isolation::script::is_statement_line(text) {
                    items.push(Item::Step(statements));
                    statements += 1;
                }
                rest.push_str(raw);
            }
        }
        rest.push('\n');
    }
    let setup = setup::read(&rest, true)?;
    if let Some(case) = setup.case
        && let Some(Item::Vacuum { line } | Item::Show { line }) =
            items.iter().find(|i| !matches!(i, Item::Step(_)))
    {
        return Err(InputError::at_line(
            *line,
            format!(
                "Hermitage's case {} has its own statements: write your own script to add `vacuum` or `show`",
                case.name
            ),
        ));
    }
    if setup.case.is_some() {
        items = (0..setup.script.steps.len()).map(Item::Step).collect();
    }
    // PostgreSQL runs read uncommitted as read committed; the engine's dirty reads are InnoDB's.
    let refuse = "this simulation shows PostgreSQL's heap, which has no read uncommitted: use read committed";
    if setup.level == Level::ReadUncommitted {
        let at = input.lines().position(|l| l.trim_start().starts_with("level")).map_or(1, |i| i + 1);
        return Err(InputError::at_line(at, refuse));
    }
    for step in &setup.script.steps {
        if matches!(
            step.statement,
            Statement::Begin { level: Some(Level::ReadUncommitted) }
                | Statement::SetIsolation(Level::ReadUncommitted)
        ) {
            return Err(InputError::at_line(step.line, refuse));
        }
    }
    Ok((setup, items))
}

/// The transaction of `session` to draw after step `step` (or after a `vacuum`, `step` None).
fn session_frame(m: &Moment<'_>, session: usize, acting: bool) -> Option<(String, SpanKind)> {
    let (_, tx) = m.txs.iter().enumerate().skip(1).rev().find(|(_, tx)| tx.session == session)?;
    if !acting && tx.status != Status::Active {
        return None;
    }
    let kind = match tx.status {
        _ if tx.waiting.is_some() => SpanKind::Wait,
        Status::Aborted => SpanKind::Lost,
        _ => SpanKind::Busy,
    };
    Some((tx.label.clone(), kind))
}

fn frame(heap: &Heap, m: &Moment<'_>, sessions: usize, acting: Option<usize>) -> Frame {
    Frame {
        tuples: (0..heap.tuples.len()).map(|t| (!heap.tuples[t].removed).then(|| heap.state(m, t))).collect(),
        sessions: (1..=sessions).map(|s| session_frame(m, s, acting == Some(s))).collect(),
    }
}

fn simulate(input: &str) -> Result<Sim, InputError> {
    let (setup, items) = read(input)?;
    let script = &setup.script;
    let sessions = script.sessions();
    let mut heap = Heap::new(&script.rows);
    let mut frames = vec![Frame::default(); items.len()];
    let mut tables = vec![None; items.len()];
    let mut removed = vec![Vec::new(); items.len()];
    let mut step_notes = vec![Vec::new(); script.steps.len()];
    let mut too_many: Option<usize> = None;

    // `vacuum` and `show` at item `p`, with the engine as `m` shows it.
    let mut maintenance = |p: usize,
                           heap: &mut Heap,
                           m: &Moment<'_>,
                           frames: &mut Vec<Frame>,
                           tables: &mut Vec<Option<String>>| {
        let gone = if matches!(items[p], Item::Vacuum { .. }) { heap.vacuum(m) } else { Vec::new() };
        tables[p] = Some(table(heap, m, matches!(items[p], Item::Vacuum { .. }), &gone));
        removed[p] = gone;
        frames[p] = frame(heap, m, sessions, None);
    };

    // Items before the first statement see the initial rows.
    let first = items.iter().position(|i| matches!(i, Item::Step(_))).unwrap_or(items.len());
    {
        let rows = script
            .rows
            .iter()
            .map(|&(id, v)| (id, vec![engine::Version { value: Some(v), creator: 0 }]))
            .collect();
        let locks = Default::default();
        let m = initial_moment(&rows, &locks, setup.level);
        for p in 0..first {
            maintenance(p, &mut heap, &m, &mut frames, &mut tables);
        }
    }
    let position: Vec<usize> =
        items.iter().enumerate().filter_map(|(p, i)| matches!(i, Item::Step(_)).then_some(p)).collect();
    let run = engine::run_observed(script, setup.level, &mut |m| {
        step_notes[m.step] = heap.observe(m);
        if heap.tuples.len() > MAX_TUPLES && too_many.is_none() {
            too_many = Some(m.step);
        }
        let p = position[m.step];
        frames[p] = frame(&heap, m, sessions, Some(script.steps[m.step].session));
        let mut q = p + 1;
        while q < items.len() && !matches!(items[q], Item::Step(_)) {
            maintenance(q, &mut heap, m, &mut frames, &mut tables);
            q += 1;
        }
    })?;
    if let Some(step) = too_many {
        return Err(InputError::at_line(
            script.steps[step].line,
            format!(
                "this statement takes the run past {MAX_TUPLES} tuples, more than the drawing shows: shorten the script"
            ),
        ));
    }
    Ok(Sim { setup, items, run, heap, frames, step_notes, tables, removed })
}

fn label(m: &Moment<'_>, tx: TxId) -> String {
    m.txs[tx].label.clone()
}

/// The open transactions, in order.
fn open(m: &Moment<'_>) -> Vec<TxId> {
    (1..m.txs.len()).filter(|&tx| m.txs[tx].status == Status::Active).collect()
}

// ANCHOR: table
/// The heap as a table: every tuple still on the page (and those this `VACUUM` removed), its
/// header, which running transactions (and a new one) would read it, and what VACUUM makes
/// of it.
fn table(heap: &Heap, m: &Moment<'_>, vacuum: bool, gone: &[usize]) -> String {
    let mut out = String::new();
    let horizon = heap.horizon(m);
    let holder = match horizon.holder {
        None => "nobody is running, so it is the next id to be handed out".to_string(),
        Some(Holder::Snapshot { tx, step }) => {
            format!("{}'s snapshot, taken at step {}", label(m, tx), step + 1)
        }
        Some(Holder::Xid { tx, step }) => {
            format!("{}'s own id, from its first write or lock at step {}", label(m, tx), step + 1)
        }
        Some(Holder::Statement { tx, step }) => {
            format!("{}'s waiting statement, started at step {}", label(m, tx), step + 1)
        }
    };
    let _ = writeln!(out, "horizon: transaction id {} ({holder})", horizon.xid);
    let _ = writeln!(out, "tuple  value  xmin  xmax         seen by       state");
    let readers: Vec<Option<TxId>> = open(m).into_iter().map(Some).chain([None]).collect();
    let mut order: Vec<usize> = (0..heap.tuples.len()).collect();
    order.sort_by_key(|&t| (heap.tuples[t].row, heap.tuples[t].version));
    for t in order {
        let tuple = &heap.tuples[t];
        let now = gone.contains(&t);
        if tuple.removed && !now {
            continue;
        }
        let xmax = heap.xmax(m, t).map_or("-".to_string(), |x| {
            let kind = match x.kind {
                XmaxKind::Updated => "update",
                XmaxKind::Deleted => "delete",
                XmaxKind::LockOnly => "lock",
            };
            let aborted = if m.txs[x.tx].status == Status::Aborted { "✗" } else { "" };
            format!("{}{aborted} {kind}", label(m, x.tx))
        });
        let seen: Vec<String> = readers
            .iter()
            .filter(|&&r| !now && heap.seen_by(m, r, t))
            .map(|&r| r.map_or("new".to_string(), |tx| label(m, tx)))
            .collect();
        let seen = if seen.is_empty() { "-".to_string() } else { seen.join(" ") };
        let state = if now {
            "removed".to_string()
        } else {
            match heap.state(m, t) {
                State::InsertInProgress => format!("being written by {}", label(m, tuple.xmin)),
                State::Live => "live".to_string(),
                State::DeleteInProgress => {
                    let x = heap.xmax(m, t).expect("a deleter");
                    format!("live until {} commits", label(m, x.tx))
                }
                State::RecentlyDead => {
                    let x = heap.xmax(m, t).expect("a deleter");
                    let readers: Vec<String> = open(m)
                        .into_iter()
                        .filter(|&r| heap.seen_by(m, Some(r), t))
                        .map(|r| label(m, r))
                        .collect();
                    if readers.is_empty() {
                        format!(
                            "dead, kept: xmax {} (id {}) is not older than the horizon",
                            label(m, x.tx),
                            heap.xid(x.tx).expect("a writer has an id")
                        )
                    } else {
                        format!("dead, kept: {} still reads it", readers.join(" and "))
                    }
                }
                State::Dead if vacuum => unreachable!("VACUUM removed it"),
                State::Dead => "dead: the next VACUUM removes it".to_string(),
            }
        };
        let _ = writeln!(
            out,
            "{:<6} {:>5}  {:<5} {:<12} {:<13} {state}",
            tuple.name,
            tuple.value,
            label(m, tuple.xmin),
            xmax,
            seen
        );
    }
    if vacuum {
        let names: Vec<&str> = gone.iter().map(|&t| heap.tuples[t].name.as_str()).collect();
        let kept = (0..heap.tuples.len())
            .filter(|&t| !heap.tuples[t].removed && heap.state(m, t) == State::RecentlyDead)
            .count();
        let _ = writeln!(
            out,
            "removed {} ({}); dead but kept: {kept}",
            gone.len(),
            if names.is_empty() { "nothing".to_string() } else { names.join(", ") }
        );
    }
    out
}
// ANCHOR_END: table

/// Width of the statement column.
const SQL_WIDTH: usize = 52;

fn report(sim: &Sim) -> String {
    let script = &sim.setup.script;
    let run = &sim.run;
    let vacuums = sim.items.iter().filter(|i| matches!(i, Item::Vacuum { .. })).count();
    let mut out = format!(
        "Row versions at {}: {} rows, {} statements, {} vacuum{}\n",
        sim.setup.level,
        script.rows.len(),
        script.steps.len(),
        vacuums,
        if vacuums == 1 { "" } else { "s" }
    );
    if !sim.setup.level_given {
        out.push_str("(no `level` given: read committed, PostgreSQL's default)\n");
    }
    let initial: Vec<String> = sim
        .heap
        .tuples
        .iter()
        .filter(|t| t.born.is_none())
        .map(|t| format!("{} = {}", t.name, t.value))
        .collect();
    let _ = writeln!(out, "the heap before: {} (xmin T0, transaction id 1)\n", initial.join(", "));
    for (p, item) in sim.items.iter().enumerate() {
        match *item {
            Item::Step(i) => {
                let step = &script.steps[i];
                let record = &run.trace.steps[i];
                let status = match (record.start, record.finished_at) {
                    (_, Some(at)) if at == i => {
                        describe(&step.statement, record.result.as_ref().expect("finished"))
                    }
                    (Start::Queued, _) => "queued behind its blocked statement".to_string(),
                    _ => "blocked".to_string(),
                };
                let _ = writeln!(out, "{:>2} T{} {:<SQL_WIDTH$} {status}", i + 1, step.session, step.text());
                let engine_notes = run.notes.iter().filter(|(at, _)| *at == i).map(|(_, n)| n);
                for note in engine_notes.chain(&sim.step_notes[i]) {
                    let _ = writeln!(out, "      · {note}");
                }
                for (j, other) in run.trace.steps.iter().enumerate() {
                    if j < i && other.finished_at == Some(i) {
                        let earlier = &script.steps[j];
                        let text = format!("↳ step {}: {}", j + 1, earlier.text());
                        let result = describe(&earlier.statement, other.result.as_ref().expect("finished"));
                        let _ = writeln!(out, "   T{} {text:<SQL_WIDTH$} {result}", earlier.session);
                    }
                }
            }
            Item::Vacuum { .. } | Item::Show { .. } => {
                let what = if matches!(item, Item::Vacuum { .. }) { "VACUUM" } else { "the heap" };
                let _ = writeln!(out, "\n-- {what} --");
                out.push_str(sim.tables[p].as_deref().unwrap_or(""));
                out.push('\n');
            }
        }
    }
    let never: Vec<String> = run
        .trace
        .steps
        .iter()
        .enumerate()
        .filter(|(_, r)| r.finished_at.is_none())
        .map(|(j, _)| (j + 1).to_string())
        .collect();
    if !never.is_empty() {
        let _ = writeln!(out, "   still waiting at the end: step {}", never.join(", "));
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    let last = sim.frames.last().map(|f| f.tuples.clone()).unwrap_or_default();
    let on_page = last.iter().filter(|s| s.is_some()).count();
    let dead = last.iter().filter(|s| matches!(s, Some(State::Dead | State::RecentlyDead))).count();
    let _ = writeln!(
        out,
        "\nat the end: {} tuples written in all, {} removed by VACUUM, {on_page} on the page, {dead} of them dead",
        sim.heap.tuples.len(),
        sim.heap.tuples.iter().filter(|t| t.removed).count(),
    );
    out
}

// ANCHOR: example
/// Runs the script on the isolation chapter's engine, watching the heap after every step.
fn versions(input: &str) -> Result<Drawn, InputError> {
    let sim = simulate(input)?;
    Ok(Drawn { text: report(&sim), figure: draw(&sim) })
}
// ANCHOR_END: example

fn state_span(state: State) -> (&'static str, SpanKind) {
    match state {
        State::InsertInProgress => ("writing", SpanKind::Overhead),
        State::Live => ("live", SpanKind::Busy),
        State::DeleteInProgress => ("xmax running", SpanKind::Overhead),
        State::RecentlyDead => ("dead, kept", SpanKind::Wait),
        State::Dead => ("dead", SpanKind::Lost),
    }
}

/// Lanes: one per session (its transactions), one per tuple (live, dead but kept, dead,
/// removed), and one for VACUUM; each script line is one unit of the axis.
fn draw(sim: &Sim) -> Figure {
    let script = &sim.setup.script;
    let n = sim.items.len();
    let mut lanes: Vec<Lane> = Vec::new();
    // Run-length encodes (label, kind) per item into spans.
    let spans_of = |cells: &[Option<(String, SpanKind)>]| -> Vec<Span> {
        let mut spans: Vec<Span> = Vec::new();
        for (p, cell) in cells.iter().enumerate() {
            let Some((label, kind)) = cell else { continue };
            match spans.last_mut() {
                Some(last) if last.end == p as f64 && &last.label == label && last.kind == *kind => {
                    last.end = p as f64 + 1.0;
                }
                _ => spans.push(Span {
                    start: p as f64,
                    end: p as f64 + 1.0,
                    label: label.clone(),
                    kind: *kind,
                }),
            }
        }
        spans
    };
    for s in 0..script.sessions() {
        let cells: Vec<_> = sim.frames.iter().map(|f| f.sessions.get(s).cloned().flatten()).collect();
        lanes.push(Lane { name: format!("T{}", s + 1), spans: spans_of(&cells) });
    }
    let mut order: Vec<usize> = (0..sim.heap.tuples.len()).collect();
    order.sort_by_key(|&t| (sim.heap.tuples[t].row, sim.heap.tuples[t].version));
    for t in order {
        let tuple = &sim.heap.tuples[t];
        let cells: Vec<_> = sim
            .frames
            .iter()
            .map(|f| {
                f.tuples.get(t).copied().flatten().map(|s| {
                    let (label, kind) = state_span(s);
                    (label.to_string(), kind)
                })
            })
            .collect();
        lanes.push(Lane { name: format!("{} = {}", tuple.name, tuple.value), spans: spans_of(&cells) });
    }
    let vacuum_cells: Vec<_> = sim
        .items
        .iter()
        .enumerate()
        .map(|(p, i)| {
            matches!(i, Item::Vacuum { .. })
                .then(|| (format!("−{}", sim.removed[p].len()), SpanKind::Overhead))
        })
        .collect();
    if vacuum_cells.iter().any(Option::is_some) {
        lanes.push(Lane { name: "VACUUM".to_string(), spans: spans_of(&vacuum_cells) });
    }
    let mut steps = Vec::new();
    for (p, item) in sim.items.iter().enumerate() {
        let text = match *item {
            Item::Step(i) => {
                let step = &script.steps[i];
                let record = &sim.run.trace.steps[i];
                let result = match (record.finished_at, &record.result) {
                    (Some(at), Some(result)) if at == i => describe(&step.statement, result),
                    _ => "waits".to_string(),
                };
                let mut text = format!("{}. T{} {}: {result}", i + 1, step.session, step.text());
                for note in &sim.step_notes[i] {
                    let _ = write!(text, "; {note}");
                }
                text
            }
            Item::Vacuum { .. } => {
                let names: Vec<&str> =
                    sim.removed[p].iter().map(|&t| sim.heap.tuples[t].name.as_str()).collect();
                format!(
                    "VACUUM removes {}",
                    if names.is_empty() { "nothing".to_string() } else { names.join(", ") }
                )
            }
            Item::Show { .. } => "the heap, as printed in the text".to_string(),
        };
        let marks = Mark::spans_starting_at(&lanes, p as f64);
        steps.push(Step { at: p as f64, text, marks });
    }
    let _ = n;
    Figure::Timeline {
        title: format!("Row versions at {}", sim.setup.level),
        unit: "script lines".to_string(),
        lanes,
        steps,
    }
}

// ANCHOR: predict
/// A script from `seed`: a reader that may hold a snapshot (or a transaction id), a few
/// autocommitted writes, perhaps the reader's commit, then `VACUUM`.
fn generate(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut lines = vec!["rows = 1:10 2:20 3:30".to_string()];
    let mut deleted: Vec<u64> = Vec::new();
    // An autocommitted write by T2 or T3 on row 1 or 2 (a deleted row is left alone).
    let mut write = |rng: &mut Rng, lines: &mut Vec<String>| {
        let session = rng.range(2, 3);
        let row = rng.range(1, 2);
        if deleted.contains(&row) {
            return;
        }
        if rng.chance(0.25) {
            deleted.push(row);
            lines.push(format!("T{session}: delete from test where id = {row}"));
        } else {
            lines.push(format!("T{session}: update test set value = value + 1 where id = {row}"));
        }
    };
    for _ in 0..rng.range(0, 2) {
        write(&mut rng, &mut lines);
    }
    let repeatable = rng.chance(0.5);
    lines.push(if repeatable {
        "T1: begin isolation level repeatable read".to_string()
    } else {
        "T1: begin".to_string()
    });
    lines.push("T1: select * from test".to_string());
    if rng.chance(0.3) {
        lines.push("T1: update test set value = value + 100 where id = 3".to_string());
    }
    for _ in 0..rng.range(1, 3) {
        write(&mut rng, &mut lines);
    }
    let commit_first = rng.chance(0.3);
    if commit_first {
        lines.push("T1: commit".to_string());
    }
    lines.push("vacuum".to_string());
    if !commit_first {
        lines.push("T1: commit".to_string());
    }
    lines.join("\n") + "\n"
}

fn predict(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let seed = params.number_or("seed", 0u64, 1_000_000, 1)?;
    let script = generate(seed);
    let sim = simulate(&script).map_err(|e| InputError::new(format!("seed {seed}: {}", e.message)))?;
    let mut out = format!("Predict, then reveal: seed {seed}\n\n");
    for line in script.lines() {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str(
        "\nBefore you look: which tuples (row versions) are on the page when VACUUM runs, what are\n\
         their xmin and xmax, and which does VACUUM remove? Which dead ones must it keep, and why?\n",
    );
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    out.push_str(&report(&sim));
    Ok(out)
}
// ANCHOR_END: predict

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_keeps_dead_versions_for_the_long_report_and_removes_them_after() {
        let text = versions(EXAMPLE.default_input).unwrap().text;
        // The first VACUUM: T1's snapshot holds the horizon; 1v2 is seen by nobody, but kept.
        assert!(text.contains("horizon: transaction id 2 (T1's snapshot, taken at step 2)"), "{text}");
        assert!(
            text.contains("1v1       10  T0    T2 update    T1            dead, kept: T1 still reads it"),
            "{text}"
        );
        assert!(text.contains("1v2       11  T2    T3 update    -             dead, kept: xmax T3 (id 3) is not older than the horizon"), "{text}");
        assert!(text.contains("removed 0 (nothing); dead but kept: 3"), "{text}");
        // After T1's commit, all three go.
        assert!(text.contains("removed 3 (1v1, 1v2, 2v1); dead but kept: 0"), "{text}");
        let six = text.lines().find(|l| l.starts_with(" 6 T1 select * from test")).unwrap_or_default();
        assert!(six.ends_with(" 1 => 10, 2 => 20, 3 => 30"), "{text}");
    }

    /// Runs `input` with `vacuum` after every step, and checks at every moment from then on
    /// that no removed tuple is read by a running transaction or by a new one. Returns the
    /// first violation: the step, the tuple and who read it.
    fn read_after_removal(input: &str, vacuum: fn(&mut Heap, &Moment<'_>)) -> Option<String> {
        let (setup, _) = read(input).unwrap();
        let mut heap = Heap::new(&setup.script.rows);
        let mut found = None;
        let mut check = |heap: &Heap, m: &Moment<'_>, when: &str| {
            let readers: Vec<Option<TxId>> = open(m).into_iter().map(Some).chain([None]).collect();
            for t in (0..heap.tuples.len()).filter(|&t| heap.tuples[t].removed) {
                for &r in &readers {
                    if found.is_none() && heap.seen_by(m, r, t) {
                        let who = r.map_or("a new transaction".to_string(), |tx| label(m, tx));
                        found = Some(format!(
                            "{when} step {}: {who} reads removed {}",
                            m.step + 1,
                            heap.tuples[t].name
                        ));
                    }
                }
            }
        };
        engine::run_observed(&setup.script, setup.level, &mut |m| {
            heap.observe(m);
            check(&heap, m, "after");
            vacuum(&mut heap, m);
            check(&heap, m, "vacuum after");
        })
        .unwrap();
        found
    }

    /// The scripts the check runs: the default, the variants "Things to try" suggests, and
    /// 200 generated ones.
    fn scripts() -> Vec<String> {
        let default = EXAMPLE.default_input.to_string();
        let mut all = vec![
            default.clone(),
            default.replace("T1: begin isolation level repeatable read", "T1: begin"),
            default.replace(
                "T1: select * from test\n# Meanwhile",
                "T1: select * from test\nT1: update test set value = 0 where id = 3\n# Meanwhile",
            ),
            format!("{default}T5: begin\nT5: update test set value = 99 where id = 1\nT5: rollback\n"),
            format!("{default}T5: begin\nT5: select * from test where id = 3 for update\n"),
        ];
        all.extend((0..200).map(generate));
        all
    }

    #[test]
    fn no_tuple_vacuum_removed_is_read_again() {
        // At every moment after a VACUUM removed a tuple, no running transaction and no new
        // one reads it: removing it changed nothing anyone can see.
        for script in scripts() {
            let found = read_after_removal(&script, |heap, m| {
                heap.vacuum(m);
            });
            assert_eq!(found, None, "{script}");
        }
    }

    #[test]
    fn the_check_catches_a_vacuum_that_ignores_the_horizon() {
        // The same check, with a VACUUM that removes every tuple whose deleter committed,
        // as if nobody held the horizon back: it must fail, or it proves nothing.
        let careless = |heap: &mut Heap, m: &Moment<'_>| {
            for t in 0..heap.tuples.len() {
                if matches!(heap.state(m, t), State::Dead | State::RecentlyDead) {
                    heap.tuples[t].removed = true;
                }
            }
        };
        let found = read_after_removal(EXAMPLE.default_input, careless);
        assert_eq!(found.as_deref(), Some("vacuum after step 3: T1 reads removed 1v1"));
        let caught = scripts().iter().filter(|s| read_after_removal(s, careless).is_some()).count();
        assert!(caught >= 20, "only {caught} scripts caught");
    }

    #[test]
    fn the_figure_validates_and_has_a_lane_per_tuple() {
        let drawn = versions(EXAMPLE.default_input).unwrap();
        drawn.figure.validate().unwrap();
        let Figure::Timeline { lanes, .. } = &drawn.figure else { panic!("a timeline") };
        let names: Vec<&str> = lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["T1", "T2", "T3", "T4", "1v1 = 10", "1v2 = 11", "1v3 = 12", "2v1 = 20", "3v1 = 30", "VACUUM"]
        );
        for seed in 0..50 {
            versions(&generate(seed)).unwrap().figure.validate().unwrap();
        }
    }

    #[test]
    fn predict_hides_the_answer() {
        let text = predict(PREDICT.default_input).unwrap();
        let (question, answer) = text.split_once(REVEAL_MARKER).unwrap();
        assert!(!question.contains("removed"), "{question}");
        assert!(answer.contains("-- VACUUM --"), "{answer}");
    }

    #[test]
    fn bad_input_names_its_line() {
        let cases = [
            (
                "T1: begin\nvacum",
                "input line 2: expected a statement such as `T1: begin` or a setting such as `level = serializable`",
            ),
            (
                "level = read uncommitted\nT1: begin",
                "input line 1: this simulation shows PostgreSQL's heap, which has no read uncommitted: use read committed",
            ),
            (
                "T1: begin isolation level read uncommitted",
                "input line 1: this simulation shows PostgreSQL's heap, which has no read uncommitted: use read committed",
            ),
            (
                "case = P4\nvacuum",
                "input line 2: Hermitage's case P4 has its own statements: write your own script to add `vacuum` or `show`",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(versions(input).unwrap_err().to_string(), expected, "{input}");
        }
        let many: String =
            (0..45).map(|i| format!("T1: update test set value = {i} where id = 1\n")).collect();
        let err = versions(&many).unwrap_err();
        assert!(err.message.contains("past 40 tuples"), "{err}");
    }

    #[test]
    fn mutated_inputs_never_panic() {
        for text in super::super::mutated_scripts(EXAMPLE.default_input, 3000) {
            if let Ok(drawn) = versions(&text) {
                drawn.figure.validate().unwrap_or_else(|e| panic!("{text}: {e}"));
            }
        }
    }
}
