//! Plans before and after an index, on the real PostgreSQL 15.
//!
//! The SQL lives in `examples::indexes::plans` (one place for it). In a schema of its own, the
//! check builds the tables, then for each case plans its queries with the case's first indexes,
//! changes them, refreshes the statistics and plans again; each plan is recorded as
//! `EXPLAIN (COSTS OFF)` prints it. Two measurements are recorded as classes: the pages the scan
//! touches under each column order of a composite index (`EXPLAIN (ANALYZE, BUFFERS)`), and the
//! size of a partial index against a full one. The rendering is compared with
//! `examples/data/index-plans.txt`, and then each claim the page makes is checked on what the
//! server did, so the check fails when the server plans otherwise.

use std::fmt::Write as _;

use examples::indexes::plans::{
    CASES, COLUMN_ORDER, COLUMN_ORDER_MEASURED, Case, LOOKUP, PARTIAL, PARTIAL_SIZE, REFRESH, SESSION,
    page_class, ratio_class, setup_statements,
};
use examples::real_servers::Server;

use super::harness::{Conn, Scratch, compare_or_bless, unreachable};

const FILE: &str = "index-plans.txt";
const CHECK: &str = "real_servers: plans before and after an index";

/// `EXPLAIN (COSTS OFF)` of `query`: the plan's lines.
fn plan(conn: &mut Conn, query: &str) -> Vec<String> {
    conn.must(&format!("EXPLAIN (COSTS OFF) {query}"))
}

/// Shared buffers (hit + read) the whole plan touched when it ran.
fn buffers(conn: &mut Conn, query: &str) -> u64 {
    let json = conn.must(&format!("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) {query}"));
    let value: serde_json::Value = serde_json::from_str(&json[0]).expect("EXPLAIN's JSON");
    let root = &value[0]["Plan"];
    ["Shared Hit Blocks", "Shared Read Blocks"].iter().map(|k| root[k].as_u64().expect(k)).sum()
}

/// `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` of `query`: the root plan node.
fn analyzed(conn: &mut Conn, query: &str) -> serde_json::Value {
    let json = conn.must(&format!("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) {query}"));
    let value: serde_json::Value = serde_json::from_str(&json[0]).expect("EXPLAIN's JSON");
    value[0]["Plan"].clone()
}

/// Shared buffers (hit + read) of one plan node, its children's included.
fn node_buffers(node: &serde_json::Value) -> u64 {
    ["Shared Hit Blocks", "Shared Read Blocks"].iter().map(|k| node[k].as_u64().expect(k)).sum()
}

/// `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)` of `query` as text, with what varies
/// between runs taken out: the split of each `Buffers:` count between `hit` and `read` becomes
/// their sum, and the planning and execution lines (times, catalog pages) are dropped.
fn analyzed_text(conn: &mut Conn, query: &str) -> Vec<String> {
    let lines = conn.must(&format!("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {query}"));
    let mut out = Vec::new();
    for line in lines {
        let trimmed = line.trim_start();
        if trimmed.starts_with("Planning") || trimmed.starts_with("Execution Time") {
            break;
        }
        if let Some(counts) = trimmed.strip_prefix("Buffers: shared ") {
            let total: u64 = counts
                .split_whitespace()
                .filter_map(|c| c.split_once('=').and_then(|(_, n)| n.parse::<u64>().ok()))
                .sum();
            let indent = &line[..line.len() - trimmed.len()];
            out.push(format!("{indent}Buffers: shared {total} (hit + read)"));
        } else {
            out.push(line);
        }
    }
    out
}

/// A correlation from `pg_stats` as a class.
fn correlation_class(value: f64) -> &'static str {
    match value.abs() {
        v if v >= 0.8 => "0.8 or more in absolute value (index order follows the table's)",
        v if v < 0.1 => "below 0.1 in absolute value (no relation to the table's order)",
        _ => "between 0.1 and 0.8",
    }
}

fn relpages(conn: &mut Conn, index: &str) -> u64 {
    conn.must(&format!("SELECT relpages FROM pg_class WHERE relname = '{index}'"))[0]
        .parse()
        .expect("a page count")
}

/// Drops every index but the primary keys.
fn drop_indexes(conn: &mut Conn) {
    let names = conn.must(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey'",
    );
    for name in names {
        conn.must(&format!("DROP INDEX {name}"));
    }
}

/// What one case planned: for each query, its plan before and after.
struct Planned {
    case: Case,
    before: Vec<Vec<String>>,
    after: Vec<Vec<String>>,
}

fn refresh(conn: &mut Conn) {
    for statement in REFRESH {
        conn.must(statement);
    }
}

fn run_case(conn: &mut Conn, case: Case) -> Planned {
    drop_indexes(conn);
    for statement in case.setup {
        conn.must(statement);
    }
    refresh(conn);
    let before = case.queries.iter().map(|q| plan(conn, q)).collect();
    for statement in case.change {
        conn.must(statement);
    }
    refresh(conn);
    let after = case.queries.iter().map(|q| plan(conn, q)).collect();
    Planned { case, before, after }
}

fn indexes_text(statements: &[&str]) -> String {
    if statements.is_empty() { "primary keys only".to_string() } else { statements.join("; ") }
}

fn render(planned: &[Planned], measured: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "PostgreSQL 15, EXPLAIN (COSTS OFF): node types, indexes and conditions; no costs or timings."
    );
    let _ = writeln!(out, "200,000 orders, 100,000 docs; VACUUM ANALYZE after every change of indexes.");
    for p in planned {
        let _ = writeln!(out, "\n== {} ==", p.case.title);
        let _ = writeln!(out, "before: {}", indexes_text(p.case.setup));
        let _ = writeln!(out, "after:  {}", p.case.change.join("; "));
        for (i, query) in p.case.queries.iter().enumerate() {
            let _ = writeln!(out, "\n{query}");
            for (when, lines) in [("before", &p.before[i]), ("after", &p.after[i])] {
                let _ = writeln!(out, "  {when}:");
                for line in lines {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    let _ = writeln!(out, "\n== Measured, as classes ==");
    for line in measured {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The plan's first line (its top node).
fn top(lines: &[String]) -> &str {
    lines.first().map_or("", |l| l.trim())
}

fn joined(lines: &[String]) -> String {
    lines.join("\n")
}

pub fn check() {
    let scratch = match Scratch::create(Server::Postgres) {
        Ok(scratch) => scratch,
        Err(error) => return unreachable(CHECK, Server::Postgres, &error),
    };
    let mut conn = scratch.connect();
    let version = conn.major_version();
    assert_eq!(version, "15", "the data file records PostgreSQL 15's plans");
    for setting in SESSION {
        conn.must(setting);
    }
    for statement in setup_statements() {
        conn.must(statement);
    }

    let planned: Vec<Planned> = CASES.iter().map(|&case| run_case(&mut conn, case)).collect();

    // The column-order case, measured: the same count under each order.
    drop_indexes(&mut conn);
    conn.must(COLUMN_ORDER.setup[0]);
    refresh(&mut conn);
    let wrong_order = buffers(&mut conn, COLUMN_ORDER_MEASURED);
    drop_indexes(&mut conn);
    conn.must(COLUMN_ORDER.change[1]);
    refresh(&mut conn);
    let right_order = buffers(&mut conn, COLUMN_ORDER_MEASURED);
    // The partial index against a full index on the same column.
    drop_indexes(&mut conn);
    conn.must(PARTIAL.change[0]);
    conn.must(PARTIAL_SIZE[1]);
    refresh(&mut conn);
    let (partial, full) = (relpages(&mut conn, PARTIAL_SIZE[0]), relpages(&mut conn, "orders_created"));
    // EXPLAIN (ANALYZE, BUFFERS) of case 1's lookup, without the index and with it.
    let lookup_query = LOOKUP.queries[0];
    drop_indexes(&mut conn);
    refresh(&mut conn);
    let seq = analyzed(&mut conn, lookup_query);
    let seq_cost = seq["Total Cost"].as_f64().expect("a cost");
    let seq_buffers = node_buffers(&seq);
    conn.must(LOOKUP.change[0]);
    refresh(&mut conn);
    let bitmap_text = analyzed_text(&mut conn, lookup_query);
    let bitmap = analyzed(&mut conn, lookup_query);
    let heap_blocks = bitmap["Exact Heap Blocks"].as_u64().expect("exact heap blocks");
    let lossy_blocks = bitmap["Lossy Heap Blocks"].as_u64().expect("lossy heap blocks");
    let index_buffers = node_buffers(&bitmap["Plans"][0]);
    let heap_buffers = node_buffers(&bitmap) - index_buffers;
    // Case 5's two index scans differ by the correlation the planner reads in pg_stats.
    let correlation = |conn: &mut Conn, column: &str| -> f64 {
        conn.must(&format!(
            "SELECT correlation FROM pg_stats WHERE schemaname = current_schema() \
             AND tablename = 'orders' AND attname = '{column}'"
        ))[0]
            .parse()
            .expect("a correlation")
    };
    let (status_corr, customer_corr) =
        (correlation(&mut conn, "status"), correlation(&mut conn, "customer_id"));

    let mut measured = vec![
        format!("{COLUMN_ORDER_MEASURED}"),
        format!("  with (created_at, customer_id): pages touched: {}", page_class(wrong_order)),
        format!("  with (customer_id, created_at): pages touched: {}", page_class(right_order)),
        format!("  the wrong order touches {} as many pages", ratio_class(wrong_order, right_order)),
        "Index sizes: orders_pending (partial) against orders_created (every row)".to_string(),
        format!("  the full index has {} the pages of the partial one", ratio_class(full, partial)),
        format!("\nEXPLAIN (ANALYZE, BUFFERS) {lookup_query}"),
        format!("  without an index: Seq Scan, total cost {seq_cost:.2}, {seq_buffers} buffers (hit + read)"),
        "  with orders_customer (COSTS OFF, TIMING OFF; hit and read summed):".to_string(),
    ];
    measured.extend(bitmap_text.iter().map(|l| format!("    {l}")));
    measured.extend([
        format!(
            "  heap blocks: exact {heap_blocks}, lossy {lossy_blocks}; buffers: index {index_buffers}, heap {heap_buffers}"
        ),
        "\npg_stats correlation (physical order against the column's order)".to_string(),
        format!("  status: {}", correlation_class(status_corr)),
        format!("  customer_id: {}", correlation_class(customer_corr)),
    ]);

    let rendered = render(&planned, &measured);
    if let Err(difference) = compare_or_bless(FILE, &rendered) {
        panic!("{difference}");
    }

    // The claims the page makes, checked on what the server did.
    let [lookup, order, covering, partial_case, selectivity, order_by, hash_gin] = &planned[..] else {
        unreachable!("seven cases")
    };
    // 1. A seq scan becomes a bitmap scan of the new index; the count needs only the index; the
    //    primary key was an index scan all along.
    assert_eq!(top(&lookup.before[0]), "Seq Scan on orders", "{}", rendered);
    assert_eq!(top(&lookup.after[0]), "Bitmap Heap Scan on orders", "{}", rendered);
    assert!(joined(&lookup.after[0]).contains("Bitmap Index Scan on orders_customer"), "{rendered}");
    assert!(
        joined(&lookup.after[1]).contains("Index Only Scan using orders_customer on orders"),
        "{rendered}"
    );
    assert_eq!(top(&lookup.after[2]), "Index Scan using orders_pkey on orders", "{rendered}");
    // 2. Both orders give an index-only scan with the same conditions, but the wrong order reads
    //    far more pages; without the leading column the planner reads the table.
    for lines in [&order.before[0], &order.after[0]] {
        assert!(joined(lines).contains("Index Only Scan"), "{rendered}");
    }
    assert!(wrong_order >= 10 * right_order, "{wrong_order} vs {right_order}");
    assert_eq!(top(&order.after[1]), "Seq Scan on orders", "{rendered}");
    // 3. The covering index turns a heap visit into an index-only scan.
    assert!(!joined(&covering.before[0]).contains("Index Only Scan"), "{rendered}");
    assert_eq!(
        top(&covering.after[0]),
        "Index Only Scan using orders_customer_covering on orders",
        "{rendered}"
    );
    // 4. The partial index serves the query that implies its predicate, not the other.
    assert!(joined(&partial_case.after[0]).contains("orders_pending"), "{rendered}");
    assert_eq!(top(&partial_case.after[1]), "Seq Scan on orders", "{rendered}");
    assert!(full >= 10 * partial, "{full} vs {partial}");
    // 5. The rare value goes through the index; the common one keeps the sequential scan.
    assert!(joined(&selectivity.after[0]).contains("orders_status"), "{rendered}");
    assert_eq!(top(&selectivity.after[1]), "Seq Scan on orders", "{rendered}");
    // 6. The sort disappears: the index is read backwards and the scan stops after 10 rows.
    assert!(joined(&order_by.before[0]).contains("Sort"), "{rendered}");
    assert!(!joined(&order_by.after[0]).contains("Sort"), "{rendered}");
    assert!(joined(&order_by.after[0]).contains("Index Scan Backward using orders_created"), "{rendered}");
    // 7. Hash: equality yes, an index-only scan no, a range no. GIN: bitmap scans only, and a
    //    tag on every row is read sequentially.
    assert!(joined(&hash_gin.after[0]).contains("orders_customer_hash"), "{rendered}");
    assert!(!joined(&hash_gin.after[1]).contains("Index Only Scan"), "{rendered}");
    assert_eq!(top(&hash_gin.after[2]), "Seq Scan on orders", "{rendered}");
    assert!(joined(&hash_gin.after[3]).contains("Bitmap Index Scan on docs_tags"), "{rendered}");
    assert_eq!(top(&hash_gin.after[4]), "Seq Scan on docs", "{rendered}");
    // The annotated EXPLAIN (ANALYZE, BUFFERS): a sequential scan costs 2,470 pages × 1.0 +
    // 200,000 rows × 0.0125 = 4,970 and touches every page; the bitmap scan reads 2 index pages
    // (root and one leaf) and 100 heap pages, one per row, and its bitmap stays exact.
    assert_eq!(seq["Node Type"], "Seq Scan", "{rendered}");
    assert!((seq_cost - 4970.0).abs() < 0.005, "{seq_cost}");
    assert_eq!(seq_buffers, 2470, "{rendered}");
    assert_eq!(bitmap["Node Type"], "Bitmap Heap Scan", "{rendered}");
    assert_eq!((heap_blocks, lossy_blocks), (100, 0), "{rendered}");
    assert_eq!((index_buffers, heap_buffers), (2, 100), "{rendered}");
    // Case 5: 'pending' (1%) is a plain Index Scan while case 1's 100 rows take a bitmap, because
    // status is correlated with the table's order and customer_id is not.
    assert!(status_corr.abs() >= 0.8, "{status_corr}");
    assert!(customer_corr.abs() < 0.1, "{customer_corr}");
}
