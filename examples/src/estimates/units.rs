//! `estimates::units`: quantities that carry their dimensions, and the estimator's small
//! language over them.
//!
//! A line is `name = expression`, optionally followed by `in UNIT` to fix the unit shown.
//! Numbers take units and multipliers by juxtaposition (`100 M`, `500 B`, `2 /day`,
//! `40 req/user/day`), which binds tighter than `*` and `/`, so `3 GB / 2 s` is
//! (3 GB) / (2 s). Adding or comparing quantities of different dimensions is an error that
//! names the line. The check covers the dimensions written: a count is a plain number unless
//! it says `req` or `user`, and a forgotten x3 (replicas, peak) is invisible to it.

use crate::registry::InputError;

/// The base dimensions: bytes, seconds, requests, users. A quantity's dimension is the vector
/// of exponents (bytes per second is `[1, -1, 0, 0]`); plain numbers (multipliers, ratios,
/// counts written without a unit) have all exponents zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dim(pub [i8; 4]);

const BYTE: Dim = Dim([1, 0, 0, 0]);
const SECOND: Dim = Dim([0, 1, 0, 0]);
const REQ: Dim = Dim([0, 0, 1, 0]);
const USER: Dim = Dim([0, 0, 0, 1]);
const NONE: Dim = Dim([0, 0, 0, 0]);

impl Dim {
    /// Exponents stay within ±8: no estimate needs bytes to the ninth, and the bound keeps a
    /// reader's `B*B*B*…` from overflowing.
    fn checked(e: [i16; 4]) -> Option<Dim> {
        e.iter().all(|x| x.abs() <= 8).then(|| Dim(e.map(|x| x as i8)))
    }
    fn mul(self, o: Dim) -> Option<Dim> {
        Dim::checked(std::array::from_fn(|i| i16::from(self.0[i]) + i16::from(o.0[i])))
    }
    fn div(self, o: Dim) -> Option<Dim> {
        Dim::checked(std::array::from_fn(|i| i16::from(self.0[i]) - i16::from(o.0[i])))
    }
    fn pow(self, n: i8) -> Option<Dim> {
        Dim::checked(self.0.map(|e| i16::from(e) * i16::from(n)))
    }

    /// The dimension in words, for error messages: `bytes`, `time`, `bytes/time`, `1/time`.
    pub fn describe(self) -> String {
        const NAMES: [&str; 4] = ["bytes", "time", "requests", "users"];
        let part = |sign: i8| {
            let mut words = Vec::new();
            for (i, &e) in self.0.iter().enumerate() {
                if e * sign > 0 {
                    let n = (e * sign) as u8;
                    words.push(if n == 1 { NAMES[i].to_string() } else { format!("{}^{n}", NAMES[i]) });
                }
            }
            words.join("·")
        };
        let (num, den) = (part(1), part(-1));
        match (num.is_empty(), den.is_empty()) {
            (true, true) => "a plain number".to_string(),
            (false, true) => num,
            (true, false) => format!("1/{den}"),
            (false, false) => format!("{num}/{den}"),
        }
    }
}

/// A value in base units (bytes, seconds, requests, users) with its dimension.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Q {
    pub value: f64,
    pub dim: Dim,
}

impl Q {
    pub const fn plain(value: f64) -> Q {
        Q { value, dim: NONE }
    }
}

/// The units and multipliers a reader may write: name, size in base units, dimension.
/// Decimal prefixes for bytes (KB = 1,000 B), binary ones with `i` (KiB = 1,024 B).
const UNITS: &[(&str, f64, Dim)] = &[
    ("K", 1e3, NONE),
    ("k", 1e3, NONE),
    ("M", 1e6, NONE),
    ("bn", 1e9, NONE),
    ("%", 0.01, NONE),
    ("B", 1.0, BYTE),
    ("KB", 1e3, BYTE),
    ("kB", 1e3, BYTE),
    ("MB", 1e6, BYTE),
    ("GB", 1e9, BYTE),
    ("TB", 1e12, BYTE),
    ("PB", 1e15, BYTE),
    ("KiB", 1024.0, BYTE),
    ("MiB", 1_048_576.0, BYTE),
    ("GiB", 1_073_741_824.0, BYTE),
    ("TiB", 1_099_511_627_776.0, BYTE),
    ("PiB", 1_125_899_906_842_624.0, BYTE),
    ("bit", 0.125, BYTE),
    ("Kbit", 125.0, BYTE),
    ("Mbit", 125e3, BYTE),
    ("Gbit", 125e6, BYTE),
    ("Tbit", 125e9, BYTE),
    ("ns", 1e-9, SECOND),
    ("us", 1e-6, SECOND),
    ("µs", 1e-6, SECOND),
    ("ms", 1e-3, SECOND),
    ("s", 1.0, SECOND),
    ("min", 60.0, SECOND),
    ("h", 3_600.0, SECOND),
    ("day", 86_400.0, SECOND),
    ("week", 604_800.0, SECOND),
    ("month", 2_628_000.0, SECOND), // a twelfth of a 365-day year, so 12 month = 1 year
    ("year", 31_536_000.0, SECOND),
    ("req", 1.0, REQ),
    ("user", 1.0, USER),
];

fn unit(name: &str) -> Option<Q> {
    UNITS.iter().find(|u| u.0 == name).map(|&(_, value, dim)| Q { value, dim })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Op(char),
}

fn tokenize(text: &str, line: usize) -> Result<Vec<Tok>, InputError> {
    let mut toks = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            // An exponent: 1e6, 2.5E-3 (but not `1 ex...`: the e must be followed by a digit).
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let sign = usize::from(matches!(chars.get(i + 1), Some('+' | '-')));
                if chars.get(i + 1 + sign).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1 + sign;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let word: String = chars[start..i].iter().filter(|&&c| c != '_').collect();
            // Two numbers side by side would multiply (`100 000` = 0, `1 500 B` = 500 B): refuse.
            if matches!(toks.last(), Some(Tok::Num(_))) {
                return Err(InputError::at_line(
                    line,
                    format!("a number right after a number (`{word}`): write 100_000 or 100 K, not 100 000"),
                ));
            }
            let value: f64 =
                word.parse().map_err(|_| InputError::at_line(line, format!("`{word}` is not a number")))?;
            toks.push(Tok::Num(value));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Name(chars[start..i].iter().collect()));
        } else if c == '%' {
            toks.push(Tok::Name("%".into()));
            i += 1;
        } else if "+-*/^(),".contains(c) {
            toks.push(Tok::Op(c));
            i += 1;
        } else {
            return Err(InputError::at_line(line, format!("unexpected `{c}`")));
        }
    }
    Ok(toks)
}

/// The variables defined so far, in order.
pub type Env = Vec<(String, Q)>;

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
    line: usize,
    env: &'a Env,
    /// Nesting of parentheses and calls, bounded so a reader's `((((…` cannot exhaust the stack.
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, msg: impl Into<String>) -> InputError {
        InputError::at_line(self.line, msg)
    }
    fn dim(&self, d: Option<Dim>) -> Result<Dim, InputError> {
        d.ok_or_else(|| self.err("a unit raised beyond the 8th power: check the expression"))
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat(&mut self, op: char) -> bool {
        if self.peek() == Some(&Tok::Op(op)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    // ANCHOR: dims
    fn expr(&mut self) -> Result<Q, InputError> {
        let mut left = self.term()?;
        loop {
            let sign = if self.eat('+') {
                1.0
            } else if self.eat('-') {
                -1.0
            } else {
                return Ok(left);
            };
            let right = self.term()?;
            if left.dim != right.dim {
                return Err(self.err(format!(
                    "cannot {} {} and {}: the dimensions differ",
                    if sign > 0.0 { "add" } else { "subtract" },
                    left.dim.describe(),
                    right.dim.describe()
                )));
            }
            left.value += sign * right.value;
        }
    }

    fn term(&mut self) -> Result<Q, InputError> {
        let mut left = self.unary()?;
        loop {
            if self.eat('*') {
                let r = self.unary()?;
                left = Q { value: left.value * r.value, dim: self.dim(left.dim.mul(r.dim))? };
            } else if self.eat('/') {
                let r = self.unary()?;
                if r.value == 0.0 {
                    return Err(self.err("division by zero"));
                }
                left = Q { value: left.value / r.value, dim: self.dim(left.dim.div(r.dim))? };
            } else {
                return Ok(left);
            }
        }
    }
    // ANCHOR_END: dims

    fn unary(&mut self) -> Result<Q, InputError> {
        let mut negative = false;
        while self.eat('-') {
            negative = !negative; // a loop, not recursion: `------x` cannot exhaust the stack
        }
        if negative {
            let q = self.unary()?;
            return Ok(Q { value: -q.value, ..q });
        }
        // Juxtaposition: `100 M`, `2 req`, `(a) b` multiply, tighter than `*` and `/`.
        let mut q = self.power()?;
        while matches!(self.peek(), Some(Tok::Num(_) | Tok::Name(_) | Tok::Op('('))) {
            if matches!(self.peek(), Some(Tok::Name(n)) if n == "in") {
                break;
            }
            let r = self.power()?;
            q = Q { value: q.value * r.value, dim: self.dim(q.dim.mul(r.dim))? };
        }
        Ok(q)
    }

    fn power(&mut self) -> Result<Q, InputError> {
        let base = self.primary()?;
        if !self.eat('^') {
            return Ok(base);
        }
        let negative = self.eat('-');
        let Some(Tok::Num(n)) = self.peek().cloned() else {
            return Err(self.err("`^` needs a number after it, such as 2^40"));
        };
        self.pos += 1;
        let n = if negative { -n } else { n };
        if base.dim != NONE && (n.fract() != 0.0 || n.abs() > 4.0) {
            return Err(
                self.err(format!("{} can only be raised to a whole power up to 4", base.dim.describe()))
            );
        }
        Ok(Q { value: base.value.powf(n), dim: self.dim(base.dim.pow(n as i8))? })
    }

    fn primary(&mut self) -> Result<Q, InputError> {
        match self.peek().cloned() {
            Some(Tok::Num(v)) => {
                self.pos += 1;
                Ok(Q::plain(v))
            }
            Some(Tok::Op('(')) => {
                self.pos += 1;
                self.depth += 1;
                if self.depth > 32 {
                    return Err(self.err("parentheses nested more than 32 deep"));
                }
                let q = self.expr()?;
                self.depth -= 1;
                if !self.eat(')') {
                    return Err(self.err("missing `)`"));
                }
                Ok(q)
            }
            Some(Tok::Name(name)) => {
                self.pos += 1;
                if self.peek() == Some(&Tok::Op('(')) && ["ceil", "max", "min"].contains(&name.as_str()) {
                    return self.call(&name);
                }
                if let Some((_, q)) = self.env.iter().rev().find(|(n, _)| *n == name) {
                    return Ok(*q);
                }
                unit(&name)
                    .ok_or_else(|| self.err(format!("`{name}` is neither a unit nor a name defined above")))
            }
            Some(Tok::Op(c)) => Err(self.err(format!("unexpected `{c}`"))),
            None => Err(self.err("the expression ends too early")),
        }
    }

    fn call(&mut self, name: &str) -> Result<Q, InputError> {
        self.pos += 1; // `(`
        self.depth += 1;
        if self.depth > 32 {
            return Err(self.err("calls nested more than 32 deep"));
        }
        let mut args = vec![self.expr()?];
        while self.eat(',') {
            args.push(self.expr()?);
        }
        if !self.eat(')') {
            return Err(self.err("missing `)`"));
        }
        self.depth -= 1;
        match (name, args.as_slice()) {
            ("ceil", [q]) if q.dim == NONE => Ok(Q::plain(ceil12(q.value))),
            ("ceil", [q]) => Err(self.err(format!(
                "ceil() takes a plain number, not {}: divide by a unit first, e.g. ceil(x / (1 GB))",
                q.dim.describe()
            ))),
            ("max" | "min", [a, b]) if a.dim == b.dim => {
                Ok(if (name == "max") == (a.value >= b.value) { *a } else { *b })
            }
            ("max" | "min", [a, b]) => Err(self.err(format!(
                "cannot compare {} with {}: the dimensions differ",
                a.dim.describe(),
                b.dim.describe()
            ))),
            _ => Err(self
                .err(format!("{name}() takes {}", if name == "ceil" { "one value" } else { "two values" }))),
        }
    }
}

/// `ceil` after rounding to 12 significant digits: floating-point error must not add a
/// machine (`50 M * 7 %` is 3,500,000.0000000005, whose plain ceiling is one too many).
pub fn ceil12(x: f64) -> f64 {
    format!("{x:.11e}").parse::<f64>().unwrap_or(x).ceil()
}

/// One evaluated line: its number, name, value and the unit it should be shown in, if the
/// reader chose one.
#[derive(Debug, Clone)]
pub struct Line {
    pub line: usize,
    pub name: String,
    pub expr: String,
    pub q: Q,
    pub shown_in: Option<(String, Q)>,
}

/// Evaluates every `name = expression [in UNIT]` line of `input`, in order.
pub fn evaluate(input: &str) -> Result<Vec<Line>, InputError> {
    let mut env: Env = Vec::new();
    let mut lines = Vec::new();
    for (index, raw) in input.lines().enumerate() {
        let line = index + 1;
        let text = raw.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let (name, expr) =
            text.split_once('=').ok_or_else(|| InputError::at_line(line, "expected `name = expression`"))?;
        let name = name.trim();
        let valid = name.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !valid {
            return Err(InputError::at_line(line, format!("`{name}` is not a name (letters, digits, _)")));
        }
        if unit(name).is_some() || ["in", "ceil", "max", "min"].contains(&name) {
            return Err(InputError::at_line(
                line,
                format!("`{name}` is a unit or a keyword; choose another name"),
            ));
        }
        if env.iter().any(|(n, _)| n == name) {
            return Err(InputError::at_line(line, format!("`{name}` is defined twice")));
        }
        let toks = tokenize(expr, line)?;
        if toks.is_empty() {
            return Err(InputError::at_line(line, format!("`{name}` has no value")));
        }
        let mut p = Parser { toks: &toks, pos: 0, line, env: &env, depth: 0 };
        let q = p.expr()?;
        let mut shown_in = None;
        if p.peek() == Some(&Tok::Name("in".into())) {
            p.pos += 1;
            if matches!(p.peek(), Some(Tok::Num(_))) {
                return Err(InputError::at_line(
                    line,
                    "after `in`, write a unit without a number: `in GB`, `in /s`",
                ));
            }
            // `in /s` reads as `in 1/s`.
            let u = if p.eat('/') {
                let d = p.unary()?;
                Q { value: 1.0 / d.value, dim: p.dim(NONE.div(d.dim))? }
            } else {
                p.expr()?
            };
            if u.value == 0.0 || !u.value.is_finite() {
                return Err(InputError::at_line(line, "the unit after `in` must be a nonzero size"));
            }
            if u.dim != q.dim {
                return Err(InputError::at_line(
                    line,
                    format!(
                        "`{name}` is {}, which cannot be shown in {}",
                        q.dim.describe(),
                        u.dim.describe()
                    ),
                ));
            }
            let words = expr.split(" in ").nth(1).map(str::trim).unwrap_or("").to_string();
            shown_in = Some((words, u));
        }
        if p.pos < toks.len() {
            return Err(InputError::at_line(line, format!("unexpected `{}`", show_tok(&toks[p.pos]))));
        }
        if !q.value.is_finite() {
            return Err(InputError::at_line(line, format!("`{name}` is not a finite number")));
        }
        let expr = expr.split(" in ").next().unwrap_or("").trim().to_string();
        lines.push(Line { line, name: name.to_string(), expr, q, shown_in });
        env.push((name.to_string(), q));
    }
    if lines.is_empty() {
        return Err(InputError::new("no lines to evaluate: write `name = expression`"));
    }
    Ok(lines)
}

fn show_tok(t: &Tok) -> String {
    match t {
        Tok::Num(v) => v.to_string(),
        Tok::Name(n) => n.clone(),
        Tok::Op(c) => c.to_string(),
    }
}

// ANCHOR: format
/// Three significant figures, with thousands separators above 1,000.
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    let s = if a == 0.0 {
        "0".to_string()
    } else if a >= 100.0 {
        group(format!("{x:.0}"))
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a >= 0.001 {
        let digits = if a >= 0.1 {
            3
        } else if a >= 0.01 {
            4
        } else {
            5
        };
        format!("{x:.digits$}")
    } else {
        format!("{x:.2e}")
    };
    trim_zeros(s)
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn group(digits: String) -> String {
    let (sign, digits) = digits.strip_prefix('-').map_or(("", digits.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// A plain number with a K, M or bn multiplier: `23.1 K`, `182 bn`.
fn counted(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{} bn", sig3(x / 1e9))
    } else if a >= 1e6 {
        format!("{} M", sig3(x / 1e6))
    } else if a >= 1e4 {
        format!("{} K", sig3(x / 1e3))
    } else {
        sig3(x)
    }
}

/// The largest of `scale` whose size is at most |x| (or the smallest).
fn pick(x: f64, scale: &[(&'static str, f64)]) -> (&'static str, f64) {
    let a = x.abs();
    scale.iter().rev().find(|(_, size)| a >= *size * 0.9995).copied().unwrap_or(scale[0])
}

const BYTES: &[(&str, f64)] =
    &[("B", 1.0), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("PB", 1e15), ("EB", 1e18)];
const BITS: &[(&str, f64)] =
    &[("bit", 0.125), ("Kbit", 125.0), ("Mbit", 125e3), ("Gbit", 125e6), ("Tbit", 125e9)];
const TIMES: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("min", 60.0),
    ("h", 3_600.0),
    ("days", 86_400.0),
    ("years", 31_536_000.0),
];

/// A quantity in the unit a reader expects for its dimension: bytes in KB…PB, times in
/// ns…years, rates per second (per day when slower than one a second), bandwidth in MB/s and
/// Gbit/s. Requests and users, when the reader wrote them, are named after the number.
pub fn show(q: Q) -> String {
    let [b, s, r, u] = q.dim.0;
    let counts = |sign: i8| {
        let mut parts = Vec::new();
        for (e, name) in [(r, "req"), (u, "user")] {
            if e * sign == 1 {
                parts.push(name.to_string());
            } else if e * sign > 1 {
                parts.push(format!("{name}^{}", e * sign));
            }
        }
        parts
    };
    let (up, down) = (counts(1), counts(-1));
    let with_counts = |number: String, unit_up: &str, unit_down: &str| {
        let mut num: Vec<String> = Vec::new();
        if !unit_up.is_empty() {
            num.push(unit_up.to_string());
        }
        num.extend(up.iter().cloned());
        // Counts before the time: `req/user/day`, as a reader writes it.
        let mut den: Vec<String> = down.clone();
        if !unit_down.is_empty() {
            den.push(unit_down.to_string());
        }
        let mut label = num.join("·");
        if !den.is_empty() {
            label = format!("{label}/{}", den.join("/"));
        }
        if label.is_empty() { number } else { format!("{number} {label}") }
    };
    match (b, s) {
        (0, 0) => with_counts(counted(q.value), "", ""),
        (1, 0) => {
            let (name, size) = pick(q.value, BYTES);
            with_counts(sig3(q.value / size), name, "")
        }
        (0, 1) => {
            let (name, size) = pick(q.value, TIMES);
            with_counts(sig3(q.value / size), name, "")
        }
        (0, -1) => {
            // Rates: per second and per day side by side (a day is 86,400 s); slower than one
            // a second, per day only (per year below one a day).
            let day = with_counts(counted(q.value * 86_400.0), "", "day");
            if q.value.abs() >= 1.0 {
                format!("{} = {day}", with_counts(counted(q.value), "", "s"))
            } else if q.value.abs() * 86_400.0 >= 0.9995 || q.value == 0.0 {
                day
            } else {
                with_counts(sig3(q.value * 31_536_000.0), "", "year")
            }
        }
        (1, -1) => {
            let (name, size) = pick(q.value, BYTES);
            let (bits, bsize) = pick(q.value, BITS);
            let main = with_counts(sig3(q.value / size), name, "s");
            if up.is_empty() && down.is_empty() {
                format!("{main} = {} {bits}/s", sig3(q.value / bsize))
            } else {
                main
            }
        }
        _ => {
            let mut num = Vec::new();
            let mut den = Vec::new();
            for (e, name) in [(b, "B"), (s, "s")] {
                let part = if e.abs() == 1 { name.to_string() } else { format!("{name}^{}", e.abs()) };
                if e > 0 {
                    num.push(part);
                } else if e < 0 {
                    den.push(part);
                }
            }
            with_counts(sig3(q.value), &num.join("·"), &den.join("·"))
        }
    }
}
// ANCHOR_END: format

/// The evaluated lines as the estimator prints them: `name = value   (expression)`.
pub fn render(lines: &[Line]) -> String {
    let width = lines.iter().map(|l| l.name.chars().count()).max().unwrap_or(0);
    let shown: Vec<String> = lines
        .iter()
        .map(|l| match &l.shown_in {
            Some((words, u)) => format!("{} {words}", sig3(l.q.value / u.value)),
            None => show(l.q),
        })
        .collect();
    let vwidth = shown.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (l, value) in lines.iter().zip(&shown) {
        // A plain assumption (`object = 500 B`) needs no working beside it.
        let literal = l
            .expr
            .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '.')
            .all(|w| w.is_empty() || unit(w).is_some() || w.replace('_', "").parse::<f64>().is_ok());
        let pad = width - l.name.chars().count();
        let vpad = vwidth - value.chars().count();
        if literal {
            out.push_str(&format!("{}{} = {value}\n", l.name, " ".repeat(pad)));
        } else {
            out.push_str(&format!(
                "{}{} = {value}{}   ({})\n",
                l.name,
                " ".repeat(pad),
                " ".repeat(vpad),
                l.expr
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Random inputs built from the language's own pieces (and some junk) never panic, and any
    /// value they produce is finite; errors name a line of the input.
    #[test]
    fn random_inputs_give_values_or_line_errors() {
        const PIECES: &[&str] = &[
            "1", "2.5", "1e6", "100", "0", "M", "K", "%", "B", "GB", "KiB", "Gbit", "s", "ms", "day", "year",
            "req", "user", "a", "b", "c", "+", "-", "*", "/", "^", "^2", "(", ")", "ceil(", "max(", ",",
            " in ", "/s", "TB", "=", "#", "x", "µs",
        ];
        for seed in 0..5_000u64 {
            let mut rng = Rng::new(seed);
            let mut input = String::new();
            for (k, name) in ["a", "b", "c"].iter().enumerate() {
                input.push_str(&format!("{name} = "));
                for _ in 0..rng.range(1, 8) {
                    input.push_str(PIECES[rng.range(0, PIECES.len() as u64 - 1) as usize]);
                    input.push(' ');
                }
                if k < 2 || rng.chance(0.5) {
                    input.push('\n');
                }
            }
            match evaluate(&input) {
                Ok(lines) => {
                    assert!(lines.iter().all(|l| l.q.value.is_finite()), "{input}");
                    let _ = render(&lines);
                }
                Err(e) => assert!(e.line.is_some_and(|l| l <= 3), "seed {seed}: {e} for {input:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_and_huge_powers_are_errors() {
        assert!(evaluate(&format!("x = {}1{}", "(".repeat(10_000), ")".repeat(10_000))).is_err());
        assert!(evaluate(&format!("x = {}1", "-".repeat(100_000))).is_ok());
        assert!(evaluate(&format!("x = 1 {}", "* B ".repeat(200))).is_err());
        assert!(evaluate("x = 1 B ^ 4 ^ 4\n").is_err());
    }

    #[test]
    fn numbers_side_by_side_are_errors() {
        for bad in ["x = 100 000\n", "x = 1 500 B\n", "a = 1\nx = 2 3 GB\n"] {
            let e = evaluate(bad).unwrap_err();
            assert!(e.to_string().contains("write 100_000 or 100 K"), "{bad}: {e}");
        }
        assert_eq!(evaluate("x = 100_000\n").unwrap()[0].q.value, 100_000.0);
        assert_eq!(evaluate("x = 2 * 3 GB\n").unwrap()[0].q.value, 6e9);
    }

    /// Floating-point error must not add a machine: 50 M x 7 % is 3,500,000.0000000005.
    #[test]
    fn ceil_ignores_floating_point_dust() {
        for pct in [7, 14, 28, 55] {
            let lines = evaluate(&format!("online = 50 M * {pct} %\ng = ceil(online / (100 K))\n")).unwrap();
            assert_eq!(lines[1].q.value, f64::from(5 * pct), "{pct} %"); // 35, 70, 140, 275
        }
        assert_eq!(evaluate("x = ceil(3.2)\n").unwrap()[0].q.value, 4.0);
        assert_eq!(evaluate("x = ceil(3.000001)\n").unwrap()[0].q.value, 4.0);
    }

    #[test]
    fn in_needs_a_nonzero_unit_and_months_make_a_year() {
        assert!(evaluate("x = 5 GB in 2 GB\n").unwrap_err().to_string().contains("without a number"));
        assert!(evaluate("x = 5 GB in 0 GB\n").is_err());
        assert!(evaluate("z = 0 GB\nx = 5 GB in z\n").is_err());
        let twelve = evaluate("x = 12 month in year\n").unwrap();
        assert_eq!(render(&twelve), "x = 1 year\n");
        assert_eq!(evaluate("x = 3 kB\n").unwrap()[0].q.value, 3000.0);
    }

    /// Multiplying then dividing by the same quantity gives back the dimension it started with.
    #[test]
    fn dimensions_cancel() {
        for (u, _, d) in UNITS {
            let lines = evaluate(&format!("x = 3 {u} * 7 GB / (7 GB)\n")).unwrap();
            assert_eq!(lines[0].q.dim, *d, "{u}");
        }
    }
}
