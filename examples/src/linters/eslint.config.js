// The linters chapter's ESLint configuration (flat config, the only format ESLint 10 reads):
// an array of objects, each applied to the files it matches, later objects overriding earlier
// ones. examples/lint-snippets.mjs runs it on snippets/ with ESLint's Node API.
// ANCHOR: config
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";
import noSqlConcat from "./rules/no-sql-concat.js";

export default defineConfig(
    { ignores: ["node_modules/", "rules/"] },
    {
        files: ["**/*.ts"],
        extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
        languageOptions: {
            parserOptions: {
                // Typed linting: each file is checked inside the TypeScript program of its
                // nearest tsconfig.json (snippets/tsconfig.json), as an editor would see it.
                projectService: true,
                tsconfigRootDir: import.meta.dirname,
            },
        },
        // A plugin is an object with rules; this one is the chapter's own rule, in this folder.
        plugins: { local: { rules: { "no-sql-concat": noSqlConcat } } },
        rules: {
            eqeqeq: "error",
            "local/no-sql-concat": "error",
            "no-await-in-loop": "warn",
            // Already an error in recommendedTypeChecked; its defaults accept `void p` (ignoreVoid)
            // and check only real Promises, not any thenable (checkThenables: false).
            "@typescript-eslint/no-floating-promises": "error",
        },
    },
);
// ANCHOR_END: config
