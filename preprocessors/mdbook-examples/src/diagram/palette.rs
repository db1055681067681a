//! Diagram colours that follow mdBook's theme picker without re-rendering. merman draws with
//! mermaid's `default` theme, whose colours are known literals; each literal means one thing
//! (text, an edge, a node's fill, …), a [`Role`]. The SVG is rewritten to use a CSS custom
//! property per role (`var(--bf-diagram-text)`), and [`theme_css`] gives each role a colour in
//! each of mdBook's five themes (and in print).

/// What a colour means in a diagram. Each role is the CSS custom property `--bf-diagram-<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every text: labels, messages, notes, titles.
    Text,
    /// Edges, messages' lines, arrowheads.
    Line,
    NodeFill,
    NodeStroke,
    /// Subgraphs (flowchart clusters).
    GroupFill,
    /// The border of subgraphs and notes.
    AccentStroke,
    NoteFill,
    /// Behind edge labels.
    LabelFill,
    /// The diagram's own background (the figure's, and what mermaid paints "white").
    Background,
    /// Activation bars, alternate composite states.
    MutedFill,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Text,
        Role::Line,
        Role::NodeFill,
        Role::NodeStroke,
        Role::GroupFill,
        Role::AccentStroke,
        Role::NoteFill,
        Role::LabelFill,
        Role::Background,
        Role::MutedFill,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Line => "line",
            Role::NodeFill => "node-fill",
            Role::NodeStroke => "node-stroke",
            Role::GroupFill => "group-fill",
            Role::AccentStroke => "accent-stroke",
            Role::NoteFill => "note-fill",
            Role::LabelFill => "label-fill",
            Role::Background => "background",
            Role::MutedFill => "muted-fill",
        }
    }

    /// `var(--bf-diagram-<name>)`.
    pub fn var(self) -> String {
        format!("var(--bf-diagram-{})", self.name())
    }
}

/// The colours mermaid's `default` theme writes (merman reproduces them), normalised by
/// [`normalise`], and the role each plays.
const MERMAID_DEFAULT: &[(&str, Role)] = &[
    ("#333", Role::Text),
    ("black", Role::Text),
    ("#000", Role::Text),
    ("#000000", Role::Text),
    ("#131300", Role::Text),
    // Error text; merman fails the build instead of drawing it, so it is never seen.
    ("#552222", Role::Text),
    // State diagrams' edge labels (a leftover rule of mermaid's that later rules override).
    ("red", Role::Text),
    ("#333333", Role::Line),
    ("#666", Role::Line),
    ("#999", Role::Line),
    ("#ececff", Role::NodeFill),
    ("#9370db", Role::NodeStroke),
    ("#ffffde", Role::GroupFill),
    ("#aaaa33", Role::AccentStroke),
    ("#fff5ad", Role::NoteFill),
    ("#edf2ae", Role::NoteFill),
    ("rgba(232,232,232,0.8)", Role::LabelFill),
    ("rgba(232,232,232,0.5)", Role::LabelFill),
    ("white", Role::Background),
    ("#f4f4f4", Role::MutedFill),
    ("#f0f0f0", Role::MutedFill),
    ("#e0e0e0", Role::MutedFill),
    ("#eaeaea", Role::MutedFill),
];

/// Colours the theme writes that stay as they are: no colour, and the drop shadows, pop-up menus
/// and tooltips of features the book does not use (the `neo` look, interactive diagrams).
const LEFT_AS_IS: &[&str] = &[
    "none",
    "transparent",
    "currentcolor",
    "rgba(185,185,185,1)",
    "rgba(0,0,0,0.2)",
    "rgb(000/0.4)",
    "hsl(80,100%,96.2745098039%)",
];

/// What becomes of a colour merman writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theming {
    /// Replaced by the role's custom property.
    Role(Role),
    /// Left as it is.
    AsIs,
    /// A colour this table does not know (a new merman version's theme changed): left as it
    /// is, and reported.
    Unknown,
}

pub fn theming(colour: &str) -> Theming {
    let colour = normalise(colour);
    if let Some((_, role)) = MERMAID_DEFAULT.iter().find(|(literal, _)| *literal == colour) {
        Theming::Role(*role)
    } else if LEFT_AS_IS.contains(&colour.as_str()) {
        Theming::AsIs
    } else {
        Theming::Unknown
    }
}

/// Lower case without spaces: `rgba(232, 232, 232, 0.8)` and `rgba(232,232,232, 0.8)` match.
fn normalise(colour: &str) -> String {
    colour.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// Every colour token in a CSS value: `#hex`, `rgb(…)`, `rgba(…)`, `hsl(…)`, `hsla(…)`, and the
/// keywords mermaid's themes use. Returns byte ranges into `value`.
pub fn colour_tokens(value: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = value.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'-');
        if bytes[i] == b'#' {
            let end = i + 1 + value[i + 1..].bytes().take_while(u8::is_ascii_hexdigit).count();
            let whole =
                !value[end..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if whole && matches!(end - i - 1, 3 | 4 | 6 | 8) {
                found.push(i..end);
            }
            i = end.max(i + 1);
            continue;
        }
        if word_start && bytes[i].is_ascii_alphabetic() {
            let end = i + value[i..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'-').count();
            let word = value[i..end].to_ascii_lowercase();
            // `url(#id)` names an element, not a colour.
            if word == "url" && value[end..].starts_with('(') {
                i = value[end..].find(')').map_or(value.len(), |at| end + at + 1);
                continue;
            }
            if matches!(word.as_str(), "rgb" | "rgba" | "hsl" | "hsla") && value[end..].starts_with('(') {
                let close = value[end..].find(')').map_or(value.len(), |at| end + at + 1);
                found.push(i..close);
                i = close;
                continue;
            }
            if matches!(word.as_str(), "white" | "black" | "red" | "transparent" | "currentcolor") {
                found.push(i..end);
            }
            i = end;
            continue;
        }
        i += 1;
    }
    found
}

/// One theme's colour for each role, in the order of [`Role::ALL`].
pub struct Palette {
    /// CSS selectors that select the theme (mdBook puts the theme's name on `<html>`).
    pub selector: &'static str,
    pub colours: [&'static str; Role::ALL.len()],
}

impl Palette {
    pub fn colour(&self, role: Role) -> &'static str {
        self.colours[Role::ALL.iter().position(|r| *r == role).expect("every role is listed")]
    }
}

// Order: text, line, node fill, node stroke, group fill, accent stroke, note fill, label fill,
// background, muted fill.
const LIGHT: [&str; 10] = [
    "#1f2328", "#4b5259", "#ececff", "#7459c4", "#fbfbe4", "#8a8a2e", "#fff5ad", "#ececec", "#ffffff",
    "#eaeaf0",
];
const RUST: [&str; 10] = [
    "#262625", "#4e4d48", "#f3efe6", "#8f5a3c", "#ebe7d8", "#847a4c", "#f3e7ad", "#e7e5dc", "#e1e1db",
    "#d6d4cb",
];
const COAL: [&str; 10] = [
    "#d3dae0", "#a4afb9", "#223040", "#6f9cc4", "#1b1f23", "#8c8c58", "#3a3520", "#262b30", "#131617",
    "#1f2326",
];
const NAVY: [&str; 10] = [
    "#d6d8ea", "#a9aecb", "#252c4a", "#8394dc", "#1d2135", "#8f8f5e", "#3c3824", "#262b42", "#161923",
    "#202539",
];
const AYU: [&str; 10] = [
    "#dcdad2", "#a9b1b9", "#1b2736", "#e6b450", "#141b24", "#918248", "#37311a", "#1d252e", "#0f1419",
    "#18202a",
];

/// mdBook's themes. Without JavaScript mdBook uses `light`, or `coal` when the system prefers
/// dark (see [`theme_css`]).
pub const PALETTES: &[Palette] = &[
    Palette { selector: "html.light, html:not(.js)", colours: LIGHT },
    Palette { selector: "html.rust", colours: RUST },
    Palette { selector: "html.coal", colours: COAL },
    Palette { selector: "html.navy", colours: NAVY },
    Palette { selector: "html.ayu", colours: AYU },
];

fn declarations(colours: &[&str; 10]) -> String {
    Role::ALL
        .iter()
        .zip(colours)
        .map(|(role, colour)| format!("--bf-diagram-{}: {colour}; ", role.name()))
        .collect()
}

/// The CSS custom properties of every role in every theme, the dark fallback mdBook uses
/// without JavaScript, and the light palette for print; then `layout`, the figure's own rules.
pub fn theme_css(layout: &str) -> String {
    let mut css = String::from(
        "/* Generated by mdbook-examples (diagram::theme_css) from diagram/palette.rs; do not edit.\n   `cargo test -p mdbook-examples` checks it is current and rewrites it with UPDATE_EXPECT=1. */\n\n",
    );
    for palette in PALETTES {
        css.push_str(&format!("{} {{ {}}}\n", palette.selector, declarations(&palette.colours)));
    }
    css.push_str(&format!(
        "@media (prefers-color-scheme: dark) {{ html:not(.js) {{ {}}} }}\n",
        declarations(&COAL)
    ));
    css.push_str(&format!("@media print {{ .bf-diagram {{ {}}} }}\n\n", declarations(&LIGHT)));
    css.push_str(layout);
    css
}

/// WCAG 2 contrast ratio of two `#rrggbb` colours.
pub fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let value = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).expect("#rrggbb")) / 255.0;
        if value <= 0.04045 { value / 12.92 } else { ((value + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_on_every_fill_and_lines_show_in_every_theme() {
        let backgrounds = [
            Role::Background,
            Role::NodeFill,
            Role::GroupFill,
            Role::NoteFill,
            Role::LabelFill,
            Role::MutedFill,
        ];
        for palette in PALETTES {
            for fill in backgrounds {
                let ratio = contrast(palette.colour(Role::Text), palette.colour(fill));
                assert!(ratio >= 4.5, "{}: text on {} is {ratio:.2}:1", palette.selector, fill.name());
            }
            // Lines, node borders and group borders are graphics: 3:1 against what they cross.
            for (stroke, fill) in [
                (Role::Line, Role::Background),
                (Role::Line, Role::GroupFill),
                (Role::NodeStroke, Role::Background),
                (Role::NodeStroke, Role::GroupFill),
                (Role::AccentStroke, Role::Background),
            ] {
                let ratio = contrast(palette.colour(stroke), palette.colour(fill));
                assert!(
                    ratio >= 3.0,
                    "{}: {} on {} is {ratio:.2}:1",
                    palette.selector,
                    stroke.name(),
                    fill.name()
                );
            }
        }
    }

    #[test]
    fn colours_are_found_in_css_values_and_mapped() {
        let value =
            "fill:#333;stroke:rgba(232,232,232, 0.8) ; color: black; font: x-white; filter: url(#ace) #actor";
        let tokens: Vec<&str> = colour_tokens(value).into_iter().map(|r| &value[r]).collect();
        assert_eq!(tokens, ["#333", "rgba(232,232,232, 0.8)", "black"]);
        assert_eq!(theming("#333"), Theming::Role(Role::Text));
        assert_eq!(theming("#333333"), Theming::Role(Role::Line));
        assert_eq!(theming("#ECECFF"), Theming::Role(Role::NodeFill));
        assert_eq!(theming("rgba(232, 232, 232, 0.5)"), Theming::Role(Role::LabelFill));
        assert_eq!(theming("none"), Theming::AsIs);
        assert_eq!(theming("#123456"), Theming::Unknown);
    }
}
