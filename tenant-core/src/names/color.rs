//! Brand colours and the contrast rules that keep them readable.
use std::fmt;

use crate::error::CoreError;

/// An sRGB colour written `#rrggbb` (stored lowercase).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Color {
    r: u8,
    g: u8,
    b: u8,
}

impl Color {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let err = || CoreError::Invalid(format!("invalid colour {raw:?}: expected #RRGGBB, for example #000091"));
        let hex = raw.trim().strip_prefix('#').ok_or_else(err)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| err());
        Ok(Self { r: byte(0)?, g: byte(2)?, b: byte(4)? })
    }

    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b }
    }

    /// WCAG 2.x relative luminance.
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.r) + 0.7152 * lin(self.g) + 0.0722 * lin(self.b)
    }

    /// WCAG contrast ratio between two colours (1 to 21).
    pub fn contrast(self, other: Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }

    /// Black or white, whichever reads better on this colour (always at least 4.5:1).
    pub fn text_on(self) -> Color {
        let white = Color::rgb(255, 255, 255);
        let black = Color::rgb(0, 0, 0);
        if self.contrast(white) >= self.contrast(black) {
            white
        } else {
            black
        }
    }

    /// This colour darkened just enough to be read as text on white (4.5:1, RGAA 3.2).
    pub fn readable_on_white(self) -> Color {
        let white = Color::rgb(255, 255, 255);
        let mut c = self;
        let mut step = 0;
        while c.contrast(white) < 4.5 && step < 100 {
            let darken = |v: u8| (f64::from(v) * 0.94).floor() as u8;
            c = Color::rgb(darken(c.r), darken(c.g), darken(c.b));
            step += 1;
        }
        c
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

impl serde::Serialize for Color {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_only_as_six_hex_digits() {
        assert_eq!(Color::parse("#000091").map(|c| c.to_string()).ok(), Some("#000091".into()));
        assert_eq!(Color::parse("#E1000F").map(|c| c.to_string()).ok(), Some("#e1000f".into()));
        for bad in ["000091", "#00009", "#0000911", "#00009g", "red", "", "#"] {
            assert!(Color::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn derived_colours_meet_wcag_contrast() {
        for raw in ["#ffff00", "#00ff00", "#777777", "#000091", "#e1000f", "#ffffff"] {
            let c = Color::parse(raw).unwrap_or(Color::rgb(0, 0, 0));
            assert!(c.contrast(c.text_on()) >= 4.5, "{raw}");
            assert!(c.readable_on_white().contrast(Color::rgb(255, 255, 255)) >= 4.5, "{raw}");
        }
    }
}
