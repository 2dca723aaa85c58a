//! Sender authentication for inbound mail: DKIM signatures and DMARC
//! alignment (mail-auth), recorded with every message as a
//! [`SenderAuth`] verdict.
//!
//! A message whose From domain is a well-known app domain (instagram.com,
//! google.com, …) but which does not pass DMARC is *flagged*: the inbox
//! shows its code with a warning and automations never use it.
//!
//! DNS answers go through [`TxtCache`], which also holds *pinned* records
//! from the configuration (`[[smtp.dns_records]]`): a deployment without
//! outbound DNS can pin the DKIM keys and DMARC policies it trusts, and the
//! tests provide their keys the same way. SPF is not evaluated: the listener
//! usually sits behind the domain's MX, where the connecting address is the
//! relay's, not the sender's; DMARC therefore rests on DKIM alignment.

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcResult, MessageAuthenticator, Parameters, ResolverCache,
    SpfOutput, SpfResult, Txt,
};
use orthrus_app::SenderAuth;
use orthrus_core::{DkimVerdict, DmarcVerdict};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Domains whose mail carries login codes people act on. Mail claiming to
/// be from one of them (or a subdomain) must pass DMARC, or it is flagged.
pub const WELL_KNOWN_DOMAINS: &[&str] = &[
    "instagram.com",
    "facebookmail.com",
    "facebook.com",
    "meta.com",
    "google.com",
    "accounts.google.com",
    "youtube.com",
    "tiktok.com",
    "bytedance.com",
    "x.com",
    "twitter.com",
    "linkedin.com",
    "microsoft.com",
    "microsoftonline.com",
    "apple.com",
    "id.apple.com",
    "amazon.com",
    "amazonses.com",
    "github.com",
    "gitlab.com",
    "discord.com",
    "dropbox.com",
    "paypal.com",
    "shopify.com",
    "pinterest.com",
    "snapchat.com",
    "reddit.com",
    "slack.com",
    "zoom.us",
    "adobe.com",
    "salesforce.com",
    "stripe.com",
];

/// How sender authentication is done.
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// Name servers to ask (`ip:port`); empty means the system's
    /// (`/etc/resolv.conf`).
    pub dns_servers: Vec<SocketAddr>,
    /// How long one message's checks may take before the verdict becomes
    /// `temperror` (the 250 waits for it).
    pub timeout: Duration,
    /// TXT records to trust without asking DNS: `(name, value)`, e.g.
    /// `("sel._domainkey.example.com", "v=DKIM1; k=ed25519; p=…")`.
    pub pinned: Vec<(String, String)>,
    /// Domains whose unauthenticated mail is flagged.
    pub well_known: Vec<String>,
    /// How long a domain whose lookups failed (timed out or errored) is
    /// answered `temperror` without asking DNS again, so an unreachable
    /// resolver costs one wait per domain, not one per message. Zero turns
    /// the failure cache off.
    pub failure_ttl: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            dns_servers: Vec::new(),
            timeout: Duration::from_secs(3),
            pinned: Vec::new(),
            well_known: WELL_KNOWN_DOMAINS.iter().map(|d| (*d).to_owned()).collect(),
            failure_ttl: DEFAULT_FAILURE_TTL,
        }
    }
}

/// How long a domain's DNS failure is remembered by default.
pub const DEFAULT_FAILURE_TTL: Duration = Duration::from_secs(60);

/// A pinned record's value could not be parsed.
#[derive(Debug)]
pub struct BadRecord(pub String);

impl std::fmt::Display for BadRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRecord {}

/// Checks pinned records without building a resolver (configuration
/// validation at start-up; [`SenderVerifier::new`] checks them again).
pub fn check_pinned(records: &[(String, String)]) -> Result<(), BadRecord> {
    for (name, value) in records {
        parse_pinned(name, value)?;
    }
    Ok(())
}

/// Parses a pinned TXT record by its name: `_dmarc.` names hold DMARC
/// policies, `._domainkey.` names DKIM keys.
fn parse_pinned(name: &str, value: &str) -> Result<(String, Txt), BadRecord> {
    let lname = name.trim().trim_end_matches('.').to_lowercase();
    if lname.is_empty() || lname.contains(char::is_whitespace) {
        return Err(BadRecord(format!("{name:?} is not a DNS name")));
    }
    let txt: Txt = if lname.starts_with("_dmarc.") {
        Dmarc::parse(value.as_bytes())
            .map_err(|e| BadRecord(format!("{name}: not a DMARC record ({e})")))?
            .into()
    } else if lname.contains("._domainkey.") {
        DomainKey::parse(value.as_bytes())
            .map_err(|e| BadRecord(format!("{name}: not a DKIM key record ({e})")))?
            .into()
    } else {
        return Err(BadRecord(format!(
            "{name}: only DKIM keys (<selector>._domainkey.<domain>) and DMARC policies (_dmarc.<domain>) can be pinned"
        )));
    };
    Ok((format!("{lname}."), txt))
}

/// The TXT answers mail-auth sees: pinned records first, then DNS answers
/// kept until their TTL runs out. Pinned records are the whole truth for
/// the organizational domains they name: any other DKIM or DMARC name under
/// such a domain does not exist (so the DMARC walk from
/// `_dmarc.mail.instagram.com` up to `_dmarc.instagram.com` needs no DNS).
///
/// It also remembers, per name, that its lookup recently failed (the
/// resolver timed out or errored while a check asked it): until that runs
/// out, the name, when neither pinned nor learned, is answered with a DNS
/// error at once, which mail-auth reports as `temperror`, the verdict
/// waiting would have given.
pub struct TxtCache {
    pinned: HashMap<String, Txt>,
    pinned_domains: std::collections::HashSet<String>,
    learned: Mutex<HashMap<String, (Txt, Instant)>>,
    failed: Mutex<HashMap<String, Instant>>,
    failure_ttl: Duration,
    /// When each name last went to DNS (a miss here), by its hash: a failure
    /// is pinned only on names really asked during the failed check, never
    /// on names it did not reach (another signature's domain) nor on names
    /// answered from this failure list (which would renew it for ever).
    asked: Mutex<HashMap<u64, Instant>>,
    hasher: std::collections::hash_map::RandomState,
}

/// The domain a DKIM or DMARC query name is about: `s._domainkey.a.com.`
/// and `_dmarc.a.com.` → `a.com`.
fn queried_domain(name: &str) -> &str {
    let name = name.trim_end_matches('.');
    if let Some(rest) = name.strip_prefix("_dmarc.") {
        return rest;
    }
    match name.find("._domainkey.") {
        Some(i) => &name[i + "._domainkey.".len()..],
        None => name,
    }
}

/// Most DNS answers kept at once; the cache is emptied when it is full.
const MAX_LEARNED: usize = 10_000;
/// Most failed names remembered at once; expired ones are dropped first,
/// and the list is emptied when it is still full.
const MAX_FAILED: usize = 4_096;
/// Messages with more header fields than this are not verified.
const MAX_HEADERS: usize = 1_000;
/// Signatures checked per message, and signed header names per signature.
const MAX_SIGNATURES: usize = 5;
const MAX_SIGNED_HEADERS: usize = 64;

impl TxtCache {
    fn new(pinned: HashMap<String, Txt>, failure_ttl: Duration) -> Self {
        let pinned_domains = pinned
            .keys()
            .map(|k| organizational_domain(queried_domain(k)).to_owned())
            .collect();
        Self {
            pinned,
            pinned_domains,
            learned: Mutex::new(HashMap::new()),
            failed: Mutex::new(HashMap::new()),
            failure_ttl,
            asked: Mutex::new(HashMap::new()),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Notes that `name` goes to DNS now.
    fn note_asked<Q>(&self, name: &Q)
    where
        Q: Hash + ?Sized,
    {
        let key = std::hash::BuildHasher::hash_one(&self.hasher, name);
        let now = Instant::now();
        if let Ok(mut map) = self.asked.lock() {
            if map.len() >= MAX_FAILED {
                let horizon = Duration::from_secs(60);
                map.retain(|_, at| now.duration_since(*at) < horizon);
                if map.len() >= MAX_FAILED {
                    map.clear();
                }
            }
            map.insert(key, now);
        }
    }

    /// Whether `name` went to DNS at `since` or later.
    fn asked_since(&self, name: &str, since: Instant) -> bool {
        // `String: Borrow<Q>` hashes a name as its borrowed form does.
        let key = std::hash::BuildHasher::hash_one(&self.hasher, name);
        self.asked
            .lock()
            .ok()
            .and_then(|map| map.get(&key).copied())
            .is_some_and(|at| at >= since)
    }

    /// Whether an answer for `name` is known and still valid.
    fn answered(&self, name: &str) -> bool {
        self.learned
            .lock()
            .ok()
            .and_then(|map| map.get(name).map(|(_, until)| *until > Instant::now()))
            .unwrap_or(false)
    }

    /// Remembers that the lookups of these names (a domain's DMARC policy
    /// and DKIM keys, `name.` with the final dot), made by a check that
    /// started at `since`, failed: only those that went to DNS during it
    /// and got no answer. Names under pinned domains never reach DNS, names
    /// the check did not reach are not blamed, and a name answered from
    /// this list is not put on it again (so a failure ends with its time).
    fn record_failure(&self, names: &[String], since: Instant) {
        if self.failure_ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let failed: Vec<&String> = names
            .iter()
            .filter(|n| self.asked_since(n, since) && !self.answered(n))
            .collect();
        if let Ok(mut map) = self.failed.lock() {
            for name in failed {
                if self
                    .pinned_domains
                    .contains(organizational_domain(queried_domain(name)))
                {
                    continue;
                }
                if map.len() >= MAX_FAILED {
                    map.retain(|_, until| *until > now);
                    if map.len() >= MAX_FAILED {
                        map.clear();
                    }
                }
                map.insert(name.clone(), now + self.failure_ttl);
            }
        }
    }

    /// Whether the lookup of `name` failed recently.
    fn recently_failed<Q>(&self, name: &Q) -> bool
    where
        String: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.failed
            .lock()
            .ok()
            .and_then(|map| map.get(name).copied())
            .is_some_and(|until| until > Instant::now())
    }

    /// Records that `name` does not exist when it lies under a pinned
    /// domain and is not pinned itself (`name` ends with a dot).
    fn settle(&self, name: &str) {
        if self.pinned.contains_key(name)
            || !self
                .pinned_domains
                .contains(organizational_domain(queried_domain(name)))
        {
            return;
        }
        self.insert(
            name.to_owned(),
            Txt::Error(mail_auth::Error::DnsRecordNotFound(
                mail_auth::hickory_resolver::proto::op::ResponseCode::NXDomain,
            )),
            Instant::now() + Duration::from_secs(3600),
        );
    }
}

impl ResolverCache<String, Txt> for TxtCache {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        String: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(t) = self.pinned.get(name) {
            return Some(t.clone());
        }
        let learned = self.learned.lock().ok().and_then(|map| {
            map.get(name)
                .filter(|(_, until)| *until > Instant::now())
                .map(|(t, _)| t.clone())
        });
        if learned.is_some() {
            return learned;
        }
        if self.recently_failed(name) {
            return Some(Txt::Error(mail_auth::Error::DnsError(
                "this name's DNS lookup failed moments ago".into(),
            )));
        }
        self.note_asked(name);
        None
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        String: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.learned.lock().ok()?.remove(name).map(|(t, _)| t)
    }

    fn insert(&self, key: String, value: Txt, valid_until: Instant) {
        if let Ok(mut map) = self.learned.lock() {
            if map.len() >= MAX_LEARNED {
                map.clear();
            }
            map.insert(key, (value, valid_until));
        }
    }
}

/// Checks DKIM and DMARC for inbound messages.
pub struct SenderVerifier {
    authenticator: MessageAuthenticator,
    cache: TxtCache,
    timeout: Duration,
    well_known: Vec<String>,
}

impl SenderVerifier {
    /// Builds a verifier; fails on a pinned record that does not parse or
    /// an unreadable system resolver configuration.
    pub fn new(config: &AuthConfig) -> Result<Self, BadRecord> {
        let mut pinned = HashMap::new();
        for (name, value) in &config.pinned {
            let (k, v) = parse_pinned(name, value)?;
            pinned.insert(k, v);
        }
        let mut opts = ResolverOpts::default();
        opts.timeout = config.timeout.min(Duration::from_secs(5));
        opts.attempts = 1;
        let authenticator = if config.dns_servers.is_empty() {
            MessageAuthenticator::new_system_conf().or_else(|_| {
                // No /etc/resolv.conf: nothing to ask, pinned records only.
                MessageAuthenticator::new(ResolverConfig::default(), opts.clone())
            })
        } else {
            // One group per server: each keeps its own port.
            let mut servers = NameServerConfigGroup::with_capacity(2 * config.dns_servers.len());
            for s in &config.dns_servers {
                servers.merge(NameServerConfigGroup::from_ips_clear(
                    &[s.ip()],
                    s.port(),
                    true,
                ));
            }
            MessageAuthenticator::new(ResolverConfig::from_parts(None, vec![], servers), opts)
        }
        .map_err(|e| BadRecord(format!("cannot set up the DNS resolver: {e}")))?;
        Ok(Self {
            authenticator,
            cache: TxtCache::new(pinned, config.failure_ttl),
            timeout: config.timeout,
            well_known: config
                .well_known
                .iter()
                .map(|d| d.trim().trim_end_matches('.').to_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
        })
    }

    /// The verdict for one message (`mail_from` is the SMTP envelope
    /// sender). Never fails: what cannot be checked is `temperror` or
    /// `permerror`.
    pub async fn verify(&self, raw: &[u8], mail_from: &str) -> SenderAuth {
        let Some(mut msg) = AuthenticatedMessage::parse(raw) else {
            return self.conclude(SenderAuth {
                dkim: DkimVerdict::PermError,
                dmarc: DmarcVerdict::None,
                ..SenderAuth::default()
            });
        };
        let from_domains: Vec<String> = msg
            .from
            .iter()
            .filter_map(|f| f.rsplit_once('@'))
            .map(|(_, d)| d.trim_end_matches('.').to_lowercase())
            .collect();
        let from_domain = from_domains.first().cloned().unwrap_or_default();
        // DMARC does not apply to a message with several From addresses
        // (RFC 7489 §6.6.1): a forger could hide the claimed sender behind
        // a first one. Such mail is judged on every domain it names.
        if msg.from.len() > 1 {
            let claimed = from_domains.iter().find(|d| self.is_well_known(d));
            return SenderAuth {
                dkim: DkimVerdict::None,
                dkim_domains: Vec::new(),
                dmarc: DmarcVerdict::PermError,
                flagged: claimed.is_some(),
                reason: claimed
                    .map(|d| format!("names several senders, one of them {d}: it may be forged")),
                from_domain,
            };
        }
        // Bound the work a hostile message can cause: hashing is
        // proportional to headers × signed header names × signatures.
        if msg.headers.len() > MAX_HEADERS {
            return self.conclude(SenderAuth {
                dkim: DkimVerdict::PermError,
                dmarc: DmarcVerdict::None,
                from_domain,
                ..SenderAuth::default()
            });
        }
        msg.dkim_headers.retain(|h| {
            h.header
                .as_ref()
                .map_or(true, |s| s.h.len() <= MAX_SIGNED_HEADERS)
        });
        msg.dkim_headers.truncate(MAX_SIGNATURES);
        // The whole check has one deadline, however many lookups it makes.
        let started = Instant::now();
        let checked = tokio::time::timeout(self.timeout, self.check(&msg, mail_from)).await;
        let timed_out = checked.is_err();
        let (dkim, dkim_domains, dmarc) = checked
            .unwrap_or_else(|_| (DkimVerdict::TempError, Vec::new(), DmarcVerdict::TempError));
        // Lookups that failed are not tried again for a while (TxtCache):
        // the next message from the same domain does not wait again.
        if timed_out || dkim == DkimVerdict::TempError {
            self.cache.record_failure(&dkim_names(&msg), started);
        }
        if timed_out || dmarc == DmarcVerdict::TempError {
            self.cache
                .record_failure(&dmarc_names(&from_domain), started);
        }
        self.conclude(SenderAuth {
            dkim,
            dkim_domains,
            dmarc,
            from_domain,
            flagged: false,
            reason: None,
        })
    }

    async fn check(
        &self,
        msg: &AuthenticatedMessage<'_>,
        mail_from: &str,
    ) -> (DkimVerdict, Vec<String>, DmarcVerdict) {
        // Names under pinned domains that are not pinned do not exist.
        for h in &msg.dkim_headers {
            if let Ok(sig) = &h.header {
                self.cache
                    .settle(&format!("{}._domainkey.{}.", sig.s, sig.d).to_lowercase());
            }
        }
        if let Some((_, from)) = msg.from.first().and_then(|f| f.rsplit_once('@')) {
            let from = from.trim_end_matches('.').to_lowercase();
            let org = organizational_domain(&from);
            let mut d = from.as_str();
            while d.len() > org.len() {
                self.cache.settle(&format!("_dmarc.{d}."));
                d = d.split_once('.').map_or(org, |(_, rest)| rest);
            }
        }
        let dkim = self
            .authenticator
            .verify_dkim(Parameters::new(msg).with_txt_cache(&self.cache))
            .await;
        let mut dkim_domains: Vec<String> = dkim
            .iter()
            .filter(|o| o.result() == &DkimResult::Pass)
            .filter_map(|o| o.signature().map(|s| s.d.to_lowercase()))
            .collect();
        dkim_domains.dedup();
        let dkim_verdict = dkim_summary(dkim.iter().map(|o| o.result()));
        let mail_from_domain = mail_from
            .rsplit_once('@')
            .map(|(_, d)| d.to_lowercase())
            .unwrap_or_default();
        // SPF is not evaluated (see the module docs).
        let spf = SpfOutput::new(mail_from_domain.clone()).with_result(SpfResult::None);
        let dmarc = self
            .authenticator
            .verify_dmarc(
                Parameters::new(
                    DmarcParameters::new(msg, &dkim, &mail_from_domain, &spf)
                        .with_domain_suffix_fn(organizational_domain),
                )
                .with_txt_cache(&self.cache),
            )
            .await;
        let dmarc_verdict = if dmarc.dmarc_record().is_none() {
            match dmarc.dkim_result() {
                DmarcResult::TempError(_) => DmarcVerdict::TempError,
                DmarcResult::PermError(_) => DmarcVerdict::PermError,
                _ => DmarcVerdict::None,
            }
        } else {
            match (dmarc.dkim_result(), dmarc.spf_result()) {
                (DmarcResult::Pass, _) | (_, DmarcResult::Pass) => DmarcVerdict::Pass,
                (DmarcResult::TempError(_), _) => DmarcVerdict::TempError,
                (DmarcResult::PermError(_), _) => DmarcVerdict::PermError,
                _ => DmarcVerdict::Fail,
            }
        };
        (dkim_verdict, dkim_domains, dmarc_verdict)
    }

    /// The well-known domain `domain` is, or is under.
    fn well_known_for(&self, domain: &str) -> Option<&str> {
        if domain.is_empty() {
            return None;
        }
        self.well_known
            .iter()
            .find(|d| domain == d.as_str() || domain.ends_with(&format!(".{d}")))
            .map(String::as_str)
    }

    fn is_well_known(&self, domain: &str) -> bool {
        self.well_known_for(domain).is_some()
    }

    /// Flags mail that claims a well-known domain without passing DMARC.
    fn conclude(&self, mut v: SenderAuth) -> SenderAuth {
        let claimed = self.well_known_for(&v.from_domain).map(str::to_owned);
        if let Some(domain) = claimed
            && v.dmarc != DmarcVerdict::Pass
        {
            v.flagged = true;
            v.reason = Some(format!(
                "claims to be from {domain} but does not pass DMARC (dkim={}, dmarc={}): it may be forged",
                v.dkim, v.dmarc
            ));
        }
        v
    }
}

/// The DKIM key names a message's signatures look up (`s._domainkey.d.`).
fn dkim_names(msg: &AuthenticatedMessage<'_>) -> Vec<String> {
    msg.dkim_headers
        .iter()
        .filter_map(|h| h.header.as_ref().ok())
        .map(|sig| format!("{}._domainkey.{}.", sig.s, sig.d).to_lowercase())
        .collect()
}

/// The DMARC policy names looked up for mail from `domain`: its own, then
/// its organizational domain's.
fn dmarc_names(domain: &str) -> Vec<String> {
    if domain.is_empty() {
        return Vec::new();
    }
    let org = organizational_domain(domain);
    let mut out = vec![format!("_dmarc.{domain}.")];
    if org != domain {
        out.push(format!("_dmarc.{org}."));
    }
    out
}

/// One word for all DKIM signatures: `pass` if any passed, otherwise the
/// most telling failure, `none` without signatures.
fn dkim_summary<'a>(results: impl Iterator<Item = &'a DkimResult>) -> DkimVerdict {
    let mut best = DkimVerdict::None;
    for r in results {
        let s = match r {
            DkimResult::Pass => DkimVerdict::Pass,
            // A body that no longer matches its hash was altered: RFC 6376
            // treats it as a failure (mail-auth reports it as neutral).
            DkimResult::Fail(_) | DkimResult::Neutral(mail_auth::Error::FailedBodyHashMatch) => {
                DkimVerdict::Fail
            }
            DkimResult::PermError(_) => DkimVerdict::PermError,
            DkimResult::TempError(_) => DkimVerdict::TempError,
            DkimResult::Neutral(_) => DkimVerdict::Neutral,
            DkimResult::None => DkimVerdict::None,
        };
        if s.rank() > best.rank() {
            best = s;
        }
    }
    best
}

/// The registered (organizational) domain of `domain` by the Public Suffix
/// List: `mail.instagram.com` → `instagram.com`, `a.bank.co.il` →
/// `bank.co.il`, `x.github.io` stays `x.github.io`.
pub fn organizational_domain(domain: &str) -> &str {
    psl::domain_str(domain).unwrap_or(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organizational_domains() {
        assert_eq!(organizational_domain("mail.instagram.com"), "instagram.com");
        assert_eq!(organizational_domain("instagram.com"), "instagram.com");
        assert_eq!(organizational_domain("com"), "com");
        assert_eq!(organizational_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(organizational_domain("example.co.uk"), "example.co.uk");
        assert_eq!(organizational_domain("a.bank.co.il"), "bank.co.il");
        assert_ne!(
            organizational_domain("bank.co.il"),
            organizational_domain("evil.co.il")
        );
        assert_eq!(organizational_domain("alice.github.io"), "alice.github.io");
        assert_eq!(organizational_domain(""), "");
    }

    #[test]
    fn pinned_records_are_checked() {
        assert!(parse_pinned("_dmarc.example.com", "v=DMARC1; p=reject").is_ok());
        assert!(parse_pinned("_dmarc.example.com", "hello").is_err());
        assert!(parse_pinned("s._domainkey.example.com", "v=DKIM1; p=@@").is_err());
        let Err(e) = parse_pinned("example.com", "v=spf1 -all") else {
            panic!("an SPF record was pinned")
        };
        assert!(e.0.contains("only DKIM keys"), "{e}");
    }

    #[test]
    fn dkim_summary_prefers_pass_then_failures() {
        use mail_auth::Error;
        let r = [
            DkimResult::Fail(Error::FailedVerification),
            DkimResult::Pass,
        ];
        assert_eq!(dkim_summary(r.iter()).as_str(), "pass");
        let r = [
            DkimResult::Neutral(Error::FailedVerification),
            DkimResult::Fail(Error::FailedVerification),
        ];
        assert_eq!(dkim_summary(r.iter()).as_str(), "fail");
        assert_eq!(dkim_summary([].iter()).as_str(), "none");
    }
}
