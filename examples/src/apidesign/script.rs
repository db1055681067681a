//! Request scripts: several HTTP requests in one text, in the shape of the `.http` files that
//! editors' REST clients run (VS Code's REST Client, JetBrains' HTTP Client). The page's console,
//! the contract test's probes and the Postman comparison all use it.
//!
//! ```text
//! ### 201 place an order        <- a request starts at `###`; a leading status is expected
//! POST /orders
//! Content-Type: application/json
//! Idempotency-Key: "k-1"
//!
//! {"item": "widget", "quantity": 2}
//! ```
//!
//! `{{orderId}}`, `{{paymentId}}` and `{{etag}}` stand for the last order id, payment id and
//! ETag the service answered with.

use super::json::Json;
use super::service::{Request, Response};
use crate::registry::InputError;

/// One request of a script, before its variables are filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Line of its `###` (or of its request line when the script has no `###` before it).
    pub line: usize,
    pub name: String,
    pub expect: Option<u16>,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

pub const VARIABLES: &[&str] = &["orderId", "paymentId", "etag"];
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/// Most requests one script may hold (the browser runs it on every keystroke's Run).
pub const MAX_STEPS: usize = 40;

/// A `###` block before parsing: its line, its name, its numbered lines.
type Block<'a> = (usize, String, Vec<(usize, &'a str)>);

pub fn parse(text: &str) -> Result<Vec<Step>, InputError> {
    let mut steps: Vec<Step> = Vec::new();
    // Blocks: (line of `###` or of the first line, name, lines).
    let mut blocks: Vec<Block> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if let Some(name) = line.strip_prefix("###") {
            blocks.push((number, name.trim().to_string(), Vec::new()));
        } else {
            if blocks.is_empty() {
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                blocks.push((number, String::new(), Vec::new()));
            }
            blocks.last_mut().expect("pushed above").2.push((number, line));
        }
    }
    for (line, name, lines) in blocks {
        let (expect, name) = match name.split_once(' ').map_or((name.as_str(), ""), |(a, b)| (a, b)) {
            (code, rest) if code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (100..600).contains(&c)) => {
                (code.parse().ok(), rest.trim().to_string())
            }
            _ => (None, name.clone()),
        };
        let mut rows =
            lines.into_iter().skip_while(|(_, l)| l.trim().is_empty() || l.trim_start().starts_with('#'));
        let Some((request_line, first)) = rows.next() else {
            if name.is_empty() && expect.is_none() {
                continue; // a bare `###` at the end
            }
            return Err(InputError::at_line(
                line,
                "expected a request line such as `GET /orders/{{orderId}}` after `###`",
            ));
        };
        let mut words = first.split_whitespace();
        let (Some(method), Some(target)) = (words.next(), words.next()) else {
            return Err(InputError::at_line(request_line, "expected `METHOD /path`, such as `POST /orders`"));
        };
        if !METHODS.contains(&method) {
            return Err(InputError::at_line(
                request_line,
                format!("unknown method `{method}` (one of {})", METHODS.join(", ")),
            ));
        }
        if !target.starts_with('/') {
            return Err(InputError::at_line(request_line, "the path must start with `/`"));
        }
        check_variables(target, request_line)?;
        let mut headers = Vec::new();
        let mut body_lines: Vec<&str> = Vec::new();
        let mut in_body = false;
        for (number, row) in rows {
            if in_body {
                body_lines.push(row);
            } else if row.trim().is_empty() {
                in_body = true;
            } else {
                let Some((name, value)) = row.split_once(':') else {
                    return Err(InputError::at_line(
                        number,
                        "expected a header `Name: value`, or an empty line before the body",
                    ));
                };
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(InputError::at_line(number, format!("`{name}` is not a header name")));
                }
                check_variables(value, number)?;
                headers.push((name.to_string(), value.trim().to_string()));
            }
        }
        while body_lines.last().is_some_and(|l| l.trim().is_empty()) {
            body_lines.pop();
        }
        let body = body_lines.join("\n");
        check_variables(&body, request_line)?;
        steps.push(Step { line, name, expect, method: method.into(), target: target.into(), headers, body });
        if steps.len() > MAX_STEPS {
            return Err(InputError::at_line(line, format!("at most {MAX_STEPS} requests per script")));
        }
    }
    if steps.is_empty() {
        return Err(InputError::new(
            "the script has no request: start one with a line such as `GET /orders/ord_1`",
        ));
    }
    Ok(steps)
}

fn check_variables(text: &str, line: usize) -> Result<(), InputError> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            return Err(InputError::at_line(line, "`{{` without `}}`"));
        };
        let name = &rest[start + 2..start + end];
        if !VARIABLES.contains(&name) {
            return Err(InputError::at_line(
                line,
                format!("unknown variable `{{{{{name}}}}}` (known: orderId, paymentId, etag)"),
            ));
        }
        rest = &rest[start + end + 2..];
    }
    Ok(())
}

/// What earlier responses told the script: the values of its variables.
#[derive(Debug, Clone, Default)]
pub struct Captures {
    values: Vec<(&'static str, String)>,
}

impl Captures {
    /// Learns from a response: an `id` of `ord_…` or `pay_…`, an `ETag`.
    pub fn learn(&mut self, response: &Response) {
        if let Ok(body) = super::json::parse(&response.body)
            && let Some(id) = body.get("id").and_then(Json::as_str)
        {
            if id.starts_with("ord_") {
                self.set("orderId", id);
            } else if id.starts_with("pay_") {
                self.set("paymentId", id);
            }
        }
        if let Some(tag) = response.header("etag") {
            self.set("etag", tag);
        }
    }

    fn set(&mut self, name: &'static str, value: &str) {
        self.values.retain(|(n, _)| *n != name);
        self.values.push((name, value.to_string()));
    }

    fn fill(&self, text: &str, line: usize) -> Result<String, InputError> {
        let mut out = text.to_string();
        for name in VARIABLES {
            let placeholder = format!("{{{{{name}}}}}");
            if out.contains(&placeholder) {
                let (_, value) = self.values.iter().find(|(n, _)| n == name).ok_or_else(|| {
                    InputError::at_line(
                        line,
                        format!("`{placeholder}` is used before a response gave it a value"),
                    )
                })?;
                out = out.replace(&placeholder, value);
            }
        }
        Ok(out)
    }

    /// The step as a request, its variables filled in.
    pub fn request(&self, step: &Step) -> Result<Request, InputError> {
        let path = self.fill(&step.target, step.line)?;
        let path = path.split('?').next().unwrap_or("").to_string();
        let headers = step
            .headers
            .iter()
            .map(|(n, v)| Ok((n.clone(), self.fill(v, step.line)?)))
            .collect::<Result<_, InputError>>()?;
        Ok(Request { method: step.method.clone(), path, headers, body: self.fill(&step.body, step.line)? })
    }
}

/// Runs every step through `exchange`, learning variables as it goes.
pub fn run(
    steps: &[Step],
    exchange: &mut dyn FnMut(&Request) -> Response,
) -> Result<Vec<(Request, Response)>, InputError> {
    let mut captures = Captures::default();
    let mut out = Vec::new();
    for step in steps {
        let request = captures.request(step)?;
        let response = exchange(&request);
        captures.learn(&response);
        out.push((request, response));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_blocks_and_names_bad_lines() {
        let steps = parse("### 201 make\nPOST /orders\nContent-Type: application/json\n\n{\"a\":1}\n\n###\nGET /orders/{{orderId}}\n").unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(
            (steps[0].expect, steps[0].name.as_str(), steps[0].body.as_str()),
            (Some(201), "make", "{\"a\":1}")
        );
        assert_eq!(parse("###\nFETCH /x\n").unwrap_err().line, Some(2));
        assert_eq!(parse("GET /x\nBad header\n").unwrap_err().line, Some(2));
        assert_eq!(parse("GET /x/{{nope}}\n").unwrap_err().line, Some(1));
    }
}
