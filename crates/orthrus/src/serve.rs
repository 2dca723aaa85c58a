//! `orthrus serve`: opens the store and the master key, builds the app and
//! runs every long-lived task under one supervisor with graceful shutdown.

use crate::config::Config;
use anyhow::Context;
use orthrus_app::App;
use orthrus_core::{OsEntropy, SystemClock};
use orthrus_crypto::{KeySource, MasterKey};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.log.format == crate::config::LogFormat::Json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Opens the database (running migrations) and the master key.
pub async fn open_app(cfg: &Config) -> anyhow::Result<App> {
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            cfg.data_dir.display()
        )
    })?;
    // The database, the master key and the browser profiles are the
    // server's alone (the automation browser runs as another user).
    {
        use std::os::unix::fs::PermissionsExt;
        // A directory someone else owns (a packaged install) keeps its
        // mode: said, not fatal.
        if let Err(e) =
            std::fs::set_permissions(&cfg.data_dir, std::fs::Permissions::from_mode(0o700))
        {
            tracing::warn!(path = %cfg.data_dir.display(), error = %e, "could not make the data directory private (0700)");
        }
    }
    let env_key = std::env::var("ORTHRUS_MASTER_KEY").ok();
    let (master, source) =
        MasterKey::load_or_create(&cfg.data_dir, env_key.as_deref(), &OsEntropy)?;
    match source {
        KeySource::Generated => {
            tracing::warn!(path = %cfg.data_dir.join("master.key").display(), "generated a new master key: back it up, without it the vault cannot be read");
        }
        KeySource::Environment => {
            tracing::info!(key_id = master.id(), "master key from ORTHRUS_MASTER_KEY");
        }
        KeySource::File => {
            tracing::info!(key_id = master.id(), "master key from the data directory");
        }
    }
    let url = cfg.database();
    let store = orthrus_store::open_with(&url, cfg.pool())
        .await
        .with_context(|| format!("cannot open the database ({})", redact_url(&url)))?;
    tracing::info!(backend = store.backend(), "database ready");
    // The key ring: the key in use, and the others found in the data
    // directory when needed (during and after a rotation, which may run
    // while this server does).
    let ring = orthrus_crypto::Envelope::new(master.clone());
    let loader = key_loader(cfg.data_dir.clone(), env_key);
    ring.set_loader(Arc::clone(&loader));
    orthrus_app::master_key::check_key(store.as_ref(), &ring)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The hashing keys are kept in the database (sealed under the master
    // key), so that they outlive master-key rotations.
    let keys = orthrus_app::master_key::load_subkeys(store.as_ref(), &ring, &OsEntropy)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = App::new_with_keys(
        store,
        master,
        &keys,
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        cfg.app_config(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    app.share_key_ring(loader, &ring);
    app.bind_master_key()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(app)
}

/// Finds a master key by id: ORTHRUS_MASTER_KEY, or a key file of the data
/// directory (`master.key`, `master.key.new` while a rotation runs,
/// `master.key.old` and `master.key.<id>.old` after one).
fn key_loader(data_dir: std::path::PathBuf, env_key: Option<String>) -> orthrus_crypto::KeyLoader {
    Arc::new(move |id: &str| {
        let from_env = env_key
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| MasterKey::from_base64(v).ok());
        let from_files = std::fs::read_dir(&data_dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("master.key"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter_map(|t| MasterKey::from_base64(&t).ok());
        let found = from_env
            .into_iter()
            .chain(from_files)
            .find(|k| k.id() == id);
        if found.is_some() {
            tracing::info!(key_id = id, "master key added to the key ring");
        }
        found
    })
}

/// Hides the password part of a database URL.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Where a job's working browser profile lives while Chromium runs. A root
/// server starts Chromium as an unprivileged user, who must not reach the
/// data directory (it is 0700): its profiles go to a directory of their own
/// in the temporary directory, which others can cross but not list.
fn profiles_dir(cfg: &Config) -> std::path::PathBuf {
    let root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
    });
    if !root {
        return cfg.data_dir.join("browser-profiles");
    }
    // Made by this process, 0711, owned by root and no link: anything else
    // (a local user who made the name first) is not used.
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    let ours = |d: &std::path::Path| {
        std::fs::symlink_metadata(d)
            .is_ok_and(|m| m.file_type().is_dir() && m.uid() == 0 && m.mode() & 0o022 == 0)
    };
    let dir = std::env::temp_dir().join("orthrus-browser-profiles");
    let _ = std::fs::DirBuilder::new().mode(0o711).create(&dir);
    if ours(&dir) {
        return dir;
    }
    tracing::warn!(path = %dir.display(), "not using a browser-profile directory this server did not make");
    let tag: [u8; 8] = orthrus_core::Entropy::bytes(&OsEntropy);
    let dir = std::env::temp_dir().join(format!(
        "orthrus-browser-profiles-{}",
        orthrus_crypto::hex(&tag)
    ));
    let _ = std::fs::DirBuilder::new().mode(0o711).create(&dir);
    dir
}

/// The recipes this server runs: the built-in ones and the operator's
/// (`automation.recipes_dir`); a broken file stops the start. The app
/// learns from them whose codes and links each app's automations may use
/// (the inbox shows why it leaves other messages alone).
fn load_recipes(app: &App, cfg: &Config) -> anyhow::Result<Arc<orthrus_automation::Recipes>> {
    let dir = Some(cfg.automation.recipes_dir.as_str())
        .filter(|d| !d.is_empty())
        .map(std::path::Path::new);
    let recipes = orthrus_automation::Recipes::load(dir)
        .map_err(|e| anyhow::anyhow!("a recipe is broken: {e}"))?;
    app.set_app_senders(recipes.senders());
    Ok(Arc::new(recipes))
}

/// Scheduled MFA checks queued or running at once (across the nodes): with
/// a pass every two minutes, 500 accounts are checked over a few hours, not
/// all at once.
const MFA_CHECKS_AT_ONCE: i64 = 3;

/// The automation runner of this process.
pub(crate) fn runner(
    app: &App,
    cfg: &Config,
    recipes: &Arc<orthrus_automation::Recipes>,
    n: u32,
) -> orthrus_automation::runner::Runner {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "orthrus".into());
    // Unique even when containers share a hostname and a pid.
    let tag: [u8; 4] = orthrus_core::Entropy::bytes(&OsEntropy);
    let tag = orthrus_crypto::hex(&tag);
    let mut rc = orthrus_automation::runner::RunnerConfig::new(
        format!("{host}-{}-{n}-{tag}", std::process::id()),
        profiles_dir(cfg),
    );
    rc.lease = std::time::Duration::from_secs(cfg.automation.lease_secs);
    rc.person_wait = std::time::Duration::from_secs(cfg.automation.person_wait_secs);
    rc.browser.egress = cfg.egress();
    rc.recipes = Arc::clone(recipes);
    rc.browser.run_as = Some(cfg.automation.browser_user.clone()).filter(|u| !u.is_empty());
    orthrus_automation::runner::Runner::new(app.clone(), rc)
}

/// `orthrus worker`: runs automation jobs until SIGTERM or Ctrl-C.
pub async fn worker(cfg: Config) -> anyhow::Result<()> {
    let app = open_app(&cfg).await?;
    let recipes = load_recipes(&app, &cfg)?;
    let stop = CancellationToken::new();
    let mut runs = Vec::new();
    // Jobs queued through other nodes wake the runners at once (PostgreSQL).
    if let Some(follow) = app.follow_other_nodes() {
        let stop = stop.clone();
        runs.push(tokio::spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = follow => {}
            }
        }));
    }
    for n in 0..cfg.automation.workers.max(1) {
        runs.push(tokio::spawn(
            runner(&app, &cfg, &recipes, n).run(stop.clone()),
        ));
    }
    println!("Orthrus worker is running automation jobs");
    shutdown_signal().await;
    stop.cancel();
    for r in runs {
        r.await.context("the automation worker failed")?;
    }
    Ok(())
}

pub async fn serve(cfg: Config) -> anyhow::Result<()> {
    let app = open_app(&cfg).await?;
    let recipes = load_recipes(&app, &cfg)?;
    let addr = cfg.http_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    let smtp_addr = cfg.smtp_addr()?;
    let smtp_listener = tokio::net::TcpListener::bind(smtp_addr)
        .await
        .with_context(|| format!("cannot listen for SMTP on {smtp_addr}"))?;
    let smtp_bound = smtp_listener.local_addr()?;
    let public_url = cfg.public_url(bound);
    let web = orthrus_web::WebState::new(
        app.clone(),
        orthrus_web::WebConfig {
            public_url: public_url.clone(),
            trust_proxy: cfg.http.trust_proxy,
            max_body_bytes: cfg.http.max_body_bytes,
            master_key_file: std::env::var_os("ORTHRUS_MASTER_KEY")
                .is_none()
                .then(|| cfg.data_dir.join("master.key").display().to_string()),
        },
    );
    app.configure_passkeys(&public_url);
    if cfg.sso.enabled() {
        let client = orthrus_oidc::HttpOidc::new(cfg.sso.oidc(&public_url), app.clock())
            .map_err(|e| anyhow::anyhow!("sso: {e}"))?;
        app.set_sso(Arc::new(client), cfg.sso.settings()?);
        tracing::info!(issuer = %cfg.sso.issuer, "single sign-on is on");
    }
    let setup = web
        .prepare_setup()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let router = orthrus_web::router(web);
    // Metrics (off unless `metrics.listen` is set): their own listener, and
    // the request counts taken on the way through the web router.
    let metrics = match cfg.metrics_addr()? {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for metrics on {addr}"))?;
            Some((
                listener,
                crate::metrics::Metrics::new(&app, cfg.metrics.token.clone()),
            ))
        }
        None => None,
    };
    let router = match &metrics {
        Some((_, m)) => router.layer(axum::middleware::from_fn_with_state(
            m.http.clone(),
            crate::metrics::track,
        )),
        None => router,
    };

    // The supervisor: every long-lived task runs in this set and stops when
    // `stop` is cancelled; the first task to fail stops the others.
    let stop = CancellationToken::new();
    let mut tasks = tokio::task::JoinSet::new();
    {
        let stop = stop.clone();
        tasks.spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
            .context("the HTTP server failed")
        });
    }
    let metrics_bound = match metrics {
        Some((listener, m)) => {
            let bound = listener.local_addr()?;
            let stop = stop.clone();
            tasks.spawn(async move {
                axum::serve(listener, m.router())
                    .with_graceful_shutdown(async move { stop.cancelled().await })
                    .await
                    .context("the metrics listener failed")
            });
            Some(bound)
        }
        None => None,
    };
    // Other nodes' changes (PostgreSQL LISTEN/NOTIFY) wake this node's
    // live pages, `inbox wait` and runners (none on SQLite).
    if let Some(follow) = app.follow_other_nodes() {
        let stop = stop.clone();
        tasks.spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = follow => {}
            }
            Ok(())
        });
    }
    // Automations: `automation.workers` runners in this process (and more
    // with `orthrus worker`).
    for n in 0..cfg.automation.workers {
        let runner = runner(&app, &cfg, &recipes, n);
        let stop = stop.clone();
        tasks.spawn(async move {
            runner.run(stop).await;
            Ok(())
        });
    }
    {
        // A master-key rotation may run while this server does: follow it
        // (seal with the new key once it is announced; the old one stays
        // readable in the ring).
        let (stop, app) = (stop.clone(), app.clone());
        tasks.spawn(async move {
            loop {
                match app.follow_master_key().await {
                    Ok(None) => {}
                    Ok(Some(id)) => tracing::info!(key_id = %id, "sealing with master key"),
                    Err(e) => tracing::warn!(error = %e, "following the master key failed"),
                }
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(orthrus_app::master_key::FOLLOW_EVERY) => {}
                }
            }
        });
    }
    {
        // Scheduled password rotations: queue the due ones every minute
        // (every node does; one of them wins each rotation).
        let (stop, app) = (stop.clone(), app.clone());
        tasks.spawn(async move {
            loop {
                match app.run_due_rotations().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "queued scheduled password rotations"),
                    Err(e) => tracing::warn!(error = %e, "scheduled rotations failed"),
                }
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                }
            }
        });
    }
    {
        // Time-boxed access (issue 15): every minute, delete the memberships
        // that ended (each is already refused at use), audit them, queue
        // the member-left rotations, and sign out guests whose access ended.
        let (stop, app) = (stop.clone(), app.clone());
        tasks.spawn(async move {
            loop {
                match app.expire_access().await {
                    Ok(s) if s == orthrus_app::ExpirySweep::default() => {}
                    Ok(s) => tracing::info!(
                        memberships = s.memberships,
                        guests = s.guests,
                        "ended expired access"
                    ),
                    Err(e) => tracing::warn!(error = %e, "ending expired access failed"),
                }
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                }
            }
        });
    }
    if cfg.automation.mfa_check_interval_days > 0 {
        // Keep MFA on: every few minutes, queue the MFA checks that are
        // due, a few at a time (every node does; storage lets one queue
        // each account's check).
        let (stop, app) = (stop.clone(), app.clone());
        let days = i64::from(cfg.automation.mfa_check_interval_days);
        tasks.spawn(async move {
            loop {
                match app.run_due_mfa_checks(days, MFA_CHECKS_AT_ONCE).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(jobs = n, "queued scheduled MFA checks"),
                    Err(e) => tracing::warn!(error = %e, "scheduled MFA checks failed"),
                }
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(std::time::Duration::from_secs(120)) => {}
                }
            }
        });
    }
    {
        // Retention: delete old inbox messages every hour. Then make the
        // messages stored before the search index existed (or whose
        // indexing failed) searchable: at startup, and hourly after that.
        let (stop, app) = (stop.clone(), app.clone());
        tasks.spawn(async move {
            loop {
                match app.purge_old_messages().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "purged old inbox messages"),
                    Err(e) => tracing::warn!(error = %e, "inbox purge failed"),
                }
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    r = app.index_unindexed_messages() => match r {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(indexed = n, "indexed inbox messages for search"),
                        Err(e) => tracing::warn!(error = %e, "indexing inbox messages for search failed"),
                    },
                }
                match app.purge_old_screenshots().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "purged old automation screenshots"),
                    Err(e) => tracing::warn!(error = %e, "screenshot purge failed"),
                }
                tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    () = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
                }
            }
        });
    }
    {
        let stop = stop.clone();
        let smtp_config = orthrus_smtp::SmtpConfig {
            hostname: cfg.smtp.domain.clone(),
            max_message_bytes: cfg.smtp.max_message_bytes,
            max_connections: cfg.smtp.max_connections,
            max_connections_per_ip: cfg.smtp.max_connections_per_ip,
            command_timeout: std::time::Duration::from_secs(cfg.smtp.command_timeout_secs),
            data_timeout: std::time::Duration::from_secs(cfg.smtp.data_timeout_secs),
            session_timeout: std::time::Duration::from_secs(cfg.smtp.session_timeout_secs),
            tls: if cfg.smtp.tls_cert.is_empty() {
                None
            } else {
                Some(
                    orthrus_smtp::tls_config(&cfg.smtp.tls_cert, &cfg.smtp.tls_key)
                        .map_err(|e| anyhow::anyhow!("smtp.tls_cert/tls_key: {e}"))?,
                )
            },
            ..orthrus_smtp::SmtpConfig::default()
        };
        if !cfg.forward.relay.expose().is_empty() {
            app.set_mailer(Arc::new(cfg.mailer()?));
        }
        let delivery: Arc<dyn orthrus_smtp::Delivery> = Arc::new(
            orthrus_smtp::AppDelivery::new(app.clone(), &cfg.sender_auth()?)
                .map_err(|e| anyhow::anyhow!("smtp.dns_records: {e}"))?,
        );
        tasks.spawn(async move {
            orthrus_smtp::serve(smtp_listener, smtp_config, delivery, stop)
                .await
                .context("the SMTP listener failed")
        });
    }
    {
        let stop = stop.clone();
        tasks.spawn(async move {
            tokio::select! {
                () = shutdown_signal() => tracing::info!("shutting down: draining requests"),
                () = stop.cancelled() => {}
            }
            stop.cancel();
            Ok(())
        });
    }

    if let Some(url) = setup {
        println!(
            "First run: open this link to create your workspace and its owner (every server on this database prints the same link until then):\n\n    {url}\n"
        );
    }
    println!(
        "Managed inbox mail is received on smtp://{smtp_bound} for @{}",
        cfg.smtp.domain
    );
    if let Some(addr) = metrics_bound {
        println!("Metrics are served at http://{addr}/metrics");
    }
    // Printed last, once the socket is bound: scripts wait for this line.
    println!("Orthrus is running at {public_url}");
    tracing::info!(http = %bound, "listening");

    let mut result = Ok(());
    while let Some(joined) = tasks.join_next().await {
        let outcome = joined.map_err(anyhow::Error::from).and_then(|r| r);
        if let Err(e) = outcome {
            tracing::error!(error = %format!("{e:#}"), "a supervised task failed; stopping");
            if result.is_ok() {
                result = Err(e);
            }
        }
        stop.cancel();
    }
    app.store().close().await;
    tracing::info!("stopped");
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
