// A custom ESLint rule, the chapter's example of writing one: SQL built by concatenation or a
// template literal with placeholders, passed to a `.query()` call, is an injection waiting to
// happen; the values belong in the parameter array. eslint.config.js registers it as
// `local/no-sql-concat`; examples/lint-snippets.mjs tests it with ESLint's RuleTester.
// ANCHOR: rule
/** @type {import("eslint").Rule.RuleModule} */
export default {
    meta: {
        type: "problem",
        docs: { description: "disallow SQL text built from values in .query() calls" },
        messages: {
            concat: "SQL built with {{how}}: pass the values as parameters ($1, $2, ...) instead.",
            parameterise: "Move the {{count}} value(s) into a parameter array.",
        },
        hasSuggestions: true,
        // ESLint 9+ rejects options a rule has no schema for; defaultOptions fills them in.
        schema: [
            {
                type: "object",
                properties: { methods: { type: "array", items: { type: "string" } } },
                additionalProperties: false,
            },
        ],
        defaultOptions: [{ methods: ["query"] }],
    },
    create(context) {
        const [{ methods }] = context.options; // merged with meta.defaultOptions
        const source = context.sourceCode;
        /** Whether a node builds text out of values: `"..." + x` or `` `...${x}` ``. */
        function describe(node) {
            if (node.type === "TemplateLiteral" && node.expressions.length > 0) return "a template literal";
            if (node.type === "BinaryExpression" && node.operator === "+") return "string concatenation";
            return null;
        }
        /** `` `… = '${a}' AND … ${b}` `` → `"… = $1 AND … $2"`, and the text of `[a, b]`. */
        function parameterised(template) {
            let sql = "";
            let quoted = false; // the previous value sat between quotes: '${x}'
            template.quasis.forEach((quasi, i) => {
                let text = quasi.value.cooked;
                if (quoted) text = text.slice(1);
                const next = template.quasis[i + 1];
                quoted = next !== undefined && text.endsWith("'") && next.value.cooked.startsWith("'");
                sql += (quoted ? text.slice(0, -1) : text) + (next ? `$${i + 1}` : "");
            });
            const values = template.expressions.map((e) => source.getText(e)).join(", ");
            return { sql: JSON.stringify(sql), values: `[${values}]` };
        }
        return {
            // An ESLint selector: called for each call whose callee is `<something>.<name>`.
            "CallExpression[callee.type='MemberExpression'][callee.property.type='Identifier']"(node) {
                if (!methods.includes(node.callee.property.name)) return;
                const [sql, params] = node.arguments;
                const how = sql && describe(sql);
                if (!how) return;
                // A suggestion, not a fix: the rewrite changes what reaches the database.
                const suggest =
                    sql.type === "TemplateLiteral" && !params
                        ? [
                              {
                                  messageId: "parameterise",
                                  data: { count: sql.expressions.length },
                                  fix(fixer) {
                                      const { sql: text, values } = parameterised(sql);
                                      return [fixer.replaceText(sql, text), fixer.insertTextAfter(sql, `, ${values}`)];
                                  },
                              },
                          ]
                        : [];
                context.report({ node: sql, messageId: "concat", data: { how }, suggest });
            },
        };
    },
};
// ANCHOR_END: rule
