//! Build-time syntax highlighting with syntect (pure-Rust regex) and two-face's extra
//! syntaxes. Each run of text that some theme styles gets one flat `<span>` whose classes say,
//! for each of mdBook's five themes, which of that theme's colours and font styles it takes
//! (`bf-l3` is the light theme's colour 3, `bf-nb` bold under navy); `theme_css()` writes those
//! colours. Syntect resolves each token's scope stack against every theme at build time, so the
//! page carries no nesting of scope spans (a long chapter had 18,000 of them, most uncoloured,
//! and its style and layout cost the reader's main thread). Highlighted blocks are cached on
//! disk by content hash.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use std::collections::HashMap;

use syntect::easy::ScopeRegionIterator;
use syntect::highlighting::{Color, FontStyle, Highlighter as ThemeStyler, Theme};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

use crate::contrast::{self, Rgb};
use crate::diagnostic::Problem;
use crate::html::escape;

/// Bumped whenever the HTML for a block changes, so stale cache entries are never used.
const CACHE_VERSION: u32 = 2;

/// How a fence's language is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Highlighted with the named syntect syntax; `name` is what the page's class says.
    Syntax { name: &'static str, syntax: &'static str },
    /// Escaped, not highlighted (`text`, `console`, `output`, no language).
    Plain { name: &'static str },
    /// A Mermaid diagram (`mermaid`): drawn by [`crate::diagram`], not highlighted.
    Diagram,
}

/// Fence languages the book may use: (fence word, syntect syntax or None for plain text).
const LANGUAGES: &[(&str, Option<&str>)] = &[
    ("rust", Some("Rust")),
    ("rs", Some("Rust")),
    ("sql", Some("SQL")),
    ("ts", Some("TypeScript")),
    ("typescript", Some("TypeScript")),
    ("tsx", Some("TypeScriptReact")),
    ("js", Some("JavaScript")),
    ("javascript", Some("JavaScript")),
    ("json", Some("JSON")),
    ("toml", Some("TOML")),
    ("yaml", Some("YAML")),
    ("yml", Some("YAML")),
    ("bash", Some("Bourne Again Shell (bash)")),
    ("sh", Some("Bourne Again Shell (bash)")),
    ("shell", Some("Bourne Again Shell (bash)")),
    ("http", Some("HTTP Request and Response")),
    ("diff", Some("Diff")),
    ("python", Some("Python")),
    ("py", Some("Python")),
    ("go", Some("Go")),
    ("c", Some("C")),
    ("html", Some("HTML")),
    ("css", Some("CSS")),
    ("xml", Some("XML")),
    ("ini", Some("INI")),
    ("dockerfile", Some("Dockerfile")),
    ("makefile", Some("Makefile")),
    ("proto", Some("Protocol Buffer")),
    ("graphql", Some("GraphQL")),
    ("nginx", Some("nginx")),
    ("text", None),
    ("txt", None),
    ("plain", None),
    ("console", None),
    ("output", None),
];

/// The language of a fence's info string (`rust`, `rust,ignore`, `sql title="x"`, empty).
pub fn language(info: &str) -> Result<Language, Problem> {
    let word = info.split([',', ' ', '\t', '{']).next().unwrap_or("").trim();
    if word.is_empty() {
        return Ok(Language::Plain { name: "text" });
    }
    if word == "mermaid" {
        return Ok(Language::Diagram);
    }
    let lowered = word.to_ascii_lowercase();
    match LANGUAGES.iter().find(|(name, _)| *name == lowered) {
        Some((_, Some(syntax))) => {
            // The page names a language by its first alias: `rs` and `rust` are both `rust`.
            let name = LANGUAGES.iter().find(|(_, s)| *s == Some(*syntax)).map_or("text", |(n, _)| *n);
            Ok(Language::Syntax { name, syntax })
        }
        Some((name, None)) => Ok(Language::Plain { name }),
        None => Err(Problem::new(format!("unknown language `{word}` on a code fence")).hint(format!(
            "known languages: {}, mermaid",
            LANGUAGES.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

/// Highlights code to HTML spans (newlines kept as `\n`), through the on-disk cache.
pub struct Highlighter {
    cache_dir: Option<PathBuf>,
    pub stats: Stats,
}

/// What the highlighter did in one build (for `cargo xtask bench`).
#[derive(Default, Debug)]
pub struct Stats {
    pub cache_hits: AtomicUsize,
    pub lines_highlighted: AtomicUsize,
    pub nanos_highlighting: AtomicU64,
}

impl Highlighter {
    pub fn new(cache_dir: Option<PathBuf>) -> Self {
        if let Some(dir) = &cache_dir
            && let Err(err) = std::fs::create_dir_all(dir)
        {
            eprintln!(
                "mdbook-examples: warning: highlight cache {} unusable ({err}); continuing without it",
                dir.display()
            );
            return Highlighter { cache_dir: None, stats: Stats::default() };
        }
        Highlighter { cache_dir, stats: Stats::default() }
    }

    /// The cache folder in use, if any.
    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache_dir.as_deref()
    }

    /// One self-contained HTML fragment per line of `code` (every span opened on a line is
    /// closed on it), so lines can be wrapped or hidden one by one.
    pub fn highlight_lines(&self, language: Language, code: &str) -> Vec<String> {
        let Language::Syntax { syntax, .. } = language else {
            return code.lines().map(escape).collect();
        };
        let entry =
            self.cache_dir.as_ref().map(|dir| dir.join(format!("{:032x}.html", cache_key(syntax, code))));
        if let Some(path) = &entry
            && let Ok(html) = std::fs::read_to_string(path)
        {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return html.split('\n').map(str::to_string).collect();
        }
        let started = Instant::now();
        let lines = highlight_uncached(syntax, code);
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.stats.nanos_highlighting.fetch_add(nanos, Ordering::Relaxed);
        self.stats.lines_highlighted.fetch_add(lines.len(), Ordering::Relaxed);
        if let Some(path) = entry {
            // Write then rename: a parallel build never reads half an entry.
            let scratch = path.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&scratch, lines.join("\n")).is_ok() {
                let _ = std::fs::rename(&scratch, &path);
            }
        }
        lines
    }
}

/// Highlights each file (language from its extension) without the cache: lines and time, for
/// `cargo xtask bench`'s syntect throughput figure.
pub fn bench(files: &[PathBuf]) -> anyhow::Result<(usize, Duration)> {
    let highlighter = Highlighter::new(None);
    let mut lines = 0;
    let mut spent = Duration::ZERO;
    for file in files {
        let code = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let language =
            language(extension).map_err(|p| anyhow::anyhow!("{}: {}", file.display(), p.message))?;
        let started = Instant::now();
        lines += highlighter.highlight_lines(language, &code).len();
        spent += started.elapsed();
    }
    Ok((lines, spent))
}

fn highlight_uncached(syntax_name: &str, code: &str) -> Vec<String> {
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_name(syntax_name)
        .unwrap_or_else(|| panic!("syntax `{syntax_name}` is listed in LANGUAGES but not in two-face's set"));
    let styles = theme_styles();
    let stylers: Vec<ThemeStyler> = styles.iter().map(|style| ThemeStyler::new(&style.theme)).collect();
    // The classes of a scope stack, resolved once per block for each stack it meets.
    let mut classes_of: HashMap<Vec<Scope>, String> = HashMap::new();
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut lines = Vec::new();
    for line in LinesWithEndings::from(code) {
        let Ok(ops) = state.parse_line(line, set) else {
            // A syntax definition failed on this input: show the block unhighlighted rather
            // than half-highlighted.
            return code.lines().map(escape).collect();
        };
        let mut runs: Vec<(String, &str)> = Vec::new();
        for (text, op) in ScopeRegionIterator::new(&ops, line) {
            if stack.apply(op).is_err() {
                return code.lines().map(escape).collect();
            }
            let text = text.trim_end_matches(['\n', '\r']);
            if text.is_empty() {
                continue;
            }
            let classes = classes_of
                .entry(stack.as_slice().to_vec())
                .or_insert_with(|| token_classes(styles, &stylers, stack.as_slice()))
                .clone();
            runs.push((classes, text));
        }
        lines.push(render_runs(&runs));
    }
    lines
}

/// The classes a token with scope `stack` takes: for each theme, its colour (when not the
/// theme's default) and its font styles. Empty when every theme draws it plainly.
fn token_classes(styles: &[ThemeStyle], stylers: &[ThemeStyler], stack: &[Scope]) -> String {
    let mut classes = Vec::new();
    for (style, styler) in styles.iter().zip(stylers) {
        let resolved = styler.style_for_stack(stack);
        let prefix = style.code.prefix;
        if resolved.foreground != style.default_foreground {
            let index = style.colours.iter().position(|c| *c == resolved.foreground).unwrap_or_else(|| {
                panic!("{}: a token colour outside the theme's own colours", style.code.mdbook)
            });
            classes.push(format!("bf-{prefix}{index}"));
        }
        for (flag, letter) in FONT_FLAGS {
            if resolved.font_style.contains(*flag) {
                classes.push(format!("bf-{prefix}{letter}"));
            }
        }
    }
    classes.join(" ")
}

/// One line's HTML: runs of equal classes merged into one span, and blank runs between two runs
/// of the same classes folded into them (no theme underlines blanks), so a line has as few
/// elements as its colours need.
fn render_runs(runs: &[(String, &str)]) -> String {
    let is_blank = |text: &str| text.chars().all(char::is_whitespace);
    let mut merged: Vec<(&str, String)> = Vec::new();
    for (index, (classes, text)) in runs.iter().enumerate() {
        let mut classes = classes.as_str();
        if is_blank(text) && !classes.split(' ').any(|class| class.ends_with('u')) {
            let before = merged.last().map(|(c, _)| *c);
            let after = runs[index + 1..].iter().find(|(_, t)| !is_blank(t)).map(|(c, _)| c.as_str());
            classes = if before.is_some() && before == after { before.unwrap_or("") } else { "" };
        }
        match merged.last_mut() {
            Some((last, joined)) if *last == classes => joined.push_str(text),
            _ => merged.push((classes, text.to_string())),
        }
    }
    let mut html = String::new();
    for (classes, text) in merged {
        if classes.is_empty() {
            html.push_str(&escape(&text));
        } else {
            html.push_str(&format!("<span class=\"{classes}\">{}</span>", escape(&text)));
        }
    }
    html
}

/// 128-bit FNV-1a over the cache version, syntax and code: stable across builds and Rust versions.
fn cache_key(syntax: &str, code: &str) -> u128 {
    fnv1a128(CACHE_VERSION.to_le_bytes().iter().chain(syntax.as_bytes()).chain(&[0]).chain(code.as_bytes()))
}

/// 128-bit FNV-1a: a stable hash (unlike `std`'s hashers, the same on every build).
pub fn fnv1a128<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u128 {
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for byte in bytes {
        hash ^= u128::from(*byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// The low 64 bits of [`fnv1a128`], for short stable ids.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a128(bytes) as u64
}

/// How one mdBook theme colours code.
pub struct CodeTheme {
    /// The mdBook theme: the class on `<html>`.
    pub mdbook: &'static str,
    /// The letter of its classes: `bf-l3` is the light theme's colour 3, `bf-lb` its bold.
    pub prefix: char,
    /// The syntect theme whose colours the `bf-` classes get under it.
    pub syntect: &'static str,
    /// The background code is drawn on under it: the `.hljs` background of the highlight
    /// stylesheet mdBook 0.5.4's `book.js` enables for the theme (`highlight.css` for light
    /// and rust, `tomorrow-night.css` for coal and navy, `ayu-highlight.css` for ayu).
    pub background: Rgb,
}

/// Each of mdBook's five themes, and how it colours code.
pub const THEMES: &[CodeTheme] = &[
    CodeTheme { mdbook: "light", prefix: 'l', syntect: "InspiredGitHub", background: Rgb(0xf6, 0xf7, 0xf6) },
    CodeTheme {
        mdbook: "rust",
        prefix: 'r',
        syntect: "Solarized (light)",
        background: Rgb(0xf6, 0xf7, 0xf6),
    },
    CodeTheme {
        mdbook: "coal",
        prefix: 'c',
        syntect: "base16-eighties.dark",
        background: Rgb(0x1d, 0x1f, 0x21),
    },
    CodeTheme {
        mdbook: "navy",
        prefix: 'n',
        syntect: "base16-ocean.dark",
        background: Rgb(0x1d, 0x1f, 0x21),
    },
    CodeTheme { mdbook: "ayu", prefix: 'a', syntect: "TwoDark", background: Rgb(0x19, 0x1f, 0x26) },
];

/// `theme` with every text colour made readable on `background` (WCAG AA,
/// [`contrast::MIN_CONTRAST`]): a colour below it is darkened or lightened, keeping its hue,
/// just enough. Colours are used opaque, as syntect's CSS writes them.
fn readable_theme(theme: &Theme, background: Rgb) -> Theme {
    let readable = |colour: Color| {
        let Rgb(r, g, b) =
            contrast::readable_on(Rgb(colour.r, colour.g, colour.b), background, contrast::MIN_CONTRAST);
        Color { r, g, b, a: 0xFF }
    };
    let mut theme = theme.clone();
    theme.settings.foreground = theme.settings.foreground.map(readable);
    for item in &mut theme.scopes {
        item.style.foreground = item.style.foreground.map(readable);
    }
    theme
}

/// Font styles a theme may give a token, and the letter of their class (`bf-lb`: bold under light).
const FONT_FLAGS: &[(FontStyle, char)] =
    &[(FontStyle::BOLD, 'b'), (FontStyle::ITALIC, 'i'), (FontStyle::UNDERLINE, 'u')];

/// One of [`THEMES`] ready to resolve tokens: its syntect theme with readable colours, and
/// those colours numbered for the classes.
struct ThemeStyle {
    code: &'static CodeTheme,
    theme: Theme,
    /// What text the theme does not style is drawn in (the `.bf-code` rule).
    default_foreground: Color,
    /// Every other colour the theme gives text, in a stable order: `bf-{prefix}{index}`.
    colours: Vec<Color>,
}

fn theme_styles() -> &'static [ThemeStyle] {
    static STYLES: OnceLock<Vec<ThemeStyle>> = OnceLock::new();
    STYLES.get_or_init(|| {
        let themes = two_face::theme::LazyThemeSet::from(two_face::theme::extra());
        THEMES
            .iter()
            .map(|code| {
                let source = themes.get(code.syntect).unwrap_or_else(|| panic!("no theme {}", code.syntect));
                let theme = readable_theme(source, code.background);
                let default_foreground = theme.settings.foreground.unwrap_or(Color::BLACK);
                let mut colours: Vec<Color> = theme
                    .scopes
                    .iter()
                    .filter_map(|item| item.style.foreground)
                    .filter(|colour| *colour != default_foreground)
                    .collect();
                colours.sort_by_key(|c| (c.r, c.g, c.b, c.a));
                colours.dedup();
                ThemeStyle { code, theme, default_foreground, colours }
            })
            .collect()
    })
}

fn hex(colour: Color) -> String {
    Rgb(colour.r, colour.g, colour.b).hex()
}

/// CSS for the `bf-` classes under each mdBook theme, every colour readable on the theme's code
/// background. Backgrounds are left to mdBook's theme.
pub fn theme_css() -> String {
    let mut css = String::from(
        "/* Generated by mdbook-examples (highlight::theme_css) from syntect themes, each colour darkened or\n   lightened to WCAG AA contrast on the theme's code background; do not edit. A token's span\n   carries one class per theme that styles it: `bf-l3` is the light theme's colour 3, `bf-lb` bold.\n   `cargo test -p mdbook-examples` checks it is current and rewrites it with UPDATE_EXPECT=1. */\n",
    );
    for style in theme_styles() {
        let CodeTheme { mdbook, prefix, syntect, background } = style.code;
        css.push_str(&format!("\n/* {mdbook}: {syntect}, on {} */\n", background.hex()));
        css.push_str(&format!("html.{mdbook} .bf-code {{ color: {}; }}\n", hex(style.default_foreground)));
        for (index, colour) in style.colours.iter().enumerate() {
            css.push_str(&format!("html.{mdbook} .bf-{prefix}{index} {{ color: {}; }}\n", hex(*colour)));
        }
        css.push_str(&format!(
            "html.{mdbook} .bf-{prefix}b {{ font-weight: bold; }}\nhtml.{mdbook} .bf-{prefix}i {{ font-style: italic; }}\nhtml.{mdbook} .bf-{prefix}u {{ text-decoration: underline; }}\n"
        ));
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_language_has_a_syntax() {
        for (name, syntax) in LANGUAGES {
            if let Some(syntax) = syntax {
                assert!(syntaxes().find_syntax_by_name(syntax).is_some(), "{name}: no syntax `{syntax}`");
            }
        }
    }

    #[test]
    fn fence_info_strings() {
        assert_eq!(language("rust,ignore").unwrap(), Language::Syntax { name: "rust", syntax: "Rust" });
        assert_eq!(language("rs").unwrap(), Language::Syntax { name: "rust", syntax: "Rust" });
        assert_eq!(language("YML").unwrap(), Language::Syntax { name: "yaml", syntax: "YAML" });
        assert_eq!(language("").unwrap(), Language::Plain { name: "text" });
        assert_eq!(language("mermaid").unwrap(), Language::Diagram);
        let problem = language("cobol").unwrap_err();
        assert!(problem.message.contains("unknown language `cobol`"));
        assert!(problem.hint.unwrap().contains("rust, rs, sql"));
    }

    #[test]
    fn highlights_with_prefixed_classes_and_escapes() {
        let lines = Highlighter::new(None).highlight_lines(language("rust").unwrap(), "let x = \"<a>\";\n");
        assert_eq!(lines.len(), 1);
        // InspiredGitHub (light) draws `let` in bold in a colour of its own; one flat span says so.
        let let_span =
            lines[0].split("<span class=\"").find(|s| s.contains(">let</span>")).expect("a span for let");
        let classes: Vec<&str> = let_span.split('"').next().unwrap().split(' ').collect();
        assert!(classes.contains(&"bf-lb"), "{}", lines[0]);
        assert!(
            classes.iter().any(|c| c.starts_with("bf-l") && c[4..].parse::<usize>().is_ok()),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("&lt;a&gt;"));
        assert!(!lines[0].contains("<span class=\"\">"), "no empty spans: {}", lines[0]);
    }

    #[test]
    fn every_line_closes_the_spans_it_opens() {
        let code = "/* a comment\n   over two lines */\nfn main() {\n    let s = \"multi\n line\";\n}\n";
        let lines = Highlighter::new(None).highlight_lines(language("rust").unwrap(), code);
        assert_eq!(lines.len(), 6);
        for line in &lines {
            assert_eq!(line.matches("<span").count(), line.matches("</span>").count(), "{line}");
        }
        // The comment's second line is still a comment: one italic span under light.
        assert!(lines[1].starts_with("<span class=\"") && lines[1].contains("bf-li"), "{}", lines[1]);
        assert_eq!(lines[1].matches("<span").count(), 1, "{}", lines[1]);
    }

    #[test]
    fn the_cache_returns_what_was_highlighted() {
        let dir = std::env::temp_dir().join(format!("bf-hl-cache-{}", std::process::id()));
        let highlighter = Highlighter::new(Some(dir.clone()));
        let first = highlighter.highlight_lines(language("sql").unwrap(), "SELECT 1;\nSELECT 2;\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert_eq!(highlighter.highlight_lines(language("sql").unwrap(), "SELECT 1;\nSELECT 2;\n"), first);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Every colour of the generated CSS, with the mdBook theme its rule is scoped to.
    fn colours_by_theme(css: &str) -> Vec<(&str, &str)> {
        let mut found = Vec::new();
        for rule in css.split('}') {
            let Some((selectors, body)) = rule.split_once('{') else { continue };
            // Skip the comments before the rule.
            let selectors = selectors.rsplit("*/").next().unwrap_or(selectors).trim();
            let themes: Vec<&str> = selectors
                .split(',')
                .map(|s| s.trim().strip_prefix("html.").and_then(|s| s.split(' ').next()).unwrap_or(s))
                .collect();
            assert!(themes.windows(2).all(|w| w[0] == w[1]), "a rule for more than one theme: {selectors}");
            for declaration in body.split(';') {
                if let Some(value) = declaration.trim().strip_prefix("color:") {
                    found.push((themes[0], value.trim()));
                }
            }
        }
        found
    }

    #[test]
    fn every_code_colour_reaches_wcag_aa_on_its_themes_code_background() {
        let css = theme_css();
        let colours = colours_by_theme(&css);
        let mut failures = Vec::new();
        for theme in THEMES {
            let ours: Vec<&str> =
                colours.iter().filter(|(t, _)| *t == theme.mdbook).map(|(_, c)| *c).collect();
            assert!(ours.len() >= 6, "only {} colours for the {} theme", ours.len(), theme.mdbook);
            for colour in ours {
                let rgb = Rgb::parse_hex(colour)
                    .unwrap_or_else(|| panic!("{}: `{colour}` is no #rrggbb colour", theme.mdbook));
                let ratio = contrast::ratio(rgb, theme.background);
                if ratio < contrast::MIN_CONTRAST {
                    failures.push(format!(
                        "{}: {colour} on {} is {ratio:.2}:1",
                        theme.mdbook,
                        theme.background.hex()
                    ));
                }
            }
        }
        let scoped: usize =
            THEMES.iter().map(|t| colours.iter().filter(|(c, _)| *c == t.mdbook).count()).sum();
        assert_eq!(scoped, colours.len(), "colours scoped to no known theme");
        failures.dedup();
        assert!(failures.is_empty(), "below {}:1:\n{}", contrast::MIN_CONTRAST, failures.join("\n"));
    }

    #[test]
    fn adjusted_colours_keep_their_hue() {
        // InspiredGitHub's tag green (#63a35c, 2.8:1 on light's code background) becomes a darker green.
        let light = &theme_styles()[0];
        assert_eq!(light.code.mdbook, "light");
        let tag = ThemeStyler::new(&light.theme)
            .style_for_stack(&[Scope::new("text.html").unwrap(), Scope::new("entity.name.tag").unwrap()])
            .foreground;
        let colour = Rgb(tag.r, tag.g, tag.b);
        assert_ne!(colour, Rgb(0x63, 0xa3, 0x5c));
        assert!(colour.1 > colour.0 && colour.1 > colour.2, "not green any more: {}", colour.hex());
        assert!(
            theme_css().contains(&format!("{{ color: {}; }}", colour.hex())),
            "the CSS lacks {}",
            colour.hex()
        );
    }

    #[test]
    fn a_line_has_no_more_spans_than_colour_changes() {
        // Before, syntect's nested scopes gave this line 14 spans; the colours need 6.
        let lines = Highlighter::new(None)
            .highlight_lines(language("rust").unwrap(), "    format!(\"{x}\", y.len());\n");
        let spans = lines[0].matches("<span").count();
        assert!(spans <= 8, "{spans} spans: {}", lines[0]);
        assert_eq!(lines[0].matches("<span").count(), lines[0].matches("</span>").count());
    }

    #[test]
    fn theme_css_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../theme/syntax-highlighting.css");
        expect_test::expect_file![path].assert_eq(&theme_css());
    }
}
