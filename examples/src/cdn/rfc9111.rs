//! An RFC 9111 freshness and validation calculator: the library the chapter's examples share.
//!
//! Given the request a cache has just received, a stored response (its headers and the times
//! at which it was requested and received) and "now", [`analyse`] says whether a cache may store
//! the response (RFC 9111 §3), how long it stays fresh (§4.2.1, §4.2.2), how old it is now
//! (§4.2.3, exactly as the RFC writes it), and what the cache does with the request (§4: serve
//! it fresh, serve it stale, revalidate it with a conditional request, or go to the origin),
//! each step citing its section. [`parse`] reads the text format the browser tool takes; its
//! errors name the input line.
//!
//! Times are whole seconds. Every number the reader types is seconds after `t=0`, which is the
//! response's `Date` (or a fixed instant when the response has none).

use std::fmt::Write as _;

use crate::registry::InputError;

// ANCHOR: model
/// One header field line as it was typed, with its 1-based input line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// The fields of one message, in order; names compare case-insensitively (RFC 9110 §5.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<Field>);

/// One `Cache-Control` directive: `max-age=60` is `("max-age", Some("60"))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub value: Option<String>,
}

/// Whether the origin answers when the cache asks it (for `stale-if-error`, RFC 5861 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Up,
    Error,
}

/// Everything the cache knows when a request arrives.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// A shared cache (a CDN, a proxy) or a private one (a browser).
    pub shared: bool,
    pub method: String,
    pub status: u16,
    /// The request the cache has just received.
    pub request: Headers,
    /// The request that fetched the stored response, when it differs (for `Vary`).
    pub stored_request: Option<Headers>,
    pub response: Headers,
    /// Seconds on one clock, `t=0` being `base`.
    pub request_time: i64,
    pub response_time: i64,
    pub now: i64,
    /// The instant `t=0` stands for, in seconds since 1970 (the `Date` value when there is one).
    pub base: i64,
    pub origin: Origin,
}

/// What the cache does with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer from the cache, no origin contact (RFC 9111 §4.2).
    ServeFresh,
    /// Answer with the stale response; the client or origin allowed it (`max-stale`, §5.2.1.2).
    ServeStale,
    /// Answer with the stale response now and revalidate in the background (RFC 5861 §3).
    StaleWhileRevalidate { conditional: Vec<(String, String)> },
    /// The origin failed: answer with the stale response (RFC 5861 §4).
    StaleIfError,
    /// Ask the origin with a conditional request; a 304 refreshes the stored response (§4.3).
    Revalidate { conditional: Vec<(String, String)> },
    /// Ask the origin with a plain request (nothing stored, nothing usable, or no validator).
    Forward,
    /// The cache may not contact the origin and has nothing it may send (§5.2.1.7, §5.2.2.2).
    GatewayTimeout,
}

/// The §4.2.3 arithmetic, every intermediate kept so it can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Age {
    pub age_value: i64,
    pub date_value: i64,
    pub apparent_age: i64,
    pub response_delay: i64,
    pub corrected_age_value: i64,
    pub corrected_initial_age: i64,
    pub resident_time: i64,
    pub current_age: i64,
}

/// The calculator's answer; `explanation` is the arithmetic and the reasons, one line each.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub storable: bool,
    pub freshness_lifetime: i64,
    pub age: Age,
    pub fresh: bool,
    pub action: Action,
    /// The reuse window, as times on the exchange's clock: fresh until `fresh_until`, then
    /// servable stale (stale-while-revalidate) until `swr_until`, stale-if-error until
    /// `sie_until`; after that only a revalidated response may be sent.
    pub fresh_until: i64,
    pub swr_until: i64,
    pub sie_until: i64,
    pub explanation: Vec<String>,
}
// ANCHOR_END: model

impl Headers {
    /// Every value of `name`, joined by ", " as a list-based field may be (RFC 9110 §5.3).
    pub fn get(&self, name: &str) -> Option<String> {
        let values: Vec<&str> =
            self.0.iter().filter(|f| f.name.eq_ignore_ascii_case(name)).map(|f| f.value.as_str()).collect();
        if values.is_empty() { None } else { Some(values.join(", ")) }
    }

    /// The first line of `name`, for error messages and single-valued fields.
    pub fn first(&self, name: &str) -> Option<&Field> {
        self.0.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    pub fn count(&self, name: &str) -> usize {
        self.0.iter().filter(|f| f.name.eq_ignore_ascii_case(name)).count()
    }

    /// The `Cache-Control` directives of every line, in order (names lower-cased, §5.2).
    pub fn cache_control(&self) -> Result<Vec<Directive>, InputError> {
        let mut all = Vec::new();
        for field in self.0.iter().filter(|f| f.name.eq_ignore_ascii_case("cache-control")) {
            all.extend(parse_cache_control(&field.value).map_err(|e| InputError::at_line(field.line, e))?);
        }
        Ok(all)
    }
}

/// `Cache-Control` is a list of `token [ "=" ( token / quoted-string ) ]` (RFC 9111 §5.2).
pub fn parse_cache_control(value: &str) -> Result<Vec<Directive>, String> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(' ' | '\t' | ',')) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if is_tchar(c) {
                name.push(c.to_ascii_lowercase());
                chars.next();
            } else {
                break;
            }
        }
        if name.is_empty() {
            let c = chars.peek().copied().unwrap_or(' ');
            return Err(format!(
                "Cache-Control: `{c}` cannot start a directive (RFC 9111 §5.2 wants a token)"
            ));
        }
        let mut directive = Directive { name, value: None };
        while matches!(chars.peek(), Some(' ' | '\t')) {
            chars.next();
        }
        if chars.peek() == Some(&'=') {
            chars.next();
            let mut v = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => v.extend(chars.next()),
                        c => v.push(c),
                    }
                }
                if !closed {
                    return Err(format!(
                        "Cache-Control: the quoted value of `{}` is not closed",
                        directive.name
                    ));
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if is_tchar(c) {
                        v.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if v.is_empty() {
                    return Err(format!("Cache-Control: `{}=` has no value", directive.name));
                }
            }
            directive.value = Some(v);
        }
        while matches!(chars.peek(), Some(' ' | '\t')) {
            chars.next();
        }
        match chars.peek() {
            None | Some(',') => out.push(directive),
            Some(c) => return Err(format!("Cache-Control: unexpected `{c}` after `{}`", directive.name)),
        }
    }
}

/// A character of a `token` (RFC 9110 §5.6.2).
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The value of a delta-seconds directive: `None` when absent, `Some(Err)` when it is not a
/// non-negative integer. RFC 9111 §1.2.2 lets a recipient that cannot hold a value, or whose
/// calculation overflows, use 2^31 ("infinity") or its greatest representable integer; this
/// clamp to 2^31 is that permitted choice, not a cap the RFC imposes.
fn delta(directives: &[Directive], name: &str) -> Option<Result<i64, String>> {
    let d = directives.iter().find(|d| d.name == name)?;
    Some(match &d.value {
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(v.parse::<i64>().unwrap_or(i64::MAX).min(2_147_483_648))
        }
        Some(v) => Err(format!("{name}={v} is not a non-negative integer")),
        None => Err(format!("{name} has no value")),
    })
}

fn has(directives: &[Directive], name: &str) -> bool {
    directives.iter().any(|d| d.name == name)
}

/// `private` or `no-cache` without a field list: the whole response (§5.2.2.4, §5.2.2.7).
fn unqualified(directives: &[Directive], name: &str) -> bool {
    directives.iter().any(|d| d.name == name && d.value.is_none())
}

// ANCHOR: dates
const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An HTTP-date in any of the three forms a recipient must accept (RFC 9110 §5.6.7):
/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`.
/// Seconds since 1970, or `None`.
pub fn parse_http_date(text: &str) -> Option<i64> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (day, month, year, clock) = match words.as_slice() {
        [wd, d, m, y, clock, "GMT"] if wd.ends_with(',') => (*d, *m, y.parse::<i64>().ok()?, *clock),
        [wd, dmy, clock, "GMT"] if wd.ends_with(',') => {
            let mut parts = dmy.split('-');
            let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
            let y: i64 = y.parse().ok()?;
            (d, m, if y < 70 { 2000 + y } else { 1900 + y }, *clock)
        }
        [_, m, d, clock, y] => (*d, *m, y.parse::<i64>().ok()?, *clock),
        _ => return None,
    };
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let day = i64::from(day.parse::<u8>().ok()?);
    let hms: Vec<i64> =
        clock.split(':').map(|p| p.parse::<u8>().ok().map(i64::from)).collect::<Option<_>>()?;
    let [h, mi, s] = hms[..] else { return None };
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 || !(1900..=9999).contains(&year) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3_600 + mi * 60 + s)
}

/// Seconds since 1970 as an IMF-fixdate (the networking chapter's formatter).
pub fn format_http_date(secs: i64) -> String {
    crate::networking::http_server::http_date_from_secs(secs)
}
// ANCHOR_END: dates

// ANCHOR: etags
/// An entity tag: `W/"x"` is weak, `"x"` strong (RFC 9110 §8.8.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ETag {
    pub weak: bool,
    pub opaque: String,
}

pub fn parse_etag(text: &str) -> Option<ETag> {
    let text = text.trim();
    let (weak, rest) = match text.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let inner = rest.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('"') {
        return None;
    }
    Some(ETag { weak, opaque: inner.to_string() })
}

/// Strong comparison: both strong and the same (§8.8.3.2); for `If-Match` and ranges.
pub fn strong_match(a: &ETag, b: &ETag) -> bool {
    !a.weak && !b.weak && a.opaque == b.opaque
}

/// Weak comparison: the same opaque tag, weak or not (§8.8.3.2); `If-None-Match` uses it
/// (§13.1.2), which is why a weak ETag is enough for 304s.
pub fn weak_match(a: &ETag, b: &ETag) -> bool {
    a.opaque == b.opaque
}

/// Whether an origin answers `304 Not Modified` to `If-None-Match: <list>` for a current
/// representation whose tag is `current` (RFC 9110 §13.1.2: `*` or any weak match).
pub fn if_none_match_hits(list: &str, current: &ETag) -> bool {
    if list.trim() == "*" {
        return true;
    }
    split_list(list).iter().filter_map(|t| parse_etag(t)).any(|t| weak_match(&t, current))
}

/// Splits a list of entity tags at commas that are outside quotes.
fn split_list(list: &str) -> Vec<String> {
    let (mut out, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in list.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}
// ANCHOR_END: etags

/// Status codes a cache may store without explicit freshness (RFC 9110 §15.1).
pub const HEURISTICALLY_CACHEABLE: [u16; 12] = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

/// The fraction of `Date − Last-Modified` used as heuristic freshness (RFC 9111 §4.2.2's
/// "typical setting"; Chromium and Firefox use it too).
pub const HEURISTIC_FRACTION_PERCENT: i64 = 10;

// ANCHOR: analyse
/// The calculator: RFC 9111 applied to one request and one stored response.
pub fn analyse(x: &Exchange) -> Result<Analysis, InputError> {
    let mut why: Vec<String> = Vec::new();
    let res_cc = x.response.cache_control()?;
    let req_cc = x.request.cache_control()?;
    let t = |abs: i64| abs - x.base; // a time on the reader's clock

    // §3: may the cache store this response at all?
    let storable = storable(x, &res_cc, &req_cc, &mut why);
    for name in ["no-cache", "private"] {
        if res_cc.iter().any(|d| d.name == name && d.value.is_some()) {
            why.push(format!(
                "{name}=\"fields\" (the qualified form) is not modelled: this calculator ignores it (RFC 9111 §5.2.2.4, §5.2.2.7)"
            ));
        }
    }

    // §4.2.1 / §4.2.2: how long it stays fresh.
    let date_value = match x.response.first("date") {
        Some(f) => parse_http_date(&f.value)
            .ok_or_else(|| InputError::at_line(f.line, "Date is not an HTTP-date (RFC 9110 §5.6.7)"))?,
        None => {
            why.push(format!(
                "no Date: date_value is the time the response was received, t={} (RFC 9110 §6.6.1)",
                x.response_time
            ));
            x.base + x.response_time
        }
    };
    let freshness_lifetime = lifetime(x, &res_cc, date_value, &mut why)?;

    // ANCHOR: age
    // §4.2.3: the age calculation, exactly as the RFC writes it.
    // §5.1: a list-valued Age (`Age: 10, 20`, or two lines) is invalid; use its first member.
    let age_text = x.response.get("age");
    let first_age = age_text.as_deref().map(|v| v.split(',').next().unwrap_or("").trim());
    if let Some(all) = age_text.as_deref().filter(|v| v.contains(',')) {
        why.push(format!("Age `{all}` is a list: the first member is used (RFC 9111 §5.1)"));
    }
    let age_value = match first_age {
        None => 0,
        Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse::<i64>().unwrap_or(i64::MAX).min(2_147_483_648)
        }
        Some(v) => {
            why.push(format!("Age `{v}` is not delta-seconds: ignored, age_value = 0 (RFC 9111 §5.1)"));
            0
        }
    };
    let (request_time, response_time, now) =
        (x.base + x.request_time, x.base + x.response_time, x.base + x.now);
    let apparent_age = (response_time - date_value).max(0);
    let response_delay = response_time - request_time;
    let corrected_age_value = age_value + response_delay;
    let corrected_initial_age = apparent_age.max(corrected_age_value);
    let resident_time = now - response_time;
    let current_age = corrected_initial_age + resident_time;
    // ANCHOR_END: age
    let age = Age {
        age_value,
        date_value,
        apparent_age,
        response_delay,
        corrected_age_value,
        corrected_initial_age,
        resident_time,
        current_age,
    };
    why.push("age (RFC 9111 §4.2.3):".to_string());
    why.push(format!(
        "  apparent_age = max(0, response_time - date_value) = max(0, {} - {}) = {apparent_age}",
        t(response_time),
        t(date_value)
    ));
    why.push(format!(
        "  response_delay = response_time - request_time = {} - {} = {response_delay}",
        t(response_time),
        t(request_time)
    ));
    why.push(format!(
        "  corrected_age_value = age_value + response_delay = {age_value} + {response_delay} = {corrected_age_value}"
    ));
    why.push(format!(
        "  corrected_initial_age = max(apparent_age, corrected_age_value) = max({apparent_age}, {corrected_age_value}) = {corrected_initial_age}"
    ));
    why.push(format!(
        "  resident_time = now - response_time = {} - {} = {resident_time}",
        t(now),
        t(response_time)
    ));
    why.push(format!(
        "  current_age = corrected_initial_age + resident_time = {corrected_initial_age} + {resident_time} = {current_age}"
    ));
    let fresh = freshness_lifetime > current_age;
    why.push(format!(
        "fresh: freshness_lifetime > current_age is {freshness_lifetime} > {current_age}: {} (RFC 9111 §4.2)",
        if fresh {
            "yes, fresh".to_string()
        } else {
            format!("no, stale by {} s", current_age - freshness_lifetime)
        }
    ));

    // §4.2.4 and RFC 5861: how long after it goes stale may it still be sent?
    let prohibited = stale_prohibited(x, &res_cc);
    let window = |name: &str, why: &mut Vec<String>| -> i64 {
        let from_response = match delta(&res_cc, name) {
            Some(Ok(n)) => n,
            _ => 0,
        };
        // RFC 5861 defines only stale-if-error as a request directive (§4); a request's
        // stale-while-revalidate is an unknown extension and is ignored (RFC 9111 §5.2.3).
        let from_request = match delta(&req_cc, name) {
            Some(Ok(n)) if name == "stale-if-error" => n,
            Some(_) if name == "stale-while-revalidate" => {
                why.push("the request's stale-while-revalidate is ignored: RFC 5861 defines it for responses only (RFC 9111 §5.2.3)".into());
                0
            }
            _ => 0,
        };
        let n = from_response.max(from_request);
        if n > 0 && prohibited.is_some() {
            why.push(format!(
                "{name}={n} does not apply: {} (RFC 9111 §4.2.4)",
                prohibited.clone().unwrap_or_default()
            ));
            return 0;
        }
        n
    };
    let swr = window("stale-while-revalidate", &mut why);
    let sie = window("stale-if-error", &mut why);
    let fresh_until = x.response_time + (freshness_lifetime - corrected_initial_age).max(0);
    let (swr_until, sie_until) = (fresh_until + swr, fresh_until + sie);

    let action = if storable {
        decide(x, &res_cc, &req_cc, freshness_lifetime, current_age, swr, sie, &prohibited, &mut why)
    } else {
        why.push("nothing is stored, so the request goes to the origin (RFC 9111 §4)".to_string());
        Action::Forward
    };
    // §4.3.3: a conditional or plain request to a failing origin gets an error, and nothing
    // above allowed a stored answer, so the error goes to the client.
    let action = if x.origin == Origin::Error && matches!(action, Action::Forward | Action::Revalidate { .. })
    {
        why.push("the origin fails, so that request gets a 5xx; nothing permits a stored answer, so the cache passes the error on (RFC 9111 §4.3.3, §4.2.4)".into());
        Action::GatewayTimeout
    } else {
        action
    };
    let action =
        if has(&req_cc, "only-if-cached") && matches!(action, Action::Forward | Action::Revalidate { .. }) {
            why.push(
            "only-if-cached: the cache must not contact the origin, so it answers 504 (RFC 9111 §5.2.1.7)"
                .into(),
        );
            Action::GatewayTimeout
        } else {
            action
        };
    Ok(Analysis {
        storable,
        freshness_lifetime,
        age,
        fresh,
        action,
        fresh_until,
        swr_until,
        sie_until,
        explanation: why,
    })
}

/// RFC 9111 §3 (and §3.5 for `Authorization`): the conditions for storing a response.
fn storable(x: &Exchange, res: &[Directive], req: &[Directive], why: &mut Vec<String>) -> bool {
    let no = |why: &mut Vec<String>, reason: String| {
        why.push(format!("store: no, {reason}"));
        false
    };
    if !matches!(x.method.as_str(), "GET" | "HEAD") {
        return no(
            why,
            format!(
                "{} is not a method this cache stores (RFC 9111 §3; RFC 9110 §9.3.3 allows POST only with explicit freshness and Content-Location, which few caches implement)",
                x.method
            ),
        );
    }
    if x.status < 200 || x.status == 206 || x.status == 304 {
        return no(
            why,
            format!("status {} is not a complete final response (RFC 9111 §3, §3.3, §4.3.4)", x.status),
        );
    }
    if has(req, "no-store") {
        return no(why, "the request says no-store (RFC 9111 §5.2.1.5)".into());
    }
    if has(res, "no-store") {
        return no(why, "the response says no-store (RFC 9111 §5.2.2.5)".into());
    }
    if x.shared && unqualified(res, "private") {
        return no(why, "private: only a private cache may store it (RFC 9111 §5.2.2.7)".into());
    }
    if x.shared && x.request.first("authorization").is_some() {
        if has(res, "must-revalidate") || has(res, "public") || has(res, "s-maxage") {
            why.push("the request has Authorization, and the response allows a shared cache to store it with must-revalidate, public or s-maxage (RFC 9111 §3.5)".into());
        } else {
            return no(
                why,
                "the request has Authorization and the response has none of must-revalidate, public, s-maxage (RFC 9111 §3.5)"
                    .into(),
            );
        }
    }
    let explicit = if has(res, "public") {
        Some("public")
    } else if !x.shared && has(res, "private") {
        Some("private (a private cache)")
    } else if x.response.first("expires").is_some() {
        Some("Expires")
    } else if has(res, "max-age") {
        Some("max-age")
    } else if x.shared && has(res, "s-maxage") {
        Some("s-maxage")
    } else if HEURISTICALLY_CACHEABLE.contains(&x.status) {
        Some("a heuristically cacheable status code (RFC 9110 §15.1)")
    } else {
        None
    };
    match explicit {
        Some(reason) => {
            let cache = if x.shared { "shared" } else { "private" };
            why.push(format!(
                "store: yes, a {cache} cache may store it: {} {}, has {reason} (RFC 9111 §3)",
                x.method, x.status
            ));
            true
        }
        None => no(
            why,
            format!(
                "status {} is not heuristically cacheable and nothing (max-age, s-maxage, Expires, public) makes it cacheable (RFC 9111 §3)",
                x.status
            ),
        ),
    }
}

// ANCHOR: lifetime
/// RFC 9111 §4.2.1 in its order: s-maxage (shared caches), max-age, Expires − Date; else a
/// heuristic (§4.2.2), only where it is allowed.
fn lifetime(
    x: &Exchange,
    res: &[Directive],
    date_value: i64,
    why: &mut Vec<String>,
) -> Result<i64, InputError> {
    let t = |abs: i64| abs - x.base;
    let count = |name: &str| res.iter().filter(|d| d.name == name).count();
    for name in ["s-maxage", "max-age"] {
        if name == "s-maxage" && !x.shared {
            if has(res, name) {
                why.push(
                    "s-maxage is for shared caches; a private cache ignores it (RFC 9111 §5.2.2.10)".into(),
                );
            }
            continue;
        }
        match delta(res, name) {
            None => {}
            Some(_) if count(name) > 1 => {
                why.push(format!("freshness_lifetime = 0: {name} appears twice, so the response is treated as stale (RFC 9111 §4.2.1)"));
                return Ok(0);
            }
            Some(Ok(n)) => {
                let rule = if name == "s-maxage" { "s-maxage wins in a shared cache" } else { "max-age" };
                why.push(format!("freshness_lifetime = {n} s from {name}={n}: {rule} (RFC 9111 §4.2.1)"));
                return Ok(n);
            }
            Some(Err(e)) => {
                why.push(format!(
                    "freshness_lifetime = 0: {e}; invalid freshness means stale (RFC 9111 §4.2.1)"
                ));
                return Ok(0);
            }
        }
    }
    if let Some(f) = x.response.first("expires") {
        if x.response.count("expires") > 1 {
            why.push("freshness_lifetime = 0: Expires appears twice, so the response is treated as stale (RFC 9111 §4.2.1)".into());
            return Ok(0);
        }
        return Ok(match parse_http_date(&f.value) {
            Some(expires) => {
                let n = (expires - date_value).max(0);
                why.push(format!(
                    "freshness_lifetime = Expires - date_value = {} - {} = {n} s (RFC 9111 §4.2.1, §5.3)",
                    t(expires),
                    t(date_value)
                ));
                n
            }
            None => {
                why.push(format!(
                    "freshness_lifetime = 0: Expires `{}` is not a date, which means already expired (RFC 9111 §5.3)",
                    f.value
                ));
                0
            }
        });
    }
    // §4.2.2: heuristic freshness, only without explicit expiry and for a heuristically
    // cacheable status or a response marked public.
    let allowed = HEURISTICALLY_CACHEABLE.contains(&x.status) || has(res, "public");
    match x.response.first("last-modified") {
        Some(f) if allowed => {
            let lm = parse_http_date(&f.value).ok_or_else(|| {
                InputError::at_line(f.line, "Last-Modified is not an HTTP-date (RFC 9110 §5.6.7)")
            })?;
            let n = ((date_value - lm).max(0)) * HEURISTIC_FRACTION_PERCENT / 100;
            why.push(format!(
                "freshness_lifetime = {HEURISTIC_FRACTION_PERCENT}% of (date_value - Last-Modified) = ({} - {}) / 10 = {n} s: heuristic, no explicit expiry (RFC 9111 §4.2.2)",
                t(date_value),
                t(lm)
            ));
            Ok(n)
        }
        Some(_) => {
            why.push(format!(
                "freshness_lifetime = 0: no explicit expiry, and status {} may not get heuristic freshness (RFC 9111 §4.2.2)",
                x.status
            ));
            Ok(0)
        }
        None => {
            why.push("freshness_lifetime = 0: no max-age, s-maxage, Expires or Last-Modified to base it on (RFC 9111 §4.2.1, §4.2.2)".into());
            Ok(0)
        }
    }
}

// ANCHOR_END: lifetime

/// Why a stale response may not be sent without revalidation, if it may not (§4.2.4).
fn stale_prohibited(x: &Exchange, res: &[Directive]) -> Option<String> {
    if has(res, "must-revalidate") {
        Some("must-revalidate forbids serving it stale (RFC 9111 §5.2.2.2)".into())
    } else if x.shared && has(res, "proxy-revalidate") {
        Some("proxy-revalidate forbids a shared cache to serve it stale (RFC 9111 §5.2.2.8)".into())
    } else if x.shared && has(res, "s-maxage") {
        Some("s-maxage implies proxy-revalidate in a shared cache (RFC 9111 §5.2.2.10)".into())
    } else {
        None
    }
}

/// The conditional request a cache sends to revalidate (RFC 9111 §4.3.1, RFC 9110 §13).
fn conditional_headers(x: &Exchange) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(etag) = x.response.first("etag") {
        out.push(("If-None-Match".to_string(), etag.value.clone()));
    }
    if let Some(lm) = x.response.first("last-modified") {
        out.push(("If-Modified-Since".to_string(), lm.value.clone()));
    }
    out
}

// ANCHOR: decide
/// RFC 9111 §4: can a stored, storable response answer this request, and how?
#[allow(clippy::too_many_arguments)]
fn decide(
    x: &Exchange,
    res: &[Directive],
    req: &[Directive],
    lifetime: i64,
    age: i64,
    swr: i64,
    sie: i64,
    prohibited: &Option<String>,
    why: &mut Vec<String>,
) -> Action {
    let validate = |why: &mut Vec<String>, reason: &str| {
        let conditional = conditional_headers(x);
        if conditional.is_empty() {
            why.push(format!(
                "{reason}; no ETag or Last-Modified to validate with, so a plain request (RFC 9111 §4.3.1)"
            ));
            Action::Forward
        } else {
            why.push(format!("{reason}: revalidate with a conditional request; a 304 freshens the stored response (RFC 9111 §4.3.1, §4.3.4)"));
            Action::Revalidate { conditional }
        }
    };
    // §4.1: Vary.
    if let Some(vary) = x.response.get("vary") {
        let names: Vec<String> =
            vary.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect();
        if names.iter().any(|n| n == "*") {
            why.push("Vary: * never matches a new request: the cache forwards it (RFC 9111 §4.1)".into());
            return Action::Forward;
        }
        let stored = x.stored_request.as_ref().unwrap_or(&x.request);
        let norm =
            |h: &Headers, n: &str| h.get(n).map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "));
        for name in &names {
            let (then, now) = (norm(stored, name), norm(&x.request, name));
            if then != now {
                why.push(format!(
                    "Vary: {name} was {} and is now {}: a different variant, the cache forwards (RFC 9111 §4.1)",
                    then.as_deref().unwrap_or("absent"),
                    now.as_deref().unwrap_or("absent")
                ));
                return Action::Forward;
            }
        }
        why.push(format!(
            "Vary: {} matches the stored request, so this variant may answer (RFC 9111 §4.1)",
            names.join(", ")
        ));
    }
    if has(req, "no-cache") {
        return validate(why, "the request says no-cache (RFC 9111 §5.2.1.4)");
    }
    if req.is_empty() && x.request.get("pragma").is_some_and(|p| p.to_ascii_lowercase().contains("no-cache"))
    {
        return validate(
            why,
            "the request says Pragma: no-cache and has no Cache-Control, which RFC 7234 §5.4 treated as no-cache (RFC 9111 §5.4 deprecates Pragma; browsers still send it)",
        );
    }
    if unqualified(res, "no-cache") {
        return validate(
            why,
            "the response says no-cache: stored, but validated before every use (RFC 9111 §5.2.2.4)",
        );
    }
    let fresh = lifetime > age;
    if fresh {
        if let Some(Ok(n)) = delta(req, "max-age")
            && age > n
        {
            if !x.shared && has(res, "immutable") {
                why.push(format!(
                    "the request's max-age={n} (a reload) is below the age {age}, but the response is fresh and immutable: a browser does not revalidate it (RFC 8246 §2)"
                ));
                return Action::ServeFresh;
            }
            return validate(
                why,
                &format!("the request's max-age={n} is below the age {age} (RFC 9111 §5.2.1.1)"),
            );
        }
        if let Some(Ok(n)) = delta(req, "min-fresh")
            && lifetime - age < n
        {
            return validate(
                why,
                &format!(
                    "the request's min-fresh={n} wants more than the {} s left (RFC 9111 §5.2.1.3)",
                    lifetime - age
                ),
            );
        }
        why.push("fresh: the cache answers from storage, adding Age (RFC 9111 §4.2, §5.1)".into());
        return Action::ServeFresh;
    }
    let staleness = age - lifetime;
    if prohibited.is_none() {
        if let Some(d) = req.iter().find(|d| d.name == "max-stale") {
            // `max-stale` alone accepts any staleness; an unreadable value accepts none.
            let limit = match d.value.as_deref() {
                None => Some(i64::MAX),
                Some(v) => v.parse::<i64>().ok(),
            };
            if limit.is_some_and(|n| staleness <= n) {
                why.push(format!(
                    "the request's max-stale accepts {staleness} s of staleness (RFC 9111 §5.2.1.2)"
                ));
                return Action::ServeStale;
            }
        }
        if swr > 0 && staleness <= swr {
            let conditional = conditional_headers(x);
            why.push(format!(
                "stale by {staleness} s, within stale-while-revalidate={swr}: serve it now, revalidate in the background (RFC 5861 §3)"
            ));
            return Action::StaleWhileRevalidate { conditional };
        }
    }
    if x.origin == Origin::Error {
        if prohibited.is_none() && sie > 0 && staleness <= sie {
            why.push(format!("the origin failed and the response is stale by {staleness} s, within stale-if-error={sie}: serve it stale (RFC 5861 §4)"));
            return Action::StaleIfError;
        }
        if let Some(p) = prohibited {
            why.push(format!(
                "the origin failed and {p}: the cache answers 504 Gateway Timeout (RFC 9111 §5.2.2.2)"
            ));
            return Action::GatewayTimeout;
        }
        why.push("the origin failed and nothing allows a stale answer: the error goes to the client (RFC 9111 §4.2.4)".into());
        return Action::GatewayTimeout;
    }
    let reason = match prohibited {
        Some(p) => format!("stale by {staleness} s and {p}"),
        None => format!("stale by {staleness} s, beyond any allowance to serve it stale (RFC 9111 §4.2.4)"),
    };
    validate(why, &reason)
}
// ANCHOR_END: decide
// ANCHOR_END: analyse

// ANCHOR: parse
/// The settings the tool accepts besides header lines.
pub const SETTINGS: [&str; 5] = ["cache", "request_time", "response_time", "now", "origin"];

/// The instant `t=0` stands for when the response has no `Date`: 2026-11-30 06:00:00 GMT.
const DEFAULT_BASE: i64 = 1_796_018_400;

/// Reads the tool's input: `key = value` settings, and header lines `Name: value` under a
/// section line `request:`, `stored request:` or `response:` (response by default). A status
/// line (`HTTP/1.1 200 OK`) or request line (`GET /a HTTP/1.1`) may start a section. Errors
/// name the line.
pub fn parse(input: &str) -> Result<Exchange, InputError> {
    #[derive(PartialEq)]
    enum Section {
        Request,
        Stored,
        Response,
    }
    let mut section = Section::Response;
    let (mut request, mut stored, mut response) = (Headers::default(), None::<Headers>, Headers::default());
    let (mut method, mut status) = ("GET".to_string(), 200u16);
    let mut settings: Vec<(usize, &str, &str)> = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let line = i + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match text.to_ascii_lowercase().as_str() {
            "request:" => {
                section = Section::Request;
                continue;
            }
            "stored request:" => {
                section = Section::Stored;
                stored.get_or_insert_with(Headers::default);
                continue;
            }
            "response:" => {
                section = Section::Response;
                continue;
            }
            _ => {}
        }
        if let Some(rest) = text.strip_prefix("HTTP/") {
            let code = rest.split_whitespace().nth(1).unwrap_or("");
            status = code.parse().ok().filter(|c| (100..=599).contains(c)).ok_or_else(|| {
                InputError::at_line(line, format!("`{code}` is not a status code (100 to 599)"))
            })?;
            section = Section::Response;
            continue;
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() == 3
            && words[2].starts_with("HTTP/")
            && words[0].bytes().all(|b| b.is_ascii_uppercase())
        {
            if section == Section::Request || section == Section::Response {
                method = words[0].to_string();
                section = Section::Request;
            }
            continue;
        }
        let colon = text.find(':');
        let equals = text.find('=');
        match (colon, equals) {
            (Some(c), e) if e.is_none_or(|e| c < e) => {
                let name = &raw[..raw.find(':').unwrap_or(0)];
                if name.is_empty() || name.trim_start() != name.trim() || name.ends_with([' ', '\t']) {
                    return Err(InputError::at_line(
                        line,
                        "no whitespace is allowed between a field name and its colon (RFC 9112 §5.1)",
                    ));
                }
                let name = name.trim();
                if let Some(bad) = name.chars().find(|c| !is_tchar(*c)) {
                    return Err(InputError::at_line(
                        line,
                        format!("`{bad}` cannot be part of a field name (RFC 9110 §5.1)"),
                    ));
                }
                let value = text[c + 1..].trim().to_string();
                let field = Field { name: name.to_string(), value, line };
                if field.name.eq_ignore_ascii_case("cache-control") {
                    parse_cache_control(&field.value).map_err(|e| InputError::at_line(line, e))?;
                }
                match section {
                    Section::Request => request.0.push(field),
                    Section::Stored => stored.get_or_insert_with(Headers::default).0.push(field),
                    Section::Response => response.0.push(field),
                }
            }
            (_, Some(e)) => {
                let key = text[..e].trim();
                if key.contains(char::is_whitespace) {
                    return Err(InputError::at_line(
                        line,
                        format!(
                            "`{key}` is neither a setting nor a header: a header line needs a colon, `Name: value`"
                        ),
                    ));
                }
                if !SETTINGS.contains(&key) {
                    return Err(InputError::at_line(
                        line,
                        format!(
                            "unknown setting `{key}` (expected one of cache, request_time, response_time, now, origin)"
                        ),
                    ));
                }
                settings.push((line, key, text[e + 1..].trim()));
            }
            _ => {
                return Err(InputError::at_line(
                    line,
                    "expected a header line `Name: value`, a setting `key = value`, or `request:` / `response:`",
                ));
            }
        }
    }
    let base = match response.first("date") {
        Some(f) => parse_http_date(&f.value).ok_or_else(|| {
            InputError::at_line(
                f.line,
                "Date is not an HTTP-date such as `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7)",
            )
        })?,
        None => DEFAULT_BASE,
    };
    let mut shared = true;
    let mut origin = Origin::Up;
    let mut times = [None::<i64>; 3];
    for (line, key, value) in settings {
        let dup = |seen: bool| {
            if seen { Err(InputError::at_line(line, format!("`{key}` is given twice"))) } else { Ok(()) }
        };
        match key {
            "cache" => {
                shared = match value {
                    "shared" => true,
                    "private" => false,
                    _ => {
                        return Err(InputError::at_line(
                            line,
                            "`cache` is `shared` (a CDN, a proxy) or `private` (a browser)",
                        ));
                    }
                }
            }
            "origin" => {
                origin = match value {
                    "up" => Origin::Up,
                    "error" => Origin::Error,
                    _ => {
                        return Err(InputError::at_line(
                            line,
                            "`origin` is `up` or `error` (it answers 500, 502, 503 or 504, or cannot be reached: RFC 5861 §4)",
                        ));
                    }
                }
            }
            _ => {
                let slot =
                    ["request_time", "response_time", "now"].iter().position(|k| *k == key).unwrap_or(0);
                dup(times[slot].is_some())?;
                let secs = match value.parse::<i64>() {
                    Ok(n) if n.abs() <= 100_000_000 => n,
                    _ => match parse_http_date(value) {
                        Some(abs) => abs - base,
                        None => {
                            return Err(InputError::at_line(
                                line,
                                format!(
                                    "`{value}` is neither seconds after t=0 (the response's Date) nor an HTTP-date"
                                ),
                            ));
                        }
                    },
                };
                times[slot] = Some(secs);
            }
        }
    }
    let request_time = times[0].unwrap_or(0);
    let response_time = times[1].unwrap_or(request_time);
    let now = times[2].unwrap_or(response_time);
    if response_time < request_time {
        return Err(InputError::new(
            "response_time is before request_time: a response cannot arrive before it was asked for",
        ));
    }
    if now < response_time {
        return Err(InputError::new(
            "now is before response_time: the cache has not received the response yet",
        ));
    }
    Ok(Exchange {
        shared,
        method,
        status,
        request,
        stored_request: stored,
        response,
        request_time,
        response_time,
        now,
        base,
        origin,
    })
}
// ANCHOR_END: parse

impl Action {
    /// What the cache sends, in one line.
    pub fn describe(&self) -> String {
        let headers = |c: &[(String, String)]| {
            if c.is_empty() {
                "a plain GET (no validator)".to_string()
            } else {
                c.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>().join(", ")
            }
        };
        match self {
            Action::ServeFresh => "serve from cache (fresh), no request to the origin".into(),
            Action::ServeStale => {
                "serve from cache (stale, the client allowed it), no request to the origin".into()
            }
            Action::StaleWhileRevalidate { conditional } => {
                format!(
                    "serve from cache (stale), and revalidate in the background with {}",
                    headers(conditional)
                )
            }
            Action::StaleIfError => "serve from cache (stale), because the origin failed".into(),
            Action::Revalidate { conditional } => {
                format!("revalidate: ask the origin with {}", headers(conditional))
            }
            Action::Forward => {
                "go to the origin with the request as it came (nothing usable to validate)".into()
            }
            Action::GatewayTimeout => {
                "answer with an error, 504 Gateway Timeout or the origin's 5xx (nothing it may serve)".into()
            }
        }
    }

    /// A short name for tables and tests.
    pub fn short(&self) -> &'static str {
        match self {
            Action::ServeFresh => "fresh",
            Action::ServeStale => "stale",
            Action::StaleWhileRevalidate { .. } => "swr",
            Action::StaleIfError => "stale-if-error",
            Action::Revalidate { .. } => "revalidate",
            Action::Forward => "forward",
            Action::GatewayTimeout => "504",
        }
    }
}

/// The report the tool prints: the inputs as the cache saw them, the arithmetic, the decision.
pub fn report(x: &Exchange, a: &Analysis) -> String {
    let mut out = String::new();
    let cache = if x.shared { "shared cache (CDN, proxy)" } else { "private cache (browser)" };
    let _ = writeln!(out, "{cache}; {} {}; t=0 is {}", x.method, x.status, format_http_date(x.base));
    let _ = writeln!(
        out,
        "request sent t={}, response received t={}, now t={}{}",
        x.request_time,
        x.response_time,
        x.now,
        if x.origin == Origin::Error { ", the origin is failing" } else { "" }
    );
    for line in &a.explanation {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out, "decision at t={}: {}", x.now, a.action.describe());
    if a.storable {
        let _ = write!(out, "timeline: fresh t={}..{}", x.response_time, a.fresh_until);
        if a.swr_until > a.fresh_until {
            let _ = write!(out, ", stale-while-revalidate until t={}", a.swr_until);
        }
        if a.sie_until > a.fresh_until {
            let _ = write!(out, ", stale-if-error until t={}", a.sie_until);
        }
        let _ = writeln!(out, ", then revalidate first");
    }
    out
}

#[cfg(test)]
mod tests;
