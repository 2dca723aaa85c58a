//! Moving authenticator seeds in and out: bulk import from other
//! authenticators (Google Authenticator export QR codes, Aegis, 2FAS,
//! Bitwarden, CSV, otpauth lists) with a preview, and export as an otpauth
//! list or an age file encrypted with a passphrase.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::Event;
use crate::{Action, Actor, App, AppError, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{AccountId, EventId};
use orthrus_otp::import::{ImportFormat, ImportedEntry, RejectedEntry};
use orthrus_otp::{OtpParams, Secret};
use orthrus_store::{AccountRow, OtpRow, OtpSlot};
use serde::{Deserialize, Serialize};

/// What an import does (or would do) with one entry.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportEntryPlan {
    /// Position in the file among the entries that carry a one-time password.
    pub index: usize,
    pub issuer: Option<String>,
    pub account_name: Option<String>,
    /// totp, hotp or steam; null for an entry that could not be read.
    pub kind: Option<String>,
    pub algorithm: Option<String>,
    pub digits: Option<u8>,
    pub period: Option<u32>,
    /// set (on an existing account), create (a new account), skip (the
    /// account already has an authenticator), ambiguous (it matches several
    /// accounts, or another entry with a different secret claims the same
    /// account: nothing is done, `reason` names them), duplicate (the same
    /// issuer, account name and secret as an earlier entry, imported once),
    /// or invalid (the entry could not be read: `reason` says why). Only set
    /// and create write anything; the other entries still import.
    #[schema(value_type = String)]
    pub action: ImportAction,
    pub account_id: Option<String>,
    pub account_label: Option<String>,
    /// Why an entry is skipped, ambiguous, a duplicate or invalid; entries
    /// are counted from 1 there.
    pub reason: Option<String>,
}

/// What an import does with one entry (see `ImportEntryPlan::action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportAction {
    Set,
    Create,
    Skip,
    Ambiguous,
    Duplicate,
    Invalid,
}

impl ImportAction {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Set => "set",
            Self::Create => "create",
            Self::Skip => "skip",
            Self::Ambiguous => "ambiguous",
            Self::Duplicate => "duplicate",
            Self::Invalid => "invalid",
        }
    }
}

/// The preview (dry run) or the outcome of an import.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub format: String,
    pub entries: Vec<ImportEntryPlan>,
    pub set: usize,
    pub created: usize,
    pub skipped: usize,
    /// Entries left alone because the account they belong to is not clear
    /// (action ambiguous).
    pub ambiguous: usize,
    /// Repeats of an earlier entry of the file (action duplicate).
    pub duplicates: usize,
    /// Entries that could not be read (action invalid).
    pub invalid: usize,
    /// Items of the file without any one-time password (Bitwarden logins
    /// without a TOTP, secure notes, empty CSV cells): not entries, skipped.
    pub without_otp: usize,
}

/// How the workspace's seeds are exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedExportFormat {
    /// A plain list of `otpauth://` URIs.
    Otpauth,
    /// The same list in an age file encrypted with a passphrase.
    Age,
}

impl SeedExportFormat {
    /// The format a request names (`export.invalid_format` otherwise).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "otpauth" => Ok(Self::Otpauth),
            "age" => Ok(Self::Age),
            _ => Err(AppError::invalid(
                InvalidCode::ExportInvalidFormat,
                "format is otpauth or age",
            )),
        }
    }

    /// Its spelling in requests and in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Otpauth => "otpauth",
            Self::Age => "age",
        }
    }
}

/// An export file.
#[derive(Debug)]
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub filename: &'static str,
    pub count: usize,
}

fn format_name(f: ImportFormat) -> &'static str {
    match f {
        ImportFormat::UriList => "otpauth list",
        ImportFormat::Aegis => "Aegis",
        ImportFormat::TwoFas => "2FAS",
        ImportFormat::Bitwarden => "Bitwarden",
        ImportFormat::BitwardenCsv => "Bitwarden CSV",
        ImportFormat::Csv => "CSV",
        ImportFormat::Image => "QR code picture",
    }
}

/// An import file that could not be read, with a code per cause.
fn import_error(e: orthrus_otp::OtpError) -> AppError {
    use orthrus_otp::OtpError;
    match e {
        OtpError::QrTimeout => crate::uploads::upload_timeout(InvalidCode::ImportTimeout),
        OtpError::TooManyEntries { .. } => {
            AppError::invalid(InvalidCode::ImportTooMany, e.to_string())
        }
        OtpError::ImageTooLarge { .. } => {
            AppError::invalid(InvalidCode::ImportImageTooLarge, e.to_string())
        }
        e => AppError::invalid(InvalidCode::ImportInvalid, e.to_string()),
    }
}

/// Names compared case- and space-insensitively: "Acme VPN" is "acmevpn".
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn issuer_and_name(e: &ImportedEntry) -> (String, String) {
    (
        norm(e.params.issuer.as_deref().unwrap_or("")),
        norm(e.params.account_name.as_deref().unwrap_or("")),
    )
}

/// Does this entry belong to this account? Names are compared whole (never
/// "contains"): the issuer with the account's label or its well-known app,
/// the entry's account name with the account's username; or both with the
/// label an import gives the account it creates ("GitHub (alice)"). An entry
/// naming an account matches only accounts with that username; one without
/// an issuer matches by username or label alone.
fn matches(e: &ImportedEntry, a: &AccountRow) -> bool {
    let (issuer, name) = issuer_and_name(e);
    let (label, user) = (norm(&a.label), norm(&a.username));
    if !issuer.is_empty() && !name.is_empty() && label == format!("{issuer}({name})") {
        return true;
    }
    let issuer_matches = !issuer.is_empty()
        && (label == issuer
            || (a.app != "generic"
                && orthrus_core::app_key(e.params.issuer.as_deref().unwrap_or("")) == a.app));
    match (issuer.is_empty(), name.is_empty()) {
        (false, false) => issuer_matches && user == name,
        (false, true) => issuer_matches,
        (true, false) => user == name || label == name,
        (true, true) => false,
    }
}

/// The same seed twice in one file: same issuer and account name (as
/// [`matches`] compares them), secret and code parameters.
fn same_seed(a: &ImportedEntry, b: &ImportedEntry) -> bool {
    issuer_and_name(a) == issuer_and_name(b)
        && a.secret == b.secret
        && (
            a.params.kind,
            a.params.algorithm,
            a.params.digits,
            a.params.period,
        ) == (
            b.params.kind,
            b.params.algorithm,
            b.params.digits,
            b.params.period,
        )
}

/// "A", "A and B", "A, B and C".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "GitHub / alice": an entry in a sentence.
fn entry_name(e: &ImportedEntry) -> String {
    match (
        e.params.issuer.as_deref().filter(|s| !s.trim().is_empty()),
        e.params
            .account_name
            .as_deref()
            .filter(|s| !s.trim().is_empty()),
    ) {
        (Some(i), Some(n)) => format!("{i} / {n}"),
        (Some(one), None) | (None, Some(one)) => one.to_owned(),
        (None, None) => "an unnamed entry".to_owned(),
    }
}

/// What the import does with one entry, decided for the whole file before
/// anything is written.
enum Decision {
    /// The entry could not be read.
    Invalid,
    /// Same seed as the entry at this index.
    Duplicate(usize),
    Ambiguous(String),
    /// The account at this index of the candidates.
    Set(usize),
    Skip(usize),
    Create,
}

/// Decides every entry: duplicates first, then the accounts each one
/// matches; an entry matching several accounts, and entries with different
/// secrets that would land on the same account (or create the same new
/// one), are ambiguous and left alone.
fn decide(
    entries: &[std::result::Result<ImportedEntry, RejectedEntry>],
    candidates: &[AccountRow],
    active: &std::collections::HashSet<AccountId>,
    replace: bool,
) -> Vec<Decision> {
    let mut decisions: Vec<Decision> = Vec::with_capacity(entries.len());
    for (i, item) in entries.iter().enumerate() {
        let Ok(e) = item else {
            decisions.push(Decision::Invalid);
            continue;
        };
        let earlier = entries.iter().take(i).enumerate().find(|(j, other)| {
            other.as_ref().is_ok_and(|o| same_seed(o, e))
                && !matches!(decisions.get(*j), Some(Decision::Duplicate(_)))
        });
        if let Some((j, _)) = earlier {
            decisions.push(Decision::Duplicate(j));
            continue;
        }
        let hits: Vec<usize> = candidates
            .iter()
            .enumerate()
            .filter(|(_, a)| matches(e, a))
            .map(|(k, _)| k)
            .collect();
        decisions.push(match hits.as_slice() {
            [] => Decision::Create,
            [k] => Decision::Set(*k),
            many => {
                let labels: Vec<String> = many
                    .iter()
                    .filter_map(|&k| candidates.get(k))
                    .map(|a| {
                        let twin = many
                            .iter()
                            .filter_map(|&k| candidates.get(k))
                            .any(|b| b.id != a.id && b.label == a.label);
                        if twin && !a.username.is_empty() {
                            format!("{} ({})", a.label, a.username)
                        } else {
                            a.label.clone()
                        }
                    })
                    .collect();
                Decision::Ambiguous(format!(
                    "ambiguous: matches {}; nothing is done with it (import it on the account it belongs to)",
                    and_list(&labels)
                ))
            }
        });
    }
    // Different entries aimed at one account, or at one new account.
    #[derive(PartialEq, Eq, Hash)]
    enum Target {
        Account(usize),
        New(String, String),
    }
    let mut groups: std::collections::HashMap<Target, Vec<usize>> = Default::default();
    for (i, d) in decisions.iter().enumerate() {
        let target = match (d, entries.get(i)) {
            (Decision::Set(k), _) => Target::Account(*k),
            (Decision::Create, Some(Ok(e))) => match issuer_and_name(e) {
                (issuer, name) if issuer.is_empty() && name.is_empty() => continue,
                (issuer, name) => Target::New(issuer, name),
            },
            _ => continue,
        };
        groups.entry(target).or_default().push(i);
    }
    for (target, members) in groups {
        if members.len() < 2 {
            continue;
        }
        let numbers: Vec<String> = members.iter().map(|i| (i + 1).to_string()).collect();
        let what = match target {
            Target::Account(k) => format!(
                "both match {}",
                candidates
                    .get(k)
                    .map_or("one account", |a| a.label.as_str())
            ),
            Target::New(..) => format!(
                "are both {}",
                members
                    .first()
                    .and_then(|&i| entries.get(i))
                    .and_then(|e| e.as_ref().ok())
                    .map_or_else(String::new, entry_name)
            ),
        };
        let reason = format!(
            "ambiguous: entries {} {what}, with different secrets; nothing is done with them (keep the right one in the file)",
            and_list(&numbers)
        );
        for i in members {
            if let Some(d) = decisions.get_mut(i) {
                *d = Decision::Ambiguous(reason.clone());
            }
        }
    }
    for d in &mut decisions {
        if let Decision::Set(k) = *d
            && !replace
            && candidates.get(k).is_some_and(|a| active.contains(&a.id))
        {
            *d = Decision::Skip(k);
        }
    }
    decisions
}

fn new_label(e: &ImportedEntry) -> String {
    match (
        e.params.issuer.as_deref().filter(|s| !s.is_empty()),
        e.params.account_name.as_deref().filter(|s| !s.is_empty()),
    ) {
        (Some(i), Some(n)) => format!("{i} ({n})"),
        (Some(i), None) => i.to_owned(),
        (None, Some(n)) => n.to_owned(),
        (None, None) => "Imported account".to_owned(),
    }
    .chars()
    .take(100)
    .collect()
}

impl App {
    /// Imports seeds from another authenticator. With `dry_run` nothing is
    /// written and the report is the preview. Entries are matched to accounts
    /// the caller owns; the others become new accounts (the caller is their
    /// Owner). An account that already has an authenticator is skipped
    /// unless `replace`. Imported seeds are active at once: they already work
    /// in the app. Applying needs step-up.
    pub async fn import_otp(
        &self,
        actor: &Actor,
        bytes: &[u8],
        dry_run: bool,
        replace: bool,
    ) -> Result<ImportReport> {
        self.check(actor, Action::CreateAccount)?;
        if !dry_run {
            self.require_step_up(actor)?;
        }
        // Parsing (and decoding QR pictures) is CPU work: off the executor,
        // a few at once, within a deadline (see uploads.rs).
        let data = bytes.to_vec();
        let (format, contents) = self
            .parse_upload(
                crate::BusyKind::ImportUpload,
                InvalidCode::ImportTimeout,
                move |deadline| {
                    (
                        orthrus_otp::import::detect_format(&data),
                        orthrus_otp::import::read_import_until(&data, Some(deadline)),
                    )
                },
            )
            .await?;
        let format = format
            .map_err(|e| AppError::invalid(InvalidCode::ImportUnrecognized, e.to_string()))?;
        let contents = contents.map_err(import_error)?;
        if contents.entries.is_empty() {
            let without = match contents.without_otp {
                0 => String::new(),
                1 => " (1 item has no one-time password)".to_owned(),
                n => format!(" ({n} items have no one-time password)"),
            };
            return Err(AppError::invalid(
                InvalidCode::ImportEmpty,
                format!("the file holds no authenticator entries{without}"),
            ));
        }
        // Accounts whose MFA the caller may change.
        let candidates: Vec<AccountRow> = if self.permits(actor, Action::ReachEveryAccount) {
            self.store().list_accounts(actor.workspace_id).await?
        } else {
            self.store()
                .list_accounts_for_user(actor.workspace_id, actor.user_id, self.now())
                .await?
                .into_iter()
                .filter(|(_, r)| {
                    Self::may(
                        orthrus_core::Subject {
                            workspace_role: actor.role,
                            account_role: Some(*r),
                        },
                        Action::ManageMfa,
                    )
                })
                .map(|(a, _)| a)
                .collect()
        };
        let active: std::collections::HashSet<AccountId> = self
            .store()
            .list_active_otp(actor.workspace_id)
            .await?
            .into_iter()
            .map(|r| r.account_id)
            .collect();
        let mut report = ImportReport {
            dry_run,
            format: format_name(format).to_owned(),
            entries: Vec::new(),
            set: 0,
            created: 0,
            skipped: 0,
            ambiguous: 0,
            duplicates: 0,
            invalid: 0,
            without_otp: contents.without_otp,
        };
        let decisions = decide(&contents.entries, &candidates, &active, replace);
        for (index, (item, decision)) in contents.entries.into_iter().zip(decisions).enumerate() {
            let e = match item {
                Err(rejected) => {
                    report.invalid += 1;
                    report.entries.push(ImportEntryPlan {
                        index,
                        issuer: rejected.issuer,
                        account_name: rejected.account_name,
                        kind: None,
                        algorithm: None,
                        digits: None,
                        period: None,
                        action: ImportAction::Invalid,
                        account_id: None,
                        account_label: None,
                        reason: Some(rejected.error.to_string()),
                    });
                    continue;
                }
                Ok(e) => e,
            };
            let target = match &decision {
                Decision::Set(k) | Decision::Skip(k) => candidates.get(*k),
                _ => None,
            };
            let mut plan = ImportEntryPlan {
                index,
                issuer: e.params.issuer.clone(),
                account_name: e.params.account_name.clone(),
                kind: Some(e.params.kind.as_str().to_owned()),
                algorithm: Some(e.params.algorithm.as_str().to_owned()),
                digits: Some(e.params.digits),
                period: Some(e.params.period),
                action: ImportAction::Create,
                account_id: target.map(|a| a.id.to_string()),
                account_label: target.map(|a| a.label.clone()),
                reason: None,
            };
            match decision {
                // Only an entry that was not read (handled above).
                Decision::Invalid => {}
                Decision::Duplicate(of) => {
                    plan.action = ImportAction::Duplicate;
                    plan.reason = Some(format!(
                        "duplicate of entry {} (same issuer, account name and secret): not imported twice",
                        of + 1
                    ));
                    report.duplicates += 1;
                }
                Decision::Ambiguous(reason) => {
                    plan.action = ImportAction::Ambiguous;
                    plan.reason = Some(reason);
                    report.ambiguous += 1;
                }
                Decision::Skip(_) => {
                    plan.action = ImportAction::Skip;
                    plan.reason = Some("the account already has an authenticator (import with replace to overwrite)".into());
                    report.skipped += 1;
                }
                Decision::Set(_) => {
                    plan.action = ImportAction::Set;
                    report.set += 1;
                    if let (false, Some(a)) = (dry_run, target) {
                        self.store_imported_otp(actor, a.id, e.secret, e.params)
                            .await?;
                    }
                }
                Decision::Create => {
                    plan.account_label = Some(new_label(&e));
                    report.created += 1;
                    if !dry_run {
                        let id = self.create_imported_account(actor, &e).await?;
                        plan.account_id = Some(id.to_string());
                        self.store_imported_otp(actor, id, e.secret, e.params)
                            .await?;
                    }
                }
            }
            report.entries.push(plan);
        }
        if !dry_run {
            self.audit(actor, Event::new(AuditAction::OtpImport).detail(serde_json::json!({"format": report.format, "set": report.set, "created": report.created, "skipped": report.skipped, "ambiguous": report.ambiguous, "duplicates": report.duplicates, "invalid": report.invalid}))).await?;
        }
        Ok(report)
    }

    async fn create_imported_account(&self, actor: &Actor, e: &ImportedEntry) -> Result<AccountId> {
        let now = self.now();
        let id = AccountId::new(self.inner.clock.as_ref(), self.rng());
        let row = AccountRow {
            id,
            workspace_id: actor.workspace_id,
            app: orthrus_core::app_key(e.params.issuer.as_deref().unwrap_or("")).to_owned(),
            label: new_label(e),
            login_url: String::new(),
            username: e
                .params
                .account_name
                .clone()
                .unwrap_or_default()
                .chars()
                .take(256)
                .collect(),
            // The password is not part of an authenticator export; an owner adds it later.
            password: self.seal("accounts", &id.to_string(), "password", "")?,
            notes: None,
            version: 1,
            created_by: actor.user_id,
            created_at: now,
            updated_at: now,
        };
        let owner = crate::accounts::creator_as_owner(actor, id, now);
        self.store().create_account(&row, &owner, &[]).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountCreate)
                .target(AuditTarget::Account, id)
                .detail(serde_json::json!({"app": row.app, "label": row.label, "via": "import"})),
        )
        .await?;
        Ok(id)
    }

    async fn store_imported_otp(
        &self,
        actor: &Actor,
        account: AccountId,
        secret: Secret,
        params: OtpParams,
    ) -> Result<()> {
        let eid = EventId::new(self.inner.clock.as_ref(), self.rng());
        let now = self.now();
        let row = OtpRow {
            workspace_id: actor.workspace_id,
            account_id: account,
            slot: OtpSlot::Active,
            id: eid,
            secret: self.seal_bytes(
                "account_otp",
                &eid.to_string(),
                "secret",
                secret.as_bytes(),
            )?,
            kind: crate::otp::stored_kind(params.kind),
            algorithm: params.algorithm.as_str().to_owned(),
            digits: i64::from(params.digits),
            period: i64::from(params.period),
            counter: i64::try_from(params.counter).unwrap_or(0),
            issuer: params.issuer,
            account_name: params.account_name,
            source: orthrus_core::OtpSource::Import,
            enrolled_by: actor.user_id,
            enrolled_at: now,
            confirmed_at: Some(now),
        };
        self.store().put_otp(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::AccountMfaImported).target(AuditTarget::Account, account),
        )
        .await
    }

    /// Exports the workspace's active seeds (workspace Owner or Super Admin,
    /// step-up): `otpauth` gives a plain list, `age` an age file encrypted
    /// with `passphrase`.
    pub async fn export_otp(
        &self,
        actor: &Actor,
        format: &str,
        passphrase: Option<&str>,
    ) -> Result<ExportFile> {
        self.check(actor, Action::ExportSeeds)?;
        let format = SeedExportFormat::parse(format)?;
        let pass = match format {
            SeedExportFormat::Otpauth => None,
            SeedExportFormat::Age => {
                let p = passphrase.unwrap_or("");
                if p.chars().count() < 12 {
                    return Err(AppError::invalid(
                        InvalidCode::ExportWeakPassphrase,
                        "use a passphrase of at least 12 characters for an encrypted export",
                    ));
                }
                Some(p.to_owned())
            }
        };
        self.require_second_person(actor, orthrus_store::DualAction::Export, "")
            .await?;
        let mut entries = Vec::new();
        for row in self.store().list_active_otp(actor.workspace_id).await? {
            let g = self.otp_generator(&row)?;
            entries.push(ImportedEntry {
                secret: g.secret,
                params: g.params,
            });
        }
        let list = orthrus_otp::import::format_uri_list(&entries);
        let count = entries.len();
        self.audit(
            actor,
            Event::new(AuditAction::OtpExport)
                .detail(serde_json::json!({"format": format.as_str(), "count": count})),
        )
        .await?;
        match pass {
            None => Ok(ExportFile {
                bytes: list.into_bytes(),
                content_type: "text/plain; charset=utf-8",
                filename: "orthrus-authenticator.txt",
                count,
            }),
            Some(p) => {
                let bytes = self
                    .blocking(move || age_encrypt(list.as_bytes(), &p))
                    .await??;
                Ok(ExportFile {
                    bytes,
                    content_type: "application/octet-stream",
                    filename: "orthrus-authenticator.txt.age",
                    count,
                })
            }
        }
    }
}

/// Encrypts with an age passphrase (scrypt) recipient.
fn age_encrypt(plain: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    use std::io::Write;
    let enc = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(
        passphrase.to_owned(),
    ));
    let mut out = Vec::new();
    let fail = |e: std::io::Error| AppError::Internal(format!("age: {e}"));
    let mut w = enc.wrap_output(&mut out).map_err(fail)?;
    w.write_all(plain).map_err(fail)?;
    w.finish().map_err(fail)?;
    Ok(out)
}

/// Decrypts an age file made with a passphrase (for tests and imports of
/// our own exports).
pub fn age_decrypt(data: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let bad = |m: String| AppError::invalid(InvalidCode::ImportAge, m);
    let dec = age::Decryptor::new_buffered(data).map_err(|e| bad(e.to_string()))?;
    let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(passphrase.to_owned()));
    let identity: &dyn age::Identity = &id;
    let mut r = dec
        .decrypt(std::iter::once(identity))
        .map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| bad(e.to_string()))?;
    Ok(out)
}
