//! STARTTLS with a test certificate (tests/fixtures/tls-test.*, CN and
//! SAN localhost), and the outbound relay mailer against the listener.

use super::{Client, start};
use orthrus_app::{Mailer, OutboundMail};
use orthrus_smtp::SmtpConfig;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls-test.crt");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls-test.key");

fn tls_config() -> SmtpConfig {
    SmtpConfig {
        tls: Some(orthrus_smtp::tls_config(CERT, KEY).unwrap()),
        ..SmtpConfig::default()
    }
}

fn connector() -> tokio_rustls::TlsConnector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(CERT).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn tls_reply<R: tokio::io::AsyncBufRead + Unpin>(r: &mut R) -> String {
    let mut all = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await.unwrap() == 0 {
            return all;
        }
        all.push_str(&line);
        if line.len() >= 4 && &line[3..4] == " " {
            return all;
        }
    }
}

#[tokio::test]
async fn starttls_is_offered_only_with_a_certificate() {
    let (addr, _mem, _stop) = start(SmtpConfig::default()).await;
    let (mut c, _) = Client::connect(&addr).await;
    assert!(!c.cmd("EHLO client.test").await.contains("STARTTLS"));
    assert!(c.cmd("STARTTLS").await.starts_with("454"));

    let (addr, _mem, _stop) = start(tls_config()).await;
    let (mut c, _) = Client::connect(&addr).await;
    assert!(c.cmd("EHLO client.test").await.contains("250-STARTTLS"));
}

#[tokio::test]
async fn a_message_over_starttls_is_stored_and_injected_commands_are_dropped() {
    let (addr, mem, _stop) = start(tls_config()).await;
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    {
        let mut r = BufReader::new(&mut tcp);
        assert!(tls_reply(&mut r).await.starts_with("220"));
        r.get_mut()
            .write_all(b"EHLO client.test\r\n")
            .await
            .unwrap();
        assert!(tls_reply(&mut r).await.contains("STARTTLS"));
        // A plaintext command pipelined behind STARTTLS (an injection
        // attempt) must not be executed inside the TLS session.
        r.get_mut()
            .write_all(b"STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n")
            .await
            .unwrap();
        assert!(tls_reply(&mut r).await.starts_with("220 2.0.0"));
    }
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector().connect(name, tcp).await.unwrap();
    let (r, mut w) = tokio::io::split(tls);
    let mut r = BufReader::new(r);
    w.write_all(b"EHLO client.test\r\n").await.unwrap();
    let ehlo = tls_reply(&mut r).await;
    assert!(
        ehlo.starts_with("250") && !ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    // Had the injected MAIL run, this would be "503 nested MAIL".
    w.write_all(b"MAIL FROM:<security@mail.instagram.com>\r\n")
        .await
        .unwrap();
    assert!(tls_reply(&mut r).await.starts_with("250"));
    w.write_all(b"RCPT TO:<brand@inbox.test>\r\nDATA\r\n")
        .await
        .unwrap();
    assert!(tls_reply(&mut r).await.starts_with("250"));
    assert!(tls_reply(&mut r).await.starts_with("354"));
    w.write_all(b"Subject: code\r\n\r\nUse 246810.\r\n.\r\n")
        .await
        .unwrap();
    assert!(tls_reply(&mut r).await.starts_with("250"));
    let stored = mem.stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "security@mail.instagram.com");
}

#[tokio::test]
async fn bad_certificate_files_are_clear_errors() {
    let e = orthrus_smtp::tls_config("/nonexistent.crt", KEY).unwrap_err();
    assert!(e.contains("/nonexistent.crt"), "{e}");
    // A key that is not the certificate's.
    let e = orthrus_smtp::tls_config(CERT, CERT).unwrap_err();
    assert!(e.contains("private key"), "{e}");
}

#[tokio::test]
async fn the_relay_mailer_sends_text_and_the_original_attached() {
    let (addr, mem, _stop) = start(SmtpConfig::default()).await;
    let mailer =
        orthrus_smtp::outbound::RelayMailer::new(&format!("smtp://{addr}"), "orthrus@inbox.test")
            .unwrap();
    let original = b"From: a@b.test\r\nSubject: Your code\r\n\r\nUse 135790.\r\n".to_vec();
    mailer
        .send(OutboundMail {
            to: "kathy@inbox.test".into(),
            subject: "Fwd: Your code".into(),
            text: "Code: 135790\r\n".into(),
            attachment: Some(("original.eml".into(), "message/rfc822".into(), original)),
        })
        .await
        .unwrap();
    let stored = mem.stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "orthrus@inbox.test");
    assert_eq!(stored[0].1, vec!["kathy@inbox.test"]);
    let body = String::from_utf8_lossy(&stored[0].2).to_string();
    for part in ["Subject: Fwd: Your code", "message/rfc822", "original.eml"] {
        assert!(body.contains(part), "{part:?} missing from {body}");
    }
    // The code is readable by the extractor in what arrived.
    assert_eq!(
        orthrus_extract::extract_email(&stored[0].2).code.as_deref(),
        Some("135790")
    );
    // A refused recipient is an error, not a silent loss.
    let err = mailer
        .send(OutboundMail {
            to: "someone@elsewhere.test".into(),
            subject: "x".into(),
            text: "y".into(),
            attachment: None,
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("550") || err.to_lowercase().contains("mailbox"),
        "{err}"
    );
    assert!(matches!(
        orthrus_smtp::outbound::RelayMailer::new("ftp://x", "a@b.test"),
        Err(e) if e.contains("not a usable SMTP URL")
    ));
}
