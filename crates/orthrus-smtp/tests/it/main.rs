//! Real SMTP sessions over TCP against the listener, with an in-memory delivery.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod dns_outage;
mod limits;
mod quota;
mod tls;

use async_trait::async_trait;
use orthrus_smtp::{Delivery, SmtpConfig, serve};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// A stored message: sender, recipients, bytes.
type Stored = (String, Vec<String>, Vec<u8>);

#[derive(Default)]
struct Memory {
    stored: Mutex<Vec<Stored>>,
    fail: Mutex<bool>,
}

#[async_trait]
impl Delivery for Memory {
    async fn accepts(&self, address: &str) -> Result<bool, orthrus_app::AppError> {
        Ok(address.ends_with("@inbox.test"))
    }
    async fn deliver(
        &self,
        _peer: IpAddr,
        from: &str,
        rcpts: &[String],
        message: &[u8],
    ) -> Result<(), orthrus_smtp::DeliveryError> {
        if *self.fail.lock().unwrap() {
            return Err("disk on fire".into());
        }
        self.stored
            .lock()
            .unwrap()
            .push((from.to_owned(), rcpts.to_vec(), message.to_vec()));
        Ok(())
    }
}

pub(crate) async fn start(config: SmtpConfig) -> (String, Arc<Memory>, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let mem = Arc::new(Memory::default());
    let stop = CancellationToken::new();
    tokio::spawn(serve(
        listener,
        config,
        Arc::<Memory>::clone(&mem),
        stop.clone(),
    ));
    (addr, mem, stop)
}

pub(crate) struct Client {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    pub(crate) async fn connect(addr: &str) -> (Self, String) {
        let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut c = Self {
            r: BufReader::new(r),
            w,
        };
        let greeting = c.reply().await;
        (c, greeting)
    }
    /// One full reply (multi-line replies end with "NNN ").
    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.r.read_line(&mut line).await.unwrap() == 0 {
                return all;
            }
            all.push_str(&line);
            if line.len() >= 4 && &line[3..4] == " " {
                return all;
            }
        }
    }
    async fn send(&mut self, text: &str) {
        self.w.write_all(text.as_bytes()).await.unwrap();
    }
    pub(crate) async fn cmd(&mut self, text: &str) -> String {
        self.send(&format!("{text}\r\n")).await;
        self.reply().await
    }
}

#[tokio::test]
async fn a_pipelined_session_stores_the_message_before_250() {
    let (addr, mem, _stop) = start(SmtpConfig::default()).await;
    let (mut c, greeting) = Client::connect(&addr).await;
    assert!(greeting.starts_with("220 "));
    let ehlo = c.cmd("EHLO client.test").await;
    for ext in ["SIZE", "PIPELINING", "8BITMIME", "SMTPUTF8"] {
        assert!(ehlo.contains(ext), "{ehlo}");
    }
    // Everything in one write, as a pipelining client does.
    c.send("MAIL FROM:<security@mail.instagram.com>\r\nRCPT TO:<brand-x7k2@inbox.test>\r\nRCPT TO:<nobody@elsewhere.test>\r\nDATA\r\n").await;
    assert!(c.reply().await.starts_with("250"));
    assert!(c.reply().await.starts_with("250"));
    assert!(
        c.reply().await.starts_with("550 5.1.1"),
        "never an open relay"
    );
    assert!(c.reply().await.starts_with("354"));
    c.send("Subject: Your code\r\n\r\nUse 123456.\r\n..leading dot\r\n.\r\n")
        .await;
    assert!(c.reply().await.starts_with("250"));
    let stored = mem.stored.lock().unwrap().clone();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "security@mail.instagram.com");
    assert_eq!(stored[0].1, vec!["brand-x7k2@inbox.test"]);
    assert_eq!(
        String::from_utf8_lossy(&stored[0].2),
        "Subject: Your code\r\n\r\nUse 123456.\r\n.leading dot\r\n",
        "dot-unstuffed"
    );
    assert!(c.cmd("QUIT").await.starts_with("221"));
}

#[tokio::test]
async fn refusals_oversize_order_and_failed_storage() {
    let (addr, mem, _stop) = start(SmtpConfig {
        max_message_bytes: 100,
        ..SmtpConfig::default()
    })
    .await;
    let (mut c, _) = Client::connect(&addr).await;
    assert!(
        c.cmd("MAIL FROM:<a@b.test>").await.starts_with("503"),
        "EHLO first"
    );
    c.cmd("EHLO x").await;
    assert!(
        c.cmd("RCPT TO:<a@inbox.test>").await.starts_with("503"),
        "MAIL first"
    );
    assert!(
        c.cmd("MAIL FROM:<a@b.test> SIZE=5000")
            .await
            .starts_with("552"),
        "declared size too big"
    );
    c.cmd("MAIL FROM:<a@b.test>").await;
    assert!(c.cmd("DATA").await.starts_with("503"), "RCPT first");
    c.cmd("RCPT TO:<a@inbox.test>").await;
    assert!(c.cmd("DATA").await.starts_with("354"));
    c.send(&format!("{}\r\n.\r\n", "x".repeat(500))).await;
    assert!(c.reply().await.starts_with("552 5.3.4"));
    assert!(mem.stored.lock().unwrap().is_empty());
    // Storage fails: the client gets 451, never 250, and will retry.
    *mem.fail.lock().unwrap() = true;
    c.cmd("MAIL FROM:<a@b.test>").await;
    c.cmd("RCPT TO:<a@inbox.test>").await;
    c.cmd("DATA").await;
    c.send("Subject: hi\r\n\r\nbody\r\n.\r\n").await;
    assert!(c.reply().await.starts_with("451"));
    assert!(c.cmd("STARTTLS").await.starts_with("454"));
    assert!(c.cmd("VRFY a@inbox.test").await.starts_with("502"));
    assert!(c.cmd("BOGUS").await.starts_with("500"));
    assert!(c.cmd("RSET").await.starts_with("250"));
}

#[tokio::test]
async fn connections_per_address_are_limited() {
    let (addr, _mem, _stop) = start(SmtpConfig {
        max_connections_per_ip: 2,
        ..SmtpConfig::default()
    })
    .await;
    let (_a, ga) = Client::connect(&addr).await;
    let (_b, gb) = Client::connect(&addr).await;
    let (_c, gc) = Client::connect(&addr).await;
    assert!(ga.starts_with("220") && gb.starts_with("220"));
    assert!(gc.starts_with("421"), "{gc}");
}

/// A delivery that never finishes storing: it signals that it started, then
/// waits forever (as a process that dies mid-commit would).
struct Stuck(Arc<tokio::sync::Notify>);

#[async_trait]
impl Delivery for Stuck {
    async fn accepts(&self, _address: &str) -> Result<bool, orthrus_app::AppError> {
        Ok(true)
    }
    async fn deliver(
        &self,
        _: IpAddr,
        _: &str,
        _: &[String],
        _: &[u8],
    ) -> Result<(), orthrus_smtp::DeliveryError> {
        self.0.notify_one();
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_crash_before_the_message_is_stored_never_answers_250() {
    use tokio::io::AsyncReadExt;
    // The server runs on its own runtime, so the test can kill it outright:
    // shutting that runtime down drops every task and socket mid-delivery.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let entered = Arc::new(tokio::sync::Notify::new());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let delivery = Arc::new(Stuck(Arc::clone(&entered)));
    server.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        serve(
            listener,
            SmtpConfig::default(),
            delivery,
            CancellationToken::new(),
        )
        .await
    });
    let (mut c, greeting) = Client::connect(&addr).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    c.cmd("EHLO x").await;
    c.cmd("MAIL FROM:<a@b.test>").await;
    c.cmd("RCPT TO:<a@inbox.test>").await;
    assert!(c.cmd("DATA").await.starts_with("354"));
    c.send("Subject: hi\r\n\r\nYour code is 123456\r\n.\r\n")
        .await;
    entered.notified().await;
    // While the message is being stored, nothing is answered...
    let mut buf = [0u8; 256];
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), c.r.read(&mut buf))
            .await
            .is_err(),
        "the server answered before the message was stored"
    );
    // ...and when the process dies there, the client sees the connection
    // end without a 250, so the sender keeps the message and retries.
    server.shutdown_background();
    let mut rest = Vec::new();
    let end = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        c.r.read_to_end(&mut rest),
    )
    .await
    .expect("the connection must end when the server dies");
    let rest = String::from_utf8_lossy(&rest);
    assert!(!rest.contains("250"), "got {rest:?} (read result {end:?})");
}
