//! The chapter's service: a small library catalogue. The REST and gRPC servers of `live` both
//! call this, so the two APIs differ only in how they put the same operations on the wire.

use std::collections::BTreeMap;

use super::protobuf::Book;

/// The catalogue the servers start with.
pub fn seed() -> Catalogue {
    let mut c = Catalogue::default();
    for (title, author, year) in [
        ("Dune", "Frank Herbert", 1965),
        ("The Left Hand of Darkness", "Ursula K. Le Guin", 1969),
        ("Neuromancer", "William Gibson", 1984),
        ("Kindred", "Octavia E. Butler", 1979),
        ("Solaris", "Stanisław Lem", 1961),
        ("The Dispossessed", "Ursula K. Le Guin", 1974),
        ("Hyperion", "Dan Simmons", 1989),
    ] {
        c.create(title, author, year);
    }
    c
}

#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    books: BTreeMap<u64, Book>,
    next_id: u64,
}

// ANCHOR: catalogue
impl Catalogue {
    pub fn get(&self, id: u64) -> Option<&Book> {
        self.books.get(&id)
    }

    /// Creates a book with the next id: not idempotent, two calls make two books.
    pub fn create(&mut self, title: &str, author: &str, year: u32) -> Book {
        self.next_id += 1;
        let book = Book { id: self.next_id, title: title.into(), author: author.into(), year, tags: vec![] };
        self.books.insert(book.id, book.clone());
        book
    }

    /// Puts the book at `id` whatever was there: idempotent, the second call changes nothing.
    /// True when it created the book.
    pub fn put(&mut self, book: Book) -> bool {
        self.next_id = self.next_id.max(book.id);
        self.books.insert(book.id, book).is_none()
    }

    /// Deletes the book at `id`: true when there was one. Idempotent: a second call finds
    /// nothing and changes nothing (the API answers 404 where the first answered 204).
    pub fn delete(&mut self, id: u64) -> bool {
        self.books.remove(&id).is_some()
    }

    /// Keyset pagination: the books with an id after the cursor, in id order, and the cursor of
    /// the next page when there may be one. The cost does not grow with how deep the page is,
    /// and a book added or removed elsewhere does not shift the next page.
    pub fn page_after(&self, after: Option<u64>, limit: usize) -> (Vec<Book>, Option<String>) {
        let start = after.map_or(0, |a| a + 1);
        let page: Vec<Book> = self.books.range(start..).take(limit).map(|(_, b)| b.clone()).collect();
        let next = (page.len() == limit && self.books.range(start..).nth(limit).is_some())
            .then(|| cursor(page.last().expect("a full page").id));
        (page, next)
    }
}

/// The server's secret for signing cursors (a real server loads it from its secret store and
/// can rotate it, since cursors are short-lived).
const CURSOR_KEY: &[u8] = b"library catalogue: cursor signing key";

/// The cursor a client gets back and sends again: base64url of a format byte, the last id
/// (8 bytes) and the first 8 bytes of an HMAC-SHA-256 over both. Opaque, so the server can
/// change what it holds; signed, so a client cannot forge or edit one.
pub fn cursor(last_id: u64) -> String {
    let mut raw = vec![1u8];
    raw.extend_from_slice(&last_id.to_be_bytes());
    let mac = crate::tls::crypto::hmac(CURSOR_KEY, &raw);
    raw.extend_from_slice(&mac[..8]);
    base64url(&raw)
}

/// The last id a cursor holds, or why it is not one of ours.
pub fn parse_cursor(text: &str) -> Result<u64, String> {
    let raw = unbase64url(text)
        .filter(|r| r.len() == 17 && r[0] == 1)
        .ok_or_else(|| format!("cursor {text:?} is not one this server issued"))?;
    let mac = crate::tls::crypto::hmac(CURSOR_KEY, &raw[..9]);
    // Compared without an early exit, so the time taken does not say how many bytes matched.
    if mac[..8].iter().zip(&raw[9..]).fold(0, |acc, (a, b)| acc | (a ^ b)) != 0 {
        return Err(format!("cursor {text:?} has been altered: its signature does not match"));
    }
    Ok(u64::from_be_bytes(raw[1..9].try_into().expect("8 bytes")))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5): safe in a URL query as it is.
fn base64url(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in text.bytes() {
        acc = acc << 6 | B64.iter().position(|&b| b == c)? as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
// ANCHOR_END: catalogue

/// A book as JSON, keys in a fixed order.
pub fn book_json(b: &Book) -> String {
    format!(
        "{{\"id\":{},\"title\":{},\"author\":{},\"year\":{}}}",
        b.id,
        json_string(&b.title),
        json_string(&b.author),
        b.year
    )
}

pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Why a body was refused: `Malformed` is not JSON this parser reads (400 Bad Request);
/// `Invalid` is well-formed but breaks the API's rules, such as a missing year (422).
#[derive(Debug, PartialEq)]
pub enum BodyError {
    Malformed(String),
    Invalid(String),
}

/// The body of `POST /books` or `PUT /books/{id}`: a flat JSON object of strings and
/// non-negative integers, which is all this API accepts (a real service would use serde).
pub fn parse_book_json(text: &str) -> Result<(String, String, u32), BodyError> {
    let (title, author, year) = parse_fields(text).map_err(BodyError::Malformed)?;
    let (title, author, year) = (
        title.ok_or(BodyError::Invalid("missing \"title\"".into()))?,
        author.ok_or(BodyError::Invalid("missing \"author\"".into()))?,
        year.ok_or(BodyError::Invalid("missing \"year\"".into()))?,
    );
    if year > 2100 {
        return Err(BodyError::Invalid(format!("year {year} is in the future")));
    }
    Ok((title, author, year))
}

type Fields = (Option<String>, Option<String>, Option<u32>);

fn parse_fields(text: &str) -> Result<Fields, String> {
    let mut s = text.trim().strip_prefix('{').ok_or("expected a JSON object")?.trim_start();
    let (mut title, mut author, mut year) = (None, None, None);
    while !s.starts_with('}') {
        let (key, rest) = string_at(s)?;
        s = rest.trim_start().strip_prefix(':').ok_or("expected `:` after a key")?.trim_start();
        if s.starts_with('"') {
            let (value, rest) = string_at(s)?;
            match key.as_str() {
                "title" => title = Some(value),
                "author" => author = Some(value),
                _ => return Err(format!("unknown field {key:?}")),
            }
            s = rest;
        } else {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            let n: u32 =
                digits.parse().map_err(|_| format!("field {key:?}: expected a string or a number"))?;
            if key != "year" {
                return Err(format!("field {key:?} is not a number field"));
            }
            year = Some(n);
            s = &s[digits.len()..];
        }
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix(',') {
            s = rest.trim_start();
        }
    }
    Ok((title, author, year))
}

fn string_at(s: &str) -> Result<(String, &str), String> {
    let body = s.strip_prefix('"').ok_or("expected a string")?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, '"')) => out.push('"'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, 'n')) => out.push('\n'),
                _ => return Err("unsupported escape in a string".into()),
            },
            c => out.push(c),
        }
    }
    Err("unterminated string".into())
}

/// A strong validator for a representation: FNV-1a of its bytes, quoted (RFC 9110 §8.8.3).
pub fn etag(body: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_pages_and_cursors() {
        let c = seed();
        let (p1, next) = c.page_after(None, 3);
        assert_eq!(p1.iter().map(|b| b.id).collect::<Vec<_>>(), [1, 2, 3]);
        let after = parse_cursor(next.as_deref().unwrap()).unwrap();
        assert_eq!(after, 3);
        for id in [0, 1, 255, u64::MAX] {
            assert_eq!(parse_cursor(&cursor(id)), Ok(id));
        }
        // One character changed: the signature no longer matches.
        let mut forged = cursor(3).into_bytes();
        forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert!(parse_cursor(&forged).unwrap_err().contains("altered"), "{forged}");
        let (p3, next) = c.page_after(Some(6), 3);
        assert_eq!((p3.len(), next), (1, None));
        assert_eq!(c.page_after(Some(after), 3).0[0].id, 4);
        assert!(parse_cursor("3").is_err() && parse_cursor("v1.zz").is_err());
        assert!(matches!(parse_book_json("{\"title\" 1}"), Err(BodyError::Malformed(_))));
        let (title, author, year) =
            parse_book_json(r#"{"title": "A \"B\"", "author":"C", "year": 2001}"#).unwrap();
        assert_eq!((title.as_str(), author.as_str(), year), ("A \"B\"", "C", 2001));
        assert_eq!(
            parse_book_json(r#"{"title":"A","author":"C"}"#),
            Err(BodyError::Invalid("missing \"year\"".into()))
        );
        assert_eq!(
            book_json(c.get(1).unwrap()),
            r#"{"id":1,"title":"Dune","author":"Frank Herbert","year":1965}"#
        );
    }
}
