//! The GraphQL simulations: one query run with naive resolvers and with DataLoader, backend
//! calls counted and drawn; and a seeded puzzle that asks for the counts before showing them.

use super::graphql::{Data, Execution, execute, figure, lanes, parse, report, short};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "apis::graphql_batching",
    title: "GraphQL resolution with naive resolvers and with DataLoader: backend calls counted",
    file: file!(),
    default_input: DEFAULT,
    input_help: "a query over Query { books(first) authors(first) }, Book { id title year author reviews }, \
                 Author { id name books }, Review { id stars }; and `books`, `authors` (rows in the \
                 backend), `pool` (connections), `mode` (naive, dataloader, both)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

pub const PREDICT: Example = Example {
    id: "apis::graphql_predict",
    title: "Predict the backend calls of a generated GraphQL query, naive and batched",
    file: file!(),
    default_input: "seed = 4\n",
    input_help: "`seed` (any whole number): each seed is another query and backend",
    runs: Runs::Everywhere,
    run: Run::Drawn(predict),
};

const DEFAULT: &str = "\
{
  books(first: 8) {
    title
    author { name }
  }
}
books = 12
authors = 3
pool = 4
mode = both
";

const KEYS: &[&str] = &["books", "authors", "pool", "mode"];

// ANCHOR: example
/// Both executions of one query: the same response, different backend traffic.
fn compare(query: &str, data: &Data, pool: usize, mode: &str) -> Result<Drawn, InputError> {
    let lines: Vec<(usize, &str)> = query.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
    let selections = parse(&lines)?;
    let runs: Vec<(&str, Execution)> = [("naive", false), ("DataLoader", true)]
        .into_iter()
        .filter(|(name, _)| mode == "both" || name.eq_ignore_ascii_case(mode))
        .map(|(name, batched)| Ok((name, execute(&selections, data, batched)?)))
        .collect::<Result<_, InputError>>()?;
    let mut text = format!("response: {}\n", short(&runs[0].1.json, 160));
    let mut all_lanes = Vec::new();
    for (name, e) in &runs {
        let title = if *name == "naive" {
            "naive resolvers (each resolver queries the backend for its own parent)"
        } else {
            "DataLoader (keys collected during a tick, one batch per loader at its end, cached)"
        };
        report(title, e, pool, &mut text);
        let prefix = if runs.len() > 1 { format!("{name}: ") } else { String::new() };
        all_lanes.extend(lanes(&prefix, e, pool));
    }
    if let [(_, naive), (_, batched)] = runs.as_slice() {
        text.push_str(&format!(
            "naive {} calls vs DataLoader {}: the same response ({})\n",
            naive.calls,
            batched.calls,
            if naive.json == batched.json { "checked" } else { "DIFFERENT: a bug" }
        ));
    }
    let title = format!("backend calls per tick on a pool of {pool} (one round trip each)");
    Ok(Drawn { text, figure: figure(title, all_lanes) })
}
// ANCHOR_END: example

fn run(input: &str) -> Result<Drawn, InputError> {
    // `key = value` lines are settings; every other line is the query (blanked here so that
    // both keep their line numbers).
    let is_setting =
        |l: &str| l.split_once('=').is_some_and(|(k, _)| KEYS.contains(&k.trim())) && !l.contains('{');
    let settings: String =
        input.lines().map(|l| if is_setting(l) { l } else { "" }).collect::<Vec<_>>().join("\n");
    let query: String =
        input.lines().map(|l| if is_setting(l) { "" } else { l }).collect::<Vec<_>>().join("\n");
    let p = Params::parse(&settings, KEYS)?;
    let books = p.number_or("books", 1u64, 500, 12)?;
    let authors = p.number_or("authors", 1u64, 100, 3)?;
    let pool = p.number_or("pool", 1usize, 16, 4)?;
    let mode = p.choice_or("mode", &["naive", "dataloader", "both"], "both")?;
    compare(&query, &Data::new(books, authors), pool, mode)
}

/// The puzzle's query shapes; `N` is replaced by the generated page size.
const SHAPES: &[&str] = &[
    "{ books(first: N) { title author { name } } }",
    "{ books(first: N) { title reviews { stars } author { name } } }",
    "{ authors(first: N) { name books { title } } }",
    "{ books(first: N) { author { name books { title } } } }",
    "{ authors(first: N) { books { title reviews { stars } } } }",
];

fn predict(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed = p.number::<u64>("seed", 0, u64::MAX)?;
    let mut rng = Rng::new(seed);
    let shape = SHAPES[rng.range(0, SHAPES.len() as u64 - 1) as usize];
    let first = rng.range(3, 10);
    let books = rng.range(first, 20);
    let authors = rng.range(2, 6);
    let query = shape.replace('N', &first.to_string());
    let mut text = format!(
        "puzzle {seed}: the backend has {books} books by {authors} authors (book i is by author \
         (i − 1) mod {authors} + 1, and has i × 7 mod 4 reviews). The query:\n\n  {query}\n\n\
         How many backend calls does it make with naive resolvers, and how many with a DataLoader \
         per relation?\n"
    );
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    let drawn = compare(&query, &Data::new(books, authors), 4, "both")?;
    text.push_str(&drawn.text);
    Ok(Drawn { text, figure: drawn.figure })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_errors() {
        let d = run(DEFAULT).unwrap();
        assert!(d.text.contains("naive 9 calls vs DataLoader 2: the same response (checked)"), "{}", d.text);
        d.figure.validate().unwrap();
        let e = run("{ books { title }\nbooks = 3").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert_eq!(run("{ books { id } }\npool = 0").unwrap_err().line, Some(2));
        assert_eq!(run("{ books { id } }\nmode = fast").unwrap_err().line, Some(2));
        let one = run("{ books { id author { id } } }\nmode = naive").unwrap();
        assert!(!one.text.contains("DataLoader ("), "{}", one.text);
    }

    #[test]
    fn every_seed_gives_a_puzzle_with_one_answer() {
        for seed in 0..200 {
            let d = predict(&format!("seed = {seed}")).unwrap();
            assert_eq!(d.text.lines().filter(|l| *l == REVEAL_MARKER).count(), 1);
            assert!(d.text.contains("(checked)"), "{}", d.text);
            d.figure.validate().unwrap();
        }
    }
}
