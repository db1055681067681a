//! Configuration from the environment, validated once at start-up (twelve-factor, factor III).
//! The input is an environment as `KEY=VALUE` lines; a line `---` starts another environment, so
//! the default input shows a start that succeeds and one that fails. Every problem is reported at
//! once, each naming its variable, in the same words as the TypeScript twin `config_ts.ts` (a
//! test compares the two verified outputs). The database password is masked before printing.

use crate::registry::{Example, InputError, Run, Runs};
use std::collections::BTreeMap;

pub const EXAMPLE: Example = Example {
    id: "structure::config",
    title: "Config from the environment, validated at start-up (Rust)",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "KEY=VALUE lines (an environment); `---` starts another one. PORT and DATABASE_URL are required; \
                 LOG_LEVEL, REQUEST_TIMEOUT_MS, MAX_ORDER_CENTS are optional",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// The default input of both twins (the TypeScript one repeats it; a test checks they match).
pub const DEFAULT_INPUT: &str = "# a good environment\nPORT=8080\nDATABASE_URL=postgres://orders:s3cret@db.internal:5432/orders\n\
     LOG_LEVEL=debug\nPATH=/usr/bin\n---\n# a deploy with three bad values and two misspelt names\nPORT=80a\nLOG_LEVEL=verbose\n\
     DATABSE_URL=postgres://orders@db/orders\nREQUEST_TIMEOUT_MS=90000\nMAX_ORDER_CENT=500\n---\n\
     # a URL of the wrong kind, with a password in it\nPORT=8080\nDATABASE_URL=mysql://orders:s3cret@db.internal/orders\n";

// ANCHOR: example
/// The validated configuration: after `from_env` succeeds, nothing else reads the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub port: u16,
    pub database_url: String,
    pub log_level: LogLevel,
    pub request_timeout_ms: u32,
    pub max_order_cents: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

const LEVELS: [(&str, LogLevel); 4] = [
    ("error", LogLevel::Error),
    ("warn", LogLevel::Warn),
    ("info", LogLevel::Info),
    ("debug", LogLevel::Debug),
];

impl Config {
    /// Reads every variable, collects every problem, and fails with all of them at once.
    /// `vars` is the environment: `std::env::vars()` in a service, a map in a test.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, Vec<String>> {
        let env: &BTreeMap<String, String> = &vars.into_iter().collect();
        let mut problems = Vec::new();
        let port = int(env, "PORT", None, 1, 65_535, &mut problems);
        let database_url = match env.get("DATABASE_URL") {
            None => {
                problems.push("DATABASE_URL is required but not set".to_string());
                String::new()
            }
            Some(url)
                if ["postgres://", "postgresql://", "sqlite:", "memory:"]
                    .iter()
                    .any(|s| url.starts_with(s)) =>
            {
                url.clone()
            }
            Some(url) => {
                // Never the value: it may hold a password. The scheme says enough.
                let got = scheme(url).map_or("a value with no scheme".to_string(), |s| format!("\"{s}:…\""));
                problems.push(format!(
                    "DATABASE_URL must start with postgres://, postgresql://, sqlite: or memory:, got {got}"
                ));
                String::new()
            }
        };
        let log_level = match env.get("LOG_LEVEL") {
            None => LogLevel::Info,
            Some(value) => LEVELS.iter().find(|(name, _)| name == value).map(|l| l.1).unwrap_or_else(|| {
                problems.push(format!("LOG_LEVEL must be one of error, warn, info, debug, got \"{value}\""));
                LogLevel::Info
            }),
        };
        let request_timeout_ms = int(env, "REQUEST_TIMEOUT_MS", Some(5_000), 1, 60_000, &mut problems);
        let max_order_cents = int(env, "MAX_ORDER_CENTS", Some(100_000), 1, 100_000_000, &mut problems);
        let extra = typos(env, &mut problems);
        problems.extend(extra);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Config { port: port as u16, database_url, log_level, request_timeout_ms, max_order_cents })
    }
}

/// A URL's scheme (RFC 3986: a letter, then letters, digits, `+`, `-` or `.`, before the `:`).
fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    valid.then_some(scheme)
}

/// An integer variable in `min..=max`; `default` makes it optional.
fn int(
    env: &BTreeMap<String, String>,
    key: &str,
    default: Option<u32>,
    min: u32,
    max: u32,
    problems: &mut Vec<String>,
) -> u32 {
    let Some(value) = env.get(key) else {
        return default.unwrap_or_else(|| {
            problems.push(format!("{key} is required but not set"));
            0
        });
    };
    let digits = !value.is_empty() && value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u32>() {
        Ok(n) if digits && (min..=max).contains(&n) => n,
        _ => {
            problems.push(format!("{key} must be an integer from {min} to {max}, got \"{value}\""));
            0
        }
    }
}
// ANCHOR_END: example

impl LogLevel {
    pub fn name(self) -> &'static str {
        LEVELS.iter().find(|l| l.1 == self).map_or("info", |l| l.0)
    }
}

const KNOWN: [&str; 5] = ["PORT", "DATABASE_URL", "LOG_LEVEL", "REQUEST_TIMEOUT_MS", "MAX_ORDER_CENTS"];
const REQUIRED: [&str; 2] = ["PORT", "DATABASE_URL"];

/// A set variable one edit away from a known one that is not set is almost surely a typo: a
/// required one gets a hint on its "not set" line, an optional one (which would silently keep
/// its default) becomes a problem of its own.
fn typos(env: &BTreeMap<String, String>, problems: &mut [String]) -> Vec<String> {
    let mut extra = Vec::new();
    for key in env.keys().filter(|k| k.len() >= 5 && !KNOWN.contains(&k.as_str())) {
        let Some(known) = KNOWN.iter().find(|k| !env.contains_key(**k) && edit_distance(key, k) == 1) else {
            continue;
        };
        if REQUIRED.contains(known) {
            let missing = format!("{known} is required but not set");
            if let Some(p) = problems.iter_mut().find(|p| **p == missing) {
                p.push_str(&format!(" ({key} is set: a typo?)"));
            }
        } else {
            extra.push(format!("{key} is not a known variable: did you mean {known}?"));
        }
    }
    extra
}

/// Levenshtein distance over bytes (the names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A URL with its secrets blanked, so that a config dump never prints one: the password of the
/// userinfo (`user:*****@`; the userinfo ends at the authority's *last* `@`, as WHATWG URL
/// parsers split it, so `u:p@ss@db` hides all of `p@ss`) and the values of the `password` and
/// `sslpassword` query parameters, which libpq also accepts (`?password=*****`).
pub fn mask(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    // The authority ends at the first `/`, `?` or `#` after `scheme://`.
    let authority_end = url[scheme_end..].find(['/', '?', '#']).map_or(url.len(), |i| i + scheme_end);
    let mut out = url[..scheme_end].to_string();
    let authority = &url[scheme_end..authority_end];
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => out.push_str(&format!("{user}:*****@{host}")),
            None => out.push_str(authority),
        },
        None => out.push_str(authority),
    }
    let rest = &url[authority_end..];
    let Some(question) = rest.find('?') else {
        out.push_str(rest);
        return out;
    };
    out.push_str(&rest[..=question]);
    let (query, fragment) =
        rest[question + 1..].split_once('#').map_or((&rest[question + 1..], None), |(q, f)| (q, Some(f)));
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key == "password" || key == "sslpassword" => format!("{key}=*****"),
            _ => pair.to_string(),
        })
        .collect();
    out.push_str(&pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push_str(&format!("#{fragment}"));
    }
    out
}

/// Splits the input into environments: maps of KEY to VALUE.
pub fn environments(input: &str) -> Result<Vec<BTreeMap<String, String>>, InputError> {
    let mut envs = vec![BTreeMap::new()];
    for (index, raw) in input.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "---" {
            envs.push(BTreeMap::new());
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(InputError::at_line(index + 1, format!("expected KEY=VALUE, got \"{line}\"")));
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
            return Err(InputError::at_line(
                index + 1,
                format!("a variable name is A-Z, 0-9 and _, got \"{key}\""),
            ));
        }
        envs.last_mut().expect("one map at least").insert(key.to_string(), value.to_string());
    }
    Ok(envs)
}

fn run(input: &str) -> Result<String, InputError> {
    let mut out = String::new();
    for (n, env) in environments(input)?.iter().enumerate() {
        match Config::from_env(env.clone()) {
            Ok(c) => {
                let level = c.log_level.name();
                let note = |key: &str| if env.contains_key(key) { "" } else { " (default)" };
                out.push_str(&format!(
                    "environment {}: config ok, starting\n  PORT={}\n  DATABASE_URL={}\n  LOG_LEVEL={level}{}\n  \
                     REQUEST_TIMEOUT_MS={}{}\n  MAX_ORDER_CENTS={}{}\n",
                    n + 1,
                    c.port,
                    mask(&c.database_url),
                    note("LOG_LEVEL"),
                    c.request_timeout_ms,
                    note("REQUEST_TIMEOUT_MS"),
                    c.max_order_cents,
                    note("MAX_ORDER_CENTS"),
                ));
            }
            Err(problems) => {
                let s = if problems.len() == 1 { "" } else { "s" };
                out.push_str(&format!(
                    "environment {}: refusing to start, {} configuration problem{s}:\n",
                    n + 1,
                    problems.len()
                ));
                for p in problems {
                    out.push_str(&format!("  {p}\n"));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(text: &str) -> BTreeMap<String, String> {
        environments(text).unwrap().remove(0)
    }

    #[test]
    fn a_missing_required_variable_is_named() {
        let err = Config::from_env(env("PORT=8080\n")).unwrap_err();
        assert_eq!(err, vec!["DATABASE_URL is required but not set"]);
    }

    #[test]
    fn every_problem_is_reported_at_once_and_defaults_fill_the_optional() {
        let err =
            Config::from_env(env("PORT=0\nDATABASE_URL=mysql://x\nREQUEST_TIMEOUT_MS=1e3\n")).unwrap_err();
        assert_eq!(err.len(), 3, "{err:?}");
        assert!(err[0].starts_with("PORT must be an integer from 1 to 65535"));
        let ok = Config::from_env(env("PORT=1\nDATABASE_URL=memory:\n")).unwrap();
        assert_eq!(
            (ok.log_level, ok.request_timeout_ms, ok.max_order_cents),
            (LogLevel::Info, 5_000, 100_000)
        );
    }

    #[test]
    fn a_space_or_sign_is_not_a_number() {
        for bad in [" 8080", "+80", "-1", "65536", ""] {
            let text = format!("PORT={bad}\nDATABASE_URL=memory:\n");
            assert!(Config::from_env(env(&text)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_near_miss_is_called_a_typo_and_a_short_name_is_left_alone() {
        let err = Config::from_env(env("PORT=1\nDATABSE_URL=x\nREQUEST_TIMOUT_MS=9\nHOST=a\nPATH=/bin\n"))
            .unwrap_err();
        assert_eq!(
            err,
            vec![
                "DATABASE_URL is required but not set (DATABSE_URL is set: a typo?)",
                "REQUEST_TIMOUT_MS is not a known variable: did you mean REQUEST_TIMEOUT_MS?",
            ]
        );
        assert_eq!(edit_distance("DATABSE_URL", "DATABASE_URL"), 1);
        assert_eq!(edit_distance("HOST", "PORT"), 2);
    }

    #[test]
    fn a_password_never_reaches_any_output() {
        let urls = [
            "mysql://orders:s3cret@db.internal/orders",
            "orders:s3cret@db.internal/orders",
            "//orders:s3cret@db.internal/orders",
            "s3cret",
            "postgres//orders:s3cret@db",
            "postgres://orders:s3cret@db.internal:5432/orders",
            // libpq takes the password from the query string too.
            "postgresql://db/orders?password=s3cret",
            "postgresql://orders@db/orders?sslmode=require&sslpassword=s3cret&password=s3cret#x",
            // An `@` inside the password: the userinfo ends at the last `@`.
            "postgres://orders:s3@cret@db.internal/orders",
            "postgres://orders:s3cret@@db.internal/orders",
        ];
        let mut input = String::new();
        for url in urls {
            // Each URL alone, and beside other problems, and in a config that starts.
            input.push_str(&format!(
                "PORT=8080\nDATABASE_URL={url}\n---\nPORT=x\nLOG_LEVEL=loud\nDATABASE_URL={url}\n---\n"
            ));
            let problems = Config::from_env(env(&format!("PORT=x\nDATABASE_URL={url}\n"))).unwrap_err();
            assert!(problems.iter().all(|p| !p.contains("s3cret")), "{problems:?}");
        }
        let out = run(&input).unwrap();
        assert!(!out.contains("s3cret") && !out.contains("cret"), "{out}");
        assert!(out.contains("got \"mysql:…\"") && out.contains("got a value with no scheme"), "{out}");
        assert!(out.contains("DATABASE_URL=postgres://orders:*****@db.internal:5432/orders"), "{out}");
    }

    #[test]
    fn the_password_is_masked() {
        assert_eq!(mask("postgres://u:pw@h/db"), "postgres://u:*****@h/db");
        assert_eq!(mask("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(mask("sqlite:orders.db"), "sqlite:orders.db");
        assert_eq!(mask("postgres://u:p@ss@db"), "postgres://u:*****@db");
        assert_eq!(mask("postgresql://db/orders?password=s3cret"), "postgresql://db/orders?password=*****");
        assert_eq!(
            mask("postgresql://u@db:5432/o?sslmode=require&sslpassword=x&application_name=a#f"),
            "postgresql://u@db:5432/o?sslmode=require&sslpassword=*****&application_name=a#f"
        );
        assert_eq!(mask("postgres://db/o?passwords=x&password"), "postgres://db/o?passwords=x&password");
    }

    #[test]
    fn a_line_without_equals_names_its_line() {
        assert_eq!(environments("PORT=1\nnonsense\n").unwrap_err().line, Some(2));
    }
}
