//! Malformed requests and what the parser says about each: the status a server would answer
//! with, and the line and column of the first byte that is wrong.

use super::http_parser::{Parsed, crlf, parse_request};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "networking::http_errors",
    title: "Malformed HTTP/1.1 requests and their exact errors",
    file: file!(),
    default_input: "GET  /index.html HTTP/1.1\nHost: example.com\n\n\
---\nGET /index.html HTTP/1.1\nAccept: text/html\n\n\
---\nGET / http/1.1\nHost: example.com\n\n\
---\nGET / HTTP/1.1\nHost : example.com\n\n\
---\nGET / HTTP/1.1\nHost: example.com\nX-Note: first part\n  and a folded second part\n\n\
---\nPOST /pay HTTP/1.1\nHost: example.com\nContent-Length: 6\nContent-Length: 60\n\namount\n\
---\nPOST /pay HTTP/1.1\nHost: example.com\nContent-Length: 6\nTransfer-Encoding: chunked\n\n0\n\n\
---\nPOST /up HTTP/1.1\nHost: example.com\nTransfer-Encoding: chunked\n\n3\nhello\n0\n\n\
---\nGET / HTTP/2.0\nHost: example.com\n\n",
    input_help: "raw requests separated by lines `---`; each line break stands for CRLF",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

// ANCHOR: example
/// Parses each case on its own and reports the verdict, with positions in the whole input.
fn verdicts(cases: &[(usize, String)]) -> String {
    let mut out = String::new();
    for (number, (first_line, text)) in cases.iter().enumerate() {
        let headline = text.lines().next().unwrap_or("");
        out.push_str(&format!("case {} (line {first_line}): {headline}\n", number + 1));
        match parse_request(&crlf(text)) {
            Ok(Parsed::Complete { request, .. }) => {
                out.push_str(&format!("  accepted: {} {}\n", request.method, request.target));
            }
            Ok(Parsed::Incomplete { missing }) => out.push_str(&format!("  incomplete: {missing}\n")),
            Err(e) => {
                let line = first_line + e.line - 1;
                out.push_str(&format!("  {} at line {line}, column {}\n", e.status_text(), e.column));
                out.push_str(&format!("  {}\n", e.message));
            }
        }
    }
    out
}
// ANCHOR_END: example

/// Splits the input at lines that are exactly `---`; each case keeps its first line number.
fn cases(input: &str) -> Result<Vec<(usize, String)>, InputError> {
    let mut cases = Vec::new();
    let mut current = String::new();
    let mut first = 1;
    for (index, line) in input.lines().enumerate() {
        if line.trim_end() == "---" {
            cases.push((first, std::mem::take(&mut current)));
            first = index + 2;
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    cases.push((first, current));
    cases.retain(|(_, text)| !text.trim().is_empty());
    if cases.is_empty() {
        return Err(InputError::new("no requests: write raw requests separated by lines `---`"));
    }
    if cases.len() > 30 {
        return Err(InputError::at_line(cases[30].0, "at most 30 cases"));
    }
    Ok(cases)
}

fn run(input: &str) -> Result<String, InputError> {
    Ok(verdicts(&cases(input)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_case_is_rejected_with_its_position() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert_eq!(out.matches("case ").count(), 9, "{out}");
        assert!(!out.contains("accepted"), "{out}");
        assert!(out.contains("400 Bad Request at line 1, column 5"), "{out}");
        assert!(out.contains("505 HTTP Version Not Supported"), "{out}");
    }

    #[test]
    fn a_good_request_is_accepted_and_an_unfinished_one_is_incomplete() {
        let out = run("GET / HTTP/1.1\nHost: a\n\n---\nGET / HTTP/1.1\nHost: a\n").unwrap();
        assert!(out.contains("case 1 (line 1): GET / HTTP/1.1\n  accepted: GET /"), "{out}");
        assert!(out.contains("case 2 (line 5)"), "{out}");
        assert!(out.contains("incomplete: the header section is not finished"), "{out}");
        assert!(run("---\n---\n").is_err());
    }
}
