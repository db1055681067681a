//! The browser simulation: a pool under a load curve (see [`super::sim`] for the model). One
//! run at the chosen pool size, drawn and told segment by segment, with Little's law checked on
//! it; then the same requests against other pool sizes, which shows the knee: past it, a
//! bigger pool serves fewer requests, not more.

use super::sim::{self, Config, Dist, expected_requests, parse_load, requests, simulate, summarize};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "pooling::load",
    title: "A connection pool under a load curve: queueing, timeouts, and the knee",
    file: file!(),
    default_input: DEFAULT,
    input_help: "`load = from_ms:rate …` (requests per second from each time), `duration_ms`, `cores` \
                 (database CPU cores), `pool` (connections per instance), `instances`, `max_connections` \
                 (the connections the app may open: the server's limit minus superuser-reserved slots), \
                 `acquire_timeout_ms` (a number, or `none` to wait forever), `cpu_ms`, `io_ms`, `hold_ms` \
                 (per request), `connect_ms` (CPU per new connection), `dist = exponential | fixed | bimodal`, \
                 `contention` (extra CPU per query in its CPU phase beyond the cores; illustrative), `sweep` (pool sizes to compare), \
                 `draw_from_ms`, `draw_ms`, `seed`",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

const DEFAULT: &str = "\
# A quiet period, a surge above what the database can do, then quiet again.
load = 0:400 1000:2400 2000:400
duration_ms = 3000
cores = 4
pool = 10
instances = 1
# The connections the app's role may open: max_connections 100 minus 3 reserved for superusers.
max_connections = 97
acquire_timeout_ms = 250
cpu_ms = 2
io_ms = 2
hold_ms = 0
connect_ms = 3
dist = exponential
# Illustrative: 3 % more CPU per unit of work for each query on the CPU beyond the cores.
contention = 0.03
sweep = 2 4 8 10 16 32 64
draw_from_ms = 1000
draw_ms = 40
seed = 7
";

const KEYS: [&str; 17] = [
    "load",
    "duration_ms",
    "cores",
    "pool",
    "instances",
    "max_connections",
    "acquire_timeout_ms",
    "cpu_ms",
    "io_ms",
    "hold_ms",
    "connect_ms",
    "dist",
    "contention",
    "sweep",
    "draw_from_ms",
    "draw_ms",
    "seed",
];

/// Requests one run may have, so that a run stays well under a second in a browser.
const MAX_REQUESTS: f64 = 40_000.0;

/// Reads a configuration (shared with the predict mode's checks).
pub fn config(p: &Params) -> Result<Config, InputError> {
    let duration_ms: f64 = p.number_or("duration_ms", 100.0, 60_000.0, 3000.0)?;
    let load = match p.one("load")? {
        Some(entry) => parse_load(entry.value, entry.line, duration_ms)?,
        None => vec![(0.0, 400.0), (1000.0, 2400.0), (2000.0, 400.0)],
    };
    let acquire_timeout_ms = match p.one("acquire_timeout_ms")? {
        Some(entry) if entry.value == "none" => None,
        Some(entry) => Some(entry.number(0.0, 600_000.0)?),
        None => Some(250.0),
    };
    let config = Config {
        seed: p.number_or("seed", 0, u64::MAX, 7)?,
        cores: p.number_or("cores", 1, 256, 4)?,
        pool: p.number_or("pool", 1, 1000, 10)?,
        instances: p.number_or("instances", 1, 1000, 1)?,
        max_connections: p.number_or("max_connections", 1, 100_000, 97)?,
        acquire_timeout_ms,
        cpu_ms: p.number_or("cpu_ms", 0.01, 10_000.0, 2.0)?,
        io_ms: p.number_or("io_ms", 0.0, 10_000.0, 2.0)?,
        hold_ms: p.number_or("hold_ms", 0.0, 60_000.0, 0.0)?,
        connect_ms: p.number_or("connect_ms", 0.0, 1000.0, 3.0)?,
        dist: Dist::parse(p.choice_or("dist", &Dist::NAMES, "exponential")?),
        contention: p.number_or("contention", 0.0, 1.0, 0.03)?,
        load,
        duration_ms,
    };
    let expected = expected_requests(&config);
    if expected > MAX_REQUESTS {
        let line = p.one("load")?.map_or(0, |e| e.line);
        return Err(InputError::at_line(
            line.max(1),
            format!(
                "about {expected:.0} requests: at most {MAX_REQUESTS:.0} per run; lower the rates or duration_ms"
            ),
        ));
    }
    Ok(config)
}

/// The setting in a sentence or three.
pub fn describe(c: &Config, arrived: usize) -> String {
    let timeout = c.acquire_timeout_ms.map_or("none (wait forever)".to_string(), |t| format!("{t} ms"));
    let dist = Dist::NAMES[match c.dist {
        Dist::Exponential => 0,
        Dist::Fixed => 1,
        Dist::Bimodal => 2,
    }];
    let curve: Vec<String> = c
        .load
        .iter()
        .enumerate()
        .map(|(i, &(from, rate))| {
            let to = c.load.get(i + 1).map_or(c.duration_ms, |n| n.0);
            format!("{from:.0}–{to:.0} ms at {rate}/s")
        })
        .collect();
    let capacity = f64::from(c.cores) * 1000.0 / c.cpu_ms;
    let busy_conns = f64::from(c.cores) * (c.cpu_ms + c.io_ms) / c.cpu_ms;
    format!(
        "database: {} cores, max_connections {}; {} instance(s), each with a pool of {} (acquire timeout {timeout})\n\
         each request: {} ms CPU + {} ms I/O ({dist}), then the app holds the connection {} ms more; \
         a new connection costs {} ms CPU\n\
         load: {} ({arrived} requests)\n\
         capacity without contention: {} cores / {} ms CPU = {capacity:.0} requests/s, reached with \
         {busy_conns:.1} queries in flight\n",
        c.cores,
        c.max_connections,
        c.instances,
        c.pool,
        c.cpu_ms,
        c.io_ms,
        c.hold_ms,
        c.connect_ms,
        curve.join(", "),
        c.cores,
        c.cpu_ms,
    )
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &KEYS)?;
    let config = config(&p)?;
    let sweep: Vec<u32> = match p.one("sweep")? {
        Some(entry) => {
            let sizes = entry.numbers(1u32, 1000)?;
            if sizes.len() > 10 {
                return Err(InputError::at_line(entry.line, "at most 10 pool sizes"));
            }
            sizes
        }
        None => vec![2, 4, 8, 10, 16, 32, 64],
    };
    let draw_from: f64 =
        p.number_or("draw_from_ms", 0.0, config.duration_ms, 1000.0_f64.min(config.duration_ms))?;
    let draw_ms: f64 = p.number_or("draw_ms", 1.0, 2000.0, 40.0)?;

    // ANCHOR: example
    let stream = requests(&config);
    let run = simulate(&config, &stream);
    let mut text = sim_text(&config, &stream, &run, true);
    text.push_str(
        "\nThe same requests with other pool sizes (served per second and CPU: the busiest segment):\n",
    );
    text.push_str(&format!(
        "{:>5} {:>7} {:>8} {:>8} {:>9} {:>8} {:>8} {:>9} {:>7}\n",
        "pool", "served", "timeout", "refused", "served/s", "p50 ms", "p99 ms", "CPU busy", "useful"
    ));
    // The most served; among equals (no timeouts at all), the fastest through the surge.
    let mut best = (0, 0usize, 0.0f64);
    for &size in &sweep {
        let trial = Config { pool: size, ..config.clone() };
        let s = if size == config.pool {
            summarize(&config, &stream, &run) // the run above
        } else {
            summarize(&trial, &stream, &simulate(&trial, &stream))
        };
        if s.served > best.1 || (s.served == best.1 && s.peak_served_per_s > best.2) {
            best = (size, s.served, s.peak_served_per_s);
        }
        text.push_str(&format!(
            "{:>5} {:>7} {:>8} {:>8} {:>9.0} {:>8.1} {:>8.1} {:>8.0}% {:>6.0}%{}\n",
            size,
            s.served,
            s.timed_out,
            s.refused,
            s.peak_served_per_s,
            s.p50,
            s.p99,
            100.0 * s.busy,
            100.0 * s.useful,
            if size == config.pool { "  (the run above)" } else { "" }
        ));
    }
    // ANCHOR_END: example
    if !sweep.is_empty() {
        let bigger = if config.contention > 0.0 {
            "bigger ones put more queries on the cores at once, and the contention they add \
             (\"useful\" falls below \"CPU busy\") serves fewer"
        } else {
            "bigger ones, with no contention to pay for, serve about as many once the cores are busy, \
             but the extra queries share the cores and each takes longer (watch p99)"
        };
        text.push_str(&format!(
            "Most served (then most per second in the surge): a pool of {}. Smaller pools leave cores \
             idle while requests wait in the app; {bigger}.\n",
            best.0
        ));
    }
    let figure = sim::draw(&config, &stream, &run, draw_from, draw_ms);
    Ok(Drawn { text, figure })
}

/// A run told in text: the setting (when `setting`), segment by segment, and Little's law.
pub fn sim_text(config: &Config, stream: &[sim::Request], run: &sim::Run, setting: bool) -> String {
    let s = summarize(config, stream, run);
    let mut text = String::new();
    if setting {
        text.push_str(&describe(config, stream.len()));
        text.push('\n');
    }
    text.push_str(&sim::segment_table(config, stream, run));
    text.push_str(&format!(
        "total: {} served, {} timed out waiting for a connection, {} refused (max_connections); \
         {} connections opened\n\n",
        s.served, s.timed_out, s.refused, s.opened
    ));
    text.push_str(&sim::littles_law(stream, run));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_text(input: &str) -> String {
        run(input).unwrap().text
    }

    #[test]
    fn the_default_shows_a_knee_inside_the_sweep() {
        let text = run_text(DEFAULT);
        let best: u32 = text
            .split("in the surge): a pool of ")
            .nth(1)
            .and_then(|rest| rest.split('.').next())
            .and_then(|n| n.parse().ok())
            .expect("a best pool size");
        assert!(best > 2 && best < 64, "no knee inside the sweep: {best}\n{text}");
    }

    #[test]
    fn without_contention_a_bigger_pool_serves_as_many_but_slower() {
        let text = run_text(&DEFAULT.replace("contention = 0.03", "contention = 0"));
        let rows: Vec<(u32, usize, f64)> = text
            .lines()
            .skip_while(|l| !l.starts_with("The same requests"))
            .skip(2)
            .map_while(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                Some((w.first()?.parse().ok()?, w.get(1)?.parse().ok()?, w.get(6)?.parse().ok()?))
            })
            .collect();
        let at = |size: u32| rows.iter().find(|r| r.0 == size).copied().expect("a sweep row");
        let (ten, sixty_four) = (at(10), at(64));
        assert!(sixty_four.1 * 100 >= ten.1 * 98, "served fell without contention\n{text}");
        assert!(sixty_four.2 > ten.2, "p99 did not grow with the pool\n{text}");
    }

    #[test]
    fn bad_input_names_its_line() {
        let error = run("cores = 4\nload = 0:100 x").unwrap_err();
        assert_eq!(error.line, Some(2));
        let error = run("load = 0:100 50:200 20:300").unwrap_err();
        assert!(error.message.contains("times must increase"), "{error}");
        let error = run("load = 0:100000\nduration_ms = 60000").unwrap_err();
        assert!(error.message.contains("at most 40000"), "{error}");
        assert!(run("acquire_timeout_ms = soon").is_err());
        assert!(run("sweep = 1 2 3 4 5 6 7 8 9 10 11").is_err());
    }

    #[test]
    fn the_figure_is_valid_for_odd_inputs() {
        for input in [
            DEFAULT,
            "instances = 50\npool = 5\nmax_connections = 100\nload = 0:3000\nduration_ms = 1000\ndraw_from_ms = 0",
            "acquire_timeout_ms = none\nload = 0:3000\nduration_ms = 500\nhold_ms = 20\ndraw_from_ms = 0",
            "dist = bimodal\nload = 0:0 100:50\nduration_ms = 300\ndraw_from_ms = 0\ndraw_ms = 300",
        ] {
            let drawn = run(input).unwrap();
            drawn.figure.validate().unwrap_or_else(|e| panic!("{input}: {e}"));
        }
    }

    /// Every line of the default input with its value replaced by odd ones: an answer or an
    /// error naming a line, never a panic, and a figure the browser can draw.
    #[test]
    fn mangled_inputs_give_an_answer_or_a_line_error_never_a_panic() {
        let odd = [
            "0", "-1", "1e9", "NaN", "inf", "x", "", "0:0", "0:1 0:2", "1 2 3", "none", "0.000001", "100000",
        ];
        let lines: Vec<&str> = DEFAULT.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some((key, _)) = line.split_once('=') else { continue };
            for value in odd {
                let mut mangled = lines.clone();
                let replaced = format!("{key}= {value}");
                mangled[i] = &replaced;
                let input = mangled.join("\n");
                match run(&input) {
                    Ok(drawn) => drawn.figure.validate().unwrap_or_else(|e| panic!("{input}: {e}")),
                    Err(error) => assert!(error.line.is_some(), "{input}: {error}"),
                }
            }
        }
    }
}
