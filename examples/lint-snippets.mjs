// Runs the linters chapter's ESLint (examples/src/linters/eslint.config.js, with the packages
// pinned by examples/src/linters/package-lock.json) on examples/src/linters/snippets/*.ts through
// ESLint's Node API, and prints each finding as
//   file:line:col rule-id [rule type] message (autofix|suggestion)
// sorted, then a summary. examples/tests/eslint_findings.rs compares the output with
// examples/data/eslint-findings.txt. `node lint-snippets.mjs`, from any directory.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const project = path.join(here, "src", "linters");
const { ESLint } = createRequire(path.join(project, "package.json"))("eslint");

const eslint = new ESLint({
    cwd: project,
    overrideConfigFile: path.join(project, "eslint.config.js"),
});
const results = await eslint.lintFiles(["snippets/*.ts"]);
const meta = eslint.getRulesMetaForResults(results);

const lines = [];
let errors = 0;
let warnings = 0;
let fixable = 0;
let suggestible = 0;
for (const result of results) {
    const file = path.relative(project, result.filePath).split(path.sep).join("/");
    for (const message of result.messages) {
        const rule = message.ruleId ?? "(eslint)";
        const type = message.ruleId ? (meta[message.ruleId]?.type ?? "?") : "directive";
        let how = "";
        if (message.fix) {
            how = " (autofix)";
            fixable++;
        } else if (message.suggestions?.length) {
            how = " (suggestion)";
            suggestible++;
        }
        if (message.severity === 2) errors++;
        else warnings++;
        const severity = message.severity === 2 ? "error" : "warn";
        lines.push({
            file,
            line: message.line,
            column: message.column,
            text: `${file}:${message.line}:${message.column} ${rule} [${type}, ${severity}] ${message.message}${how}`,
        });
    }
}
lines.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.text.localeCompare(b.text));
let out = lines.map((l) => l.text).join("\n") + "\n";
out += `\n${errors + warnings} problems (${errors} errors, ${warnings} warnings) in ${results.length} files\n`;
out += `${fixable} fixable by --fix, ${suggestible} with suggestions only (an editor applies those, --fix does not)\n`;
// What the pinned packages contain: the page's counts of rules by type come from here.
const requireLint = createRequire(path.join(project, "package.json"));
const { builtinRules } = requireLint("eslint/use-at-your-own-risk");
const byType = { problem: 0, suggestion: 0, layout: 0 };
let deprecated = 0;
let formatting = 0; // deprecated in 8.53.0, the formatting rules moved to @stylistic
let deprecatedLayout = 0;
let until11 = 0;
for (const rule of builtinRules.values()) {
    const info = rule.meta.deprecated; // true, or { deprecatedSince, availableUntil, ... }
    if (!info) {
        byType[rule.meta.type]++;
        continue;
    }
    deprecated++;
    if (rule.meta.type === "layout") deprecatedLayout++;
    if (info.deprecatedSince === "8.53.0") formatting++;
    if (info.availableUntil === "11.0.0") until11++;
}
const recommended = Object.keys(requireLint("@eslint/js").configs.recommended.rules).length;
const tsRules = Object.values(requireLint("typescript-eslint").plugin.rules);
const typed = tsRules.filter((rule) => rule.meta.docs?.requiresTypeChecking).length;
out += `\ncore rules: ${builtinRules.size} (${deprecated} deprecated); the others by type: ${byType.problem} problem, ${byType.suggestion} suggestion, ${byType.layout} layout\n`;
out += `deprecated: ${formatting} since 8.53.0, ${deprecatedLayout} of type layout, ${until11} available until 11.0.0\n`;
out += `@eslint/js recommended turns on ${recommended}; typescript-eslint has ${tsRules.length} rules, ${typed} of them need type information\n`;
out += `eslint ${ESLint.version}, typescript-eslint ${createRequire(path.join(project, "package.json"))("typescript-eslint/package.json").version}, TypeScript API ${createRequire(path.join(project, "package.json"))("typescript").version}\n`;

// The custom rule, tested the way ESLint's docs recommend: RuleTester runs each case through a
// real Linter and throws on any mismatch. Without a test framework we supply describe/it.
const { RuleTester } = requireLint("eslint");
const { default: noSqlConcat } = await import("./src/linters/rules/no-sql-concat.js");
const cases = [];
RuleTester.describe = (_name, body) => body();
RuleTester.it = (name, body) => {
    try {
        body();
        cases.push(`ok   ${name.replaceAll("\n", " ")}`);
    } catch (error) {
        cases.push(`FAIL ${name.replaceAll("\n", " ")}: ${error.message.split("\n")[0]}`);
    }
};
new RuleTester({ languageOptions: { ecmaVersion: 2022, sourceType: "module" } }).run("no-sql-concat", noSqlConcat, {
    valid: [
        'db.query("SELECT * FROM orders WHERE id = $1", [id]);',
        "db.query(`SELECT * FROM orders`);",
        // The limit the page admits: the string is built one statement earlier.
        'const sql = "SELECT * FROM orders WHERE id = " + id; db.query(sql);',
        // Only the configured method names are checked.
        'db.execute("DELETE FROM orders WHERE id = " + id);',
    ],
    invalid: [
        {
            code: 'db.query("SELECT * FROM orders WHERE id = " + id);',
            errors: [{ messageId: "concat", data: { how: "string concatenation" }, suggestions: [] }],
        },
        {
            code: "db.query(`SELECT * FROM orders WHERE customer = '${c}' AND total > ${min}`);",
            errors: [
                {
                    messageId: "concat",
                    suggestions: [
                        {
                            messageId: "parameterise",
                            data: { count: 2 },
                            output: 'db.query("SELECT * FROM orders WHERE customer = $1 AND total > $2", [c, min]);',
                        },
                    ],
                },
            ],
        },
        {
            code: 'db.execute("DELETE FROM orders WHERE id = " + id);',
            options: [{ methods: ["query", "execute"] }],
            errors: [{ messageId: "concat", suggestions: [] }],
        },
    ],
});
out += `\nRuleTester, local/no-sql-concat: ${cases.filter((c) => c.startsWith("ok")).length} of ${cases.length} cases pass\n`;
out += cases.join("\n") + "\n";
process.stdout.write(out);
