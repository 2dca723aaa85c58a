//! `otpauth://` key URIs: parsing (lenient, as found in QR codes in the wild)
//! and formatting (strict, so that every authenticator app can read it).
//!
//! Format: `otpauth://TYPE/LABEL?secret=..&issuer=..&algorithm=..&digits=..&period=..&counter=..`
//! where LABEL is `Issuer:account` or `account`, percent-encoded.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::{Algorithm, Kind, OtpError, OtpParams, Secret, parse_secret};

/// Characters left as they are in a label component or a query value:
/// RFC 3986 unreserved characters and `@` (common in account names).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Parses an `otpauth://totp|hotp|steam/LABEL?...` URI.
///
/// - scheme and type are case-insensitive; `otpauth://steam/...`,
///   `encoder=steam` or issuer `Steam` make a Steam Guard entry;
/// - the label's issuer prefix may be a literal `:` or `%3A`, and spaces after
///   it are ignored; the `issuer` parameter wins over the label prefix;
/// - query values are percent-decoded and `+` means a space;
/// - the secret goes through [`parse_secret`] (lenient base32);
/// - unknown parameters (`image`, `color`, ...) are ignored.
pub fn parse_otpauth_uri(uri: &str) -> Result<(Secret, OtpParams), OtpError> {
    let uri = uri.trim();
    let (scheme, rest) = uri.split_once("://").ok_or_else(|| {
        OtpError::InvalidUri("expected otpauth://totp/... or otpauth://hotp/...".into())
    })?;
    if !scheme.eq_ignore_ascii_case("otpauth") {
        return Err(OtpError::InvalidUri(format!(
            "the scheme is {scheme:?}, expected \"otpauth\""
        )));
    }
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, query),
        None => (rest, ""),
    };
    // A fragment is never part of a key URI; drop it if someone appended one.
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let (kind_text, raw_label) = path.split_once('/').unwrap_or((path, ""));
    let mut kind: Kind = kind_text.parse().map_err(|_| {
        OtpError::InvalidUri(format!(
            "unknown type {kind_text:?} after otpauth://, expected totp or hotp"
        ))
    })?;

    let mut params = OtpParams {
        kind,
        ..OtpParams::default()
    };
    let mut secret_text: Option<String> = None;
    let mut issuer_param: Option<String> = None;
    let mut digits_given = false;
    let mut steam_encoder = false;
    let mut seen: Vec<String> = Vec::new();

    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_query(key)?.to_ascii_lowercase();
        // First occurrence wins: a later duplicate must not override what a
        // reviewer saw first.
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        let value = decode_query(value)?;
        let value = value.trim();
        match key.as_str() {
            "secret" => secret_text = Some(value.to_owned()),
            "issuer" => issuer_param = non_empty(value),
            "algorithm" => params.algorithm = value.parse::<Algorithm>()?,
            "digits" => {
                params.digits = parse_number("digits", value)?;
                digits_given = true;
            }
            "period" => params.period = parse_number("period", value)?,
            "counter" => params.counter = parse_number("counter", value)?,
            "encoder" => steam_encoder = value.eq_ignore_ascii_case("steam"),
            _ => {}
        }
    }

    let (label_issuer, account_name) = split_label(raw_label, issuer_param.as_deref())?;
    params.issuer = issuer_param.or(label_issuer);
    params.account_name = account_name;

    let is_steam_issuer = params
        .issuer
        .as_deref()
        .is_some_and(|i| i.eq_ignore_ascii_case("steam"));
    // Tools that export Steam Guard keys often mark them by the issuer alone,
    // so a Steam issuer means Steam Guard unless the URI asks for 6-8 digits.
    let ordinary_digits = digits_given && params.digits != crate::generator::STEAM_CODE_LEN as u8;
    if kind == Kind::Totp && (steam_encoder || (is_steam_issuer && !ordinary_digits)) {
        kind = Kind::Steam;
    }
    params.kind = kind;
    if kind == Kind::Steam {
        params.digits = crate::generator::STEAM_CODE_LEN as u8;
    }

    let secret_text = secret_text.ok_or(OtpError::MissingSecret)?;
    if secret_text.is_empty() {
        return Err(OtpError::MissingSecret);
    }
    let secret = parse_secret(&secret_text)?;
    params.validate()?;
    Ok((secret, params))
}

/// Formats a canonical key URI: `otpauth://totp/Issuer:account?secret=...`.
///
/// Steam Guard entries are written as `otpauth://totp/...&encoder=steam`
/// (a widespread convention; [`parse_otpauth_uri`] reads it back as Steam).
/// HOTP URIs carry `counter` and no `period`; TOTP URIs carry `period` and no
/// `counter`.
pub fn format_otpauth_uri(secret: &Secret, params: &OtpParams) -> String {
    let kind = match params.kind {
        Kind::Hotp => "hotp",
        Kind::Totp | Kind::Steam => "totp",
    };
    let issuer = params.issuer.as_deref().filter(|s| !s.is_empty());
    let account = params.account_name.as_deref().filter(|s| !s.is_empty());
    // The issuer/account separator stays a literal ':'; a ':' inside either
    // part is encoded, so parsing splits at the right place.
    let label = match (issuer, account) {
        (Some(i), Some(a)) => format!("{}:{}", encode(i), encode(a)),
        (Some(i), None) => format!("{}:", encode(i)),
        // An empty issuer prefix keeps an account containing ':' whole.
        (None, Some(a)) if a.contains(':') => format!(":{}", encode(a)),
        (None, Some(a)) => encode(a),
        (None, None) => String::new(),
    };
    let mut uri = format!("otpauth://{kind}/{label}?secret={}", secret.to_base32());
    if let Some(i) = issuer {
        uri.push_str("&issuer=");
        uri.push_str(&encode(i));
    }
    uri.push_str("&algorithm=");
    uri.push_str(params.algorithm.uri_name());
    match params.kind {
        Kind::Totp => {
            uri.push_str(&format!(
                "&digits={}&period={}",
                params.digits, params.period
            ));
        }
        Kind::Steam => {
            uri.push_str(&format!(
                "&digits={}&period={}&encoder=steam",
                crate::generator::STEAM_CODE_LEN,
                params.period
            ));
        }
        Kind::Hotp => {
            uri.push_str(&format!(
                "&digits={}&counter={}",
                params.digits, params.counter
            ));
        }
    }
    uri
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Percent-decodes a path segment (`+` stays a plus).
fn decode_path(text: &str) -> Result<String, OtpError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| {
            OtpError::InvalidUri("the label is not valid UTF-8 after percent-decoding".into())
        })
}

/// Percent-decodes a query key or value, where `+` means a space.
fn decode_query(text: &str) -> Result<String, OtpError> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| {
            OtpError::InvalidUri("a parameter is not valid UTF-8 after percent-decoding".into())
        })
}

/// Splits a raw label into (issuer prefix, account name).
fn split_label(
    raw: &str,
    issuer_param: Option<&str>,
) -> Result<(Option<String>, Option<String>), OtpError> {
    // A literal ':' is the separator we write ourselves; split before decoding
    // so an encoded ':' inside the issuer or account survives.
    if let Some((issuer, account)) = raw.split_once(':') {
        return Ok((
            non_empty(&decode_path(issuer)?),
            non_empty(&decode_path(account)?),
        ));
    }
    let decoded = decode_path(raw)?;
    // Many generators encode the separator as %3A. Prefer splitting right
    // after the issuer named in the parameters, which may itself contain ':'.
    if let Some(issuer) = issuer_param
        && let Some(account) = decoded
            .strip_prefix(issuer)
            .and_then(|rest| rest.strip_prefix(':'))
    {
        return Ok((Some(issuer.to_owned()), non_empty(account)));
    }
    match decoded.split_once(':') {
        Some((issuer, account)) => Ok((non_empty(issuer), non_empty(account))),
        None => Ok((None, non_empty(&decoded))),
    }
}

fn parse_number<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, OtpError> {
    value.parse().map_err(|_| OtpError::InvalidParameter {
        name,
        value: value.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_with_encoded_separator_and_space() {
        let (_, p) = parse_otpauth_uri(
            "otpauth://totp/ACME%20Co%3A%20john@example.com?secret=JBSWY3DPEHPK3PXP",
        )
        .unwrap();
        assert_eq!(p.issuer.as_deref(), Some("ACME Co"));
        assert_eq!(p.account_name.as_deref(), Some("john@example.com"));
    }

    #[test]
    fn issuer_parameter_with_colon_splits_label_correctly() {
        let (_, p) =
            parse_otpauth_uri("otpauth://totp/a%3Ab%3Aalice?secret=JBSWY3DPEHPK3PXP&issuer=a%3Ab")
                .unwrap();
        assert_eq!(p.issuer.as_deref(), Some("a:b"));
        assert_eq!(p.account_name.as_deref(), Some("alice"));
    }
}
