//! WCAG 2 colour contrast: relative luminance, the contrast ratio, and the smallest change to a
//! text colour, keeping its hue, that makes it readable on a background. `highlight::theme_css`
//! uses it so that every code colour reaches [`MIN_CONTRAST`] in every mdBook theme.

/// WCAG 2 level AA for normal-size text (code is normal-size text, bold or not).
pub const MIN_CONTRAST: f64 = 4.5;

/// An opaque sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` or `#rgb`; `None` for anything else.
    pub fn parse_hex(text: &str) -> Option<Rgb> {
        let hex = text.strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |s: &str| u8::from_str_radix(s, 16).ok();
        match hex.len() {
            6 => Some(Rgb(channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?)),
            3 => {
                let short = |i: usize| channel(&hex[i..=i]).map(|v| v * 17);
                Some(Rgb(short(0)?, short(1)?, short(2)?))
            }
            _ => None,
        }
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance (WCAG 2): 0 for black, 1 for white.
    pub fn luminance(self) -> f64 {
        fn linear(channel: u8) -> f64 {
            let c = f64::from(channel) / 255.0;
            if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        }
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }
}

/// The WCAG 2 contrast ratio of two colours, from 1 (same luminance) to 21 (black on white).
pub fn ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `text` if it already reaches `min` on `background`; otherwise the closest colour that does,
/// found by mixing `text` towards black (on a light background) or white (on a dark one).
/// Mixing with black or white keeps the hue (and, towards black, the saturation), so a green
/// string stays green, only darker or lighter. The result is strictly above `min`, because
/// checkers (axe-core) fail a ratio equal to the minimum.
pub fn readable_on(text: Rgb, background: Rgb, min: f64) -> Rgb {
    if ratio(text, background) > min {
        return text;
    }
    let towards = if background.luminance() > 0.18 { Rgb(0, 0, 0) } else { Rgb(255, 255, 255) };
    let mix = |t: f64| {
        let channel =
            |from: u8, to: u8| (f64::from(from) + (f64::from(to) - f64::from(from)) * t).round() as u8;
        Rgb(channel(text.0, towards.0), channel(text.1, towards.1), channel(text.2, towards.2))
    };
    // The ratio grows with t (the text moves away from the background's luminance): bisect for
    // the smallest t that is enough. Black on a light or white on a dark background always is.
    let (mut low, mut high) = (0.0_f64, 1.0_f64);
    for _ in 0..32 {
        let middle = (low + high) / 2.0;
        if ratio(mix(middle), background) > min { high = middle } else { low = middle }
    }
    mix(high)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Rgb = Rgb(255, 255, 255);
    const BLACK: Rgb = Rgb(0, 0, 0);

    #[test]
    fn ratios_match_the_wcag_definition() {
        assert!((ratio(BLACK, WHITE) - 21.0).abs() < 1e-9);
        assert!((ratio(WHITE, WHITE) - 1.0).abs() < 1e-9);
        // Values any WCAG checker gives: #767676 is the lightest grey that passes AA on white.
        assert!((ratio(Rgb::parse_hex("#767676").unwrap(), WHITE) - 4.54).abs() < 0.01);
        assert!(ratio(Rgb::parse_hex("#777").unwrap(), WHITE) < MIN_CONTRAST);
    }

    #[test]
    fn parses_css_hex_colours() {
        assert_eq!(Rgb::parse_hex("#f6f7f6"), Some(Rgb(0xf6, 0xf7, 0xf6)));
        assert_eq!(Rgb::parse_hex("#abc"), Some(Rgb(0xaa, 0xbb, 0xcc)));
        for bad in ["f6f7f6", "#f6f7f", "#f6f7f6ff", "#ggg", "#"] {
            assert_eq!(Rgb::parse_hex(bad), None, "{bad}");
        }
        assert_eq!(Rgb(1, 2, 255).hex(), "#0102ff");
    }

    #[test]
    fn readable_colours_are_left_alone() {
        let dark_blue = Rgb::parse_hex("#183691").unwrap();
        assert_eq!(readable_on(dark_blue, Rgb::parse_hex("#f6f7f6").unwrap(), MIN_CONTRAST), dark_blue);
    }

    #[test]
    fn a_faint_colour_is_darkened_or_lightened_just_enough_keeping_its_hue() {
        let code_light = Rgb::parse_hex("#f6f7f6").unwrap();
        let code_dark = Rgb::parse_hex("#1d1f21").unwrap();
        let green = Rgb::parse_hex("#63a35c").unwrap();
        let darker = readable_on(green, code_light, MIN_CONTRAST);
        assert!(ratio(darker, code_light) > MIN_CONTRAST);
        assert!(ratio(darker, code_light) < MIN_CONTRAST + 0.1, "changed more than needed: {}", darker.hex());
        assert!(darker.1 > darker.0 && darker.1 > darker.2, "no longer green: {}", darker.hex());

        let navy_blue = Rgb::parse_hex("#343d46").unwrap();
        let lighter = readable_on(navy_blue, code_dark, MIN_CONTRAST);
        assert!(ratio(lighter, code_dark) > MIN_CONTRAST);
        assert!(lighter.2 > lighter.0, "no longer blue: {}", lighter.hex());
        // The worst case still ends readable.
        assert!(ratio(readable_on(code_dark, code_dark, MIN_CONTRAST), code_dark) > MIN_CONTRAST);
    }
}
