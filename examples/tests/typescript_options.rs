//! The chapter "TypeScript for backend work" says that each compiler option catches its bug.
//! `tests/expected.rs` shows that each type-error example fails with its code under the book's
//! settings; this test turns the option the page credits off (the rest of
//! `examples/tsconfig.type-errors.json` the same) and expects that example to compile cleanly,
//! so a claim such as "strictNullChecks is what reports `users.find(…).email`" can fail. It also
//! checks what the page says tsc 7 does with an empty `compilerOptions`.

use test_support::skip_or_fail;
use test_support::typescript::{self, Report};

/// (type-error example, the options that make it an error, the code it shows with them on).
/// Turning `strictNullChecks` off also needs `exactOptionalPropertyTypes` off, which depends on it
/// (tsc refuses the configuration otherwise, TS5052, and checks nothing).
const OPTIONS: &[(&str, &[&str], &str)] = &[
    ("find_undefined", &["strictNullChecks", "exactOptionalPropertyTypes"], "TS18048"),
    ("implicit_any", &["noImplicitAny"], "TS7006"),
    ("handler_variance", &["strictFunctionTypes"], "TS2322"),
    ("catch_unknown", &["useUnknownInCatchVariables"], "TS18046"),
    ("property_init", &["strictPropertyInitialization"], "TS2564"),
    ("index_undefined", &["noUncheckedIndexedAccess"], "TS18048"),
    ("exact_optional", &["exactOptionalPropertyTypes"], "TS2375"),
    ("enum_erasable", &["erasableSyntaxOnly"], "TS1294"),
];

/// tsc with `options` turned off: its report, which must be a real check of the examples (no
/// configuration error, and `excess_property`, which no option affects, still reported).
fn report_without(options: &[&str]) -> Report {
    let flags: Vec<String> = options.iter().map(|o| format!("--{o}")).collect();
    let mut args: Vec<&str> = Vec::new();
    for flag in &flags {
        args.extend([flag.as_str(), "false"]);
    }
    let report = typescript::type_error_report_with(&args).expect("tsc runs");
    let outside: Vec<String> = report
        .by_file
        .iter()
        .filter(|(file, _)| !file.ends_with(".type-error.ts"))
        .flat_map(|(_, list)| list.iter().map(ToString::to_string))
        .collect();
    assert!(
        report.other.is_empty() && outside.is_empty(),
        "tsc with {args:?} did not check the examples:\n{}\n{}",
        report.other.join("\n"),
        outside.join("\n")
    );
    assert_eq!(
        codes_of(&report, &file_of("excess_property")),
        ["TS2353"],
        "tsc with {args:?} checked nothing"
    );
    report
}

fn file_of(stem: &str) -> String {
    format!("examples/src/typescript/{stem}.type-error.ts")
}

fn toolchain_ready(check: &str) -> bool {
    match typescript::missing() {
        None => true,
        Some(why) => {
            skip_or_fail(check, &why, "Run `cargo xtask test`, which installs the pinned TypeScript.");
            false
        }
    }
}

fn codes_of(report: &Report, file: &str) -> Vec<String> {
    report.by_file.get(file).map(|list| list.iter().map(|d| d.code.clone()).collect()).unwrap_or_default()
}

#[test]
fn each_option_is_what_reports_its_example() {
    if !toolchain_ready("the TypeScript option checks") {
        return;
    }
    let with_all = typescript::type_error_report().expect("tsc runs");
    assert!(with_all.other.is_empty(), "tsc could not check the examples:\n{}", with_all.other.join("\n"));
    for &(stem, options, code) in OPTIONS {
        let file = file_of(stem);
        assert_eq!(
            codes_of(&with_all, &file),
            [code],
            "{file}: with the book's settings it should show exactly {code}"
        );
        let without = report_without(options);
        let left =
            without.by_file.get(&file).map(|list| list.iter().map(ToString::to_string).collect::<Vec<_>>());
        assert!(
            left.is_none(),
            "{file}: the page says {} is what reports it, yet with it off tsc still says:\n{}",
            options[0],
            left.unwrap_or_default().join("\n")
        );
    }
}

#[test]
fn the_unknown_annotation_fails_whatever_the_catch_option() {
    // `unknown_not_any` fails because `body` is annotated `unknown`, not because of the catch option.
    if !toolchain_ready("the TypeScript option checks") {
        return;
    }
    let report = report_without(&["useUnknownInCatchVariables"]);
    assert_eq!(codes_of(&report, &file_of("unknown_not_any")), ["TS18046"]);
}

/// What the page says of tsc 7 with an empty `compilerOptions`: `strict` is on (an implicit `any`
/// and `null` assigned to `string` are errors), and `types` is empty, so Node's globals such as
/// `process` are unknown until `"types": ["node"]` (and `@types/node`) are added. Options removed
/// in 7.0 are configuration errors.
#[test]
fn tsc_7_defaults_and_removed_options() {
    if !toolchain_ready("the TypeScript default-options check") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("bf-ts-defaults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.ts"),
        "export function f(x) { return x; }\nexport const s: string = null;\nexport const home = process.env.HOME;\n",
    )
    .unwrap();
    let check = |options: &str| {
        std::fs::write(
            dir.join("tsconfig.json"),
            format!("{{ \"compilerOptions\": {{ \"noEmit\": true{options} }}, \"files\": [\"a.ts\"] }}\n"),
        )
        .unwrap();
        typescript::tsc_in(&dir, &["-p", "tsconfig.json"]).expect("tsc runs").1
    };
    let printed = check("");
    for code in ["TS7006", "TS2322", "TS2591"] {
        assert!(
            printed.contains(&format!("error {code}:")),
            "an empty compilerOptions should give {code}:\n{printed}"
        );
    }
    let loose = check(", \"strict\": false");
    assert!(
        !loose.contains("TS7006") && !loose.contains("TS2322"),
        "strict: false should allow both:\n{loose}"
    );
    for removed in [
        "\"baseUrl\": \".\"",
        "\"outFile\": \"out.js\"",
        "\"target\": \"es5\"",
        "\"moduleResolution\": \"node10\"",
        "\"module\": \"amd\"",
        "\"esModuleInterop\": false",
        "\"downlevelIteration\": true",
    ] {
        let printed = check(&format!(", {removed}"));
        assert!(printed.contains("has been removed"), "tsc 7 should call {removed} removed:\n{printed}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
