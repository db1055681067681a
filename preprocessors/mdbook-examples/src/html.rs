//! Escaping for the HTML the preprocessor writes. Everything that puts text into HTML goes
//! through here.

/// A newline inside an HTML replacement. Markdown ends an HTML block at a blank line, so a
/// replacement is one physical line and its newlines are written as this character reference.
pub const NEWLINE: &str = "&#10;";

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `html` as one physical line: each newline written as [`NEWLINE`].
pub fn one_line(html: &str) -> String {
    html.replace('\n', NEWLINE)
}

/// JSON for a `<script type="application/json">` element, with `<` as `\u003c` so that no string
/// in the data can end the element.
pub fn script_json(json: &str) -> String {
    json.replace('<', "\\u003c")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_newlines_and_script_data() {
        assert_eq!(
            escape("<a href=\"x\">Tom & Jerry's</a> é✓"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; é✓"
        );
        assert_eq!(one_line("a\n\nb"), "a&#10;&#10;b");
        assert_eq!(script_json(r#"["</script>"]"#), r#"["\u003c/script>"]"#);
    }
}
