//! `cargo xtask`: the two commands a newcomer needs (`serve`, `test`) and the rest of the
//! book's build. Every step prints what it does and how long it took.

mod bench;
mod book;
mod browser;
mod fidelity;
mod fonts;
mod offline;
mod project;
mod step;
mod tools;
mod typescript;
mod wasm;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve [--port N]   build everything, then serve the book on 127.0.0.1:3000 with live reload
  build              build the site into book/ (installs pinned tools, builds the wasm)
  test               fmt, clippy, cargo test, wasm, book build, browser tests: everything CI runs
  bench [--runs N]   measure: median full-book build time (and more as issues add them)
  bless              rewrite examples/expected/*.out from the examples' current output
  fidelity           every diagram as the build draws it beside mermaid.js's drawing (PNGs in
                     target/diagram-fidelity/), to compare by eye
  tools              install the pinned mdbook and print the PATH line for plain `mdbook serve`
  fonts              subset mdBook's web fonts into theme/fonts/ (committed; rerun after an mdBook upgrade)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => parse_port(&args[1..]).and_then(book::serve),
        Some("build") => no_args(&args[1..]).and_then(|()| book::build_all().map(drop)),
        Some("test") => no_args(&args[1..]).and_then(|()| browser::test_all()),
        Some("bench") => parse_runs(&args[1..]).and_then(bench::run),
        Some("bless") => no_args(&args[1..]).and_then(|()| book::bless()),
        Some("fonts") => no_args(&args[1..]).and_then(|()| fonts::run()),
        Some("fidelity") => no_args(&args[1..]).and_then(|()| fidelity::run()),
        Some("tools") => no_args(&args[1..]).and_then(|()| tools::print_path()),
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn no_args(rest: &[String]) -> anyhow::Result<()> {
    match rest.first() {
        None => Ok(()),
        Some(extra) => anyhow::bail!("unexpected argument `{extra}`\n\n{USAGE}"),
    }
}

fn flag_value(rest: &[String], flag: &str) -> anyhow::Result<Option<u32>> {
    match rest {
        [] => Ok(None),
        [name, value] if name == flag => {
            value.parse().map(Some).map_err(|_| anyhow::anyhow!("{flag} takes a whole number, not `{value}`"))
        }
        _ => anyhow::bail!("unexpected arguments {rest:?}\n\n{USAGE}"),
    }
}

fn parse_port(rest: &[String]) -> anyhow::Result<u16> {
    let port = flag_value(rest, "--port")?.unwrap_or(3000);
    u16::try_from(port).map_err(|_| anyhow::anyhow!("--port {port} is not a TCP port"))
}

fn parse_runs(rest: &[String]) -> anyhow::Result<u32> {
    let runs = flag_value(rest, "--runs")?.unwrap_or(5);
    anyhow::ensure!(runs >= 1, "--runs must be at least 1");
    Ok(runs)
}
