//! The chapter's one dataset, written once as data, and each model's form derived from it:
//! tables and rows (SQL), one JSON document per person (PostgreSQL's `jsonb`), a property graph
//! (a Cypher `CREATE`), and RDF triples (Turtle).
//!
//! The forms the other examples run are checked-in text (`datamodels_sql/social.sql`, the
//! `jsonb` setup, the graph example's `CREATE`, the Turtle of the SPARQL section); the tests
//! below check that each is exactly what these functions derive, so the three answers to
//! "friends of friends" are provably about the same data.

use std::fmt::Write as _;

use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "datamodels::dataset",
    title: "One dataset, four shapes: tables, documents, a property graph and triples",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints the dataset and the four forms derived from it.",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: data
pub struct Person {
    pub id: &'static str,
    pub name: &'static str,
    pub city: &'static str,
}

/// `from` lists `to` as a friend (one direction: Ann may list Bob while Bob does not list Ann).
pub struct Friend {
    pub from: &'static str,
    pub to: &'static str,
    pub since: i64,
}

pub struct Post {
    pub id: &'static str,
    pub author: &'static str,
    pub title: &'static str,
    pub topic: &'static str,
}

pub const PEOPLE: &[Person] = &[
    Person { id: "ann", name: "Ann", city: "Oslo" },
    Person { id: "bob", name: "Bob", city: "Lima" },
    Person { id: "cat", name: "Cat", city: "Oslo" },
    Person { id: "dan", name: "Dan", city: "Pune" },
    Person { id: "eve", name: "Eve", city: "Lima" },
    Person { id: "fay", name: "Fay", city: "Oslo" },
];

pub const FRIENDS: &[Friend] = &[
    Friend { from: "ann", to: "bob", since: 2015 },
    Friend { from: "ann", to: "cat", since: 2018 },
    Friend { from: "bob", to: "cat", since: 2016 },
    Friend { from: "bob", to: "dan", since: 2019 },
    Friend { from: "cat", to: "ann", since: 2018 },
    Friend { from: "cat", to: "dan", since: 2020 },
    Friend { from: "dan", to: "eve", since: 2021 },
    Friend { from: "eve", to: "fay", since: 2022 },
];

pub const POSTS: &[Post] = &[
    Post { id: "p1", author: "ann", title: "B-trees by hand", topic: "databases" },
    Post { id: "p2", author: "ann", title: "Trail to Preikestolen", topic: "hiking" },
    Post { id: "p3", author: "bob", title: "Borrowing without tears", topic: "rust" },
    Post { id: "p4", author: "cat", title: "JSONB or tables?", topic: "databases" },
    Post { id: "p5", author: "dan", title: "Async Rust in practice", topic: "rust" },
    Post { id: "p6", author: "eve", title: "Ceviche for ten", topic: "cooking" },
];
// ANCHOR_END: data

/// The question every model answers: whom do Ann's friends list as friends (Ann herself
/// excluded)? Worked out by hand from [`FRIENDS`]: Ann → Bob → {Cat, Dan}; Ann → Cat → {Ann,
/// Dan}; without Ann and without repeats, Cat and Dan.
pub const FRIENDS_OF_FRIENDS_OF_ANN: [&str; 2] = ["Cat", "Dan"];

/// Whom Ann reaches in 1 to 3 hops (herself excluded): Bob and Cat in one, Dan in two, Eve in
/// three. Fay is four hops away.
pub const WITHIN_THREE_HOPS_OF_ANN: [&str; 4] = ["Bob", "Cat", "Dan", "Eve"];

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn json_text(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn cypher_text(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn turtle_text(s: &str) -> String {
    json_text(s)
}

// ANCHOR: relational
/// The relational form: a table per entity and one for the many-to-many relationship, each
/// fact once; friendships and authorship are foreign keys.
pub fn sql() -> String {
    let mut out = String::from(
        "-- Derived from the dataset in examples/src/datamodels/social.rs (a test checks it).
CREATE TABLE person (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT NOT NULL
);
CREATE TABLE friend (
    person_id TEXT NOT NULL REFERENCES person (id),
    friend_id TEXT NOT NULL REFERENCES person (id),
    since     INTEGER NOT NULL,
    PRIMARY KEY (person_id, friend_id)
);
CREATE TABLE post (
    id        TEXT PRIMARY KEY,
    author_id TEXT NOT NULL REFERENCES person (id),
    title     TEXT NOT NULL,
    topic     TEXT NOT NULL
);
",
    );
    let rows = |rows: Vec<String>| rows.join(",\n    ");
    let _ = writeln!(
        out,
        "INSERT INTO person (id, name, city) VALUES\n    {};",
        rows(
            PEOPLE
                .iter()
                .map(|p| format!("({}, {}, {})", sql_text(p.id), sql_text(p.name), sql_text(p.city)))
                .collect()
        )
    );
    let _ = writeln!(
        out,
        "INSERT INTO friend (person_id, friend_id, since) VALUES\n    {};",
        rows(
            FRIENDS
                .iter()
                .map(|f| format!("({}, {}, {})", sql_text(f.from), sql_text(f.to), f.since))
                .collect()
        )
    );
    let _ = writeln!(
        out,
        "INSERT INTO post (id, author_id, title, topic) VALUES\n    {};",
        rows(
            POSTS
                .iter()
                .map(|p| format!(
                    "({}, {}, {}, {})",
                    sql_text(p.id),
                    sql_text(p.author),
                    sql_text(p.title),
                    sql_text(p.topic)
                ))
                .collect()
        )
    );
    out
}
// ANCHOR_END: relational

// ANCHOR: document
/// The document form: one document per person, read together with what a profile page shows.
/// Posts belong to one person and are read with her, so they are embedded; friends are people
/// with documents of their own, so they are referenced by id. An empty list is left out, as a
/// document store lets you do (Fay has neither key).
pub fn document(person: &Person) -> String {
    let (head, lists) = document_parts(person);
    let mut fields = vec![head];
    fields.extend(lists.iter().map(|(key, items)| format!("\"{key}\": [{}]", items.join(", "))));
    format!("{{{}}}", fields.join(", "))
}

/// The scalar fields, and each non-empty list with its elements.
fn document_parts(person: &Person) -> (String, Vec<(&'static str, Vec<String>)>) {
    let head = format!("\"name\": {}, \"city\": {}", json_text(person.name), json_text(person.city));
    let friends: Vec<String> = FRIENDS
        .iter()
        .filter(|f| f.from == person.id)
        .map(|f| format!("{{\"id\": {}, \"since\": {}}}", json_text(f.to), f.since))
        .collect();
    let posts: Vec<String> = POSTS
        .iter()
        .filter(|p| p.author == person.id)
        .map(|p| {
            format!(
                "{{\"id\": {}, \"title\": {}, \"topic\": {}}}",
                json_text(p.id),
                json_text(p.title),
                json_text(p.topic)
            )
        })
        .collect();
    let lists =
        [("friends", friends), ("posts", posts)].into_iter().filter(|(_, items)| !items.is_empty()).collect();
    (head, lists)
}

/// The documents as rows of a `jsonb` column: `person (id, doc)`.
pub fn jsonb() -> String {
    let rows: Vec<String> =
        PEOPLE.iter().map(|p| format!("({}, {})", sql_text(p.id), sql_text(&document(p)))).collect();
    format!(
        "CREATE TABLE person (id text PRIMARY KEY, doc jsonb NOT NULL);\nINSERT INTO person (id, doc) VALUES\n{};\n",
        rows.join(",\n")
    )
}
// ANCHOR_END: document

// ANCHOR: graph
/// The property-graph form: people and posts are nodes with labels and properties;
/// friendships (with their year) and authorship are relationships. One `CREATE` statement,
/// whose variables (`ann`, `p1`) name the nodes within it.
pub fn cypher() -> String {
    let mut items: Vec<String> = Vec::new();
    for p in PEOPLE {
        items.push(format!(
            "({}:Person {{name: {}, city: {}}})",
            p.id,
            cypher_text(p.name),
            cypher_text(p.city)
        ));
    }
    for p in POSTS {
        items.push(format!(
            "({}:Post {{title: {}, topic: {}}})",
            p.id,
            cypher_text(p.title),
            cypher_text(p.topic)
        ));
    }
    for f in FRIENDS {
        items.push(format!("({})-[:FRIEND {{since: {}}}]->({})", f.from, f.since, f.to));
    }
    for p in POSTS {
        items.push(format!("({})-[:WROTE]->({})", p.author, p.id));
    }
    format!("CREATE\n  {};\n", items.join(",\n  "))
}
// ANCHOR_END: graph

// ANCHOR: triples
/// The RDF form: every fact a triple (subject, predicate, object), written in Turtle. FOAF's
/// vocabulary where it has a word (`foaf:Person`, `foaf:name`, `foaf:knows`), `ex:` for ours.
/// A triple has no properties of its own, so the friendship's year has no place here (see the
/// chapter on edge properties in RDF).
pub fn turtle() -> String {
    let mut out = String::from(
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix ex: <http://example.org/social/> .\n",
    );
    for p in PEOPLE {
        let _ = write!(
            out,
            "\nex:{} a foaf:Person ;\n    foaf:name {} ;\n    ex:city {}",
            p.id,
            turtle_text(p.name),
            turtle_text(p.city)
        );
        let knows: Vec<String> =
            FRIENDS.iter().filter(|f| f.from == p.id).map(|f| format!("ex:{}", f.to)).collect();
        if !knows.is_empty() {
            let _ = write!(out, " ;\n    foaf:knows {}", knows.join(", "));
        }
        out.push_str(" .\n");
    }
    for p in POSTS {
        let _ = write!(
            out,
            "\nex:{} a ex:Post ;\n    ex:title {} ;\n    ex:topic {} ;\n    ex:author ex:{} .\n",
            p.id,
            turtle_text(p.title),
            turtle_text(p.topic),
            p.author
        );
    }
    out
}
// ANCHOR_END: triples

/// The same document laid out for reading: the scalars on the first line, each list on a
/// line of its own, the posts one per line.
fn pretty(person: &Person) -> String {
    let (head, lists) = document_parts(person);
    let mut out = format!("{{{head}");
    for (key, items) in lists {
        let indent = " ".repeat(key.len() + 7);
        let separator = if key == "posts" { format!(",\n{indent}") } else { ", ".to_string() };
        out.push_str(&format!(",\n  \"{key}\": [{}]", items.join(&separator)));
    }
    out.push('}');
    out
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let mut out = format!(
        "The dataset: {} people, {} friendships (one direction each), {} posts.\n",
        PEOPLE.len(),
        FRIENDS.len(),
        POSTS.len()
    );
    out.push_str("\n== Relational: three tables, each fact once ==\n");
    out.push_str(&sql());
    out.push_str("\n== Documents: one per person, posts embedded, friends referenced ==\n");
    for p in PEOPLE {
        let _ = writeln!(out, "{}:\n{}", p.id, pretty(p));
    }
    out.push_str("\n== Property graph: nodes, relationships, properties on both ==\n");
    out.push_str(&cypher());
    out.push_str("\n== RDF triples, in Turtle ==\n");
    out.push_str(&turtle());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_point_at_people_that_exist() {
        let known = |id: &str| PEOPLE.iter().any(|p| p.id == id);
        assert!(FRIENDS.iter().all(|f| known(f.from) && known(f.to) && f.from != f.to));
        assert!(POSTS.iter().all(|p| known(p.author)));
    }

    #[test]
    fn the_hand_computed_answers_follow_from_the_friend_list() {
        fn friends(id: &'static str) -> impl Iterator<Item = &'static str> {
            FRIENDS.iter().filter(move |f| f.from == id).map(|f| f.to)
        }
        let name = |id: &str| PEOPLE.iter().find(|p| p.id == id).unwrap().name;
        let mut fof: Vec<&str> = friends("ann").flat_map(friends).filter(|&c| c != "ann").map(name).collect();
        fof.sort();
        fof.dedup();
        assert_eq!(fof, FRIENDS_OF_FRIENDS_OF_ANN);
        // Breadth first, three rounds.
        let mut seen = vec!["ann"];
        let mut frontier = vec!["ann"];
        for _ in 0..3 {
            frontier = frontier.iter().flat_map(|&id| friends(id)).filter(|id| !seen.contains(id)).collect();
            frontier.dedup();
            seen.extend(&frontier);
        }
        let mut reached: Vec<&str> = seen[1..].iter().map(|&id| name(id)).collect();
        reached.sort();
        assert_eq!(reached, WITHIN_THREE_HOPS_OF_ANN);
    }

    #[test]
    fn every_form_carries_every_fact() {
        let (sql, docs, graph, rdf) = (sql(), jsonb(), cypher(), turtle());
        for p in PEOPLE {
            for form in [&sql, &docs, &graph, &rdf] {
                assert!(form.contains(p.name) && form.contains(p.city), "{}", p.name);
            }
        }
        for f in FRIENDS {
            assert!(sql.contains(&format!("('{}', '{}', {})", f.from, f.to, f.since)));
            assert!(graph.contains(&format!("({})-[:FRIEND {{since: {}}}]->({})", f.from, f.since, f.to)));
        }
        assert_eq!(docs.matches("\"since\"").count(), FRIENDS.len());
        assert_eq!(rdf.matches("ex:").count() - rdf.matches("@prefix ex:").count(), {
            // each person and post subject, each city/title/topic/author predicate, each
            // friend object and author object
            PEOPLE.len() * 2 + POSTS.len() * 5 + FRIENDS.len() + POSTS.len()
        });
        // Fay has no friends and no posts: her document has neither key.
        assert_eq!(document(&PEOPLE[5]), r#"{"name": "Fay", "city": "Oslo"}"#);
    }

    #[test]
    fn the_sql_the_browser_runs_is_the_derived_form() {
        assert_eq!(include_str!("../datamodels_sql/social.sql"), sql());
    }

    #[test]
    fn the_graph_example_starts_from_the_derived_create() {
        assert!(super::super::query::EXAMPLE.default_input.starts_with(&cypher()));
    }

    #[test]
    fn a_pretty_document_is_the_same_document() {
        for p in PEOPLE {
            let one_line: String = pretty(p).lines().map(str::trim).collect::<Vec<_>>().join(" ");
            assert_eq!(one_line, document(p));
        }
    }

    #[test]
    fn text_is_escaped_for_each_language() {
        assert_eq!(sql_text("O'Brien"), "'O''Brien'");
        assert_eq!(json_text("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
        assert_eq!(cypher_text("it's"), r"'it\'s'");
    }
}
