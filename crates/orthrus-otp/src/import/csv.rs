//! CSV with a header row and an `otpauth` column (one `otpauth://` URI per
//! row), as spreadsheet round-trips and several password managers produce.

use super::{ImportedEntry, parse_any_uri};
use crate::OtpError;

const CSV: &str = "CSV";

fn error(reason: impl Into<String>) -> OtpError {
    OtpError::Import {
        format: CSV,
        reason: reason.into(),
    }
}

/// Reads a CSV whose header row names an `otpauth` column (case-insensitive;
/// failing an exact match, the first header containing "otpauth", e.g.
/// `otpauth_uri`). Fields may be quoted (`"a, b"`, `""` for a quote) and span
/// lines; the delimiter is `,`, or `;` / tab when the header uses those.
/// Rows with an empty `otpauth` cell are skipped.
pub fn parse_csv(text: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = guess_delimiter(text.lines().next().unwrap_or(""));
    let mut rows = parse_rows(text, delimiter)?.into_iter();
    let (_, header) = rows
        .next()
        .ok_or_else(|| error("the file is empty; expected a header row with an otpauth column"))?;
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let column = names
        .iter()
        .position(|h| h == "otpauth")
        .or_else(|| names.iter().position(|h| h.contains("otpauth")))
        .ok_or_else(|| {
            error(format!(
                "the header row has no otpauth column (columns: {})",
                header.join(", ")
            ))
        })?;
    let mut entries = Vec::new();
    for (line, row) in rows {
        let Some(cell) = row.get(column).map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            continue;
        };
        entries.extend(parse_any_uri(cell).map_err(|e| error(format!("line {line}: {e}")))?);
    }
    Ok(entries)
}

fn guess_delimiter(header: &str) -> char {
    [',', ';', '\t']
        .into_iter()
        .max_by_key(|d| header.matches(*d).count())
        .filter(|d| header.contains(*d))
        .unwrap_or(',')
}

/// RFC 4180 rows, each with the line number it starts on (1-based).
fn parse_rows(text: &str, delimiter: char) -> Result<Vec<(usize, Vec<String>)>, OtpError> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut row_start = 1;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if in_quotes {
            match ch {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(ch);
                }
                _ => field.push(ch),
            }
            continue;
        }
        match ch {
            '"' if field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
            }
            c if c == delimiter => row.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                row.push(std::mem::take(&mut field));
                if row.iter().any(|f| !f.trim().is_empty()) {
                    rows.push((row_start, std::mem::take(&mut row)));
                }
                row.clear();
                line += 1;
                row_start = line;
            }
            _ => field.push(ch),
        }
    }
    if in_quotes {
        return Err(error(format!(
            "line {row_start}: a quoted field is never closed"
        )));
    }
    row.push(field);
    if row.iter().any(|f| !f.trim().is_empty()) {
        rows.push((row_start, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_with_commas_quotes_and_newlines() {
        let rows = parse_rows("a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\n\nz,\n", ',').unwrap();
        assert_eq!(
            rows,
            vec![
                (1, vec!["a".to_string(), "b".to_string()]),
                (2, vec!["x, \"y\"".to_string(), "multi\nline".to_string()]),
                (5, vec!["z".to_string(), String::new()]),
            ]
        );
    }

    #[test]
    fn delimiter_follows_the_header() {
        assert_eq!(guess_delimiter("name;otpauth"), ';');
        assert_eq!(guess_delimiter("name\totpauth"), '\t');
        assert_eq!(guess_delimiter("otpauth"), ',');
    }
}
