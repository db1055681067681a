//! The graph example: a Cypher script (a `CREATE` that builds the graph, then queries) run by
//! the chapter's engine, printing every match of each pattern, which ones `WHERE` kept, and
//! the rows; the last query's kept matches are drawn as paths from node to node.

use std::fmt::Write as _;

use super::cypher::{StatementKind, parse};
use super::graph::{Answer, Graph, path_text, run_query, table};
use crate::figure::{Figure, Mark, Message, Note, Step};
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "datamodels::cypher",
    title: "A small Cypher engine: friends of friends, and who is within three hops",
    file: file!(),
    default_input: concat!(
        // The dataset's graph form (`social::cypher()`, checked by a test), then the queries.
        "CREATE
  (ann:Person {name: 'Ann', city: 'Oslo'}),
  (bob:Person {name: 'Bob', city: 'Lima'}),
  (cat:Person {name: 'Cat', city: 'Oslo'}),
  (dan:Person {name: 'Dan', city: 'Pune'}),
  (eve:Person {name: 'Eve', city: 'Lima'}),
  (fay:Person {name: 'Fay', city: 'Oslo'}),
  (p1:Post {title: 'B-trees by hand', topic: 'databases'}),
  (p2:Post {title: 'Trail to Preikestolen', topic: 'hiking'}),
  (p3:Post {title: 'Borrowing without tears', topic: 'rust'}),
  (p4:Post {title: 'JSONB or tables?', topic: 'databases'}),
  (p5:Post {title: 'Async Rust in practice', topic: 'rust'}),
  (p6:Post {title: 'Ceviche for ten', topic: 'cooking'}),
  (ann)-[:FRIEND {since: 2015}]->(bob),
  (ann)-[:FRIEND {since: 2018}]->(cat),
  (bob)-[:FRIEND {since: 2016}]->(cat),
  (bob)-[:FRIEND {since: 2019}]->(dan),
  (cat)-[:FRIEND {since: 2018}]->(ann),
  (cat)-[:FRIEND {since: 2020}]->(dan),
  (dan)-[:FRIEND {since: 2021}]->(eve),
  (eve)-[:FRIEND {since: 2022}]->(fay),
  (ann)-[:WROTE]->(p1),
  (ann)-[:WROTE]->(p2),
  (bob)-[:WROTE]->(p3),
  (cat)-[:WROTE]->(p4),
  (dan)-[:WROTE]->(p5),
  (eve)-[:WROTE]->(p6);
",
        "
// Friends of friends: two FRIEND hops from Ann, not back to Ann.
MATCH (a:Person {name: 'Ann'})-[:FRIEND]->(b)-[:FRIEND]->(c)
WHERE c <> a
RETURN DISTINCT c.name;

// Those who are not Ann's friends already, and what they write.
MATCH (a:Person {name: 'Ann'})-[:FRIEND]->()-[:FRIEND]->(c)-[:WROTE]->(p:Post)
WHERE c <> a AND NOT (a)-[:FRIEND]->(c)
RETURN DISTINCT c.name, p.title;

// Everyone within three hops (the drawing shows this last query's paths).
MATCH (a:Person {name: 'Ann'})-[:FRIEND*1..3]->(c)
WHERE c <> a
RETURN DISTINCT c.name ORDER BY c.name;
"
    ),
    input_help: "A Cypher script, statements separated by `;`: CREATE patterns build the graph, then \
MATCH … [WHERE …] RETURN [DISTINCT] … [ORDER BY …] [LIMIT n] queries; `//` comments. \
Patterns: (v:Label {key: 'value'}), -[:TYPE]->, <-[:TYPE]-, -[:A|B]-, -[:TYPE*1..3]->, p = (…)…",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// How many matches a query lists, and how many rows it prints.
const SHOWN_MATCHES: usize = 24;
const SHOWN_ROWS: usize = 50;
/// How many kept matches the drawing shows.
const DRAWN_MATCHES: usize = 10;

pub(super) fn run(input: &str) -> Result<Drawn, InputError> {
    let statements = parse(input)?;
    if statements.is_empty() {
        return Err(InputError::new("the script is empty: write a CREATE, then a MATCH … RETURN …"));
    }
    // ANCHOR: example
    let mut g = Graph::default();
    let mut out = String::new();
    let mut last: Option<Answer> = None;
    for s in &statements {
        match &s.kind {
            StatementKind::Create(patterns) => {
                let c = g.create(patterns)?;
                let _ = writeln!(
                    out,
                    "CREATE: added {} nodes ({} labels), created {} relationships, set {} properties\n",
                    c.nodes, c.labels, c.rels, c.props
                );
            }
            StatementKind::Query(q) => {
                let answer = run_query(&g, q, s.pos)?;
                for (i, line) in s.text.lines().enumerate() {
                    let _ =
                        writeln!(out, "{}{}", if i == 0 { "cypher> " } else { "   ...> " }, line.trim_end());
                }
                let kept = answer.matches.iter().filter(|(_, k)| *k).count();
                let n = answer.matches.len();
                let _ = write!(out, "{n} match{} of the pattern", if n == 1 { "" } else { "es" });
                if q.filter.is_some() {
                    let _ = write!(out, "; WHERE kept {kept}");
                }
                out.push('\n');
                for (m, k) in answer.matches.iter().take(SHOWN_MATCHES) {
                    let paths: Vec<String> = m.paths.iter().map(|p| path_text(&g, p)).collect();
                    let _ =
                        writeln!(out, "  {:<8} {}", if *k { "kept" } else { "dropped" }, paths.join(", "));
                }
                if n > SHOWN_MATCHES {
                    let _ = writeln!(out, "  … {} more matches", n - SHOWN_MATCHES);
                }
                let t = table(&g, &answer.columns, &answer.rows, SHOWN_ROWS);
                out.push_str(t.trim_end());
                if answer.duplicates > 0 {
                    let d = answer.duplicates;
                    let _ = write!(out, " (DISTINCT removed {d} duplicate{})", if d == 1 { "" } else { "s" });
                }
                out.push_str("\n\n");
                last = Some(answer);
            }
        }
    }
    // ANCHOR_END: example
    let figure = draw(&g, last.as_ref());
    Ok(Drawn { text: out.trim_end().to_string() + "\n", figure })
}

// ANCHOR: draw
/// The last query's kept matches as a sequence diagram: a lifeline per node they pass through,
/// and each match's walk as arrows from node to node, one step per hop.
fn draw(g: &Graph, answer: Option<&Answer>) -> Figure {
    let kept: Vec<_> =
        answer.map(|a| a.matches.iter().filter(|(_, k)| *k).map(|(m, _)| m).collect()).unwrap_or_default();
    let drawn = &kept[..kept.len().min(DRAWN_MATCHES)];
    let mut nodes: Vec<usize> =
        drawn.iter().flat_map(|m| m.paths.iter().flat_map(|p| p.nodes.iter().copied())).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let mut parties: Vec<String> = nodes.iter().map(|&n| g.short(n)).collect();
    for i in 0..parties.len() {
        if parties.iter().filter(|p| **p == parties[i]).count() > 1 {
            parties[i] = format!("{}#{}", parties[i], nodes[i]);
        }
    }
    let party = |node: usize| nodes.binary_search(&node).expect("listed");
    let (mut messages, mut notes, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    let mut t = 0.0;
    for (i, m) in drawn.iter().enumerate() {
        let first = m.paths[0].nodes[0];
        notes.push(Note { party: party(first), at: t, text: format!("match {}", i + 1) });
        steps.push(Step {
            at: t,
            text: format!("match {} starts at {}", i + 1, g.short(first)),
            marks: vec![Mark::Note { note: notes.len() - 1 }],
        });
        for path in &m.paths {
            for (h, &r) in path.rels.iter().enumerate() {
                t += 1.0;
                let (from, to) = (path.nodes[h], path.nodes[h + 1]);
                let label = format!(":{}", g.rels[r].kind);
                messages.push(Message { from: party(from), to: party(to), sent: t, arrived: Some(t), label });
                let k = messages.len() - 1;
                steps.push(Step {
                    at: t,
                    text: format!("match {}, hop {}: {} to {}", i + 1, h + 1, g.short(from), g.short(to)),
                    marks: vec![Mark::Sent { message: k }, Mark::Arrived { message: k }],
                });
            }
        }
        t += 1.0;
    }
    let title = match (answer, kept.len()) {
        (None, _) => "No query to draw".to_string(),
        (Some(_), 0) => "The last query kept no match".to_string(),
        (Some(_), n) if n > DRAWN_MATCHES => {
            format!("The last query's first {DRAWN_MATCHES} of {n} kept matches")
        }
        (Some(_), n) => format!("The last query's {n} kept matches, hop by hop"),
    };
    if parties.is_empty() {
        parties.push("(no match)".to_string());
        notes.push(Note { party: 0, at: 0.0, text: title.clone() });
        steps.push(Step { at: 0.0, text: title.clone(), marks: vec![Mark::Note { note: 0 }] });
    }
    Figure::Sequence { title, unit: "hops".to_string(), parties, messages, notes, steps }
}
// ANCHOR_END: draw

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_script_answers_by_hand() {
        let Drawn { text, figure } = run(EXAMPLE.default_input).unwrap();
        figure.validate().unwrap();
        // Friends of friends: Cat and Dan (Ann → Cat → Ann dropped by WHERE, Dan twice).
        assert!(text.contains("4 matches of the pattern; WHERE kept 3\n"), "{text}");
        assert!(
            text.contains("| \"Cat\"  |\n| \"Dan\"  |\n+--------+\n2 rows (DISTINCT removed 1 duplicate)"),
            "{text}"
        );
        // Not already friends: Dan only, with his post.
        assert!(text.contains("| \"Dan\"  | \"Async Rust in practice\" |"), "{text}");
        // Within three hops: 11 trails, 2 back to Ann; Bob, Cat, Dan, Eve; Fay is four away.
        assert!(text.contains("11 matches of the pattern; WHERE kept 9\n"), "{text}");
        assert!(text.contains("| \"Bob\"  |\n| \"Cat\"  |\n| \"Dan\"  |\n| \"Eve\"  |\n"), "{text}");
        let Figure::Sequence { parties, messages, .. } = figure else { panic!() };
        assert_eq!(parties, ["Ann", "Bob", "Cat", "Dan", "Eve"]);
        // The 9 kept trails have 1 + 2 + 3 + 2 + 3 + 1 + 3 + 2 + 3 = 20 hops.
        assert_eq!(messages.len(), 20);
    }

    #[test]
    fn errors_come_back_with_line_and_column() {
        let err = run("CREATE (a:P)-[:R]->(b:P);\nMATCH (x)-[:R*2..1]->(y) RETURN y").unwrap_err();
        assert_eq!(
            err.to_string(),
            "input line 2: column 14: `*2..1`: the upper bound is below the lower one"
        );
        assert!(run("// nothing\n").is_err());
    }

    #[test]
    fn a_query_that_keeps_nothing_still_draws() {
        let d = run("CREATE (a:P);\nMATCH (x:Q) RETURN x").unwrap();
        d.figure.validate().unwrap();
        assert!(d.text.contains("0 matches of the pattern\n"), "{}", d.text);
    }
}
