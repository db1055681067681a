//! An HTTP/1.1 request parser after RFC 9112 ("HTTP/1.1") and RFC 9110 ("HTTP Semantics"),
//! strict where leniency lets two parsers disagree about where a request ends.
//!
//! The same function parses what the reader types in the playground and what the server in
//! `http_server` reads from its sockets: [`parse_request`] takes the bytes received so far and
//! says "complete, this many bytes", "incomplete, read more", or exactly what is wrong and where.

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "networking::http_parser",
    title: "An HTTP/1.1 request parser (RFC 9112) with exact error positions",
    file: file!(),
    default_input: "GET /search?q=tcp+handshake HTTP/1.1\n\
Host: example.com\n\
User-Agent: curl/8.5.0\n\
Accept: */*\n\
\n\
POST /api/items HTTP/1.1\n\
Host: example.com\n\
Content-Type: application/json\n\
Content-Length: 17\n\
\n\
{\"name\":\"widget\"}\n\
POST /upload HTTP/1.1\n\
Host: example.com\n\
Transfer-Encoding: chunked\n\
Connection: close\n\
\n\
5\n\
hello\n\
7\n\
, world\n\
0\n\
\n",
    input_help: "one or more raw HTTP/1.1 requests, one after another as on a connection; each line \
                 break stands for CRLF (so it counts 2 bytes in a body), an empty line ends the fields",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// Longest request line we read. RFC 9112 §3 recommends supporting at least 8000 octets.
pub const MAX_REQUEST_LINE: usize = 8_000;
/// Longest header section (request line, field lines and the empty line).
pub const MAX_HEADER_SECTION: usize = 16_384;
/// Most field lines in one header or trailer section.
pub const MAX_FIELDS: usize = 100;
/// Largest body we accept, in bytes.
pub const MAX_BODY: usize = 1 << 20;

/// A parsed request. Field names keep the case they were sent in; compare them with
/// [`Request::field`], which ignores case as RFC 9110 §5.1 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub form: TargetForm,
    /// `(1, 1)` for HTTP/1.1, `(1, 0)` for HTTP/1.0.
    pub version: (u8, u8),
    pub fields: Vec<Field>,
    pub body: Vec<u8>,
    pub framing: Framing,
    /// Whether the connection may carry another request after this one (RFC 9112 §9.3).
    pub keep_alive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// The four shapes of request-target (RFC 9112 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetForm {
    /// `/path?query`, the usual one.
    Origin,
    /// `http://host/path`, sent to proxies.
    Absolute,
    /// `host:port`, only with CONNECT.
    Authority,
    /// `*`, only with OPTIONS.
    Asterisk,
}

/// How the body's end was found (RFC 9112 §6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// Neither `Content-Length` nor `Transfer-Encoding`: a request without a body.
    None,
    ContentLength(usize),
    Chunked {
        chunks: usize,
        trailers: Vec<Field>,
    },
}

/// What is wrong, where (1-based line and byte column, counted from the first byte given to
/// [`parse_request`]), and the status a server answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub line: usize,
    pub column: usize,
    pub status: u16,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A whole request, and how many bytes of the buffer it used (the next request, if any,
    /// starts there: that is pipelining on a persistent connection).
    Complete { request: Request, consumed: usize },
    /// Not wrong so far, but not finished: read more bytes. `missing` says what is awaited.
    Incomplete { missing: String },
}

impl Request {
    /// The value of the first field called `name`, ignoring case.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value.as_str())
    }
}

impl ParseError {
    /// The status line a server sends for this error, such as `400 Bad Request`.
    pub fn status_text(&self) -> &'static str {
        match self.status {
            400 => "400 Bad Request",
            413 => "413 Content Too Large",
            414 => "414 URI Too Long",
            431 => "431 Request Header Fields Too Large",
            501 => "501 Not Implemented",
            505 => "505 HTTP Version Not Supported",
            _ => "400 Bad Request",
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}: {} ({})", self.line, self.column, self.message, self.status_text())
    }
}

// ANCHOR: example
/// `tchar` of RFC 9110 §5.6.2: the characters of a token (methods, field names, codings).
/// Checks what follows a chunk size: `*( BWS ";" BWS name [ BWS "=" BWS value ] )`, where a
/// name is a token and a value a token or a quoted string (RFC 9112 §7.1.1). On error, the
/// offset of the first byte that does not fit (the line's length when it ends too soon).
fn chunk_extensions(rest: &[u8]) -> Result<(), usize> {
    let mut at = 0;
    let skip_bws = |at: &mut usize| {
        while rest.get(*at).is_some_and(|&b| b == b' ' || b == b'\t') {
            *at += 1;
        }
    };
    let token = |at: &mut usize| {
        let start = *at;
        while rest.get(*at).is_some_and(|&b| is_tchar(b)) {
            *at += 1;
        }
        if *at == start { Err(*at) } else { Ok(()) }
    };
    loop {
        let before_bws = at;
        skip_bws(&mut at);
        match rest.get(at) {
            // BWS is allowed only before a `;`, so the line may not end in whitespace.
            None if at > before_bws => return Err(before_bws),
            None => return Ok(()),
            Some(b';') => at += 1,
            Some(_) => return Err(at),
        }
        skip_bws(&mut at);
        token(&mut at)?;
        let before_bws = at;
        skip_bws(&mut at);
        if rest.get(at) != Some(&b'=') {
            at = before_bws;
            continue;
        }
        at += 1;
        skip_bws(&mut at);
        if rest.get(at) == Some(&b'"') {
            at += 1;
            loop {
                match rest.get(at) {
                    None => return Err(at),
                    Some(b'"') => break,
                    Some(b'\\') if rest.get(at + 1).is_some() => at += 2,
                    Some(&b) if b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80 => at += 1,
                    Some(_) => return Err(at),
                }
            }
            at += 1;
        } else {
            token(&mut at)?;
        }
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses one request from the start of `buf`, the bytes received so far on a connection.
pub fn parse_request(buf: &[u8]) -> Result<Parsed, ParseError> {
    let p = Parser { buf };
    // RFC 9112 §2.2: a server SHOULD ignore empty lines received before the request-line.
    let mut head_start = 0;
    while buf[head_start..].starts_with(b"\r\n") {
        head_start += 2;
    }
    let Some((line_end, mut pos)) = p.line(head_start, MAX_REQUEST_LINE, 414)? else {
        return Ok(p.incomplete("the request line is not finished (no CRLF yet)"));
    };
    let (method, target, form, version) = p.request_line(head_start, line_end)?;

    let mut fields = Vec::new();
    loop {
        if pos - head_start > MAX_HEADER_SECTION {
            return Err(p.error(pos, 431, format!("the header section exceeds {MAX_HEADER_SECTION} bytes")));
        }
        let Some((end, next)) = p.line(pos, MAX_HEADER_SECTION, 431)? else {
            return Ok(p.incomplete("the header section is not finished: an empty line must end it"));
        };
        if end == pos {
            pos = next; // the empty line: end of the header section
            break;
        }
        if matches!(buf[pos], b' ' | b'\t') {
            return Err(p.error(
                pos,
                400,
                if fields.is_empty() {
                    "whitespace before the first field line; RFC 9112 §2.2 says to reject it".to_string()
                } else {
                    "a line starting with whitespace continues the previous field (obs-fold), which RFC 9112 \
                 §5.2 obsoletes; rejected"
                        .to_string()
                },
            ));
        }
        if fields.len() == MAX_FIELDS {
            return Err(p.error(pos, 431, format!("more than {MAX_FIELDS} field lines")));
        }
        fields.push(p.field_line(pos, end)?);
        pos = next;
    }

    let host_lines: Vec<usize> = field_lines(buf, head_start, pos, "host");
    match (host_lines.as_slice(), version) {
        ([], (1, 1)) => {
            return Err(p.error(pos - 2, 400, "an HTTP/1.1 request must have a Host field (RFC 9112 §3.2)"));
        }
        ([_, second, ..], _) => {
            return Err(p.error(*second, 400, "a second Host field; RFC 9112 §3.2 requires exactly one"));
        }
        _ => {}
    }
    if let Some(&at) = host_lines.first() {
        p.check_host(at)?;
    }

    let framing_kind = p.framing(&fields, head_start, pos, version)?;
    let keep_alive = keeps_alive(&fields, version);
    let (body, framing, consumed) = match framing_kind {
        BodyKind::None => (Vec::new(), Framing::None, pos),
        BodyKind::Length(n) => {
            if buf.len() - pos < n {
                let have = buf.len() - pos;
                return Ok(p.incomplete(&format!(
                    "the body has {have} of the {n} bytes that Content-Length announces"
                )));
            }
            (buf[pos..pos + n].to_vec(), Framing::ContentLength(n), pos + n)
        }
        BodyKind::Chunked => match p.chunked(pos)? {
            Some((body, chunks, trailers, end)) => (body, Framing::Chunked { chunks, trailers }, end),
            None => {
                return Ok(
                    p.incomplete("the chunked body has not ended (no last chunk `0` and empty line yet)")
                );
            }
        },
    };
    let request = Request { method, target, form, version, fields, body, framing, keep_alive };
    Ok(Parsed::Complete { request, consumed })
}
// ANCHOR_END: example

/// Start of the line that ends at `end` (the CR).
fn pos_of_line(buf: &[u8], end: usize) -> usize {
    buf[..end].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

/// Offsets of the field lines in `buf[start..end]` whose name is `name` (any case).
fn field_lines(buf: &[u8], start: usize, end: usize, name: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut line = start;
    while line < end {
        let stop = buf[line..end].iter().position(|&b| b == b'\n').map_or(end, |i| line + i + 1);
        let text = &buf[line..stop];
        if let Some(colon) = text.iter().position(|&b| b == b':')
            && text[..colon].eq_ignore_ascii_case(name.as_bytes())
        {
            found.push(line);
        }
        line = stop;
    }
    found
}

/// The number that `digits` (ASCII digits in `radix`) spell, if it is at most `limit`; `None`
/// when it is larger or a byte is not a digit. The sum stays at most `limit * radix + radix`
/// at every step and the arithmetic is checked, so no input overflows, whatever the width of
/// `usize` (32 bits in WebAssembly, where the `wasm` profile has no overflow checks).
fn number_at_most(digits: &[u8], radix: u8, limit: usize) -> Option<usize> {
    digits.iter().try_fold(0usize, |value, &byte| {
        let digit = char::from(byte).to_digit(u32::from(radix))?; // below `radix`, so it fits
        let value = value.checked_mul(usize::from(radix))?.checked_add(digit as usize)?;
        (value <= limit).then_some(value)
    })
}

enum BodyKind {
    None,
    Length(usize),
    Chunked,
}

fn keeps_alive(fields: &[Field], version: (u8, u8)) -> bool {
    let has = |token: &str| {
        fields
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case("connection"))
            .flat_map(|f| f.value.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    // RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive`.
    if version == (1, 0) { has("keep-alive") && !has("close") } else { !has("close") }
}

struct Parser<'a> {
    buf: &'a [u8],
}

impl Parser<'_> {
    fn error(&self, offset: usize, status: u16, message: impl Into<String>) -> ParseError {
        let before = &self.buf[..offset.min(self.buf.len())];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = offset - pos_of_line(self.buf, offset.min(self.buf.len())) + 1;
        ParseError { offset, line, column, status, message: message.into() }
    }

    fn incomplete(&self, missing: &str) -> Parsed {
        Parsed::Incomplete { missing: missing.to_string() }
    }

    /// The line starting at `start`: `(end, next)` with `end` at its CR and `next` after its LF;
    /// `None` while no CRLF has arrived. A bare CR or LF is an error (RFC 9112 §2.2).
    fn line(&self, start: usize, limit: usize, status: u16) -> Result<Option<(usize, usize)>, ParseError> {
        for (i, &b) in self.buf[start..].iter().enumerate() {
            let at = start + i;
            if i > limit {
                let what = if status == 414 { "the request line" } else { "a field line" };
                return Err(self.error(at, status, format!("{what} is longer than {limit} bytes")));
            }
            match b {
                b'\r' => {
                    return match self.buf.get(at + 1) {
                        Some(b'\n') => Ok(Some((at, at + 2))),
                        Some(_) => Err(self.error(at, 400, "a bare CR (not followed by LF)")),
                        None => Ok(None),
                    };
                }
                b'\n' => {
                    return Err(self.error(at, 400, "a bare LF: lines end with CRLF"));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3), exactly one SP between parts.
    fn request_line(
        &self,
        start: usize,
        end: usize,
    ) -> Result<(String, String, TargetForm, (u8, u8)), ParseError> {
        let line = &self.buf[start..end];
        let text = |a: usize, b: usize| String::from_utf8_lossy(&line[a..b]).into_owned();
        if line.is_empty() {
            return Err(self.error(start, 400, "an empty request line"));
        }
        // Method: a token.
        let method_end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
        if method_end == 0 {
            return Err(self.error(start, 400, "the request line starts with a space"));
        }
        if let Some(bad) = line[..method_end].iter().position(|&b| !is_tchar(b)) {
            return Err(self.error(
                start + bad,
                400,
                format!("{} cannot appear in a method (a token)", show(line[bad])),
            ));
        }
        if method_end == line.len() {
            return Err(self.error(
                end,
                400,
                "the request line ends after the method; expected ` request-target HTTP-version`",
            ));
        }
        // Request target: no whitespace; its shape must match the method.
        let target_start = method_end + 1;
        if line.get(target_start) == Some(&b' ') {
            return Err(self.error(
                start + target_start,
                400,
                "two spaces in a row; the request line has exactly one SP between its parts (RFC 9112 §3)",
            ));
        }
        let target_end =
            line[target_start..].iter().position(|&b| b == b' ').map_or(line.len(), |i| target_start + i);
        if target_end == line.len() {
            return Err(self.error(end, 400, "the request line ends after the target; expected ` HTTP/1.1`"));
        }
        let method = text(0, method_end);
        let target = text(target_start, target_end);
        if target_end - target_start > MAX_REQUEST_LINE / 2 {
            return Err(self.error(
                start + target_start,
                414,
                format!("the request target is longer than {} bytes", MAX_REQUEST_LINE / 2),
            ));
        }
        for (i, &b) in line[target_start..target_end].iter().enumerate() {
            let at = start + target_start + i;
            let allowed = b.is_ascii_alphanumeric() || b"-._~:/?[]@!$&'()*+,;=%".contains(&b);
            if b == b'#' {
                return Err(self.error(at, 400, "`#`: a fragment is never sent in a request target"));
            }
            if !allowed {
                return Err(self.error(
                    at,
                    400,
                    format!("{} is not allowed in a request target (RFC 3986); percent-encode it", show(b)),
                ));
            }
            if b == b'%' {
                let hex = line.get(target_start + i + 1..target_start + i + 3);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(self.error(at, 400, "`%` must be followed by two hex digits"));
                }
            }
        }
        let form = self.target_form(&method, &target, start + target_start)?;
        // Version: exactly `HTTP/` DIGIT `.` DIGIT, case-sensitive (RFC 9112 §2.3).
        let version_start = target_end + 1;
        let version = &line[version_start..];
        let at = start + version_start;
        if version.first() == Some(&b' ') {
            return Err(self.error(
                at,
                400,
                "two spaces in a row; the request line has exactly one SP between its parts (RFC 9112 §3)",
            ));
        }
        let well_formed = version.len() == 8
            && version.starts_with(b"HTTP/")
            && version[5].is_ascii_digit()
            && version[6] == b'.'
            && version[7].is_ascii_digit();
        if !well_formed {
            let hint = if version.len() >= 5
                && version[..5].eq_ignore_ascii_case(b"HTTP/")
                && !version.starts_with(b"HTTP/")
            {
                "the version is case-sensitive: write `HTTP/1.1`"
            } else if version.len() > 8 && version.starts_with(b"HTTP/") {
                "unexpected text after the version"
            } else {
                "expected the version as `HTTP/1.1` (or `HTTP/1.0`)"
            };
            let column = if version.len() > 8 && version.starts_with(b"HTTP/") { at + 8 } else { at };
            return Err(self.error(column, 400, hint));
        }
        let (major, minor) = (version[5] - b'0', version[7] - b'0');
        if major != 1 {
            return Err(self.error(
                at,
                505,
                format!("HTTP/{major}.{minor} does not use this text format; this parser speaks HTTP/1.x"),
            ));
        }
        // RFC 9110 §2.5: a higher minor version is processed as the highest one we implement.
        Ok((method, target, form, (1, minor.min(1))))
    }

    fn target_form(&self, method: &str, target: &str, at: usize) -> Result<TargetForm, ParseError> {
        if target == "*" {
            return if method == "OPTIONS" {
                Ok(TargetForm::Asterisk)
            } else {
                Err(self.error(at, 400, "`*` is a target only for OPTIONS (RFC 9112 §3.2.4)"))
            };
        }
        if method == "CONNECT" {
            let ok = target.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty()
                    && !host.contains('/')
                    && !port.is_empty()
                    && port.bytes().all(|b| b.is_ascii_digit())
            });
            return if ok {
                Ok(TargetForm::Authority)
            } else {
                Err(self.error(at, 400, "CONNECT takes `host:port` as its target (RFC 9112 §3.2.3)"))
            };
        }
        if target.starts_with('/') {
            return Ok(TargetForm::Origin);
        }
        if let Some((scheme, rest)) = target.split_once("://")
            && !scheme.is_empty()
            && scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            && !rest.is_empty()
        {
            return Ok(TargetForm::Absolute);
        }
        Err(self.error(
            at,
            400,
            "a request target starts with `/`, or is an absolute URI such as `http://host/` (RFC 9112 §3.2)",
        ))
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5.1, RFC 9110 §5.5).
    fn field_line(&self, start: usize, end: usize) -> Result<Field, ParseError> {
        let line = &self.buf[start..end];
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(self.error(end, 400, "a field line needs a `:` after the field name"));
        };
        if colon == 0 {
            return Err(self.error(start, 400, "a field line starts with `:`; the field name is missing"));
        }
        if let Some(bad) = line[..colon].iter().position(|&b| !is_tchar(b)) {
            let message = if matches!(line[bad], b' ' | b'\t')
                && line[bad..colon].iter().all(|&b| matches!(b, b' ' | b'\t'))
            {
                "whitespace between the field name and `:`; RFC 9112 §5.1 requires a 400".to_string()
            } else {
                format!("{} cannot appear in a field name (a token)", show(line[bad]))
            };
            return Err(self.error(start + bad, 400, message));
        }
        let is_ows = |b: &u8| matches!(b, b' ' | b'\t');
        let value_start = colon + 1 + line[colon + 1..].iter().take_while(|b| is_ows(b)).count();
        let value_end = line.len() - line[value_start..].iter().rev().take_while(|b| is_ows(b)).count();
        for (i, &b) in line[value_start..value_end].iter().enumerate() {
            // VCHAR, obs-text, SP and HTAB; no other control characters (RFC 9110 §5.5).
            if (b < 0x20 && b != b'\t') || b == 0x7f {
                return Err(self.error(
                    start + value_start + i,
                    400,
                    format!("control character {} in a field value", show(b)),
                ));
            }
        }
        Ok(Field {
            name: String::from_utf8_lossy(&line[..colon]).into_owned(),
            value: String::from_utf8_lossy(&line[value_start..value_end]).into_owned(),
        })
    }

    /// For the field line starting at `line_start`: the offset just after its `:` and the
    /// offset of its CR, the value with its surrounding whitespace in between. The first never
    /// exceeds the second, even on a line without `:` or CR.
    fn after_colon(&self, line_start: usize) -> (usize, usize) {
        let line = &self.buf[line_start..];
        let end = line_start + line.iter().position(|&b| b == b'\r').unwrap_or(line.len());
        let value_start = self.buf[line_start..end]
            .iter()
            .position(|&b| b == b':')
            .map_or(end, |colon| line_start + colon + 1);
        (value_start, end)
    }

    /// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2); empty is allowed for targets without one.
    fn check_host(&self, line_start: usize) -> Result<(), ParseError> {
        let (mut at, end) = self.after_colon(line_start);
        while at < end && matches!(self.buf[at], b' ' | b'\t') {
            at += 1;
        }
        let value = &self.buf[at..end];
        let value =
            &value[..value.len() - value.iter().rev().take_while(|&&b| matches!(b, b' ' | b'\t')).count()];
        let (host, port) = if value.starts_with(b"[") {
            // IP-literal: [v6address]
            match value.iter().position(|&b| b == b']') {
                Some(close) => (&value[..=close], value[close + 1..].strip_prefix(b":")),
                None => return Err(self.error(at, 400, "an IPv6 Host value must end with `]`")),
            }
        } else {
            match value.iter().rposition(|&b| b == b':') {
                Some(c) => (&value[..c], Some(&value[c + 1..])),
                None => (value, None),
            }
        };
        let bracketed = host.starts_with(b"[");
        let host_ok = |b: u8| {
            if bracketed {
                b.is_ascii_hexdigit() || b"[]:.".contains(&b)
            } else {
                b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b)
            }
        };
        if let Some(bad) = host.iter().position(|&b| !host_ok(b)) {
            return Err(self.error(
                at + bad,
                400,
                format!("{} is not allowed in a Host value", show(host[bad])),
            ));
        }
        if value.len() > host.len() && port.is_none() {
            return Err(self.error(at + host.len(), 400, "unexpected text after the Host name"));
        }
        if let Some(port) = port
            && let Some(bad) = port.iter().position(|b| !b.is_ascii_digit())
        {
            let offset = at + value.len() - port.len() + bad;
            return Err(self.error(offset, 400, "a Host port must be digits"));
        }
        Ok(())
    }

    /// RFC 9112 §6.1–6.3: how long the body is.
    fn framing(
        &self,
        fields: &[Field],
        head: usize,
        end: usize,
        version: (u8, u8),
    ) -> Result<BodyKind, ParseError> {
        let te_lines = field_lines(self.buf, head, end, "transfer-encoding");
        let cl_lines = field_lines(self.buf, head, end, "content-length");
        if let Some(&te) = te_lines.first() {
            if !cl_lines.is_empty() {
                return Err(self.error(
                    cl_lines[0],
                    400,
                    "both Transfer-Encoding and Content-Length: the classic request-smuggling \
                     setup; RFC 9112 §6.1 lets a server reject it",
                ));
            }
            if version == (1, 0) {
                return Err(self.error(te, 400, "Transfer-Encoding in an HTTP/1.0 request: RFC 9112 §6.1 says to treat the framing as faulty"));
            }
            let codings: Vec<String> = fields
                .iter()
                .filter(|f| f.name.eq_ignore_ascii_case("transfer-encoding"))
                .flat_map(|f| f.value.split(','))
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty())
                .collect();
            let chunked = codings.iter().filter(|c| *c == "chunked").count();
            if codings.last().map(String::as_str) != Some("chunked") {
                return Err(self.error(te, 400, "chunked must be the final transfer coding of a request, or its length is unknowable (RFC 9112 §6.3)"));
            }
            if chunked > 1 {
                return Err(self.error(te, 400, "chunked applied twice (RFC 9112 §6.1 forbids it)"));
            }
            if let Some(other) = codings.iter().find(|c| *c != "chunked") {
                return Err(self.error(
                    te,
                    501,
                    format!("transfer coding `{other}` is not implemented here"),
                ));
            }
            return Ok(BodyKind::Chunked);
        }
        let mut length: Option<usize> = None;
        for &line in &cl_lines {
            let (value_start, end) = self.after_colon(line);
            let mut item_start = value_start;
            // A field value may be a list, `42, 42` (RFC 9110 §8.6).
            for item in self.buf[value_start..end].split(|&b| b == b',') {
                let lead = item.iter().take_while(|&&b| matches!(b, b' ' | b'\t')).count();
                let digits = item[lead..].iter().take_while(|b| b.is_ascii_digit()).count();
                let rest = &item[lead + digits..];
                let at = item_start + lead;
                if digits == 0 || !rest.iter().all(|&b| matches!(b, b' ' | b'\t')) {
                    let bad = at + digits;
                    return Err(self.error(
                        bad,
                        400,
                        "Content-Length must be decimal digits only (RFC 9110 §8.6)",
                    ));
                }
                let Some(n) = number_at_most(&item[lead..lead + digits], 10, MAX_BODY) else {
                    return Err(self.error(
                        at,
                        413,
                        format!("Content-Length is larger than the {MAX_BODY} bytes accepted"),
                    ));
                };
                match length {
                    Some(previous) if previous != n => {
                        return Err(self.error(
                            at,
                            400,
                            format!("Content-Length {n} contradicts an earlier {previous} (RFC 9112 §6.3)"),
                        ));
                    }
                    _ => length = Some(n),
                }
                item_start += item.len() + 1;
            }
        }
        Ok(length.map_or(BodyKind::None, BodyKind::Length))
    }

    /// The chunked transfer coding (RFC 9112 §7.1): `size-in-hex [;ext] CRLF data CRLF`, then
    /// `0 CRLF`, trailer fields and an empty line. `None` while it has not all arrived.
    #[allow(clippy::type_complexity)]
    fn chunked(&self, mut pos: usize) -> Result<Option<(Vec<u8>, usize, Vec<Field>, usize)>, ParseError> {
        let mut body = Vec::new();
        let mut chunks = 0;
        loop {
            let Some((end, next)) = self.line(pos, 1024, 400)? else { return Ok(None) };
            let line = &self.buf[pos..end];
            let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if digits == 0 {
                return Err(self.error(pos, 400, "expected a chunk size in hex"));
            }
            if let Err(offset) = chunk_extensions(&line[digits..]) {
                let at = digits + offset;
                let found = line.get(at).map_or_else(|| "the end of the line".to_string(), |&b| show(b));
                return Err(self.error(
                    pos + at,
                    400,
                    format!("{found} after the chunk size: only `;name=value` extensions may follow it"),
                ));
            }
            // `body` never holds more than MAX_BODY bytes, so the subtraction cannot wrap.
            let Some(size) = number_at_most(&line[..digits], 16, MAX_BODY - body.len()) else {
                return Err(self.error(
                    pos,
                    413,
                    format!("the chunked body exceeds the {MAX_BODY} bytes accepted"),
                ));
            };
            pos = next;
            if size == 0 {
                break;
            }
            // `pos` is at most `buf.len()` and `size` at most MAX_BODY: neither side can wrap.
            if self.buf.len() - pos < size + 2 {
                return Ok(None);
            }
            body.extend_from_slice(&self.buf[pos..pos + size]);
            chunks += 1;
            pos += size;
            if &self.buf[pos..pos + 2] != b"\r\n" {
                return Err(self.error(
                    pos,
                    400,
                    format!("the chunk is longer than its size {size:#x} says (expected CRLF here)"),
                ));
            }
            pos += 2;
        }
        // Trailer section: field lines until an empty line (RFC 9112 §7.1.2).
        let mut trailers = Vec::new();
        loop {
            let Some((end, next)) = self.line(pos, MAX_HEADER_SECTION, 431)? else { return Ok(None) };
            if end == pos {
                return Ok(Some((body, chunks, trailers, next)));
            }
            if trailers.len() == MAX_FIELDS {
                return Err(self.error(pos, 431, format!("more than {MAX_FIELDS} trailer fields")));
            }
            trailers.push(self.field_line(pos, end)?);
            pos = next;
        }
    }
}

/// A byte as the reader would name it: `` `x` `` or `0x0b`.
fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else if b == b' ' {
        "a space".into()
    } else {
        format!("byte {b:#04x}")
    }
}

/// The playground's text with every bare `\n` made a CRLF.
pub fn crlf(input: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 8);
    let mut previous = 0u8;
    for &b in input.as_bytes() {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

/// Describes a parsed request as the page shows it.
pub fn describe(request: &Request) -> String {
    let mut out = String::new();
    let form = match request.form {
        TargetForm::Origin => "origin-form",
        TargetForm::Absolute => "absolute-form",
        TargetForm::Authority => "authority-form",
        TargetForm::Asterisk => "asterisk-form",
    };
    out.push_str(&format!("  method   {}\n", request.method));
    out.push_str(&format!("  target   {} ({form})\n", request.target));
    out.push_str(&format!("  version  HTTP/{}.{}\n", request.version.0, request.version.1));
    out.push_str(&format!("  fields   {}\n", request.fields.len()));
    for field in &request.fields {
        out.push_str(&format!("    {}: {}\n", field.name, field.value));
    }
    let body = String::from_utf8_lossy(&request.body);
    match &request.framing {
        Framing::None => out.push_str("  body     none (no Content-Length, no Transfer-Encoding)\n"),
        Framing::ContentLength(n) => {
            out.push_str(&format!("  body     {n} bytes by Content-Length: {body:?}\n"))
        }
        Framing::Chunked { chunks, trailers } => {
            out.push_str(&format!(
                "  body     {} bytes in {chunks} chunks, {} trailer fields: {body:?}\n",
                request.body.len(),
                trailers.len()
            ));
        }
    }
    let why = match (request.version, request.keep_alive) {
        ((1, 0), true) => "HTTP/1.0 with `Connection: keep-alive`",
        ((1, 0), false) => "HTTP/1.0 closes unless asked to keep alive",
        (_, true) => "HTTP/1.1 default",
        (_, false) => "`Connection: close`",
    };
    let verdict = if request.keep_alive { "stays open" } else { "closes after the response" };
    out.push_str(&format!("  connection {verdict} ({why})\n"));
    out
}

/// Most requests parsed from one input.
const MAX_REQUESTS: usize = 20;

fn run(input: &str) -> Result<String, InputError> {
    let bytes = crlf(input);
    let mut out = String::new();
    let (mut pos, mut count) = (0, 0);
    while bytes[pos..].iter().any(|&b| b != b'\r' && b != b'\n') {
        // RFC 9112 §2.2: empty lines before a request line are ignored; say so.
        let mut empty = 0;
        while bytes[pos..].starts_with(b"\r\n") {
            pos += 2;
            empty += 1;
        }
        if empty > 0 && count > 0 {
            let lines = if empty == 1 { "1 empty line".to_string() } else { format!("{empty} empty lines") };
            out.push_str(&format!(
                "(skipped {lines} before request {}, as RFC 9112 §2.2 allows)\n",
                count + 1
            ));
        }
        let first_line = 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count();
        match parse_request(&bytes[pos..]) {
            Ok(Parsed::Complete { request, consumed }) => {
                count += 1;
                if count > MAX_REQUESTS {
                    return Err(InputError::at_line(
                        first_line,
                        format!("more than {MAX_REQUESTS} requests"),
                    ));
                }
                out.push_str(&format!("request {count} ({consumed} bytes on the wire)\n"));
                out.push_str(&describe(&request));
                pos += consumed;
            }
            Ok(Parsed::Incomplete { missing }) => {
                let last = input.lines().count().max(1);
                return Err(InputError::at_line(
                    last,
                    format!(
                        "request {} is incomplete: {missing}; a server would wait for more bytes",
                        count + 1
                    ),
                ));
            }
            Err(error) => {
                return Err(InputError::at_line(
                    first_line + error.line - 1,
                    format!("column {}: {} → {}", error.column, error.message, error.status_text()),
                ));
            }
        }
    }
    if count == 0 {
        return Err(InputError::new(
            "no request: type a request line such as `GET / HTTP/1.1`, field lines, then an empty line",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Request, ParseError> {
        match parse_request(&crlf(text))? {
            Parsed::Complete { request, .. } => Ok(request),
            Parsed::Incomplete { missing } => panic!("incomplete: {missing}"),
        }
    }

    fn error(text: &str) -> ParseError {
        parse(text).expect_err("should be rejected")
    }

    #[test]
    fn rfc_9112_request_target_examples() {
        // The four forms, with the examples of RFC 9112 §3.2.1–3.2.4.
        let origin = parse("GET /where?q=now HTTP/1.1\nHost: www.example.org\n\n").unwrap();
        assert_eq!((origin.form, origin.target.as_str()), (TargetForm::Origin, "/where?q=now"));
        let absolute =
            parse("GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\nHost: www.example.org\n\n")
                .unwrap();
        assert_eq!(absolute.form, TargetForm::Absolute);
        let connect = parse("CONNECT www.example.com:80 HTTP/1.1\nHost: www.example.com:80\n\n").unwrap();
        assert_eq!(connect.form, TargetForm::Authority);
        let options = parse("OPTIONS * HTTP/1.1\nHost: www.example.org:8001\n\n").unwrap();
        assert_eq!(options.form, TargetForm::Asterisk);
        assert!(options.keep_alive);
    }

    #[test]
    fn rfc_9110_example_exchange() {
        let request = parse(
            "GET /hello.txt HTTP/1.1\nUser-Agent: curl/7.64.1\nHost: www.example.com\nAccept-Language: en, mi\n\n",
        )
        .unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.field("accept-language"), Some("en, mi"));
        assert_eq!(request.field("HOST"), Some("www.example.com"));
        assert_eq!(request.framing, Framing::None);
    }

    #[test]
    fn the_default_input_is_three_pipelined_requests() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert_eq!(out.lines().filter(|l| l.starts_with("request ")).count(), 3, "{out}");
        assert!(out.contains("17 bytes by Content-Length: \"{\\\"name\\\":\\\"widget\\\"}\""), "{out}");
        assert!(out.contains("12 bytes in 2 chunks"), "{out}");
        assert!(out.contains("closes after the response (`Connection: close`)"), "{out}");
    }

    #[test]
    fn incomplete_input_asks_for_more_and_then_completes() {
        let full = crlf("POST /a HTTP/1.1\nHost: h\nContent-Length: 5\n\nhello");
        for cut in 0..full.len() {
            assert!(
                matches!(parse_request(&full[..cut]), Ok(Parsed::Incomplete { .. })),
                "prefix of {cut} bytes"
            );
        }
        match parse_request(&full).unwrap() {
            Parsed::Complete { request, consumed } => {
                assert_eq!(consumed, full.len());
                assert_eq!(request.body, b"hello");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn chunked_bodies_with_extensions_and_trailers() {
        let request =
            parse("POST /u HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n4;note=x\nWiki\n5\npedia\n0\nExpires: never\n\n")
                .unwrap();
        assert_eq!(request.body, b"Wikipedia");
        let Framing::Chunked { chunks, trailers } = request.framing else { panic!() };
        assert_eq!((chunks, trailers.len()), (2, 1));
        let wrong = error("POST /u HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n3\nhello\n0\n\n");
        assert_eq!((wrong.line, wrong.column), (6, 4));
    }

    #[test]
    fn only_extensions_may_follow_a_chunk_size() {
        let with = |size_line: &str| {
            format!("POST /u HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n{size_line}\nhello\n0\n\n")
        };
        for good in ["5", "5;a", "5 ; a = b", "5;a=\"x y\";b", "5;a=\"q\\\"\""] {
            assert_eq!(parse(&with(good)).unwrap().body, b"hello", "{good:?}");
        }
        // (size line, column of the first byte that does not fit)
        for (bad, column) in [
            ("5 junk", 3),
            ("5x", 2),
            ("5 ", 2),
            ("5;a ", 4),
            ("5;", 3),
            ("5;a=", 5),
            ("5;a=\"open", 10),
            ("5;a b", 5),
        ] {
            let err = error(&with(bad));
            assert_eq!((err.line, err.column, err.status), (5, column, 400), "{bad:?}: {}", err.message);
            assert!(err.message.contains("after the chunk size"), "{bad:?}: {}", err.message);
        }
    }

    #[test]
    fn malformed_requests_point_at_the_problem() {
        let cases: &[(&str, usize, usize, u16, &str)] = &[
            ("GET  / HTTP/1.1\nHost: h\n\n", 1, 5, 400, "two spaces"),
            ("GET / HTTP/1.1 \nHost: h\n\n", 1, 15, 400, "after the version"),
            ("GET / http/1.1\nHost: h\n\n", 1, 7, 400, "case-sensitive"),
            ("GET / HTTP/2.0\nHost: h\n\n", 1, 7, 505, "HTTP/1.x"),
            ("G(T / HTTP/1.1\nHost: h\n\n", 1, 2, 400, "method"),
            ("GET /a\"b HTTP/1.1\nHost: h\n\n", 1, 7, 400, "request target"),
            ("GET /a#top HTTP/1.1\nHost: h\n\n", 1, 7, 400, "fragment"),
            ("GET /%zz HTTP/1.1\nHost: h\n\n", 1, 6, 400, "hex"),
            ("GET index.html HTTP/1.1\nHost: h\n\n", 1, 5, 400, "starts with `/`"),
            ("GET * HTTP/1.1\nHost: h\n\n", 1, 5, 400, "OPTIONS"),
            ("GET / HTTP/1.1\nAccept: */*\n\n", 3, 1, 400, "must have a Host"),
            ("GET / HTTP/1.1\nHost: a\nhost: b\n\n", 3, 1, 400, "second Host"),
            ("GET / HTTP/1.1\nHost: a b\n\n", 2, 8, 400, "Host"),
            ("GET / HTTP/1.1\nHost : h\n\n", 2, 5, 400, "whitespace between"),
            ("GET / HTTP/1.1\nHost: h\nX(y): 1\n\n", 3, 2, 400, "field name"),
            ("GET / HTTP/1.1\nHost: h\nNo colon here\n\n", 3, 14, 400, "`:`"),
            ("GET / HTTP/1.1\nHost: h\nX: a\n  b\n\n", 4, 1, 400, "obs-fold"),
            ("GET / HTTP/1.1\n Host: h\n\n", 2, 1, 400, "first field"),
            ("GET / HTTP/1.1\nHost: h\nX: a\x01b\n\n", 3, 5, 400, "control character"),
            ("GET / HTTP/1.1\rHost: h\n\n", 1, 15, 400, "bare CR"),
            (
                "POST / HTTP/1.1\nHost: h\nContent-Length: 5\nContent-Length: 6\n\nhello",
                4,
                17,
                400,
                "contradicts",
            ),
            ("POST / HTTP/1.1\nHost: h\nContent-Length: 5, 6\n\nhello", 3, 20, 400, "contradicts"),
            ("POST / HTTP/1.1\nHost: h\nContent-Length: -5\n\n", 3, 17, 400, "digits"),
            ("POST / HTTP/1.1\nHost: h\nContent-Length: 5x\n\n", 3, 18, 400, "digits"),
            ("POST / HTTP/1.1\nHost: h\nContent-Length: 99999999\n\n", 3, 17, 413, "larger"),
            (
                "POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\nContent-Length: 5\n\n",
                4,
                1,
                400,
                "smuggling",
            ),
            ("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: gzip\n\n", 3, 1, 400, "final"),
            ("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: gzip, chunked\n\n", 3, 1, 501, "gzip"),
            ("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked, chunked\n\n", 3, 1, 400, "twice"),
            ("POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n", 2, 1, 400, "HTTP/1.0"),
        ];
        for &(text, line, column, status, words) in cases {
            let e = error(text);
            assert_eq!((e.line, e.column, e.status), (line, column, status), "{text:?}: {e}");
            assert!(e.message.contains(words), "{text:?}: `{}` lacks `{words}`", e.message);
        }
    }

    #[test]
    fn numbers_past_the_limit_are_refused_before_they_can_overflow() {
        assert_eq!(number_at_most(b"1048576", 10, MAX_BODY), Some(MAX_BODY));
        assert_eq!(number_at_most(b"1048577", 10, MAX_BODY), None);
        assert_eq!(number_at_most(b"99999999999", 10, MAX_BODY), None);
        assert_eq!(number_at_most(b"FFFFFFFF", 16, MAX_BODY), None);
        assert_eq!(number_at_most(b"0000000000000000000000007", 10, MAX_BODY), Some(7));
        assert_eq!(number_at_most(b"12z", 10, MAX_BODY), None);
        // With a 32-bit limit, the first number past `u32::MAX` is refused, not wrapped to 0:
        // what a 32-bit `usize` (WebAssembly) would need.
        let u32_limit = usize::try_from(u32::MAX).unwrap();
        assert_eq!(number_at_most(b"4294967295", 10, u32_limit), Some(u32_limit));
        assert_eq!(number_at_most(b"4294967296", 10, u32_limit), None);
        assert_eq!(number_at_most(b"ffffffff", 16, u32_limit), Some(u32_limit));
        assert_eq!(number_at_most(b"100000000", 16, u32_limit), None);
        // Even with no limit at all, a number wider than `usize` is `None`, not a panic.
        assert_eq!(number_at_most("9".repeat(60).as_bytes(), 10, usize::MAX), None);
    }

    #[test]
    fn huge_sizes_are_errors_on_their_line() {
        let length = error("POST / HTTP/1.1\nHost: h\nContent-Length: 99999999999\n\n");
        assert_eq!((length.line, length.column, length.status), (3, 17, 413), "{length}");
        // A 1-byte chunk, then one whose size would wrap a 32-bit sum to 0.
        let chunk = error("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n1\na\nFFFFFFFF\nx\n0\n\n");
        assert_eq!((chunk.line, chunk.column, chunk.status), (7, 1, 413), "{chunk}");
        assert!(chunk.message.contains("exceeds"), "{chunk}");
        // The chunks share one budget: a 1-byte chunk leaves MAX_BODY - 1 bytes for the rest.
        let chunked = |second_size: usize| {
            let text =
                format!("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n1\na\n{second_size:x}\n");
            parse_request(&crlf(&text))
        };
        assert!(matches!(chunked(MAX_BODY - 1), Ok(Parsed::Incomplete { .. })));
        assert_eq!(chunked(MAX_BODY).unwrap_err().status, 413);
        // The reader sees the line of the faulty size.
        let err = run("POST / HTTP/1.1\nHost: h\nContent-Length: 99999999999\n\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("413 Content Too Large"), "{err}");
        let err =
            run("POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n1\na\nFFFFFFFF\n").unwrap_err();
        assert_eq!(err.line, Some(7), "{err}");
    }

    #[test]
    fn bare_lf_and_limits() {
        let bare = parse_request(b"GET / HTTP/1.1\nHost: h\r\n\r\n").unwrap_err();
        assert_eq!((bare.line, bare.column), (1, 15));
        let long = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(MAX_REQUEST_LINE));
        assert_eq!(parse_request(long.as_bytes()).unwrap_err().status, 414);
        let mut many = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
        for i in 0..MAX_FIELDS {
            many.push_str(&format!("X-{i}: 1\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(parse_request(many.as_bytes()).unwrap_err().status, 431);
    }

    #[test]
    fn versions_and_keep_alive() {
        let old = parse("GET / HTTP/1.0\n\n").unwrap();
        assert_eq!((old.version, old.keep_alive), ((1, 0), false));
        let asked = parse("GET / HTTP/1.0\nConnection: Keep-Alive\n\n").unwrap();
        assert!(asked.keep_alive);
        let newer_minor = parse("GET / HTTP/1.7\nHost: h\n\n").unwrap();
        assert_eq!(newer_minor.version, (1, 1));
        let close = parse("GET / HTTP/1.1\nHost: h\nConnection: upgrade, close\n\n").unwrap();
        assert!(!close.keep_alive);
        let same_twice = parse("POST / HTTP/1.1\nHost: h\nContent-Length: 2, 2\n\nhi").unwrap();
        assert_eq!(same_twice.framing, Framing::ContentLength(2));
        let empty_host = parse("GET / HTTP/1.1\nHost:\n\n").unwrap();
        assert_eq!(empty_host.field("host"), Some(""));
        let v6 = parse("GET / HTTP/1.1\nHost: [::1]:8080\n\n").unwrap();
        assert_eq!(v6.field("host"), Some("[::1]:8080"));
        // Empty lines before the request line are skipped (RFC 9112 §2.2).
        assert!(parse("\n\nGET / HTTP/1.1\nHost: h\n\n").is_ok());
    }

    #[test]
    fn run_reports_the_readers_line_and_column() {
        let err = run("GET / HTTP/1.1\nHost: h\n\nGET /  HTTP/1.1\nHost: h\n\n").unwrap_err();
        assert_eq!(err.line, Some(4));
        assert!(err.message.starts_with("column 7: two spaces"), "{}", err.message);
        let cut = run("GET / HTTP/1.1\nHost: h\n").unwrap_err();
        assert!(cut.message.contains("incomplete: the header section is not finished"), "{}", cut.message);
        assert!(run("\n\n").unwrap_err().message.contains("no request"));
    }
}
