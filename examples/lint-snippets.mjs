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
for (const rule of builtinRules.values()) {
    if (rule.meta.deprecated) deprecated++;
    else byType[rule.meta.type]++;
}
const recommended = Object.keys(requireLint("@eslint/js").configs.recommended.rules).length;
const tsRules = Object.values(requireLint("typescript-eslint").plugin.rules);
const typed = tsRules.filter((rule) => rule.meta.docs?.requiresTypeChecking).length;
out += `\ncore rules: ${builtinRules.size} (${deprecated} deprecated); the others by type: ${byType.problem} problem, ${byType.suggestion} suggestion, ${byType.layout} layout\n`;
out += `@eslint/js recommended turns on ${recommended}; typescript-eslint has ${tsRules.length} rules, ${typed} of them need type information\n`;
out += `eslint ${ESLint.version}, typescript-eslint ${createRequire(path.join(project, "package.json"))("typescript-eslint/package.json").version}, TypeScript API ${createRequire(path.join(project, "package.json"))("typescript").version}\n`;
process.stdout.write(out);
