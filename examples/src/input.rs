//! Reading a reader's input: `key = value` lines, `#` comments, errors that name the line.
//!
//! Every example that takes parameters reads them through [`Params`], so the playground's
//! messages look the same everywhere ("input line 3: `x` is not a number").

use std::str::FromStr;

use crate::registry::InputError;

/// One meaningful line of input: its 1-based number, the key and the (trimmed) value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub line: usize,
    pub key: &'a str,
    pub value: &'a str,
}

/// The `key = value` lines of an input, in order. Keys may repeat (a list of tasks, say).
#[derive(Debug, Clone)]
pub struct Params<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> Params<'a> {
    /// Parses `input`, skipping blank lines and `#` comments. Every key must be one of `known`.
    pub fn parse(input: &'a str, known: &[&str]) -> Result<Self, InputError> {
        let mut entries = Vec::new();
        for (line, text) in meaningful_lines(input) {
            let (key, value) =
                text.split_once('=').ok_or_else(|| InputError::at_line(line, "expected `key = value`"))?;
            let key = key.trim();
            if !known.contains(&key) {
                let expected = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                return Err(InputError::at_line(
                    line,
                    format!("unknown key `{key}` (expected one of {expected})"),
                ));
            }
            entries.push(Entry { line, key, value: value.trim() });
        }
        Ok(Params { entries })
    }

    /// Every entry with `key`, in input order.
    pub fn all(&self, key: &str) -> impl Iterator<Item = &Entry<'a>> + '_ {
        let key = key.to_string();
        self.entries.iter().filter(move |entry| entry.key == key)
    }

    /// The entry for `key`; an error when it is missing or given twice.
    pub fn one(&self, key: &str) -> Result<Option<&Entry<'a>>, InputError> {
        let mut found = self.all(key);
        let first = found.next();
        if let Some(second) = found.next() {
            return Err(InputError::at_line(second.line, format!("`{key}` is given twice")));
        }
        Ok(first)
    }

    /// The value of `key` parsed as `T` and checked to lie in `min..=max`, or `default` when absent.
    pub fn number_or<T: Number>(&self, key: &str, min: T, max: T, default: T) -> Result<T, InputError> {
        match self.one(key)? {
            None => Ok(default),
            Some(entry) => entry.number(min, max),
        }
    }

    /// Like [`Params::number_or`], but the key is required.
    pub fn number<T: Number>(&self, key: &str, min: T, max: T) -> Result<T, InputError> {
        self.one(key)?.ok_or_else(|| InputError::new(format!("missing `{key} = …`")))?.number(min, max)
    }

    /// The value of `key`, which must be one of `choices`, or `default` when absent.
    pub fn choice_or(&self, key: &str, choices: &[&'a str], default: &'a str) -> Result<&'a str, InputError> {
        match self.one(key)? {
            None => Ok(default),
            Some(entry) => choices.iter().copied().find(|choice| *choice == entry.value).ok_or_else(|| {
                let expected = choices.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
                InputError::at_line(entry.line, format!("`{}` is not one of {expected}", entry.value))
            }),
        }
    }
}

impl Entry<'_> {
    /// The value parsed as `T` within `min..=max`.
    pub fn number<T: Number>(&self, min: T, max: T) -> Result<T, InputError> {
        parse_number(self.value, self.line, min, max)
    }

    /// The value as whitespace-separated numbers, each within `min..=max`; at least one.
    pub fn numbers<T: Number>(&self, min: T, max: T) -> Result<Vec<T>, InputError> {
        let numbers = self
            .value
            .split_whitespace()
            .map(|word| parse_number(word, self.line, min, max))
            .collect::<Result<Vec<T>, _>>()?;
        if numbers.is_empty() {
            return Err(InputError::at_line(self.line, format!("`{}` needs at least one number", self.key)));
        }
        Ok(numbers)
    }
}

/// The lines of `input` that say something, trimmed, with their 1-based numbers: blank lines
/// and `#` comments are left out.
fn meaningful_lines(input: &str) -> impl Iterator<Item = (usize, &str)> {
    input
        .lines()
        .enumerate()
        .map(|(index, raw)| (index + 1, raw.trim()))
        .filter(|(_, text)| !text.is_empty() && !text.starts_with('#'))
}

/// For an example that takes no input: blank lines and `#` comments are fine, anything else is
/// an error naming its line.
pub fn no_input(input: &str) -> Result<(), InputError> {
    match meaningful_lines(input).next() {
        Some((line, _)) => Err(InputError::at_line(line, "this example takes no input")),
        None => Ok(()),
    }
}

/// A type of number a reader may type.
pub trait Number: FromStr + PartialOrd + Copy + std::fmt::Display {
    /// False for NaN and the infinities, which `f64::from_str` accepts (`NaN`, `inf`). A range
    /// check cannot stand in for this: every comparison with NaN is false, so NaN is neither
    /// below `min` nor above `max`.
    fn is_finite_number(self) -> bool;
}

macro_rules! integers_are_always_finite {
    ($($int:ty),*) => {
        $(impl Number for $int {
            fn is_finite_number(self) -> bool {
                true
            }
        })*
    };
}
integers_are_always_finite!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl Number for f32 {
    fn is_finite_number(self) -> bool {
        self.is_finite()
    }
}

impl Number for f64 {
    fn is_finite_number(self) -> bool {
        self.is_finite()
    }
}

/// `word` parsed as `T` within `min..=max`, with an error that names `line`.
pub fn parse_number<T: Number>(word: &str, line: usize, min: T, max: T) -> Result<T, InputError> {
    let value: T =
        word.parse().map_err(|_| InputError::at_line(line, format!("`{word}` is not a number")))?;
    if !value.is_finite_number() {
        return Err(InputError::at_line(line, format!("`{word}` is not a finite number")));
    }
    if value < min || value > max {
        return Err(InputError::at_line(line, format!("{word} is out of range (from {min} to {max})")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys_numbers_and_choices() {
        let params = Params::parse(
            "# comment\nrate = 0.25\n\npolicy = rr\ncores = 1 2 4\n",
            &["rate", "policy", "cores", "seed"],
        )
        .unwrap();
        assert_eq!(params.number::<f64>("rate", 0.0, 1.0).unwrap(), 0.25);
        assert_eq!(params.number_or::<u64>("seed", 0, u64::MAX, 7).unwrap(), 7);
        assert_eq!(params.choice_or("policy", &["fifo", "rr"], "fifo").unwrap(), "rr");
        assert_eq!(params.one("cores").unwrap().unwrap().numbers::<u32>(1, 64).unwrap(), vec![1, 2, 4]);
    }

    #[test]
    fn errors_name_the_line() {
        let unknown = Params::parse("rate = 1\nspeed = 2", &["rate"]).unwrap_err();
        assert_eq!(unknown.to_string(), "input line 2: unknown key `speed` (expected one of `rate`)");
        let params = Params::parse("rate = 2\nrate = 3\ncores = 1 x", &["rate", "cores"]).unwrap();
        assert_eq!(params.one("rate").unwrap_err().line, Some(2));
        let range =
            Params::parse("rate = 2", &["rate"]).unwrap().number::<f64>("rate", 0.0, 1.0).unwrap_err();
        assert_eq!(range.to_string(), "input line 1: 2 is out of range (from 0 to 1)");
        let word = params.one("cores").unwrap().unwrap().numbers::<u32>(1, 64).unwrap_err();
        assert_eq!(word.to_string(), "input line 3: `x` is not a number");
        assert_eq!(
            Params::parse("x", &["x"]).unwrap_err().to_string(),
            "input line 1: expected `key = value`"
        );
    }

    #[test]
    fn no_input_allows_blank_lines_and_comments_and_names_the_first_other_line() {
        assert_eq!(no_input(""), Ok(()));
        assert_eq!(no_input("\n  \n# a comment\n   # another\n"), Ok(()));
        let error = no_input("\n# a comment\n  x = 1\ny").unwrap_err();
        assert_eq!(error.to_string(), "input line 3: this example takes no input");
    }

    #[test]
    fn nan_and_infinities_are_refused_whatever_the_range() {
        for word in ["NaN", "nan", "-NaN", "inf", "-inf", "infinity", "+Infinity", "1e999"] {
            let input = format!("# rates\nrate = {word}\nrates = 0.5 {word}\n");
            let params = Params::parse(&input, &["rate", "rates"]).unwrap();
            let expected = format!("`{word}` is not a finite number");
            for error in [
                params.number::<f64>("rate", 0.0, 1.0).unwrap_err(),
                params.number_or::<f64>("rate", f64::MIN, f64::MAX, 0.5).unwrap_err(),
                params.one("rates").unwrap().unwrap().numbers::<f64>(0.0, 1.0).unwrap_err(),
            ] {
                assert_eq!(error.message, expected, "{word}");
            }
            assert_eq!(params.number::<f64>("rate", 0.0, 1.0).unwrap_err().line, Some(2));
            assert_eq!(
                params.one("rates").unwrap().unwrap().numbers::<f64>(0.0, 1.0).unwrap_err().line,
                Some(3)
            );
        }
        assert_eq!(parse_number::<f32>("NaN", 7, 0.0, 1.0).unwrap_err().line, Some(7));
        assert_eq!(parse_number::<f64>("1e308", 1, 0.0, f64::MAX).unwrap(), 1e308);
    }
}
