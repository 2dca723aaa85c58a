//! The SMTP listener for managed inbox addresses: ESMTP with SIZE,
//! PIPELINING, 8BITMIME and SMTPUTF8; recipients are accepted only when the
//! [`Delivery`] says the address is an enabled managed address (never an open
//! relay); `250` after DATA is sent only once the delivery has stored the
//! message durably. Limits: message size, recipients per message, line
//! length, an idle timeout per command, fixed deadlines for the DATA phase
//! and the whole session (however slowly bytes trickle in), and connections
//! in all and per client address. The delivery may refuse a recipient or a
//! message for its rate (`452`) or storage quota (`552`) before anything is
//! stored.
//!
//! The listener knows nothing of HTTP or storage: a [`Delivery`] decides and
//! stores. [`AppDelivery`] is the one `orthrus serve` uses: it hands mail to
//! the app, which stores it in the shared inbox.

pub mod auth;
pub mod outbound;

use async_trait::async_trait;
use orthrus_app::AppError;
use orthrus_app::metrics::SmtpOutcome;
use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::{Error as ProtoError, Request};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// What a delivery says about one recipient at RCPT time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// `250`.
    Accept,
    /// `550`: not an address this server takes mail for.
    Unknown,
    /// `452`: not now (a message rate is exceeded); the sender retries.
    RateLimited(String),
    /// `552`: the mailbox is over its storage quota.
    Full(String),
}

/// Why a delivery did not store a message (the reason is logged, never
/// sent to the client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryError {
    /// `451`: storing failed; the sender retries later.
    Failed(String),
    /// `452`: a message rate is exceeded.
    RateLimited(String),
    /// `552`: the message does not fit in the storage quota.
    Full(String),
}

impl From<String> for DeliveryError {
    fn from(e: String) -> Self {
        Self::Failed(e)
    }
}

impl From<&str> for DeliveryError {
    fn from(e: &str) -> Self {
        Self::Failed(e.to_owned())
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(e) | Self::RateLimited(e) | Self::Full(e) => f.write_str(e),
        }
    }
}

/// Where accepted mail goes.
#[async_trait]
pub trait Delivery: Send + Sync + 'static {
    /// Is `address` a recipient this server accepts mail for? An error
    /// (the database, say) is logged and answered `451`.
    async fn accepts(&self, address: &str) -> Result<bool, AppError>;
    /// The RCPT-time answer for `address`, with the reason for a refusal;
    /// by default [`Delivery::accepts`] without quotas.
    async fn check_recipient(&self, address: &str) -> Result<Recipient, AppError> {
        Ok(if self.accepts(address).await? {
            Recipient::Accept
        } else {
            Recipient::Unknown
        })
    }
    /// Stores a message durably, or refuses it before storing anything.
    async fn deliver(
        &self,
        peer: IpAddr,
        mail_from: &str,
        recipients: &[String],
        message: &[u8],
    ) -> Result<(), DeliveryError>;
    /// A connection was accepted (within the connection limits), for the
    /// operator's counters; nothing by default.
    fn session_opened(&self) {}
}

/// Listener limits.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub hostname: String,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    /// Idle time allowed for each command line.
    pub command_timeout: Duration,
    /// The whole DATA phase must end within this time of its `354`.
    pub data_timeout: Duration,
    /// The whole connection (STARTTLS included) must end within this time.
    pub session_timeout: Duration,
    /// Open connections in all; more are answered `421` and closed.
    pub max_connections: usize,
    pub max_connections_per_ip: usize,
    /// Certificate and key for STARTTLS (None: not offered).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Loads a PEM certificate chain and private key for STARTTLS.
pub fn tls_config(cert_path: &str, key_path: &str) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| format!("cannot read the certificate {cert_path}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate {cert_path} is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{cert_path} holds no certificate"));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| format!("cannot read a private key from {key_path}: {e}"))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("the certificate and key do not work together: {e}"))?;
    Ok(Arc::new(config))
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            hostname: "orthrus".into(),
            max_message_bytes: 10 * 1024 * 1024,
            max_recipients: 50,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            session_timeout: Duration::from_secs(1800),
            max_connections: 100,
            max_connections_per_ip: 10,
            tls: None,
        }
    }
}

/// Open connections, in all and per client address.
#[derive(Default)]
struct Connections {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// One admitted connection; its place is given back when dropped, however
/// the session ends.
struct Slot {
    table: Arc<Mutex<Connections>>,
    ip: IpAddr,
}

impl Slot {
    /// A place for a connection from `ip`, or why there is none.
    fn take(
        table: &Arc<Mutex<Connections>>,
        ip: IpAddr,
        config: &SmtpConfig,
    ) -> Result<Self, &'static str> {
        // Plain counters: still right after a panic elsewhere held the lock.
        let mut t = table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if t.total >= config.max_connections {
            return Err("421 4.7.0 Too many connections; try again later\r\n");
        }
        let n = t.per_ip.entry(ip).or_insert(0);
        if *n >= config.max_connections_per_ip {
            return Err("421 4.7.0 Too many connections from your address\r\n");
        }
        *n += 1;
        t.total += 1;
        Ok(Self {
            table: Arc::clone(table),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut t = self
            .table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        t.total = t.total.saturating_sub(1);
        if let Some(n) = t.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Time given past the session deadline for a last reply or a delivery in
/// progress before the connection is dropped outright.
const SESSION_GRACE: Duration = Duration::from_secs(30);

/// Serves SMTP on `listener` until `stop` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: SmtpConfig,
    delivery: Arc<dyn Delivery>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let table: Arc<Mutex<Connections>> = Arc::default();
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
        () = stop.cancelled() => break,
        accepted = listener.accept() => accepted?,
        // Reap finished sessions so the set does not grow.
        Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
            };
        // Replies are small and each one is awaited by the client: without
        // this, Nagle's algorithm and delayed ACKs add ~40 ms per message.
        let _ = stream.set_nodelay(true);
        let slot = Slot::take(&table, peer.ip(), &config);
        let (config, delivery, stop) = (config.clone(), Arc::clone(&delivery), stop.clone());
        sessions.spawn(async move {
            let mut stream = stream;
            match slot {
                Ok(_slot) => {
                    delivery.session_opened();
                    // The deadline holds even for a client that stops
                    // reading our replies (a write that never finishes).
                    let deadline = tokio::time::Instant::now() + config.session_timeout;
                    let session = connection(
                        &mut stream,
                        &config,
                        delivery.as_ref(),
                        peer,
                        &stop,
                        deadline,
                    );
                    match tokio::time::timeout_at(deadline + SESSION_GRACE, session).await {
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, error = %e, "smtp session ended");
                        }
                        Err(_) => {
                            tracing::info!(peer = %peer, "smtp session dropped at its deadline");
                        }
                        Ok(Ok(())) => {}
                    }
                }
                Err(reply) => {
                    tracing::info!(peer = %peer, "smtp connection refused: {}", reply.trim_end());
                    let _ = tokio::time::timeout(
                        Duration::from_secs(5),
                        stream.write_all(reply.as_bytes()),
                    )
                    .await;
                }
            }
        });
    }
    // Drain: let sessions in flight finish their current message.
    while sessions.join_next().await.is_some() {}
    Ok(())
}

/// One connection: a plain session, then a TLS one after STARTTLS, all
/// before `deadline`.
async fn connection(
    stream: &mut TcpStream,
    config: &SmtpConfig,
    delivery: &dyn Delivery,
    peer: SocketAddr,
    stop: &CancellationToken,
    deadline: tokio::time::Instant,
) -> std::io::Result<()> {
    let mut plain = Session::new(config, delivery, peer, deadline);
    plain.offer_tls = config.tls.is_some();
    if plain.run(stream, stop, true).await? == Outcome::Closed {
        return Ok(());
    }
    let Some(tls) = config.tls.clone() else {
        return Ok(());
    };
    // Anything the client pipelined after STARTTLS was plaintext and is
    // dropped with the old session (RFC 3207 §4.2, command injection).
    let accept = tokio_rustls::TlsAcceptor::from(tls).accept(stream);
    let until = deadline.min(tokio::time::Instant::now() + config.command_timeout);
    let mut secure = match tokio::time::timeout_at(until, accept).await {
        Ok(s) => s?,
        Err(_) => return Ok(()),
    };
    Session::new(config, delivery, peer, deadline)
        .run(&mut secure, stop, false)
        .await
        .map(|_| ())
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Closed,
    StartTls,
}

struct Session<'a> {
    config: &'a SmtpConfig,
    delivery: &'a dyn Delivery,
    peer: SocketAddr,
    /// When the whole connection must be over.
    deadline: tokio::time::Instant,
    /// STARTTLS is advertised and accepted (plain sessions with a certificate).
    offer_tls: bool,
    greeted: bool,
    mail_from: Option<String>,
    recipients: Vec<String>,
}

impl<'a> Session<'a> {
    fn new(
        config: &'a SmtpConfig,
        delivery: &'a dyn Delivery,
        peer: SocketAddr,
        deadline: tokio::time::Instant,
    ) -> Self {
        Self {
            config,
            delivery,
            peer,
            deadline,
            offer_tls: false,
            greeted: false,
            mail_from: None,
            recipients: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.recipients.clear();
    }

    async fn run<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        stop: &CancellationToken,
        greet: bool,
    ) -> std::io::Result<Outcome> {
        if greet {
            stream
                .write_all(format!("220 {} ESMTP Orthrus\r\n", self.config.hostname).as_bytes())
                .await?;
        }
        let mut receiver = RequestReceiver::default();
        let mut buf = vec![0u8; 8192];
        let mut pending: Vec<u8> = Vec::new();
        loop {
            // Answer every complete command already received (pipelining).
            let mut out = Vec::new();
            let mut data_requested = false;
            let mut quit = false;
            let mut start_tls = false;
            {
                let mut iter = pending.iter();
                loop {
                    match receiver.ingest(&mut iter) {
                        Ok(req) => {
                            let req = req.into_owned();
                            match self.handle(req).await {
                                Reply::Text(t) => out.extend_from_slice(t.as_bytes()),
                                Reply::Data => {
                                    out.extend_from_slice(
                                        b"354 End data with <CR><LF>.<CR><LF>\r\n",
                                    );
                                    data_requested = true;
                                    break;
                                }
                                Reply::Quit => {
                                    out.extend_from_slice(b"221 2.0.0 Bye\r\n");
                                    quit = true;
                                    break;
                                }
                                Reply::StartTls => {
                                    out.extend_from_slice(b"220 2.0.0 Ready to start TLS\r\n");
                                    start_tls = true;
                                    break;
                                }
                            }
                        }
                        Err(ProtoError::NeedsMoreData { .. }) => break,
                        Err(ProtoError::ResponseTooLong) => {
                            out.extend_from_slice(b"500 5.5.2 Line too long\r\n");
                            break;
                        }
                        Err(e) => out.extend_from_slice(
                            format!("500 5.5.2 Syntax error: {}\r\n", describe(&e)).as_bytes(),
                        ),
                    }
                }
                pending = iter.as_slice().to_vec();
            }
            if !out.is_empty() {
                stream.write_all(&out).await?;
            }
            if quit {
                return Ok(Outcome::Closed);
            }
            if start_tls {
                stream.flush().await?;
                return Ok(Outcome::StartTls);
            }
            if data_requested {
                let (reply, close) = self.read_data(stream, &mut pending, &mut buf).await?;
                stream.write_all(reply.as_bytes()).await?;
                if close {
                    return Ok(Outcome::Closed);
                }
                self.reset();
                continue;
            }
            // Idle time per command, and never past the session deadline
            // (a client trickling bytes resets the first, not the second).
            let until = self
                .deadline
                .min(tokio::time::Instant::now() + self.config.command_timeout);
            let n = tokio::select! {
                () = stop.cancelled() => {
                    stream.write_all(b"421 4.3.2 Shutting down\r\n").await?;
                    return Ok(Outcome::Closed);
                }
                r = tokio::time::timeout_at(until, stream.read(&mut buf)) => match r {
                    Ok(r) => r?,
                    Err(_) => {
                        stream.write_all(b"421 4.4.2 Timeout\r\n").await?;
                        return Ok(Outcome::Closed);
                    }
                },
            };
            if n == 0 {
                return Ok(Outcome::Closed);
            }
            pending.extend_from_slice(&buf[..n]);
            if pending.len() > 64 * 1024 {
                stream.write_all(b"500 5.5.2 Line too long\r\n").await?;
                return Ok(Outcome::Closed);
            }
        }
    }

    /// Reads the message after 354 (dot-unstuffed), enforcing the size limit
    /// and the DATA deadline, and delivers it; returns the final reply and
    /// whether the connection closes after it.
    async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        pending: &mut Vec<u8>,
        buf: &mut [u8],
    ) -> std::io::Result<(String, bool)> {
        // One deadline for the whole message, not per read: a sender
        // trickling a byte at a time cannot hold the connection open.
        let until = self
            .deadline
            .min(tokio::time::Instant::now() + self.config.data_timeout);
        let mut data = DataReceiver::new();
        let mut message: Vec<u8> = Vec::new();
        let mut too_big = false;
        let mut chunk = std::mem::take(pending);
        loop {
            let mut iter = chunk.iter();
            let mut sink = Vec::new();
            let done = data.ingest(&mut iter, &mut sink);
            if !too_big {
                message.extend_from_slice(&sink);
                if message.len() > self.config.max_message_bytes {
                    too_big = true;
                    message = Vec::new();
                }
            }
            if done {
                *pending = iter.as_slice().to_vec();
                break;
            }
            let n = match tokio::time::timeout_at(until, stream.read(buf)).await {
                Ok(r) => r?,
                Err(_) => {
                    tracing::info!(peer = %self.peer, "smtp DATA cut off at its deadline");
                    return Ok(("421 4.4.2 Message took too long to send\r\n".into(), true));
                }
            };
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed during DATA",
                ));
            }
            chunk = buf[..n].to_vec();
        }
        if too_big {
            return Ok((
                format!(
                    "552 5.3.4 Message too big (limit {} bytes)\r\n",
                    self.config.max_message_bytes
                ),
                false,
            ));
        }
        let from = self.mail_from.clone().unwrap_or_default();
        let reply = match self
            .delivery
            .deliver(self.peer.ip(), &from, &self.recipients, &message)
            .await
        {
            Ok(()) => "250 2.0.0 Stored\r\n",
            // Quota details stay in the log: outside senders do not learn
            // how much a workspace holds.
            Err(DeliveryError::RateLimited(e)) => {
                tracing::info!(peer = %self.peer, reason = %e, "smtp message refused");
                RATE_LIMITED_REPLY
            }
            Err(DeliveryError::Full(e)) => {
                tracing::info!(peer = %self.peer, reason = %e, "smtp message refused");
                FULL_REPLY
            }
            Err(DeliveryError::Failed(e)) => {
                tracing::warn!(peer = %self.peer, error = %e, "smtp delivery failed");
                "451 4.3.0 Could not store the message; try again later\r\n"
            }
        };
        Ok((reply.into(), false))
    }

    async fn handle(&mut self, req: Request<String>) -> Reply {
        match req {
            Request::Ehlo { host } => {
                self.greeted = true;
                self.reset();
                Reply::Text(format!(
                    "250-{} greets {host}\r\n250-SIZE {}\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n{}250 ENHANCEDSTATUSCODES\r\n",
                    self.config.hostname,
                    self.config.max_message_bytes,
                    if self.offer_tls {
                        "250-STARTTLS\r\n"
                    } else {
                        ""
                    }
                ))
            }
            Request::Helo { host } | Request::Lhlo { host } => {
                self.greeted = true;
                self.reset();
                Reply::Text(format!("250 {} greets {host}\r\n", self.config.hostname))
            }
            Request::Mail { from } => {
                if !self.greeted {
                    return Reply::Text("503 5.5.1 Say EHLO first\r\n".into());
                }
                if self.mail_from.is_some() {
                    return Reply::Text("503 5.5.1 Nested MAIL command\r\n".into());
                }
                if from.size > self.config.max_message_bytes {
                    return Reply::Text(format!(
                        "552 5.3.4 Message too big (limit {} bytes)\r\n",
                        self.config.max_message_bytes
                    ));
                }
                self.mail_from = Some(from.address);
                Reply::Text("250 2.1.0 OK\r\n".into())
            }
            Request::Rcpt { to } => {
                if self.mail_from.is_none() {
                    return Reply::Text("503 5.5.1 Need MAIL first\r\n".into());
                }
                if self.recipients.len() >= self.config.max_recipients {
                    return Reply::Text("452 4.5.3 Too many recipients\r\n".into());
                }
                // The same address twice is one recipient: each distinct
                // one costs a sealed copy of the message.
                if self
                    .recipients
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&to.address))
                {
                    return Reply::Text("250 2.1.5 OK (already a recipient)\r\n".into());
                }
                match self.delivery.check_recipient(&to.address).await {
                    Ok(Recipient::Accept) => {
                        self.recipients.push(to.address);
                        Reply::Text("250 2.1.5 OK\r\n".into())
                    }
                    Ok(Recipient::Unknown) => {
                        Reply::Text("550 5.1.1 No such mailbox here\r\n".into())
                    }
                    Ok(Recipient::RateLimited(e)) => {
                        tracing::info!(peer = %self.peer, reason = %e, "smtp recipient deferred");
                        Reply::Text(RATE_LIMITED_REPLY.into())
                    }
                    Ok(Recipient::Full(e)) => {
                        tracing::info!(peer = %self.peer, reason = %e, "smtp recipient refused");
                        Reply::Text(FULL_REPLY.into())
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "smtp recipient check failed");
                        Reply::Text("451 4.3.0 Try again later\r\n".into())
                    }
                }
            }
            Request::Data => {
                if self.mail_from.is_none() || self.recipients.is_empty() {
                    return Reply::Text("503 5.5.1 Need RCPT first\r\n".into());
                }
                Reply::Data
            }
            Request::Rset => {
                self.reset();
                Reply::Text("250 2.0.0 OK\r\n".into())
            }
            Request::Noop { .. } => Reply::Text("250 2.0.0 OK\r\n".into()),
            Request::Quit => Reply::Quit,
            Request::StartTls if self.offer_tls => {
                self.reset();
                Reply::StartTls
            }
            Request::StartTls => Reply::Text("454 4.7.0 TLS not available\r\n".into()),
            Request::Vrfy { .. } | Request::Expn { .. } => {
                Reply::Text("502 5.5.1 Not supported\r\n".into())
            }
            _ => Reply::Text("502 5.5.1 Command not implemented\r\n".into()),
        }
    }
}

/// A recipient or message over a message rate: the sender retries later.
const RATE_LIMITED_REPLY: &str =
    "452 4.2.1 This mailbox is receiving too many messages; try again later\r\n";
/// A recipient or message over a storage quota.
const FULL_REPLY: &str = "552 5.2.2 Mailbox full\r\n";

enum Reply {
    Text(String),
    Data,
    Quit,
    StartTls,
}

fn describe(e: &ProtoError) -> String {
    match e {
        ProtoError::UnknownCommand => "unknown command".into(),
        ProtoError::InvalidSenderAddress => "invalid sender address".into(),
        ProtoError::InvalidRecipientAddress => "invalid recipient address".into(),
        ProtoError::SyntaxError { syntax } => (*syntax).to_owned(),
        other => format!("{other:?}"),
    }
}

/// Hands SMTP deliveries to the app, which stores them durably in the
/// shared inbox before `deliver` returns, with the sender-authentication
/// verdict ([`auth`]) of each message.
pub struct AppDelivery {
    app: orthrus_app::App,
    verifier: auth::SenderVerifier,
}

impl AppDelivery {
    pub fn new(app: orthrus_app::App, auth: &auth::AuthConfig) -> Result<Self, auth::BadRecord> {
        Ok(Self {
            app,
            verifier: auth::SenderVerifier::new(auth)?,
        })
    }
}

/// The listener's view of a quota refusal from the app.
fn quota_refusal(e: &AppError) -> Option<DeliveryError> {
    match e {
        AppError::InboxRateLimited(message) => Some(DeliveryError::RateLimited(message.clone())),
        AppError::InboxStorageFull(message) => Some(DeliveryError::Full(message.clone())),
        _ => None,
    }
}

#[async_trait]
impl Delivery for AppDelivery {
    async fn accepts(&self, address: &str) -> Result<bool, AppError> {
        self.app.smtp_accepts(address).await
    }

    async fn check_recipient(&self, address: &str) -> Result<Recipient, AppError> {
        let r = self.check_recipient_uncounted(address).await;
        if let Ok(refused) = &r {
            let outcome = match refused {
                Recipient::Accept => None,
                Recipient::Unknown => Some(SmtpOutcome::Refused),
                Recipient::RateLimited(_) => Some(SmtpOutcome::RateLimited),
                Recipient::Full(_) => Some(SmtpOutcome::OverQuota),
            };
            if let Some(o) = outcome {
                self.app.count_smtp_message(o);
            }
        }
        r
    }

    fn session_opened(&self) {
        self.app.count_smtp_session();
    }

    async fn deliver(
        &self,
        _peer: IpAddr,
        from: &str,
        recipients: &[String],
        message: &[u8],
    ) -> Result<(), DeliveryError> {
        let verdict = self.verifier.verify(message, from).await;
        let flagged = verdict.flagged;
        let r = self
            .app
            .ingest_email(recipients, message, Some(verdict))
            .await
            .map_err(|e| quota_refusal(&e).unwrap_or_else(|| DeliveryError::Failed(e.to_string())));
        self.app.count_smtp_message(match &r {
            Ok(0) => SmtpOutcome::Duplicate,
            Ok(_) if flagged => SmtpOutcome::Flagged,
            Ok(_) => SmtpOutcome::Stored,
            Err(DeliveryError::RateLimited(_)) => SmtpOutcome::RateLimited,
            Err(DeliveryError::Full(_)) => SmtpOutcome::OverQuota,
            Err(DeliveryError::Failed(_)) => SmtpOutcome::Failed,
        });
        r.map(|_| ())
    }
}

impl AppDelivery {
    async fn check_recipient_uncounted(&self, address: &str) -> Result<Recipient, AppError> {
        match self.app.smtp_admit(address).await {
            Ok(orthrus_app::Admission::Accept) => Ok(Recipient::Accept),
            Ok(orthrus_app::Admission::Unknown) => Ok(Recipient::Unknown),
            Ok(orthrus_app::Admission::Refused(e)) => match quota_refusal(&e) {
                Some(DeliveryError::RateLimited(m)) => Ok(Recipient::RateLimited(m)),
                Some(DeliveryError::Full(m)) => Ok(Recipient::Full(m)),
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}
