//! The master key over the years: the keys that used to be derived from it
//! (bearer-token and recovery-code hashes, the audit chain's MAC, the inbox
//! search index) are derived once and then kept sealed under it in
//! `instance_keys`, so that a rotation re-wraps them and changes nothing
//! anyone holds; and the rotation itself, which re-wraps every sealed value's
//! data key under a new master key (`Envelope::rewrap`). A rotation records
//! that it is under way (`master_key_rotating_to`), each value says by its
//! header which key wraps it, so an interrupted rotation resumes where it
//! stopped. It runs with servers up: they hold a ring of keys (the old one
//! stays readable), follow the setting to seal with the new key, and the
//! rotation repeats its pass until no value is left under the old key.

use crate::InvalidCode;
use crate::{AppError, Result};
use orthrus_core::Entropy;
use orthrus_crypto::{Aad, Envelope, KeyedHasher, MasterKey};
use orthrus_store::{SealedColumn, Store};
use zeroize::Zeroizing;

/// The setting naming the key a rotation is moving to, while it runs.
pub const ROTATING_TO: &str = "master_key_rotating_to";

const TOKENS: &str = "bearer-tokens";
const AUDIT: &str = "audit-chain";
pub(crate) const SEARCH: &str = "inbox-search-words";

/// The keyed hashers' keys.
pub struct Subkeys {
    pub(crate) tokens: Zeroizing<[u8; 32]>,
    pub(crate) audit: Zeroizing<[u8; 32]>,
    pub(crate) search: Zeroizing<[u8; 32]>,
}

impl Subkeys {
    /// Derived from `master` (what every earlier release did, and still the
    /// keys stored the first time).
    pub fn derive(master: &MasterKey) -> Self {
        Self {
            tokens: Zeroizing::new(master.derive(TOKENS)),
            audit: Zeroizing::new(master.derive(AUDIT)),
            search: Zeroizing::new(master.derive(SEARCH)),
        }
    }

    pub(crate) fn hashers(&self) -> (KeyedHasher, KeyedHasher, KeyedHasher) {
        (
            KeyedHasher::from_key(*self.tokens),
            KeyedHasher::from_key(*self.audit),
            KeyedHasher::from_key(*self.search),
        )
    }
}

fn aad(col: SealedColumn, row: &str) -> Aad<'_> {
    let (table, field) = match col {
        SealedColumn::AccountPassword => ("accounts", "password"),
        SealedColumn::AccountNotes => ("accounts", "notes"),
        SealedColumn::AccountPendingPassword => ("accounts", "pending_password"),
        SealedColumn::AccountFieldValue => ("account_fields", "value"),
        SealedColumn::PasswordHistory => ("password_history", "password"),
        SealedColumn::AccountOtpSecret => ("account_otp", "secret"),
        SealedColumn::BackupCode => ("backup_codes", "code"),
        SealedColumn::InboxMessage => ("inbox_messages", "content"),
        SealedColumn::JobScreenshot => ("automation_screenshots", "png"),
        SealedColumn::BrowserProfile => ("browser_profiles", "profile"),
        SealedColumn::JobAnswer => ("automation_jobs", "answer"),
        SealedColumn::UserTotpSecret => ("users", "totp_secret"),
        SealedColumn::SsoVerifier => ("sso_flows", "verifier"),
        SealedColumn::InstanceKey => ("instance_keys", "key"),
        SealedColumn::PasskeyCeremony => ("passkey_ceremonies", "state"),
    };
    Aad::new(table, row, field)
}

/// Before the app opens anything: `ring` (the key in use, and a loader
/// that finds the others in the data directory) must hold the key the
/// database is sealed with, and during a rotation the key it is moving to;
/// new values are then sealed with the latter (or the former). A key that
/// is not the database's is refused, so a wrong key never silently starts a
/// second, unreadable vault.
pub async fn check_key(store: &dyn Store, ring: &Envelope) -> Result<()> {
    let bound = store.get_setting("master_key_id").await?;
    if let Some(bound) = &bound
        && !ring.has_key(bound)
    {
        return Err(AppError::invalid(
            InvalidCode::MasterKeyMismatch,
            format!(
                "this database was encrypted with master key {bound}, but the key in use is {}: set ORTHRUS_MASTER_KEY or restore <data-dir>/master.key from your backup",
                ring.key_id()
            ),
        ));
    }
    let rotating = store.get_setting(ROTATING_TO).await?;
    if let Some(to) = &rotating
        && !ring.has_key(to)
    {
        return Err(AppError::invalid(
            InvalidCode::MasterKeyRotationKeyMissing,
            format!(
                "a master-key rotation to key {to} is under way, and this node does not have that key: copy master.key.new from the node running `orthrus admin rotate-master-key` into this node's data directory (mode 0600), or wait for the rotation to finish"
            ),
        ));
    }
    if let Some(write) = rotating.or(bound) {
        ring.use_for_writing(&write);
    }
    Ok(())
}

/// How often a running server looks at the rotation settings
/// ([`App::follow_master_key`]).
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a rotation waits after announcing itself before its first pass,
/// so that every running server has begun sealing with the new key (they
/// look every [`FOLLOW_EVERY`]).
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(4);

impl crate::App {
    /// Follows a rotation while the server runs: seals with the key the
    /// database is moving to (or, once done, is sealed with), picking it up
    /// from the data directory through the ring's loader. Every key it held
    /// stays in the ring, so values under the old key keep opening.
    /// Returns the write key's id when it changed.
    pub async fn follow_master_key(&self) -> Result<Option<String>> {
        let store = self.store();
        let target = match store.get_setting(ROTATING_TO).await? {
            Some(to) => Some(to),
            None => store.get_setting("master_key_id").await?,
        };
        let ring = &self.inner.envelope;
        match target {
            Some(t) if t != ring.key_id() => {
                if ring.use_for_writing(&t) {
                    Ok(Some(t))
                } else {
                    Err(AppError::invalid(
                        InvalidCode::MasterKeyRotationKeyMissing,
                        format!(
                            "the database is moving to master key {t}, which this node cannot find: copy master.key.new from the node running the rotation into this node's data directory"
                        ),
                    ))
                }
            }
            _ => Ok(None),
        }
    }

    /// Where the app's key ring looks for keys it does not hold, and the
    /// key it seals with (as [`check_key`] chose on `ring`).
    pub fn share_key_ring(&self, loader: orthrus_crypto::KeyLoader, ring: &Envelope) {
        self.inner.envelope.set_loader(loader);
        self.inner.envelope.use_for_writing(&ring.key_id());
    }
}

/// The subkeys kept in the database, stored on the first start of a release
/// that keeps them (derived from the master key then, so nothing changes).
pub async fn load_subkeys(store: &dyn Store, env: &Envelope, rng: &dyn Entropy) -> Result<Subkeys> {
    let master = env.master();
    let get = async |purpose: &str| -> Result<Zeroizing<[u8; 32]>> {
        let sealed = match store.instance_key(purpose).await? {
            Some(s) => s,
            None => {
                let fresh = Zeroizing::new(master.derive(purpose));
                let sealed = env.seal(rng, &aad(SealedColumn::InstanceKey, purpose), &fresh[..])?;
                store.put_instance_key_if_absent(purpose, &sealed).await?;
                // Another node may have stored its (equal) key first.
                store
                    .instance_key(purpose)
                    .await?
                    .ok_or(AppError::Internal("an instance key vanished".into()))?
            }
        };
        let bytes = env.open(&aad(SealedColumn::InstanceKey, purpose), &sealed)?;
        let key: [u8; 32] = bytes[..]
            .try_into()
            .map_err(|_| AppError::Internal(format!("the {purpose} key is not 32 bytes")))?;
        Ok(Zeroizing::new(key))
    };
    Ok(Subkeys {
        tokens: get(TOKENS).await?,
        audit: get(AUDIT).await?,
        search: get(SEARCH).await?,
    })
}

/// How a rotation went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    /// Values re-wrapped by this run.
    pub rewrapped: u64,
    /// Values already under the new key (a resumed rotation).
    pub already: u64,
    /// False when it stopped early (`stop_after`); run it again to finish.
    pub complete: bool,
}

/// Re-wraps every sealed value from `old` to `new`, then makes `new` the
/// database's key. Resumable: values already under `new` are skipped.
/// After announcing the rotation it waits `settle` (running servers switch
/// to sealing with `new`), then passes over every sealed column until a
/// pass finds nothing left under `old`.
/// `stop_after` stops after that many re-wraps (to test an interruption).
pub async fn rotate_master_key(
    store: &dyn Store,
    old: &MasterKey,
    new: &MasterKey,
    rng: &dyn Entropy,
    stop_after: Option<u64>,
    settle: std::time::Duration,
) -> Result<RotationReport> {
    let bound = store.get_setting("master_key_id").await?;
    if bound.as_deref() == Some(new.id()) {
        // Finished earlier; only the key files were left to move.
        return Ok(RotationReport {
            complete: true,
            ..RotationReport::default()
        });
    }
    if bound.as_deref().is_some_and(|b| b != old.id()) {
        return Err(AppError::invalid(
            InvalidCode::MasterKeyMismatch,
            format!(
                "this database is sealed with master key {}, not {}: rotate with the key it uses",
                bound.unwrap_or_default(),
                old.id()
            ),
        ));
    }
    match store.get_setting(ROTATING_TO).await? {
        Some(to) if to != new.id() => {
            return Err(AppError::invalid(
                InvalidCode::MasterKeyOtherRotation,
                format!(
                    "a rotation to master key {to} is under way: finish it with that key (master.key.new)"
                ),
            ));
        }
        Some(_) => {}
        None => {
            // Keep the subkeys from the old key before anything moves.
            load_subkeys(store, &Envelope::new(old.clone()), rng).await?;
            store.set_setting(ROTATING_TO, Some(new.id())).await?;
        }
    }
    // Running servers begin sealing with the new key (they hold both).
    tokio::time::sleep(settle).await;
    let (from, to) = (Envelope::new(old.clone()), Envelope::new(new.clone()));
    let mut report = RotationReport::default();
    // Passes until one finds nothing under the old key: a value a server
    // wrote under it meanwhile (or changed under the pass) is caught by
    // the next one.
    loop {
        let mut left = 0u64;
        for col in SealedColumn::ALL {
            let mut after = String::new();
            loop {
                let page = store.sealed_page(col, &after, 200).await?;
                let Some((last, _)) = page.last() else { break };
                let next = last.clone();
                for (row, sealed) in page {
                    match Envelope::sealed_key_id(&sealed) {
                        Some(k) if k == new.id() => report.already += 1,
                        Some(k) if k == old.id() => {
                            if stop_after.is_some_and(|n| report.rewrapped >= n) {
                                return Ok(report);
                            }
                            left += 1;
                            let moved = from.rewrap(rng, &aad(col, &row), &sealed, &to)?;
                            if store.replace_sealed(col, &row, &sealed, &moved).await? {
                                report.rewrapped += 1;
                            }
                        }
                        other => {
                            return Err(AppError::Internal(format!(
                                "a sealed value ({col:?} {row}) is wrapped with key {}, neither the old nor the new one",
                                other.unwrap_or_else(|| "(unreadable)".into())
                            )));
                        }
                    }
                }
                after = next;
            }
        }
        if left == 0 {
            break;
        }
    }
    store.set_setting("master_key_id", Some(new.id())).await?;
    store.set_setting(ROTATING_TO, None).await?;
    report.complete = true;
    Ok(report)
}
