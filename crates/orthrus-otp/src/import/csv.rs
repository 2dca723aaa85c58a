//! CSV files: one with a header row and an `otpauth` column (one
//! `otpauth://` URI per row), as spreadsheet round-trips and several password
//! managers produce, and Bitwarden's own CSV export (`login_totp`).

use super::json::bitwarden_entry;
use super::{ImportContents, ImportedEntry, MAX_ENTRIES, RejectedEntry, parse_any_uri};
use crate::OtpError;

const CSV: &str = "CSV";
const BITWARDEN_CSV: &str = "Bitwarden CSV";

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
    Ok(read_csv(text)?
        .entries
        .into_iter()
        .filter_map(Result::ok)
        .collect())
}

/// [`parse_csv`], counting the rows with an empty `otpauth` cell.
pub(super) fn read_csv(text: &str) -> Result<ImportContents, OtpError> {
    let (header, rows) = header_and_rows(text, error)?;
    let names = lower_names(&header);
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
    let mut contents = ImportContents::default();
    for (line, row) in rows {
        let Some(cell) = row.get(column).map(|c| c.trim()).filter(|c| !c.is_empty()) else {
            contents.without_otp += 1;
            continue;
        };
        let read = parse_any_uri(cell).map_err(|e| error(format!("line {line}: {e}")))?;
        contents.entries.extend(read.into_iter().map(Ok));
        if contents.entries.len() > MAX_ENTRIES {
            return Err(OtpError::TooManyEntries { max: MAX_ENTRIES });
        }
    }
    Ok(contents)
}

/// Bitwarden's CSV export, all or nothing: the first row that cannot be
/// imported is the error. See [`super::read_import_until`] for the reading
/// that refuses such a row on its own and imports the rest.
pub fn parse_bitwarden_csv(text: &str) -> Result<Vec<ImportedEntry>, OtpError> {
    read_bitwarden_csv(text)?
        .entries
        .into_iter()
        .map(|e| e.map_err(|rejected| rejected.error))
        .collect()
}

/// Bitwarden's CSV export (personal vault: `folder,favorite,type,name,notes,
/// fields,reprompt,login_uri,login_username,login_password,login_totp`; an
/// organization's starts with `collections` instead of `folder,favorite`).
/// Each `login_totp` cell is read as the JSON export's `login.totp` is: an
/// `otpauth://` URI, `steam://SECRET`, or a bare base32 secret whose issuer
/// and account come from the row's `name` and `login_username`. Rows without
/// a TOTP (logins without one, secure notes) are counted and skipped; a row
/// whose cell cannot be read is refused with its line and the rest are read.
pub(super) fn read_bitwarden_csv(text: &str) -> Result<ImportContents, OtpError> {
    let bw_error = |reason: String| OtpError::Import {
        format: BITWARDEN_CSV,
        reason,
    };
    let (header, rows) = header_and_rows(text, |r: String| bw_error(r))?;
    let names = lower_names(&header);
    let column = |name: &str| names.iter().position(|h| h == name);
    let totp_column = column("login_totp").ok_or_else(|| {
        bw_error(format!(
            "the header row has no login_totp column (columns: {})",
            header.join(", ")
        ))
    })?;
    let (name_column, user_column) = (column("name"), column("login_username"));
    let cell = |row: &[String], column: Option<usize>| {
        column
            .and_then(|c| row.get(c))
            .map(|c| c.trim().to_owned())
            .unwrap_or_default()
    };
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let mut contents = ImportContents::default();
    for (line, row) in rows {
        let totp = cell(&row, Some(totp_column));
        if totp.is_empty() {
            contents.without_otp += 1;
            continue;
        }
        let (name, username) = (cell(&row, name_column), cell(&row, user_column));
        let entry = bitwarden_entry(&totp, &name, &username).map_err(|reason| {
            let who = match (name.as_str(), username.as_str()) {
                ("", "") => String::new(),
                (n, "") | ("", n) => format!(" ({n})"),
                (n, u) => format!(" ({n} / {u})"),
            };
            RejectedEntry {
                issuer: non_empty(&name),
                account_name: non_empty(&username),
                error: bw_error(format!("line {line}{who}: {reason}")),
            }
        });
        contents.entries.push(entry);
        if contents.entries.len() > MAX_ENTRIES {
            return Err(OtpError::TooManyEntries { max: MAX_ENTRIES });
        }
    }
    Ok(contents)
}

type Rows = Vec<(usize, Vec<String>)>;

/// The header row and the rows under it; `error` names the format.
fn header_and_rows(
    text: &str,
    error: impl Fn(String) -> OtpError,
) -> Result<(Vec<String>, Rows), OtpError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let delimiter = guess_delimiter(text.lines().next().unwrap_or(""));
    let mut rows = parse_rows(text, delimiter)
        .map_err(|line| error(format!("line {line}: a quoted field is never closed")))?
        .into_iter();
    let (_, header) = rows
        .next()
        .ok_or_else(|| error("the file is empty; expected a header row".into()))?;
    Ok((header, rows.collect()))
}

fn lower_names(header: &[String]) -> Vec<String> {
    header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect()
}

fn guess_delimiter(header: &str) -> char {
    [',', ';', '\t']
        .into_iter()
        .max_by_key(|d| header.matches(*d).count())
        .filter(|d| header.contains(*d))
        .unwrap_or(',')
}

/// RFC 4180 rows, each with the line number it starts on (1-based). A quoted
/// field that never closes is an error with the line its row starts on.
fn parse_rows(text: &str, delimiter: char) -> Result<Rows, usize> {
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
        return Err(row_start);
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
                (1, vec!["a".to_owned(), "b".to_owned()]),
                (2, vec!["x, \"y\"".to_owned(), "multi\nline".to_owned()]),
                (5, vec!["z".to_owned(), String::new()]),
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
