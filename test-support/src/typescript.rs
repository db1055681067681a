//! The TypeScript examples' toolchain, shared by the tests (`examples/tests/expected.rs`) and
//! `cargo xtask build`: the pinned `tsc` (npm `typescript`, `examples/package-lock.json`) type-checks
//! and compiles `examples/src/**/*.ts` with `examples/tsconfig.json`, and Node runs a compiled
//! example through `examples/run-typescript.mjs`.
//!
//! Paths in what this module reports are relative to the workspace root
//! (`examples/src/typescript/narrowing.ts:12:7`), so an error points at the file to fix.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The file `npm ci` leaves in `node_modules/` with the lock file it installed from (written by
/// xtask), so a stale install is told from a current one.
pub const NPM_STAMP: &str = ".installed-from-package-lock.json";

/// The workspace root (this crate is one of its members).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("test-support sits in the workspace").to_path_buf()
}

/// `examples/`: the crate with the examples, their `package.json` and `tsconfig.json`.
pub fn examples_dir() -> PathBuf {
    workspace_root().join("examples")
}

/// Where the tests compile the examples to: `<target>/typescript-examples/`.
pub fn test_out_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| workspace_root().join("target"), PathBuf::from);
    target.join("typescript-examples")
}

/// True when `dir/node_modules` was installed by `npm ci` from the lock file now in `dir`.
pub fn npm_installed_from_lock(dir: &Path) -> bool {
    let Ok(lock) = std::fs::read(dir.join("package-lock.json")) else { return false };
    std::fs::read(dir.join("node_modules").join(NPM_STAMP)).is_ok_and(|installed| installed == lock)
}

/// Why the toolchain cannot run here, if it cannot: no `node`, or `examples/node_modules` not
/// installed from the current lock file.
pub fn missing() -> Option<String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not on PATH (Debian: apt-get install nodejs npm)".into());
    }
    if !npm_installed_from_lock(&examples_dir()) {
        return Some(
            "examples/node_modules is missing or was installed from another package-lock.json \
             (`cargo xtask test` runs `npm ci` there; or run it yourself in examples/)"
                .into(),
        );
    }
    None
}

/// One error `tsc` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Relative to the workspace root: `examples/src/typescript/narrowing.ts`.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// `TS2322`.
    pub code: String,
    /// The message, continuation lines included.
    pub message: String,
    /// The lines as `tsc --pretty false` printed them from `examples/`
    /// (`src/typescript/x.ts(4,9): error TS2322: …`): what a type-error example's page shows.
    pub as_printed: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: error {}: {}", self.file, self.line, self.column, self.code, self.message)
    }
}

/// What `tsc` said: its diagnostics by file, and any line that is not part of one (a
/// configuration error such as `error TS5083: Cannot read file …`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub by_file: BTreeMap<String, Vec<Diagnostic>>,
    pub other: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.by_file.is_empty() && self.other.is_empty()
    }

    /// Every problem, one per line, files in `file:line:col` form.
    pub fn describe(&self) -> String {
        let mut lines: Vec<String> = self.other.clone();
        lines.extend(self.by_file.values().flatten().map(ToString::to_string));
        lines.join("\n")
    }
}

/// Reads `tsc --pretty false` output, printed from `examples/`: `path(line,col): error TSn: msg`,
/// with continuation lines indented under the message.
pub fn parse_report(printed: &str) -> Report {
    let mut report = Report::default();
    let mut last: Option<(String, usize)> = None;
    for line in printed.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(diagnostic) = parse_diagnostic(line) {
            let list = report.by_file.entry(diagnostic.file.clone()).or_default();
            last = Some((diagnostic.file.clone(), list.len()));
            list.push(diagnostic);
        } else if let (Some((file, index)), true) = (&last, line.starts_with(' ')) {
            let diagnostic = &mut report.by_file.get_mut(file).expect("the file was entered")[*index];
            diagnostic.message.push('\n');
            diagnostic.message.push_str(line.trim());
            diagnostic.as_printed.push('\n');
            diagnostic.as_printed.push_str(line);
        } else {
            last = None;
            report.other.push(line.to_string());
        }
    }
    report
}

fn parse_diagnostic(line: &str) -> Option<Diagnostic> {
    let (place, rest) = line.split_once("): error ")?;
    let (path, position) = place.rsplit_once('(')?;
    let (line_number, column) = position.split_once(',')?;
    let (code, message) = rest.split_once(": ")?;
    if !code.starts_with("TS") || path.is_empty() {
        return None;
    }
    Some(Diagnostic {
        file: format!("examples/{}", path.trim_start_matches("./")),
        line: line_number.parse().ok()?,
        column: column.parse().ok()?,
        code: code.to_string(),
        message: message.to_string(),
        as_printed: line.to_string(),
    })
}

/// Runs the pinned `tsc` in `examples/` with `args`; its printed report.
fn tsc(args: &[&str]) -> Result<(bool, String), String> {
    tsc_in(&examples_dir(), args)
}

/// Runs the pinned `tsc` (the one in `examples/node_modules`) with `args` in directory `dir`,
/// which may be any directory, such as a temporary one with a `tsconfig.json` of its own:
/// whether it succeeded, and what it printed (`--pretty false`).
pub fn tsc_in(dir: &Path, args: &[&str]) -> Result<(bool, String), String> {
    let tsc = examples_dir().join("node_modules/typescript/bin/tsc");
    let output = Command::new("node")
        .arg(&tsc)
        .args(args)
        .args(["--pretty", "false"])
        .current_dir(dir)
        .output()
        .map_err(|err| format!("starting `node {}`: {err}", tsc.display()))?;
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok((output.status.success(), printed))
}

/// Type-checks every example (`examples/tsconfig.json`) and writes the JavaScript to `out_dir`
/// (ES modules, as the page's worker imports them). An error reports every diagnostic at its
/// `file:line:col`.
pub fn compile(out_dir: &Path) -> Result<(), Report> {
    let out = out_dir.to_string_lossy();
    let (succeeded, printed) = tsc(&["-p", "tsconfig.json", "--outDir", &out])
        .map_err(|err| Report { other: vec![err], ..Report::default() })?;
    let report = parse_report(&printed);
    if !succeeded || !report.is_clean() {
        let mut report = report;
        if report.is_clean() {
            report.other.push(format!("tsc failed without a diagnostic: {printed}"));
        }
        return Err(report);
    }
    Ok(())
}

/// [`compile`], for Node: a `package.json` beside the JavaScript says its `.js` files are ES
/// modules, as `examples/package.json` says of the sources.
pub fn compile_for_node(out_dir: &Path) -> Result<(), Report> {
    compile(out_dir)?;
    let package = out_dir.join("package.json");
    std::fs::write(&package, "{ \"type\": \"module\" }\n").map_err(|err| Report {
        other: vec![format!("writing {}: {err}", package.display())],
        ..Report::default()
    })
}

/// What `tsc` reports for the examples that show a type error on purpose
/// (`examples/tsconfig.type-errors.json`: every `*.type-error.ts`, never emitted).
pub fn type_error_report() -> Result<Report, String> {
    let (_, printed) = tsc(&["-p", "tsconfig.type-errors.json"])?;
    Ok(parse_report(&printed))
}

/// [`type_error_report`] with more command-line options after the project's, which override
/// its settings: `["--strictNullChecks", "false"]` checks every type-error example with that one
/// option off and the rest of `tsconfig.type-errors.json` the same.
pub fn type_error_report_with(extra: &[&str]) -> Result<Report, String> {
    let mut args = vec!["-p", "tsconfig.type-errors.json"];
    args.extend_from_slice(extra);
    let (_, printed) = tsc(&args)?;
    Ok(parse_report(&printed))
}

/// The compiled JavaScript of example `file` (`examples/src/a/b.ts` → `<out_dir>/a/b.js`).
pub fn compiled_path(out_dir: &Path, file: &str) -> PathBuf {
    let relative = file.trim_start_matches("examples/src/");
    out_dir.join(relative.strip_suffix(".ts").unwrap_or(relative)).with_extension("js")
}

/// What one run on Node gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeRun {
    /// The text `run` returned.
    Output(String),
    /// The example rejected its input: `input line N: message`.
    InputError(String),
}

/// Runs compiled example `js` on Node with `input` on its stdin (`examples/run-typescript.mjs`).
pub fn run_on_node(js: &Path, input: &str) -> Result<NodeRun, String> {
    let runner = examples_dir().join("run-typescript.mjs");
    let mut child = Command::new("node")
        .arg(&runner)
        .arg(js)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("starting `node {}`: {err}", runner.display()))?;
    // A thread writes the input, so a large input cannot fill the pipe while node's output
    // fills the other one.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|err| format!("waiting for node: {err}"))?;
    writer
        .join()
        .expect("the writer does not panic")
        .map_err(|err| format!("writing the input to node: {err}"))?;
    let stdout =
        String::from_utf8(output.stdout).map_err(|_| "the example printed invalid UTF-8".to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    match output.status.code() {
        Some(0) => Ok(NodeRun::Output(stdout)),
        Some(3) => Ok(NodeRun::InputError(stderr)),
        status => Err(format!("node exited with {status:?} running {}:\n{stderr}", js.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_read_by_file_with_continuation_lines() {
        let printed = "src/typescript/a.ts(4,9): error TS2322: Type 'number' is not assignable to type 'string'.\n\
src/typescript/b.type-error.ts(10,3): error TS2345: Argument of type '{ id: string; }' is not assignable to parameter of type 'User'.\n  Property 'name' is missing in type '{ id: string; }' but required in type 'User'.\n\
error TS5083: Cannot read file '/x/tsconfig.json'.\n";
        let report = parse_report(printed);
        let a = &report.by_file["examples/src/typescript/a.ts"][0];
        assert_eq!((a.line, a.column, a.code.as_str()), (4, 9, "TS2322"));
        assert_eq!(
            a.to_string(),
            "examples/src/typescript/a.ts:4:9: error TS2322: Type 'number' is not assignable to type 'string'."
        );
        let b = &report.by_file["examples/src/typescript/b.type-error.ts"][0];
        assert!(b.message.ends_with(
            "\nProperty 'name' is missing in type '{ id: string; }' but required in type 'User'."
        ));
        assert_eq!(b.as_printed.lines().count(), 2);
        assert_eq!(report.other, ["error TS5083: Cannot read file '/x/tsconfig.json'."]);
        assert!(!report.is_clean());
        assert!(parse_report("").is_clean());
    }

    #[test]
    fn compiled_files_mirror_the_sources() {
        let out = Path::new("/t/ts");
        assert_eq!(
            compiled_path(out, "examples/src/typescript/narrowing.ts"),
            Path::new("/t/ts/typescript/narrowing.js")
        );
    }
}
