//! What the byte views of Part II share (TLS records, DNS messages, WebSocket frames, protobuf
//! messages): the reader's input cut into cases at `---` lines, and one decoded field per line,
//! its offset, its first bytes and its meaning indented by depth.

use crate::InputError;

/// One case of a byte view's input.
pub struct Case<'a> {
    /// The number of the case's first line in the whole input (1-based).
    pub first: usize,
    /// Its lines with their numbers in the whole input.
    pub lines: Vec<(usize, &'a str)>,
}

impl Case<'_> {
    /// The case's lines joined, one per input line, so that line k of the text is input line
    /// `first + k - 1`.
    pub fn text(&self) -> String {
        self.lines.iter().map(|(_, line)| format!("{line}\n")).collect()
    }
}

/// Cuts `input` into cases at lines that are exactly `---` (spaces aside), drops the cases with
/// nothing outside `#` comments, and refuses none (`empty` says what to write) or more than
/// `most` (`noun` names them: "cases", "messages").
pub fn cases<'a>(input: &'a str, most: usize, noun: &str, empty: &str) -> Result<Vec<Case<'a>>, InputError> {
    let mut cases = vec![Case { first: 1, lines: Vec::new() }];
    for (i, line) in input.lines().enumerate() {
        if line.trim() == "---" {
            cases.push(Case { first: i + 2, lines: Vec::new() });
        } else {
            cases.last_mut().expect("one case at least").lines.push((i + 1, line));
        }
    }
    cases.retain(|case| {
        case.lines.iter().any(|(_, line)| !line.split('#').next().unwrap_or("").trim().is_empty())
    });
    if cases.is_empty() {
        return Err(InputError::new(empty));
    }
    if cases.len() > most {
        return Err(InputError::at_line(cases[most].first, format!("at most {most} {noun}")));
    }
    Ok(cases)
}

/// One decoded field as a line of the view: its offset, its first `shown` bytes in hex (then
/// `…` when it has more) padded to `width`, and its meaning indented two spaces per depth.
pub fn field_row(
    bytes: &[u8],
    at: usize,
    len: usize,
    depth: usize,
    text: &str,
    shown: usize,
    width: usize,
) -> String {
    let hex: Vec<String> = bytes[at.min(bytes.len())..(at + len).min(bytes.len())]
        .iter()
        .take(shown)
        .map(|b| format!("{b:02x}"))
        .collect();
    let more = if len > shown { " …" } else { "" };
    format!("{at:4}  {:<width$} {}{text}\n", format!("{}{more}", hex.join(" ")), "  ".repeat(depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_keep_their_line_numbers_and_skip_comment_only_ones() {
        let input = "aa bb\n# only a comment\n---\n# title\ncc\n---\n\n";
        let found = cases(input, 5, "cases", "none").unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].first, found[1].first), (1, 4));
        assert_eq!(found[1].lines, [(4, "# title"), (5, "cc")]);
        assert_eq!(found[1].text(), "# title\ncc\n");
        assert!(cases("# nothing\n---\n", 5, "cases", "none").is_err());
        let many = cases("a\n---\nb\n---\nc\n", 2, "messages", "none").err().unwrap();
        assert!(format!("{many:?}").contains("at most 2 messages"), "{many:?}");
    }

    #[test]
    fn a_field_row_shows_its_offset_first_bytes_and_meaning() {
        let bytes = [0x16, 0x03, 0x01, 0x00, 0xc4, 0x01, 0x00, 0x00, 0xc0];
        assert_eq!(field_row(&bytes, 0, 1, 0, "handshake", 6, 20), "   0  16                   handshake\n");
        assert_eq!(field_row(&bytes, 1, 8, 1, "rest", 6, 20), "   1  03 01 00 c4 01 00 …    rest\n");
        // A field that runs past the bytes shows what there is.
        assert_eq!(field_row(&bytes, 8, 4, 0, "cut", 6, 20), "   8  c0                   cut\n");
    }
}
