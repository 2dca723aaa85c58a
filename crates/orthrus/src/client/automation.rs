//! `orthrus automate`: starts an automation on an account and follows its
//! job, answering its questions here with `--ask`.

use super::{Client, api_code, print_json, prompt, understand, write_private_file};
use crate::safe_text::safe;
use clap::Args;
use orthrus_app::JobView;
use orthrus_core::{JobState, QuestionKind, StepOutcome};
use orthrus_web::dto::Started;
use serde::Serialize;
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Args)]
pub struct AutomateArgs {
    /// The account's label or id
    account: String,
    /// What to do: login, enable_mfa, rotate_password or swap_email
    kind: String,
    /// Start it and print the job id without following it
    #[arg(long)]
    no_wait: bool,
    #[arg(long)]
    json: bool,
    /// When the job needs a person, answer here: a CAPTCHA's picture is
    /// saved to a file and the answer read from standard input
    #[arg(long)]
    ask: bool,
}

/// `POST /accounts/{id}/automations`.
#[derive(Serialize)]
struct StartBody<'a> {
    kind: &'a str,
}

/// `POST /jobs/{id}/answer`.
#[derive(Serialize)]
struct AnswerBody<'a> {
    answer: &'a str,
}

/// Starts an automation and follows its steps until it ends. Exit status:
/// 0 succeeded, 1 failed or cancelled, 3 deferred (it will run again).
pub async fn automate(a: AutomateArgs) -> anyhow::Result<ExitCode> {
    let c = Client::new()?;
    let id = c.resolve(&a.account).await?.id;
    let body = StartBody { kind: &a.kind };
    let path = format!("/accounts/{id}/automations");
    let raw = c.with_step_up(|| c.post(&path, &body)).await?;
    let started: Started = understand(&raw)?;
    let job = safe(&started.job_id).into_owned();
    if a.no_wait {
        if a.json {
            print_json(&raw)?;
        } else {
            println!("{job}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("Started {} on {} (job {job}).", a.kind, a.account);
    let mut shown = 0usize;
    // The question last shown (its prompt and the steps so far: a CAPTCHA
    // asked again comes after new steps).
    let mut asked: Option<String> = None;
    loop {
        let raw = c.get(&format!("/jobs/{job}")).await?;
        let v: JobView = understand(&raw)?;
        for s in v.steps.iter().skip(shown) {
            let Some(outcome) = s.outcome else {
                break;
            };
            let mark = match outcome {
                StepOutcome::Ok => "ok  ",
                StepOutcome::Failed => "FAIL",
                StepOutcome::Paused => "wait",
            };
            let detail = s
                .detail
                .as_deref()
                .map(|d| format!(" ({})", safe(d)))
                .unwrap_or_default();
            eprintln!("  {mark} {}{detail}", safe(&s.name));
            shown += 1;
        }
        // Once per question: where a person answers it (or here, --ask).
        let steps_so_far = v.steps.len();
        match v.question.as_ref().map(|q| q.prompt.as_str()) {
            Some(prompt) if asked.as_deref() != Some(&format!("{prompt}|{steps_so_far}")) => {
                eprintln!("  needs a person: {}", safe(prompt));
                if a.ask {
                    if let Err(e) = answer_here(&c, &job, &v).await {
                        eprintln!("  {e:#}");
                    }
                } else {
                    eprintln!(
                        "  Answer on the job's page (/automations/{job}), with POST /api/v1/jobs/{job}/answer, or follow it with --ask."
                    );
                }
                asked = Some(format!("{prompt}|{steps_so_far}"));
            }
            Some(_) => {}
            None => asked = None,
        }
        let done = match v.state {
            JobState::Succeeded => Some(ExitCode::SUCCESS),
            JobState::Failed | JobState::Cancelled => Some(ExitCode::from(1)),
            JobState::Deferred => Some(ExitCode::from(3)),
            JobState::Queued | JobState::Running | JobState::Waiting => None,
        };
        if let Some(code) = done {
            if a.json {
                print_json(&raw)?;
            } else {
                println!("{}", v.state);
                if let Some(e) = &v.error {
                    eprintln!("{}", safe(e));
                }
            }
            return Ok(code);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Answers a job's question from the terminal (`automate --ask`).
async fn answer_here(c: &Client, job: &str, v: &JobView) -> anyhow::Result<()> {
    let path = format!("/jobs/{job}/answer");
    if v.question
        .as_ref()
        .is_some_and(|q| q.kind == QuestionKind::BackupCode)
    {
        // Consent is typed by a person, never piped in.
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "  Allow it on the job's page (/automations/{job}): consent needs a terminal here."
            );
            return Ok(());
        }
        let yes = prompt("  Allow a backup code? (yes/no)", false)?;
        if !yes.trim().eq_ignore_ascii_case("yes") && !yes.trim().eq_ignore_ascii_case("y") {
            eprintln!("  Not allowed: the job waits (cancel it, or allow on its page).");
            return Ok(());
        }
        let yes = AnswerBody { answer: "yes" };
        c.with_step_up(|| c.post(&path, &yes)).await?;
        eprintln!("  Allowed.");
        return Ok(());
    }
    let picture = match v.screenshot_url.as_deref() {
        Some(url) => {
            let png = c.get_bytes(url.trim_start_matches("/api/v1")).await?;
            let file = private_temp_file(&png)?;
            eprintln!("  The picture: {}", file.display());
            Some(file)
        }
        None => None,
    };
    let answer = prompt("  Answer", false);
    if let Some(f) = &picture {
        let _ = std::fs::remove_file(f);
    }
    let answer = answer?;
    match c.post(&path, &AnswerBody { answer: &answer }).await {
        Ok(_) => eprintln!("  Answered."),
        Err(e) if api_code(&e) == Some("automation.not_waiting") => {
            eprintln!("  Someone answered already (or the job stopped waiting).");
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Writes `bytes` to a new file only the current user can read, under a
/// random name in the temporary directory (never over an existing file).
fn private_temp_file(bytes: &[u8]) -> anyhow::Result<std::path::PathBuf> {
    let tag: [u8; 8] = orthrus_core::Entropy::bytes(&orthrus_core::OsEntropy);
    let file = std::env::temp_dir().join(format!("orthrus-{}.png", orthrus_crypto::hex(&tag)));
    write_private_file(&file, bytes, true)?;
    Ok(file)
}
