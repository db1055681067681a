//! The isolation stepper: one script (a Hermitage case or your own) at one level, step by
//! step: what each statement returned, who waited for whom, who failed and why, and at the end
//! the anomaly named from the serialization graph. Plus a "predict, then reveal" variant.

use std::fmt::Write as _;

use super::dsg::analyse;
use super::engine::{Run, run};
use super::hermitage::Verdict;
use super::observed::Observations;
use super::script::Statement;
use super::setup::{self, Setup};
use super::trace::{Cause, Failure, Response, Start, describe, render_with_notes, rows_text};
use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::real_servers::Server;
use crate::registry::{self, Drawn, Example, InputError, REVEAL_MARKER, Runs};

pub const EXAMPLE: Example = Example {
    id: "isolation::stepper",
    title: "The isolation stepper: a Hermitage case or your own script, at the level you pick",
    file: file!(),
    default_input: "case = P4\nlevel = read committed\n",
    input_help: setup::HELP,
    runs: Runs::Everywhere,
    run: registry::Run::Drawn(stepper),
};

pub const PREDICT: Example = Example {
    id: "isolation::stepper_predict",
    title: "Predict, then reveal: what happens to this script at this level?",
    file: file!(),
    default_input: "case = G2-item\nlevel = repeatable read\n",
    input_help: setup::HELP,
    runs: Runs::Everywhere,
    run: registry::Run::Text(predict),
};

// ANCHOR: example
/// One script at one level: run it on the engine, then explain it and draw it.
fn stepper(input: &str) -> Result<Drawn, InputError> {
    let setup = setup::read(input, true)?;
    let run = run(&setup.script, setup.level)?;
    Ok(Drawn { text: report(&setup, &run), figure: draw(&setup, &run) })
}
// ANCHOR_END: example

// ANCHOR: predict
fn predict(input: &str) -> Result<String, InputError> {
    let setup = setup::read(input, true)?;
    let run = run(&setup.script, setup.level)?;
    let mut out = format!("Predict, then reveal: {}\n\n", heading(&setup));
    let _ = writeln!(out, "table before: {}\n", rows_text(&setup.script.rows));
    for (i, step) in setup.script.steps.iter().enumerate() {
        let _ = writeln!(out, "{:>2} T{} {}", i + 1, step.session, step.text());
    }
    out.push_str(
        "\nBefore you look: what does each select return? Which statements wait for a lock, and until\n\
         when? Which transaction fails, at which step, and why? What is in the table at the end?\n",
    );
    if let Some(case) = setup.case {
        let _ = writeln!(out, "Does the anomaly happen: {}?", case.looks_like);
    }
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    out.push_str(&report(&setup, &run));
    Ok(out)
}
// ANCHOR_END: predict

fn heading(setup: &Setup) -> String {
    match setup.case {
        Some(case) => format!("Hermitage case {} ({}) at {}", case.name, case.title, setup.level),
        None => format!("your script at {}", setup.level),
    }
}

/// The stepper's text: the steps with explanations, the table after, the serialization graph
/// and the anomalies, and for a Hermitage case what the papers and the servers say.
pub fn report(setup: &Setup, run: &Run) -> String {
    let mut out = heading(setup);
    out.push('\n');
    if !setup.level_given {
        out.push_str("(no `level` given: read committed, PostgreSQL's default)\n");
    }
    if let Some(case) = setup.case {
        let _ = writeln!(out, "the anomaly would look like this: {}", case.looks_like);
    }
    let _ = writeln!(out, "\ntable before: {}\n", rows_text(&setup.script.rows));
    let notes = |step: usize| -> Vec<String> {
        run.notes.iter().filter(|(at, _)| *at == step).map(|(_, text)| text.clone()).collect()
    };
    out.push_str(&render_with_notes(&run.script, &run.trace, "", &notes));
    let _ = writeln!(out, "\ntable after: {}", rows_text(&run.final_rows));

    let analysis = analyse(&run.history);
    out.push_str("\nserialization graph of the committed transactions:\n");
    let edges = analysis.edge_lines();
    if edges.is_empty() {
        out.push_str("  (no edges)\n");
    }
    for line in edges {
        let _ = writeln!(out, "  {line}");
    }
    out.push('\n');
    out.push_str(&analysis.summary());

    if let Some(case) = setup.case {
        let verdict = case.verdict(&run.script, &run.trace);
        let probes: Vec<&str> = case.probes.iter().map(|p| p.name()).collect();
        let _ = writeln!(
            out,
            "\nHermitage's case {} probes for {}: here it is {}.",
            case.name,
            probes.join(" or "),
            match verdict {
                Verdict::Anomaly => "an anomaly",
                Verdict::Prevented => "prevented",
            }
        );
        let published =
            |v: Option<Verdict>| v.map_or("no result of its own (runs as read committed)", Verdict::word);
        let _ = writeln!(
            out,
            "Hermitage's published results at {}: PostgreSQL {}; MySQL/InnoDB {}.",
            setup.level,
            published(case.published_postgres(setup.level)),
            published(case.published_mysql(setup.level))
        );
        let observed = Observations::checked_in();
        let recorded: Vec<String> = Server::ALL
            .iter()
            .filter_map(|&server| {
                let r = observed.get(server, case.name, setup.level)?;
                Some(format!(
                    "{} {} {}",
                    server.name(),
                    observed.version(server).unwrap_or("?"),
                    r.verdict.word()
                ))
            })
            .collect();
        if !recorded.is_empty() {
            let _ = writeln!(out, "Recorded on the real servers: {}.", recorded.join("; "));
        }
    }
    out
}

/// A short label for a span (the figure draws it only if it fits).
fn short(statement: &Statement, result: &Result<Response, Failure>) -> String {
    match result {
        Ok(Response::Begin) => "begin".into(),
        Ok(Response::Set) => "set".into(),
        Ok(Response::Commit) => "commit".into(),
        Ok(Response::Rollback) => "rollback".into(),
        Ok(Response::RolledBack) => "rolled back".into(),
        Ok(Response::Rows(rows)) if rows.is_empty() => "read ∅".into(),
        Ok(Response::Rows(rows)) => {
            let cells: Vec<String> = rows.iter().map(|(id, v)| format!("{id}={v}")).collect();
            format!("read {}", cells.join(" "))
        }
        Ok(Response::Count(n)) => match statement {
            Statement::Insert { .. } => format!("insert {n}"),
            Statement::Delete { .. } => format!("delete {n}"),
            _ => format!("update {n}"),
        },
        Err(Failure::Serialization(Cause::ConcurrentUpdate)) => "40001 update".into(),
        Err(Failure::Serialization(Cause::RwDependencies)) => "40001 rw".into(),
        Err(Failure::Deadlock) => "deadlock".into(),
        Err(Failure::LockTimeout) => "timeout".into(),
        Err(Failure::Duplicate) => "duplicate".into(),
        Err(Failure::Ignored) => "ignored".into(),
        Err(Failure::Other(_)) => "error".into(),
    }
}

/// One lane per session, one unit per step: a statement's result as a span, the time it waited
/// for a lock as a waiting span; failures and rolled-back commits as lost work. Its steps replay
/// the script: each statement as it is issued (when it blocks) and each result as it arrives.
pub fn draw(setup: &Setup, run: &Run) -> Figure {
    let steps = &run.script.steps;
    let n = steps.len();
    let sessions = run.script.sessions();
    let mut lanes: Vec<Lane> =
        (1..=sessions).map(|s| Lane { name: format!("T{s}"), spans: Vec::new() }).collect();
    // The replay: (time, rank within the step, text, the span it marks as (lane, index before
    // the lanes are sorted)).
    type Replayed = (f64, u8, String, Option<(usize, usize)>);
    let mut replay: Vec<Replayed> = Vec::new();
    let notes = |i: usize| -> String {
        run.notes.iter().filter(|(at, _)| *at == i).map(|(_, text)| format!("; {text}")).collect()
    };
    // Results that arrive during step `at` in one lane share that unit of time.
    let mut arrivals: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); n]; sessions];
    for (i, (step, record)) in steps.iter().zip(&run.trace.steps).enumerate() {
        let lane = step.session - 1;
        let issued = format!("{}. T{} {}", i + 1, step.session, step.text());
        let waits = match record.finished_at {
            Some(at) => {
                arrivals[lane][at].push(i);
                (record.start == Start::Blocked && at > i).then_some((at as f64, "waits for a lock"))
            }
            None => Some((n as f64, "still waiting")),
        };
        if let Some((end, label)) = waits {
            let index = (lane, lanes[lane].spans.len());
            lanes[lane].spans.push(Span { start: i as f64, end, label: label.into(), kind: SpanKind::Wait });
            replay.push((i as f64, 0, format!("{issued}: blocked{}", notes(i)), Some(index)));
        } else if record.finished_at != Some(i) {
            replay.push((
                i as f64,
                0,
                format!("{issued}: queued behind its blocked statement{}", notes(i)),
                None,
            ));
        }
    }
    for (lane, per_step) in arrivals.iter().enumerate() {
        for (at, finished) in per_step.iter().enumerate() {
            let width = 1.0 / finished.len().max(1) as f64;
            for (k, &i) in finished.iter().enumerate() {
                let result = run.trace.steps[i].result.as_ref().expect("finished");
                let lost = matches!(result, Err(_) | Ok(Response::RolledBack));
                let start = at as f64 + k as f64 * width;
                let index = (lane, lanes[lane].spans.len());
                lanes[lane].spans.push(Span {
                    start,
                    end: at as f64 + (k + 1) as f64 * width,
                    label: short(&steps[i].statement, result),
                    kind: if lost { SpanKind::Lost } else { SpanKind::Busy },
                });
                let step = &steps[i];
                let text = if i == at {
                    format!(
                        "{}. T{} {}: {}{}",
                        i + 1,
                        step.session,
                        step.text(),
                        describe(&step.statement, result),
                        notes(at)
                    )
                } else {
                    format!(
                        "{}. T{} ↳ step {}: {}: {}",
                        at + 1,
                        step.session,
                        i + 1,
                        step.text(),
                        describe(&step.statement, result)
                    )
                };
                replay.push((start, if i == at { 1 } else { 2 }, text, Some(index)));
            }
        }
    }
    // Sort each lane's spans by time, and point the marks at their new places.
    let mut moved: Vec<Vec<usize>> = Vec::new();
    for lane in &mut lanes {
        let mut order: Vec<usize> = (0..lane.spans.len()).collect();
        order.sort_by(|&a, &b| lane.spans[a].start.total_cmp(&lane.spans[b].start));
        let mut new_index = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_index[old] = new;
        }
        let spans = std::mem::take(&mut lane.spans);
        lane.spans = order.iter().map(|&old| spans[old].clone()).collect();
        moved.push(new_index);
    }
    // Within one step: what was issued, its own result, then the results of statements it
    // unblocked.
    replay.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let steps = replay
        .into_iter()
        .map(|(at, _, text, mark)| Step {
            at,
            text,
            marks: mark.map(|(lane, old)| Mark::Span { lane, span: moved[lane][old] }).into_iter().collect(),
        })
        .collect();
    Figure::Timeline { title: heading(setup), unit: "steps".to_string(), lanes, steps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_shows_a_wait_and_names_the_lost_update() {
        let text = stepper(EXAMPLE.default_input).unwrap().text;
        assert!(text.contains("T2 waits: T1 holds the lock on row 1"), "{text}");
        assert!(text.contains("P4 (lost update)"), "{text}");
        assert!(text.contains("here it is an anomaly"), "{text}");
        let rr = stepper("case = P4\nlevel = repeatable read").unwrap().text;
        assert!(rr.contains("first updater wins") && rr.contains("here it is prevented"), "{rr}");
    }

    #[test]
    fn the_figure_has_a_lane_per_session_with_waits_and_failures() {
        let figure = figure_of("case = P4\nlevel = serializable");
        figure.validate().unwrap();
        let Figure::Timeline { lanes, unit, .. } = figure else { panic!("a timeline") };
        assert_eq!(unit, "steps");
        assert_eq!(lanes.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["T1", "T2"]);
        assert!(lanes[1].spans.iter().any(|s| s.kind == SpanKind::Wait));
        assert!(lanes[1].spans.iter().any(|s| s.kind == SpanKind::Lost && s.label == "40001 update"));
        for case in super::super::hermitage::CASES {
            for level in super::super::script::Level::ALL {
                let input = format!("case = {}\nlevel = {level}", case.name);
                figure_of(&input).validate().unwrap_or_else(|e| panic!("{input}: {e}"));
            }
        }
    }

    fn figure_of(input: &str) -> Figure {
        stepper(input).unwrap().figure
    }

    #[test]
    fn predict_hides_the_answer_behind_the_marker() {
        let text = predict(PREDICT.default_input).unwrap();
        assert_eq!(text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
        let (question, answer) = text.split_once(REVEAL_MARKER).unwrap();
        assert!(!question.contains("COMMIT") && !question.contains("ERROR"), "{question}");
        assert!(answer.contains("ERROR") || answer.contains("G2-item"), "{answer}");
    }

    #[test]
    fn custom_scripts_run_and_bad_ones_name_their_line() {
        let text = stepper(
            "rows = 1:1 2:1\nlevel = serializable\nT1: begin\nT2: begin\n\
             T1: select * from test where value = 1\nT2: select * from test where value = 1\n\
             T1: update test set value = 0 where id = 1\nT2: update test set value = 0 where id = 2\n\
             T1: commit\nT2: commit",
        )
        .unwrap()
        .text;
        assert!(text.starts_with("your script at serializable"), "{text}");
        assert!(text.contains("ERROR serialization failure: read/write dependencies"), "{text}");
        let err = stepper("T1: begin\nT1: selec * from test").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
