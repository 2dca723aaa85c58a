//! The SMTP listener for managed inbox addresses: ESMTP with SIZE,
//! PIPELINING, 8BITMIME and SMTPUTF8; recipients are accepted only when the
//! [`Delivery`] says the address is an enabled managed address (never an open
//! relay); `250` after DATA is sent only once the delivery has stored the
//! message durably. Limits: message size, recipients per message, line
//! length, command timeouts and connections per client address.
//!
//! The listener knows nothing of HTTP or storage: a [`Delivery`] decides and
//! stores. [`AppDelivery`] is the one `orthrus serve` uses: it hands mail to
//! the app, which stores it in the shared inbox.

pub mod auth;
pub mod outbound;

use async_trait::async_trait;
use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::{Error as ProtoError, Request};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Where accepted mail goes.
#[async_trait]
pub trait Delivery: Send + Sync + 'static {
    /// Is `address` a recipient this server accepts mail for?
    async fn accepts(&self, address: &str) -> Result<bool, String>;
    /// Stores a message durably; an error makes the client retry later (451).
    async fn deliver(
        &self,
        peer: IpAddr,
        mail_from: &str,
        recipients: &[String],
        message: &[u8],
    ) -> Result<(), String>;
}

/// Listener limits.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub hostname: String,
    pub max_message_bytes: usize,
    pub max_recipients: usize,
    pub command_timeout: Duration,
    pub data_timeout: Duration,
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
            max_connections_per_ip: 20,
            tls: None,
        }
    }
}

/// Serves SMTP on `listener` until `stop` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: SmtpConfig,
    delivery: Arc<dyn Delivery>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let per_ip: Arc<Mutex<HashMap<IpAddr, usize>>> = Arc::default();
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
        let allowed = {
            let mut map = per_ip
                .lock()
                .map_err(|_| std::io::Error::other("connection table poisoned"))?;
            let n = map.entry(peer.ip()).or_insert(0);
            if *n >= config.max_connections_per_ip {
                false
            } else {
                *n += 1;
                true
            }
        };
        let (config, delivery, per_ip, stop) = (
            config.clone(),
            delivery.clone(),
            per_ip.clone(),
            stop.clone(),
        );
        sessions.spawn(async move {
            let mut stream = stream;
            if allowed {
                if let Err(e) =
                    connection(&mut stream, &config, delivery.as_ref(), peer, &stop).await
                {
                    tracing::debug!(peer = %peer, error = %e, "smtp session ended");
                }
                if let Ok(mut map) = per_ip.lock()
                    && let Some(n) = map.get_mut(&peer.ip())
                {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        map.remove(&peer.ip());
                    }
                }
            } else {
                let _ = stream
                    .write_all(b"421 4.7.0 Too many connections from your address\r\n")
                    .await;
            }
        });
    }
    // Drain: let sessions in flight finish their current message.
    while sessions.join_next().await.is_some() {}
    Ok(())
}

/// One connection: a plain session, then a TLS one after STARTTLS.
async fn connection(
    stream: &mut TcpStream,
    config: &SmtpConfig,
    delivery: &dyn Delivery,
    peer: SocketAddr,
    stop: &CancellationToken,
) -> std::io::Result<()> {
    let mut plain = Session::new(config, delivery, peer);
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
    let mut secure = match tokio::time::timeout(config.command_timeout, accept).await {
        Ok(s) => s?,
        Err(_) => return Ok(()),
    };
    Session::new(config, delivery, peer)
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
    /// STARTTLS is advertised and accepted (plain sessions with a certificate).
    offer_tls: bool,
    greeted: bool,
    mail_from: Option<String>,
    recipients: Vec<String>,
}

impl<'a> Session<'a> {
    fn new(config: &'a SmtpConfig, delivery: &'a dyn Delivery, peer: SocketAddr) -> Self {
        Self {
            config,
            delivery,
            peer,
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
                let reply = self.read_data(stream, &mut pending, &mut buf).await?;
                stream.write_all(reply.as_bytes()).await?;
                self.reset();
                continue;
            }
            let n = tokio::select! {
                () = stop.cancelled() => {
                    stream.write_all(b"421 4.3.2 Shutting down\r\n").await?;
                    return Ok(Outcome::Closed);
                }
                r = tokio::time::timeout(self.config.command_timeout, stream.read(&mut buf)) => match r {
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

    /// Reads the message after 354 (dot-unstuffed), enforcing the size limit,
    /// and delivers it; returns the final reply.
    async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        stream: &mut S,
        pending: &mut Vec<u8>,
        buf: &mut [u8],
    ) -> std::io::Result<String> {
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
            let n = match tokio::time::timeout(self.config.data_timeout, stream.read(buf)).await {
                Ok(r) => r?,
                Err(_) => return Ok("421 4.4.2 Timeout\r\n".into()),
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
            return Ok(format!(
                "552 5.3.4 Message too big (limit {} bytes)\r\n",
                self.config.max_message_bytes
            ));
        }
        let from = self.mail_from.clone().unwrap_or_default();
        match self
            .delivery
            .deliver(self.peer.ip(), &from, &self.recipients, &message)
            .await
        {
            Ok(()) => Ok("250 2.0.0 Stored\r\n".into()),
            Err(e) => {
                tracing::warn!(peer = %self.peer, error = %e, "smtp delivery failed");
                Ok("451 4.3.0 Could not store the message; try again later\r\n".into())
            }
        }
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
                match self.delivery.accepts(&to.address).await {
                    Ok(true) => {
                        self.recipients.push(to.address);
                        Reply::Text("250 2.1.5 OK\r\n".into())
                    }
                    Ok(false) => Reply::Text("550 5.1.1 No such mailbox here\r\n".into()),
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

#[async_trait]
impl Delivery for AppDelivery {
    async fn accepts(&self, address: &str) -> Result<bool, String> {
        self.app
            .smtp_accepts(address)
            .await
            .map_err(|e| e.to_string())
    }

    async fn deliver(
        &self,
        _peer: IpAddr,
        from: &str,
        recipients: &[String],
        message: &[u8],
    ) -> Result<(), String> {
        let verdict = self.verifier.verify(message, from).await;
        self.app
            .ingest_email(recipients, message, Some(verdict))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
