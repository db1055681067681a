//! Rewrites the SVG merman draws into the one a page embeds: colours as the theme's CSS custom
//! properties, every id unique on the page (and in print.html, which holds every chapter), an
//! accessible name, a width the page's CSS can scale, and one physical line.
//!
//! merman writes well-formed XML on one line: tags with double-quoted attributes, text with
//! `&…;` references, and one `<style>`. This module reads exactly that.

use std::collections::HashMap;
use std::ops::Range;

use super::palette::{self, Theming};
use crate::html::escape;

/// The SVG, rewritten, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub svg: String,
    /// What kind of diagram it is, for people: "Flowchart", "Sequence diagram", …
    pub kind: &'static str,
    /// Every text of the diagram, in document order, without repeats.
    pub labels: Vec<String>,
    /// Colours that [`palette::theming`] does not know (left as they are).
    pub unknown_colours: Vec<String>,
}

/// One piece of the SVG source.
enum Piece<'a> {
    /// `<name attr="value" …>` or `<name …/>`.
    Open {
        name: &'a str,
        attributes: Vec<(&'a str, &'a str)>,
        self_closing: bool,
    },
    Close {
        name: &'a str,
    },
    Text(&'a str),
    /// The content of `<style>`.
    Css(&'a str),
    /// Anything else (`<!-- -->`, `<?…?>`), copied.
    Other(&'a str),
}

fn pieces(svg: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = svg;
    let mut in_style = false;
    while !rest.is_empty() {
        if in_style {
            let end = rest.find("</style>").unwrap_or(rest.len());
            out.push(Piece::Css(&rest[..end]));
            rest = &rest[end..];
            in_style = false;
            continue;
        }
        let Some(lt) = rest.find('<') else {
            out.push(Piece::Text(rest));
            break;
        };
        if lt > 0 {
            out.push(Piece::Text(&rest[..lt]));
            rest = &rest[lt..];
        }
        let end = tag_end(rest);
        let tag = &rest[..end];
        rest = &rest[end..];
        if let Some(name) = tag.strip_prefix("</") {
            out.push(Piece::Close { name: name.trim_end_matches('>').trim() });
        } else if tag.starts_with("<!") || tag.starts_with("<?") {
            out.push(Piece::Other(tag));
        } else {
            let self_closing = tag.ends_with("/>");
            let inner = tag[1..].trim_end_matches('>').trim_end_matches('/');
            let name_end = inner.find(|c: char| c.is_whitespace()).unwrap_or(inner.len());
            let name = &inner[..name_end];
            in_style = name == "style" && !self_closing;
            out.push(Piece::Open { name, attributes: attributes(&inner[name_end..]), self_closing });
        }
    }
    out
}

/// The length of the tag at the start of `text`, up to its `>` outside quotes.
fn tag_end(text: &str) -> usize {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return i + 1,
            _ => {}
        }
    }
    text.len()
}

/// `name="value"` pairs (values raw, still escaped).
fn attributes(text: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let Some(quote) = after.chars().next().filter(|c| matches!(c, '"' | '\'')) else { break };
        let Some(close) = after[1..].find(quote) else { break };
        found.push((name, &after[1..1 + close]));
        rest = &after[close + 2..];
    }
    found
}

/// Rewrites merman's SVG, drawn with `id` as its id (unique on the page and in print.html).
pub fn finish(svg: &str, id: &str) -> Finished {
    let pieces = pieces(svg);
    let renames = renamed_ids(&pieces, id);
    let labels = labels(&pieces);
    let kind = pieces
        .iter()
        .find_map(|piece| match piece {
            Piece::Open { name: "svg", attributes, .. } => {
                attributes.iter().find(|(a, _)| *a == "aria-roledescription").map(|(_, v)| kind_name(v))
            }
            _ => None,
        })
        .unwrap_or("Diagram");
    let mut unknown_colours = Vec::new();
    let mut out = String::with_capacity(svg.len());
    let mut root_done = false;
    for piece in &pieces {
        match piece {
            Piece::Open { name, attributes, self_closing } => {
                out.push('<');
                out.push_str(name);
                let root = *name == "svg" && !root_done;
                let mut has_title = false;
                for (attribute, value) in attributes {
                    // Each edge's points again, base64-encoded JSON for editors: weight only.
                    if *attribute == "data-points" {
                        continue;
                    }
                    if root {
                        match *attribute {
                            // The page's CSS sets the size from the natural width (see below).
                            "width" | "style" => continue,
                            "role" => continue,
                            "aria-roledescription" => continue,
                            "aria-labelledby" => has_title = true,
                            _ => {}
                        }
                    }
                    let value = rewrite_value(attribute, value, &renames, &mut unknown_colours);
                    out.push_str(&format!(" {attribute}=\"{value}\""));
                }
                if root {
                    root_done = true;
                    let width = attributes
                        .iter()
                        .find(|(a, _)| *a == "viewBox")
                        .and_then(|(_, v)| v.split_whitespace().nth(2))
                        .and_then(|w| w.parse::<f64>().ok())
                        .unwrap_or(600.0);
                    out.push_str(&format!(" role=\"img\" style=\"--bf-diagram-width: {}px\"", width.ceil()));
                    if has_title {
                        out.push('>');
                    } else {
                        // A short name, and every text of the diagram as its description.
                        out.push_str(&format!(
                            " aria-label=\"{}\">",
                            escape(&accessible_name(kind, &labels))
                        ));
                        out.push_str(&format!("<desc>{}</desc>", escape(&labels.join("; "))));
                    }
                    continue;
                }
                out.push_str(if *self_closing { "/>" } else { ">" });
            }
            Piece::Close { name } => out.push_str(&format!("</{name}>")),
            Piece::Text(text) => out.push_str(text),
            Piece::Css(css) => out.push_str(&rewrite_css(css, &renames, &mut unknown_colours)),
            Piece::Other(raw) => out.push_str(raw),
        }
    }
    unknown_colours.sort();
    unknown_colours.dedup();
    Finished { svg: out.trim().replace(['\n', '\r'], " "), kind, labels, unknown_colours }
}

/// merman's `aria-roledescription` in words.
fn kind_name(role: &str) -> &'static str {
    if role.starts_with("flowchart") {
        "Flowchart"
    } else if role.starts_with("sequence") {
        "Sequence diagram"
    } else if role.starts_with("state") {
        "State diagram"
    } else {
        "Diagram"
    }
}

/// "Flowchart: first label, second label, …", cut at a label boundary after about 120 characters.
fn accessible_name(kind: &str, labels: &[String]) -> String {
    let mut name = format!("{kind}:");
    for (i, label) in labels.iter().enumerate() {
        if i > 0 && name.chars().count() + label.chars().count() > 120 {
            name.push_str(", …");
            break;
        }
        name.push_str(if i == 0 { " " } else { ", " });
        name.push_str(label);
    }
    name
}

/// Ids that do not start with the diagram's id get it as a prefix: merman names some elements
/// (`actor0`, `root-1`) the same in every diagram.
fn renamed_ids(pieces: &[Piece<'_>], id: &str) -> HashMap<String, String> {
    let mut renames = HashMap::new();
    for piece in pieces {
        if let Piece::Open { attributes, .. } = piece {
            for (attribute, value) in attributes {
                if *attribute == "id" && !value.starts_with(id) {
                    renames.insert(value.to_string(), format!("{id}-{value}"));
                }
            }
        }
    }
    renames
}

fn rewrite_value(
    attribute: &str,
    value: &str,
    renames: &HashMap<String, String>,
    unknown: &mut Vec<String>,
) -> String {
    let value = match attribute {
        "id" => renames.get(value).cloned().unwrap_or_else(|| value.to_string()),
        "href" | "xlink:href" => match value.strip_prefix('#').and_then(|target| renames.get(target)) {
            Some(renamed) => format!("#{renamed}"),
            None => value.to_string(),
        },
        _ => rename_urls(value, renames),
    };
    match attribute {
        "fill" | "stroke" | "color" | "stop-color" | "flood-color" => themed(&value, unknown),
        // mdBook re-indents the page's HTML and puts newlines around the `<p>` of each label;
        // `white-space: break-spaces`, which merman gives labels that wrap, would draw them as
        // empty lines. `normal` wraps the same at the single spaces labels have.
        "style" => themed(&value, unknown).replace("white-space: break-spaces", "white-space: normal"),
        _ => value,
    }
}

/// `url(#old)` → `url(#new)` for renamed ids.
fn rename_urls(value: &str, renames: &HashMap<String, String>) -> String {
    if !value.contains("url(#") {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find("url(#") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        let end = rest.find(')').unwrap_or(rest.len());
        let target = &rest[..end];
        out.push_str(renames.get(target).map_or(target, String::as_str));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Every known colour in a CSS value replaced by its role's custom property.
fn themed(value: &str, unknown: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut copied = 0;
    for token in palette::colour_tokens(value) {
        let colour = &value[token.clone()];
        match palette::theming(colour) {
            Theming::Role(role) => {
                out.push_str(&value[copied..token.start]);
                out.push_str(&role.var());
                copied = token.end;
            }
            Theming::AsIs => {}
            Theming::Unknown => unknown.push(colour.to_string()),
        }
    }
    out.push_str(&value[copied..]);
    out
}

/// The stylesheet with the colours of its declarations themed and renamed ids followed;
/// selectors are left alone.
fn rewrite_css(css: &str, renames: &HashMap<String, String>, unknown: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(css.len());
    let mut depth = 0usize;
    let mut value_start: Option<usize> = None;
    let mut copied = 0;
    let mut flush = |out: &mut String, range: Range<usize>| {
        out.push_str(&themed(&rename_urls(&css[range], renames), unknown));
    };
    for (i, c) in css.char_indices() {
        match c {
            '{' => {
                depth += 1;
                value_start = None;
            }
            ':' if depth > 0 && value_start.is_none() => {
                out.push_str(&css[copied..=i]);
                copied = i + 1;
                value_start = Some(i + 1);
            }
            ';' | '}' => {
                if let Some(start) = value_start.take() {
                    flush(&mut out, start..i);
                    copied = i;
                }
                if c == '}' {
                    depth = depth.saturating_sub(1);
                }
            }
            _ => {}
        }
    }
    out.push_str(&css[copied..]);
    out
}

/// The diagram's texts in document order: each `<text>`, HTML label or `<title>` is one label;
/// `<br>` and `<tspan>` breaks inside one become spaces.
fn labels(pieces: &[Piece<'_>]) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut finish = |current: &mut String| {
        let label = current.split_whitespace().collect::<Vec<_>>().join(" ");
        if !label.is_empty() && !labels.contains(&label) {
            labels.push(label);
        }
        current.clear();
    };
    let mut skip = 0usize;
    for piece in pieces {
        match piece {
            Piece::Open { name, self_closing, .. } => {
                if matches!(*name, "br" | "tspan") {
                    current.push(' ');
                } else if matches!(*name, "text" | "p" | "div" | "foreignObject" | "g") {
                    finish(&mut current);
                }
                if matches!(*name, "desc" | "style") && !self_closing {
                    skip += 1;
                }
            }
            Piece::Close { name } => {
                if matches!(*name, "desc" | "style") {
                    skip = skip.saturating_sub(1);
                } else if matches!(*name, "text" | "p" | "div" | "foreignObject" | "g" | "title") {
                    finish(&mut current);
                } else if *name == "tspan" {
                    current.push(' ');
                }
            }
            Piece::Text(text) if skip == 0 => current.push_str(&unescape(text)),
            _ => {}
        }
    }
    finish(&mut current);
    labels
}

/// Decodes the character references merman writes (`&amp;`, `&lt;`, `&#39;`, `&#x2192;`, …).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&end| end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_renames_names_and_sizes() {
        let svg = r##"<svg id="d" width="100%" xmlns="http://www.w3.org/2000/svg" style="max-width: 200.5px;" viewBox="0 0 200.5 80" role="graphics-document document" aria-roledescription="sequence"><style>#d{fill:#333;}#d .actor{stroke:#9370DB;fill:#ECECFF;}#d text.actor>tspan{fill:black;stroke:none;}</style><g><line id="actor0" stroke="#999" data-points="W10="/><rect fill="#eaeaea" style="filter: url(#actor0)"/><text><tspan>A &amp; B</tspan></text><text><tspan>two</tspan><tspan>lines</tspan></text><text>A &amp; B</text></g></svg>"##;
        let finished = finish(svg, "d");
        assert_eq!(
            finished.svg,
            r##"<svg id="d" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200.5 80" role="img" style="--bf-diagram-width: 201px" aria-label="Sequence diagram: A &amp; B, two lines"><desc>A &amp; B; two lines</desc><style>#d{fill:var(--bf-diagram-text);}#d .actor{stroke:var(--bf-diagram-node-stroke);fill:var(--bf-diagram-node-fill);}#d text.actor>tspan{fill:var(--bf-diagram-text);stroke:none;}</style><g><line id="d-actor0" stroke="var(--bf-diagram-line)"/><rect fill="var(--bf-diagram-muted-fill)" style="filter: url(#d-actor0)"/><text><tspan>A &amp; B</tspan></text><text><tspan>two</tspan><tspan>lines</tspan></text><text>A &amp; B</text></g></svg>"##
        );
        assert_eq!(finished.labels, ["A & B", "two lines"]);
        assert_eq!(finished.kind, "Sequence diagram");
        assert!(finished.unknown_colours.is_empty());
    }

    #[test]
    fn unknown_colours_are_reported_and_kept() {
        let finished = finish(r##"<svg id="d" viewBox="0 0 1 1"><rect fill="#123456"/></svg>"##, "d");
        assert_eq!(finished.unknown_colours, ["#123456"]);
        assert!(finished.svg.contains(r##"fill="#123456""##));
    }

    #[test]
    fn references_decode() {
        assert_eq!(unescape("a &lt;b&gt; &#39;c&#x27; &amp;amp; & x;"), "a <b> 'c' &amp; & x;");
    }
}
