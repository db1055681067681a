//! The data-models chapter's document model on the real PostgreSQL 15: the dataset's documents
//! in a `jsonb` column, its operators, a GIN index in both operator classes, and what an update
//! inside a document costs. The steps live in `examples::datamodels::jsonb` (one place for the
//! SQL); each section runs in a schema of its own, one statement at a time on one connection.
//! The transcript is compared with `examples/data/jsonb-documents.txt` (`cargo xtask bless`
//! rewrites it), and the claims the page makes about it are checked here, and every figure the
//! page quotes from it must appear on the page, so a blessed file cannot quietly contradict it.

use examples::datamodels::jsonb::{SECTIONS, Section, prompt, rows_after, split_step, table};
use examples::datamodels::social;
use examples::real_servers::Server;

use super::harness::{Outcome, Scratch, compare_or_bless, unreachable};

const FILE: &str = "jsonb-documents.txt";

const HEADER: &str = "\
# Observed on the real PostgreSQL by examples/tests/real_servers/ (`cargo xtask bless`
# rewrites this file). Each section starts from the chapter's documents
# (examples/src/datamodels/social.rs) in a fresh schema; NULL is written out.
";

/// What a statement returned, as the transcript shows it under its prompt.
fn render(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Rows { columns, rows } => table(columns, rows),
        other => format!("{}\n", other.render(false)),
    }
}

/// Runs one section in a schema of its own; `Err` when the server cannot be reached.
fn run(section: &Section) -> Result<String, String> {
    let scratch = Scratch::create(Server::Postgres)?;
    let hider = scratch.hider();
    let mut conn = scratch.connect();
    let version = conn.major_version();
    conn.must(&social::jsonb());
    if !section.setup.is_empty() {
        conn.must(section.setup);
    }
    let mut out = format!("== PostgreSQL {version}: {} ==\n", section.title);
    for (i, step) in section.steps.iter().enumerate() {
        let (comments, sql) = split_step(step);
        if i > 0 && !comments.is_empty() {
            out.push('\n');
        }
        for comment in comments {
            out.push_str(comment);
            out.push('\n');
        }
        out.push_str(&prompt(sql));
        out.push_str(&render(&hider.outcome(conn.outcome(sql))));
    }
    Ok(out)
}

/// The transcript from the `nth` (0-based) statement containing `statement` on.
fn at<'a>(text: &'a str, statement: &str, nth: usize) -> &'a str {
    let mut from = 0;
    for _ in 0..nth {
        from +=
            text[from..].find(statement).unwrap_or_else(|| panic!("`{statement}` not found:\n{text}")) + 1;
    }
    let start =
        from + text[from..].find(statement).unwrap_or_else(|| panic!("`{statement}` not found:\n{text}"));
    &text[start..]
}

/// The cells of the table after the first statement containing `statement`.
fn cells(text: &str, statement: &str) -> Vec<Vec<String>> {
    rows_after(text, statement).unwrap_or_else(|| panic!("no table after `{statement}` in:\n{text}"))
}

fn column(text: &str, statement: &str) -> Vec<String> {
    cells(text, statement).into_iter().map(|r| r[0].clone()).collect()
}

/// The first line printed after the `nth` statement containing `statement`: a count, `ok`,
/// an error, or a table's header.
fn result_line<'a>(text: &'a str, statement: &str, nth: usize) -> &'a str {
    at(text, statement, nth).lines().skip_while(|l| !l.ends_with(';')).nth(1).unwrap_or("")
}

/// The plan printed after the `nth` EXPLAIN containing `statement`, its lines trimmed.
fn plan(text: &str, statement: &str, nth: usize) -> String {
    at(text, statement, nth)
        .lines()
        .skip_while(|l| !l.ends_with(';'))
        .skip(3)
        .take_while(|l| !l.starts_with('('))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The documents section: what the page says each operator returns.
fn check_documents(text: &str) {
    assert_eq!(
        cells(text, "doc->'city' AS city_jsonb"),
        [["ann", "\"Oslo\"", "Oslo", "B-trees by hand"], ["fay", "\"Oslo\"", "Oslo", "NULL"]],
        "{text}"
    );
    assert_eq!(column(text, "'{\"city\": \"Oslo\"}' ORDER BY id"), ["ann", "cat", "fay"], "{text}");
    assert_eq!(column(text, "[{\"topic\": \"rust\"}]}' ORDER BY id"), ["bob", "dan"], "{text}");
    assert_eq!(column(text, "[{\"id\": \"dan\"}]}' ORDER BY id"), ["bob", "cat"], "{text}");
    assert_eq!(
        cells(text, "jsonb_path_query(doc"),
        [["ann", "\"B-trees by hand\""], ["cat", "\"JSONB or tables?\""]],
        "{text}"
    );
    assert_eq!(column(text, "SELECT DISTINCT c.doc->>'name'"), social::FRIENDS_OF_FRIENDS_OF_ANN, "{text}");
    // The misspelt key goes in, and reads back as NULL; the CHECK refuses the table while the
    // row is there, and the row once the CHECK is on.
    assert_eq!(result_line(text, "INSERT INTO person VALUES ('gus'", 0), "INSERT 1", "{text}");
    assert_eq!(cells(text, "doc->>'city' AS city FROM person WHERE id = 'gus'"), [["gus", "NULL"]], "{text}");
    assert!(result_line(text, "ADD CONSTRAINT has_city", 0).starts_with("ERROR 23514"), "{text}");
    assert_eq!(result_line(text, "ADD CONSTRAINT has_city", 1), "ok", "{text}");
    assert!(result_line(text, "INSERT INTO person VALUES ('gus'", 1).starts_with("ERROR 23514"), "{text}");
    assert_eq!(
        cells(text, "::json AS json"),
        [["{\"b\": 1, \"a\": 2, \"a\": 3}", "{\"a\": 3, \"b\": 1}"]],
        "{text}"
    );
}

/// The index section: which plan each operator gets with which index.
fn check_indexes(text: &str) {
    assert_eq!(column(text, "SELECT count(*) FROM person"), ["20006"], "{text}");
    let contains = "WHERE doc @> '{\"city\": \"Oslo\"}'";
    assert!(plan(text, contains, 0).starts_with("Seq Scan on person"), "{text}");
    let percent: u32 = column(text, "AS path_ops_size_percent_of_jsonb_ops")[0].parse().expect("a number");
    assert!(percent < 100, "jsonb_path_ops is not smaller: {percent}%\n{text}");
    assert!(plan(text, contains, 1).contains("Bitmap Index Scan on person_doc_ops"), "{text}");
    let key = "WHERE doc ? 'nickname'";
    assert!(plan(text, key, 0).contains("Bitmap Index Scan on person_doc_ops"), "{text}");
    let text_equals = "WHERE doc->>'city' = 'Oslo'";
    assert!(plan(text, text_equals, 0).starts_with("Seq Scan on person"), "{text}");
    assert!(
        plan(text, "[{\"topic\": \"rust\"}]}'", 0).contains("Bitmap Index Scan on person_doc_path"),
        "{text}"
    );
    assert!(plan(text, key, 1).starts_with("Seq Scan on person"), "{text}");
    assert!(plan(text, text_equals, 1).contains("on person_city"), "{text}");
    assert_eq!(column(text, "[{\"topic\": \"rust\"}]}' ORDER BY id"), ["bob", "dan"], "{text}");
}

/// The update section: new row versions, and TOAST rewritten only when the document changes.
fn check_updates(text: &str) {
    let before = cells(text, "pg_column_size(doc) AS doc_bytes FROM wall");
    let [ann, big] = [&before[0], &before[1]];
    assert_eq!((ann[0].as_str(), big[0].as_str()), ("ann", "big"), "{text}");
    let big_bytes: u64 = big[2].parse().expect("a size");
    let toast: Vec<u64> = (0..3)
        .map(|i| column(at(text, "SELECT toast_bytes()", i), "toast_bytes()")[0].parse().expect("a size"))
        .collect();
    let after_ann = cells(text, "SELECT id, ctid FROM wall");
    assert_ne!(after_ann[0][1], ann[1], "ann's row version did not move:\n{text}");
    assert_eq!(after_ann[1][1], big[1], "big was not updated yet:\n{text}");
    // likes: no new TOAST value; the document: a whole new one, at least its stored size.
    assert!(toast[0] > 0, "{text}");
    assert_eq!(toast[1], toast[0], "updating a column beside the document rewrote TOAST:\n{text}");
    assert!(toast[2] >= toast[1] + big_bytes, "the document was not written again:\n{text}");
}

/// Every figure the page quotes from the recorded transcript, taken from this run's transcript:
/// a blessed file from another server version that changes one of them fails here, until the
/// page says the new figure.
fn check_page(indexes: &str, updates: &str) {
    let page_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../src/data-models.md");
    let page = std::fs::read_to_string(page_path).expect("the chapter page");
    // Line breaks fall anywhere in the prose: compare with single spaces.
    let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
    let number = |text: &str, statement: &str, nth: usize| -> u64 {
        column(at(text, statement, nth), statement)[0].parse().expect("a number")
    };
    let documents = number(indexes, "SELECT count(*) FROM person", 0);
    let percent = number(indexes, "AS path_ops_size_percent_of_jsonb_ops", 0);
    let before = cells(updates, "pg_column_size(doc) AS doc_bytes FROM wall");
    let after_ann = cells(updates, "SELECT id, ctid FROM wall");
    let byte = |cell: &str| -> u64 { cell.parse().expect("a size") };
    let toast: Vec<u64> = (0..3).map(|i| number(updates, "SELECT toast_bytes()", i)).collect();
    let needles = [
        ("documents in the index section", format!("{} documents", examples::thousands(documents))),
        ("jsonb_path_ops size against jsonb_ops", format!("is {percent}% of its size")),
        ("jsonb_path_ops size in Key numbers", format!("{percent}% of `jsonb_ops`")),
        ("the saving of jsonb_path_ops", format!("only {}%", 100 - percent)),
        ("ann's document size", format!("{}-byte document", examples::thousands(byte(&before[0][2])))),
        ("big's document size", format!("{}-byte", examples::thousands(byte(&before[1][2])))),
        ("ann's ctid before", format!("from `{}`", before[0][1])),
        ("ann's ctid after", format!("to `{}`", after_ann[0][1])),
        ("TOAST before and after the likes update", format!("{} bytes", examples::thousands(toast[1]))),
        (
            "TOAST added by the document update",
            format!("added {} bytes", examples::thousands(toast[2] - toast[1])),
        ),
        ("TOAST added, in How it works", format!("adds {} bytes", examples::thousands(toast[2] - toast[1]))),
        (
            "TOAST added, in Key numbers",
            format!("{} new TOAST bytes", examples::thousands(toast[2] - toast[1])),
        ),
    ];
    for (what, needle) in needles {
        assert!(page.contains(&needle), "src/data-models.md does not quote {what} as `{needle}`");
    }
}

pub fn check() {
    let mut sections = Vec::new();
    for section in SECTIONS {
        match run(section) {
            Ok(text) => sections.push(text),
            Err(error) => {
                unreachable("real_servers: documents in jsonb", Server::Postgres, &error);
                return;
            }
        }
    }
    check_documents(&sections[0]);
    check_indexes(&sections[1]);
    check_updates(&sections[2]);
    check_page(&sections[1], &sections[2]);
    let text = format!("{HEADER}\n{}", sections.join("\n"));
    compare_or_bless(FILE, &text).unwrap_or_else(|difference| panic!("{difference}"));
}
