//! A resolver that never answers (issue 14, item 6): a loopback UDP socket
//! that reads nothing. The first message from a domain waits once, at most
//! the check's deadline; the next from that domain does not wait again
//! while the failure is remembered.

use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use orthrus_smtp::auth::{AuthConfig, SenderVerifier};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_millis(600);

fn message(from: &str, n: u32) -> String {
    format!(
        "From: Sender <{from}>\r\nTo: brand@inbox.test\r\nSubject: Your code\r\nMessage-ID: <o-{n}@test>\r\n\r\nUse 12345{n} to log in.\r\n"
    )
}

/// A DKIM-Signature header over `m` in the name of `domain`, with a fresh key
/// (published nowhere: the lookup of it is what goes unanswered).
fn signature(domain: &str, m: &str) -> String {
    let key = Ed25519Key::generate_pkcs8().unwrap();
    DkimSigner::from_key(Ed25519Key::from_pkcs8_der(&key).unwrap())
        .domain(domain)
        .selector("sel")
        .headers(["From", "To", "Subject", "Message-ID"])
        .sign(m.as_bytes())
        .unwrap()
        .to_header()
}

fn signed(domain: &str, n: u32) -> Vec<u8> {
    let m = message(&format!("news@{domain}"), n);
    format!("{}{m}", signature(domain, &m)).into_bytes()
}

/// A verifier whose only name server is a loopback socket that never
/// replies, with that socket (keep it until the verifier is done).
fn verifier(failure_ttl: Duration) -> (std::net::UdpSocket, SenderVerifier) {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let v = SenderVerifier::new(&AuthConfig {
        dns_servers: vec![silent.local_addr().unwrap()],
        timeout: DEADLINE,
        failure_ttl,
        ..AuthConfig::default()
    })
    .unwrap();
    (silent, v)
}

async fn timed(v: &SenderVerifier, raw: &[u8], from: &str) -> (orthrus_app::SenderAuth, Duration) {
    let t = Instant::now();
    let a = v.verify(raw, from).await;
    (a, t.elapsed())
}

/// How long the verifier took over the `n`th unsigned message from
/// `a@slow.test`.
async fn from_slow(v: &SenderVerifier, n: u32) -> Duration {
    timed(v, message("a@slow.test", n).as_bytes(), "a@slow.test")
        .await
        .1
}

#[tokio::test]
async fn a_silent_resolver_costs_one_bounded_wait_per_domain() {
    let (_silent, v) = verifier(Duration::from_secs(60));

    // Unsigned: the DMARC lookup goes unanswered until the deadline.
    let (a, first) = timed(&v, message("a@slow.test", 1).as_bytes(), "a@slow.test").await;
    assert_eq!(a.dmarc.as_str(), "temperror");
    assert!(first >= DEADLINE / 2, "the resolver was asked: {first:?}");
    assert!(
        first < DEADLINE + Duration::from_secs(1),
        "bounded: {first:?}"
    );
    for n in 2..6 {
        let (a, again) = timed(&v, message("b@slow.test", n).as_bytes(), "b@slow.test").await;
        assert_eq!(a.dmarc.as_str(), "temperror");
        assert!(
            again < Duration::from_millis(100),
            "waited again: {again:?}"
        );
    }

    // Signed: the key lookup and the policy lookups, all remembered.
    let (a, first) = timed(&v, &signed("keys.test", 7), "news@keys.test").await;
    assert_eq!(
        (a.dkim.as_str(), a.dmarc.as_str()),
        ("temperror", "temperror")
    );
    assert!(
        first < DEADLINE + Duration::from_secs(1),
        "bounded: {first:?}"
    );
    // Each name that went unanswered is remembered: a lookup the deadline
    // cut off may cost the next message one wait, none after that.
    timed(&v, &signed("keys.test", 8), "news@keys.test").await;
    let (a, again) = timed(&v, &signed("keys.test", 10), "news@keys.test").await;
    assert_eq!(
        (a.dkim.as_str(), a.dmarc.as_str()),
        ("temperror", "temperror")
    );
    assert!(
        again < Duration::from_millis(100),
        "waited again: {again:?}"
    );

    // Another domain is asked on its own account (and waits once).
    let (_, other) = timed(&v, message("c@other.test", 9).as_bytes(), "c@other.test").await;
    assert!(other >= DEADLINE / 2, "{other:?}");
}

#[tokio::test]
async fn the_failure_is_forgotten_after_its_time_and_can_be_turned_off() {
    let (_silent, short) = verifier(Duration::from_millis(300));
    from_slow(&short, 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = from_slow(&short, 2).await;
    assert!(
        again >= DEADLINE / 2,
        "asked again after the TTL: {again:?}"
    );

    let (_quiet, off) = verifier(Duration::ZERO);
    from_slow(&off, 3).await;
    let again = from_slow(&off, 4).await;
    assert!(again >= DEADLINE / 2, "no failure cache: {again:?}");
}

/// A message signed first by a domain whose DNS never answers, then in the
/// name of another domain: the deadline runs out on the first, and only
/// what was really asked is remembered, so the other domain's mail is not
/// made to fail by a stranger's message.
#[tokio::test]
async fn a_failure_is_pinned_only_on_names_really_asked() {
    let (_silent, v) = verifier(Duration::from_secs(60));
    let m = message("news@victim.test", 1);
    let mut raw = String::new();
    for domain in ["victim.test", "attacker.test"] {
        // The attacker's signature ends up on top: checked first.
        raw = format!("{}{raw}", signature(domain, &m));
    }
    raw.push_str(&m);
    let (a, _) = timed(&v, raw.as_bytes(), "news@victim.test").await;
    assert_eq!(a.dkim.as_str(), "temperror");
    // The victim's policy was never reached: its next message asks DNS.
    let (_, next) = timed(
        &v,
        message("news@victim.test", 2).as_bytes(),
        "news@victim.test",
    )
    .await;
    assert!(next >= DEADLINE / 2, "blamed without being asked: {next:?}");
}

/// A failure answered from the list is not written again: it ends with its
/// time even while mail from the domain keeps coming.
#[tokio::test]
async fn a_remembered_failure_is_not_renewed_by_the_mail_it_answers() {
    let (_silent, v) = verifier(Duration::from_millis(1000));
    from_slow(&v, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let quick = from_slow(&v, 2).await;
    assert!(quick < Duration::from_millis(100), "remembered: {quick:?}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let asked = from_slow(&v, 3).await;
    assert!(
        asked >= DEADLINE / 2,
        "asked again after its time: {asked:?}"
    );
}
