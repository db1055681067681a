//! The HTML (and, for other renderers, Markdown) that replaces fences and directives.
//!
//! HTML replacements are a single physical line: Markdown ends an HTML block at a blank line,
//! and a blank line inside `<pre>` would otherwise end it. Newlines in content become `&#10;`.

use crate::directive::Directive;
use crate::highlight::Language;
use crate::html::{NEWLINE, escape, one_line, script_json};
use crate::manifest::Entry;

/// The attributes of the `<code>` in each `<pre>` the preprocessor writes. mdBook's stylesheet
/// makes that `<code>` the box that scrolls sideways when a line is long, so it must be
/// reachable with the keyboard (`tabindex="0"`), and what is focused needs a name and a role
/// that allows one (`role="group"`: a landmark per block would crowd the page's landmarks).
/// Whether a block scrolls depends on the reader's window, so every block gets them.
fn scrollable(label: &str) -> String {
    format!("tabindex=\"0\" role=\"group\" aria-label=\"{}\"", escape(label))
}

/// A `<pre>` of plain text (an example's input, output or answer), labelled for the keyboard.
fn text_block(label: &str, text: &str) -> String {
    format!(
        "<pre class=\"bf-io\"><code class=\"language-text\" {}>{}</code></pre>",
        scrollable(label),
        escape(text)
    )
}

/// A highlighted code block (a fence in a chapter).
pub fn code_block(language_name: &str, lines: &[String]) -> String {
    format!(
        "<pre class=\"bf-code\"><code class=\"language-{language_name} bf-code\" {}>{}</code></pre>",
        scrollable(&format!("Code block ({language_name})")),
        lines.join(NEWLINE)
    )
}

/// A diagram drawn at build time: the SVG in a figure, which scrolls sideways when the page is
/// narrower than the diagram may shrink (so it is focusable, and named by the diagram's kind).
pub fn diagram(svg: &str, kind: &str) -> String {
    format!("<figure class=\"bf-diagram\" tabindex=\"0\" aria-label=\"{}\">{svg}</figure>", escape(kind))
}

/// A diagram left to mermaid.js in the browser: `theme/mermaid-loader.js` finds each
/// `<pre class="mermaid">` and fetches the script only on pages that have one.
pub fn browser_diagram(source: &str) -> String {
    format!("<pre class=\"mermaid\">{}</pre>", one_line(&escape(source)))
}

/// A line of an example's output that hides what follows until the reader asks ("predict,
/// then reveal"); the examples crate's `REVEAL_MARKER`.
pub const REVEAL_MARKER: &str = "--- answer ---";

/// Splits an output at its first line that is exactly [`REVEAL_MARKER`] (lines end at `\n`):
/// the lines before that line, and the lines after it (the answer), or the whole output and
/// `None` when no line is the marker. `theme/playground.js` (`splitAnswer`) follows the same
/// rule for the outputs it runs.
pub fn split_answer(output: &str) -> (&str, Option<&str>) {
    let mut line_start = 0;
    for line in output.split('\n') {
        let line_end = line_start + line.len();
        if line == REVEAL_MARKER {
            // Without the newline that ends the line before the marker, if there is one.
            let before = &output[..line_start.saturating_sub(1)];
            let answer = output.get(line_end + 1..).unwrap_or("");
            return (before, Some(answer));
        }
        line_start = line_end + 1;
    }
    (output, None)
}

/// The code part of a figure, which `{{#example}}` and `{{#source}}` share: a region of a
/// source file, highlighted, with a link to the whole file.
pub struct CodeView<'a> {
    /// The file, relative to the workspace.
    pub file: &'a str,
    pub language: Language,
    /// The shown lines (highlighted for HTML), each with whether it is hidden.
    pub lines: Vec<(String, bool)>,
    /// The first and the last shown line's number in the file.
    pub first_line: usize,
    pub last_line: usize,
    /// Link to the source file.
    pub source_href: String,
}

impl CodeView<'_> {
    /// `<a class="bf-example-source">` to the file, labelled with the shown lines; `tooltip`
    /// says what the file is.
    pub fn source_link_html(&self, tooltip: &str) -> String {
        format!(
            "<a class=\"bf-example-source\" href=\"{href}\" title=\"{tooltip}\">{file}, lines {first}–{last}</a>",
            href = escape(&self.source_href),
            tooltip = escape(tooltip),
            file = escape(self.file),
            first = self.first_line,
            last = self.last_line,
        )
    }

    /// The highlighted `<pre>`, named `label` for the keyboard; hidden lines are wrapped for
    /// mdBook's "show hidden lines" toggle.
    pub fn code_html(&self, label: &str) -> String {
        let language_name = match self.language {
            Language::Syntax { name, .. } | Language::Plain { name } => name,
            Language::Diagram => "text",
        };
        let code: String = self
            .lines
            .iter()
            .map(|(line, hidden)| {
                if *hidden { format!("<span class=\"boring\">{line}\n</span>") } else { format!("{line}\n") }
            })
            .collect();
        format!(
            "<pre class=\"bf-code\"><code class=\"language-{language_name} bf-code\" {}>{}</code></pre>",
            scrollable(label),
            code.strip_suffix('\n').unwrap_or(&code)
        )
    }

    /// Where the code comes from, for plain Markdown: `` `file`, line N ``.
    pub fn place_markdown(&self) -> String {
        format!("`{}`, line {}", self.file, self.first_line)
    }

    /// The code as a Markdown fence; Rust is marked `ignore` (see [`ExampleView::markdown`]).
    pub fn fence_markdown(&self) -> String {
        let fence_language = match self.language {
            Language::Syntax { name: "rust", .. } => "rust,ignore",
            Language::Syntax { name, .. } | Language::Plain { name } => name,
            Language::Diagram => "text",
        };
        let mut md = format!("```{fence_language}\n");
        for (line, _) in &self.lines {
            md.push_str(line);
            md.push('\n');
        }
        md.push_str("```\n");
        md
    }
}

fn caption_html(caption: Option<&str>) -> String {
    caption.map_or_else(String::new, |caption| {
        format!("<span class=\"bf-example-caption\">{}</span>", escape(caption))
    })
}

/// Markdown that replaces a directive, with every line after the first made to start with the
/// directive's container `prefix` (`> `, list indentation), so it stays in that container.
fn in_container(md: &str, prefix: &str) -> String {
    let mut lines = md.lines();
    let mut out = lines.next().unwrap_or_default().to_string();
    for line in lines {
        out.push('\n');
        out.push_str(if line.is_empty() { prefix.trim_end() } else { prefix });
        out.push_str(line);
    }
    out
}

/// Everything a rendered example needs.
pub struct ExampleView<'a> {
    pub entry: &'a Entry,
    pub directive: &'a Directive,
    pub code: CodeView<'a>,
    pub output: &'a str,
    pub playground_href: String,
    /// For a native-only example, the browser simulation to link to.
    pub simulation: Option<&'a Entry>,
}

impl ExampleView<'_> {
    pub fn html(&self) -> String {
        let entry = self.entry;
        let id = escape(&entry.id);
        let runnable = entry.native_only.is_none();
        let region = &self.directive.excerpt.region;
        let mut html = format!(
            "<figure class=\"bf-example\" id=\"example-{anchor}\" data-example-id=\"{id}\" data-runnable=\"{runnable}\">",
            // A chapter may show several regions of one example; each gets its own id.
            anchor = if region == "example" {
                entry.id.replace("::", "-")
            } else {
                format!("{}-{}", entry.id.replace("::", "-"), region)
            },
        );
        html.push_str(&format!(
            "<figcaption class=\"bf-example-head\"><span class=\"bf-example-title\">{title}</span> {link}{caption}</figcaption>",
            title = escape(&entry.title),
            link = self.code.source_link_html(&format!("Source of example {}", entry.id)),
            caption = caption_html(self.directive.excerpt.caption.as_deref()),
        ));
        html.push_str(&self.code.code_html(&format!("Code: {}", entry.title)));

        if self.directive.input && !entry.default_input.trim().is_empty() {
            html.push_str(&format!(
                "<div class=\"bf-example-input\"><div class=\"bf-label\">Input</div>{}</div>",
                text_block(&format!("Input of {}", entry.title), entry.default_input.trim_end_matches('\n'))
            ));
        }
        if self.directive.output {
            let (shown, answer) = split_answer(self.output);
            html.push_str(&format!(
                "<div class=\"bf-example-output\"><div class=\"bf-label\">Output <span class=\"bf-verified\" title=\"cargo test ran this example and compared its output with {expected}\">✓ verified by <code>cargo test</code></span></div>{output}",
                expected = escape(&entry.expected),
                output = text_block(&format!("Output of {}", entry.title), shown.trim_end_matches('\n')),
            ));
            if let Some(answer) = answer {
                html.push_str(&format!(
                    "<details class=\"bf-answer\"><summary>Reveal the answer</summary>{}</details>",
                    text_block(&format!("Answer: {}", entry.title), answer.trim_end_matches('\n'))
                ));
            }
            html.push_str("</div>");
        }
        match &entry.native_only {
            Some(reason) => {
                html.push_str(&format!(
                    "<p class=\"bf-native-only\">Runs only natively (not in the browser): {}.",
                    escape(reason.trim_end_matches('.'))
                ));
                if let Some(simulation) = self.simulation {
                    html.push_str(&format!(
                        " Try the simulation of the same idea: <a class=\"bf-simulation-link\" href=\"{href}#example={sim_id}\">{title}</a>.",
                        href = escape(&self.playground_href),
                        sim_id = escape(&simulation.id),
                        title = escape(&simulation.title),
                    ));
                }
                html.push_str("</p>");
            }
            None => html.push_str(&format!(
                "<div class=\"bf-run\" hidden data-example-id=\"{id}\" data-module=\"{module}\" data-default-input=\"{input}\" data-input-help=\"{help}\"><button type=\"button\" class=\"bf-run-button\">Run</button> <a class=\"bf-open-playground\" href=\"{href}#example={id}\">Open in playground</a></div>",
                input = escape(&entry.default_input),
                help = escape(&entry.input_help),
                href = escape(&self.playground_href),
                module = escape(&entry.module),
            )),
        }
        html.push_str("</figure>");
        one_line(&html)
    }

    /// The same example as plain Markdown, for renderers other than HTML (`markdown`, `test`).
    /// Code fences are `ignore`d: `cargo test` already ran them, and rustdoc cannot see our crates.
    pub fn markdown(&self, prefix: &str) -> String {
        let mut md = format!("**{}** ({})\n\n", self.entry.title, self.code.place_markdown());
        md.push_str(&self.code.fence_markdown());
        if self.directive.output {
            md.push_str("\nOutput, verified by `cargo test`:\n\n```text\n");
            md.push_str(self.output.trim_end_matches('\n'));
            md.push_str("\n```\n");
        }
        in_container(&md, prefix)
    }
}

/// A region of a source file with no example around it (`{{#source}}`): the code part of an
/// example's figure, without title, input, output or Run button.
pub struct SourceView<'a> {
    pub code: CodeView<'a>,
    pub region: &'a str,
    pub caption: Option<&'a str>,
}

impl SourceView<'_> {
    pub fn html(&self) -> String {
        let inside = self.code.file.strip_prefix(crate::directive::SOURCE_ROOT).unwrap_or(self.code.file);
        let anchor: String = format!("{inside}-{}", self.region)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '-' })
            .collect();
        let html = format!(
            "<figure class=\"bf-example bf-source-excerpt\" id=\"source-{anchor}\"><figcaption class=\"bf-example-head\">{link}{caption}</figcaption>{code}</figure>",
            anchor = escape(&anchor),
            link = self.code.source_link_html("The whole file"),
            caption = caption_html(self.caption),
            code = self.code.code_html(&format!(
                "Code: {}, lines {}–{}",
                self.code.file, self.code.first_line, self.code.last_line
            )),
        );
        one_line(&html)
    }

    /// The same region as plain Markdown, for renderers other than HTML: the caption (if any)
    /// in bold, where the code comes from, and the fence.
    pub fn markdown(&self, prefix: &str) -> String {
        let mut md = match self.caption {
            Some(caption) => format!("**{caption}** ({})\n\n", self.code.place_markdown()),
            None => format!("{}\n\n", self.code.place_markdown()),
        };
        md.push_str(&self.code.fence_markdown());
        in_container(&md, prefix)
    }
}

/// One chapter's group on the playground page.
pub struct IndexGroup<'a> {
    /// The chapter's name, or `None` for examples no page shows.
    pub chapter: Option<&'a str>,
    /// Link to the chapter's page, relative to the site root.
    pub href: Option<&'a str>,
    /// Each runnable example (its input and verified output are in the module's data file).
    pub examples: Vec<&'a Entry>,
}

/// The playground page's index (`{{#runnable-examples}}`): links grouped by chapter, plus the
/// same data as JSON for `theme/playground.js`, which builds the editor around it.
pub fn runnable_index(groups: &[IndexGroup], root: &str) -> String {
    // The page's title is its h1; the index is an h2 with a chapter's examples under an h3.
    let mut html = String::from(
        "<div class=\"bf-playground\" id=\"bf-playground\"><nav class=\"bf-pg-index\" aria-labelledby=\"bf-pg-index-title\"><h2 class=\"bf-pg-index-title\" id=\"bf-pg-index-title\">Runnable examples by chapter</h2>",
    );
    let mut data = Vec::new();
    for group in groups {
        let chapter = group.chapter.unwrap_or("Not shown in a chapter yet");
        html.push_str("<section class=\"bf-pg-chapter\"><h3 class=\"bf-pg-chapter-title\">");
        match group.href {
            Some(href) => html.push_str(&format!(
                "<a href=\"{}{}\">{}</a>",
                escape(root),
                escape(href),
                escape(chapter)
            )),
            None => html.push_str(&escape(chapter)),
        }
        html.push_str("</h3><ul>");
        for entry in &group.examples {
            html.push_str(&format!(
                "<li><a class=\"bf-pg-link\" href=\"#example={id}\" data-example-id=\"{id}\">{title}</a></li>",
                id = escape(&entry.id),
                title = escape(&entry.title),
            ));
            data.push(serde_json::json!({
                "id": entry.id,
                "title": entry.title,
                "chapter": chapter,
                "chapter_href": group.href,
                "module": entry.module,
            }));
        }
        html.push_str("</ul></section>");
    }
    html.push_str("</nav><noscript><p class=\"bf-error\">The playground needs JavaScript and WebAssembly.</p></noscript>");
    // `<` is escaped so no string in the data can end the script element.
    let json = script_json(&serde_json::to_string(&data).expect("index data serialises"));
    html.push_str(&format!(
        "<script type=\"application/json\" id=\"bf-playground-data\">{json}</script></div>"
    ));
    html
}

/// A quiz question ready for the page: its Markdown already rendered to HTML.
pub struct QuestionView {
    pub id: String,
    /// Set on the review page: the chapter the question belongs to, and its page.
    pub chapter: Option<String>,
    pub chapter_href: Option<String>,
    pub prompt_html: String,
    /// Multiple choice: each option's HTML and whether it is right, in their shown order.
    pub options: Vec<(String, bool)>,
    /// Short answer: the accepted answers, normalised.
    pub accepted: Vec<String>,
    pub answer_html: String,
    pub context_html: Option<String>,
}

/// `<p>x</p>` as `x`, for options shown inline.
pub fn strip_paragraph(html: &str) -> String {
    let trimmed = html.trim();
    match trimmed.strip_prefix("<p>").and_then(|rest| rest.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => trimmed.to_string(),
    }
}

/// One question. Without JavaScript it reads as the prompt, the options and the answer folded
/// in `<details>`; `theme/quiz.js` turns it into a form.
fn question_html(question: &QuestionView) -> String {
    let kind = if question.options.is_empty() { "short" } else { "choice" };
    let mut html = format!(
        "<div class=\"bf-question\" id=\"quiz-{id}\" data-question-id=\"{id}\" data-kind=\"{kind}\"",
        id = escape(&question.id)
    );
    if let Some(chapter) = &question.chapter {
        html.push_str(&format!(" data-chapter=\"{}\"", escape(chapter)));
    }
    if kind == "short" {
        let accepted = serde_json::to_string(&question.accepted).expect("strings serialise");
        html.push_str(&format!(" data-accepted=\"{}\"", escape(&accepted)));
    }
    html.push_str(&format!("><div class=\"bf-prompt\">{}</div>", question.prompt_html));
    if !question.options.is_empty() {
        html.push_str("<ul class=\"bf-options\">");
        for (option, right) in &question.options {
            html.push_str(&format!("<li data-correct=\"{right}\">{option}</li>"));
        }
        html.push_str("</ul>");
    }
    html.push_str(&format!(
        "<details class=\"bf-quiz-answer\"><summary>Answer</summary><div class=\"bf-quiz-answer-body\"><div class=\"bf-right-answer\">{}</div>{}</div></details></div>",
        question.answer_html,
        question.context_html.as_deref().map(|c| format!("<div class=\"bf-context\">{c}</div>")).unwrap_or_default()
    ));
    html
}

/// `{{#quiz …}}`: the chapter's questions.
pub fn quiz(path: &str, questions: &[QuestionView], root: &str) -> String {
    let mut html =
        format!("<section class=\"bf-quiz\" data-quiz=\"{}\" data-root=\"{}\">", escape(path), escape(root));
    for question in questions {
        html.push_str(&question_html(question));
    }
    html.push_str("</section>");
    one_line(&html)
}

/// The Anki file's link, on every review page.
fn anki_export(root: &str) -> String {
    format!(
        "<p class=\"bf-review-export\">All questions as an <a href=\"{root}generated/quizzes.tsv\" download>Anki-importable file (TSV)</a>: in Anki, File → Import, fields separated by tabs, HTML allowed; the third column holds the chapter as a tag.</p>",
        root = escape(root)
    )
}

/// `{{#quiz-review}}` on a Part's page: the Part's quizzes, each chapter a section.
pub fn quiz_review(
    part: &str,
    sections: &[(&crate::QuizUsage, Vec<QuestionView>)],
    index_href: Option<&str>,
    root: &str,
) -> String {
    let mut html = format!(
        "<div class=\"bf-review\" data-root=\"{root}\" data-part=\"{part}\">",
        root = escape(root),
        part = escape(part)
    );
    if let Some(index) = index_href {
        html.push_str(&format!(
            "<p class=\"bf-review-back\">The other Parts, and what is due in each: <a href=\"{root}{index}\">the review index</a>.</p>",
            root = escape(root),
            index = escape(index)
        ));
    }
    html.push_str(&anki_export(root));
    for (usage, questions) in sections {
        html.push_str(&format!(
            "<section class=\"bf-quiz bf-review-chapter\" data-quiz=\"{path}\" data-chapter=\"{chapter}\"><h2><a href=\"{root}{href}\">{chapter}</a></h2>",
            path = escape(&usage.path),
            chapter = escape(&usage.chapter),
            root = escape(root),
            href = escape(&usage.href),
        ));
        for question in questions {
            html.push_str(&question_html(question));
        }
        html.push_str("</section>");
    }
    html.push_str("</div>");
    one_line(&html)
}

/// A Part on the review index.
pub struct ReviewPart {
    /// As `SUMMARY.md` writes it (`I. The machine`).
    pub title: String,
    /// Its review page, relative to the site's root.
    pub review_href: Option<String>,
    pub chapters: Vec<ReviewChapter>,
}

/// A chapter with a quiz, on the review index.
pub struct ReviewChapter {
    pub name: String,
    pub href: String,
    pub question_ids: Vec<String>,
}

/// `{{#quiz-review}}` before the first Part: each Part's review page and, per chapter, how many
/// questions it has and their ids (`theme/quiz.js` counts wrong, due and mastered from them).
pub fn quiz_review_index(parts: &[ReviewPart], root: &str) -> String {
    let mut html = format!("<div class=\"bf-review-index\" data-root=\"{}\">", escape(root));
    html.push_str(&anki_export(root));
    for part in parts {
        let heading = match &part.review_href {
            Some(href) => format!("<a href=\"{}{}\">{}</a>", escape(root), escape(href), escape(&part.title)),
            None => escape(&part.title),
        };
        html.push_str(&format!(
            "<section class=\"bf-review-part\"><h2>{heading}</h2><table class=\"bf-review-summary\"><thead><tr><th scope=\"col\">chapter</th><th scope=\"col\">questions</th></tr></thead><tbody>"
        ));
        for chapter in &part.chapters {
            let ids = serde_json::to_string(&chapter.question_ids).expect("strings serialise");
            html.push_str(&format!(
                "<tr data-question-ids=\"{ids}\"><td><a href=\"{root}{href}\">{name}</a></td><td>{count}</td></tr>",
                ids = escape(&ids),
                root = escape(root),
                href = escape(&chapter.href),
                name = escape(&chapter.name),
                count = chapter.question_ids.len(),
            ));
        }
        html.push_str("</tbody></table></section>");
    }
    html.push_str("</div>");
    one_line(&html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_answer_at_the_marker_line_only() {
        assert_eq!(split_answer("q\n--- answer ---\na\n"), ("q", Some("a\n")));
        assert_eq!(split_answer("q\nnot --- answer --- here\n"), ("q\nnot --- answer --- here\n", None));
    }

    #[test]
    fn the_marker_may_be_the_first_or_the_last_line() {
        assert_eq!(split_answer("--- answer ---\na\nb"), ("", Some("a\nb")));
        assert_eq!(split_answer("q\nr\n--- answer ---"), ("q\nr", Some("")));
        assert_eq!(split_answer("q\n--- answer ---\n"), ("q", Some("")));
        assert_eq!(split_answer("--- answer ---"), ("", Some("")));
    }

    #[test]
    fn only_a_whole_line_is_the_marker_and_only_the_first_one_counts() {
        for text in ["--- answer ---x\n", " --- answer ---\n", "--- answer --- \n", "q --- answer ---", ""] {
            assert_eq!(split_answer(text), (text, None), "{text:?}");
        }
        assert_eq!(
            split_answer("q\n--- answer ---\na\n--- answer ---\nb"),
            ("q", Some("a\n--- answer ---\nb"))
        );
        assert_eq!(split_answer("q\n\n--- answer ---\n\na"), ("q\n", Some("\na")));
    }
}
