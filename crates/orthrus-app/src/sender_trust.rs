//! Whose codes and links an automation may act on (issue 11, finding 4).
//!
//! An inbox message is only a sign from the app when the app sent it: an
//! email must come from one of the app's own sending domains *and* prove it
//! (DMARC passes, or a DKIM signature of one of those domains verified); a
//! text must come from one of the app's sender numbers when the app's
//! recipe names any. A confirmation link is only opened when it points at
//! the app. Anything else stays in the inbox for people, marked with why
//! automations left it alone ([`AutomationRefusal`]).
//!
//! The rules per app come from its recipe (`orthrus-automation`), handed to
//! [`App::set_app_senders`] at start-up so that the inbox can show the
//! reason; the runner also passes its recipe's rules explicitly.

use crate::inbox::InboxItem;
use crate::{App, SenderAuth};
use orthrus_core::DmarcVerdict;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Who an app's codes and links come from, as its recipe declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppSenders {
    /// Domains the app sends mail from (lower case). Mail from one of them
    /// or a subdomain counts when it passes DMARC or carries a verified
    /// DKIM signature whose `d=` is one of them or a subdomain.
    pub sending_domains: Vec<String>,
    /// Hosts confirmation links may point at (with their subdomains).
    /// Empty: the sending domains plus the login URL's registrable domain.
    pub link_domains: Vec<String>,
    /// Numbers or short codes the app texts from. Empty: any sender.
    pub sms_senders: Vec<String>,
}

/// Why automations do not use a message (a stable code for the API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// It claims a well-known app domain and fails authentication.
    Forged,
    /// An email stored without a sender check.
    Unchecked,
    /// An email from a domain that is not one of the app's.
    OtherDomain,
    /// An email naming the app's domain without proving it (no DMARC pass,
    /// no verified DKIM signature of the app's domains).
    Unauthenticated,
    /// A text from a number the app's recipe does not name.
    OtherSmsSender,
}

/// Why automations leave a message to people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AutomationRefusal {
    pub reason: RefusalReason,
    /// The reason in words, for people.
    pub detail: String,
}

/// A confirmation link an automation will not open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("the confirmation link is not a URL")]
    Unreadable,
    #[error("the confirmation link is a {0}: link, not a web page")]
    NotWeb(String),
    #[error("the confirmation link has no host")]
    NoHost,
    #[error(
        "the confirmation link goes to {host}, which is not the app's ({allowed}): it was not opened"
    )]
    OutsideApp { host: String, allowed: String },
}

/// `host` is `domain` or a subdomain of it (both lower case).
fn under(host: &str, domain: &str) -> bool {
    !domain.is_empty()
        && (host == domain
            || host
                .strip_suffix(domain)
                .is_some_and(|rest| rest.ends_with('.')))
}

fn normalize_domain(d: &str) -> String {
    d.trim().trim_end_matches('.').to_lowercase()
}

/// A phone number or short code with its spacing and punctuation removed.
fn normalize_number(n: &str) -> String {
    n.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+')
        .collect::<String>()
        .to_lowercase()
}

/// A URL's host as a browser compares it: lower case, IPv6 without brackets.
fn url_host(u: &url::Url) -> Option<String> {
    match u.host()? {
        url::Host::Domain(d) => Some(normalize_domain(d)),
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(ip.to_string()),
    }
}

/// The registrable domain of the login URL's host (`www.instagram.com` →
/// `instagram.com`); an address stays itself.
fn login_domain(login_url: &str) -> Option<String> {
    let u = url::Url::parse(login_url.trim()).ok()?;
    match u.host()? {
        url::Host::Domain(d) => {
            let d = normalize_domain(d);
            Some(psl::domain_str(&d).map_or_else(|| d.clone(), str::to_owned))
        }
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(ip.to_string()),
    }
}

/// Why a recipe's sender rule is refused ([`check_app_domain`],
/// [`check_sms_sender`]); the words go into the recipe's error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SenderRuleError {
    #[error("{0:?} is not a domain such as example.com (no scheme, path, port or wildcard)")]
    NotADomain(String),
    #[error("{0:?} is a public suffix: name the app's own domain under it")]
    PublicSuffix(String),
    #[error("{0:?} is not a sender number, short code or sender id")]
    NotASender(String),
}

/// Checks a domain a recipe declares: a DNS name with at least two labels
/// that is not a public suffix (`com`, `co.uk`, `github.io` would trust
/// everyone under them); returns it normalized.
pub fn check_app_domain(d: &str) -> Result<String, SenderRuleError> {
    let n = normalize_domain(d);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if n.len() > 253 || !n.contains('.') || !n.split('.').all(label_ok) {
        return Err(SenderRuleError::NotADomain(d.to_owned()));
    }
    if psl::suffix_str(&n) == Some(n.as_str()) {
        return Err(SenderRuleError::PublicSuffix(d.to_owned()));
    }
    Ok(n)
}

/// Checks a sender number or short code a recipe declares (`32665`,
/// `+14155550123`, an alphanumeric sender id); returns it normalized.
pub fn check_sms_sender(n: &str) -> Result<String, SenderRuleError> {
    let ok = n
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    let norm = normalize_number(n);
    if !ok || norm.is_empty() || norm.len() > 20 {
        return Err(SenderRuleError::NotASender(n.to_owned()));
    }
    Ok(norm)
}

impl AppSenders {
    /// Rules with their domains and numbers normalized.
    pub fn new(
        sending_domains: impl IntoIterator<Item = String>,
        link_domains: impl IntoIterator<Item = String>,
        sms_senders: impl IntoIterator<Item = String>,
    ) -> Self {
        let domains = |v: &mut dyn Iterator<Item = String>| {
            v.map(|d| normalize_domain(&d))
                .filter(|d| !d.is_empty())
                .collect()
        };
        Self {
            sending_domains: domains(&mut sending_domains.into_iter()),
            link_domains: domains(&mut link_domains.into_iter()),
            sms_senders: sms_senders
                .into_iter()
                .map(|n| normalize_number(&n))
                .filter(|n| !n.is_empty())
                .collect(),
        }
    }

    fn is_the_apps(&self, domain: &str) -> bool {
        let domain = normalize_domain(domain);
        self.sending_domains.iter().any(|d| under(&domain, d))
    }

    /// Why an automation must not use `item`, or `None` when it may.
    pub fn judge(&self, item: &InboxItem) -> Option<AutomationRefusal> {
        let refuse = |reason, detail: String| Some(AutomationRefusal { reason, detail });
        if item.channel == orthrus_core::Channel::Sms {
            let from = normalize_number(&item.sender);
            if self.sms_senders.is_empty() || self.sms_senders.contains(&from) {
                return None;
            }
            return refuse(
                RefusalReason::OtherSmsSender,
                format!(
                    "texted from {}, which is not one of the app's senders ({})",
                    item.sender,
                    self.sms_senders.join(", ")
                ),
            );
        }
        let Some(a) = &item.auth else {
            return refuse(
                RefusalReason::Unchecked,
                "its sender was not checked (DKIM and DMARC), so it cannot be shown to be the app's"
                    .into(),
            );
        };
        self.judge_email(a)
    }

    fn judge_email(&self, a: &SenderAuth) -> Option<AutomationRefusal> {
        let refuse = |reason, detail: String| Some(AutomationRefusal { reason, detail });
        if a.flagged {
            return refuse(
                RefusalReason::Forged,
                a.reason
                    .clone()
                    .unwrap_or_else(|| "its sender failed authentication".into()),
            );
        }
        let domains = if self.sending_domains.is_empty() {
            "the app's recipe names no sending domain".to_owned()
        } else {
            self.sending_domains.join(", ")
        };
        if !self.is_the_apps(&a.from_domain) {
            let from = if a.from_domain.is_empty() {
                "no domain"
            } else {
                a.from_domain.as_str()
            };
            return refuse(
                RefusalReason::OtherDomain,
                format!("it is from {from}, not from the app's domains ({domains})"),
            );
        }
        let signed_by_the_app = a.dkim_domains.iter().any(|d| self.is_the_apps(d));
        if a.dmarc == DmarcVerdict::Pass || signed_by_the_app {
            return None;
        }
        refuse(
            RefusalReason::Unauthenticated,
            format!(
                "it names {} but proves neither DMARC nor a DKIM signature of {domains} (dkim={}, dmarc={})",
                a.from_domain, a.dkim, a.dmarc
            ),
        )
    }

    /// Whether an automation may open `link`, a confirmation link from a
    /// message [`AppSenders::judge`] accepted, for an account signing in at
    /// `login_url`.
    pub fn check_link(&self, link: &str, login_url: &str) -> Result<(), LinkRefusal> {
        let u = url::Url::parse(link.trim()).map_err(|_| LinkRefusal::Unreadable)?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(LinkRefusal::NotWeb(u.scheme().to_owned()));
        }
        let host = url_host(&u).ok_or(LinkRefusal::NoHost)?;
        let allowed: Vec<String> = if self.link_domains.is_empty() {
            let mut v = self.sending_domains.clone();
            v.extend(login_domain(login_url));
            v
        } else {
            self.link_domains.clone()
        };
        if allowed.iter().any(|d| under(&host, d)) {
            Ok(())
        } else {
            Err(LinkRefusal::OutsideApp {
                host,
                allowed: if allowed.is_empty() {
                    "none declared".into()
                } else {
                    allowed.join(", ")
                },
            })
        }
    }
}

impl App {
    /// The rules of each app that has a recipe, by app (`sandbox`, …);
    /// set once at start-up (later calls are ignored).
    pub fn set_app_senders(&self, senders: HashMap<String, AppSenders>) {
        let _ = self.inner.app_senders.set(senders);
    }

    /// The rules of `app`, when its recipe declares them.
    /// Whether `app` has a recipe (every recipe declares its senders, so
    /// the registry names exactly the apps that have one). Without one,
    /// only the generic login runs.
    pub fn app_has_recipe(&self, app: &str) -> bool {
        self.app_senders(app).is_some()
    }

    pub fn app_senders(&self, app: &str) -> Option<&AppSenders> {
        self.inner.app_senders.get()?.get(app)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orthrus_core::DkimVerdict;

    fn senders() -> AppSenders {
        AppSenders::new(["Sandbox.test.".to_owned()], [], ["326 65".to_owned()])
    }

    fn email(auth: SenderAuth) -> InboxItem {
        InboxItem {
            id: String::new(),
            account_id: String::new(),
            channel: orthrus_core::Channel::Email,
            sender: String::new(),
            subject: None,
            preview: String::new(),
            received_at: String::new(),
            code: Some("123456".into()),
            confirm_link: None,
            used_at: None,
            auth: Some(auth),
            automation_refusal: None,
        }
    }

    fn verdict(from: &str, dkim: &[&str], dmarc: &str) -> SenderAuth {
        SenderAuth {
            dkim: if dkim.is_empty() {
                DkimVerdict::None
            } else {
                DkimVerdict::Pass
            },
            dkim_domains: dkim.iter().map(|d| (*d).to_owned()).collect(),
            dmarc: dmarc.parse().unwrap(),
            from_domain: from.into(),
            flagged: false,
            reason: None,
        }
    }

    fn reason(s: &AppSenders, a: SenderAuth) -> Option<RefusalReason> {
        s.judge(&email(a)).map(|r| r.reason)
    }

    #[test]
    fn only_authenticated_mail_from_the_apps_domains_is_used() {
        let s = senders();
        assert_eq!(reason(&s, verdict("mail.sandbox.test", &[], "pass")), None);
        assert_eq!(
            reason(&s, verdict("sandbox.test", &["mail.sandbox.test"], "none")),
            None
        );
        // A look-alike, however well signed.
        for from in [
            "sandbox-test.example",
            "evilsandbox.test",
            "sandbox.test.evil.example",
        ] {
            assert_eq!(
                reason(&s, verdict(from, &[from], "pass")),
                Some(RefusalReason::OtherDomain),
                "{from}"
            );
        }
        // The app's domain, signed by someone else.
        assert_eq!(
            reason(&s, verdict("sandbox.test", &["attacker.example"], "none")),
            Some(RefusalReason::Unauthenticated)
        );
        assert_eq!(
            reason(
                &s,
                SenderAuth {
                    flagged: true,
                    ..verdict("sandbox.test", &[], "fail")
                }
            ),
            Some(RefusalReason::Forged)
        );
        let mut unchecked = email(SenderAuth::default());
        unchecked.auth = None;
        assert_eq!(
            s.judge(&unchecked).map(|r| r.reason),
            Some(RefusalReason::Unchecked)
        );
        // No declared domain: nothing is the app's.
        assert_eq!(
            reason(&AppSenders::default(), verdict("sandbox.test", &[], "pass")),
            Some(RefusalReason::OtherDomain)
        );
    }

    #[test]
    fn texts_count_from_declared_senders_only_when_some_are_declared() {
        let mut sms = email(SenderAuth::default());
        sms.channel = orthrus_core::Channel::Sms;
        sms.auth = None;
        sms.sender = "32665".into();
        assert_eq!(senders().judge(&sms), None);
        sms.sender = "+1 555 0100".into();
        let r = senders().judge(&sms).unwrap();
        assert_eq!(r.reason, RefusalReason::OtherSmsSender);
        assert!(r.detail.contains("+1 555 0100"), "{}", r.detail);
        assert_eq!(AppSenders::default().judge(&sms), None);
    }

    #[test]
    fn declared_domains_and_numbers_are_checked() {
        assert_eq!(
            check_app_domain(" Mail.Sandbox.Test. "),
            Ok("mail.sandbox.test".into())
        );
        for bad in [
            "com",
            "co.uk",
            "github.io",
            "https://a.com",
            "*.a.com",
            "a.com/x",
            "a..com",
            "",
        ] {
            assert!(check_app_domain(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_sms_sender("+1 (415) 555-0123"),
            Ok("+14155550123".into())
        );
        assert_eq!(check_sms_sender("32665"), Ok("32665".into()));
        assert!(check_sms_sender("").is_err());
        assert!(check_sms_sender("a@b").is_err());
    }

    #[test]
    fn links_open_only_on_the_apps_hosts() {
        let s = senders();
        let login = "https://www.sandbox.test/accounts/login";
        for ok in [
            "https://sandbox.test/confirm?t=1",
            "https://links.mail.sandbox.test/c",
            "http://127.0.0.1:8080/confirm",
        ] {
            let login = if ok.contains("127.0.0.1") {
                "http://127.0.0.1:8080/accounts/login"
            } else {
                login
            };
            assert_eq!(s.check_link(ok, login), Ok(()), "{ok}");
        }
        for (bad, words) in [
            (
                "https://sandbox.test.evil.example/c",
                "sandbox.test.evil.example",
            ),
            ("https://sandbox.test@evil.example/c", "evil.example"),
            ("https://evilsandbox.test/c", "evilsandbox.test"),
            ("http://localhost:8080/confirm", "localhost"),
            ("javascript:alert(1)", "javascript"),
            ("not a link", "not a URL"),
        ] {
            let e = s.check_link(bad, login).unwrap_err().to_string();
            assert!(e.contains(words), "{bad}: {e}");
        }
        // Declared link domains replace the default.
        let only = AppSenders::new(
            ["sandbox.test".to_owned()],
            ["links.example".to_owned()],
            [],
        );
        assert!(only.check_link("https://sandbox.test/c", login).is_err());
        assert!(only.check_link("https://a.links.example/c", login).is_ok());
    }
}
