// A linter in one file: a tokenizer and a recursive-descent parser for a small subset of
// JavaScript build a syntax tree whose nodes are named as in ESTree, and three rules walk it as ESLint's rules do.
// No types are known here: like an untyped ESLint rule, no-floating-promises-lite can only guess
// which calls return a promise (a function declared `async` in the same input, or a name ending
// in `Async`), which is exactly why typescript-eslint's real rule asks the type checker.

import { InputError } from "../ts_shared/input.js";

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind = "name" | "number" | "string" | "punct" | "eof";

interface Token {
    kind: TokenKind;
    text: string;
    line: number;
    column: number;
}

const PUNCTUATION = ["===", "!==", "==", "!=", "<=", ">=", "&&", "||", "=>", "(", ")", "{", "}", ",", ";", ".", "=", "<", ">", "+", "-", "*", "/", "%", "!", "[", "]", ":"];

function tokenize(source: string): Token[] {
    const tokens: Token[] = [];
    let at = 0;
    let line = 1;
    let lineStart = 0;
    const fail = (message: string): never => {
        throw new InputError(`${line}:${at - lineStart + 1}: ${message}`, line);
    };
    while (at < source.length) {
        const ch = source[at]!;
        if (ch === "\n") {
            at++;
            line++;
            lineStart = at;
            continue;
        }
        if (ch === " " || ch === "\t" || ch === "\r") {
            at++;
            continue;
        }
        if (source.startsWith("//", at)) {
            while (at < source.length && source[at] !== "\n") at++;
            continue;
        }
        if (source.startsWith("/*", at)) {
            const end = source.indexOf("*/", at + 2);
            if (end < 0) fail("unterminated /* comment");
            for (let i = at; i < end; i++) {
                if (source[i] === "\n") {
                    line++;
                    lineStart = i + 1;
                }
            }
            at = end + 2;
            continue;
        }
        const column = at - lineStart + 1;
        const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(at, at + 200));
        if (word) {
            tokens.push({ kind: "name", text: word[0], line, column });
            at += word[0].length;
            continue;
        }
        const number = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(at, at + 50));
        if (number) {
            tokens.push({ kind: "number", text: number[0], line, column });
            at += number[0].length;
            continue;
        }
        if (ch === '"' || ch === "'") {
            let end = at + 1;
            while (end < source.length && source[end] !== ch && source[end] !== "\n") {
                end += source[end] === "\\" ? 2 : 1;
            }
            if (source[end] !== ch) fail("unterminated string");
            tokens.push({ kind: "string", text: source.slice(at, end + 1), line, column });
            at = end + 1;
            continue;
        }
        const punct = PUNCTUATION.find((p) => source.startsWith(p, at));
        if (punct === undefined) fail(`unexpected character '${ch}'`);
        tokens.push({ kind: "punct", text: punct!, line, column });
        at += punct!.length;
    }
    tokens.push({ kind: "eof", text: "end of input", line, column: at - lineStart + 1 });
    return tokens;
}

// ---------------------------------------------------------------------------------------------
// The tree: ESTree's node names and fields (https://github.com/estree/estree), cut down.

interface Loc {
    line: number;
    column: number;
}

type Expression =
    | { type: "Identifier"; name: string; loc: Loc }
    | { type: "Literal"; raw: string; value: string | number | boolean | null; loc: Loc }
    | { type: "ArrayExpression"; elements: Expression[]; loc: Loc }
    | { type: "CallExpression"; callee: Expression; arguments: Expression[]; loc: Loc }
    | { type: "MemberExpression"; object: Expression; property: string; loc: Loc }
    | { type: "UnaryExpression"; operator: string; argument: Expression; loc: Loc }
    | { type: "AwaitExpression"; argument: Expression; loc: Loc }
    | { type: "BinaryExpression"; operator: string; left: Expression; right: Expression; loc: Loc }
    | { type: "LogicalExpression"; operator: string; left: Expression; right: Expression; loc: Loc }
    // `parenthesized` is ours: ESLint finds the extra parentheses of `if ((x = y))` in the tokens.
    | { type: "AssignmentExpression"; target: string; value: Expression; loc: Loc; parenthesized?: true };

type Statement =
    | { type: "FunctionDeclaration"; name: string; async: boolean; params: string[]; body: Statement[]; loc: Loc }
    | { type: "VariableDeclaration"; kind: string; name: string; init: Expression | null; loc: Loc }
    | { type: "IfStatement"; test: Expression; consequent: Statement; alternate: Statement | null; loc: Loc }
    | { type: "ReturnStatement"; argument: Expression | null; loc: Loc }
    | { type: "BlockStatement"; body: Statement[]; loc: Loc }
    | { type: "ExpressionStatement"; expression: Expression; loc: Loc };

type Node = Expression | Statement | { type: "Program"; body: Statement[]; loc: Loc };

// ---------------------------------------------------------------------------------------------
// The parser: one function per grammar rule, lowest precedence first.

class Parser {
    private at = 0;
    private depth = 0;
    /** How deep the reader's input may nest: deeper is an input error, not a stack overflow. */
    private static readonly MAX_DEPTH = 100;
    constructor(private readonly tokens: Token[]) {}

    private nested<T>(parse: () => T): T {
        if (++this.depth > Parser.MAX_DEPTH) this.fail(`nested more than ${Parser.MAX_DEPTH} levels deep`);
        try {
            return parse();
        } finally {
            this.depth--;
        }
    }

    private peek(offset = 0): Token {
        return this.tokens[Math.min(this.at + offset, this.tokens.length - 1)]!;
    }
    private next(): Token {
        const token = this.peek();
        if (token.kind !== "eof") this.at++;
        return token;
    }
    private is(text: string): boolean {
        const token = this.peek();
        return token.kind !== "string" && token.kind !== "eof" && token.text === text;
    }
    private eat(text: string): boolean {
        if (!this.is(text)) return false;
        this.next();
        return true;
    }
    private expect(text: string): Token {
        if (!this.is(text)) this.fail(`expected '${text}'`);
        return this.next();
    }
    private fail(message: string): never {
        const token = this.peek();
        const found = token.kind === "eof" ? "end of input" : `'${token.text}'`;
        throw new InputError(`${token.line}:${token.column}: ${message}, found ${found}`, token.line);
    }
    private name(): string {
        if (this.peek().kind !== "name") this.fail("expected a name");
        return this.next().text;
    }

    program(): Node {
        const body: Statement[] = [];
        while (this.peek().kind !== "eof") body.push(this.statement());
        return { type: "Program", body, loc: { line: 1, column: 1 } };
    }

    private statement(): Statement {
        return this.nested(() => this.statementAt());
    }

    private statementAt(): Statement {
        const start = this.peek();
        const loc = { line: start.line, column: start.column };
        if (this.is("async") && this.peek(1).text === "function") {
            this.next();
            return this.functionDeclaration(true, loc);
        }
        if (this.eat("function")) return this.functionDeclaration(false, loc);
        if (this.is("const") || this.is("let") || this.is("var")) {
            const kind = this.next().text;
            const name = this.name();
            const init = this.eat("=") ? this.expression() : null;
            this.eat(";");
            return { type: "VariableDeclaration", kind, name, init, loc };
        }
        if (this.eat("if")) {
            this.expect("(");
            const test = this.expression();
            this.expect(")");
            const consequent = this.statement();
            const alternate = this.eat("else") ? this.statement() : null;
            return { type: "IfStatement", test, consequent, alternate, loc };
        }
        if (this.eat("return")) {
            const argument = this.is(";") || this.is("}") ? null : this.expression();
            this.eat(";");
            return { type: "ReturnStatement", argument, loc };
        }
        if (this.is("{")) return { type: "BlockStatement", body: this.block(), loc };
        const expression = this.expression();
        this.eat(";");
        return { type: "ExpressionStatement", expression, loc };
    }

    private functionDeclaration(isAsync: boolean, loc: Loc): Statement {
        if (!isAsync && this.peek().text === "function") this.next();
        if (isAsync) this.expect("function");
        const name = this.name();
        this.expect("(");
        const params: string[] = [];
        while (!this.is(")")) {
            params.push(this.name());
            if (!this.eat(",")) break;
        }
        this.expect(")");
        return { type: "FunctionDeclaration", name, async: isAsync, params, body: this.block(), loc };
    }

    private block(): Statement[] {
        this.expect("{");
        const body: Statement[] = [];
        while (!this.is("}")) {
            if (this.peek().kind === "eof") this.fail("expected '}'");
            body.push(this.statement());
        }
        this.expect("}");
        return body;
    }

    // expression := assignment
    expression(): Expression {
        const start = this.peek();
        if (start.kind === "name" && this.peek(1).text === "=" && this.peek(1).kind === "punct") {
            this.next();
            this.next();
            return { type: "AssignmentExpression", target: start.text, value: this.expression(), loc: { line: start.line, column: start.column } };
        }
        return this.binary(0);
    }

    // Binary operators by precedence, loosest first; each level is left-associative.
    private static readonly LEVELS: readonly (readonly string[])[] = [["||"], ["&&"], ["==", "!=", "===", "!=="], ["<", ">", "<=", ">="], ["+", "-"], ["*", "/", "%"]];

    private binary(level: number): Expression {
        const operators = Parser.LEVELS[level];
        if (operators === undefined) return this.unary();
        let left = this.binary(level + 1);
        while (this.peek().kind === "punct" && operators.includes(this.peek().text)) {
            const operator = this.next().text;
            const right = this.binary(level + 1);
            const type = operator === "||" || operator === "&&" ? "LogicalExpression" : "BinaryExpression";
            left = { type, operator, left, right, loc: left.loc };
        }
        return left;
    }

    private unary(): Expression {
        return this.nested(() => this.unaryAt());
    }

    private unaryAt(): Expression {
        const start = this.peek();
        const loc = { line: start.line, column: start.column };
        if (this.eat("await")) return { type: "AwaitExpression", argument: this.unary(), loc };
        for (const operator of ["!", "-", "void", "typeof"]) {
            if (this.eat(operator)) return { type: "UnaryExpression", operator, argument: this.unary(), loc };
        }
        return this.callOrMember();
    }

    private callOrMember(): Expression {
        let expression = this.primary();
        for (;;) {
            const token = this.peek();
            const loc = { line: token.line, column: token.column };
            if (this.eat(".")) {
                expression = { type: "MemberExpression", object: expression, property: this.name(), loc: expression.loc };
            } else if (this.eat("(")) {
                const args: Expression[] = [];
                while (!this.is(")")) {
                    args.push(this.expression());
                    if (!this.eat(",")) break;
                }
                this.expect(")");
                expression = { type: "CallExpression", callee: expression, arguments: args, loc: expression.loc };
            } else {
                void loc;
                return expression;
            }
        }
    }

    private primary(): Expression {
        const token = this.peek();
        const loc = { line: token.line, column: token.column };
        if (token.kind === "number") {
            this.next();
            return { type: "Literal", raw: token.text, value: Number(token.text), loc };
        }
        if (token.kind === "string") {
            this.next();
            return { type: "Literal", raw: token.text, value: token.text.slice(1, -1), loc };
        }
        if (token.kind === "name") {
            const keywords: Record<string, boolean | null> = { true: true, false: false, null: null };
            if (token.text in keywords) {
                this.next();
                return { type: "Literal", raw: token.text, value: keywords[token.text] ?? null, loc };
            }
            if (["function", "async", "if", "else", "return", "const", "let", "var"].includes(token.text)) {
                this.fail("expected an expression");
            }
            this.next();
            return { type: "Identifier", name: token.text, loc };
        }
        if (this.eat("(")) {
            const inner = this.expression();
            this.expect(")");
            return inner.type === "AssignmentExpression" ? { ...inner, parenthesized: true } : inner;
        }
        if (this.eat("[")) {
            const elements: Expression[] = [];
            while (!this.is("]")) {
                elements.push(this.expression());
                if (!this.eat(",")) break;
            }
            this.expect("]");
            return { type: "ArrayExpression", elements, loc };
        }
        return this.fail("expected an expression");
    }
}

// ---------------------------------------------------------------------------------------------
// Walking the tree: every node with its path from the root, as ESLint hands nodes to rules.

/** A node's children with the field each sits in. */
function children(node: Node): [string, Node][] {
    switch (node.type) {
        case "Program":
        case "BlockStatement":
            return node.body.map((child) => ["body", child]);
        case "FunctionDeclaration":
            return node.body.map((child) => ["body", child]);
        case "VariableDeclaration":
            return node.init ? [["init", node.init]] : [];
        case "IfStatement":
            return [["test", node.test], ["consequent", node.consequent], ...(node.alternate ? [["alternate", node.alternate] as [string, Node]] : [])];
        case "ReturnStatement":
            return node.argument ? [["argument", node.argument]] : [];
        case "ExpressionStatement":
            return [["expression", node.expression]];
        case "CallExpression":
            return [["callee", node.callee], ...node.arguments.map((arg): [string, Node] => ["arguments", arg])];
        case "MemberExpression":
            return [["object", node.object]];
        case "UnaryExpression":
        case "AwaitExpression":
            return [["argument", node.argument]];
        case "BinaryExpression":
        case "LogicalExpression":
            return [["left", node.left], ["right", node.right]];
        case "AssignmentExpression":
            return [["value", node.value]];
        case "ArrayExpression":
            return node.elements.map((element) => ["elements", element]);
        case "Identifier":
        case "Literal":
            return [];
    }
}

/** How a node reads in a path: its type, and its name where it has one. */
function label(node: Node): string {
    if (node.type === "FunctionDeclaration") return `FunctionDeclaration(${node.name})`;
    if (node.type === "VariableDeclaration") return `VariableDeclaration(${node.name})`;
    return node.type;
}

function walk(node: Node, path: string[], visit: (node: Node, path: string[]) => void): number {
    const here = [...path, label(node)];
    visit(node, here);
    let count = 1;
    for (const [field, child] of children(node)) count += walk(child, [...here, `.${field}`], visit);
    return count;
}

// ---------------------------------------------------------------------------------------------
// The rules.

// ANCHOR: example
interface Finding {
    loc: Loc;
    rule: string;
    message: string;
    path: string[];
}

/** The name a call is made through: `saveOrder(x)` and `db.saveOrder(x)` both give saveOrder. */
function calleeName(callee: Expression): string | null {
    if (callee.type === "Identifier") return callee.name;
    if (callee.type === "MemberExpression") return callee.property;
    return null;
}

function lint(program: Node): { findings: Finding[]; nodes: number } {
    // Pass 1: which functions return a promise? Without types, only what the input declares.
    const asyncNames = new Set<string>();
    walk(program, [], (node) => {
        if (node.type === "FunctionDeclaration" && node.async) asyncNames.add(node.name);
    });
    const returnsPromise = (name: string) => asyncNames.has(name) || name.endsWith("Async");

    // Pass 2: every rule looks at every node, as ESLint calls each rule's visitor per node type.
    const findings: Finding[] = [];
    const nodes = walk(program, [], (node, path) => {
        // no-floating-promises-lite: a promise-returning call used as a whole statement is
        // neither awaited nor returned nor handed to `void`, so its rejection goes nowhere.
        if (node.type === "ExpressionStatement" && node.expression.type === "CallExpression") {
            const name = calleeName(node.expression.callee);
            if (name !== null && returnsPromise(name)) {
                findings.push({
                    loc: node.expression.loc,
                    rule: "no-floating-promises-lite",
                    message: `the promise from ${name}() is not awaited, returned or voided`,
                    path,
                });
            }
        }
        // eqeqeq: == and != convert their operands first ("0" == 0 is true).
        if (node.type === "BinaryExpression" && (node.operator === "==" || node.operator === "!=")) {
            findings.push({
                loc: node.loc,
                rule: "eqeqeq",
                message: `expected '${node.operator}=' and saw '${node.operator}'`,
                path,
            });
        }
        // no-cond-assign: `if (x = y)` assigns, where `if (x === y)` was almost always meant.
        // As in ESLint's default ("except-parens"), `if ((x = y))` says the assignment is meant.
        if (node.type === "IfStatement" && node.test.type === "AssignmentExpression" && !node.test.parenthesized) {
            findings.push({
                loc: node.test.loc,
                rule: "no-cond-assign",
                message: `assignment to ${node.test.target} used as the if condition`,
                path: [...path, ".test", "AssignmentExpression"],
            });
        }
    });
    findings.sort((a, b) => a.loc.line - b.loc.line || a.loc.column - b.loc.column);
    return { findings, nodes };
}
// ANCHOR_END: example

/** The tree as an indented outline: what the rules above are given instead of text. */
function outline(node: Node, field: string, depth: number, lines: string[]): void {
    let detail = "";
    if (node.type === "Identifier") detail = ` ${node.name}`;
    else if (node.type === "Literal") detail = ` ${node.raw}`;
    else if (node.type === "BinaryExpression" || node.type === "LogicalExpression" || node.type === "UnaryExpression") detail = ` ${node.operator}`;
    else if (node.type === "MemberExpression") detail = ` .${node.property}`;
    else if (node.type === "AssignmentExpression") detail = ` ${node.target} =`;
    else if (node.type === "FunctionDeclaration") detail = ` ${node.async ? "async " : ""}${node.name}(${node.params.join(", ")})`;
    else if (node.type === "VariableDeclaration") detail = ` ${node.kind} ${node.name}`;
    const where = `${node.loc.line}:${node.loc.column}`.padEnd(6);
    lines.push(`${where}${"  ".repeat(depth)}${field}${node.type}${detail}`);
    for (const [childField, child] of children(node)) outline(child, `${childField}: `, depth + 1, lines);
}

export function run(input: string): string {
    const program = new Parser(tokenize(input)).program();
    const { findings, nodes } = lint(program);
    const lines: string[] = [];
    if (/^\s*\/\/\s*lint:\s*ast\b/m.test(input)) {
        lines.push("syntax tree (line:col, field: NodeType):");
        outline(program, "", 0, lines);
        lines.push("");
    }
    for (const finding of findings) {
        lines.push(`${finding.loc.line}:${finding.loc.column}  ${finding.rule}  ${finding.message}`);
        lines.push(`      at ${finding.path.join(" > ").replaceAll(" > .", ".")}`);
    }
    lines.push(`${findings.length} finding${findings.length === 1 ? "" : "s"}, ${nodes} nodes visited`);
    return lines.join("\n") + "\n";
}
