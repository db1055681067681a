//! The YAML the chapter's OpenAPI document is written in, read into [`Json`]: a deliberate
//! subset of YAML 1.2 (block mappings and sequences by indentation, plain, single- and
//! double-quoted scalars, `[a, b]` flow lists, `#` comments). Anything outside it (block
//! scalars `|` and `>`, anchors `&` and aliases `*`, tags `!`, flow mappings, tabs) is an error
//! that names the line. So is a plain scalar or key whose type YAML readers disagree on or that
//! a reader would type where this one would not: `Null`, `True`, `yes`, `+1`, `.5`, `012`, `0x1F`,
//! `.inf`, and a plain `201:` key (an integer, where OpenAPI wants the string `'201'`); quoting
//! makes each a string. Only `null`, `~`, `true`, `false` and JSON numbers are typed. OpenAPI documents are JSON-compatible by
//! definition (OAS 3.1, section "Format": YAML 1.2 limited to what JSON can say), which is what makes a
//! subset like this enough; the unit tests check the whole document against PyYAML's reading
//! when Python has it.

use super::json::Json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A meaningful line: its number, indentation and text without the indentation.
#[derive(Debug, Clone)]
struct Line {
    number: usize,
    indent: usize,
    text: String,
}

pub fn parse(text: &str) -> Result<Json, YamlError> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let body = raw.trim_start_matches(' ');
        if body.starts_with('\t') {
            return Err(YamlError { line: number, message: "tabs cannot indent YAML".into() });
        }
        let body = strip_comment(body).trim_end();
        if body.is_empty() || body == "---" {
            continue;
        }
        lines.push(Line {
            number,
            indent: raw.len() - raw.trim_start_matches(' ').len(),
            text: body.to_string(),
        });
    }
    if lines.is_empty() {
        return Ok(Json::Null);
    }
    let mut reader = Reader { lines, at: 0 };
    let indent = reader.lines[0].indent;
    let value = reader.block(indent)?;
    if let Some(line) = reader.lines.get(reader.at) {
        return Err(YamlError {
            line: line.number,
            message: "indented less than the lines before it expect".into(),
        });
    }
    Ok(value)
}

/// The text before a `#` comment (one at the start, or after a space, outside quotes).
fn strip_comment(text: &str) -> &str {
    let (mut single, mut double, mut previous) = (false, false, ' ');
    for (i, c) in text.char_indices() {
        match c {
            // A quote opens a quoted scalar only where one can start (an apostrophe inside
            // plain text, as in `the chapter's`, is just a character).
            '\'' if !double && (single || opens(&text[..i])) => single = !single,
            '"' if !single && (double || opens(&text[..i])) && previous != '\\' => double = !double,
            '#' if !single && !double && previous == ' ' => return &text[..i],
            _ => {}
        }
        previous = c;
    }
    text
}

/// Can a quoted scalar start after `before`? Only where a value starts: at the start of the
/// line, after `key: `, `- `, `[` or `,` (so `x 'y # c` is plain text and its comment goes).
fn opens(before: &str) -> bool {
    let trimmed = before.trim_end();
    trimmed.is_empty()
        || trimmed.ends_with(['[', ','])
        || (before.len() > trimmed.len()
            && (trimmed.ends_with(':') || trimmed == "-" || trimmed.ends_with(" -")))
}

/// A plain scalar that some YAML reader types as null, a boolean or a number, where this reader
/// would not read the same value (YAML 1.2 core schema, plus the YAML 1.1 booleans PyYAML knows).
fn ambiguous(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "Null", "NULL", "True", "TRUE", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO", "on", "On",
        "ON", "off", "Off", "OFF",
    ];
    if WORDS.contains(&text) {
        return true;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    if [".inf", ".nan"].contains(&lower.as_str()) || lower.starts_with("0x") || lower.starts_with("0o") {
        return true;
    }
    // The core schema's int and float, `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`:
    // refused when JSON reads it otherwise (`+1`, `.5`, `1.`, `012`).
    let bytes = unsigned.as_bytes();
    let mut at = 0;
    let digits = |at: &mut usize| {
        let from = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at - from
    };
    let mut mantissa = digits(&mut at);
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        mantissa += digits(&mut at);
    }
    if mantissa > 0 && matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if digits(&mut at) == 0 {
            return false;
        }
    }
    mantissa > 0 && at == bytes.len() && super::json::parse(text).is_err()
}

struct Reader {
    lines: Vec<Line>,
    at: usize,
}

impl Reader {
    fn error(&self, line: usize, message: impl Into<String>) -> YamlError {
        YamlError { line, message: message.into() }
    }

    /// The block (mapping or sequence) whose lines start at `indent`.
    fn block(&mut self, indent: usize) -> Result<Json, YamlError> {
        let first = &self.lines[self.at];
        if first.text == "-" || first.text.starts_with("- ") {
            self.sequence(indent)
        } else {
            self.mapping(indent)
        }
    }

    fn sequence(&mut self, indent: usize) -> Result<Json, YamlError> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.at) {
            if line.indent < indent {
                break;
            }
            let number = line.number;
            if line.indent > indent {
                return Err(self.error(number, "indented more than the list it belongs to"));
            }
            if !(line.text == "-" || line.text.starts_with("- ")) {
                break; // a mapping key at the same indentation ends a list written under it
            }
            let rest = line.text[1..].trim_start().to_string();
            if rest.is_empty() {
                self.at += 1;
                items.push(self.nested(indent, number)?);
            } else if split_key(&rest).is_some() {
                // `- key: value` starts a mapping whose keys line up after the dash.
                let inner = indent + (line.text.len() - rest.len());
                self.lines[self.at] = Line { number, indent: inner, text: rest };
                items.push(self.mapping(inner)?);
            } else {
                self.at += 1;
                items.push(scalar(&rest, number)?);
            }
        }
        Ok(Json::Array(items))
    }

    fn mapping(&mut self, indent: usize) -> Result<Json, YamlError> {
        let mut members: Vec<(String, Json)> = Vec::new();
        while let Some(line) = self.lines.get(self.at) {
            if line.indent < indent {
                break;
            }
            let number = line.number;
            if line.indent > indent {
                return Err(self.error(number, "indented more than the mapping it belongs to"));
            }
            let Some((key, rest)) = split_key(&line.text) else {
                return Err(self.error(number, "expected `key: value`"));
            };
            let key = key_text(key, number)?;
            if members.iter().any(|(k, _)| *k == key) {
                return Err(self.error(number, format!("key `{key}` appears twice")));
            }
            let rest = rest.to_string();
            self.at += 1;
            let value = if rest.is_empty() {
                // A list may be written at the key's own indentation.
                match self.lines.get(self.at) {
                    Some(next)
                        if next.indent == indent && (next.text == "-" || next.text.starts_with("- ")) =>
                    {
                        self.sequence(indent)?
                    }
                    _ => self.nested(indent, number)?,
                }
            } else {
                scalar(&rest, number)?
            };
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }

    /// The block under a line with an empty value: more indented than `parent`, or null.
    fn nested(&mut self, parent: usize, _line: usize) -> Result<Json, YamlError> {
        match self.lines.get(self.at) {
            Some(next) if next.indent > parent => {
                let indent = next.indent;
                self.block(indent)
            }
            _ => Ok(Json::Null),
        }
    }
}

/// Splits `key: value` (or `key:`) at the first `: ` outside quotes.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let key_end = if let Some(quote @ ('\'' | '"')) = text.chars().next() {
        let close = text[1..].find(quote)? + 1;
        close + 1
    } else {
        0
    };
    let tail = &text[key_end..];
    let colon = if let Some(i) = tail.find(": ") {
        i
    } else if tail.ends_with(':') {
        tail.len() - 1
    } else {
        return None;
    };
    let key = &text[..key_end + colon];
    if key.is_empty() || key.starts_with("- ") || key.starts_with('[') || key.starts_with('{') {
        return None;
    }
    Some((key.trim_end(), text[key_end + colon + 1..].trim()))
}

fn key_text(key: &str, line: usize) -> Result<String, YamlError> {
    match scalar(key, line)? {
        Json::String(s) => Ok(s),
        // `201:` is an integer key in YAML; OpenAPI's keys are strings, so say so.
        _ if !key.starts_with(['\'', '"']) => {
            Err(YamlError { line, message: format!("key {key} is not a string in YAML; quote it: '{key}'") })
        }
        _ => Err(YamlError { line, message: format!("key {key} is not a string") }),
    }
}

fn scalar(text: &str, line: usize) -> Result<Json, YamlError> {
    let error = |message: &str| YamlError { line, message: message.to_string() };
    match text.chars().next() {
        Some('\'') => {
            let inner =
                text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')).filter(|_| text.len() >= 2);
            let inner = inner.ok_or_else(|| error("a single-quoted string must end on its line with `'`"))?;
            Ok(Json::String(inner.replace("''", "'")))
        }
        Some('"') => {
            if text.len() < 2 || !text.ends_with('"') {
                return Err(error("a double-quoted string must end on its line with `\"`"));
            }
            // YAML's double-quoted escapes that JSON shares; JSON's parser reads them.
            super::json::parse(text)
                .map_err(|e| error(&format!("in the double-quoted string: {}", e.message)))
        }
        Some('[') => {
            let inner = text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .ok_or_else(|| error("a flow list must close with `]` on its line"))?;
            if inner.trim().is_empty() {
                return Ok(Json::Array(Vec::new()));
            }
            inner.split(',').map(|item| scalar(item.trim(), line)).collect::<Result<_, _>>().map(Json::Array)
        }
        Some('{') if text == "{}" => Ok(Json::Object(Vec::new())),
        Some('{') => Err(error("flow mappings `{…}` are outside the subset this reader takes")),
        Some('|' | '>') => Err(error("block scalars (`|`, `>`) are outside the subset this reader takes")),
        Some('&' | '*' | '!') => {
            Err(error("anchors, aliases and tags are outside the subset this reader takes"))
        }
        _ if ambiguous(text) => Err(error(&format!(
            "plain `{text}` is read differently by YAML readers (null, a boolean or a number); quote it"
        ))),
        // `a: b: c` is not YAML (a mapping cannot be a plain value on its key's line).
        _ if text.contains(": ") || text.ends_with(':') => {
            Err(error("a plain value cannot contain `: `; quote it or put the mapping on its own lines"))
        }
        _ => Ok(match text {
            "null" | "~" => Json::Null,
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => match super::json::parse(text) {
                Ok(number @ Json::Number(_)) => number,
                _ => Json::String(text.to_string()),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_mappings_lists_and_scalars() {
        let text = "g: it's # a comment\na: 1\nb:\n  - x\n  - k: 'it''s'\n    n: [1, two]\nc:\n- true\nd: http://h:1 # note\ne: \"q\\n\"\nf:\n";
        let value = parse(text).unwrap();
        assert_eq!(
            value.compact(),
            r#"{"g":"it's","a":1,"b":["x",{"k":"it's","n":[1,"two"]}],"c":[true],"d":"http://h:1","e":"q\n","f":null}"#
        );
    }

    #[test]
    fn refuses_what_is_outside_the_subset_and_names_the_line() {
        assert_eq!(parse("a: 1\nb: |\n  text\n").unwrap_err().line, 2);
        assert_eq!(parse("a: 1\na: 2\n").unwrap_err().line, 2);
        assert_eq!(parse("a:\n  b: 1\n    c: 2\n").unwrap_err().line, 3);
        assert!(parse("a: &x 1\n").is_err());
        // What YAML readers would type, or read otherwise, is refused unless quoted.
        for (text, line) in [
            ("a: 1\nb: Null\n", 2),
            ("b: True\n", 1),
            ("b: yes\n", 1),
            ("b: [+1]\n", 1),
            ("b: .5\n", 1),
            ("b: 012\n", 1),
            ("b: 0x1F\n", 1),
            ("responses:\n  201:\n    description: x\n", 2),
            ("a: b: c\n", 1),
        ] {
            assert_eq!(parse(text).map_err(|e| e.line), Err(line), "{text:?}");
        }
        let quoted = parse("b: 'yes'\nc: '012'\n'201': x\nd: 1.5e3\ne: -2\n").unwrap();
        assert_eq!(quoted.compact(), r#"{"b":"yes","c":"012","201":"x","d":1500,"e":-2}"#);
        // An apostrophe in mid-value opens nothing, so the comment after it is still a comment.
        assert_eq!(parse("a: x 'y # note\n").unwrap().compact(), r#"{"a":"x 'y"}"#);
    }

    /// The whole document, read by PyYAML (when Python and PyYAML are installed), must be the
    /// value this reader makes of it.
    #[test]
    fn agrees_with_pyyaml_on_the_document() {
        let script = "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))";
        let child = std::process::Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn();
        let Ok(mut child) = child else {
            test_support::skip_or_fail(
                "apidesign yaml vs PyYAML",
                "python3 is not installed",
                "install python3 and PyYAML",
            );
            return;
        };
        use std::io::Write as _;
        child.stdin.take().unwrap().write_all(super::super::DOCUMENT.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            let why = format!("PyYAML is missing: {}", String::from_utf8_lossy(&out.stderr));
            test_support::skip_or_fail(
                "apidesign yaml vs PyYAML",
                &why,
                "install PyYAML (Debian: python3-yaml)",
            );
            return;
        }
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let ours = parse(super::super::DOCUMENT).unwrap();
        assert_eq!(super::super::json::tests::to_serde(&ours), theirs);
    }
}
