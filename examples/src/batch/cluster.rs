//! `batch::cluster`: a MapReduce job on a simulated cluster, run four ways (with and without a
//! combiner, with and without speculative execution) on the same input, drawn as one timeline
//! per way. One worker is a straggler; the keys follow a Zipf law, so one reduce task holds the
//! hot key. `batch::predict` generates a cluster and asks which change helps more.
//!
//! The model, in milliseconds: a map task reads and maps 20 records per ms (a combiner adds a
//! tenth to that); a reduce task fetches its records at 100 per ms (the shuffle) and sorts and
//! reduces them at 50 per ms; the straggler does everything `slowdown` times slower. Reduce
//! tasks start when the last map task is done (Hadoop can start fetching earlier; see
//! `mapreduce.job.reduce.slowstart.completedmaps`). Free workers take pending tasks lowest
//! first. Speculation follows Spark's rule (`TaskSetManager.checkSpeculatableTasks`): every
//! 100 ms, once a `quantile` of a phase's tasks has finished, a task whose only copy has run
//! longer than `multiplier` times the median duration of the finished ones gets a backup copy
//! on a worker with nothing pending. The rule sees elapsed times only, not how long a copy will
//! take, so it also backs up a task that is long because of its input. Whichever copy finishes
//! first commits the task and the other is killed.

use super::job::partition;
use crate::figure::{Figure, Lane, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::{Rng, exp, ln};
use crate::schedule::Schedule;

pub const EXAMPLE: Example = Example {
    id: "batch::cluster",
    title: "A MapReduce job on a cluster: skew, a straggler, combiners and backup tasks",
    file: file!(),
    default_input: "workers = 4\nmaps = 12\nreduces = 4\nrecords = 20000\nkeys = 1000\nzipf = 1.1\n\
                    straggler = 2\nslowdown = 6\nquantile = 0.9\nmultiplier = 3\nseed = 7\n",
    input_help: "`workers` (2 to 12), `maps` (1 to 40), `reduces` (1 to 12), `records` per map task \
                 (100 to 50,000), `keys` (distinct words, 1 to 5,000), `zipf` (skew s, 0 to 3), \
                 `straggler` (a worker number, or `none`), `slowdown` (1 to 20), `quantile` (0 to 1) \
                 and `multiplier` (1 to 10): Spark's speculation rule (4.0's defaults: 0.9 and 3), `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

pub const PREDICT: Example = Example {
    id: "batch::predict",
    title: "Combiner or backup tasks: which shortens this job more? (predict, then reveal)",
    file: file!(),
    default_input: "seed = 5\n",
    input_help: "`seed = N`: any number gives another cluster, skew and straggler",
    runs: Runs::Everywhere,
    run: Run::Drawn(predict),
};

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub workers: usize,
    pub maps: usize,
    pub reduces: usize,
    pub records: u64,
    pub keys: usize,
    pub zipf: f64,
    pub straggler: Option<usize>,
    pub slowdown: u64,
    /// Spark's `spark.speculation.quantile` and `spark.speculation.multiplier`.
    pub quantile: f64,
    pub multiplier: f64,
    pub seed: u64,
}

/// One of the four ways to run the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Way {
    pub combiner: bool,
    pub speculation: bool,
}

pub const WAYS: [Way; 4] = [
    Way { combiner: false, speculation: false },
    Way { combiner: false, speculation: true },
    Way { combiner: true, speculation: false },
    Way { combiner: true, speculation: true },
];

impl Way {
    fn short(self) -> &'static str {
        match (self.combiner, self.speculation) {
            (false, false) => "plain",
            (false, true) => "spec",
            (true, false) => "comb",
            (true, true) => "comb+spec",
        }
    }
}

/// The input: how often each key occurs in each map task's split (`counts[m][k]`, key k is
/// `k{k+1}`, k1 the most frequent).
pub fn input(c: &Config) -> Vec<Vec<u64>> {
    // Zipf: weight of rank i is 1/i^s, through the crate's own exp and ln so the browser and
    // the tests draw the same numbers.
    let weights: Vec<f64> = (1..=c.keys).map(|i| exp(-c.zipf * ln(i as f64))).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(c.keys);
    let mut sum = 0.0;
    for w in &weights {
        sum += w / total;
        cdf.push(sum);
    }
    let mut rng = Rng::new(c.seed);
    (0..c.maps)
        .map(|_| {
            let mut counts = vec![0u64; c.keys];
            for _ in 0..c.records {
                let u = rng.next_f64();
                let k = cdf.partition_point(|&p| p <= u).min(c.keys - 1);
                counts[k] += 1;
            }
            counts
        })
        .collect()
}

pub fn key_name(k: usize) -> String {
    format!("k{}", k + 1)
}

/// The reduce task of every key, by the same FNV-1a partitioner as the real job.
pub fn owners(c: &Config) -> Vec<usize> {
    (0..c.keys).map(|k| partition(&key_name(k), c.reduces)).collect()
}

/// What map task m sends to reduce task r: `(key, count)` records, one `(k, 1)` per occurrence
/// in the split's order; with a combiner, those records after [`combine`] ran on them.
pub fn map_output(
    c: &Config,
    counts: &[Vec<u64>],
    owners: &[usize],
    combiner: bool,
) -> Vec<Vec<Vec<(usize, u64)>>> {
    counts
        .iter()
        .map(|split| {
            let mut out = vec![Vec::new(); c.reduces];
            for (k, &n) in split.iter().enumerate() {
                out[owners[k]].extend(std::iter::repeat_n((k, 1), n as usize));
            }
            if combiner {
                out = out.into_iter().map(combine).collect();
            }
            out
        })
        .collect()
}

/// The reduce function of the word count, run on the reduce side and (as the combiner) on one
/// map task's partition: sort by key, sum each run of equal keys.
pub fn combine(mut records: Vec<(usize, u64)>) -> Vec<(usize, u64)> {
    records.sort_unstable_by_key(|&(k, _)| k);
    let mut out: Vec<(usize, u64)> = Vec::new();
    for (k, n) in records {
        match out.last_mut() {
            Some((last, sum)) if *last == k => *sum += n,
            _ => out.push((k, n)),
        }
    }
    out
}

/// A piece of a task: what it is drawn as and how long it takes on a normal worker.
#[derive(Debug, Clone)]
struct Part {
    label: String,
    kind: SpanKind,
    ms: u64,
}

/// One copy of a task on a worker.
#[derive(Debug, Clone)]
struct Copy {
    task: usize,
    worker: usize,
    start: u64,
    end: u64,
    backup: bool,
    killed_at: Option<u64>,
}

/// What one phase (all map tasks, or all reduce tasks) did.
#[derive(Debug, Clone, Default)]
pub struct PhaseRun {
    pub end: u64,
    /// How many times each task committed (must be 1).
    pub commits: Vec<u32>,
    /// The copy that committed each task: (worker, finish time, was it a backup).
    pub winners: Vec<(usize, u64, bool)>,
    pub backups: usize,
    pub backups_won: usize,
    /// Worker time spent on copies that were killed (the losers of the races).
    pub wasted: u64,
    copies: Vec<Copy>,
}

fn duration(parts: &[Part], slow: u64) -> u64 {
    parts.iter().map(|p| p.ms * slow).sum()
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Finish(usize),
    /// Spark's speculation check, every `spark.speculation.interval` (100 ms).
    Check,
}

// ANCHOR: phase
/// Spark's rule: the tasks that deserve a backup now, longest-running first.
fn speculatable(
    run: &PhaseRun,
    done: &[bool],
    has_backup: &[bool],
    now: u64,
    rule: (f64, f64),
) -> Vec<usize> {
    let (quantile, multiplier) = rule;
    let n = done.len();
    let finished: Vec<u64> = run
        .copies
        .iter()
        .filter(|c| c.killed_at.is_none() && c.end <= now && done[c.task])
        .map(|c| c.end - c.start)
        .collect();
    let min_finished = ((quantile * n as f64) as usize).max(1);
    if n == 1 || finished.len() < min_finished {
        return Vec::new();
    }
    let mut durations = finished;
    durations.sort_unstable();
    let median = durations[durations.len() / 2];
    // `spark.speculation.minTaskRuntime`, 100 ms, is the floor of the threshold.
    let threshold = ((multiplier * median as f64) as u64).max(100);
    let mut found: Vec<&Copy> = run
        .copies
        .iter()
        .filter(|c| {
            c.killed_at.is_none() && !done[c.task] && !has_backup[c.task] && now - c.start > threshold
        })
        .collect();
    found.sort_by_key(|c| (c.start, c.task));
    found.iter().map(|c| c.task).collect()
}

/// Runs `tasks` on workers that are all free at `t0`; with `speculate`, Spark's rule with
/// `(quantile, multiplier)`.
fn run_phase(tasks: &[Vec<Part>], slow: &[u64], t0: u64, speculate: Option<(f64, f64)>) -> PhaseRun {
    let mut run = PhaseRun {
        commits: vec![0; tasks.len()],
        winners: vec![(0, 0, false); tasks.len()],
        ..PhaseRun::default()
    };
    let mut pending = 0..tasks.len();
    let mut busy: Vec<Option<usize>> = vec![None; slow.len()]; // the copy each worker runs
    let mut done = vec![false; tasks.len()];
    let mut has_backup = vec![false; tasks.len()];
    let mut events = Schedule::new();
    if speculate.is_some() {
        events.at(t0 + 100, Event::Check);
    }
    let mut now = t0;
    loop {
        // Every free worker, lowest first, takes the next pending task; with speculation, a
        // worker with nothing pending takes a backup of a task the rule flags. The rule knows
        // how long copies have run, not how long they will take.
        let mut flagged = match speculate {
            Some(rule) => speculatable(&run, &done, &has_backup, now, rule),
            None => Vec::new(),
        }
        .into_iter();
        for w in 0..slow.len() {
            if busy[w].is_some() {
                continue;
            }
            let (task, backup) = match pending.next() {
                Some(task) => (task, false),
                None => match flagged.next() {
                    Some(task) => (task, true),
                    None => continue,
                },
            };
            has_backup[task] |= backup;
            run.backups += usize::from(backup);
            let end = now + duration(&tasks[task], slow[w]);
            run.copies.push(Copy { task, worker: w, start: now, end, backup, killed_at: None });
            busy[w] = Some(run.copies.len() - 1);
            events.at(end, Event::Finish(run.copies.len() - 1));
        }
        let Some((t, event)) = events.pop() else { break };
        now = t;
        let i = match event {
            Event::Check => {
                if done.iter().any(|d| !d) {
                    events.at(now + 100, Event::Check);
                }
                continue;
            }
            Event::Finish(i) => i,
        };
        let copy = run.copies[i].clone();
        if copy.killed_at.is_some() {
            continue; // killed earlier: its finish never happens
        }
        busy[copy.worker] = None;
        // The first copy to finish commits the task; any other copy is killed now.
        run.commits[copy.task] += 1;
        run.winners[copy.task] = (copy.worker, now, copy.backup);
        run.backups_won += usize::from(copy.backup);
        done[copy.task] = true;
        for (j, other) in run.copies.iter_mut().enumerate() {
            if j != i && other.task == copy.task && other.killed_at.is_none() && other.end >= now {
                other.killed_at = Some(now);
                run.wasted += now - other.start;
                busy[other.worker] = None;
            }
        }
        run.end = now;
    }
    run.end = run.end.max(t0);
    run
}
// ANCHOR_END: phase

/// One way of running the job, start to finish.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub way: Way,
    pub maps: PhaseRun,
    pub reduces: PhaseRun,
    /// Records each reduce task fetched.
    pub reduce_input: Vec<u64>,
    /// The job's result: each key's total, as the reduce tasks computed it.
    pub output: Vec<u64>,
    map_tasks: Vec<Vec<Part>>,
    reduce_tasks: Vec<Vec<Part>>,
}

impl JobRun {
    pub fn end(&self) -> u64 {
        self.reduces.end
    }

    /// The longest any single task takes on any worker: the bound on what speculation can cost.
    pub fn longest_task(&self, slow: &[u64]) -> u64 {
        let worst = slow.iter().copied().max().unwrap_or(1);
        self.map_tasks.iter().chain(&self.reduce_tasks).map(|t| duration(t, worst)).max().unwrap_or(0)
    }
}

pub fn slowdowns(c: &Config) -> Vec<u64> {
    (0..c.workers).map(|w| if Some(w) == c.straggler { c.slowdown } else { 1 }).collect()
}

/// Runs the job one way.
pub fn run_job(c: &Config, counts: &[Vec<u64>], owners: &[usize], way: Way) -> JobRun {
    let slow = slowdowns(c);
    let outputs = map_output(c, counts, owners, way.combiner);
    let map_ms = |records: u64| records.div_ceil(20) + if way.combiner { records.div_ceil(200) } else { 0 };
    let map_tasks: Vec<Vec<Part>> = (0..c.maps)
        .map(|m| vec![Part { label: format!("map {m}"), kind: SpanKind::Busy, ms: map_ms(c.records) }])
        .collect();
    let rule = way.speculation.then_some((c.quantile, c.multiplier));
    let maps = run_phase(&map_tasks, &slow, 0, rule);
    // Each reduce task fetches its partition from every map task's output, sorts, and sums.
    let mut output = vec![0u64; c.keys];
    let mut reduce_input = vec![0u64; c.reduces];
    let mut reduce_tasks = Vec::new();
    for r in 0..c.reduces {
        let records: Vec<(usize, u64)> = outputs.iter().flat_map(|o| o[r].iter().copied()).collect();
        reduce_input[r] = records.len() as u64;
        for (k, n) in combine(records) {
            output[k] += n;
        }
        let n = reduce_input[r];
        reduce_tasks.push(vec![
            Part { label: format!("shuffle {r}"), kind: SpanKind::Wait, ms: n.div_ceil(100) + 5 },
            Part { label: format!("reduce {r}"), kind: SpanKind::Busy, ms: n.div_ceil(50) + 5 },
        ]);
    }
    let reduces = run_phase(&reduce_tasks, &slow, maps.end, rule);
    JobRun { way, maps, reduces, reduce_input, output, map_tasks, reduce_tasks }
}

/// The spans of a phase's copies, added to `lanes` (one per worker, from `first`).
fn draw(phase: &PhaseRun, tasks: &[Vec<Part>], slow: &[u64], lanes: &mut [Lane], first: usize) {
    for copy in &phase.copies {
        let mut t = copy.start;
        let stop = copy.killed_at.unwrap_or(copy.end);
        for part in &tasks[copy.task] {
            let end = (t + part.ms * slow[copy.worker]).min(stop);
            if end > t || (part.ms == 0 && t < stop) {
                let (label, kind) = match (copy.killed_at, copy.backup) {
                    (Some(_), _) => (format!("{} killed", part.label), SpanKind::Lost),
                    (None, true) => (format!("{} backup", part.label), SpanKind::Overhead),
                    (None, false) => (part.label.clone(), part.kind),
                };
                lanes[first + copy.worker].spans.push(Span { start: t as f64, end: end as f64, label, kind });
            }
            t = end;
            if t >= stop {
                break;
            }
        }
    }
}

/// Every way on the same input, and the figure with a block of lanes per way.
pub struct Outcome {
    pub runs: Vec<JobRun>,
    pub hot_owner: usize,
    pub hot_share: f64,
    pub figure: Figure,
}

pub fn simulate(c: &Config) -> Outcome {
    let counts = input(c);
    let owners = owners(c);
    let slow = slowdowns(c);
    let runs: Vec<JobRun> = WAYS.iter().map(|&way| run_job(c, &counts, &owners, way)).collect();
    let mut lanes = Vec::new();
    for run in &runs {
        let first = lanes.len();
        for (w, &factor) in slow.iter().enumerate() {
            let slow_mark = if factor > 1 { format!(" (×{factor})") } else { String::new() };
            lanes.push(Lane { name: format!("{} w{w}{slow_mark}", run.way.short()), spans: Vec::new() });
        }
        draw(&run.maps, &run.map_tasks, &slow, &mut lanes, first);
        draw(&run.reduces, &run.reduce_tasks, &slow, &mut lanes, first);
    }
    for lane in &mut lanes {
        lane.spans.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    let steps = Step::at_span_starts(&lanes, "ms");
    let figure = Figure::Timeline {
        title: "Workers over time, one block per way: plain, speculation, combiner, both".to_string(),
        unit: "ms".to_string(),
        lanes,
        steps,
    };
    let total: u64 = counts.iter().map(|s| s[0]).sum();
    let all: u64 = c.records * c.maps as u64;
    Outcome { runs, hot_owner: owners[0], hot_share: total as f64 / all.max(1) as f64, figure }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn describe(c: &Config) -> String {
    let straggler = match c.straggler {
        Some(w) if c.slowdown > 1 => format!("worker {w} is {}× slower than the others", c.slowdown),
        _ => "no straggler".to_string(),
    };
    format!(
        "cluster: {} workers ({straggler}); {} map tasks of {} records; {} reduce tasks\n\
         keys: {} distinct, Zipf s = {}; speculation by Spark's rule, quantile {}, multiplier {}\n",
        c.workers,
        c.maps,
        thousands(c.records),
        c.reduces,
        thousands(c.keys as u64),
        c.zipf,
        c.quantile,
        c.multiplier
    )
}

fn report(c: &Config, o: &Outcome) -> String {
    let t = |i: usize| format!("{} ms", thousands(o.runs[i].end()));
    let mut out = format!(
        "the hot key k1 is {:.1}% of all records; the partitioner sends it to reduce {}\n\n",
        o.hot_share * 100.0,
        o.hot_owner
    );
    out.push_str(&format!("{:<16}{:>18}{:>18}\n", "job time", "no speculation", "speculation"));
    out.push_str(&format!("{:<16}{:>18}{:>18}\n", "no combiner", t(0), t(1)));
    out.push_str(&format!("{:<16}{:>18}{:>18}\n", "combiner", t(2), t(3)));
    for (i, name) in [(0, "no combiner"), (2, "combiner")] {
        let run = &o.runs[i];
        let inputs: Vec<String> =
            run.reduce_input.iter().enumerate().map(|(r, n)| format!("r{r} {}", thousands(*n))).collect();
        out.push_str(&format!(
            "\nrecords shuffled, {name}: {} (total {})\n",
            inputs.join(", "),
            thousands(run.reduce_input.iter().sum())
        ));
        let (last, (w, end, _)) = run
            .reduces
            .winners
            .iter()
            .enumerate()
            .max_by_key(|(r, (_, end, _))| (*end, std::cmp::Reverse(*r)))
            .expect("at least one reduce task");
        let _ = end;
        out.push_str(&format!(
            "  map phase ends at {} ms; the last reduce task to finish (no speculation): reduce {last} on worker {w}\n",
            thousands(run.maps.end)
        ));
    }
    for i in [1, 3] {
        let run = &o.runs[i];
        out.push_str(&format!(
            "\nbackup tasks, {}: {} launched for map tasks ({} won), {} for reduce tasks ({} won); \
             {} ms of worker time thrown away",
            run.way.short(),
            run.maps.backups,
            run.maps.backups_won,
            run.reduces.backups,
            run.reduces.backups_won,
            thousands(run.maps.wasted + run.reduces.wasted)
        ));
    }
    out.push('\n');
    let same = o.runs.iter().all(|r| r.output == o.runs[0].output);
    let once = o.runs.iter().all(|r| r.maps.commits.iter().chain(&r.reduces.commits).all(|&n| n == 1));
    out.push_str(&format!(
        "every task committed exactly once in all four ways: {}; the four outputs are equal: {}\n",
        if once { "yes" } else { "NO" },
        if same { "yes" } else { "NO" }
    ));
    let _ = c;
    out
}

fn parse(input: &str) -> Result<Config, InputError> {
    let p = Params::parse(
        input,
        &[
            "workers",
            "maps",
            "reduces",
            "records",
            "keys",
            "zipf",
            "straggler",
            "slowdown",
            "quantile",
            "multiplier",
            "seed",
        ],
    )?;
    let workers = p.number_or("workers", 2, 12, 4)?;
    let straggler = match p.one("straggler")? {
        None => Some(2.min(workers - 1)),
        Some(e) if e.value == "none" => None,
        Some(e) => Some(e.number(0, workers - 1)?),
    };
    Ok(Config {
        workers,
        maps: p.number_or("maps", 1, 40, 12)?,
        reduces: p.number_or("reduces", 1, 12, 4)?,
        records: p.number_or("records", 100, 50_000, 20_000)?,
        keys: p.number_or("keys", 1, 5_000, 1_000)?,
        zipf: p.number_or("zipf", 0.0, 3.0, 1.1)?,
        straggler,
        slowdown: p.number_or("slowdown", 1, 20, 6)?,
        quantile: p.number_or("quantile", 0.0, 1.0, 0.9)?,
        multiplier: p.number_or("multiplier", 1.0, 10.0, 3.0)?,
        seed: p.number_or("seed", 0, u64::MAX, 7)?,
    })
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let c = parse(input)?;
    let o = simulate(&c);
    Ok(Drawn { text: describe(&c) + &report(&c, &o), figure: o.figure })
}

/// A cluster and a job for `seed`, for the puzzle.
pub fn generated(seed: u64) -> Config {
    let mut rng = Rng::new(seed.wrapping_mul(0x2545_F491_4F6C_DD1D).wrapping_add(11));
    let workers = rng.range(3, 6) as usize;
    Config {
        workers,
        maps: rng.range(2, 4) as usize * workers,
        reduces: rng.range(2, workers as u64) as usize,
        records: rng.range(5, 30) * 1_000,
        keys: rng.range(2, 20) as usize * 100,
        zipf: rng.range(4, 14) as f64 / 10.0,
        straggler: Some(rng.range(0, workers as u64 - 1) as usize),
        slowdown: rng.range(2, 8),
        quantile: 0.9,
        multiplier: 3.0,
        seed,
    }
}

// ANCHOR: puzzle
fn predict(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed = p.number_or("seed", 0, u64::MAX, 5)?;
    let c = generated(seed);
    let o = simulate(&c);
    let mut text = describe(&c);
    text.push_str(
        "Which shortens this job more: a combiner, or speculative execution (backup tasks)? \
         And without either, which reduce task finishes last?\n",
    );
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    text.push_str(&report(&c, &o));
    let (plain, spec, comb) = (o.runs[0].end(), o.runs[1].end(), o.runs[2].end());
    text.push_str(&format!(
        "answer: {}\n",
        match comb.cmp(&spec) {
            std::cmp::Ordering::Less => format!(
                "the combiner ({} ms saved, against {} ms)",
                thousands(plain - comb),
                thousands(plain - spec)
            ),
            std::cmp::Ordering::Greater => format!(
                "speculation ({} ms saved, against {} ms)",
                thousands(plain - spec),
                thousands(plain - comb)
            ),
            std::cmp::Ordering::Equal => "a tie".to_string(),
        }
    ));
    Ok(Drawn { text, figure: o.figure })
}
// ANCHOR_END: puzzle

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> Config {
        let mut c = generated(seed);
        c.records = c.records.min(4_000);
        c.keys = c.keys.min(400);
        if seed.is_multiple_of(3) {
            c.straggler = None;
        }
        c
    }

    #[test]
    fn every_task_commits_once_and_outputs_agree_across_many_seeds() {
        for seed in 0..400 {
            let c = small(seed);
            let o = simulate(&c);
            o.figure.validate().unwrap();
            let counts = input(&c);
            let expected: Vec<u64> = (0..c.keys).map(|k| counts.iter().map(|s| s[k]).sum()).collect();
            for run in &o.runs {
                assert!(run.maps.commits.iter().chain(&run.reduces.commits).all(|&n| n == 1), "seed {seed}");
                // The output counts every record once, with or without a combiner.
                assert_eq!(run.output, expected, "seed {seed} {:?}", run.way);
                assert_eq!(run.output.iter().sum::<u64>(), c.records * c.maps as u64);
            }
        }
    }

    #[test]
    fn speculation_never_costs_more_than_one_task() {
        for seed in 0..400 {
            let c = small(seed);
            let o = simulate(&c);
            let slow = slowdowns(&c);
            for (without, with) in [(0, 1), (2, 3)] {
                let (a, b) = (&o.runs[without], &o.runs[with]);
                assert!(
                    b.end() <= a.end() + a.longest_task(&slow),
                    "seed {seed}: {} vs {}",
                    b.end(),
                    a.end()
                );
                // In this model it never delays the job either: a backup starts only on a worker
                // with nothing pending and is killed as soon as the other copy commits. Its cost
                // is the worker time it throws away, which another job could have used.
                assert!(b.end() <= a.end(), "seed {seed}");
            }
        }
    }

    #[test]
    fn the_combiner_is_the_reduce_function_run_on_each_map_output() {
        for seed in 0..100 {
            let c = small(seed);
            let counts = input(&c);
            let owners = owners(&c);
            let plain = map_output(&c, &counts, &owners, false);
            let combined = map_output(&c, &counts, &owners, true);
            for (p, q) in plain.iter().flatten().zip(combined.iter().flatten()) {
                // One record per key, in key order, each the sum of that key's records.
                assert!(q.windows(2).all(|w| w[0].0 < w[1].0), "seed {seed}");
                for &(k, n) in q {
                    assert_eq!(n, p.iter().filter(|r| r.0 == k).map(|r| r.1).sum::<u64>(), "seed {seed}");
                }
                assert_eq!(p.iter().map(|r| r.1).sum::<u64>(), q.iter().map(|r| r.1).sum::<u64>());
            }
        }
        // And running it twice changes nothing (a framework may run it any number of times).
        let records = vec![(3, 1), (1, 2), (3, 4), (1, 1), (2, 1)];
        assert_eq!(combine(records.clone()), [(1, 3), (2, 1), (3, 5)]);
        assert_eq!(combine(combine(records)), [(1, 3), (2, 1), (3, 5)]);
    }

    #[test]
    fn without_a_straggler_or_skew_there_is_nothing_to_back_up() {
        // Uniform keys over many of them, equal machines: every task of a phase takes about as
        // long as the others, so none ever runs 3 times the median.
        let mut c = generated(1);
        c.zipf = 0.0;
        c.keys = 2_000;
        c.straggler = None;
        c.maps = 3 * c.workers;
        c.reduces = c.workers;
        let o = simulate(&c);
        for run in &o.runs {
            assert_eq!((run.maps.backups, run.reduces.backups), (0, 0), "{:?}", run.way);
        }
        // The same cluster with one slow machine: now the rule fires.
        c.straggler = Some(0);
        c.slowdown = 6;
        let o = simulate(&c);
        assert!(o.runs[1].maps.backups > 0 && o.runs[1].maps.backups_won > 0);
    }

    #[test]
    fn a_hot_reduce_task_gets_a_backup_that_is_thrown_away() {
        // The chapter's default cluster with zipf = 2: the hot key's reduce task runs far past
        // 3 times the median, so Spark's rule backs it up on a healthy worker; the backup has
        // the same input, starts later and loses.
        let c = parse("zipf = 2\n").unwrap();
        let o = simulate(&c);
        let spec = &o.runs[1].reduces;
        let hot = o.hot_owner;
        assert!(spec.copies.iter().any(|x| x.task == hot && x.backup && x.killed_at.is_some()));
        assert!(!spec.winners[hot].2, "the original copy of the hot reduce task wins");
        assert!(spec.wasted > 0);
    }
}
