//! `cargo xtask bench`: measurements, printed as a table. Not a timed test: nothing here fails
//! on a slow machine; the figures are for the budgets in the issues.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::book::{self, Prepared};
use crate::project;
use crate::step::{self, format_duration, step};

/// The chapter the one-chapter rebuild touches.
const TOUCHED_CHAPTER: &str = "src/how-this-book-works.md";

pub fn run(runs: u32) -> anyhow::Result<()> {
    let prepared = book::prepare()?;
    let scratch = std::env::temp_dir().join(format!("bf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let timings = scratch.join("preprocessor-timings.txt");
    let cache = project::target_dir().join("mdbook-examples");
    let dest = scratch.join("book");
    let mut table = Table::default();

    // Cold: no highlight cache.
    let mut cold_total = Vec::new();
    let mut cold_pre = Vec::new();
    for run in 1..=runs {
        let _ = std::fs::remove_dir_all(&cache);
        let (total, pre) = step(&format!("cold full build {run}/{runs} (highlight cache cleared)"), || {
            timed_build(&prepared, &dest, &timings)
        })?;
        cold_total.push(total);
        cold_pre.push(pre);
    }
    // Warm: the cache from the cold runs.
    let mut warm_total = Vec::new();
    let mut warm_pre = Vec::new();
    for run in 1..=runs {
        let (total, pre) =
            step(&format!("warm full build {run}/{runs}"), || timed_build(&prepared, &dest, &timings))?;
        warm_total.push(total);
        warm_pre.push(pre);
    }
    table.row("full book build, cold (mdbook build)", &cold_total);
    table.note(format!("  cold preprocessor budget <= 1.5 s: median {}", format_duration(median(&cold_pre))));
    table.row("  of which the preprocessor, cold", &cold_pre);
    table.row("full book build, warm", &warm_total);
    table.row("  of which the preprocessor, warm", &warm_pre);
    let share = 100.0 * median(&warm_pre).as_secs_f64() / median(&warm_total).as_secs_f64();
    table.note(format!("preprocessor share of a warm build: {share:.1}% (budget <= 10%)"));

    // One chapter edited, then rebuilt: what `mdbook serve` runs after its watcher fires.
    let chapter = project::root().join(TOUCHED_CHAPTER);
    let original = std::fs::read_to_string(&chapter).with_context(|| format!("reading {TOUCHED_CHAPTER}"))?;
    let restore = Restore { path: chapter.clone(), content: original.clone() };
    let mut rebuild = Vec::new();
    for run in 1..=runs {
        std::fs::write(&chapter, format!("{original}\n<!-- bench edit {run} -->\n"))?;
        let (total, _) = step(&format!("rebuild after editing one chapter {run}/{runs}"), || {
            timed_build(&prepared, &dest, &timings)
        })?;
        rebuild.push(total);
    }
    table.row("one-chapter rebuild (mdbook build)", &rebuild);
    let served = step("edit -> page rebuilt under `mdbook serve`", || {
        serve_round_trip(&prepared, &chapter, &original)
    })?;
    drop(restore);
    table.row("edit -> HTML rewritten by mdbook serve", &served);
    table.note("  (includes mdbook serve's file-watcher debounce; budget <= 1 s end to end)".to_string());

    // syntect throughput on the workspace's own Rust sources, uncached.
    let (lines, spent) = step("syntect throughput (uncached, workspace Rust sources)", syntect_throughput)?;
    table.note(format!(
        "syntect: {lines} lines in {} = {:.0} lines/s (one core, release)",
        format_duration(spent),
        lines as f64 / spent.as_secs_f64()
    ));

    let _ = std::fs::remove_dir_all(&scratch);
    let site = step("build the site into book/ for the browser figures", book::build_all)?;
    playground_figures(&mut table, &site)?;
    page_figures(&mut table, &site)?;
    table.print();
    Ok(())
}

/// Every page a reader lands on: bytes of its first load (gzipped) and main-thread blocking
/// under a 4x CPU throttle (`browser-tests/bench/pages.mjs`), against the budgets of issue 14.
fn page_figures(table: &mut Table, site: &Path) -> anyhow::Result<()> {
    let Some(mut node) = crate::browser::node_with_chromium(
        site,
        "PAGE FIGURES SKIPPED: page weight and main-thread blocking were not measured.",
    )?
    else {
        table.note("pages in Chromium: NOT MEASURED (no Chromium or node)".to_string());
        return Ok(());
    };
    let out = step("every page: first-load weight and main-thread blocking (4x CPU throttle)", || {
        step::output(node.arg("bench/pages.mjs"))
    })?;
    let report: serde_json::Value = serde_json::from_str(out.trim())
        .with_context(|| format!("reading the page bench's report `{out}`"))?;
    let number = |value: &serde_json::Value, what: &str| value.as_f64().with_context(|| format!("no {what}"));
    let weight_budget = number(&report["weight_budget_bytes"], "weight budget")?;
    let blocking_budget = number(&report["blocking_budget_ms"], "blocking budget")?;
    table.note(String::new());
    table.note(format!(
        "{:<34} {:>12} {:>13} {:>13} {:>9}",
        "page (first load, median of 3)", "kB gzipped", "blocking ms", "longest task", "budgets"
    ));
    let mut over = Vec::new();
    for (page, figures) in report["pages"].as_object().context("no per-page figures")? {
        let bytes = number(&figures["bytes"], "bytes")?;
        let blocking = number(&figures["blocking_ms"], "blocking")?;
        let longest = number(&figures["longest_task_ms"], "longest task")?;
        let within = bytes <= weight_budget && blocking <= blocking_budget;
        if !within {
            over.push(page.clone());
        }
        table.note(format!(
            "{page:<34} {:>12.1} {blocking:>13.0} {longest:>13.0} {:>9}",
            bytes / 1000.0,
            if within { "ok" } else { "OVER" }
        ));
    }
    table.note(format!(
        "budgets: <= {:.0} kB gzipped on first load, <= {blocking_budget:.0} ms main-thread blocking \
         (sum of each task's time beyond 50 ms, {} time) with the CPU throttled 4x; {}",
        weight_budget / 1000.0,
        match report["pages"].as_object().and_then(|pages| pages.values().next()).map(|p| &p["clock"]) {
            Some(serde_json::Value::String(clock)) if clock == "thread" => "the main thread's own",
            _ => "wall-clock",
        },
        if over.is_empty() {
            "every page within both".to_string()
        } else {
            format!("OVER: {}", over.join(", "))
        }
    ));
    Ok(())
}

/// Latency budget for Run -> output once the module is loaded (issue 4).
const RUN_LATENCY_BUDGET_MS: f64 = 50.0;
/// The playground's WebAssembly: its size raw and gzipped, and (in Chromium) instantiate time,
/// the first Run on a page, and the Run -> output latency of every browser-capable example.
fn playground_figures(table: &mut Table, site: &Path) -> anyhow::Result<()> {
    for size in crate::wasm::sizes(&crate::wasm::modules()?)? {
        table.note(format!("wasm module {}", size.describe()));
    }
    let Some(mut node) = crate::browser::node_with_chromium(
        site,
        "BROWSER FIGURES SKIPPED: instantiate time and Run latency were not measured.",
    )?
    else {
        table.note("playground in Chromium: NOT MEASURED (no Chromium or node)".to_string());
        return Ok(());
    };
    let out = step("playground in Chromium (instantiate, first Run, 30 warm runs per example)", || {
        step::output(node.arg("bench/playground.mjs"))
    })?;
    let report: serde_json::Value = serde_json::from_str(out.trim())
        .with_context(|| format!("reading the browser bench's report `{out}`"))?;
    let ms = |value: &serde_json::Value| value.as_f64().map(|v| Duration::from_secs_f64(v / 1000.0));
    for (module, spent) in report["instantiate_ms"].as_object().context("no instantiate times")? {
        if let Some(spent) = ms(spent) {
            table.row(&format!("wasm fetch + compile + instantiate: {module}"), &[spent]);
        }
    }
    if let Some(first) = ms(&report["first_run_ms"]) {
        table.row("first Run on a page (worker + wasm + run)", &[first]);
    }
    let mut all = Vec::new();
    for (id, figures) in report["examples"].as_object().context("no per-example figures")? {
        let samples: Vec<Duration> =
            figures["total_ms"].as_array().context("no samples")?.iter().filter_map(ms).collect();
        anyhow::ensure!(
            figures["state"] == "ok",
            "{id} did not run cleanly in the bench: {}",
            figures["state"]
        );
        table.row(&format!("Run -> output: {id}"), &samples);
        all.extend(samples);
    }
    if !all.is_empty() {
        table.note(format!(
            "Run -> output, all examples: median {} (budget <= {RUN_LATENCY_BUDGET_MS} ms once loaded)",
            format_duration(median(&all))
        ));
    }
    Ok(())
}

struct Restore {
    path: PathBuf,
    content: String,
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(err) = std::fs::write(&self.path, &self.content) {
            eprintln!("xtask: could not restore {}: {err}", self.path.display());
        }
    }
}

/// One `mdbook build`: its wall time and the time the preprocessor reports for itself.
fn timed_build(prepared: &Prepared, dest: &Path, timings: &Path) -> anyhow::Result<(Duration, Duration)> {
    let _ = std::fs::remove_file(timings);
    let started = Instant::now();
    let out = prepared
        .mdbook()?
        .arg("build")
        .arg("--dest-dir")
        .arg(dest)
        .env("MDBOOK_EXAMPLES_TIMINGS", timings)
        .stdout(Stdio::null())
        .output()
        .context("running mdbook build")?;
    let total = started.elapsed();
    if !out.status.success() {
        bail!("mdbook build failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let report = std::fs::read_to_string(timings).context("the preprocessor wrote no timings")?;
    let elapsed_us: u64 = field(&report, "elapsed_us")?;
    Ok((total, Duration::from_micros(elapsed_us)))
}

/// Starts `mdbook serve`, edits a chapter, and times until the chapter's HTML contains the edit.
fn serve_round_trip(prepared: &Prepared, chapter: &Path, original: &str) -> anyhow::Result<Vec<Duration>> {
    let port = free_port()?;
    let dest = std::env::temp_dir().join(format!("bf-bench-serve-{}", std::process::id()));
    let mut server = prepared
        .mdbook()?
        .args(["serve", "--hostname", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--dest-dir")
        .arg(&dest)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting mdbook serve")?;
    let html =
        dest.join(Path::new(TOUCHED_CHAPTER).with_extension("html").strip_prefix("src").expect("in src"));
    let result = (|| {
        wait_for(&html, "</html>", Duration::from_secs(60)).context("mdbook serve never built the book")?;
        std::thread::sleep(Duration::from_millis(1500)); // let the watcher settle
        let mut samples = Vec::new();
        for run in 1..=3 {
            let marker = format!("bench-serve-marker-{run}-{}", std::process::id());
            let started = Instant::now();
            std::fs::write(chapter, format!("{original}\n{marker}\n"))?;
            wait_for(&html, &marker, Duration::from_secs(30))?;
            samples.push(started.elapsed());
            std::thread::sleep(Duration::from_millis(1500));
        }
        Ok(samples)
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dest);
    result
}

fn wait_for(file: &Path, needle: &str, timeout: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if std::fs::read_to_string(file).is_ok_and(|text| text.contains(needle)) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    bail!("{} did not contain `{needle}` within {}", file.display(), format_duration(timeout))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn syntect_throughput() -> anyhow::Result<(usize, Duration)> {
    let root = project::root();
    let mut files = Vec::new();
    for dir in ["examples/src", "preprocessors", "playground/src", "xtask/src"] {
        files.extend(project::files_under(&root.join(dir))?);
    }
    files.retain(|path| path.extension().is_some_and(|e| e == "rs"));
    let binary = project::target_dir().join("release").join("mdbook-examples");
    let out = step::output(Command::new(binary).arg("bench-highlight").args(&files))?;
    let lines: usize = field(&out, "lines")?;
    let seconds: f64 = field(&out, "seconds")?;
    Ok((lines, Duration::from_secs_f64(seconds)))
}

/// The value of `name=value` in a line of `key=value` pairs the preprocessor printed.
fn field<T: std::str::FromStr>(text: &str, name: &str) -> anyhow::Result<T> {
    let prefix = format!("{name}=");
    text.split_whitespace()
        .find_map(|pair| pair.strip_prefix(prefix.as_str()))
        .and_then(|value| value.parse().ok())
        .with_context(|| format!("no number `{name}=` in the preprocessor's report `{}`", text.trim()))
}

#[derive(Default)]
struct Table {
    lines: Vec<String>,
}

impl Table {
    fn row(&mut self, name: &str, samples: &[Duration]) {
        self.lines.push(format!(
            "{name:<42} {:>9} {:>9} {:>9} {:>5}",
            format_duration(median(samples)),
            format_duration(*samples.iter().min().expect("at least one sample")),
            format_duration(*samples.iter().max().expect("at least one sample")),
            samples.len()
        ));
    }

    fn note(&mut self, text: String) {
        self.lines.push(text);
    }

    fn print(&self) {
        println!("\n{:<42} {:>9} {:>9} {:>9} {:>5}", "benchmark", "median", "min", "max", "runs");
        for line in &self.lines {
            println!("{line}");
        }
    }
}

/// Median of samples (mean of the middle two for an even count).
fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
        assert_eq!(median(&ms(&[9, 1, 2])), Duration::from_millis(2));
        assert_eq!(median(&ms(&[1, 9, 2, 4])), Duration::from_millis(3));
    }
}
