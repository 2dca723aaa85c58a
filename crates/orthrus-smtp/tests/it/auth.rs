//! Sender authentication with real DKIM signatures (Ed25519 keys made per
//! test, an RSA-2048 test key in `tests/fixtures`). DNS is not reachable
//! here: the public keys and DMARC policies are provided through the
//! verifier's pinned records, the resolver cache; nothing skips
//! verification.

use base64::Engine;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use orthrus_smtp::auth::{AuthConfig, SenderVerifier};
use std::time::{Duration, Instant};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

struct Signer {
    key: Vec<u8>,
    domain: String,
    selector: String,
}

impl Signer {
    fn new(domain: &str, selector: &str) -> Self {
        Self {
            key: Ed25519Key::generate_pkcs8().unwrap(),
            domain: domain.into(),
            selector: selector.into(),
        }
    }

    /// The DNS record that publishes this key.
    fn record(&self) -> (String, String) {
        let public = Ed25519Key::from_pkcs8_der(&self.key).unwrap().public_key();
        (
            format!("{}._domainkey.{}", self.selector, self.domain),
            format!("v=DKIM1; k=ed25519; p={}", B64.encode(public)),
        )
    }

    /// The message with a DKIM-Signature header prepended.
    fn sign(&self, message: &str) -> Vec<u8> {
        let sig = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(&self.key).unwrap())
            .domain(&self.domain)
            .selector(&self.selector)
            .headers(["From", "To", "Subject", "Message-ID"])
            .sign(message.as_bytes())
            .unwrap();
        format!("{}{message}", sig.to_header()).into_bytes()
    }
}

fn message(from: &str, code: &str) -> String {
    format!(
        "From: Sender <{from}>\r\nTo: brand@inbox.test\r\nSubject: Your code\r\nMessage-ID: <m-{code}@test>\r\n\r\nUse {code} to log in.\r\n"
    )
}

fn verifier(pinned: Vec<(String, String)>) -> SenderVerifier {
    SenderVerifier::new(&AuthConfig {
        pinned,
        // Nothing listens on this port: lookups that are not pinned fail fast.
        dns_servers: vec!["127.0.0.1:9".parse().unwrap()],
        timeout: Duration::from_secs(2),
        ..AuthConfig::default()
    })
    .unwrap()
}

fn dmarc(domain: &str, policy: &str) -> (String, String) {
    (format!("_dmarc.{domain}"), format!("v=DMARC1; p={policy}"))
}

#[tokio::test]
async fn a_signed_message_passes_dkim_and_dmarc() {
    let s = Signer::new("shop.example", "s1");
    let v = verifier(vec![s.record(), dmarc("shop.example", "reject")]);
    let raw = s.sign(&message("noreply@shop.example", "123456"));
    let a = v.verify(&raw, "bounce@shop.example").await;
    assert_eq!(
        (a.dkim.as_str(), a.dmarc.as_str(), a.flagged),
        ("pass", "pass", false),
        "{a:?}"
    );
    assert_eq!(a.dkim_domains, vec!["shop.example".to_owned()]);
    assert_eq!(a.from_domain, "shop.example");
}

#[tokio::test]
async fn a_tampered_body_fails_dkim_and_dmarc() {
    let s = Signer::new("shop.example", "s1");
    let v = verifier(vec![s.record(), dmarc("shop.example", "reject")]);
    let raw = String::from_utf8(s.sign(&message("noreply@shop.example", "123456")))
        .unwrap()
        .replace("123456", "999999");
    let a = v.verify(raw.as_bytes(), "bounce@shop.example").await;
    assert_eq!(
        (a.dkim.as_str(), a.dmarc.as_str()),
        ("fail", "fail"),
        "{a:?}"
    );
    // shop.example is not a well-known app domain: recorded, not flagged.
    assert!(!a.flagged);
}

#[tokio::test]
async fn a_forged_well_known_sender_is_flagged() {
    // The attacker signs validly, but for its own domain.
    let attacker = Signer::new("attacker.example", "k");
    let v = verifier(vec![attacker.record(), dmarc("instagram.com", "reject")]);
    let raw = attacker.sign(&message("security@mail.instagram.com", "654321"));
    let a = v.verify(&raw, "x@attacker.example").await;
    assert_eq!(
        (a.dkim.as_str(), a.dmarc.as_str()),
        ("pass", "fail"),
        "{a:?}"
    );
    assert!(a.flagged, "{a:?}");
    let reason = a.reason.unwrap();
    assert!(reason.contains("instagram.com"), "{reason}");

    // Unsigned mail from the well-known domain is flagged too.
    let a = v
        .verify(
            message("security@mail.instagram.com", "111222").as_bytes(),
            "",
        )
        .await;
    assert_eq!((a.dkim.as_str(), a.flagged), ("none", true), "{a:?}");
}

#[tokio::test]
async fn a_second_from_header_cannot_hide_a_forged_sender() {
    // The attacker signs for its own domain and puts its address first;
    // mail readers show the second From, "Instagram".
    let attacker = Signer::new("attacker.example", "k");
    let v = verifier(vec![
        attacker.record(),
        dmarc("attacker.example", "none"),
        dmarc("instagram.com", "reject"),
    ]);
    let msg = format!(
        "From: x@attacker.example\r\n{}",
        message("security@mail.instagram.com", "123123")
    );
    let a = v.verify(&attacker.sign(&msg), "x@attacker.example").await;
    assert!(a.flagged, "{a:?}");
    assert_ne!(a.dmarc.as_str(), "pass");
    assert!(a.reason.unwrap().contains("instagram.com"));
}

#[tokio::test]
async fn hostile_signature_counts_are_bounded() {
    // Many signatures, one of them naming thousands of headers: the
    // verdict comes back (bounded work) and is not a pass.
    let s = Signer::new("shop.example", "s1");
    let v = verifier(vec![s.record(), dmarc("shop.example", "reject")]);
    let mut raw = String::new();
    let names = vec!["X-Nope"; 5000].join(":");
    for i in 0..50 {
        raw.push_str(&format!(
            "DKIM-Signature: v=1; a=ed25519-sha256; d=shop.example; s=s1; h={names}; bh=AAAA; b=AAAA{i}\r\n"
        ));
    }
    raw.push_str(&message("noreply@shop.example", "555000"));
    let started = Instant::now();
    let a = v.verify(raw.as_bytes(), "").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_ne!(a.dkim.as_str(), "pass");
    // Too many header fields: not verified at all.
    let mut raw = String::new();
    for i in 0..1500 {
        raw.push_str(&format!("X-Filler-{i}: y\r\n"));
    }
    raw.push_str(&message("noreply@shop.example", "555001"));
    let a = v.verify(&s.sign(&raw), "").await;
    assert_eq!(a.dkim.as_str(), "permerror", "{a:?}");
}

#[tokio::test]
async fn genuine_well_known_mail_passes_with_relaxed_alignment() {
    // Signed as instagram.com, sent From mail.instagram.com.
    let ig = Signer::new("instagram.com", "ig2025");
    let v = verifier(vec![ig.record(), dmarc("instagram.com", "reject")]);
    let raw = ig.sign(&message("security@mail.instagram.com", "481920"));
    let a = v.verify(&raw, "bounce@mail.instagram.com").await;
    assert_eq!(
        (a.dkim.as_str(), a.dmarc.as_str(), a.flagged),
        ("pass", "pass", false),
        "{a:?}"
    );
}

#[tokio::test]
async fn rsa_sha256_signatures_verify() {
    let pem = include_str!("../fixtures/dkim-rsa-test.pem");
    let public = include_str!("../fixtures/dkim-rsa-test.pub.b64").trim();
    use rustls::pki_types::pem::PemObject;
    let key = RsaKey::<Sha256>::from_key_der(rustls::pki_types::PrivateKeyDer::Pkcs1(
        rustls::pki_types::PrivatePkcs1KeyDer::from_pem_slice(pem.as_bytes()).unwrap(),
    ))
    .unwrap();
    let msg = message("no-reply@accounts.google.com", "G-123456");
    let sig = DkimSigner::from_key(key)
        .domain("accounts.google.com")
        .selector("20230601")
        .headers(["From", "Subject"])
        .sign(msg.as_bytes())
        .unwrap();
    let raw = format!("{}{msg}", sig.to_header());
    let v = verifier(vec![
        (
            "20230601._domainkey.accounts.google.com".into(),
            format!("v=DKIM1; k=rsa; p={public}"),
        ),
        dmarc("accounts.google.com", "reject"),
    ]);
    let a = v.verify(raw.as_bytes(), "").await;
    assert_eq!(
        (a.dkim.as_str(), a.dmarc.as_str(), a.flagged),
        ("pass", "pass", false),
        "{a:?}"
    );
    // A key that does not match the signature: fail, and flagged.
    let other = Signer::new("accounts.google.com", "20230601");
    let v = verifier(vec![other.record(), dmarc("accounts.google.com", "reject")]);
    let a = v.verify(raw.as_bytes(), "").await;
    assert_ne!(a.dkim.as_str(), "pass", "{a:?}");
    assert!(a.flagged, "{a:?}");
}

#[tokio::test]
async fn an_unreachable_resolver_gives_an_error_verdict_in_bounded_time() {
    // A signature whose key is not pinned must be looked up, and the name
    // server does not answer: the verdict says so instead of hanging.
    let s = Signer::new("elsewhere.example", "s");
    let v = verifier(vec![]);
    let started = Instant::now();
    let a = v
        .verify(&s.sign(&message("a@elsewhere.example", "777888")), "")
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(a.dkim.as_str(), "temperror" | "permerror"),
        "{a:?}"
    );
    assert_ne!(a.dmarc.as_str(), "pass");
    assert!(!a.flagged);
}

#[tokio::test]
async fn garbage_gets_a_verdict_not_a_panic() {
    let v = verifier(vec![]);
    for raw in [
        &b""[..],
        b"\xff\xfe\x00",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=; s=\r\n\r\n",
    ] {
        let a = v.verify(raw, "").await;
        assert_ne!(a.dkim.as_str(), "pass");
    }
}

#[test]
fn bad_pinned_records_are_refused_with_their_name() {
    let Err(e) = SenderVerifier::new(&AuthConfig {
        pinned: vec![("s._domainkey.example.com".into(), "v=DKIM1; p=%%%".into())],
        ..AuthConfig::default()
    }) else {
        panic!("accepted a broken key")
    };
    assert!(e.to_string().contains("s._domainkey.example.com"), "{e}");
}
