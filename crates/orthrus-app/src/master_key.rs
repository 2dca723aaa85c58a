//! The master key over the years: the keys that used to be derived from it
//! (bearer-token and recovery-code hashes, the audit chain's MAC, the inbox
//! search index) are derived once and then kept sealed under it in
//! `instance_keys`, so that a rotation re-wraps them and changes nothing
//! anyone holds; and the rotation itself, which re-wraps every sealed value's
//! data key under a new master key (`Envelope::rewrap`). A rotation records
//! that it is under way (`master_key_rotating_to`), each value says by its
//! header which key wraps it, so an interrupted rotation resumes where it
//! stopped, and servers refuse to start until it is complete.

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
    };
    Aad::new(table, row, field)
}

/// Before the app opens anything: refuses a key that is not the one the
/// database was sealed with (as `App::bind_master_key` does, which records
/// it on a new database), and a database in the middle of a rotation.
pub async fn check_key(store: &dyn Store, master: &MasterKey) -> Result<()> {
    if let Some(bound) = store.get_setting("master_key_id").await?
        && bound != master.id()
    {
        return Err(AppError::invalid(
            "master_key.mismatch",
            format!(
                "this database was encrypted with master key {bound}, but the key in use is {}: set ORTHRUS_MASTER_KEY or restore <data-dir>/master.key from your backup",
                master.id()
            ),
        ));
    }
    check_no_rotation(store).await
}

/// Refuses to go on while a rotation is under way (the values are wrapped
/// partly under one key and partly under the other).
pub async fn check_no_rotation(store: &dyn Store) -> Result<()> {
    match store.get_setting(ROTATING_TO).await? {
        Some(to) => Err(AppError::invalid(
            "master_key.rotation_under_way",
            format!(
                "a master-key rotation to key {to} is under way: run `orthrus admin rotate-master-key` again to finish it before starting the server"
            ),
        )),
        None => Ok(()),
    }
}

/// The subkeys kept in the database, stored on the first start of a release
/// that keeps them (derived from the master key then, so nothing changes).
pub async fn load_subkeys(
    store: &dyn Store,
    master: &MasterKey,
    rng: &dyn Entropy,
) -> Result<Subkeys> {
    let env = Envelope::new(master.clone());
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
/// `stop_after` stops after that many re-wraps (to test an interruption).
pub async fn rotate_master_key(
    store: &dyn Store,
    old: &MasterKey,
    new: &MasterKey,
    rng: &dyn Entropy,
    stop_after: Option<u64>,
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
            "master_key.mismatch",
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
                "master_key.other_rotation",
                format!(
                    "a rotation to master key {to} is under way: finish it with that key (master.key.new)"
                ),
            ));
        }
        Some(_) => {}
        None => {
            // Keep the subkeys from the old key before anything moves.
            load_subkeys(store, old, rng).await?;
            store.set_setting(ROTATING_TO, Some(new.id())).await?;
        }
    }
    let (from, to) = (Envelope::new(old.clone()), Envelope::new(new.clone()));
    let mut report = RotationReport::default();
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
                        let moved = from.rewrap(rng, &aad(col, &row), &sealed, &to)?;
                        // Offline, nothing else writes; a changed value is
                        // picked up by the next run.
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
    store.set_setting("master_key_id", Some(new.id())).await?;
    store.set_setting(ROTATING_TO, None).await?;
    report.complete = true;
    Ok(report)
}
