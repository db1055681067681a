//! Mermaid diagrams drawn at build time with merman, a headless Rust implementation of
//! Mermaid: each ```` ```mermaid ```` fence becomes an inline SVG, so a page needs no diagram
//! script. merman draws with mermaid's `default` theme, measuring labels in the site's own font
//! (Open Sans, [`open_sans`]); [`svg`] rewrites the result for the page and [`palette`] gives
//! its colours a value in each mdBook theme. Drawn diagrams are cached on disk, like highlighted
//! code, keyed by the renderer's version and the source.
//!
//! A diagram type merman does not draw (it has only the families the book uses) is left to
//! mermaid.js in the browser: [`Outcome::InBrowser`].

mod open_sans;
pub mod palette;
pub mod svg;

use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use merman::svg::{
    DeterministicTextMeasurer, MeasurementProfileId, TextMeasurementPolicy, TextMeasurementProfile,
    TextMeasurementProfileIdentity, TextStyle,
};
use merman::{
    Engine, MermaidConfig, OperationControl, ParseOptions, RenderError, RenderOutput, RenderRequest,
    Renderer, SvgEnvironment, SvgRequest,
};

use crate::highlight::fnv1a128;

/// The merman version in `Cargo.toml` (a test checks they agree); part of the cache key.
pub const MERMAN_VERSION: &str = "0.9.3";

/// Bumped whenever this module's output changes for the same source, so stale cache entries
/// are never used.
const CACHE_VERSION: u32 = 2;

/// The font the SVG's text is set in: mdBook's body font, served by the site itself.
const FONT_FAMILY: &str = "\"Open Sans\", sans-serif";

/// How much narrower than its natural width a diagram may get before its figure scrolls
/// sideways instead (the page's CSS; text at 16 px stays above 10 px).
pub const MIN_SCALE: f64 = 0.65;

/// What became of a diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Drawn: the SVG (one physical line) and what kind of diagram it is, in words.
    Drawn { svg: String, kind: String },
    /// Left to mermaid.js in the browser: a type merman does not draw here (`kind` as merman
    /// names it), or one it draws badly; `why` says which.
    InBrowser { kind: String, why: String },
}

/// A diagram that does not parse (or cannot be drawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub message: String,
    /// Where in the diagram's source, when merman says.
    pub span: Option<Range<usize>>,
}

/// Draws diagrams, through the on-disk cache.
pub struct Diagrams {
    renderer: Renderer,
    environment: SvgEnvironment,
    cache_dir: Option<PathBuf>,
    pub stats: Stats,
}

/// What the renderer did in one build (for `cargo xtask bench`).
#[derive(Default, Debug)]
pub struct Stats {
    pub drawn: AtomicUsize,
    pub cache_hits: AtomicUsize,
    pub nanos_drawing: AtomicU64,
}

impl Diagrams {
    /// `cache_dir` must exist (the highlighter creates it); `None` turns the cache off.
    pub fn new(cache_dir: Option<PathBuf>) -> Self {
        // Mermaid 11's look, which the book was written for (mdbook-mermaid 0.17 ships it):
        // merman follows Mermaid 12, whose diagrams default to the `neo` look and
        // `redux-color` theme, flowcharts and state diagrams to ELK layout, labels wrapped at
        // 120 px and nodes at least 120 px wide.
        let classic = serde_json::json!({
            "look": "classic", "theme": "default", "layout": "dagre", "wrappingWidth": 200, "minNodeWidth": 0,
        });
        let config = MermaidConfig::from_value(serde_json::json!({
            "theme": "default",
            "look": "classic",
            "layout": "dagre",
            "fontFamily": FONT_FAMILY,
            "themeVariables": { "fontFamily": FONT_FAMILY },
            "flowchart": classic,
            "state": classic,
            // Notes and participants are drawn at 16 px, like messages, so measure them at 16
            // px too (Mermaid's 14 px makes long notes overflow their box, in mermaid.js too).
            "sequence": {
                "look": "classic",
                "theme": "default",
                "noteFontSize": 16,
                "actorFontSize": 16,
                "actorFontFamily": FONT_FAMILY,
                "noteFontFamily": FONT_FAMILY,
                "messageFontFamily": FONT_FAMILY,
            },
        }));
        let renderer = Renderer::new()
            .with_engine(Engine::new().with_site_config(config))
            .with_parse_options(ParseOptions::strict());
        let identity = TextMeasurementProfileIdentity::new(
            MeasurementProfileId::new("backend-fundamentals.open-sans").expect("a valid profile id"),
            "open-sans-v17",
        )
        .expect("a valid profile version");
        let measurer = DeterministicTextMeasurer::default().with_width_callback(text_width);
        let environment = SvgEnvironment::deterministic().with_text_measurement_policy(
            TextMeasurementPolicy::uniform(TextMeasurementProfile::new(identity, measurer)),
        );
        Diagrams { renderer, environment, cache_dir, stats: Stats::default() }
    }

    /// Draws `source` as an SVG whose id is `id` (unique in the whole book, as print.html
    /// holds every chapter).
    pub fn render(&self, source: &str, id: &str) -> Result<Outcome, Failed> {
        let entry =
            self.cache_dir.as_ref().map(|dir| dir.join(format!("{:032x}.svg", cache_key(id, source))));
        if let Some(path) = &entry
            && let Ok(cached) = std::fs::read_to_string(path)
            && let Some((kind, svg)) = cached.split_once('\n')
        {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Outcome::Drawn { svg: svg.to_string(), kind: kind.to_string() });
        }
        let started = Instant::now();
        let drawn = self.draw(source, id)?;
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.stats.nanos_drawing.fetch_add(nanos, Ordering::Relaxed);
        let Outcome::Drawn { svg, kind } = &drawn else { return Ok(drawn) };
        self.stats.drawn.fetch_add(1, Ordering::Relaxed);
        if let Some(path) = entry {
            // Write then rename: a parallel build never reads half an entry.
            let scratch = path.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&scratch, format!("{kind}\n{svg}")).is_ok() {
                let _ = std::fs::rename(&scratch, &path);
            }
        }
        Ok(drawn)
    }

    fn draw(&self, source: &str, id: &str) -> Result<Outcome, Failed> {
        let mut request = SvgRequest { environment: self.environment.clone(), ..SvgRequest::default() };
        request.options.diagram_id = Some(id.to_string());
        // merman is young: a panic on some input must not take the build down without a place.
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.renderer.render(RenderRequest::svg(source, OperationControl::new(), request))
        }))
        .map_err(|panic| Failed {
            message: format!(
                "merman {MERMAN_VERSION} crashed drawing this diagram: {}",
                panic_message(&panic)
            ),
            span: None,
        })?;
        match rendered {
            Ok(RenderOutput::Svg(Some(_))) if let Some((kind, why)) = drawn_badly(source) => {
                Ok(Outcome::InBrowser { kind: kind.into(), why: why.into() })
            }
            Ok(RenderOutput::Svg(Some(svg))) => {
                let finished = svg::finish(svg.svg(), id);
                Ok(Outcome::Drawn { svg: finished.svg, kind: finished.kind.to_string() })
            }
            Ok(_) => Err(Failed { message: "merman found no diagram in this fence".into(), span: None }),
            Err(RenderError::Parse(diagnostic)) => {
                let details = diagnostic.terminal_diagnostic_details();
                if details.code == "merman.parse.unsupported_diagram" {
                    return Ok(Outcome::InBrowser {
                        kind: details.diagram_type.unwrap_or_default(),
                        why: "the build draws only flowchart, sequenceDiagram and stateDiagram-v2".into(),
                    });
                }
                let message = diagnostic.terminal_safe_message();
                let mut span = details.span.map(|span| span.start..span.end);
                // A `;` ends a statement in Mermaid, so the error shows later on the line (at
                // what follows the semicolon); the semicolon is what to fix.
                if message.contains("statement separator")
                    && let Some(at) = &span
                {
                    let line_start = source[..at.start.min(source.len())].rfind('\n').map_or(0, |i| i + 1);
                    if let Some(semicolon) = source[line_start..at.start.min(source.len())].find(';') {
                        span = Some(line_start + semicolon..line_start + semicolon + 1);
                    }
                }
                Err(Failed { message, span })
            }
            Err(other) => Err(Failed { message: other.to_string(), span: None }),
        }
    }
}

/// What merman draws, but badly enough that mermaid.js does better (found with `cargo xtask
/// fidelity`): the kind and why. A state's transition to itself becomes a small loop whose
/// label lands on the other transitions' labels.
fn drawn_badly(source: &str) -> Option<(&'static str, &'static str)> {
    let mut lines = source.lines().map(|line| line.split("%%").next().unwrap_or("").trim());
    let kind = lines.find(|line| !line.is_empty())?;
    if !kind.starts_with("stateDiagram") {
        return None;
    }
    let to_itself = lines.filter_map(|line| line.split_once("-->")).any(|(from, to)| {
        let to = to.split(':').next().unwrap_or("").trim();
        from.trim() == to && to != "[*]"
    });
    to_itself.then_some((
        "stateDiagram",
        "a state with a transition to itself: merman draws its label over the other labels\n\
         (to draw it at build time, say it in a note: `note right of State: stays here when …`)",
    ))
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// 128-bit FNV-1a over the cache version, merman's version, the id and the source.
fn cache_key(id: &str, source: &str) -> u128 {
    fnv1a128(
        CACHE_VERSION
            .to_le_bytes()
            .iter()
            .chain(MERMAN_VERSION.as_bytes())
            .chain(&[0])
            .chain(id.as_bytes())
            .chain(&[0])
            .chain(source.as_bytes()),
    )
}

/// The width in CSS pixels of `text` set in Open Sans at `style`'s size and weight, as Chromium
/// lays it out (without kerning, which Open Sans barely uses). A character Open Sans lacks
/// comes from another font in the browser; it counts as 1 em, wider than most.
pub fn text_width(text: &str, style: &TextStyle) -> f64 {
    let bold = style.font_weight.as_deref().is_some_and(|weight| {
        matches!(weight, "bold" | "bolder") || weight.parse::<u32>().is_ok_and(|w| w >= 600)
    });
    let units: u32 = text
        .chars()
        .map(|c| match open_sans::ADVANCES.binary_search_by_key(&c, |(ch, _, _)| *ch) {
            Ok(at) => u32::from(if bold { open_sans::ADVANCES[at].2 } else { open_sans::ADVANCES[at].1 }),
            Err(_) if c.is_control() || c == '\u{ad}' || c == '\u{200b}' => 0,
            Err(_) => open_sans::UNITS_PER_EM as u32,
        })
        .sum();
    f64::from(units) / open_sans::UNITS_PER_EM * style.font_size.max(1.0)
}

/// The CSS of the figures: each role's colour per theme ([`palette`]) and the layout rules.
pub fn theme_css() -> String {
    palette::theme_css(&format!(
        "\
/* A diagram is an inline SVG in a figure: it scales down with the page to {percent}% of its
   natural width (`--bf-diagram-width`, set on the SVG), then the figure scrolls sideways. */
.bf-diagram {{ margin: 1.5em 0; padding: 0.75em; overflow-x: auto; background: var(--bf-diagram-background); border-radius: 6px; }}
.bf-diagram:focus-visible {{ outline: 2px solid var(--bf-diagram-node-stroke); outline-offset: 2px; }}
.bf-diagram > svg {{ display: block; margin: 0 auto; width: 100%; height: auto; max-width: var(--bf-diagram-width); min-width: calc(var(--bf-diagram-width) * {scale}); }}
/* Labels are measured with merman's line height; the page's paragraph rules do not apply. */
.bf-diagram > svg p {{ line-height: inherit; margin: 0; }}
/* Sequence diagrams: lifelines and the frames of alt/opt/loop thin and light (as mermaid.js
   draws them), so the messages' text that crosses them stays easy to read. */
.bf-diagram > svg .actor-line {{ stroke-width: 1px !important; stroke-opacity: 0.6; }}
.bf-diagram > svg .loopLine {{ stroke-width: 1px !important; }}
@media print {{
    .bf-diagram {{ overflow: visible; break-inside: avoid; }}
    .bf-diagram > svg {{ min-width: 0; }}
}}
",
        percent = (MIN_SCALE * 100.0).round(),
        scale = MIN_SCALE,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_version_is_the_cache_keys() {
        let manifest = include_str!("../Cargo.toml");
        assert!(
            manifest.contains(&format!("merman = {{ version = \"={MERMAN_VERSION}\"")),
            "Cargo.toml pins another merman"
        );
    }

    #[test]
    fn widths_come_from_open_sans() {
        let regular = TextStyle { font_size: 16.0, ..TextStyle::default() };
        let bold = TextStyle { font_weight: Some("bold".into()), ..regular.clone() };
        // "i" is narrow, "W" wide; bold is wider; a character Open Sans lacks counts as 1 em.
        assert!(text_width("iii", &regular) < text_width("WWW", &regular));
        assert!(text_width("Server", &regular) < text_width("Server", &bold));
        assert_eq!(text_width("→", &regular), 16.0);
        assert_eq!(text_width("", &regular), 0.0);
    }

    #[test]
    fn draws_and_caches() {
        let dir = std::env::temp_dir().join(format!("bf-diagram-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let diagrams = Diagrams::new(Some(dir.clone()));
        let source = "flowchart LR\n    A[\"one\"] --> B[\"two\"]\n";
        let first = diagrams.render(source, "diagram-test-1").unwrap();
        let Outcome::Drawn { svg, kind } = &first else { panic!("{first:?}") };
        assert_eq!(kind, "Flowchart");
        assert!(svg.starts_with("<svg id=\"diagram-test-1\""), "{svg}");
        assert!(svg.contains("role=\"img\"") && svg.contains("aria-label=\"Flowchart: one, two\""), "{svg}");
        assert!(svg.contains("var(--bf-diagram-node-fill)") && !svg.contains('\n'));
        assert_eq!(diagrams.render(source, "diagram-test-1").unwrap(), first);
        assert_eq!(diagrams.stats.cache_hits.load(Ordering::Relaxed), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unsupported_types_go_to_the_browser_and_errors_have_places() {
        let diagrams = Diagrams::new(None);
        let Outcome::InBrowser { kind, .. } =
            diagrams.render("pie title Pets\n    \"Dogs\" : 3\n", "d").unwrap()
        else {
            panic!("a pie chart is drawn in the browser")
        };
        assert_eq!(kind, "pie");
        let looping = "stateDiagram-v2\n    [*] --> A\n    A --> A: again %% a comment\n    A --> [*]\n";
        let Outcome::InBrowser { why, .. } = diagrams.render(looping, "d").unwrap() else {
            panic!("a state diagram with a transition to itself is drawn in the browser")
        };
        assert!(why.contains("transition to itself"), "{why}");
        assert!(matches!(
            diagrams.render("stateDiagram-v2\n    [*] --> A\n    A --> B: go\n", "d"),
            Ok(Outcome::Drawn { .. })
        ));
        let source = "sequenceDiagram\n    A->>B: hello; world\n";
        let failed = diagrams.render(source, "d").unwrap_err();
        assert!(failed.message.contains("statement separator"), "{failed:?}");
        assert_eq!(&source[failed.span.unwrap()], ";");
    }

    #[test]
    fn every_colour_merman_writes_is_known() {
        // One diagram of each family the book uses, with the features it uses.
        let sources = [
            "flowchart LR\n    subgraph S[\"group\"]\n        A[\"a<br/>b\"] -- \"label\" --> B\n    end\n    B -.->|dotted| C[(db)]\n    C --> D{\"choice\"}\n",
            "sequenceDiagram\n    participant A as Alice\n    A->>B: hi\n    B-->>A: ok\n    Note over A,B: note\n    alt yes\n        A->>A: self\n    else no\n        B->>B: other\n    end\n    opt maybe\n        A->>B: x\n    end\n",
            "stateDiagram-v2\n    [*] --> A\n    A: described\n    A --> B: go\n    B --> A\n    B --> [*]\n",
        ];
        let diagrams = Diagrams::new(None);
        for source in sources {
            let mut request =
                SvgRequest { environment: diagrams.environment.clone(), ..SvgRequest::default() };
            request.options.diagram_id = Some("d".into());
            let rendered =
                diagrams.renderer.render(RenderRequest::svg(source, OperationControl::new(), request));
            let Ok(RenderOutput::Svg(Some(raw))) = rendered else { panic!("{source}: {rendered:?}") };
            let finished = svg::finish(raw.svg(), "d");
            assert!(finished.unknown_colours.is_empty(), "{source}: {:?}", finished.unknown_colours);
        }
    }

    #[test]
    fn theme_css_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../theme/diagrams.css");
        expect_test::expect_file![path].assert_eq(&theme_css());
    }
}
