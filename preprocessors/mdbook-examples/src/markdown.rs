//! Finds what the preprocessor rewrites in a chapter: fenced code blocks and example
//! directives, with their byte ranges, using the same Markdown parser and options as mdBook;
//! and a chapter's sections by heading (for the cheat sheets).

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::directive::OPENINGS;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A fenced code block: its info string and content (container prefixes removed).
    Fence { range: Range<usize>, info: String, code: String },
    /// A paragraph that is exactly one directive.
    Directive { range: Range<usize>, text: String },
    /// Directive syntax somewhere a directive cannot be (sharing a paragraph, a heading, a table).
    Stray { range: Range<usize> },
}

impl Found {
    pub fn range(&self) -> &Range<usize> {
        match self {
            Found::Fence { range, .. } | Found::Directive { range, .. } | Found::Stray { range } => range,
        }
    }
}

/// mdBook 0.5's parser options (admonitions on, as by default).
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Everything to rewrite in `content`, in order.
pub fn scan(content: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut fence: Option<(Range<usize>, String, String)> = None;
    let mut paragraph: Option<Range<usize>> = None;
    // Directive openings in the current paragraph, and inline code ranges to ignore.
    let mut openings: Vec<usize> = Vec::new();
    // Whether the innermost open block is a list item (a tight list has no paragraphs).
    let mut in_item: Vec<bool> = Vec::new();

    for (event, range) in Parser::new_ext(content, options()).into_offset_iter() {
        match &event {
            Event::Start(tag) => in_item.push(matches!(tag, Tag::Item)),
            Event::End(_) => {
                in_item.pop();
            }
            _ => {}
        }
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                fence = Some((range, info.to_string(), String::new()));
            }
            Event::Text(text) if fence.is_some() => {
                fence.as_mut().expect("inside a fence").2.push_str(&text);
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((range, info, code)) = fence.take() {
                    found.push(Found::Fence { range, info, code });
                }
            }
            Event::Start(Tag::Paragraph) => {
                paragraph = Some(range);
                openings.clear();
            }
            Event::Text(_) => {
                let at: Vec<usize> = unescaped_openings(content, range.clone()).collect();
                if paragraph.is_some() {
                    openings.extend(at);
                } else if in_item.last() == Some(&true)
                    && let [start] = at.as_slice()
                    && let Some(directive) = alone_on_its_line(content, *start)
                {
                    // `- {{#example …}}` in a tight list: the item's text is the directive.
                    found.push(directive);
                } else {
                    found.extend(
                        at.into_iter().map(|start| Found::Stray { range: stray_range(content, start) }),
                    );
                }
            }
            Event::End(TagEnd::Paragraph) => {
                let Some(para) = paragraph.take() else { continue };
                if openings.is_empty() {
                    continue;
                }
                let slice = &content[para.clone()];
                let trimmed = slice.trim();
                let start = para.start + (slice.len() - slice.trim_start().len());
                let alone = openings.len() == 1
                    && openings[0] == start
                    && trimmed.ends_with("}}")
                    && !trimmed.contains('\n');
                if alone {
                    found.push(Found::Directive { range: para, text: trimmed.to_string() });
                } else {
                    found.extend(
                        openings.drain(..).map(|start| Found::Stray { range: stray_range(content, start) }),
                    );
                }
            }
            _ => {}
        }
    }
    found
}

/// The directive starting at `start` if nothing but it (and container markers before it) is on
/// its line; its range runs to the end of the line.
fn alone_on_its_line(content: &str, start: usize) -> Option<Found> {
    let line_start = content[..start].rfind('\n').map_or(0, |i| i + 1);
    let before = &content[line_start..start];
    if !before.chars().all(|c| matches!(c, ' ' | '>' | '-' | '*' | '+' | '.' | ')' | '0'..='9')) {
        return None;
    }
    let line_end = content[start..].find('\n').map_or(content.len(), |i| start + i);
    let text = content[start..line_end].trim_end();
    if !text.ends_with("}}") || openings_in(&text[3..]).next().is_some() {
        return None;
    }
    let end = if line_end < content.len() { line_end + 1 } else { line_end };
    Some(Found::Directive { range: start..end, text: text.to_string() })
}

/// Offsets in `text` where one of the directives begins, in order.
fn openings_in(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.match_indices("{{#")
        .map(|(i, _)| i)
        .filter(move |&i| OPENINGS.iter().any(|open| text[i..].starts_with(open)))
}

/// Offsets of directive openings in `content[range]` that are not escaped with a backslash.
fn unescaped_openings(content: &str, range: Range<usize>) -> impl Iterator<Item = usize> + '_ {
    openings_in(&content[range.clone()])
        .map(move |i| range.start + i)
        .filter(|&at| !content[..at].ends_with('\\'))
}

/// From a stray opening to the end of its directive (or its line).
fn stray_range(content: &str, start: usize) -> Range<usize> {
    let line_end = content[start..].find('\n').map_or(content.len(), |i| start + i);
    let end = content[start..line_end].find("}}").map_or(line_end, |i| start + i + 2);
    start..end
}

/// A heading and the text under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading line(s).
    pub heading: Range<usize>,
    /// From the end of the heading to the next heading of the same or a higher level that is not
    /// inside a container (list, blockquote), or to the end of the text.
    pub body: Range<usize>,
}

/// The first section of `content` whose heading's text is `title` (ASCII case ignored), at any
/// level, outside containers.
pub fn section(content: &str, title: &str) -> Option<Section> {
    let mut depth = 0usize;
    // The heading being read: its level, range and text so far.
    let mut heading: Option<(HeadingLevel, Range<usize>, String)> = None;
    let mut found: Option<(HeadingLevel, Range<usize>)> = None;
    for (event, range) in Parser::new_ext(content, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if depth == 0 => {
                if let Some((found_level, found_heading)) = &found
                    && level <= *found_level
                {
                    return Some(Section {
                        heading: found_heading.clone(),
                        body: found_heading.end..range.start,
                    });
                }
                heading = Some((level, range, String::new()));
                depth += 1;
            }
            Event::End(TagEnd::Heading(_)) if depth == 1 && heading.is_some() => {
                depth -= 1;
                let (level, range, text) = heading.take().expect("inside a heading");
                if found.is_none() && text.trim().eq_ignore_ascii_case(title) {
                    found = Some((level, range));
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, _, heading_text)) = heading.as_mut() {
                    heading_text.push_str(&text);
                }
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    found.map(|(_, heading)| Section { body: heading.end..content.len(), heading })
}

/// What must start each further line of a replacement placed at `offset`, so that it stays in
/// the same container (`> ` for a blockquote, spaces for a list item).
pub fn continuation_prefix(content: &str, offset: usize) -> String {
    let line_start = content[..offset].rfind('\n').map_or(0, |i| i + 1);
    content[line_start..offset].chars().map(|c| if c == '>' { '>' } else { ' ' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(md: &str) -> Vec<String> {
        scan(md)
            .into_iter()
            .map(|f| match f {
                Found::Fence { info, code, .. } => format!("fence {info:?} {code:?}"),
                Found::Directive { range, text } => format!("directive {text} @{}", &md[range]),
                Found::Stray { range } => format!("stray {}", &md[range]),
            })
            .collect()
    }

    #[test]
    fn finds_directives_and_fences_in_containers() {
        let md = "# T\n\n{{#example a::b}}\n\n- item\n\n  {{#example a::c}}\n\n> ```sql\n> SELECT 1;\n> ```\n\n> [!NOTE]\n> {{#example a::d}}\n\n- {{#example a::e}}\n- two\n";
        assert_eq!(
            kinds(md),
            vec![
                "directive {{#example a::b}} @{{#example a::b}}\n",
                "directive {{#example a::c}} @{{#example a::c}}\n",
                "fence \"sql\" \"SELECT 1;\\n\"",
                "directive {{#example a::d}} @{{#example a::d}}\n",
                "directive {{#example a::e}} @{{#example a::e}}\n",
            ]
        );
    }

    #[test]
    fn ignores_code_and_escapes_and_flags_strays() {
        let md = "Use `{{#example a::b}}` like this.\n\n\\{{#example a::b}}\n\n```md\n{{#example a::b}}\n```\n\nText {{#example a::b}} inline.\n\n## {{#example a::b}}\n";
        assert_eq!(
            kinds(md),
            vec![
                "fence \"md\" \"{{#example a::b}}\\n\"",
                "stray {{#example a::b}}",
                "stray {{#example a::b}}"
            ]
        );
    }

    #[test]
    fn sections_end_at_the_next_heading_of_their_level_or_higher() {
        let md =
            "# T\n\n## In One Minute\n\nShort.\n\n### Detail\n\nMore.\n\n> ## Quoted\n\n## Next\n\nAfter.\n";
        let found = section(md, "in one minute").unwrap();
        assert_eq!(&md[found.heading.clone()], "## In One Minute\n");
        assert_eq!(&md[found.body], "\nShort.\n\n### Detail\n\nMore.\n\n> ## Quoted\n\n");
        let last = section(md, "Next").unwrap();
        assert_eq!(&md[last.body], "\nAfter.\n");
        assert_eq!(section(md, "Quoted"), None, "a heading in a blockquote is no section");
        assert_eq!(section(md, "Missing"), None);
        let code = section("## Key `numbers`\n- a\n", "key numbers").unwrap();
        assert_eq!(code.body, 17..21);
    }

    #[test]
    fn continuation_prefixes() {
        let md = "> - {{#example a::b}}\n";
        assert_eq!(continuation_prefix(md, 4), ">   ");
        assert_eq!(continuation_prefix("x\n  {{", 4), "  ");
    }
}
