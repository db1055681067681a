//! The replication chapter's claims, on a PostgreSQL 15 primary and streaming replica of the
//! test's own.
//!
//! The shared server on 5432 has no `replication` line in its `pg_hba.conf`, and a replica must
//! be a whole cluster of its own, so the test builds a private pair: `initdb` a primary into a
//! temporary directory, start it on a free loopback port, clone it with `pg_basebackup -R` (which
//! writes `standby.signal` and `primary_conninfo`) and start the clone on another free port.
//! PostgreSQL refuses to run as root, so when the test is root both run as the unprivileged user
//! of `harness::unprivileged_user`. [`Cluster`] stops both servers and removes the directory on
//! drop, so a failing assertion leaves nothing behind.
//!
//! What is shown is deterministic: the replica's replay is paused with `pg_wal_replay_pause()`
//! rather than raced, LSNs are compared rather than printed, `replay_lag` is shown as a class
//! (`null`, `under 1 s`, `1 s or more`) and waits as "was it still waiting". Commits that should
//! return run on a thread with a deadline, so a commit that blocks fails the test instead of
//! hanging it. Compared with
//! `examples/data/pg-streaming-replica.txt`; without the PostgreSQL 15 server binaries the check
//! is skipped loudly (a failure in CI).

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use examples::replication::streaming::{
    APPLICATION_NAME, PRIMARY_CONF, REPLICA_CONF, SLOT, STAT_REPLICATION, TABLE,
};

use super::harness::{
    Conn, DEADLINE, Unprivileged, compare_or_bless, free_port, unique_name, unprivileged_user,
};

const FILE: &str = "pg-streaming-replica.txt";

/// Where Debian puts PostgreSQL 15's server programs (`BF_PG_BIN` overrides it).
fn bin_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("BF_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
    ["initdb", "postgres", "pg_basebackup"].iter().all(|p| dir.join(p).is_file()).then_some(dir)
}

/// One `postgres` process of the test's own.
struct Instance {
    port: u16,
    data: PathBuf,
    child: Option<Child>,
}

/// A primary and (once cloned) its replica, in one temporary directory.
pub struct Cluster {
    bin: PathBuf,
    root: PathBuf,
    user: Option<Unprivileged>,
    primary: Instance,
    replica: Option<Instance>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Some(replica) = &mut self.replica {
            stop(replica);
        }
        stop(&mut self.primary);
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Fast shutdown (SIGINT: abort transactions, checkpoint, exit), SIGKILL if it takes too long.
fn stop(instance: &mut Instance) {
    let Some(mut child) = instance.child.take() else { return };
    // SAFETY: kill has no memory-safety preconditions; the pid is our own child's.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let started = Instant::now();
    while started.elapsed() < DEADLINE {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Cluster {
    /// A command for one of the server programs, run as the unprivileged user when root.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        command.current_dir(&self.root).stdin(Stdio::null());
        if let Some(user) = &self.user {
            command.uid(user.uid).gid(user.gid);
        }
        command
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let output = self.command(program).args(args).output().map_err(|e| format!("{program}: {e}"))?;
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "{program} {}: {}\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }

    /// `initdb` and start a primary on a free port.
    fn create(bin: PathBuf) -> Result<Cluster, String> {
        let root = std::env::temp_dir().join(unique_name("bf_replica"));
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
        let user = unprivileged_user();
        if let Some(user) = &user {
            std::os::unix::fs::chown(&root, Some(user.uid), Some(user.gid)).map_err(|e| e.to_string())?;
        }
        let primary = Instance { port: free_port(), data: root.join("primary"), child: None };
        let mut cluster = Cluster { bin, root, user, primary, replica: None };
        let data = cluster.primary.data.display().to_string();
        // trust: initdb's pg_hba.conf then also lets `replication` connect from 127.0.0.1.
        cluster.run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])?;
        let conf = PRIMARY_CONF
            .replace("{port}", &cluster.primary.port.to_string())
            .replace("{socket_dir}", &cluster.root.display().to_string());
        append(&cluster.primary.data.join("postgresql.conf"), &conf)?;
        let (root, port) = (cluster.root.clone(), cluster.primary.port);
        let child = cluster.spawn(&cluster.primary.data, &root.join("primary.log"), port)?;
        cluster.primary.child = Some(child);
        Ok(cluster)
    }

    /// Clone the primary with `pg_basebackup` and start the clone as a streaming replica.
    fn add_replica(&mut self) -> Result<String, String> {
        let data = self.root.join("replica");
        let port = free_port();
        let primary_port = self.primary.port.to_string();
        let target = data.display().to_string();
        self.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &primary_port,
                "-U",
                "postgres",
                "-D",
                &target,
                "-R",
                "-X",
                "stream",
                "-C",
                "-S",
                SLOT,
                "--checkpoint=fast",
                "--no-sync",
            ],
        )?;
        let signal = data.join("standby.signal").is_file();
        let auto = std::fs::read_to_string(data.join("postgresql.auto.conf")).unwrap_or_default();
        let wrote = format!(
            "pg_basebackup -R -X stream -C -S {SLOT}: standby.signal written: {}; primary_conninfo \
             and primary_slot_name in postgresql.auto.conf: {}",
            examples::yes(signal),
            examples::yes(
                auto.contains("primary_conninfo") && auto.contains(&format!("primary_slot_name = '{SLOT}'"))
            )
        );
        let conf = REPLICA_CONF
            .replace("{port}", &port.to_string())
            .replace("{primary_port}", &primary_port)
            .replace("{application_name}", APPLICATION_NAME);
        append(&data.join("postgresql.auto.conf"), &conf)?;
        let child = self.spawn(&data, &self.root.join("replica.log"), port)?;
        self.replica = Some(Instance { port, data, child: Some(child) });
        Ok(wrote)
    }

    fn spawn(&self, data: &Path, log: &Path, port: u16) -> Result<Child, String> {
        let log_file = std::fs::File::create(log).map_err(|e| e.to_string())?;
        if let Some(user) = &self.user {
            std::os::unix::fs::chown(log, Some(user.uid), Some(user.gid)).map_err(|e| e.to_string())?;
        }
        let mut child = self
            .command("postgres")
            .arg("-D")
            .arg(data)
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("starting postgres: {e}"))?;
        let started = Instant::now();
        loop {
            if connect(port).is_ok() {
                return Ok(child);
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "postgres exited ({status}):\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                ));
            }
            if started.elapsed() > DEADLINE * 3 {
                let _ = child.kill();
                return Err(format!("postgres did not accept connections on port {port}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn primary(&self) -> Result<Session, String> {
        connect(self.primary.port)
    }

    fn replica(&self) -> Result<Session, String> {
        connect(self.replica.as_ref().ok_or("no replica")?.port)
    }

    fn stop_replica(&mut self) {
        if let Some(replica) = &mut self.replica {
            stop(replica);
        }
    }
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).map_err(|e| e.to_string())?;
    file.write_all(text.as_bytes()).map_err(|e| e.to_string())
}

/// A connection and the warnings the server sent it.
struct Session {
    conn: Conn,
    notices: Arc<Mutex<Vec<String>>>,
}

fn connect(port: u16) -> Result<Session, String> {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let sink = notices.clone();
    let client = postgres::Config::new()
        .host("127.0.0.1")
        .port(port)
        .user("postgres")
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(3))
        .notice_callback(move |notice| {
            let mut text = format!("{}: {}", notice.severity(), notice.message());
            if let Some(detail) = notice.detail() {
                let _ = write!(text, " DETAIL: {detail}");
            }
            sink.lock().unwrap().push(text);
        })
        .connect(postgres::NoTls)
        .map_err(|e| e.to_string())?;
    Ok(Session { conn: Conn::Postgres(Box::new(client)), notices })
}

impl Session {
    fn one(&mut self, sql: &str) -> String {
        self.conn.must(sql).into_iter().next().unwrap_or_else(|| panic!("{sql}: no row"))
    }

    /// `sql` and what it returned, as one transcript line.
    fn show(&mut self, out: &mut String, who: &str, sql: &str) -> String {
        let result = self.conn.outcome(sql).render(false);
        let _ = writeln!(out, "{who}: {sql} -> {result}");
        result
    }

    /// Like `show`, with `{token}` in `sql` replaced by the LSN for the server but not in the
    /// transcript (an LSN differs from run to run).
    fn show_token(&mut self, out: &mut String, who: &str, sql: &str, token: &str) -> String {
        let result = self.conn.outcome(&sql.replace("{token}", token)).render(false);
        let _ = writeln!(out, "{who}: {sql} -> {result}");
        result
    }

    fn notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap())
    }
}

/// Polls `check` until it holds; panics after the deadline with `what`.
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < DEADLINE * 3, "waited too long for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `sql` (a commit that waits for the synchronous standby) on a thread; shows that the wait
/// outlives `statement_timeout` (PostgreSQL disables the statement timer before it commits), then
/// ends it with `pg_cancel_backend` from `monitor` and shows what the statement returned.
fn commit_that_waits(
    out: &mut String,
    mut session: Session,
    monitor: &mut Session,
    who: &str,
    sql: &str,
) -> Session {
    let pid = session.one("SELECT pg_backend_pid()");
    session.show(out, who, "SET statement_timeout = '1s'");
    let statement = sql.to_string();
    let waiting = thread::spawn(move || {
        let result = session.conn.outcome(&statement).render(false);
        (session, result)
    });
    let wait_event =
        format!("SELECT coalesce((SELECT wait_event FROM pg_stat_activity WHERE pid = {pid}), 'gone')");
    wait_until("the commit to wait for the standby", || monitor.one(&wait_event) == "SyncRep");
    let _ = writeln!(out, "{who}: {sql} ... waits (pg_stat_activity: wait_event = SyncRep)");
    thread::sleep(Duration::from_millis(1500));
    let still = monitor.one(&wait_event) == "SyncRep";
    let _ = writeln!(
        out,
        "  still waiting 1.5 s later, although statement_timeout = 1s: {}",
        examples::yes(still)
    );
    let cancelled = monitor.one(&format!("SELECT pg_cancel_backend({pid})"));
    let _ = writeln!(out, "monitor: SELECT pg_cancel_backend(<its pid>) -> {cancelled}");
    let (session, result) = waiting.join().expect("the waiting thread");
    let _ =
        writeln!(out, "{who}: ... the {} returns -> {result}", sql.split_whitespace().next().unwrap_or(""));
    for notice in session.notices() {
        let _ = writeln!(out, "  {notice}");
    }
    session
}

/// Starts `sql` on a thread; the receiver yields the session and what the statement returned.
fn start(mut session: Session, sql: &str) -> mpsc::Receiver<(Session, String)> {
    let statement = sql.to_string();
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let outcome = session.conn.outcome(&statement).render(false);
        let _ = done.send((session, outcome));
    });
    result
}

/// Waits for a statement started with [`start`]; panics if it has not returned by the deadline
/// (a commit that blocks for the standby fails the test rather than hanging it).
fn finish(running: &mpsc::Receiver<(Session, String)>, what: &str) -> (Session, String) {
    running.recv_timeout(DEADLINE).unwrap_or_else(|_| panic!("{what} did not return within {DEADLINE:?}"))
}

/// Runs `sql` and shows its result, failing if it does not return by the deadline.
fn show_within(out: &mut String, session: Session, who: &str, sql: &str) -> Session {
    let (session, result) = finish(&start(session, sql), sql);
    let _ = writeln!(out, "{who}: {sql} -> {result}");
    session
}

/// The one row of `STAT_REPLICATION`, as `column=value` pairs (or `(no rows)`).
fn stat_replication(primary: &mut Session, token: &str) -> String {
    let sql = STAT_REPLICATION.replace("{token}", token);
    primary.conn.outcome(&sql).render(true)
}

fn observe(bin: PathBuf) -> Result<String, String> {
    let mut out = String::new();
    writeln!(
        out,
        "# What a private PostgreSQL 15 primary and its streaming replica did \
         (examples/tests/real_servers/replica.rs).\n# Both on free loopback ports in a temporary \
         directory. LSNs are compared, not printed; replay_lag is shown as a class.\n"
    )
    .unwrap();

    // ---- 1. The replica --------------------------------------------------------------------
    writeln!(out, "== 1. A streaming replica made with pg_basebackup ==").unwrap();
    let mut cluster = Cluster::create(bin)?;
    let mut primary = cluster.primary()?;
    for statement in TABLE {
        primary.conn.must(statement);
    }
    let wrote = cluster.add_replica()?;
    writeln!(out, "{wrote}").unwrap();
    let mut replica = cluster.replica()?;
    wait_until("the replica to stream", || {
        primary.conn.must("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")[0] == "1"
    });
    primary.show(&mut out, "primary", "SELECT pg_is_in_recovery()");
    replica.show(&mut out, "replica", "SELECT pg_is_in_recovery()");
    let token = primary.one("SELECT pg_current_wal_lsn()");
    wait_until("the replica to replay the table", || {
        replica.one(&format!("SELECT pg_last_wal_replay_lsn() >= '{token}'")) == "t"
    });
    primary.show(&mut out, "primary", "SELECT application_name, state, sync_state FROM pg_stat_replication");
    replica.show(&mut out, "replica", "SELECT name FROM profile WHERE id = 1");
    replica.show(&mut out, "replica", "UPDATE profile SET name = 'x' WHERE id = 1");

    // ---- 2. Asynchronous: lag, and a read that misses a committed write -----------------------
    writeln!(out, "\n== 2. Asynchronous (the default): the replica misses a committed write ==").unwrap();
    replica.show(&mut out, "replica", "SELECT pg_wal_replay_pause()");
    wait_until("replay to pause", || replica.one("SELECT pg_get_wal_replay_pause_state()") == "paused");
    primary.show(&mut out, "primary", "UPDATE profile SET name = 'new' WHERE id = 1");
    let token = primary.one("SELECT pg_current_wal_lsn()");
    writeln!(out, "primary: SELECT pg_current_wal_lsn() -> the session's token, right after its commit")
        .unwrap();
    wait_until("the replica to receive the update", || {
        replica.one(&format!("SELECT pg_last_wal_receive_lsn() >= '{token}'")) == "t"
    });
    let stale = replica.show(&mut out, "replica", "SELECT name FROM profile WHERE id = 1");
    writeln!(out, "  read-your-writes violated: {}", examples::yes(stale == "old")).unwrap();
    replica.show_token(
        &mut out,
        "replica",
        "SELECT pg_last_wal_receive_lsn() >= '{token}' AS received, pg_last_wal_replay_lsn() >= '{token}' AS replayed",
        &token,
    );
    // While replay is paused, the primary's estimate of the replay lag grows with each standby
    // report; wait until it passes a second.
    wait_until("replay_lag to pass 1 s", || {
        primary.one("SELECT coalesce(max(replay_lag) >= interval '1 second', false) FROM pg_stat_replication")
            == "t"
    });
    writeln!(
        out,
        "primary: pg_stat_replication while replay is paused (replay_lag as a class):\n{}",
        stat_replication(&mut primary, &token)
    )
    .unwrap();
    let routed = replica.one(&format!("SELECT pg_last_wal_replay_lsn() >= '{token}'"));
    writeln!(
        out,
        "the fix, routing by token: has the replica replayed the token? {} -> read from the primary",
        if routed == "t" { "yes" } else { "no" }
    )
    .unwrap();
    primary.show(&mut out, "primary", "SELECT name FROM profile WHERE id = 1");
    replica.show(&mut out, "replica", "SELECT pg_wal_replay_resume()");
    wait_until("replay to catch up", || {
        replica.one(&format!("SELECT pg_last_wal_replay_lsn() >= '{token}'")) == "t"
    });
    writeln!(out, "  (waited until pg_last_wal_replay_lsn() >= token)").unwrap();
    replica.show(&mut out, "replica", "SELECT name FROM profile WHERE id = 1");

    // ---- 3. Synchronous: what each synchronous_commit level waits for --------------------------
    writeln!(out, "\n== 3. synchronous_standby_names = '{APPLICATION_NAME}': what each level waits for ==")
        .unwrap();
    primary.show(
        &mut out,
        "primary",
        &format!("ALTER SYSTEM SET synchronous_standby_names = '{APPLICATION_NAME}'"),
    );
    primary.show(&mut out, "primary", "SELECT pg_reload_conf()");
    wait_until("the standby to become synchronous", || {
        primary.one("SELECT coalesce(max(sync_state), '') FROM pg_stat_replication") == "sync"
    });
    primary.show(&mut out, "primary", "SELECT application_name, sync_state FROM pg_stat_replication");
    replica.show(&mut out, "replica", "SELECT pg_wal_replay_pause()");
    wait_until("replay to pause", || replica.one("SELECT pg_get_wal_replay_pause_state()") == "paused");
    writeln!(out, "-- replay paused on the replica; WAL still arrives and is flushed there").unwrap();
    for (level, value) in [("remote_write", "rw"), ("on", "on")] {
        primary.show(&mut out, "primary", &format!("SET synchronous_commit = {level}"));
        primary = show_within(
            &mut out,
            primary,
            "primary",
            &format!("UPDATE profile SET name = '{value}' WHERE id = 1"),
        );
        writeln!(out, "  the commit returned although replay is paused: yes").unwrap();
        let seen = replica.show(&mut out, "replica", "SELECT name FROM profile WHERE id = 1");
        writeln!(out, "  read-your-writes violated: {}", examples::yes(seen != value)).unwrap();
    }
    // remote_apply waits for replay, which is paused: the commit hangs until it is cancelled.
    primary.show(&mut out, "primary", "SET synchronous_commit = remote_apply");
    let mut monitor = cluster.primary()?;
    let mut primary = commit_that_waits(
        &mut out,
        primary,
        &mut monitor,
        "primary",
        "UPDATE profile SET name = 'applied' WHERE id = 1",
    );
    let mut other = cluster.primary()?;
    other.show(&mut out, "primary, another session", "SELECT name FROM profile WHERE id = 1");
    // Again at remote_apply, with replay still paused: the commit blocks; resuming replay lets it
    // return, and only then is the replica read. Under `on` the commit would not block at all.
    primary.show(&mut out, "primary", "SET statement_timeout = 0");
    let pid = primary.one("SELECT pg_backend_pid()");
    let sql = "UPDATE profile SET name = 'newest' WHERE id = 1";
    let running = start(primary, sql);
    let wait_event =
        format!("SELECT coalesce((SELECT wait_event FROM pg_stat_activity WHERE pid = {pid}), 'gone')");
    wait_until("the remote_apply commit to wait for replay", || monitor.one(&wait_event) == "SyncRep");
    writeln!(out, "primary: {sql} ... waits (pg_stat_activity: wait_event = SyncRep)").unwrap();
    replica.show(&mut out, "replica", "SELECT name FROM profile WHERE id = 1");
    replica.show(&mut out, "replica", "SELECT pg_wal_replay_resume()");
    writeln!(out, "-- replay running again").unwrap();
    let (mut primary, result) = finish(&running, "the remote_apply commit after replay resumed");
    writeln!(out, "primary: ... the UPDATE returns -> {result}").unwrap();
    let seen = replica.show(&mut out, "replica", "SELECT name FROM profile WHERE id = 1");
    writeln!(
        out,
        "  read-your-writes violated: {} (remote_apply returned only after the replica replayed it)",
        examples::yes(seen != "newest")
    )
    .unwrap();

    // ---- 4. The synchronous standby is down -------------------------------------------------
    writeln!(out, "\n== 4. The synchronous standby goes down ==").unwrap();
    drop(replica);
    cluster.stop_replica();
    writeln!(out, "-- replica stopped").unwrap();
    wait_until("the primary to notice", || primary.one("SELECT count(*) FROM pg_stat_replication") == "0");
    primary.show(&mut out, "primary", "SELECT count(*) FROM pg_stat_replication");
    primary.show(&mut out, "primary", "SET synchronous_commit = on");
    let mut primary = commit_that_waits(
        &mut out,
        primary,
        &mut monitor,
        "primary",
        "UPDATE profile SET name = 'alone' WHERE id = 1",
    );
    other.show(&mut out, "primary, another session", "SELECT name FROM profile WHERE id = 1");
    primary.show(&mut out, "primary", "SET synchronous_commit = local");
    let primary = show_within(&mut out, primary, "primary", "UPDATE profile SET name = 'local' WHERE id = 1");
    writeln!(out, "  returned without the standby: yes").unwrap();
    drop(primary);
    drop(other);
    drop(monitor);
    drop(cluster);
    Ok(out)
}

#[test]
fn a_streaming_replica_on_a_private_postgresql() {
    let check = "real_servers: a PostgreSQL streaming replica";
    let Some(bin) = bin_dir() else {
        test_support::skip_or_fail(
            check,
            "PostgreSQL 15's server programs (initdb, postgres, pg_basebackup) are not in /usr/lib/postgresql/15/bin",
            "Install `postgresql-15` (.ci/run does), or point BF_PG_BIN at its bin directory.",
        );
        return;
    };
    let observed = observe(bin).unwrap_or_else(|e| panic!("{check}: {e}"));
    // The page's words, checked on what happened.
    for claim in [
        "standby.signal written: yes",
        "replica: SELECT pg_is_in_recovery() -> t",
        "ERROR 25006",
        "replica: SELECT name FROM profile WHERE id = 1 -> old\n  read-your-writes violated: yes",
        "AS replayed -> t, f",
        "has the replica replayed the token? no",
        "FROM pg_stat_replication -> bf_replica, sync",
        "still waiting 1.5 s later, although statement_timeout = 1s: yes",
        "canceling wait for synchronous replication due to user request",
        "name = 'newest' WHERE id = 1 ... waits (pg_stat_activity: wait_event = SyncRep)\nreplica: SELECT name FROM profile WHERE id = 1 -> new\n",
        "read-your-writes violated: no (remote_apply",
        "returned without the standby: yes",
    ] {
        assert!(observed.contains(claim), "no `{claim}` in:\n{observed}");
    }
    compare_or_bless(FILE, &observed).unwrap_or_else(|difference| panic!("{difference}"));
}
