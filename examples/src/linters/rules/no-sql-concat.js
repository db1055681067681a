// A custom ESLint rule, the chapter's example of writing one: SQL built by concatenation or a
// template literal with placeholders, passed to a `.query()` call, is an injection waiting to
// happen; the values belong in the parameter array. eslint.config.js registers it as
// `local/no-sql-concat`.
// ANCHOR: rule
/** @type {import("eslint").Rule.RuleModule} */
export default {
    meta: {
        type: "problem",
        docs: { description: "disallow SQL text built from values in .query() calls" },
        messages: {
            concat: "SQL built with {{how}}: pass the values as parameters ($1, $2, ...) instead.",
        },
        schema: [],
    },
    create(context) {
        /** Whether a node builds text out of values: `"..." + x` or `` `...${x}` ``. */
        function describe(node) {
            if (node.type === "TemplateLiteral" && node.expressions.length > 0) return "a template literal";
            if (node.type === "BinaryExpression" && node.operator === "+") return "string concatenation";
            return null;
        }
        return {
            // An ESLint selector: called for each call whose callee is `<something>.query`.
            "CallExpression[callee.type='MemberExpression'][callee.property.name='query']"(node) {
                const sql = node.arguments[0];
                const how = sql && describe(sql);
                if (how) context.report({ node: sql, messageId: "concat", data: { how } });
            },
        };
    },
};
// ANCHOR_END: rule
