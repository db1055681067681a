//! Exercises in the style of pgexercises.com, on the chapter's shop: the input names an exercise
//! and holds the reader's query; the query runs on SQLite and its rows are compared with the
//! rows of the model answer, run on the same database (the model answer is the one place the
//! expected rows come from). The output says "correct", or which rows are missing and which are
//! extra, with a hint; then a line `--- answer ---` and the model answer.

use std::fmt::Write as _;

use rusqlite::types::ValueRef;

use super::SETUP;
use crate::registry::{Example, InputError, Run, Runs};
use crate::sql::engine::{self, Session};

pub const EXAMPLE: Example = Example {
    id: "sql_joins::exercise",
    title: "SQL exercises on the shop, checked against the model answer's rows",
    file: file!(),
    default_input: "exercise: customers-without-tickets\n\
                    -- Customers who never opened a support ticket.\n\
                    SELECT name FROM customers\n\
                    WHERE id NOT IN (SELECT customer_id FROM tickets);\n",
    input_help: "First line `exercise: NAME` (one of: customers-with-orders, order-count-per-customer, \
                 customers-without-tickets, customers-with-tickets, big-spenders, monthly-revenue, \
                 largest-order-per-customer, running-total, daily-running-total, previous-order, chain-of-command, \
                 unassigned-tickets); then one SELECT (SQLite dialect) on the shop, staff and tickets.",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// One exercise: what to find, whether row order is part of the answer, a hint, the answer.
pub struct Exercise {
    pub name: &'static str,
    pub topic: &'static str,
    pub task: &'static str,
    /// True when the task asks for an order (the answer has an ORDER BY that matters).
    pub ordered: bool,
    pub hint: &'static str,
    pub answer: &'static str,
}

// ANCHOR: exercises
pub const EXERCISES: &[Exercise] = &[
    Exercise {
        name: "customers-with-orders",
        topic: "inner join",
        task: "Every order's id, its customer's name and its total, by order id.",
        ordered: true,
        hint: "Join orders to customers on orders.customer_id = customers.id, and ORDER BY the order's id.",
        answer: "SELECT o.id, c.name, o.total\nFROM orders o JOIN customers c ON c.id = o.customer_id\nORDER BY o.id;",
    },
    Exercise {
        name: "order-count-per-customer",
        topic: "outer join and NULLs",
        task: "Every customer's name and how many orders they placed, 0 included.",
        ordered: false,
        hint: "An INNER JOIN drops customers without orders; with a LEFT JOIN, count(*) counts the \
               NULL-padded row as 1, so count a column of orders instead.",
        answer: "SELECT c.name, count(o.id) AS orders\nFROM customers c LEFT JOIN orders o ON o.customer_id = c.id\nGROUP BY c.id, c.name;",
    },
    Exercise {
        name: "customers-without-tickets",
        topic: "anti-join",
        task: "The names of customers who never opened a support ticket.",
        ordered: false,
        hint: "tickets.customer_id holds a NULL (a visitor's ticket), so `id NOT IN (...)` is never \
               true: `x NOT IN (a, NULL)` is unknown. Use NOT EXISTS, or LEFT JOIN ... WHERE t.id IS NULL.",
        answer: "SELECT c.name FROM customers c\nWHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id);",
    },
    Exercise {
        name: "customers-with-tickets",
        topic: "semi-join",
        task: "The names of customers who opened at least one ticket, each name once.",
        ordered: false,
        hint: "A JOIN repeats a customer once per ticket; EXISTS (a semi-join) keeps each customer once.",
        answer: "SELECT c.name FROM customers c\nWHERE EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id);",
    },
    Exercise {
        name: "big-spenders",
        topic: "GROUP BY and HAVING",
        task: "Customers whose orders add up to more than 100.00 (10000 cents): name and total spent.",
        ordered: false,
        hint: "WHERE runs before grouping and sees single orders; a condition on sum(total) goes in HAVING.",
        answer: "SELECT c.name, sum(o.total) AS spent\nFROM customers c JOIN orders o ON o.customer_id = c.id\nGROUP BY c.id, c.name\nHAVING sum(o.total) > 10000;",
    },
    Exercise {
        name: "monthly-revenue",
        topic: "GROUP BY",
        task: "Revenue per month ('YYYY-MM', the sum of totals) and the number of orders, by month.",
        ordered: true,
        hint: "Group by substr(placed_on, 1, 7), and ORDER BY it: without ORDER BY, no order is promised.",
        answer: "SELECT substr(placed_on, 1, 7) AS month, sum(total) AS revenue, count(*) AS orders\nFROM orders\nGROUP BY month\nORDER BY month;",
    },
    Exercise {
        name: "largest-order-per-customer",
        topic: "window functions",
        task: "Each customer's largest order: customer name, order id and total, by name.",
        ordered: true,
        hint: "Number each customer's orders with row_number() OVER (PARTITION BY customer_id ORDER BY total DESC) \
               in a subquery or CTE, and keep number 1. A bare column next to max() is not the max row's column on every engine.",
        answer: "WITH ranked AS (\n    SELECT o.*, row_number() OVER (PARTITION BY customer_id ORDER BY total DESC, id) AS n\n    FROM orders o\n)\nSELECT c.name, r.id, r.total\nFROM ranked r JOIN customers c ON c.id = r.customer_id\nWHERE r.n = 1\nORDER BY c.name;",
    },
    Exercise {
        name: "running-total",
        topic: "window functions",
        task: "Every order's date, total and the shop's running revenue up to and including it, by date.",
        ordered: true,
        hint: "sum(total) OVER (ORDER BY placed_on): with an ORDER BY, the window ends at the current row and its peers (default RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW).",
        answer: "SELECT placed_on, total, sum(total) OVER (ORDER BY placed_on) AS running\nFROM orders\nORDER BY placed_on;",
    },
    Exercise {
        name: "daily-running-total",
        topic: "window frames and ties",
        task: "Every payment's id, date and amount, with the total paid up to the end of its day, by date then id.",
        ordered: true,
        hint: "sum(amount) OVER (ORDER BY paid_on) with the default frame (RANGE BETWEEN UNBOUNDED PRECEDING \
               AND CURRENT ROW) includes the current row's peers, the same day's other payments; \
               ROWS UNBOUNDED PRECEDING would stop at the current row.",
        answer: "SELECT id, paid_on, amount, sum(amount) OVER (ORDER BY paid_on) AS paid_by_day_end\nFROM payments\nORDER BY paid_on, id;",
    },
    Exercise {
        name: "previous-order",
        topic: "window functions",
        task: "Every order's customer id, order id, total, and the total of the same customer's previous order \
               (NULL for a first order), by customer id then date.",
        ordered: true,
        hint: "lag(total) OVER (PARTITION BY customer_id ORDER BY placed_on); without PARTITION BY, the \
               previous row may belong to another customer.",
        answer: "SELECT customer_id, id, total,\n       lag(total) OVER (PARTITION BY customer_id ORDER BY placed_on) AS previous\nFROM orders\nORDER BY customer_id, placed_on;",
    },
    Exercise {
        name: "chain-of-command",
        topic: "recursive CTE",
        task: "Everyone who reports to Noor, directly or not: name and depth (1 = direct report), by depth then name.",
        ordered: true,
        hint: "WITH RECURSIVE: start from Noor's direct reports (depth 1), then join staff on manager_id to the \
               rows found so far, adding 1 to the depth.",
        answer: "WITH RECURSIVE under (id, name, depth) AS (\n    SELECT id, name, 1 FROM staff\n    WHERE manager_id = (SELECT id FROM staff WHERE name = 'Noor')\n    UNION ALL\n    SELECT s.id, s.name, u.depth + 1 FROM staff s JOIN under u ON s.manager_id = u.id\n)\nSELECT name, depth FROM under ORDER BY depth, name;",
    },
    Exercise {
        name: "unassigned-tickets",
        topic: "outer join and NULLs",
        task: "Every ticket's id and subject with the name of the staff member it is assigned to, \
               or NULL when it is not assigned, by ticket id.",
        ordered: true,
        hint: "tickets.staff_id is NULL for an unassigned ticket: an INNER JOIN drops it, a LEFT JOIN keeps it.",
        answer: "SELECT t.id, t.subject, s.name\nFROM tickets t LEFT JOIN staff s ON s.id = t.staff_id\nORDER BY t.id;",
    },
];
// ANCHOR_END: exercises

type Rows = Vec<Vec<String>>;

/// What a query returned: its column count and rows as text (NULL as `NULL`).
#[derive(Debug)]
pub struct QueryRows {
    pub columns: usize,
    pub rows: Rows,
}

/// Runs one SELECT on a fresh copy of the chapter's database.
pub fn query(sql: &str) -> Result<QueryRows, String> {
    let session = Session::open('A', &engine::new_database_uri("exercise")).map_err(|e| e.to_string())?;
    session.conn.execute_batch(SETUP).map_err(|e| format!("the chapter's setup SQL failed: {e}"))?;
    let mut statement = session.conn.prepare(sql).map_err(|e| engine::message(&e))?;
    let columns = statement.column_count();
    if columns == 0 {
        return Err("that is not a query: it returns no columns (send one SELECT)".to_string());
    }
    let mut out = Vec::new();
    let mut rows = statement.raw_query();
    loop {
        match rows.next() {
            Ok(Some(row)) => out.push((0..columns).map(|i| text(row.get_ref(i).ok())).collect()),
            Ok(None) => break,
            Err(err) => return Err(engine::message(&err)),
        }
        if out.len() > 1_000 {
            return Err("more than 1,000 rows: that is not the answer to any exercise here".to_string());
        }
    }
    Ok(QueryRows { columns, rows: out })
}

fn text(value: Option<ValueRef<'_>>) -> String {
    match value {
        None | Some(ValueRef::Null) => "NULL".to_string(),
        Some(ValueRef::Integer(i)) => i.to_string(),
        Some(ValueRef::Real(f)) => f.to_string(),
        Some(ValueRef::Text(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        Some(ValueRef::Blob(bytes)) => {
            format!("x'{}'", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        }
    }
}

fn show(row: &[String]) -> String {
    format!("({})", row.join(", "))
}

/// The verdict on `got` against `expected`: `Ok(())` when they match (as a multiset, or as a
/// sequence when the exercise is ordered), else what is wrong, one finding per line.
pub fn compare(exercise: &Exercise, expected: &QueryRows, got: &QueryRows) -> Result<(), String> {
    if got.columns != expected.columns {
        return Err(format!(
            "your query returns {} column{}, the answer has {}",
            got.columns,
            if got.columns == 1 { "" } else { "s" },
            expected.columns
        ));
    }
    let mut missing: Rows = expected.rows.clone();
    let mut extra: Rows = Vec::new();
    for row in &got.rows {
        if let Some(at) = missing.iter().position(|r| r == row) {
            missing.remove(at);
        } else {
            extra.push(row.clone());
        }
    }
    let mut findings = String::new();
    for row in &missing {
        writeln!(findings, "missing: {}", show(row)).unwrap();
    }
    for row in &extra {
        let again = expected.rows.contains(row);
        let why = if again { "   (this row is in the answer fewer times)" } else { "" };
        writeln!(findings, "extra:   {}{why}", show(row)).unwrap();
    }
    if findings.is_empty() && exercise.ordered && got.rows != expected.rows {
        findings.push_str("the right rows in the wrong order; the exercise asks for this order:\n");
        for (n, (want, have)) in expected.rows.iter().zip(&got.rows).enumerate() {
            let mark = if want == have { ' ' } else { '≠' };
            writeln!(findings, "  {mark} row {}: expected {}, got {}", n + 1, show(want), show(have))
                .unwrap();
        }
    }
    if findings.is_empty() { Ok(()) } else { Err(findings) }
}

/// Finds an exercise by name; the error lists them.
pub fn find(name: &str) -> Result<&'static Exercise, InputError> {
    EXERCISES.iter().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<&str> = EXERCISES.iter().map(|e| e.name).collect();
        InputError::new(format!("no exercise `{name}`; the exercises are: {}", names.join(", ")))
    })
}

/// Splits the input into the exercise's name and the reader's query.
fn parse(input: &str) -> Result<(&str, &str), InputError> {
    let mut offset = 0;
    for (n, line) in input.split_inclusive('\n').enumerate() {
        let trimmed = line.trim();
        offset += line.len();
        if trimmed.is_empty() || trimmed.starts_with("--") {
            continue;
        }
        let Some(name) = trimmed.strip_prefix("exercise:") else {
            return Err(InputError::new(format!(
                "line {}: expected `exercise: NAME` before the query, found `{trimmed}`",
                n + 1
            )));
        };
        return Ok((name.trim(), &input[offset..]));
    }
    Err(InputError::new("expected a line `exercise: NAME`, then your query"))
}

fn run(input: &str) -> Result<String, InputError> {
    let (name, sql) = parse(input)?;
    let exercise = find(name)?;
    let order = if exercise.ordered { "order matters" } else { "any order" };
    let mut out =
        format!("Exercise {} ({}; {order}):\n  {}\n\n", exercise.name, exercise.topic, exercise.task);
    let expected =
        query(exercise.answer).map_err(|e| InputError::new(format!("the model answer failed: {e}")))?;
    let sql = sql.trim();
    if sql.lines().all(|l| l.trim().is_empty() || l.trim().starts_with("--")) {
        out.push_str("No query yet: write one below the `exercise:` line.\n");
    } else {
        match query(sql) {
            Err(err) => writeln!(out, "Error from SQLite: {err}\nHint: {}", exercise.hint).unwrap(),
            Ok(got) => {
                let rows = |n: usize| if n == 1 { "1 row".to_string() } else { format!("{n} rows") };
                writeln!(
                    out,
                    "Your query returned {}; the answer has {}.",
                    rows(got.rows.len()),
                    rows(expected.rows.len())
                )
                .unwrap();
                match compare(exercise, &expected, &got) {
                    Ok(()) => out.push_str("correct\n"),
                    Err(findings) => {
                        out.push_str("not yet:\n");
                        out.push_str(&findings);
                        writeln!(out, "Hint: {}", exercise.hint).unwrap();
                    }
                }
            }
        }
    }
    out.push_str("--- answer ---\n");
    writeln!(out, "{}", exercise.answer).unwrap();
    for row in &expected.rows {
        writeln!(out, "  {}", show(row)).unwrap();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(name: &str, sql: &str) -> Result<(), String> {
        let exercise = find(name).unwrap();
        compare(exercise, &query(exercise.answer).unwrap(), &query(sql)?)
    }

    #[test]
    fn there_are_enough_exercises_and_every_model_answer_passes_and_returns_rows() {
        assert!(EXERCISES.len() >= 8);
        for exercise in EXERCISES {
            let rows = query(exercise.answer).unwrap_or_else(|e| panic!("{}: {e}", exercise.name));
            assert!(!rows.rows.is_empty(), "{} has no rows", exercise.name);
            assert_eq!(verdict(exercise.name, exercise.answer), Ok(()), "{}", exercise.name);
            let out = run(&format!("exercise: {}\n{}", exercise.name, exercise.answer)).unwrap();
            assert!(out.contains("\ncorrect\n--- answer ---\n"), "{out}");
        }
    }

    #[test]
    fn not_in_with_a_null_returns_nothing_and_every_row_is_missing() {
        let err = verdict(
            "customers-without-tickets",
            "SELECT name FROM customers WHERE id NOT IN (SELECT customer_id FROM tickets)",
        )
        .unwrap_err();
        assert_eq!(err, "missing: (Barbara)\nmissing: (Linus)\n");
        let out = run(EXAMPLE.default_input).unwrap();
        assert!(
            out.contains("returned 0 rows") && out.contains("Hint: tickets.customer_id holds a NULL"),
            "{out}"
        );
    }

    #[test]
    fn an_inner_join_loses_the_customer_without_orders_and_count_star_counts_one() {
        let inner =
            "SELECT c.name, count(o.id) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id";
        assert_eq!(verdict("order-count-per-customer", inner).unwrap_err(), "missing: (Linus, 0)\n");
        let star = "SELECT c.name, count(*) FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id";
        assert_eq!(
            verdict("order-count-per-customer", star).unwrap_err(),
            "missing: (Linus, 0)\nextra:   (Linus, 1)\n"
        );
        let tickets =
            "SELECT t.id, t.subject, s.name FROM tickets t JOIN staff s ON s.id = t.staff_id ORDER BY t.id";
        assert_eq!(verdict("unassigned-tickets", tickets).unwrap_err(), "missing: (2, wrong size, NULL)\n");
    }

    #[test]
    fn a_join_instead_of_exists_repeats_a_row() {
        let join = "SELECT c.name FROM customers c JOIN tickets t ON t.customer_id = c.id";
        let err = verdict("customers-with-tickets", join).unwrap_err();
        assert_eq!(err, "extra:   (Ada)   (this row is in the answer fewer times)\n");
    }

    #[test]
    fn order_is_checked_only_where_the_exercise_asks_for_it() {
        let reversed = "SELECT o.id, c.name, o.total FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id DESC";
        let err = verdict("customers-with-orders", reversed).unwrap_err();
        assert!(err.starts_with("the right rows in the wrong order"), "{err}");
        let shuffled = "SELECT c.name, sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id \
                        GROUP BY c.id HAVING sum(o.total) > 10000 ORDER BY c.name DESC";
        assert_eq!(verdict("big-spenders", shuffled), Ok(()));
    }

    #[test]
    fn where_instead_of_having_and_lag_without_partition_are_caught() {
        let filtered = "SELECT c.name, sum(o.total) FROM customers c JOIN orders o ON o.customer_id = c.id \
                        WHERE o.total > 10000 GROUP BY c.id";
        assert!(verdict("big-spenders", filtered).unwrap_err().contains("extra:   (Grace, 12000)"));
        let unpartitioned = "SELECT customer_id, id, total, lag(total) OVER (ORDER BY placed_on) FROM orders \
                             ORDER BY customer_id, placed_on";
        assert!(verdict("previous-order", unpartitioned).unwrap_err().contains("extra:"));
    }

    #[test]
    fn a_rows_frame_misses_the_same_day_payment() {
        let rows = "SELECT id, paid_on, amount, sum(amount) OVER (ORDER BY paid_on, id ROWS UNBOUNDED PRECEDING) \
                    FROM payments ORDER BY paid_on, id";
        let err = verdict("daily-running-total", rows).unwrap_err();
        assert!(err.contains("missing: (2, 2026-03-02, 300, 1000)"), "{err}");
        assert!(err.contains("extra:   (2, 2026-03-02, 300, 800)"), "{err}");
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert!(run("SELECT 1").unwrap_err().to_string().contains("expected `exercise: NAME`"));
        assert!(run("exercise: nope\nSELECT 1").unwrap_err().to_string().contains("the exercises are"));
        let out = run("exercise: big-spenders\nSELECT 1, 2, 3").unwrap();
        assert!(out.contains("returns 3 columns, the answer has 2"), "{out}");
        let out = run("exercise: big-spenders\nSELEC nonsense").unwrap();
        assert!(out.contains("Error from SQLite"), "{out}");
    }
}
