//! Just enough JOSE for ID tokens: compact JWS parsing, RS256 and ES256
//! signatures against a JWK, and the OpenID Connect claim checks.

use crate::error::TokenError;
use base64::Engine;
use orthrus_app::IdClaims;
use serde::Deserialize;

/// Seconds of clock difference tolerated on `exp` and `iat`.
const LEEWAY_SECS: i64 = 60;

#[derive(Clone, Debug, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    // RSA
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    // EC
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
    #[serde(default)]
    pub y: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

fn b64(s: &str) -> Result<Vec<u8>, TokenError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| TokenError::NotBase64)
}

/// Header, the signed part, the signature and the payload's JSON.
pub fn split(token: &str) -> Result<(Header, String, Vec<u8>, serde_json::Value), TokenError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts[..] else {
        return Err(TokenError::NotThreeParts);
    };
    let header: Header = serde_json::from_slice(&b64(h)?).map_err(|_| TokenError::HeaderNotJson)?;
    let payload: serde_json::Value =
        serde_json::from_slice(&b64(p)?).map_err(|_| TokenError::PayloadNotJson)?;
    Ok((header, format!("{h}.{p}"), b64(s)?, payload))
}

/// The key a header names: by `kid`, else the only signing key of its type.
pub fn pick(keys: &[Jwk], header: &Header) -> Option<Jwk> {
    let kty = match header.alg.as_str() {
        "RS256" => "RSA",
        "ES256" => "EC",
        _ => return None,
    };
    let usable = |k: &&Jwk| {
        k.kty == kty
            && k.use_.as_deref().is_none_or(|u| u == "sig")
            && k.alg.as_deref().is_none_or(|a| a == header.alg)
    };
    match &header.kid {
        Some(kid) => keys
            .iter()
            .filter(usable)
            .find(|k| k.kid.as_deref() == Some(kid))
            .cloned(),
        None => {
            let mut it = keys.iter().filter(usable);
            match (it.next(), it.next()) {
                (Some(k), None) => Some(k.clone()),
                _ => None,
            }
        }
    }
}

/// Checks the signature. Only RS256 and ES256: never `none` or a MAC.
pub fn verify(
    header: &Header,
    key: &Jwk,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), TokenError> {
    fn bad<E>(_: E) -> TokenError {
        TokenError::BadSignature
    }
    match header.alg.as_str() {
        "RS256" => {
            use rsa::signature::Verifier;
            let (Some(n), Some(e)) = (&key.n, &key.e) else {
                return Err(TokenError::RsaKeyIncomplete);
            };
            let n = rsa::BoxedUint::from_be_slice_vartime(&b64(n)?);
            let e = rsa::BoxedUint::from_be_slice_vartime(&b64(e)?);
            let public = rsa::RsaPublicKey::new(n, e)
                .map_err(|e| TokenError::RsaKeyUnusable(e.to_string()))?;
            let vk = rsa::pkcs1v15::VerifyingKey::<sha2_011::Sha256>::new(public);
            let sig = rsa::pkcs1v15::Signature::try_from(signature).map_err(bad)?;
            vk.verify(signed, &sig).map_err(bad)
        }
        "ES256" => {
            use p256::ecdsa::signature::Verifier;
            let (Some(x), Some(y)) = (&key.x, &key.y) else {
                return Err(TokenError::EcKeyIncomplete);
            };
            if key.crv.as_deref() != Some("P-256") {
                return Err(TokenError::EcKeyNotP256);
            }
            let mut point = vec![4u8];
            point.extend(b64(x)?);
            point.extend(b64(y)?);
            let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| TokenError::EcKeyNotAPoint)?;
            let sig = p256::ecdsa::Signature::from_slice(signature).map_err(bad)?;
            vk.verify(signed, &sig).map_err(bad)
        }
        other => Err(TokenError::Algorithm(other.to_owned())),
    }
}

pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now_secs: i64,
}

/// OpenID Connect Core §3.1.3.7: issuer, audience (and `azp` when there
/// are several), expiry, issue time, nonce; then the claims Orthrus reads.
pub fn check_claims(payload: serde_json::Value, x: &Expected<'_>) -> Result<IdClaims, TokenError> {
    let serde_json::Value::Object(claims) = payload else {
        return Err(TokenError::PayloadNotObject);
    };
    let s = |k: &str| claims.get(k).and_then(|v| v.as_str());
    let n = |k: &str| claims.get(k).and_then(|v| v.as_i64());
    if s("iss") != Some(x.issuer) {
        return Err(TokenError::Issuer {
            found: s("iss").unwrap_or("").to_owned(),
            expected: x.issuer.to_owned(),
        });
    }
    let aud: Vec<&str> = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.as_str()],
        Some(serde_json::Value::Array(a)) => a.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    if !aud.contains(&x.client_id) {
        return Err(TokenError::Audience);
    }
    if aud.len() > 1 && s("azp").is_some_and(|azp| azp != x.client_id) {
        return Err(TokenError::AuthorizedParty);
    }
    match n("exp") {
        Some(exp) if exp + LEEWAY_SECS > x.now_secs => {}
        Some(_) => return Err(TokenError::Expired),
        None => return Err(TokenError::NoExpiry),
    }
    if n("iat").is_none_or(|iat| iat > x.now_secs + LEEWAY_SECS) {
        return Err(TokenError::IssueTime);
    }
    if s("nonce") != Some(x.nonce) {
        return Err(TokenError::Nonce);
    }
    let subject = s("sub")
        .filter(|v| !v.is_empty())
        .ok_or(TokenError::NoSubject)?
        .to_owned();
    // Some providers send "true" as a string.
    let email_verified = match claims.get("email_verified") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(v)) => v == "true",
        _ => false,
    };
    Ok(IdClaims {
        issuer: x.issuer.to_owned(),
        subject,
        email: s("email").map(str::to_owned),
        email_verified,
        name: s("name").map(str::to_owned),
        auth_time: n("auth_time"),
        claims,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    /// A public key and a token signed with its private key (RS256),
    /// made once with Node.js's crypto module.
    const RS256_JWK: &str = r#"{"kid":"k1","kty":"RSA","n":"1ZCP3IhBjbb7roXya7Tvah8upr6ECUCh3ZOgKKhcO6j3lZY1XOJpqX2Focrakl_c15vI8Gl5xUWdDlqnjCUI4J7KVrMU4km35roWWCD7gKWSuFs4hTSKfISaOscf9VLmolIWQYpPIS0OUXaYSr73f4mq2Xj40eAZyZlQ6ZJOeTrWUv8pF1xBk3LsydlmH8prDVMjPvfBbYT8c7Z3FtZmjzwsJqglBmc52MqHsE2oml9EFC7MrIy7v8lUQakJaOQJo-DwOytOdYRMnIxjZksUGiJDcpEwz1WtyGB5nHAoiRpoQaqcCUsm7BBYK1e_wRdaBMdZh58fVB64URWjk-wENQ","e":"AQAB"}"#;
    const RS256_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1MSJ9.R5m3nl3kLODIL2rQV2oJ1gTCC5XdLkgJxi9AMHNqGw4h9bo26fHQFrX3NGbGcey09wkbUcEijbl7lk2le2QTfb2pd6IbG2m6_PGV44jliuo-M5flyNB-McEYWRmika1xyxBe0bfKBkyn9KkCOwCwEWNDJ1j1P6Y_YOZwethodSuxJNn4tZFSY0gRaC7mVuUT63zL7gcuetE8tCsyzUWNaFOgcDgZc9reiTrIuMG0GUuiXDJzQnTtU3MDX8wl3sdse1ZkQenmP0D9URwMEbN1V4fAyeDKKiR9TOk5GD-g9fYgmArNQzYlnPZiASGM-hj9cm5ylByiU3Cet9C85SkJEQ";

    /// A public key and a token signed with its private key (ES256),
    /// made once with Node.js's crypto module.
    const ES256_JWK: &str = r#"{"kid":"k1","kty":"EC","x":"yFAVsfTrpXYjDynmuU98Pyz2CCAB92E4i3mHw5UTeWA","y":"oFNwfJPaTz7zwdmlYXDmkqT579esedF9YN1O7TGQhPw","crv":"P-256"}"#;
    const ES256_TOKEN: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1MSJ9.VaG6lhfdrd4eq3P-PP9MFuEdN_ZrhkYeI5ZOqoJf7HcjvkO8IaXqH2DnzQjdG_rMhCofHpu-ZEXmDngSt0w-fw";

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "http://127.0.0.1:4000",
            client_id: "orthrus",
            nonce: "n1",
            now_secs: 1_800_000_000,
        }
    }

    fn good() -> serde_json::Value {
        json!({"iss": "http://127.0.0.1:4000", "aud": "orthrus", "exp": 1_800_000_300i64,
               "iat": 1_800_000_000i64, "nonce": "n1", "sub": "u1", "email": "kim@acme.test",
               "email_verified": true, "auth_time": 1_799_999_990i64, "groups": ["a"]})
    }

    #[test]
    fn a_good_token_gives_its_claims() {
        let c = check_claims(good(), &expected()).unwrap();
        assert_eq!(c.subject, "u1");
        assert!(c.email_verified);
        assert_eq!(c.auth_time, Some(1_799_999_990));
        assert_eq!(c.claims["groups"], json!(["a"]));
    }

    #[test]
    fn wrong_issuer_audience_nonce_or_expiry_are_refused() {
        let cases = [
            ("iss", json!("http://127.0.0.1:4001")),
            ("aud", json!("someone-else")),
            ("aud", json!(["someone-else", "another"])),
            ("nonce", json!("n2")),
            ("exp", json!(1_799_999_000i64)),
            ("iat", json!(1_800_009_000i64)),
            ("sub", json!("")),
        ];
        for (k, v) in cases {
            let mut p = good();
            p[k] = v.clone();
            assert!(check_claims(p, &expected()).is_err(), "{k} = {v}");
        }
        let mut p = good();
        p.as_object_mut().unwrap().remove("nonce");
        assert!(check_claims(p, &expected()).is_err());
        // Several audiences are fine when ours is among them and azp is us.
        let mut p = good();
        p["aud"] = json!(["orthrus", "api"]);
        p["azp"] = json!("orthrus");
        assert!(check_claims(p, &expected()).is_ok());
    }

    #[test]
    fn email_verified_must_be_true() {
        for v in [json!(false), json!("false"), json!(null)] {
            let mut p = good();
            p["email_verified"] = v;
            assert!(!check_claims(p, &expected()).unwrap().email_verified);
        }
    }

    #[test]
    fn only_rs256_and_es256_are_accepted() {
        let key = Jwk {
            kty: "oct".into(),
            kid: None,
            use_: None,
            alg: None,
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        for alg in ["none", "HS256", "RS512"] {
            let h = Header {
                alg: alg.into(),
                kid: None,
            };
            assert!(verify(&h, &key, b"x.y", b"").is_err(), "{alg}");
            assert!(pick(std::slice::from_ref(&key), &h).is_none());
        }
    }

    #[test]
    fn rs256_and_es256_signatures_verify_and_a_changed_byte_does_not() {
        for (jwk, token) in [(RS256_JWK, RS256_TOKEN), (ES256_JWK, ES256_TOKEN)] {
            let key: Jwk = serde_json::from_str(jwk).unwrap();
            let (header, signed, sig, payload) = split(token).unwrap();
            assert_eq!(payload["sub"], "u1");
            let picked = pick(std::slice::from_ref(&key), &header).unwrap();
            verify(&header, &picked, signed.as_bytes(), &sig).unwrap();
            let mut forged = signed.clone().into_bytes();
            let last = forged.len() - 1;
            forged[last] ^= 1;
            assert!(
                verify(&header, &picked, &forged, &sig).is_err(),
                "{}",
                header.alg
            );
            let mut bad_sig = sig.clone();
            bad_sig[0] ^= 1;
            assert!(verify(&header, &picked, signed.as_bytes(), &bad_sig).is_err());
            // The key of the other algorithm is not taken for this one.
            let other = if header.alg == "RS256" {
                ES256_JWK
            } else {
                RS256_JWK
            };
            let other: Jwk = serde_json::from_str(other).unwrap();
            assert!(pick(&[other], &header).is_none());
        }
    }
}
