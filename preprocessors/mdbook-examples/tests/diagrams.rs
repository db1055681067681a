//! Mermaid fences: drawn at build time into an inline SVG; a type the build cannot draw is left
//! to mermaid.js in the browser with a warning that names the chapter's line; other renderers
//! keep the fence.

mod common;

use common::{chapter, render, session};

#[test]
fn a_diagram_becomes_an_inline_svg_in_a_focusable_figure() {
    let html =
        render("# Ch\n\n> ```mermaid\n> flowchart LR\n>     A[\"a & b\"] -- \"to\" --> B\n> ```\n\nAfter.\n");
    let line = html.lines().find(|line| line.contains("<figure")).expect("a figure");
    // One physical line, inside the blockquote, with the diagram's id, role and name.
    assert!(line.starts_with("> <figure class=\"bf-diagram\" tabindex=\"0\" aria-label=\"Flowchart\"><svg id=\"diagram-chapter-1\""), "{line}");
    assert!(
        line.contains("role=\"img\"") && line.contains("aria-label=\"Flowchart: to, a &amp; b, B\""),
        "{line}"
    );
    assert!(line.ends_with("</svg></figure>"), "{line}");
    // Colours are the theme's custom properties; the text is in the site's font.
    assert!(line.contains("var(--bf-diagram-node-fill)") && !line.contains("#ECECFF"), "{line}");
    assert!(line.contains("Open Sans"), "{line}");
    assert!(html.contains("\nAfter.\n"));
}

#[test]
fn each_diagram_of_a_chapter_has_its_own_id() {
    let md =
        "```mermaid\nflowchart LR\n    A --> B\n```\n\n```mermaid\nsequenceDiagram\n    A->>B: hi\n```\n";
    let html = render(md);
    assert!(html.contains("<svg id=\"diagram-chapter-1\""), "{html}");
    assert!(html.contains("<svg id=\"diagram-chapter-2\""), "{html}");
    // merman names some elements the same in every sequence diagram; they get the diagram's id.
    assert!(!html.contains(" id=\"actor0\"") && html.contains(" id=\"diagram-chapter-2-actor0\""), "{html}");
}

#[test]
fn a_type_the_build_cannot_draw_is_left_to_mermaid_js_with_a_warning() {
    let session = session(true);
    let md = "# Ch\n\nPets:\n\n```mermaid\npie title Pets\n    \"Dogs\" : 3\n```\n";
    let html = session.process_chapter(&chapter(md)).unwrap();
    assert!(
        html.contains("<pre class=\"mermaid\">pie title Pets&#10;    &quot;Dogs&quot; : 3&#10;</pre>"),
        "{html}"
    );
    let warnings = session.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    let text = warnings[0].as_warning();
    assert!(text.starts_with("warning: this `pie` diagram is drawn in the reader's browser"), "{text}");
    assert!(text.contains("--> src/chapter.md:5:1"), "{text}");
    assert!(text.contains("flowchart, sequenceDiagram and stateDiagram-v2"), "{text}");
}

#[test]
fn a_state_with_a_transition_to_itself_is_left_to_mermaid_js() {
    let session = session(true);
    let md = "```mermaid\nstateDiagram-v2\n    [*] --> Open\n    Open --> Open: retry\n```\n";
    let html = session.process_chapter(&chapter(md)).unwrap();
    assert!(html.starts_with("<pre class=\"mermaid\">"), "{html}");
    let text = session.warnings()[0].as_warning();
    assert!(text.contains("transition to itself") && text.contains("note right of"), "{text}");
}

#[test]
fn other_renderers_keep_the_fence() {
    let md = "```mermaid\nflowchart LR\n    A --> B\n```\n";
    assert_eq!(session(false).process_chapter(&chapter(md)).unwrap(), md);
}
