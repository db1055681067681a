//! The claims the book checks on real servers, PostgreSQL 15, MariaDB 10.11 and Redis 7: one test per
//! observation file under `examples/data/`, which the chapters' examples print.
//!
//! * `hermitage`: Hermitage's cases at every level (the isolation chapter's anomaly table);
//! * `migrations`: the `ALTER TABLE` lock queue and the migrations chapter's other lock claims;
//! * `jsonb`: the data-models chapter's documents in `jsonb` (operators, GIN, the cost of an
//!   update inside a document);
//! * `indexes`: the indexes chapter's plans before and after an index;
//! * the [`Scenario`](examples::real_servers::Scenario)s of the acid, orm, isolation and locks
//!   chapters, run by `scenarios` (statement failure, idle transactions, the lost update
//!   through an entity, SSI at mixed levels, InnoDB's gap locks, a deadlock between two
//!   transactions), and the SQL chapter's dialect differences.
//! * `redis`: the caching chapter's claims on Redis 7 (eviction policies and expiry on private
//!   `redis-server`s, a stampede and a lock's release on the shared server).
//!   transactions), and the SQL chapter's dialect differences;
//! * `pooling`: what a connection costs, and session state under a real PgBouncer's pool modes;
//! * `cdc` and `stream`: the stream-processing chapter's logical decoding through a replication
//!   slot (needs `wal_level = logical`) and a consumer group on NATS JetStream;
//! * `replica`: the replication chapter's private PostgreSQL primary and streaming replica (lag,
//!   a stale read, `synchronous_commit` levels, a commit stuck without its standby).
//! * `resilience`: idempotency keys for a retried payment on the shared PostgreSQL (a primary
//!   key claimed in the payment's transaction) and Redis (`SET NX` with a "processing" marker).
//! * `structure_cancel_race_on_a_real_postgresql`: the project-structure chapter's two cancels
//!   of one order (read-check-write at two levels, `FOR UPDATE`, the conditional `UPDATE`).
//!
//! Each test compares what the server did with its checked-in file and fails with a diff when
//! they differ; `cargo xtask bless` (which sets `EXAMPLES_BLESS=1`) rewrites the files. The
//! scenario tests also check the claims the pages make in words, so that a blessed file cannot
//! quietly contradict its page. A server that cannot be reached fails the test in CI
//! (`test_support::in_ci`: `CI=true` or `CI=1`); elsewhere the test says loudly that it did
//! not run, and passes. Servers: `BF_POSTGRES` and `BF_MARIADB` (see `harness`), `BF_REDIS` and
//! `BF_REDIS_SERVER` (see `redis`).

mod cdc;
mod disttx;
mod harness;
mod hermitage;
mod indexes;
mod jsonb;
mod migrations;
mod mvcc;
mod pooling;
mod realtime;
mod redis;
mod replica;
mod resilience;
mod scenarios;
mod stream;

use examples::real_servers::Server;
use scenarios::{Deadlocks, Transcript, observe};

#[test]
fn hermitage_cases_on_real_servers() {
    let _beside = beside_the_purge();
    hermitage::check();
}

#[test]
fn the_lock_trap_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    migrations::check();
}

#[test]
fn idempotency_keys_on_real_postgresql_and_redis() {
    let _beside = beside_the_purge();
    resilience::check();
}

#[test]
fn documents_in_jsonb_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    jsonb::check();
}

#[test]
fn index_plans_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    indexes::check();
}

/// Runs an observation's scenarios; panics with the difference from the checked-in file.
fn observed(check: &str, file: &str, scenarios: &[examples::real_servers::Scenario]) -> Vec<Transcript> {
    observe(&format!("real_servers: {check}"), file, scenarios, Deadlocks::GoOn)
        .unwrap_or_else(|difference| panic!("{difference}"))
}

/// The transcript of the scenario titled `title` on `server`, if it ran.
fn find<'a>(transcripts: &'a [Transcript], server: Server, title: &str) -> Option<&'a Transcript> {
    transcripts.iter().find(|t| t.server == server && t.title == title)
}

#[test]
fn statement_failure_on_real_servers() {
    let _beside = beside_the_purge();
    use examples::acid::statement_failure::SCENARIOS;
    let runs = observed("an error inside a transaction", "statement-failure.txt", SCENARIOS);
    let [ignored_pg, ignored_maria, savepoint_pg] = [SCENARIOS[0], SCENARIOS[1], SCENARIOS[2]];
    if let Some(t) = find(&runs, Server::Postgres, ignored_pg.title) {
        // The debit fails, every later statement is refused, and COMMIT keeps nothing.
        assert_eq!(t.errors("A"), ["23514", "25P02"], "{}", t.render());
        assert_eq!(t.monitor_results(), ["state=idle in transaction (aborted)"], "{}", t.render());
        assert_eq!(t.last_rows(), "alice, 10000; bob, 5000; carol, 0", "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Mariadb, ignored_maria.title) {
        // Only the debit is undone; COMMIT makes the half-done transfer permanent.
        assert_eq!(t.errors("A"), ["4025 (23000)"], "{}", t.render());
        assert_eq!(t.last_rows(), "alice, 18000; bob, 5000; carol, 0", "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Postgres, savepoint_pg.title) {
        // ROLLBACK TO SAVEPOINT leaves the aborted state; the first transfer commits.
        assert_eq!(t.errors("A"), ["23514"], "{}", t.render());
        assert_eq!(
            t.monitor_results(),
            ["state=idle in transaction (aborted)", "state=idle in transaction"],
            "{}",
            t.render()
        );
        assert_eq!(t.last_rows(), "alice, 13000; bob, 2000; carol, 0", "{}", t.render());
    }
}

#[test]
fn idle_transactions_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    use examples::acid::idle_transactions::SCENARIOS;
    let runs = observed("what idle transactions hold back", "idle-transactions.txt", SCENARIOS);
    if let Some(t) = runs.first() {
        // Read committed, only read: nothing. Read committed, written: a transaction id.
        // Repeatable read: a snapshot.
        assert_eq!(
            t.monitor_results(),
            ["xid=f, xmin=f", "xid=t, xmin=f", "xid=f, xmin=t"],
            "{}",
            t.render()
        );
    }
}

#[test]
fn orm_lost_update_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    use examples::orm::lost_update_postgres::SCENARIOS;
    let runs = observed("the lost update through an entity", "orm-lost-update.txt", SCENARIOS);
    let [read_committed, repeatable_read, for_update, atomic] =
        [SCENARIOS[0], SCENARIOS[1], SCENARIOS[2], SCENARIOS[3]];
    if let Some(t) = find(&runs, Server::Postgres, read_committed.title) {
        // B waits for A's row lock, then writes the 11 it computed: one like is lost.
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert!(t.errors("B").is_empty(), "{}", t.render());
        assert_eq!(t.last_rows(), "11", "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Postgres, repeatable_read.title) {
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert_eq!(t.errors("B"), ["40001"], "{}", t.render());
        assert_eq!(t.last_rows(), "12", "{}", t.render());
    }
    for scenario in [for_update, atomic] {
        if let Some(t) = find(&runs, Server::Postgres, scenario.title) {
            assert!(t.waited_for("B", "A"), "{}", t.render());
            assert!(t.errors("A").is_empty() && t.errors("B").is_empty(), "{}", t.render());
            assert_eq!(t.last_rows(), "12", "{}", t.render());
        }
    }
}

#[test]
fn structure_cancel_race_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    use examples::structure::cancel_race_postgres::SCENARIOS;
    let runs = observed("two cancels of one order", "structure-cancel-race.txt", SCENARIOS);
    let [read_check_write, conditional, repeatable_read, for_update] =
        [SCENARIOS[0], SCENARIOS[1], SCENARIOS[2], SCENARIOS[3]];
    // Each session's results: BEGIN, the read, the write, the end.
    if let Some(t) = find(&runs, Server::Postgres, read_check_write.title) {
        // Both read "placed"; B's write waits for A's row lock, then changes the row anyway:
        // both requests would answer 200.
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert_eq!(t.results("A"), ["ok", "0", "UPDATE 1", "ok"], "{}", t.render());
        assert_eq!(t.results("B"), ["ok", "0", "UPDATE 1", "ok"], "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Postgres, conditional.title) {
        // B read "placed" too, but its UPDATE re-checks the WHERE on the row A committed: 0 rows.
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert_eq!(t.results("A"), ["ok", "0", "UPDATE 1", "ok"], "{}", t.render());
        assert_eq!(t.results("B"), ["ok", "0", "UPDATE 0", "ok"], "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Postgres, repeatable_read.title) {
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert_eq!(t.errors("B"), ["40001"], "{}", t.render());
        assert!(t.errors("A").is_empty(), "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Postgres, for_update.title) {
        // B's locking read waits for A, then returns the committed 1: B answers 409.
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert_eq!(t.results("B"), ["ok", "1", "ok"], "{}", t.render());
    }
}

#[test]
fn ssi_with_mixed_levels_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    use examples::isolation::ssi_mixed::SCENARIOS;
    let runs = observed("SSI at mixed levels", "ssi-mixed-levels.txt", SCENARIOS);
    if let Some(t) = find(&runs, Server::Postgres, SCENARIOS[0].title) {
        // Both commit, and nobody is on call.
        assert!(t.errors("T1").is_empty() && t.errors("T2").is_empty(), "{}", t.render());
        assert_eq!(t.last_rows(), "0", "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Postgres, SCENARIOS[1].title) {
        assert_eq!([t.errors("T1"), t.errors("T2")].concat(), ["40001"], "{}", t.render());
        assert_eq!(t.last_rows(), "1", "{}", t.render());
    }
}

#[test]
fn innodb_gap_locks_on_a_real_mariadb() {
    let _beside = beside_the_purge();
    use examples::isolation::gap_locks::SCENARIOS;
    let runs = observed("InnoDB's gap locks", "innodb-gap-locks.txt", SCENARIOS);
    if let Some(t) = find(&runs, Server::Mariadb, SCENARIOS[0].title) {
        // The insert into the locked range waits for A, and goes in once A commits.
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert!(t.errors("B").is_empty(), "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Mariadb, SCENARIOS[1].title) {
        // One insert waits for the other's gap lock, the second closes the cycle: a deadlock,
        // one transaction rolled back, one booking.
        assert!(t.any_wait(), "{}", t.render());
        assert_eq!([t.errors("A"), t.errors("B")].concat(), ["1213 (40001)"], "{}", t.render());
        assert_eq!(t.last_rows().split("; ").count(), 1, "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Mariadb, SCENARIOS[2].title) {
        // A booking after the range: B's locking read waits for A's lock on that row, and A's
        // insert into the gap B is queued for makes B the deadlock's victim.
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert_eq!(t.errors("B"), ["1213 (40001)"], "{}", t.render());
        assert_eq!(t.last_rows(), "alice", "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Mariadb, SCENARIOS[3].title) {
        // No gap locks at read committed: nobody waits, and the room is booked twice.
        assert!(!t.any_wait(), "{}", t.render());
        assert_eq!(t.last_rows(), "alice; bob", "{}", t.render());
    }
}

#[test]
fn deadlock_between_two_transactions_on_real_servers() {
    let _beside = beside_the_purge();
    use examples::locks::db_deadlock::SCENARIOS;
    let runs = observe(
        "real_servers: two transactions in opposite orders",
        "db-deadlock.txt",
        SCENARIOS,
        Deadlocks::AwaitTheServer,
    )
    .unwrap_or_else(|difference| panic!("{difference}"));
    let [opposite_pg, opposite_maria, ordered_pg, ordered_maria] =
        [SCENARIOS[0], SCENARIOS[1], SCENARIOS[2], SCENARIOS[3]];
    // Whichever transaction is the victim, the other one's transfer is the one that committed.
    let committed = |t: &Transcript, victim: &str| match victim {
        "A" => "1, 1100; 2, 900",
        "B" => "1, 900; 2, 1100",
        _ => unreachable!("{}", t.render()),
    };
    if let Some(t) = find(&runs, Server::Postgres, opposite_pg.title) {
        // The default deadlock_timeout; the server's wait-for graph had the cycle; exactly one
        // transaction got 40P01, after waiting at least deadlock_timeout; the other committed.
        assert_eq!(t.monitor_results(), ["deadlock_timeout=1s"], "{}", t.render());
        let reports: Vec<Vec<String>> = t
            .deadlock_reports()
            .into_iter()
            .map(|mut edges| {
                edges.sort();
                edges
            })
            .collect();
        assert_eq!(reports, [["A waits for B", "B waits for A"]], "{}", t.render());
        let victims: Vec<&str> = ["A", "B"].into_iter().filter(|s| t.errors(s) == ["40P01"]).collect();
        assert_eq!(victims.len(), 1, "{}", t.render());
        assert!(t.errors(if victims[0] == "A" { "B" } else { "A" }).is_empty(), "{}", t.render());
        let waited = t.error_after(victims[0], "40P01").expect("timed");
        assert!(
            waited >= std::time::Duration::from_secs(1),
            "40P01 after {waited:?}, before deadlock_timeout"
        );
        assert_eq!(t.last_rows(), committed(t, victims[0]), "{}", t.render());
        // The survivor's statement sat in the cycle too, and came through once it was broken.
        assert!(t.render().contains("(deadlock), then UPDATE 1"), "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Mariadb, opposite_maria.title) {
        // Detection is on, and immediate: the statement that closes the cycle fails at once,
        // never seen waiting; its whole transaction is rolled back, the other one commits.
        assert_eq!(t.monitor_results(), ["innodb_deadlock_detect=1"], "{}", t.render());
        assert!(t.cycles_seen().is_empty(), "InnoDB let a cycle stand: {}", t.render());
        let victims: Vec<&str> = ["A", "B"].into_iter().filter(|s| t.errors(s) == ["1213 (40001)"]).collect();
        assert_eq!(victims.len(), 1, "{}", t.render());
        // "At once": the failing statement's round trip, a few ms, not a timer. 150 ms leaves
        // room for a loaded machine and still fails any periodic or delayed detector.
        let failed_after = t.error_after(victims[0], "1213 (40001)").expect("timed");
        assert!(failed_after < std::time::Duration::from_millis(150), "1213 only after {failed_after:?}");
        assert_eq!(t.last_rows(), committed(t, victims[0]), "{}", t.render());
    }
    for (server, scenario) in [(Server::Postgres, ordered_pg), (Server::Mariadb, ordered_maria)] {
        if let Some(t) = find(&runs, server, scenario.title) {
            // One order: B waits for A, nobody fails, both transfers commit.
            assert!(t.waited_for("B", "A"), "{}", t.render());
            assert!(
                t.cycles_seen().is_empty()
                    && t.deadlock_reports().is_empty()
                    && t.errors("A").is_empty()
                    && t.errors("B").is_empty(),
                "{}",
                t.render()
            );
            assert_eq!(t.last_rows(), "1, 1000; 2, 1000", "{}", t.render());
        }
    }
}

#[test]
fn sql_dialect_differences_on_real_servers() {
    let _beside = beside_the_purge();
    use examples::sql_joins::dialects::SCENARIOS;
    let runs = observed("where SQL dialects differ", "sql-dialects.txt", SCENARIOS);
    if let Some(t) = find(&runs, Server::Postgres, SCENARIOS[0].title) {
        let r = t.results("A");
        // '12abc' is not an integer; a bare column next to GROUP BY is an error; NULLs sort
        // last in ascending order; 7 / 2 is integer division; || with NULL is NULL, concat
        // skips it; COUNT(n) skips the NULL; NOT IN over a list with a NULL returns nothing.
        assert!(r[0].starts_with("ERROR 22P02"), "{}", t.render());
        assert!(r[1].starts_with("ERROR 42803"), "{}", t.render());
        assert_eq!(
            r[2..],
            ["3, 1; 1, 3; 2, NULL", "3, 1", "ab, NULL", "a", "3, 2", "(no rows)", "f, f"],
            "{}",
            t.render()
        );
    }
    if let Some(t) = find(&runs, Server::Mariadb, SCENARIOS[1].title) {
        let r = t.results("A");
        // Strict mode refuses '12abc' too (data truncated); the bare column is allowed; NULLs sort first;
        // 7 / 2 is a decimal; || is OR; concat with a NULL is NULL.
        assert!(r[0].starts_with("ERROR 1265"), "{}", t.render());
        assert!(!r[1].starts_with("ERROR"), "{}", t.render());
        assert_eq!(r[2], "2, NULL; 3, 1; 1, 3", "{}", t.render());
        assert_eq!(r[3], "3.5000, 1", "{}", t.render());
        // The default collation ignores case and trailing spaces.
        assert_eq!(r[4..], ["0, NULL", "NULL", "3, 2", "(no rows)", "1, 1"], "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Postgres, SCENARIOS[2].title) {
        let r = t.results("A");
        // NOT EXISTS becomes an anti join (hash, merge or nested loop); NOT IN stays a SubPlan filter.
        assert!(r[0].contains("Anti Join"), "{}", t.render());
        assert!(r[1].contains("SubPlan") && !r[1].contains("Anti Join"), "{}", t.render());
    }
}

// ---- The chapter "Locking and MVCC" ----------------------------------------------------------

#[test]
fn mvcc_heap_page_on_a_real_postgresql() {
    let _beside = beside_the_purge();
    mvcc::check_heap();
}

/// The InnoDB purge observation (500 commits under an old read view) and the four-thread queue
/// drain load MariaDB enough that, beside them, the scripted scenarios below saw a waiting
/// statement neither answer nor show up in `innodb_lock_waits` within 10 s (3 of 3 runs with
/// all `mvcc_` tests in parallel; never with either of the two left out). They take turns.
static MARIADB_HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The purge observation also runs alone, every other test of this binary waiting: on a second
/// machine (MariaDB 10.11.19, two cores) the scripted MariaDB scenarios beside it, Hermitage's
/// too, saw a blocked statement neither answer nor show up as waiting within 10 s, and hit
/// their lock wait timeout (3 of 3 full runs; none with the purge test skipped). Each test takes
/// this lock before `MARIADB_HEAVY`, so the two locks are always taken in the same order.
static PURGE_ALONE: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn purge_alone() -> std::sync::RwLockWriteGuard<'static, ()> {
    PURGE_ALONE.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn beside_the_purge() -> std::sync::RwLockReadGuard<'static, ()> {
    PURGE_ALONE.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn take_turn() -> std::sync::MutexGuard<'static, ()> {
    MARIADB_HEAVY.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn mvcc_innodb_purge_on_a_real_mariadb() {
    let _alone = purge_alone();
    let _turn = take_turn();
    mvcc::check_purge();
}

#[test]
fn mvcc_row_lock_modes_on_real_servers() {
    let _beside = beside_the_purge();
    mvcc::check_lock_modes();
}

#[test]
fn mvcc_queue_drain_on_real_servers() {
    let _beside = beside_the_purge();
    let _turn = take_turn();
    mvcc::check_drain();
}

#[test]
fn mvcc_job_queue_on_real_servers() {
    let _beside = beside_the_purge();
    let _turn = take_turn();
    use examples::mvcc::job_queue::SCENARIOS;
    let runs = observed("a table as a job queue", "job-queue.txt", SCENARIOS);
    for server in Server::ALL {
        if let Some(t) = find(&runs, server, SCENARIOS[0].title) {
            // Both read job 1; B's write lands on it again: job 1 was worked on twice.
            assert!(!t.any_wait(), "{}", t.render());
            assert_eq!(t.results("A")[1], "1", "{}", t.render());
            assert_eq!(t.results("B")[1], "1", "{}", t.render());
            assert_eq!(t.last_rows(), "1, done, B; 2, queued, NULL; 3, queued, NULL", "{}", t.render());
        }
        if let Some(t) = find(&runs, server, SCENARIOS[2].title) {
            // B's claim waits for A's lock on job 1, then takes job 2.
            assert!(t.waited_for("B", "A"), "{}", t.render());
            assert_eq!(t.results("B")[1], "2", "{}", t.render());
            assert_eq!(t.last_rows(), "1, done, A; 2, done, B; 3, queued, NULL", "{}", t.render());
        }
        if let Some(t) = find(&runs, server, SCENARIOS[4].title) {
            // Nobody waits: B skips job 1, which A has locked, and takes job 2.
            assert!(!t.any_wait(), "{}", t.render());
            assert_eq!(t.results("B")[1], "2", "{}", t.render());
            assert_eq!(t.last_rows(), "1, done, A; 2, done, B; 3, queued, NULL", "{}", t.render());
        }
    }
}

#[test]
fn mvcc_deadlock_victims_on_real_servers() {
    let _beside = beside_the_purge();
    let _turn = take_turn();
    use examples::mvcc::deadlock_victims::SCENARIOS;
    let runs = observe(
        "real_servers: which transaction a deadlock rolls back",
        "deadlock-victims.txt",
        SCENARIOS,
        Deadlocks::AwaitTheServer,
    )
    .unwrap_or_else(|difference| panic!("{difference}"));
    if let Some(t) = find(&runs, Server::Postgres, SCENARIOS[0].title) {
        // A waited first, but its check would run only after 20 s: B's, after 1 s, finds the
        // cycle and B is the victim; A's transfer commits.
        assert_eq!(t.errors("B"), ["40P01"], "{}", t.render());
        assert!(t.errors("A").is_empty(), "{}", t.render());
        assert_eq!(t.last_rows(), "1, 900; 2, 1100", "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Mariadb, SCENARIOS[1].title) {
        // B closed the cycle, but A had changed one row and B fifty-one: A is rolled back.
        assert_eq!(t.errors("A"), ["1213 (40001)"], "{}", t.render());
        assert!(t.errors("B").is_empty(), "{}", t.render());
        assert_eq!(t.last_rows(), "1, 1100; 2, 900", "{}", t.render());
    }
}

#[test]
fn mvcc_advisory_locks_on_real_servers() {
    let _beside = beside_the_purge();
    use examples::mvcc::advisory::SCENARIOS;
    let runs = observed("advisory locks", "advisory-locks.txt", SCENARIOS);
    if let Some(t) = find(&runs, Server::Postgres, SCENARIOS[0].title) {
        // B cannot have 42 while A holds it, waits for it, and gets it when A unlocks; the
        // session lock 8 outlives A's ROLLBACK; the transaction lock 7 ends with A's COMMIT.
        assert!(t.waited_for("B", "A"), "{}", t.render());
        assert_eq!(t.results("B"), ["f", "locked", "t", "f", "f", "t"], "{}", t.render());
    }
    if let Some(t) = find(&runs, Server::Mariadb, SCENARIOS[1].title) {
        assert_eq!(t.results("B"), ["0", "0", "1"], "{}", t.render());
        assert_eq!(t.monitor_results(), ["held_by_a=1"], "{}", t.render());
    }
}

#[test]
fn mvcc_optimistic_locking_on_real_servers() {
    let _beside = beside_the_purge();
    let _turn = take_turn();
    use examples::mvcc::optimistic::SCENARIOS;
    let runs = observed("optimistic concurrency with a version column", "optimistic-locking.txt", SCENARIOS);
    for server in Server::ALL {
        if let Some(t) = find(&runs, server, SCENARIOS[0].title) {
            // B's first save matches nothing (UPDATE 0); after a reload it goes in.
            assert_eq!(t.results("B")[1], "UPDATE 0", "{}", t.render());
            assert_eq!(t.last_rows(), "edited by B, 3", "{}", t.render());
        }
        if let Some(t) = find(&runs, server, SCENARIOS[2].title) {
            // B's save waits for A's row lock, then matches nothing.
            assert!(t.waited_for("B", "A"), "{}", t.render());
            assert_eq!(t.results("B")[2], "UPDATE 0", "{}", t.render());
            assert_eq!(t.last_rows(), "edited by A, 2", "{}", t.render());
        }
    }
    // With write-write conflict detection, B's save waits for A, then fails instead of
    // re-checking: 40001 on PostgreSQL at repeatable read, 1020 on MariaDB.
    for (server, scenario, code) in
        [(Server::Postgres, SCENARIOS[4], "40001"), (Server::Mariadb, SCENARIOS[5], "1020 (HY000)")]
    {
        if let Some(t) = find(&runs, server, scenario.title) {
            assert!(t.waited_for("B", "A"), "{}", t.render());
            assert_eq!(t.errors("B"), [code], "{}", t.render());
            assert_eq!(t.last_rows(), "edited by A, 2", "{}", t.render());
        }
    }
}
