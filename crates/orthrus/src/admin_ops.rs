//! `orthrus admin backup`, `restore` and `migrate`: the operator's commands
//! for keeping a server for years. Backups of SQLite are an online,
//! consistent snapshot (`VACUUM INTO` through the store) sealed with a key
//! derived from the master key; PostgreSQL is backed up with `pg_dump`.

use crate::config::Config;
use anyhow::{Context, bail};
use orthrus_crypto::MasterKey;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The master key this data directory uses, never a new one: a backup or
/// restore with a freshly generated key would be useless.
fn existing_key(cfg: &Config) -> anyhow::Result<MasterKey> {
    if let Some(v) = std::env::var("ORTHRUS_MASTER_KEY")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return MasterKey::from_base64(&v).context("ORTHRUS_MASTER_KEY");
    }
    let path = cfg.data_dir.join("master.key");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no master key: put the key the data was sealed with in ORTHRUS_MASTER_KEY or {}",
            path.display()
        )
    })?;
    MasterKey::from_base64(&text).with_context(|| format!("the master key in {}", path.display()))
}

fn is_postgres(cfg: &Config) -> bool {
    let url = cfg.database();
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

const PG_GUIDANCE: &str = "This server keeps its data in PostgreSQL: back it up with pg_dump, which takes a consistent snapshot while Orthrus runs, e.g.

    pg_dump --format=custom --file=orthrus-$(date +%F).dump \"$ORTHRUS_DATABASE_URL\"

and restore with pg_restore --clean --if-exists --dbname=... orthrus-DATE.dump.
Secret columns in the dump are sealed with the master key: keep the master key
backed up apart from the dumps (see docs/backup.md).";

/// Creates `path` for writing, readable by its owner only; refuses to overwrite.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Removes a file when dropped (plaintext snapshots never outlive the command).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `orthrus admin backup --out FILE`.
pub async fn backup(cfg: &Config, out: &Path) -> anyhow::Result<ExitCode> {
    if is_postgres(cfg) {
        eprintln!("{PG_GUIDANCE}");
        return Ok(ExitCode::from(2));
    }
    let master = existing_key(cfg)?;
    if out.exists() {
        bail!("{} exists: choose a new file name", out.display());
    }
    let db = cfg.data_dir.join("orthrus.db");
    if !db.exists() {
        bail!("there is no database at {} to back up", db.display());
    }
    let store = orthrus_store::open(&cfg.database())
        .await
        .context("cannot open the database")?;
    // The plaintext snapshot stays in the (private) data directory and is
    // removed however the command ends.
    let snapshot = Scratch(
        cfg.data_dir
            .join(format!("backup-snapshot-{}.db", std::process::id())),
    );
    let _ = std::fs::remove_file(&snapshot.0);
    let taken = store.snapshot_into(&snapshot.0).await;
    store.close().await;
    taken.context("the snapshot failed")?;
    let partial = Scratch(out.with_extension("partial"));
    {
        let input = std::fs::File::open(&snapshot.0)?;
        let file = create_private(&partial.0)
            .with_context(|| format!("cannot create {}", partial.0.display()))?;
        let mut w = std::io::BufWriter::new(file);
        orthrus_crypto::seal_backup(
            &master,
            &orthrus_core::OsEntropy,
            std::io::BufReader::new(input),
            &mut w,
        )?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
    }
    std::fs::rename(&partial.0, out).with_context(|| format!("cannot write {}", out.display()))?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "Backed up {} to {} ({size} bytes, sealed with master key {}); restore it with `orthrus admin restore {}` and the same key",
        db.display(),
        out.display(),
        master.id(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `orthrus admin restore FILE [--force]`.
pub async fn restore(cfg: &Config, file: &Path, force: bool) -> anyhow::Result<ExitCode> {
    if is_postgres(cfg) {
        eprintln!("{PG_GUIDANCE}");
        return Ok(ExitCode::from(2));
    }
    let master = existing_key(cfg)?;
    let found = orthrus_crypto::backup_key_id(
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
    )?;
    if found != master.id() {
        bail!(
            "{} was sealed with master key {found}, but this data directory's key is {}: restore it with the master key it was made with (ORTHRUS_MASTER_KEY or master.key)",
            file.display(),
            master.id()
        );
    }
    let db = cfg.data_dir.join("orthrus.db");
    let side = |ext: &str| cfg.data_dir.join(format!("orthrus.db-{ext}"));
    if !force {
        if side("wal").exists() || side("shm").exists() {
            bail!(
                "the database {} looks in use (its -wal/-shm files exist): stop the server first, or pass --force if it is not running",
                db.display()
            );
        }
        if db.exists() {
            bail!(
                "{} exists: restoring replaces it; pass --force to replace it",
                db.display()
            );
        }
    }
    std::fs::create_dir_all(&cfg.data_dir)?;
    let partial = Scratch(cfg.data_dir.join("orthrus.db.restoring"));
    let _ = std::fs::remove_file(&partial.0);
    {
        let out = create_private(&partial.0)?;
        let mut w = std::io::BufWriter::new(out);
        orthrus_crypto::open_backup(
            &master,
            std::io::BufReader::new(std::fs::File::open(file)?),
            &mut w,
        )?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    for ext in ["wal", "shm"] {
        let _ = std::fs::remove_file(side(ext));
    }
    std::fs::rename(&partial.0, &db)
        .with_context(|| format!("cannot put the restored database at {}", db.display()))?;
    // Opening it applies the migrations a backup from an older release lacks.
    let store = orthrus_store::open(&cfg.database())
        .await
        .context("the restored database does not open")?;
    let users = store.count_users().await?;
    store.close().await;
    println!(
        "Restored {} into {} ({users} users); start the server with the same master key",
        file.display(),
        db.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `orthrus admin migrate [--check]`: lists the migrations the next start
/// would apply; without `--check`, applies them. With `--check`, exit 0
/// when there is nothing to do and 2 when migrations are pending.
pub async fn migrate(cfg: &Config, check: bool) -> anyhow::Result<ExitCode> {
    let url = cfg.database();
    let pending = orthrus_store::pending_migrations(&url)
        .await
        .context("cannot read the database's migrations")?;
    if pending.is_empty() {
        println!("The database is up to date: no migration pending");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} migration(s) {}:",
        pending.len(),
        if check { "pending" } else { "to apply" }
    );
    for m in &pending {
        if m.summary.is_empty() {
            println!("  {:04} {}", m.version, m.name);
        } else {
            println!("  {:04} {}: {}", m.version, m.name, m.summary);
        }
    }
    if check {
        return Ok(ExitCode::from(2));
    }
    let store = orthrus_store::open(&url)
        .await
        .context("applying the migrations failed")?;
    store.close().await;
    println!("Applied {} migration(s)", pending.len());
    Ok(ExitCode::SUCCESS)
}

/// Reads a key file written by `rotate_master_key`.
fn read_key_file(path: &Path) -> anyhow::Result<MasterKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    MasterKey::from_base64(&text).with_context(|| format!("the key in {}", path.display()))
}

/// `orthrus admin rotate-master-key`: a new master key re-wraps every
/// sealed value's data key, with the servers up or down (running servers
/// pick the new key up from `master.key.new` in their data directory and
/// keep the old one readable; see `orthrus_app::master_key`). The new key
/// waits in `master.key.new` until the rotation completes, so that an
/// interrupted run resumes with the same key; then `master.key` becomes
/// `master.key.old` and the new key takes its place (with
/// `ORTHRUS_MASTER_KEY`, the new key is printed once instead).
/// The rotation's next key: the one waiting in master.key.new, or a new
/// one written there (0600).
fn next_key(pending: &Path) -> anyhow::Result<(MasterKey, bool)> {
    if pending.exists() {
        return Ok((read_key_file(pending)?, true));
    }
    let key = MasterKey::generate(&orthrus_core::OsEntropy);
    use std::io::Write;
    let mut f =
        create_private(pending).with_context(|| format!("cannot create {}", pending.display()))?;
    f.write_all(format!("{}\n", key.to_base64()).as_bytes())?;
    f.sync_all()?;
    Ok((key, false))
}

/// `rotate-master-key --prepare`: the new key only, in master.key.new, so
/// that it can be copied to every node before any data is touched.
pub fn prepare_master_key(cfg: &Config) -> anyhow::Result<ExitCode> {
    let old = existing_key(cfg)?;
    let pending = cfg.data_dir.join("master.key.new");
    let (new, existed) = next_key(&pending)?;
    if new.id() == old.id() {
        bail!(
            "{} holds the key in use: remove it and prepare again",
            pending.display()
        );
    }
    println!(
        "{} the next master key {} in {}. Copy that file (mode 0600) into every node's data directory, then run `orthrus admin rotate-master-key` without --prepare.",
        if existed { "Kept" } else { "Wrote" },
        new.id(),
        pending.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn rotate_master_key(cfg: &Config, stop_after: Option<u64>) -> anyhow::Result<ExitCode> {
    let from_env = std::env::var("ORTHRUS_MASTER_KEY")
        .ok()
        .is_some_and(|v| !v.trim().is_empty());
    let old = existing_key(cfg)?;
    let pending = cfg.data_dir.join("master.key.new");
    let (new, resumed) = next_key(&pending)?;
    if resumed {
        println!(
            "Resuming with the key waiting in {} (prepared with --prepare, or an interrupted rotation's)",
            pending.display()
        );
    }
    if new.id() == old.id() {
        bail!(
            "{} holds the key in use: remove it and run the rotation again",
            pending.display()
        );
    }
    let store = orthrus_store::open(&cfg.database())
        .await
        .context("cannot open the database")?;
    let report = orthrus_app::master_key::rotate_master_key(
        store.as_ref(),
        &old,
        &new,
        &orthrus_core::OsEntropy,
        stop_after,
        orthrus_app::master_key::SETTLE,
    )
    .await;
    store.close().await;
    let report = report.map_err(|e| anyhow::anyhow!("{e}"))?;
    if !report.complete {
        eprintln!(
            "Stopped after re-wrapping {} value(s); the rotation to key {} is not complete. Run `orthrus admin rotate-master-key` again to finish it (the new key waits in {}; a server starts meanwhile only with that file in its data directory).",
            report.rewrapped,
            new.id(),
            pending.display()
        );
        return Ok(ExitCode::from(3));
    }
    if from_env {
        std::fs::remove_file(&pending)
            .with_context(|| format!("cannot remove {}", pending.display()))?;
        println!(
            "Rotated the master key from {} to {} ({} value(s) re-wrapped, {} already done).\nSet this new key in ORTHRUS_MASTER_KEY before starting the server; it is shown only now:\n\nORTHRUS_MASTER_KEY={}\n",
            old.id(),
            new.id(),
            report.rewrapped,
            report.already,
            new.to_base64()
        );
    } else {
        let current = cfg.data_dir.join("master.key");
        let kept = cfg.data_dir.join("master.key.old");
        if kept.exists() {
            // An earlier rotation's old key: kept too, under its id.
            let earlier = read_key_file(&kept)?;
            let aside = cfg
                .data_dir
                .join(format!("master.key.{}.old", earlier.id()));
            std::fs::rename(&kept, &aside)
                .with_context(|| format!("cannot move {} aside", kept.display()))?;
        }
        std::fs::rename(&current, &kept)
            .with_context(|| format!("cannot move {} aside", current.display()))?;
        std::fs::rename(&pending, &current)
            .with_context(|| format!("cannot put the new key at {}", current.display()))?;
        println!(
            "Rotated the master key from {} to {} ({} value(s) re-wrapped, {} already done).\nThe new key is in {}; back it up now. The old one is in {}: delete it once the server runs with the new key and your backups have the new one.",
            old.id(),
            new.id(),
            report.rewrapped,
            report.already,
            current.display(),
            kept.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
