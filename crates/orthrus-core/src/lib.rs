//! Orthrus's domain vocabulary: identifiers, timestamps, workspace and account
//! roles, the permission policy (a pure function), the stored vocabulary of
//! jobs, messages, authenticators and the audit log (`JobKind`, `JobState`,
//! `QuestionKind`, `StepOutcome`, `Channel`, `OtpKind`, `OtpSource`,
//! `AuditOutcome`, `AuditTarget`, a mail sender's `DkimVerdict` and
//! `DmarcVerdict`), and the `Clock` and `Entropy` seams through which time
//! and randomness enter the system.
//!
//! This crate knows nothing of IO, HTTP, SQL or cryptography; every other crate
//! depends on it, so it must stay small and dependency-light.

/// `Display` and `FromStr` for a stored vocabulary spelled by its `as_str`
/// over its `ALL`; an unknown spelling is an [`UnknownWord`] naming `$what`.
/// Declared before the modules so that each of them can use it; exported for
/// the other crates' stored words (the store's approval states).
///
/// Given the variants, it also declares `ALL` in that order, and a match
/// over them with no wildcard stops the build when a variant is added but
/// not listed (a variant missing from `ALL` would be written, then read back
/// as an unknown word).
#[macro_export]
macro_rules! spelled_as_str {
    ($name:ident, $what:literal, [$($variant:ident),+ $(,)?]) => {
        impl $name {
            /// Every word, in the order the type lists them.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];
        }

        const _: () = {
            #[allow(dead_code)]
            fn every_variant_is_listed(word: $name) {
                match word {
                    $($name::$variant)|+ => {}
                }
            }
        };

        $crate::spelled_as_str!($name, $what);
    };
    ($name:ident, $what:literal) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownWord;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|k| k.as_str() == s)
                    .ok_or_else(|| $crate::UnknownWord {
                        what: $what,
                        text: s.to_owned(),
                    })
            }
        }
    };
}

pub mod audit;
pub mod clock;
pub mod egress;
pub mod ids;
pub mod job;
pub mod otp;
pub mod policy;
pub mod roles;
pub mod secret;
pub mod sender;

pub use audit::{AuditOutcome, AuditTarget};
pub use clock::{Clock, Entropy, FakeClock, OsEntropy, SystemClock, Timestamp};
pub use ids::{AccountId, EventId, FieldId, SessionId, TokenId, UserId, WorkspaceId};
pub use job::{Channel, JobKind, JobState, QuestionKind, StepOutcome, UnknownWord};
pub use otp::{CodeUse, OtpKind, OtpSource, StepUse};
pub use policy::{Action, Decision, Subject};
pub use roles::{AccountRole, WorkspaceRole};
pub use secret::SecretString;
pub use sender::{DkimVerdict, DmarcVerdict};

/// Well-known apps with a name and icon; anything else is `generic`.
pub const KNOWN_APPS: &[(&str, &str)] = &[
    ("instagram", "Instagram"),
    ("facebook", "Facebook"),
    ("tiktok", "TikTok"),
    ("x", "X"),
    ("linkedin", "LinkedIn"),
    ("youtube", "YouTube"),
    ("google", "Google"),
    ("microsoft", "Microsoft"),
    ("github", "GitHub"),
    ("amazon", "Amazon"),
    // The reference target app for automations (orthrus-sandbox).
    ("sandbox", "Orthrus sandbox"),
    ("generic", "Other app"),
];

/// Normalises a user-supplied app name to a known app key (or `generic`).
pub fn app_key(input: &str) -> &'static str {
    let lower = input.trim().to_ascii_lowercase();
    let lower = match lower.as_str() {
        "twitter" | "x.com" | "twitter.com" => "x",
        "ig" => "instagram",
        "fb" | "meta" => "facebook",
        other => other,
    };
    KNOWN_APPS
        .iter()
        .find(|(k, name)| *k == lower || name.to_ascii_lowercase() == lower)
        .map(|(k, _)| *k)
        .unwrap_or("generic")
}

/// The display name of an app key.
pub fn app_name(key: &str) -> &'static str {
    KNOWN_APPS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, n)| *n)
        .unwrap_or("Other app")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test helper: `all` are spelled `words` (in the same order) by `as_str`,
    /// `Display` and serde, and `FromStr` and serde read each word back.
    pub(crate) fn assert_spelled<T, const N: usize>(
        all: [T; N],
        words: [&str; N],
        as_str: fn(T) -> &'static str,
    ) where
        T: Copy
            + PartialEq
            + std::fmt::Debug
            + std::fmt::Display
            + std::str::FromStr
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        for (t, w) in all.into_iter().zip(words) {
            assert_eq!(as_str(t), w);
            assert_eq!(t.to_string(), w);
            assert_eq!(w.parse::<T>().ok(), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{w}\""));
            assert_eq!(serde_json::from_str::<T>(&format!("\"{w}\"")).unwrap(), t);
        }
    }

    #[test]
    fn app_keys_normalise() {
        assert_eq!(app_key("Instagram"), "instagram");
        assert_eq!(app_key(" twitter "), "x");
        assert_eq!(app_key("Vendor portal"), "generic");
        assert_eq!(app_name("github"), "GitHub");
    }
}
