//! The document model in PostgreSQL's `jsonb`, on the real PostgreSQL 15: the dataset's
//! documents (`social::jsonb()`), the operators `->`, `->>`, `@>` and `?`, an SQL/JSON path
//! query, friends of friends through references, schema-on-read and a CHECK that brings a
//! schema back, `json` against `jsonb`; a GIN index in its two operator classes against an
//! expression B-tree; and what an update inside a document costs (a new row version, and for
//! a document stored out of line in TOAST, a new copy of all of it).
//!
//! `examples/tests/real_servers/` runs [`SECTIONS`] and compares what the server did with
//! `examples/data/jsonb-documents.txt` (`cargo xtask bless` rewrites it); the three examples
//! print its three sections.

use crate::input::no_input;
use crate::registry::{Example, Run, Runs};

/// An example that prints one section of the observation.
macro_rules! observed_section {
    ($name:ident, $id:literal, $title:literal, $section:literal) => {
        pub const $name: Example = Example {
            id: $id,
            title: $title,
            file: file!(),
            default_input: "",
            input_help: "No input: this prints what the real server did when the test last ran.",
            runs: Runs::NativeOnly {
                reason: "it needs a PostgreSQL server; the page shows what it did when the test last ran",
                simulation: Some("datamodels_sql::reach"),
            },
            run: Run::Text(|input| {
                no_input(input)?;
                Ok(section(OBSERVED, $section))
            }),
        };
    };
}

observed_section!(
    DOCUMENTS_EXAMPLE,
    "datamodels::jsonb_documents",
    "Documents in jsonb on a real PostgreSQL 15: operators, containment, a path query, references",
    "documents:"
);
observed_section!(
    INDEXES_EXAMPLE,
    "datamodels::jsonb_indexes",
    "A GIN index on jsonb in its two operator classes, and an expression index, on a real PostgreSQL 15",
    "a GIN index:"
);
observed_section!(
    UPDATES_EXAMPLE,
    "datamodels::jsonb_updates",
    "What an update inside a jsonb document costs, on a real PostgreSQL 15",
    "what an update"
);

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/jsonb-documents.txt");

/// The section of `file` whose heading's title starts with `title`, heading included.
pub fn section(file: &str, title: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in file.lines() {
        if line.starts_with("== ") {
            inside = line.split_once(": ").is_some_and(|(_, t)| t.starts_with(title));
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    format!("{}\n", out.trim_end())
}

/// A run on the server: tables built by `setup` (the dataset's documents first), then the
/// steps, each a statement, optionally after `--` comment lines that the transcript prints.
pub struct Section {
    pub title: &'static str,
    /// Run after `social::jsonb()`, before the steps (not shown).
    pub setup: &'static str,
    pub steps: &'static [&'static str],
}

// ANCHOR: documents
pub const DOCUMENTS: Section = Section {
    title: "documents: operators, containment, SQL/JSON path, references",
    setup: "",
    steps: &[
        "-- `->` gives jsonb, `->>` gives text; a key that is not there gives NULL
SELECT id, doc->'city' AS city_jsonb, doc->>'city' AS city_text,
       doc->'posts'->0->>'title' AS first_post
FROM person WHERE id IN ('ann', 'fay') ORDER BY id",
        "-- containment: the documents that contain this one
SELECT id FROM person WHERE doc @> '{\"city\": \"Oslo\"}' ORDER BY id",
        "-- containment reaches into arrays of objects: who wrote about rust?
SELECT id FROM person WHERE doc @> '{\"posts\": [{\"topic\": \"rust\"}]}' ORDER BY id",
        "-- and follows a reference backwards: who lists dan as a friend?
SELECT id FROM person WHERE doc @> '{\"friends\": [{\"id\": \"dan\"}]}' ORDER BY id",
        "-- SQL/JSON path: the titles of the posts about databases, one row per match
SELECT id, jsonb_path_query(doc, '$.posts[*] ? (@.topic == \"databases\").title') AS title
FROM person ORDER BY id",
        "-- friends of friends: each reference is a join, done by the database
SELECT DISTINCT c.doc->>'name' AS name
FROM person a
CROSS JOIN jsonb_array_elements(a.doc->'friends') AS f1
JOIN person b ON b.id = f1->>'id'
CROSS JOIN jsonb_array_elements(b.doc->'friends') AS f2
JOIN person c ON c.id = f2->>'id'
WHERE a.id = 'ann' AND c.id <> a.id
ORDER BY name",
        "-- schema on read: nothing stops a misspelt key
INSERT INTO person VALUES ('gus', '{\"name\": \"Gus\", \"ctiy\": \"Rome\"}')",
        "SELECT id, doc->>'city' AS city FROM person WHERE id = 'gus'",
        "-- a CHECK constraint brings back a schema on write (and refuses the rows already wrong)
ALTER TABLE person ADD CONSTRAINT has_city CHECK (doc ? 'city' AND jsonb_typeof(doc->'city') = 'string')",
        "DELETE FROM person WHERE id = 'gus'",
        "ALTER TABLE person ADD CONSTRAINT has_city CHECK (doc ? 'city' AND jsonb_typeof(doc->'city') = 'string')",
        "INSERT INTO person VALUES ('gus', '{\"name\": \"Gus\", \"ctiy\": \"Rome\"}')",
        "-- json keeps the text as typed; jsonb parses it: keys reordered, the last duplicate wins
SELECT '{\"b\": 1, \"a\": 2, \"a\": 3}'::json AS json, '{\"b\": 1, \"a\": 2, \"a\": 3}'::jsonb AS jsonb",
    ],
};
// ANCHOR_END: documents

// ANCHOR: gin
pub const INDEXES: Section = Section {
    title: "a GIN index: jsonb_ops against jsonb_path_ops, and an expression index",
    setup: "INSERT INTO person (id, doc)
SELECT 'u' || i, jsonb_build_object(
    'name', 'User ' || i, 'city', 'City ' || i % 500,
    'friends', jsonb_build_array(jsonb_build_object('id', 'u' || (i * 7) % 20000, 'since', 2000 + i % 25)),
    'posts', jsonb_build_array(jsonb_build_object('id', 'q' || i, 'title', 'Post ' || i, 'topic', 'topic ' || i % 300)))
FROM generate_series(1, 20000) AS i;
ANALYZE person;",
    steps: &[
        "-- the six people among 20,000 others; no index yet
SELECT count(*) FROM person",
        "EXPLAIN (COSTS OFF) SELECT id FROM person WHERE doc @> '{\"city\": \"Oslo\"}'",
        "CREATE INDEX person_doc_ops ON person USING gin (doc)",
        "CREATE INDEX person_doc_path ON person USING gin (doc jsonb_path_ops)",
        "-- jsonb_path_ops indexes hashes of whole paths to values: a smaller index
SELECT round(100.0 * pg_relation_size('person_doc_path') / pg_relation_size('person_doc_ops'))
       AS path_ops_size_percent_of_jsonb_ops",
        "DROP INDEX person_doc_path",
        "-- the default class, jsonb_ops, serves @> and the key operators ?, ?| and ?&
EXPLAIN (COSTS OFF) SELECT id FROM person WHERE doc @> '{\"city\": \"Oslo\"}'",
        "EXPLAIN (COSTS OFF) SELECT id FROM person WHERE doc ? 'nickname'",
        "-- but not ->> with =: GIN indexes the document, not that expression's value
EXPLAIN (COSTS OFF) SELECT id FROM person WHERE doc->>'city' = 'Oslo'",
        "DROP INDEX person_doc_ops",
        "CREATE INDEX person_doc_path ON person USING gin (doc jsonb_path_ops)",
        "-- jsonb_path_ops serves @> (and @?, @@), here into the posts array
EXPLAIN (COSTS OFF) SELECT id FROM person WHERE doc @> '{\"posts\": [{\"topic\": \"rust\"}]}'",
        "-- it has no keys on their own, so ? cannot use it
EXPLAIN (COSTS OFF) SELECT id FROM person WHERE doc ? 'nickname'",
        "-- an expression index serves ->> with =, like any column
CREATE INDEX person_city ON person ((doc->>'city'))",
        "EXPLAIN (COSTS OFF) SELECT id FROM person WHERE doc->>'city' = 'Oslo'",
        "SELECT id FROM person WHERE doc @> '{\"posts\": [{\"topic\": \"rust\"}]}' ORDER BY id",
    ],
};
// ANCHOR_END: gin

// ANCHOR: update
pub const UPDATES: Section = Section {
    title: "what an update inside a document costs",
    setup: "CREATE TABLE wall (id text PRIMARY KEY, likes int NOT NULL DEFAULT 0, doc jsonb NOT NULL)
    WITH (autovacuum_enabled = off, toast.autovacuum_enabled = off);
INSERT INTO wall (id, doc) SELECT id, doc FROM person WHERE id = 'ann';
INSERT INTO wall (id, doc) SELECT 'big', jsonb_build_object('name', 'Big', 'city', 'Oslo', 'posts',
    (SELECT jsonb_agg(jsonb_build_object('id', 'q' || i, 'title', md5(i::text), 'topic', 'topic ' || i % 7))
     FROM generate_series(1, 2000) AS i));
CREATE FUNCTION toast_bytes() RETURNS bigint LANGUAGE sql
    AS $$ SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'wall'::regclass $$;",
    steps: &[
        "-- ann's document fits in its row; big's (2,000 posts) is compressed and stored in TOAST
SELECT id, ctid, pg_column_size(doc) AS doc_bytes FROM wall ORDER BY id",
        "SELECT toast_bytes()",
        "-- one key of a small document: a whole new row version, at a new ctid
UPDATE wall SET doc = jsonb_set(doc, '{city}', '\"Rome\"') WHERE id = 'ann'",
        "SELECT id, ctid FROM wall ORDER BY id",
        "-- a column beside the big document: the new row version points at the same TOAST value
UPDATE wall SET likes = likes + 1 WHERE id = 'big'",
        "SELECT toast_bytes()",
        "-- one key inside the big document: the whole document is written again
UPDATE wall SET doc = jsonb_set(doc, '{city}', '\"Rome\"') WHERE id = 'big'",
        "SELECT toast_bytes()",
        "SELECT id, ctid, pg_column_size(doc) AS doc_bytes FROM wall ORDER BY id",
    ],
};
// ANCHOR_END: update

/// Every section, in the order of the file.
pub const SECTIONS: &[Section] = &[DOCUMENTS, INDEXES, UPDATES];

/// A step's comment lines and its statement.
pub fn split_step(step: &str) -> (Vec<&str>, &str) {
    let comments: Vec<&str> = step.lines().take_while(|l| l.starts_with("--")).collect();
    let sql_start = comments.iter().map(|c| c.len() + 1).sum::<usize>().min(step.len());
    (comments, &step[sql_start..])
}

/// The statement as typed at a prompt: `postgres> ` then `     ...> ` for further lines.
pub fn prompt(sql: &str) -> String {
    let mut out = String::new();
    for (i, line) in sql.lines().enumerate() {
        out.push_str(if i == 0 { "postgres> " } else { "     ...> " });
        out.push_str(line);
        out.push('\n');
    }
    if out.ends_with('\n') {
        out.insert(out.len() - 1, ';');
    }
    out
}

/// Rows as psql draws them (NULL written out): a header, a rule, the rows, the count.
pub fn table(columns: &[String], rows: &[Vec<String>]) -> String {
    let width = |c: usize| {
        rows.iter().map(|r| r[c].chars().count()).chain([columns[c].chars().count()]).max().unwrap_or(0)
    };
    let widths: Vec<usize> = (0..columns.len()).map(width).collect();
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!(" {c:<w$} ")).collect();
        padded.join("|").trim_end().to_string() + "\n"
    };
    let mut out = line(columns);
    out.push_str(&widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
    }
    out.push_str(&format!("({} row{})\n", rows.len(), if rows.len() == 1 { "" } else { "s" }));
    out
}

/// The rows under a statement in a transcript made of [`prompt`] and [`table`]: the cells of
/// the table that follows the first prompt containing `statement`.
pub fn rows_after(transcript: &str, statement: &str) -> Option<Vec<Vec<String>>> {
    let start = transcript.find(statement)?;
    let rest = &transcript[start..];
    let mut lines = rest.lines().skip_while(|l| !l.ends_with(';')).skip(1);
    let _header = lines.next()?;
    let rule = lines.next()?;
    if !rule.starts_with('-') {
        return None;
    }
    Some(
        lines
            .take_while(|l| !l.starts_with('('))
            .map(|l| l.split('|').map(|c| c.trim().to_string()).collect())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_split_into_comments_and_sql() {
        let (c, sql) = split_step("-- a\n-- b\nSELECT 1\nFROM t");
        assert_eq!(c, ["-- a", "-- b"]);
        assert_eq!(sql, "SELECT 1\nFROM t");
        assert_eq!(split_step("SELECT 1"), (vec![], "SELECT 1"));
        for section in SECTIONS {
            for step in section.steps {
                let (_, sql) = split_step(step);
                assert!(!sql.trim().is_empty() && !sql.contains("\n--"), "{step}");
            }
        }
    }

    #[test]
    fn a_transcript_reads_back_its_rows() {
        let text = format!(
            "{}{}",
            prompt("SELECT a, b\nFROM t"),
            table(
                &["a".into(), "b".into()],
                &[vec!["1".into(), "Cat".into()], vec!["22".into(), "NULL".into()]]
            )
        );
        assert_eq!(
            text,
            "postgres> SELECT a, b\n     ...> FROM t;\n a  | b\n----+------\n 1  | Cat\n 22 | NULL\n(2 rows)\n"
        );
        assert_eq!(rows_after(&text, "SELECT a, b").unwrap(), [["1", "Cat"], ["22", "NULL"]]);
    }

    #[test]
    fn each_example_prints_one_section() {
        for (example, first) in [
            (DOCUMENTS_EXAMPLE, "-- `->` gives jsonb"),
            (INDEXES_EXAMPLE, "-- the six people among"),
            (UPDATES_EXAMPLE, "-- ann's document fits"),
        ] {
            let out = example.output("").unwrap().text;
            assert_eq!(out.matches("== PostgreSQL").count(), 1, "{out}");
            assert!(out.lines().nth(1).unwrap().starts_with(first), "{out}");
        }
    }

    #[test]
    fn the_checked_in_file_answers_friends_of_friends_like_the_dataset() {
        let rows =
            rows_after(OBSERVED, "SELECT DISTINCT c.doc->>'name' AS name").expect("the query is in the file");
        let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, super::super::social::FRIENDS_OF_FRIENDS_OF_ANN);
    }
}
