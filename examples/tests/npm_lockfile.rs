//! The package.json/semver chapter's claims about `npm install` and `npm ci` checked on the
//! real npm, offline: a temporary project depends on a tiny local package through a `file:`
//! tarball (packed by `npm pack` at two versions into the temporary directory), with
//! `--offline --no-audit --no-fund` and a cache of its own, so nothing touches the network.
//!
//! What npm did is written to `examples/data/npm-lockfile.txt` (compared, or rewritten with
//! `EXAMPLES_BLESS=1`), which the chapter's `semver::npm_lockfile` example prints. Without
//! `npm` the check is skipped loudly (a failure in CI).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use test_support::typescript::workspace_root;

fn npm(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    Command::new("npm")
        .args(args)
        .args(["--offline", "--no-audit", "--no-fund", "--no-update-notifier", "--cache"])
        .arg(cache)
        .current_dir(dir)
        .env("npm_config_loglevel", "error")
        .output()
        .expect("run npm")
}

fn write_package(dir: &Path, version: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        format!("{{\"name\": \"tiny\", \"version\": \"{version}\", \"main\": \"index.js\"}}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("index.js"), format!("module.exports = '{version}';\n")).unwrap();
}

fn write_app(app: &Path, spec: &str) {
    std::fs::write(
        app.join("package.json"),
        format!(
            "{{\"name\": \"app\", \"version\": \"1.0.0\", \"dependencies\": {{\"tiny\": \"{spec}\"}}}}\n"
        ),
    )
    .unwrap();
}

/// The locked version of `tiny` and where it came from, from package-lock.json.
fn locked(app: &Path) -> String {
    let text = std::fs::read_to_string(app.join("package-lock.json")).unwrap();
    let lock: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = &lock["packages"]["node_modules/tiny"];
    format!(
        "lockfileVersion {}, tiny {} from {}",
        lock["lockfileVersion"],
        entry["version"].as_str().unwrap_or("?"),
        entry["resolved"].as_str().unwrap_or("?")
    )
}

fn installed(app: &Path) -> String {
    match std::fs::read_to_string(app.join("node_modules/tiny/package.json")) {
        Ok(text) => {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            format!("node_modules has tiny {}", v["version"].as_str().unwrap())
        }
        Err(_) => "node_modules has no tiny".to_string(),
    }
}

fn outcome(out: &Output) -> String {
    if out.status.success() { "exit 0".into() } else { format!("exit {}", out.status.code().unwrap_or(-1)) }
}

/// The first line of npm's complaint, without the `npm error` prefix.
fn complaint(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .map(|l| l.trim_start_matches("npm error").trim())
        .find(|l| !l.is_empty() && !l.starts_with("code ") && !l.starts_with("A complete log"))
        .unwrap_or("")
        .to_string()
}

fn run(tmp: &Path) -> String {
    let cache = tmp.join("cache");
    let mut log = Vec::new();
    for v in ["1.0.0", "1.1.0"] {
        let src = tmp.join(format!("tiny-src-{v}"));
        write_package(&src, v);
        let out = npm(&src, &cache, &["pack", "--pack-destination", tmp.to_str().unwrap()]);
        assert!(out.status.success(), "npm pack: {}", String::from_utf8_lossy(&out.stderr));
    }
    let app = tmp.join("app");
    std::fs::create_dir_all(&app).unwrap();
    write_app(&app, "file:../tiny-1.0.0.tgz");
    log.push("package.json: \"tiny\": \"file:../tiny-1.0.0.tgz\"".to_string());

    let out = npm(&app, &cache, &["install"]);
    assert!(out.status.success(), "npm install: {}", String::from_utf8_lossy(&out.stderr));
    log.push(format!("npm install      -> {}; wrote package-lock.json: {}", outcome(&out), locked(&app)));
    log.push(format!("                    {}", installed(&app)));

    let before = std::fs::read(app.join("package-lock.json")).unwrap();
    let out = npm(&app, &cache, &["ci"]);
    assert!(out.status.success(), "npm ci: {}", String::from_utf8_lossy(&out.stderr));
    let same = std::fs::read(app.join("package-lock.json")).unwrap() == before;
    log.push(format!(
        "npm ci           -> {}; package-lock.json {}; {}",
        outcome(&out),
        if same { "unchanged" } else { "CHANGED" },
        installed(&app)
    ));

    write_app(&app, "file:../tiny-1.1.0.tgz");
    log.push(
        "package.json edited: \"tiny\": \"file:../tiny-1.1.0.tgz\" (the lock no longer satisfies it)".into(),
    );
    let out = npm(&app, &cache, &["ci"]);
    let same = std::fs::read(app.join("package-lock.json")).unwrap() == before;
    log.push(format!(
        "npm ci           -> {}; package-lock.json {}",
        outcome(&out),
        if same { "unchanged" } else { "CHANGED" }
    ));
    log.push(format!("                    npm: {}", complaint(&out)));

    let out = npm(&app, &cache, &["install"]);
    assert!(out.status.success(), "npm install: {}", String::from_utf8_lossy(&out.stderr));
    let same = std::fs::read(app.join("package-lock.json")).unwrap() == before;
    log.push(format!(
        "npm install      -> {}; package-lock.json {}: {}",
        outcome(&out),
        if same { "unchanged" } else { "rewritten" },
        locked(&app)
    ));
    log.push(format!("                    {}", installed(&app)));
    let text = log.join("\n");
    // Paths of the temporary directory never reach the file.
    text.replace(tmp.to_str().unwrap(), "$TMP") + "\n"
}

#[test]
fn npm_ci_refuses_a_lockfile_that_no_longer_fits_and_npm_install_rewrites_it() {
    if Command::new("npm").arg("--version").output().is_err() {
        test_support::skip_or_fail(
            "the npm lockfile check (tests/npm_lockfile.rs)",
            "`npm` is not on PATH",
            "install Node.js with npm",
        );
        return;
    }
    let tmp: PathBuf = std::env::temp_dir().join(format!("bf-npm-lockfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let result = std::panic::catch_unwind(|| run(&tmp));
    let _ = std::fs::remove_dir_all(&tmp);
    let observed = result.unwrap_or_else(|e| std::panic::resume_unwind(e));

    // The claims the page makes, whatever the file says.
    assert!(observed.contains("npm ci           -> exit 0; package-lock.json unchanged"), "{observed}");
    let refused = observed.lines().find(|l| l.contains("npm ci") && !l.contains("exit 0")).unwrap();
    assert!(refused.contains("package-lock.json unchanged"), "{observed}");
    assert!(observed.contains("rewritten: lockfileVersion 3, tiny 1.1.0"), "{observed}");

    let path = workspace_root().join("examples/data/npm-lockfile.txt");
    let header = "# Written by examples/tests/npm_lockfile.rs: the real npm, offline, on a temporary project\n\
                  # whose one dependency is a local tarball (`npm pack` of a tiny package at 1.0.0 and 1.1.0).\n";
    let text = format!("{header}{observed}");
    if test_support::blessing() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let recorded = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        recorded == text,
        "{} is not what npm did now (EXAMPLES_BLESS=1 rewrites it):\n{}",
        path.display(),
        test_support::line_diff(&recorded, &text)
    );
}
