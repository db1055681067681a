//! A real MapReduce word count on this machine: worker processes (`batch-child worker`), input
//! splits and intermediate files on disk, a coordinator that hands out tasks, and a worker
//! killed with SIGKILL in the middle of a task.
//!
//! Each worker has a directory of its own, its "local disk": map tasks write their R
//! partition files there, and report them to the coordinator only when the task is done.
//! Reduce tasks read their partition from every finished map task and write their output into
//! the shared output directory (the "distributed file system") through a temporary file and
//! an atomic `rename`. When a worker dies, the coordinator treats its disk as gone (and
//! removes the directory): the task it was running *and the map tasks it had finished* run
//! again on other workers, since their output lived on that disk; its finished reduce output
//! is safe in the output directory.
//!
//! The coordinator hands out tasks in waves, one per live worker, lowest task first, so that
//! which worker runs what is the same in every run; a real master gives a task to whichever
//! worker asks first. The failure comes from outside the coordinator: an [`Injector`] thread sees
//! each progress report (a worker reports after each file it writes, then waits for `go`) and
//! kills the process that sends the K-th. The coordinator is not told; it finds the worker dead
//! by the end of file on its stdout, reaps it, reads the cause in its wait status, and runs its
//! task and lost map output again. Because the victim is waiting for `go` when it is killed,
//! the kill lands at the same point in every run.
//!
//! Nothing waits without a limit: each worker's stdout is read by a thread into a channel and
//! every reply has a deadline ([`REPLY_DEADLINE`]); a worker built from other sources is
//! refused at its first line ([`PROTOCOL`]); a dropped worker is killed and reaped.

use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use super::job::{self, Record};
use crate::input::Params;
use crate::processes::wordcount::{count_words, generate_text, split_at_whitespace};
use crate::programs::sibling_program;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "batch::mapreduce",
    title: "Word count as MapReduce: worker processes, files on disk, a worker killed mid-task",
    file: file!(),
    default_input: "words = 200000\nmaps = 6\nreduces = 3\nworkers = 3\nseed = 42\nkill = random\n",
    input_help: "`words = N` (up to 1,000,000), `maps = M` (1 to 16), `reduces = R` (1 to 8), \
                 `workers = W` (2 to 8), `seed = N`, `kill = random` | `K` | `none`: in the \
                 second run, a separate thread SIGKILLs the worker that sends the K-th progress \
                 report (K drawn from the seed, or given)",
    runs: Runs::NativeOnly {
        reason: "it starts worker processes and writes files, which the browser playground does not have",
        simulation: Some("batch::cluster"),
    },
    run: Run::Text(run),
};

/// What a job is: its input splits on disk and its shape.
pub struct Job {
    pub splits: Vec<PathBuf>,
    pub reduces: usize,
    pub workers: usize,
    pub combine: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Task {
    Map(usize),
    Reduce(usize),
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Task::Map(m) => write!(f, "map {m}"),
            Task::Reduce(r) => write!(f, "reduce {r}"),
        }
    }
}

/// What one run of a job did and left behind.
pub struct Report {
    /// One line per event, in order (waves, a death, the re-runs).
    pub log: Vec<String>,
    /// How many attempts each task had.
    pub attempts: BTreeMap<Task, usize>,
    /// Records and bytes in the map outputs the reducers read (reported, finished attempts).
    pub intermediate_records: u64,
    pub intermediate_bytes: u64,
    /// Map output files the reducers read (one per map task and reduce partition), and all the
    /// map output files attempts reported (lost ones included).
    pub intermediate_files: usize,
    pub intermediate_files_written: usize,
    /// The output files, by name, with their bytes.
    pub output: BTreeMap<String, Vec<u8>>,
}

impl Report {
    pub fn map_attempts(&self) -> usize {
        self.attempts.iter().filter(|(t, _)| matches!(t, Task::Map(_))).map(|(_, n)| n).sum()
    }

    pub fn reduce_attempts(&self) -> usize {
        self.attempts.iter().filter(|(t, _)| matches!(t, Task::Reduce(_))).map(|(_, n)| n).sum()
    }

    /// The workers the coordinator declared dead.
    pub fn deaths(&self) -> usize {
        self.log.iter().filter(|l| l.ends_with("Declared dead")).count()
    }
}

// ANCHOR: worker
/// The worker process (`batch-child worker DIR`): reads tasks from stdin, one per line, and
/// answers on stdout. `DIR` is its local disk.
///
/// * `map M SPLIT R COMBINE` writes `DIR/map-M-r` for each partition r (through a temporary
///   file and a rename), then answers `done map M RECORDS BYTES` and the files' paths;
/// * `reduce R OUTDIR FILE...` reads its partition from each file, sorts and sums, writes
///   `OUTDIR/.part-R.attempt-PID`, renames it to `OUTDIR/part-0000R`, answers `done reduce R KEYS`.
///
/// On the way it reports progress (after each partition file of a map task, after half the
/// keys of a reduce task) and waits for `go`: the task's heartbeat, like Hadoop's task
/// `statusUpdate`, and the moment at which the job's failure injector may kill it.
pub fn worker_main(local: &Path) -> ExitCode {
    let mut out = std::io::stdout().lock();
    // First line: which build of this protocol the program is (see `PROTOCOL`).
    if writeln!(out, "ready\t{PROTOCOL:016x}").and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    drop(out);
    loop {
        let mut line = String::new();
        if !matches!(std::io::stdin().read_line(&mut line), Ok(n) if n > 0) {
            break;
        }
        let line = line.trim_end_matches('\n');
        if line == "exit" {
            break;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let reply = match fields[..] {
            ["map", m, split, reduces, combine] => {
                run_map(local, m, Path::new(split), reduces, combine == "1")
            }
            ["reduce", r, outdir, ref files @ ..] => run_reduce(r, Path::new(outdir), files),
            _ => Err(format!("unknown task `{line}`")),
        };
        let reply = reply.unwrap_or_else(|e| format!("error\t{e}"));
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Reports progress on stdout and waits for the coordinator's `go`; if stdin ends instead (the
/// coordinator went away), the worker exits.
fn progress(report: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "progress\t{report}");
    let _ = out.flush();
    drop(out);
    let mut line = String::new();
    if !matches!(std::io::stdin().read_line(&mut line), Ok(n) if n > 0) || line.trim_end() != "go" {
        std::process::exit(3);
    }
}

fn run_map(local: &Path, m: &str, split: &Path, reduces: &str, combine: bool) -> Result<String, String> {
    let reduces: usize = reduces.parse().map_err(|_| format!("bad R `{reduces}`"))?;
    let text = fs::read_to_string(split).map_err(|e| format!("reading {}: {e}", split.display()))?;
    let (mut records, mut bytes, mut files) = (0u64, 0u64, Vec::new());
    for (r, partition) in job::map_split(&text, reduces, combine).into_iter().enumerate() {
        // Written under a temporary name and renamed: a file named `map-M-r` is always whole.
        let path = local.join(format!("map-{m}-{r}"));
        let temp = local.join(format!(".map-{m}-{r}.tmp"));
        let body: String = partition.iter().map(|(w, n)| job::record_line(w, *n)).collect();
        fs::write(&temp, &body).map_err(|e| format!("writing {}: {e}", temp.display()))?;
        fs::rename(&temp, &path).map_err(|e| format!("renaming to {}: {e}", path.display()))?;
        records += partition.len() as u64;
        bytes += body.len() as u64;
        files.push(path.display().to_string());
        progress(&format!("{} of {reduces} partition files, {records} records, {bytes} bytes", r + 1));
    }
    Ok(format!("done\tmap\t{m}\t{records}\t{bytes}\t{}", files.join("\t")))
}

fn run_reduce(r: &str, outdir: &Path, files: &[&str]) -> Result<String, String> {
    let mut records: Vec<Record> = Vec::new();
    for file in files {
        let text = fs::read_to_string(file).map_err(|e| format!("reading {file}: {e}"))?;
        records.extend(job::parse_records(&text)?);
    }
    let counts = job::reduce(records);
    let r: usize = r.parse().map_err(|_| format!("bad reduce task `{r}`"))?;
    // ANCHOR: commit
    let temp = outdir.join(format!(".part-{r}.attempt-{}", std::process::id()));
    let mut file = fs::File::create(&temp).map_err(|e| format!("creating {}: {e}", temp.display()))?;
    for (i, (word, n)) in counts.iter().enumerate() {
        if i == counts.len() / 2 {
            file.flush().map_err(|e| e.to_string())?;
            let len = fs::metadata(&temp).map_or(0, |m| m.len());
            progress(&format!("{i} of {} keys, {len} bytes, in its temporary file", counts.len()));
        }
        file.write_all(job::record_line(word, *n).as_bytes()).map_err(|e| e.to_string())?;
    }
    file.sync_all().map_err(|e| format!("fsync {}: {e}", temp.display()))?;
    // The commit point: a reader sees no part file or a whole one, never half of one.
    let name = outdir.join(output_name(r));
    fs::rename(&temp, &name).map_err(|e| format!("renaming to {}: {e}", name.display()))?;
    // ANCHOR_END: commit
    Ok(format!("done\treduce\t{r}\t{}", counts.len()))
}
// ANCHOR_END: worker

fn output_name(r: usize) -> String {
    format!("part-{r:05}")
}

/// A fingerprint of the worker protocol: FNV-1a of this file and `job.rs` as compiled. The worker
/// sends it first; a `batch-child` built from other sources (`cargo test --lib` does not rebuild
/// the crate's `[[bin]]`s, so an old one is easy to run by accident) is refused at once instead
/// of misreading tasks. That mismatch is what made an earlier version of this example hang after
/// its first run: an old worker never paused, and the coordinator waited for ever.
pub const PROTOCOL: u64 =
    fnv1a_const(include_bytes!("mapreduce.rs")) ^ fnv1a_const(include_bytes!("job.rs")).rotate_left(1);

const fn fnv1a_const(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// How long the coordinator waits for any one line from a worker (a reply or a progress
/// report, its heartbeat) before it declares the worker dead, kills it and runs its work
/// elsewhere, as the paper's master does with a worker that stops answering pings. Every task
/// here reports within well under a second; the deadline only has to end a wait that would
/// otherwise last for ever.
pub const REPLY_DEADLINE: Duration = Duration::from_secs(60);

/// A running worker process and its pipes. Its stdout is read by a thread of its own into a
/// channel, so that every wait for a reply has a deadline. Dropping it kills and reaps the
/// process if it still runs, so no early return leaves a worker behind.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    local: PathBuf,
    alive: bool,
    deadline: Duration,
}

/// What the coordinator heard from a worker.
enum Heard {
    Line(String),
    /// End of file on its stdout: the process is gone (or closed its stdout, as good as gone).
    Closed,
    /// Nothing within the deadline.
    Silent,
}

impl Worker {
    fn start(program: &Path, local: PathBuf) -> Result<Worker, String> {
        fs::create_dir(&local).map_err(|e| format!("creating {}: {e}", local.display()))?;
        let mut command = Command::new(program);
        command.arg("worker").arg(&local);
        let mut worker = Worker::spawn(command, local, REPLY_DEADLINE)
            .map_err(|e| format!("starting {}: {e}", program.display()))?;
        match worker.reply()?.split_once('\t') {
            Some(("ready", id)) if id == format!("{PROTOCOL:016x}") => Ok(worker),
            _ => Err(format!(
                "{} was built from other sources than this coordinator: rebuild it with \
                 `cargo build -p examples --bins`",
                program.display()
            )),
        }
    }

    fn spawn(mut command: Command, local: PathBuf, deadline: Duration) -> Result<Worker, String> {
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().map_err(|e| e.to_string())?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let (send, lines) = mpsc::channel();
        // Ends at the worker's end of file: when it exits or is killed.
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker { child, stdin, lines, local, alive: true, deadline })
    }

    fn send(&mut self, line: &str) -> Result<(), String> {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("to a worker: {e}"))
    }

    fn hear(&mut self) -> Heard {
        match self.lines.recv_timeout(self.deadline) {
            Ok(line) => Heard::Line(line),
            Err(RecvTimeoutError::Disconnected) => Heard::Closed,
            Err(RecvTimeoutError::Timeout) => Heard::Silent,
        }
    }

    /// A line, or an error for anything else (used where a worker must answer: at start).
    fn reply(&mut self) -> Result<String, String> {
        match self.hear() {
            Heard::Line(reply) if reply.starts_with("error\t") => {
                Err(format!("a worker failed: {}", &reply[6..]))
            }
            Heard::Line(reply) => Ok(reply),
            Heard::Closed => Err("a worker closed its stdout".to_string()),
            Heard::Silent => Err(format!("a worker said nothing for {} s", self.deadline.as_secs_f64())),
        }
    }

    /// Reaps a worker found dead (or kills a silent one first) and says how it ended, from
    /// its wait status: the coordinator learns what happened here, not from whoever did it.
    fn bury(&mut self, silent: bool) -> String {
        self.alive = false;
        if silent {
            let _ = self.child.kill();
        }
        match self.child.wait() {
            Ok(status) => match (status.signal(), status.code()) {
                (Some(signal), _) => format!("killed by signal {signal}"),
                (None, Some(code)) => format!("exited with status {code}"),
                (None, None) => "ended".to_string(),
            },
            Err(e) => format!("could not be waited for: {e}"),
        }
    }

    /// Asks the worker to exit and reaps it.
    fn stop(&mut self) {
        if self.alive {
            self.alive = false;
            if self.send("exit").is_err() || self.child.wait().is_err() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.alive {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ANCHOR: injector
/// The failure: a thread of its own that sees every progress report of every worker (the
/// process id and nothing else) and sends `SIGKILL` to the process that makes the `k`-th, with
/// `k` drawn from a seeded generator. It tells the coordinator nothing: the coordinator finds
/// the dead worker the way it would find any other, by the end of its stdout.
pub struct Injector {
    reports: mpsc::Sender<u32>,
    seen: Receiver<()>,
}

impl Injector {
    pub fn start(k: u64) -> Injector {
        let (reports, incoming) = mpsc::channel::<u32>();
        let (ack, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for (n, pid) in (1..).zip(incoming) {
                if n == k {
                    // SAFETY: kill(2) with a process id and a signal number touches no memory.
                    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                }
                if ack.send(()).is_err() {
                    break;
                }
            }
        });
        Injector { reports, seen }
    }

    /// Shows it a progress report of process `pid`, and returns when it has acted on it.
    fn observe(&self, pid: u32) {
        if self.reports.send(pid).is_ok() {
            let _ = self.seen.recv();
        }
    }
}
// ANCHOR_END: injector

/// A finished map task's output: the worker whose disk holds it, its R files, and their size.
#[derive(Clone, Debug, PartialEq)]
struct MapOutput {
    worker: usize,
    files: Vec<String>,
    records: u64,
    bytes: u64,
}

/// Records a map task's completion. The first completion of a task is the one the reducers
/// read; a second (a duplicate attempt that also finished) is ignored, so the reducers never
/// mix files of two attempts. Returns whether this completion was taken.
fn commit_map(map_output: &mut [Option<MapOutput>], m: usize, output: MapOutput) -> bool {
    if map_output[m].is_some() {
        return false;
    }
    map_output[m] = Some(output);
    true
}

// ANCHOR: coordinator
/// Runs `job` in `dir` (which holds a fresh `out/`) with `job.workers` worker processes; with
/// an injector, which may kill one of them part-way through a task.
pub fn run_job(job: &Job, dir: &Path, injector: Option<&Injector>) -> Result<Report, String> {
    let program = sibling_program("batch-child")?;
    let outdir = dir.join("out");
    fs::create_dir(&outdir).map_err(|e| format!("creating {}: {e}", outdir.display()))?;
    let mut workers = Vec::new();
    for w in 0..job.workers {
        workers.push(Worker::start(&program, dir.join(format!("worker-{w}")))?);
    }
    let (maps, reduces) = (job.splits.len(), job.reduces);
    let mut report = Report {
        log: Vec::new(),
        attempts: BTreeMap::new(),
        intermediate_records: 0,
        intermediate_bytes: 0,
        intermediate_files: 0,
        intermediate_files_written: 0,
        output: BTreeMap::new(),
    };
    // Where each finished map task's output is.
    let mut map_output: Vec<Option<MapOutput>> = vec![None; maps];
    let mut reduce_done = vec![false; reduces];
    let mut wave = 0;
    let result = loop {
        // Map tasks without output first (at the start: all of them; after a death: the dead
        // worker's); reduce tasks only once every map output exists.
        let mut pending: VecDeque<Task> =
            (0..maps).filter(|&m| map_output[m].is_none()).map(Task::Map).collect();
        if pending.is_empty() {
            pending = (0..reduces).filter(|&r| !reduce_done[r]).map(Task::Reduce).collect();
        }
        if pending.is_empty() {
            break Ok(());
        }
        if workers.iter().all(|w| !w.alive) {
            break Err("every worker died".to_string());
        }
        wave += 1;
        let mut assigned = Vec::new();
        let mut died = Vec::new();
        for (w, worker) in workers.iter_mut().enumerate().filter(|(_, worker)| worker.alive) {
            let Some(task) = pending.pop_front() else { break };
            let line = match task {
                Task::Map(m) => {
                    let split = job.splits[m].display();
                    format!("map\t{m}\t{split}\t{reduces}\t{}", u8::from(job.combine))
                }
                Task::Reduce(r) => {
                    let files: Vec<&str> = map_output
                        .iter()
                        .map(|o| o.as_ref().expect("all maps done").files[r].as_str())
                        .collect();
                    format!("reduce\t{r}\t{}\t{}", outdir.display(), files.join("\t"))
                }
            };
            // A worker that died while idle is found here, or at its first reply.
            if worker.send(&line).is_ok() {
                *report.attempts.entry(task).or_default() += 1;
                assigned.push((w, task));
            } else {
                pending.push_front(task);
                let how = worker.bury(false);
                report.log.push(format!(
                    "worker {w} could not be sent {task}; its wait status: {how}. Declared dead"
                ));
                died.push(w);
            }
        }
        let names: Vec<String> = assigned.iter().map(|(w, task)| format!("{task} → worker {w}")).collect();
        report.log.push(format!("wave {wave}: {}", names.join(", ")));
        for &(w, task) in &assigned {
            let worker = &mut workers[w];
            let mut last_progress = "no progress report".to_string();
            loop {
                let reply = match worker.hear() {
                    Heard::Line(reply) => reply,
                    // Dead or silent: either way the task is lost and the worker with it.
                    heard @ (Heard::Closed | Heard::Silent) => {
                        let silent = matches!(heard, Heard::Silent);
                        let how = worker.bury(silent);
                        let noticed = if silent {
                            format!("said nothing for {} s", worker.deadline.as_secs())
                        } else {
                            "closed its stdout".to_string()
                        };
                        report.log.push(format!(
                            "worker {w} {noticed} during {task} (last report: {last_progress}); \
                             its wait status: {how}. Declared dead"
                        ));
                        died.push(w);
                        break;
                    }
                };
                let fields: Vec<&str> = reply.split('\t').collect();
                match (task, &fields[..]) {
                    (_, ["progress", what]) => {
                        last_progress = what.to_string();
                        if let Task::Map(_) = task {
                            report.intermediate_files_written += 1;
                        }
                        if let Some(injector) = injector {
                            injector.observe(worker.child.id());
                        }
                        // If the worker was killed meanwhile, this line goes nowhere; its end
                        // of file comes next.
                        let _ = worker.send("go");
                    }
                    (Task::Map(m), ["done", "map", _, records, bytes, files @ ..]) => {
                        let records = records.parse().map_err(|_| format!("bad reply `{reply}`"))?;
                        let bytes = bytes.parse().map_err(|_| format!("bad reply `{reply}`"))?;
                        let files = files.iter().map(|f| f.to_string()).collect();
                        commit_map(&mut map_output, m, MapOutput { worker: w, files, records, bytes });
                        break;
                    }
                    (Task::Reduce(r), ["done", "reduce", ..]) => {
                        reduce_done[r] = true;
                        break;
                    }
                    (_, ["error", e]) => return Err(format!("worker {w} failed {task}: {e}")),
                    _ => return Err(format!("worker {w} answered `{reply}` to {task}")),
                }
            }
        }
        // ANCHOR: lost
        // A dead worker's disk is gone: its finished map outputs with it, if a reduce task
        // still needs them. Its finished reduce output is in `out/`, safe.
        for w in died {
            let lost: Vec<usize> =
                (0..maps).filter(|&m| map_output[m].as_ref().is_some_and(|o| o.worker == w)).collect();
            if reduce_done.iter().all(|&d| d) {
                continue;
            }
            for &m in &lost {
                map_output[m] = None;
            }
            fs::remove_dir_all(&workers[w].local)
                .map_err(|e| format!("removing a dead worker's disk: {e}"))?;
            let lost: Vec<String> = lost.iter().map(|m| format!("map {m}")).collect();
            report.log.push(if lost.is_empty() {
                format!("worker {w}'s disk is gone; it held no finished map output")
            } else {
                format!(
                    "worker {w}'s disk is gone, and with it the finished output of {}: run again",
                    lost.join(", ")
                )
            });
        }
        // ANCHOR_END: lost
    };
    for worker in &mut workers {
        worker.stop();
    }
    result?;
    for output in map_output.iter().flatten() {
        report.intermediate_files += output.files.len();
        report.intermediate_records += output.records;
        report.intermediate_bytes += output.bytes;
    }
    for entry in fs::read_dir(&outdir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().to_string();
        let mut bytes = Vec::new();
        fs::File::open(entry.path())
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| e.to_string())?;
        report.output.insert(name, bytes);
    }
    Ok(report)
}
// ANCHOR_END: coordinator

/// A directory of its own under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!("bf-batch-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        fs::create_dir(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The final counts in a run's `part-*` files (temporary files of killed attempts left out).
pub fn output_counts(report: &Report) -> Result<BTreeMap<String, u64>, String> {
    let mut counts = BTreeMap::new();
    for (name, bytes) in &report.output {
        if name.starts_with("part-") {
            counts.extend(job::parse_records(&String::from_utf8_lossy(bytes))?);
        }
    }
    Ok(counts)
}

/// When the failure injector of run 2 strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// At the `k`-th progress report, with `k` drawn from the seed.
    Random,
    /// At the `k`-th progress report.
    At(u64),
    None,
}

/// Progress reports in a run without failures: one per map output file, one per reduce task
/// (at most: a reduce task with no keys makes none).
fn reports(maps: usize, reduces: usize) -> u64 {
    (maps * reduces + reduces) as u64
}

fn parse_kill(params: &Params, maps: usize, reduces: usize) -> Result<Kill, InputError> {
    let Some(entry) = params.one("kill")? else { return Ok(Kill::Random) };
    match entry.value.trim() {
        "none" => Ok(Kill::None),
        "random" => Ok(Kill::Random),
        n => Ok(Kill::At(crate::input::parse_number(n, entry.line, 1, reports(maps, reduces))?)),
    }
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["words", "maps", "reduces", "workers", "seed", "kill"])?;
    let words = params.number_or("words", 1, 1_000_000, 200_000)?;
    let maps = params.number_or("maps", 1, 16, 6)?;
    let reduces = params.number_or("reduces", 1, 8, 3)?;
    let workers = params.number_or("workers", 2, 8, 3)?;
    let seed = params.number_or("seed", 0, u64::MAX, 42)?;
    let kill = parse_kill(&params, maps, reduces)?;
    let report = example(words, maps, reduces, workers, seed, kill).map_err(InputError::new)?;
    Ok(report.text)
}

/// What [`example`] printed and the three runs' reports, for the tests.
pub struct Outcome {
    pub text: String,
    pub reports: Vec<Report>,
    pub expected: BTreeMap<String, u64>,
}

fn example(
    words: usize,
    maps: usize,
    reduces: usize,
    workers: usize,
    seed: u64,
    kill: Kill,
) -> Result<Outcome, String> {
    let text = generate_text(seed, words);
    let dir = TempDir::new()?;
    let pieces = split_at_whitespace(&text, maps);
    let mut splits = Vec::new();
    for (m, piece) in pieces.iter().enumerate() {
        let path = dir.0.join(format!("input-{m}.txt"));
        fs::write(&path, piece).map_err(|e| format!("writing {}: {e}", path.display()))?;
        splits.push(path);
    }
    let mut out = format!(
        "input: {words} words (seed {seed}), {} bytes, cut at whitespace into {maps} split files\n\
         job: {maps} map tasks, {reduces} reduce tasks, {workers} worker processes; \
         a word goes to reduce task FNV-1a(word) mod {reduces}\n",
        text.len()
    );
    let k = match kill {
        Kill::Random => Some(Rng::new(seed ^ 0x6b69_6c6c).range(1, reports(maps, reduces))),
        Kill::At(k) => Some(k),
        Kill::None => None,
    };
    let second = match k {
        Some(k) => format!(
            "run 2: the same job; a failure injector (its own thread) SIGKILLs whichever worker \
             sends progress report {k}{}",
            if kill == Kill::Random { " (drawn from the seed)" } else { "" }
        ),
        None => "run 2: the same job (kill = none: no failure)".to_string(),
    };
    let runs = [
        ("run 1: no failure".to_string(), None, false),
        (second, k, false),
        ("run 3: no failure, with a combiner".to_string(), None, true),
    ];
    let mut reports = Vec::new();
    for (title, k, combine) in runs {
        let run_dir = dir.0.join(format!("run-{}", reports.len() + 1));
        fs::create_dir(&run_dir).map_err(|e| e.to_string())?;
        let job = Job { splits: splits.clone(), reduces, workers, combine };
        let injector = k.map(Injector::start);
        let report = run_job(&job, &run_dir, injector.as_ref())?;
        out.push_str(&format!("\n{title}\n"));
        for line in &report.log {
            out.push_str(&format!("  {line}\n"));
        }
        reports.push(report);
    }
    let yes = |same: bool| if same { "yes" } else { "NO" };
    out.push_str(&format!("\n{:<34} {:>10} {:>10} {:>10}\n", "", "run 1", "run 2", "run 3"));
    let row = |name: &str, f: &dyn Fn(&Report) -> String| {
        format!("{name:<34} {:>10} {:>10} {:>10}\n", f(&reports[0]), f(&reports[1]), f(&reports[2]))
    };
    out.push_str(&row("workers declared dead", &|r| r.deaths().to_string()));
    out.push_str(&row("map attempts", &|r| r.map_attempts().to_string()));
    out.push_str(&row("reduce attempts", &|r| r.reduce_attempts().to_string()));
    out.push_str(&row("map output files written", &|r| r.intermediate_files_written.to_string()));
    out.push_str(&row("map output files read", &|r| r.intermediate_files.to_string()));
    out.push_str(&row("intermediate records read", &|r| r.intermediate_records.to_string()));
    out.push_str(&row("intermediate bytes read", &|r| r.intermediate_bytes.to_string()));
    out.push_str(&row("part files", &|r| {
        r.output.keys().filter(|n| n.starts_with("part-")).count().to_string()
    }));
    out.push_str(&row("temp files of killed attempts", &|r| {
        r.output.keys().filter(|n| n.starts_with('.')).count().to_string()
    }));
    let parts = |r: &Report| -> BTreeMap<String, Vec<u8>> {
        r.output.iter().filter(|(n, _)| n.starts_with("part-")).map(|(n, b)| (n.clone(), b.clone())).collect()
    };
    out.push_str(&row("part files byte-identical to run 1", &|r| {
        yes(parts(r) == parts(&reports[0])).to_string()
    }));

    let sequential = job::in_process(&pieces, reduces);
    let part_one = count_words(&text);
    let counts: Vec<BTreeMap<String, u64>> = reports.iter().map(output_counts).collect::<Result<_, _>>()?;
    out.push_str(&row("counts = in-process map/reduce", &|r| {
        let i = reports.iter().position(|x| std::ptr::eq(x, r)).expect("one of them");
        yes(counts[i] == sequential).to_string()
    }));
    out.push_str(&row("counts = Part I count_words", &|r| {
        let i = reports.iter().position(|x| std::ptr::eq(x, r)).expect("one of them");
        yes(counts[i] == part_one).to_string()
    }));
    // ANCHOR: pipeline
    // The same job as one line of shell, over the same split files, in the C locale (byte
    // order, ASCII letters): map (`tr`), shuffle and sort (`sort`), reduce (`uniq -c`).
    let files: Vec<String> = splits.iter().map(|p| p.display().to_string()).collect();
    let shell = Command::new("sh")
        .arg("-c")
        .arg("cat \"$@\" | tr -cs 'a-z' '\\n' | sort | uniq -c")
        .arg("sh")
        .args(&files)
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("running sh: {e}"))?;
    let mut pipeline = BTreeMap::new();
    for line in String::from_utf8_lossy(&shell.stdout).lines() {
        if let Some((n, word)) = line.trim_start().split_once(' ')
            && !word.is_empty()
        {
            pipeline
                .insert(word.to_string(), n.parse::<u64>().map_err(|_| format!("uniq -c said `{line}`"))?);
        }
    }
    // ANCHOR_END: pipeline
    out.push_str(&format!(
        "\n`tr -cs 'a-z' '\\n' | sort | uniq -c` over the split files = Part I count_words: {}\n",
        if shell.status.success() && pipeline == part_one { "holds" } else { "does not hold" }
    ));
    let mut by_count: Vec<(&String, &u64)> = part_one.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    out.push_str(&format!(
        "\n{} different words; the most frequent, and the reduce task that owns each:\n",
        part_one.len()
    ));
    for (word, n) in by_count.iter().take(4) {
        out.push_str(&format!("  {word:<8} {n:>7}  reduce {}\n", job::partition(word, reduces)));
    }
    // Skew: what each reduce task receives without a combiner.
    let mut load = vec![0u64; reduces];
    for (word, n) in &part_one {
        load[job::partition(word, reduces)] += n;
    }
    let shares: Vec<String> = load
        .iter()
        .enumerate()
        .map(|(r, n)| format!("reduce {r} {n} ({}%)", n * 100 / words.max(1) as u64))
        .collect();
    out.push_str(&format!("records per reduce task without a combiner: {}\n", shares.join(", ")));
    Ok(Outcome { text: out, reports, expected: part_one })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_worker_fails_the_run_in_time_and_is_reaped() {
        // A "worker" that reads its tasks and never answers: the wait ends at the deadline.
        let mut command = Command::new("sh");
        command.args(["-c", "cat > /dev/null"]);
        let mut worker = Worker::spawn(command, PathBuf::new(), Duration::from_millis(200)).unwrap();
        let pid = worker.child.id();
        worker.send("map\t0").unwrap();
        let started = std::time::Instant::now();
        assert!(worker.reply().unwrap_err().contains("said nothing"));
        assert!(started.elapsed() < Duration::from_secs(5));
        // Declared dead: killed and waited for; not even a zombie is left.
        assert_eq!(worker.bury(true), "killed by signal 9");
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }

    #[test]
    fn the_worker_program_speaks_this_protocol() {
        let program = sibling_program("batch-child").unwrap();
        let dir = TempDir::new().unwrap();
        let mut worker = Worker::start(&program, dir.0.join("w")).unwrap();
        worker.stop();
        assert!(worker.child.try_wait().unwrap().unwrap().success());
    }

    #[test]
    fn a_second_completion_of_a_map_task_is_ignored() {
        let first = MapOutput { worker: 0, files: vec!["w0/map-2-0".into()], records: 5, bytes: 40 };
        let second = MapOutput { worker: 1, files: vec!["w1/map-2-0".into()], records: 5, bytes: 40 };
        let mut outputs = vec![None; 3];
        assert!(commit_map(&mut outputs, 2, first.clone()));
        assert!(!commit_map(&mut outputs, 2, second));
        assert_eq!(outputs[2], Some(first));
    }

    #[test]
    fn a_killed_reduce_reruns_the_lost_map_and_nothing_else() {
        // 4 maps × 3 partitions = progress reports 1 to 12; report 14 is reduce 1's, on worker
        // 1, which had also run map 1 in the first wave.
        let outcome = example(20_000, 4, 3, 3, 7, Kill::At(14)).unwrap();
        let run = &outcome.reports[1];
        assert_eq!(run.deaths(), 1, "{}", outcome.text);
        assert!(
            run.log.iter().any(|l| l.starts_with("worker 1 closed its stdout during reduce 1")
                && l.contains("killed by signal 9")),
            "{}",
            outcome.text
        );
        let attempts = |t| run.attempts.get(&t).copied().unwrap_or(0);
        assert_eq!(attempts(Task::Map(1)), 2, "the lost map ran again");
        for m in [0, 2, 3] {
            assert_eq!(attempts(Task::Map(m)), 1, "map {m} survived and ran once");
        }
        assert_eq!(attempts(Task::Reduce(1)), 2);
        assert_eq!((attempts(Task::Reduce(0)), attempts(Task::Reduce(2))), (1, 1));
        assert_eq!(output_counts(run).unwrap(), outcome.expected);
        assert!(!outcome.text.contains(" NO") && outcome.text.contains(": holds"), "{}", outcome.text);
    }

    #[test]
    fn whoever_the_injector_kills_the_counts_are_right() {
        // The test does not choose the victim: the injector draws its moment from the seed.
        let mut victims = std::collections::BTreeSet::new();
        for seed in 0..10 {
            let outcome = example(5_000, 4, 3, 3, seed, Kill::Random).unwrap();
            let run = &outcome.reports[1];
            assert_eq!(run.deaths(), 1, "seed {seed}: {}", outcome.text);
            let death = run.log.iter().find(|l| l.ends_with("Declared dead")).unwrap();
            assert!(death.contains("killed by signal 9"), "{death}");
            victims.insert(death.split(" during ").nth(1).unwrap().split(" (").next().unwrap().to_string());
            assert_eq!(output_counts(run).unwrap(), outcome.expected, "seed {seed}");
            assert!(!outcome.text.contains(" NO"), "seed {seed}: {}", outcome.text);
        }
        // Both kinds of task were hit, at several places.
        assert!(
            victims.iter().any(|v| v.starts_with("map")) && victims.iter().any(|v| v.starts_with("reduce")),
            "{victims:?}"
        );
    }
}
