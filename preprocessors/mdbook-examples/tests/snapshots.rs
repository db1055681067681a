//! Snapshot tests of the HTML the preprocessor emits: one per directive option and one for a
//! representative chapter. `UPDATE_EXPECT=1 cargo test -p mdbook-examples` rewrites them;
//! review the diff.

mod common;

use common::{readable, render, session};
use expect_test::expect_file;

#[test]
fn directive_default() {
    expect_file!["snapshots/default.html"].assert_eq(&readable(&render("{{#example demo::hello}}\n")));
}

#[test]
fn directive_region_of_a_native_only_example() {
    expect_file!["snapshots/region-native-only.html"]
        .assert_eq(&readable(&render("{{#example demo::server region=server}}\n")));
}

#[test]
fn directive_lines() {
    expect_file!["snapshots/lines.html"]
        .assert_eq(&readable(&render("{{#example demo::hello lines=5-6}}\n")));
}

#[test]
fn directive_collapse() {
    expect_file!["snapshots/collapse.html"]
        .assert_eq(&readable(&render("{{#example demo::hello collapse=setup}}\n")));
}

#[test]
fn directive_no_output_no_input() {
    expect_file!["snapshots/no-output-no-input.html"]
        .assert_eq(&readable(&render("{{#example demo::hello no-output no-input}}\n")));
}

#[test]
fn directive_caption() {
    expect_file!["snapshots/caption.html"].assert_eq(&readable(&render(
        "{{#example demo::hello caption=\"Note the \\\"setup\\\" <lines> & the format! call\"}}\n",
    )));
}

#[test]
fn source_default() {
    expect_file!["snapshots/source-default.html"]
        .assert_eq(&readable(&render("{{#source examples/src/store.rs region=types}}\n")));
}

#[test]
fn source_lines() {
    expect_file!["snapshots/source-lines.html"]
        .assert_eq(&readable(&render("{{#source examples/src/store.rs region=visible lines=2-2}}\n")));
}

#[test]
fn source_collapse_and_caption() {
    expect_file!["snapshots/source-collapse-caption.html"].assert_eq(&readable(&render(
        "{{#source examples/src/store.rs region=types collapse=fields caption=\"A <version> & its \\\"writer\\\"\"}}\n",
    )));
}

/// The code of a rendered figure's `<pre>` (its label says what it belongs to).
fn code_part(html: &str) -> &str {
    let start = html.find("<code class=\"language-rust bf-code\"").expect("a code block");
    // From the end of the `<code …>` tag: its label names what it belongs to.
    let start = html[start..].find('>').expect("a whole tag") + start + 1;
    let end = html[start..].find("</pre>").expect("a closed code block") + start;
    &html[start..end]
}

#[test]
fn a_source_region_is_shown_as_its_example_shows_it_without_the_rest() {
    let example = render("{{#example demo::hello collapse=setup lines=2-}}\n");
    let source = render("{{#source examples/src/demo.rs region=example collapse=setup lines=2-}}\n");
    assert_eq!(code_part(&source), code_part(&example));
    assert!(code_part(&source).contains("<span class=\"boring\">"), "{source}");
    // The same link to the file, labelled with the same lines.
    let link = |html: &str| {
        let start = html.find("<a class=\"bf-example-source\" href=").expect("a source link");
        let href = html[start..].split('"').nth(3).unwrap().to_string();
        let label = html[start..].split('>').nth(1).unwrap().trim_end_matches("</a").to_string();
        (href, label)
    };
    assert_eq!(link(&source), link(&example));
    assert_eq!(link(&source).0, "../generated/source/examples/src/demo.rs.txt");
    // Lines 2 to the end of the region are lines 6 to 11 of the file: the anchor lines of
    // `setup` (5 and 8) are not shown but still count.
    assert_eq!(link(&source).1, "examples/src/demo.rs, lines 6–11");
    // No title, input, output or Run button: the figure is only the code.
    for part in ["bf-example-title", "bf-example-input", "bf-example-output", "bf-run", "data-example-id"] {
        assert!(example.contains(part), "the example has {part}");
        assert!(!source.contains(part), "the source figure has {part}:\n{source}");
    }
}

#[test]
fn runnable_index_groups_by_chapter() {
    let session = session(true);
    session.set_usages(vec![mdbook_examples::Usage {
        id: "demo::hello".into(),
        chapter: "Greetings <&> more".into(),
        href: "part/greetings.html".into(),
    }]);
    let html = session.process_chapter(&common::chapter("# Playground\n\n{{#runnable-examples}}\n")).unwrap();
    expect_file!["snapshots/runnable-index.html"].assert_eq(&readable(&html));
    // The native-only example is not listed; the data is one JSON array in a script element.
    assert!(!html.contains("demo::server"));
    let json = html.split("id=\"bf-playground-data\">").nth(1).unwrap().split("</script>").next().unwrap();
    let data: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(data[0]["id"], "demo::hello");
    assert_eq!(data[0]["chapter_href"], "part/greetings.html");
    assert_eq!(data[0]["module"], "demo");
    // Inputs and verified outputs are not in the page: they are in the module's data file.
    assert!(data[0].get("verified").is_none() && data[0].get("default_input").is_none());
    let files = session.playground_data().unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), ["demo"]);
    let demo: serde_json::Value = serde_json::from_str(&files["demo"]).unwrap();
    assert!(demo["demo::hello"]["verified"].as_str().unwrap().starts_with("Hello"));
    assert!(demo["demo::hello"]["default_input"].is_string());
    assert!(demo.get("demo::server").is_none(), "a native-only example has no playground data");
}

const CHAPTER: &str = include_str!("snapshots/chapter.md");

#[test]
fn representative_chapter_html() {
    expect_file!["snapshots/chapter.html.md"].assert_eq(&render(CHAPTER));
}

#[test]
fn representative_chapter_for_other_renderers() {
    let out = session(false).process_chapter(&common::chapter(CHAPTER)).unwrap();
    expect_file!["snapshots/chapter.markdown.md"].assert_eq(&out);
}

#[test]
fn the_representative_chapter_renders_as_intended() {
    // Run the preprocessor's output through the Markdown parser (as mdBook does) and check the
    // structure, not only the text: examples stay inside their containers, fences become <pre>.
    let out = render(CHAPTER);
    let mut html = String::new();
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(
            &out,
            pulldown_cmark::Options::ENABLE_GFM | pulldown_cmark::Options::ENABLE_TABLES,
        ),
    );
    // The example in the list item is inside the <li>, the one in the quote inside the quote.
    let li = html.find("<li>").unwrap();
    let li_end = html[li..].find("</li>").unwrap() + li;
    assert!(html[li..li_end].contains("<figure class=\"bf-example\""), "{html}");
    let quote = html.find("<blockquote>").unwrap();
    let quote_end = html[quote..].find("</blockquote>").unwrap() + quote;
    assert!(html[quote..quote_end].contains("data-example-id=\"demo::hello\""), "{html}");
    // The source regions stayed in their quote and in their list item.
    let source_quote = html.rfind("<blockquote>").unwrap();
    let source_quote_end = html[source_quote..].find("</blockquote>").unwrap() + source_quote;
    assert!(html[source_quote..source_quote_end].contains("id=\"source-store-rs-types\""), "{html}");
    assert!(
        html.contains("<li><figure class=\"bf-example bf-source-excerpt\" id=\"source-store-rs-visible\""),
        "{html}"
    );
    // The paragraph after an example is still a paragraph.
    assert!(html.contains("<p>After the quote, prose continues.</p>"), "{html}");
    // The admonition kept its example.
    let note = html.find("markdown-alert-note").expect("admonition rendered");
    assert!(html[note..].contains("<figure class=\"bf-example\""), "{html}");
    // Fences were highlighted; the diagram was drawn, as one HTML block; the escape stayed literal.
    assert!(html.contains("<code class=\"language-sql bf-code\""), "{html}");
    assert!(html.contains("<figure class=\"bf-diagram\" tabindex=\"0\" aria-label=\"Flowchart\"><svg id=\"diagram-chapter-1\""), "{html}");
    assert!(!html.contains("class=\"mermaid\""), "{html}");
    assert!(html.contains("{{#example demo::hello}}"), "{html}");
    // No raw blank line broke a <pre>: every <pre> closes before the next block starts.
    assert_eq!(html.matches("<pre").count(), html.matches("</pre>").count());
    // Every block can be reached with the keyboard and is named: code, input, output, fences.
    assert!(html.matches("<pre class=").count() > 5, "{html}");
    for (at, _) in html.match_indices("<pre class=") {
        let code = &html[at..html[at..].find("</pre>").unwrap() + at];
        let tag = &code[code.find("<code").expect("a <code> in every <pre>")..];
        let tag = &tag[..tag.find('>').unwrap()];
        assert!(
            tag.contains(" tabindex=\"0\" role=\"group\" aria-label=\""),
            "not focusable and named: {tag}"
        );
    }
}
