//! Splitting `.pb` text into records of fields, and quoting fields on the way back.
//!
//! Fields are separated by `;`. A field may be quoted with `"` (a doubled `""` inside
//! stands for one quote) and may then hold `;` and line breaks. Unquoted fields are
//! trimmed, because files in the wild write `key; value`; a stray `"` inside an
//! unquoted field is kept as a character.

use super::error::{ParseError, ParseErrorKind};

/// One field as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub text: String,
    pub quoted: bool,
}

/// One record (usually one line) and the line it starts on (1-based).
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<Field>,
}

impl Record {
    /// The section name if the record is a lone unquoted word, in lower case.
    pub fn lone_word(&self) -> Option<&str> {
        match self.fields.as_slice() {
            [field] if !field.quoted && !field.text.is_empty() => Some(field.text.as_str()),
            _ => None,
        }
    }
}

/// Reads every non-blank record of `text`.
pub(crate) fn read_records(text: &str) -> Result<Vec<Record>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    loop {
        let start_line = line;
        let mut fields = Vec::new();
        let ended_file = loop {
            // Leading blanks of a field, before an opening quote or the text.
            while matches!(chars.peek(), Some(' ' | '\t')) {
                chars.next();
            }
            let (field, end) = if chars.peek() == Some(&'"') {
                chars.next();
                read_quoted(&mut chars, &mut line, start_line)?
            } else {
                read_unquoted(&mut chars)
            };
            fields.push(field);
            match end {
                FieldEnd::Separator => continue,
                FieldEnd::LineBreak => {
                    line += 1;
                    break false;
                }
                FieldEnd::EndOfText => break true,
            }
        };
        let blank = matches!(fields.as_slice(), [only] if !only.quoted && only.text.is_empty());
        if !blank {
            records.push(Record { line: start_line, fields });
        }
        if ended_file {
            return Ok(records);
        }
    }
}

enum FieldEnd {
    Separator,
    LineBreak,
    EndOfText,
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Consumes a line break that started with `\r` (`\r\n` counts once).
fn finish_carriage_return(chars: &mut Chars<'_>) {
    if chars.peek() == Some(&'\n') {
        chars.next();
    }
}

fn read_unquoted(chars: &mut Chars<'_>) -> (Field, FieldEnd) {
    let mut text = String::new();
    let end = loop {
        match chars.next() {
            None => break FieldEnd::EndOfText,
            Some(';') => break FieldEnd::Separator,
            Some('\n') => break FieldEnd::LineBreak,
            Some('\r') => {
                finish_carriage_return(chars);
                break FieldEnd::LineBreak;
            }
            Some(c) => text.push(c),
        }
    };
    let trimmed = text.trim_end_matches([' ', '\t']).len();
    text.truncate(trimmed);
    (Field { text, quoted: false }, end)
}

fn read_quoted(chars: &mut Chars<'_>, line: &mut usize, start_line: usize) -> Result<(Field, FieldEnd), ParseError> {
    let mut text = String::new();
    loop {
        match chars.next() {
            None => return Err(ParseError::at(start_line, ParseErrorKind::UnterminatedQuote)),
            Some('"') => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    text.push('"');
                } else {
                    break;
                }
            }
            Some('\r') => {
                // Keep the line break as written, counting it once.
                text.push('\r');
                if chars.peek() == Some(&'\n') {
                    chars.next();
                    text.push('\n');
                }
                *line += 1;
            }
            Some('\n') => {
                text.push('\n');
                *line += 1;
            }
            Some(c) => text.push(c),
        }
    }
    // After the closing quote only blanks may come before the separator or the line end.
    let end = loop {
        match chars.next() {
            None => break FieldEnd::EndOfText,
            Some(' ' | '\t') => continue,
            Some(';') => break FieldEnd::Separator,
            Some('\n') => break FieldEnd::LineBreak,
            Some('\r') => {
                finish_carriage_return(chars);
                break FieldEnd::LineBreak;
            }
            Some(other) => return Err(ParseError::at(*line, ParseErrorKind::TextAfterClosingQuote(other))),
        }
    };
    Ok((Field { text, quoted: true }, end))
}

/// Writes `text` as one field, quoted when reading it back would otherwise change it.
pub(crate) fn push_field(out: &mut String, text: &str) {
    let needs_quotes =
        text.contains([';', '"', '\n', '\r']) || text.starts_with([' ', '\t']) || text.ends_with([' ', '\t']);
    if needs_quotes {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// Writes one record of fields followed by a line break.
pub(crate) fn push_record<'a>(out: &mut String, fields: impl IntoIterator<Item = &'a str>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        push_field(out, field);
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(input: &str) -> Vec<(usize, Vec<String>)> {
        read_records(input)
            .expect("records")
            .into_iter()
            .map(|r| (r.line, r.fields.into_iter().map(|f| f.text).collect()))
            .collect()
    }

    #[test]
    fn splits_trims_and_unquotes() {
        let got = texts("a; b ;c\n\n  \n1;\"x;y\";\"say \"\"hi\"\"\"\r\nlast");
        assert_eq!(
            got,
            vec![
                (1, vec!["a".into(), "b".into(), "c".into()]),
                (4, vec!["1".into(), "x;y".into(), "say \"hi\"".into()]),
                (5, vec!["last".into()]),
            ]
        );
    }

    #[test]
    fn quoted_fields_may_span_lines() {
        let got = texts("1;\"two\nlines\";3\nnext;x");
        assert_eq!(
            got,
            vec![(1, vec!["1".into(), "two\nlines".into(), "3".into()]), (3, vec!["next".into(), "x".into()])]
        );
    }

    #[test]
    fn bad_quoting_is_reported_with_its_line() {
        let err = read_records("META\nkey;value\nname;\"open").expect_err("unterminated");
        assert_eq!(err.line, Some(3));
        assert_eq!(err.kind, ParseErrorKind::UnterminatedQuote);
        let err = read_records("a;\"b\"c;d").expect_err("text after quote");
        assert_eq!(err.kind, ParseErrorKind::TextAfterClosingQuote('c'));
    }

    #[test]
    fn quoting_round_trips() {
        for text in ["plain", "with;semicolon", "with \"quote\"", " padded ", "two\nlines", "", "a\"b"] {
            let mut out = String::new();
            push_record(&mut out, ["x", text]);
            let back = texts(&out);
            assert_eq!(back[0].1, vec!["x".to_string(), text.to_string()], "{text:?}");
        }
    }
}
