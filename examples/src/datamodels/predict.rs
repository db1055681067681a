//! Predict, then reveal: a seeded random friendship graph and a path query about it. The page
//! shows the graph and the query; the answer (every match, the rows and the drawing) stays
//! hidden until the reader asks for it.

use std::fmt::Write as _;

use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "datamodels::predict",
    title: "Predict the rows of a path query on a random friendship graph",
    file: file!(),
    default_input: "seed = 2\n",
    input_help: "`seed = N`: which graph and question; `people = 4..8` (default 6), `friendships = 4..20` (default 9)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const NAMES: [&str; 8] = ["Ann", "Bob", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal"];

// ANCHOR: puzzle
/// The graph as a Cypher `CREATE`, the friendships as a list, and a query about them.
fn puzzle(seed: u64, people: usize, friendships: usize) -> (String, String, String) {
    let mut rng = Rng::new(seed);
    let mut edges: Vec<(usize, usize)> = Vec::new();
    while edges.len() < friendships {
        let (a, b) = (rng.range(0, people as u64 - 1) as usize, rng.range(0, people as u64 - 1) as usize);
        if a != b && !edges.contains(&(a, b)) {
            edges.push((a, b));
        }
    }
    let mut create: Vec<String> =
        NAMES[..people].iter().map(|n| format!("({}:Person {{name: '{n}'}})", n.to_lowercase())).collect();
    create.extend(
        edges
            .iter()
            .map(|&(a, b)| format!("({})-[:FRIEND]->({})", NAMES[a].to_lowercase(), NAMES[b].to_lowercase())),
    );
    let mut list = String::new();
    for (i, name) in NAMES[..people].iter().enumerate() {
        let mut to: Vec<&str> = edges.iter().filter(|e| e.0 == i).map(|e| NAMES[e.1]).collect();
        to.sort_unstable();
        let to = if to.is_empty() { "(nobody)".to_string() } else { to.join(", ") };
        let _ = writeln!(list, "  {name} -> {to}");
    }
    // Someone with a friend to start from (there is one: every friendship has a source).
    let sources: Vec<usize> = (0..people).filter(|&i| edges.iter().any(|e| e.0 == i)).collect();
    let start = NAMES[sources[rng.range(0, sources.len() as u64 - 1) as usize]];
    let query = match rng.range(0, 3) {
        0 => format!(
            "MATCH (a:Person {{name: '{start}'}})-[:FRIEND]->()-[:FRIEND]->(c)\nWHERE c <> a\nRETURN DISTINCT c.name ORDER BY c.name"
        ),
        1 => format!(
            "MATCH (a:Person {{name: '{start}'}})-[:FRIEND]->()-[:FRIEND]->(c)\nWHERE c <> a AND NOT (a)-[:FRIEND]->(c)\nRETURN DISTINCT c.name ORDER BY c.name"
        ),
        2 => format!(
            "MATCH (a:Person {{name: '{start}'}})-[:FRIEND*1..{}]->(c)\nWHERE c <> a\nRETURN DISTINCT c.name ORDER BY c.name",
            rng.range(2, 3)
        ),
        _ => format!(
            "MATCH (a:Person {{name: '{start}'}})<-[:FRIEND*1..2]-(c)\nWHERE c <> a\nRETURN DISTINCT c.name ORDER BY c.name"
        ),
    };
    (format!("CREATE {};\n", create.join(", ")), list, query)
}
// ANCHOR_END: puzzle

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["seed", "people", "friendships"])?;
    let seed = p.number("seed", 0u64, u64::MAX)?;
    let people = p.number_or("people", 4usize, NAMES.len(), 6)?;
    let most = people * (people - 1);
    let friendships = p.number_or("friendships", 4usize, 20, 9.min(most))?;
    if friendships > most {
        let line = p.one("friendships")?.map_or(1, |e| e.line);
        return Err(InputError::at_line(
            line,
            format!("{people} people can have at most {most} friendships"),
        ));
    }
    let (create, list, query) = puzzle(seed, people, friendships);
    let mut drawn = super::query::run(&format!("{create}{query};\n"))?;
    let answer = drawn.text.split_once("\n\n").map_or(drawn.text.as_str(), |(_, rest)| rest).to_string();
    drawn.text = format!(
        "Friendships (who lists whom):\n{list}\n{query}\n\nWhich names does it return?\n{REVEAL_MARKER}\n{answer}"
    );
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_puzzle_hides_the_answer_after_the_marker() {
        let d = run("seed = 2\n").unwrap();
        d.figure.validate().unwrap();
        let (problem, answer) = d.text.split_once(&format!("\n{REVEAL_MARKER}\n")).unwrap();
        assert!(problem.starts_with("Friendships (who lists whom):\n  Ann -> "), "{problem}");
        assert!(problem.ends_with("Which names does it return?"), "{problem}");
        assert!(answer.starts_with("cypher> MATCH"), "{answer}");
        assert!(answer.contains(" row"), "{answer}");
    }

    #[test]
    fn every_seed_gives_a_graph_the_engine_runs() {
        for seed in 0..200 {
            let d = run(&format!("seed = {seed}\npeople = {}\n", 4 + seed % 5)).unwrap();
            d.figure.validate().unwrap();
        }
        assert_eq!(run("seed = 1\npeople = 4\nfriendships = 13\n").unwrap_err().line, Some(3));
        assert_eq!(run("people = 5\n").unwrap_err().to_string(), "missing `seed = …`");
    }
}
