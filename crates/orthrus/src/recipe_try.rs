//! `orthrus recipe try FILE --flow FLOW --account LABEL`: runs one flow of a
//! recipe file against a real account, in this process, through the same
//! runner as a server's job (placeholders, hooks, waiting for a person,
//! the egress proxy, the browser user, the saved browser profile), and
//! prints each step as it ends with a picture of the page after it, so a
//! person repairing a recipe sees where it breaks. The run is a job of the
//! account like any other: audited, and in its automation log.
//!
//! Exit status: 0 when the flow ends done; 1 when the recipe file is broken
//! or the run fails, waits for a person outside Orthrus (`pause`), is
//! deferred by the app or cancelled; 2 when nothing was run because an
//! input is wrong (no such flow or account, a recipe for another app, a
//! requester who may not run it, …).

use crate::config::Config;
use crate::safe_text::safe;
use clap::Args;
use orthrus_automation::engine::{StepEnd, StepLog, StepOutcome};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

#[derive(Args)]
pub struct TryArgs {
    #[command(flatten)]
    storage: crate::StorageArgs,
    /// The recipe file (TOML)
    file: PathBuf,
    /// The flow to run (login, enable_mfa, … or any flow of the file)
    #[arg(long)]
    flow: String,
    /// The account: its label (ignoring case) or its id
    #[arg(long)]
    account: String,
    /// The member the job acts for [default: the workspace's only Owner]
    #[arg(long = "as", value_name = "EMAIL")]
    as_email: Option<String>,
    /// Where the pictures go (made 0700) [default: ./recipe-try-<UTC time>]
    #[arg(long, value_name = "DIR")]
    shots: Option<PathBuf>,
}

/// Nothing was run: an input is wrong.
fn refuse(msg: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("error: {msg}");
    Ok(ExitCode::from(2))
}

pub async fn run(a: TryArgs) -> anyhow::Result<ExitCode> {
    let recipe = match orthrus_automation::parse_recipe_file(&a.file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    if !recipe.flows.contains_key(&a.flow) {
        let mut flows: Vec<&str> = recipe.flows.keys().map(String::as_str).collect();
        flows.sort_unstable();
        return refuse(format!(
            "{} has no flow {:?}; its flows: {}",
            a.file.display(),
            safe(&a.flow),
            flows.join(", ")
        ));
    }
    let cfg = crate::config::load(&crate::overrides(&a.storage))?;
    init_logging();
    let app = crate::serve::open_app(&cfg).await?;
    // A code the flow waits for may reach another node (PostgreSQL).
    if let Some(follow) = app.follow_other_nodes() {
        tokio::spawn(follow);
    }
    let code = try_flow(&app, &cfg, &a, recipe).await;
    app.store().close().await;
    code
}

/// Warnings (a profile that could not be restored, …) on standard error.
fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .with_writer(std::io::stderr)
        .try_init();
}

async fn try_flow(
    app: &orthrus_app::App,
    cfg: &Config,
    a: &TryArgs,
    recipe: orthrus_automation::recipe::Recipe,
) -> anyhow::Result<ExitCode> {
    let actor = match app.local_requester(a.as_email.as_deref()).await {
        Ok(actor) => actor,
        Err(e) => return refuse(e),
    };
    let found = app
        .accounts_named(&actor, &a.account)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let account = match found.as_slice() {
        [one] => one.clone(),
        [] => {
            return refuse(format!(
                "no account is labelled or has the id {:?}",
                safe(&a.account)
            ));
        }
        many => {
            let ids: Vec<String> = many
                .iter()
                .map(|m| format!("  {} ({}, app {:?})", m.id, safe(&m.label), safe(&m.app)))
                .collect();
            return refuse(format!(
                "{} accounts are labelled {:?}; give the id of the one to try with --account:\n{}",
                many.len(),
                safe(&a.account),
                ids.join("\n")
            ));
        }
    };
    if account.app != recipe.app {
        return refuse(format!(
            "{} is a recipe for the app {:?}, but the account {:?} is of the app {:?}",
            a.file.display(),
            safe(&recipe.app),
            safe(&account.label),
            safe(&account.app)
        ));
    }
    let dir = match &a.shots {
        Some(d) => d.clone(),
        None => PathBuf::from(format!("recipe-try-{}", stamp(&app.now().to_rfc3339()))),
    };
    let dir = match private_dir(&dir) {
        Ok(d) => d,
        Err(e) => {
            return refuse(format!(
                "cannot make the pictures folder {}: {e}",
                dir.display()
            ));
        }
    };
    // The built-in recipes; the tried one replaces its app's. Other files
    // of `automation.recipes_dir` play no part in this job.
    let builtin = Arc::new(orthrus_automation::Recipes::load(None).unwrap_or_default());
    let runner = crate::serve::runner(app, cfg, &builtin, 0);
    let lease = i64::try_from(runner.lease().as_secs()).unwrap_or(30);
    let file_name = a.file.file_name().map_or_else(
        || a.file.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let job = match app
        .start_tried_automation(
            &actor,
            account.id,
            &a.flow,
            &file_name,
            runner.worker_id(),
            app.now().plus_seconds(lease),
        )
        .await
    {
        Ok(j) => j,
        Err(e) => {
            let why = match e {
                orthrus_app::AppError::Forbidden
                | orthrus_app::AppError::NotFound(orthrus_app::Entity::Account) => format!(
                    "{} may not run the {} flow on {:?} ({e}; any flow but login is an Owner's automation); name a member who may with --as EMAIL",
                    actor.email,
                    safe(&a.flow),
                    safe(&account.label)
                ),
                _ => e.to_string(),
            };
            return refuse(why);
        }
    };
    let site = if cfg.http.public_url.is_empty() {
        format!("http://{}", cfg.http.listen)
    } else {
        cfg.http.public_url.trim_end_matches('/').to_owned()
    };
    let job_page = format!("{site}/automations/{}", job.id);
    println!(
        "Trying the {} flow of {} on the account {:?} (app {}) as {}",
        safe(&a.flow),
        a.file.display(),
        safe(&account.label),
        safe(&account.app),
        actor.email
    );
    println!(
        "This is a real sign-in, recorded as job {} in the account's automation log: {job_page}",
        job.id
    );
    println!("Pictures of each step go to {}", dir.display());

    let current = Arc::new(Mutex::new(None));
    let mut watch = Watch {
        dir: dir.clone(),
        count: 0,
        open: HashMap::new(),
        pictures: HashMap::new(),
        failed: None,
        last_url: None,
        current: Arc::clone(&current),
    };
    let stop = CancellationToken::new();
    let asking = {
        let (app, actor, id, current, stop) = (
            app.clone(),
            actor.clone(),
            job.id,
            Arc::clone(&current),
            stop.clone(),
        );
        let wait_min = cfg.automation.person_wait_secs.div_ceil(60);
        tokio::spawn(async move {
            let mut told = None;
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {
                        println!("Stopping: the job ends cancelled.");
                        stop.cancel();
                        return;
                    }
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
                let Ok(j) = app.automation_job(&actor, id).await else {
                    continue;
                };
                let question = j
                    .question
                    .filter(|_| j.state == orthrus_core::JobState::Waiting);
                let key = question.as_ref().map(|q| q.prompt.clone());
                if let Some(q) = question
                    && told != key
                {
                    let step = current
                        .lock()
                        .ok()
                        .and_then(|c| c.clone())
                        .map(|(n, name): (i64, String)| {
                            format!(" at step {n:02} ({})", safe(&name))
                        })
                        .unwrap_or_default();
                    println!("   waiting for a person{step}: {}", safe(&q.prompt));
                    println!(
                        "   answer it on the job's page, {job_page} (or POST /api/v1/jobs/{id}/answer); nobody answering within {wait_min} min fails the job"
                    );
                }
                told = key;
            }
        })
    };
    let (state, error) = runner
        .run_held_job(job, Some(recipe), &mut watch, &stop)
        .await;
    asking.abort();
    let pictures = watch.pictures.len();
    if state == orthrus_core::JobState::Succeeded {
        println!(
            "done: the {} flow ended after {} steps; {pictures} pictures in {}",
            safe(&a.flow),
            watch.count,
            dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{state}: {}",
        safe(error.as_deref().unwrap_or("no reason given"))
    );
    match &watch.failed {
        Some((n, name, url)) => {
            let picture = watch
                .pictures
                .get(n)
                .map(|p| format!("; its picture: {}", p.display()))
                .unwrap_or_default();
            println!(
                "   at step {n:02} ({}) on {}{picture}",
                safe(name),
                safe(url.as_deref().unwrap_or("no page"))
            );
        }
        None => {
            if let Some(url) = &watch.last_url {
                println!("   the last page was {}", safe(url));
            }
        }
    }
    Ok(ExitCode::from(1))
}

/// `2025-03-04T05:06:07.890Z` as `20250304T050607Z`.
fn stamp(rfc3339: &str) -> String {
    let s: String = rfc3339
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("{s}Z")
}

/// Makes `dir` (and its parents) and keeps it to this user: the pictures
/// show the account's pages. Its absolute path, for the messages.
fn private_dir(dir: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    std::fs::canonicalize(dir)
}

/// A step name as a file name: `type the password` -> `type-the-password`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "step".into()
    } else {
        out.to_owned()
    }
}

/// Prints each step as it ends and keeps a picture of the page after it.
struct Watch {
    dir: PathBuf,
    /// Steps started so far; a step's number is its handle.
    count: i64,
    /// Steps started and not ended, by number.
    open: HashMap<i64, String>,
    pictures: HashMap<i64, PathBuf>,
    /// The last step that did not end ok: number, name, page.
    failed: Option<(i64, String, Option<String>)>,
    last_url: Option<String>,
    /// The innermost step running (for "waiting for a person").
    current: Arc<Mutex<Option<(i64, String)>>>,
}

impl Watch {
    fn set_current(&self) {
        let inner = self
            .open
            .iter()
            .max_by_key(|(n, _)| **n)
            .map(|(n, name)| (*n, name.clone()));
        if let Ok(mut c) = self.current.lock() {
            *c = inner;
        }
    }
}

#[async_trait::async_trait]
impl StepLog for Watch {
    async fn started(&mut self, name: &str) -> i64 {
        self.count += 1;
        self.open.insert(self.count, name.to_owned());
        self.set_current();
        self.count
    }

    async fn finished(&mut self, handle: i64, end: StepEnd<'_>) {
        let StepEnd {
            outcome,
            url,
            detail,
        } = end;
        let name = self.open.remove(&handle).unwrap_or_default();
        self.set_current();
        // The engine gives templates (`typed {password}`), never values.
        let detail = detail.map(|d| format!(": {}", safe(d))).unwrap_or_default();
        println!(
            "{handle:02} {:<7} {}{detail}",
            outcome.as_str(),
            safe(&name)
        );
        let picture = self
            .pictures
            .get(&handle)
            .and_then(|p| p.file_name())
            .map(|f| format!(", picture {}", f.to_string_lossy()))
            .unwrap_or_default();
        println!("   page {}{picture}", safe(url.unwrap_or("(none)")));
        if url.is_some() {
            self.last_url = url.map(str::to_owned);
        }
        if outcome != StepOutcome::Ok {
            self.failed = Some((handle, name, url.map(str::to_owned)));
        }
    }

    fn wants_page_shots(&self) -> bool {
        true
    }

    async fn page_shot(&mut self, handle: i64, png: Vec<u8>) {
        let name = self.open.get(&handle).map_or("step", String::as_str);
        let path = self.dir.join(format!("{handle:02}-{}.png", slug(name)));
        let written = {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&path)
                .and_then(|mut f| f.write_all(&png))
        };
        match written {
            Ok(()) => {
                self.pictures.insert(handle, path);
            }
            Err(e) => eprintln!("warning: cannot write {}: {e}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn step_names_as_file_names() {
        assert_eq!(super::slug("type the password"), "type-the-password");
        assert_eq!(super::slug("  Log in!  "), "log-in");
        assert_eq!(super::slug("ünïcode"), "n-code");
        assert_eq!(super::slug("…"), "step");
        assert!(super::slug(&"a ".repeat(100)).len() <= 48);
        assert_eq!(super::stamp("2025-03-04T05:06:07.890Z"), "20250304T050607Z");
    }
}
