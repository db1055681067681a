//! Chapter "Linters: ESLint and clippy". `mini_lint.ts` is a linter small enough to read: a
//! tokenizer and recursive-descent parser for a JavaScript subset build a tree with nodes named
//! as in ESTree, and three rules walk it (it runs in the browser on the reader's code). `eslint_findings`
//! prints what the real ESLint 10 with typescript-eslint reported on `snippets/*.ts` when
//! `examples/tests/eslint_findings.rs` last ran it (`examples/lint-snippets.mjs` with
//! `eslint.config.js`; the packages are pinned by this folder's `package-lock.json`, a package of
//! its own because typescript-eslint needs the TypeScript 6 compiler API). `clippy_findings`
//! prints what the real clippy reported on `clippy_demo/lib.rs` (`examples/tests/clippy_findings.rs`).

use crate::Example;

pub mod clippy_findings;
pub mod eslint_findings;

/// The chapter's examples, in reading order.
pub const EXAMPLES: &[Example] = &[
    Example::typescript(
        "linters::mini_lint",
        "A linter from scratch: tokens, a syntax tree, three rules",
        "examples/src/linters/mini_lint.ts",
        "// lint: ast   (remove this line to print the findings only)\nasync function saveOrder(order) {\n  return db.insertAsync(\"orders\", order);\n}\nfunction handle(order, count) {\n  if (count == 0) return null;\n  saveOrder(order);\n  return sendAsync(201, order.id);\n}\n",
        "JavaScript: function declarations (async too), const/let/var, if/else, return, calls, members, await, void, == and friends; a line `// lint: ast` prints the tree",
    ),
    #[cfg(not(target_family = "wasm"))]
    eslint_findings::EXAMPLE,
    #[cfg(not(target_family = "wasm"))]
    clippy_findings::EXAMPLE,
];
