//! `orthrus inbox wait`: the account's next message with a code or a link.

use super::{Client, print_json, send, understand};
use crate::safe_text::safe;
use anyhow::Context;
use clap::Subcommand;
use orthrus_app::InboxItem;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum InboxCommand {
    /// Wait for the account's next message with a code or a confirmation
    /// link and print the code (or the link). Exits 2 if nothing arrives.
    Wait {
        /// The account's label or id
        account: String,
        /// Seconds to wait (at most 120)
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=120))]
        timeout: u64,
        /// Also accept messages received since this RFC 3339 time (default: now)
        #[arg(long)]
        since: Option<String>,
        /// Print the whole message as JSON
        #[arg(long)]
        json: bool,
    },
}

/// `orthrus inbox ...`
pub async fn inbox(cmd: InboxCommand) -> anyhow::Result<ExitCode> {
    let InboxCommand::Wait {
        account,
        timeout,
        since,
        json,
    } = cmd;
    let c = Client::new()?;
    let id = c.resolve(&account).await?.id;
    let mut url = reqwest::Url::parse(&c.url("/inbox/wait")).context("bad server URL")?;
    url.query_pairs_mut()
        .append_pair("account_id", &id)
        .append_pair("timeout", &timeout.to_string());
    if let Some(s) = &since {
        url.query_pairs_mut().append_pair("since", s);
    }
    let v = send(c.http.get(url).bearer_auth(&c.stored.token)).await?;
    // 204: nothing arrived in time.
    if v.is_null() {
        eprintln!("Nothing arrived for {account} within {timeout} s.");
        return Ok(ExitCode::from(2));
    }
    let item: InboxItem = understand(&v)?;
    if json {
        print_json(&v)?;
    } else if let Some(code) = &item.code {
        println!("{}", safe(code));
    } else {
        println!("{}", safe(item.confirm_link.as_deref().unwrap_or_default()));
    }
    Ok(ExitCode::SUCCESS)
}
