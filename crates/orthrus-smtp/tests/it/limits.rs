//! Connection caps and fixed deadlines (issue 11, finding 5): a crowd of
//! connections or a sender trickling bytes cannot hold the listener.

use crate::{Client, start};
use orthrus_smtp::SmtpConfig;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

#[tokio::test]
async fn connections_beyond_the_global_cap_get_421_and_a_freed_place_is_reused() {
    let (addr, _mem, _stop) = start(SmtpConfig {
        max_connections: 3,
        max_connections_per_ip: 3,
        ..SmtpConfig::default()
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let (c, greeting) = Client::connect(&addr).await;
        assert!(greeting.starts_with("220"), "{greeting}");
        open.push(c);
    }
    let (mut refused, greeting) = Client::connect(&addr).await;
    assert!(greeting.starts_with("421 4.7.0"), "{greeting}");
    // ...and the refused connection is closed.
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), refused.r.read_to_end(&mut rest))
        .await
        .expect("a refused connection must be closed")
        .unwrap();
    assert_eq!(n, 0, "{rest:?}");
    // One client leaves: its place is given back.
    let mut quitter = open.pop().unwrap();
    assert!(quitter.cmd("QUIT").await.starts_with("221"));
    drop(quitter);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_c, greeting) = Client::connect(&addr).await;
        if greeting.starts_with("220") {
            break;
        }
        assert!(Instant::now() < deadline, "the place was never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes `bytes` one per `every` until the connection fails or the
/// returned handle is aborted.
fn trickle(
    mut w: tokio::net::tcp::OwnedWriteHalf,
    bytes: Vec<u8>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    use tokio::io::AsyncWriteExt;
    tokio::spawn(async move {
        for b in bytes.into_iter().cycle() {
            if w.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// Everything the server sends until it closes, or None if it never does
/// within `limit`.
async fn until_closed(
    r: &mut tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    limit: Duration,
) -> Option<String> {
    let mut all = Vec::new();
    tokio::time::timeout(limit, r.read_to_end(&mut all))
        .await
        .ok()
        .map(|_| String::from_utf8_lossy(&all).into_owned())
}

#[tokio::test]
async fn a_sender_trickling_a_byte_a_second_is_cut_off_at_the_data_deadline() {
    let (addr, mem, _stop) = start(SmtpConfig {
        // Each byte arrives well within the idle timeout; only a deadline
        // for the whole DATA phase ends this.
        command_timeout: Duration::from_secs(30),
        data_timeout: Duration::from_secs(2),
        ..SmtpConfig::default()
    })
    .await;
    let (mut c, _) = Client::connect(&addr).await;
    c.cmd("EHLO x").await;
    c.cmd("MAIL FROM:<a@b.test>").await;
    c.cmd("RCPT TO:<slow@inbox.test>").await;
    assert!(c.cmd("DATA").await.starts_with("354"));
    let started = Instant::now();
    let (mut r, w) = (c.r, c.w);
    let writer = trickle(w, b"Subject: slow\r\n".to_vec(), Duration::from_secs(1));
    let said = until_closed(&mut r, Duration::from_secs(15))
        .await
        .expect("the server must close a connection whose DATA outlasts the deadline");
    writer.abort();
    assert!(said.starts_with("421 4.4.2"), "{said:?}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "cut off after {took:?}");
    assert!(
        mem.stored.lock().unwrap().is_empty(),
        "nothing is delivered"
    );
}

#[tokio::test]
async fn a_session_trickling_commands_is_cut_off_at_the_session_deadline() {
    let (addr, _mem, _stop) = start(SmtpConfig {
        command_timeout: Duration::from_secs(30),
        session_timeout: Duration::from_secs(2),
        ..SmtpConfig::default()
    })
    .await;
    let (c, _) = Client::connect(&addr).await;
    let started = Instant::now();
    // Complete NOOPs, a byte every 100 ms: every command is answered and
    // none is idle for long, yet the session must still end.
    let (mut r, w) = (c.r, c.w);
    let writer = trickle(w, b"NOOP\r\n".to_vec(), Duration::from_millis(100));
    let said = until_closed(&mut r, Duration::from_secs(15))
        .await
        .expect("the server must close a session that outlasts its deadline");
    writer.abort();
    assert!(said.contains("250 2.0.0 OK"), "{said:?}");
    assert!(said.ends_with("421 4.4.2 Timeout\r\n"), "{said:?}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "cut off after {took:?}");
}
