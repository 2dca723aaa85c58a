//! Benchmark (issue 14, item 5): inbox search and paging over 10,000
//! messages through `App::list_inbox` (keyed hashes of the query words,
//! the SQL intersection, opening the page), on SQLite and, when
//! `ORTHRUS_TEST_DATABASE_URL` is set, PostgreSQL. Prints figures; it is
//! not a timed test.
//!
//! `cargo bench -p orthrus-app --bench inbox_search` (release build).
//! `BENCH_MESSAGES` (default 10000), `BENCH_ROUNDS` (default 50).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use orthrus_app::{InboxLimits, InboxQuery};
use std::time::{Duration, Instant};

// The `it` suite's harness: its `TestApp` and an account with an address.
#[allow(dead_code)]
#[path = "../tests/it/support.rs"]
mod support;

use support::{TestApp, account_with_address};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A vocabulary of 2,000 made-up words; each message uses 40 of them, so
/// a word is in about 2 % of messages.
fn word(n: usize) -> String {
    const SYL: [&str; 20] = [
        "ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "pe", "du", "ga", "hi", "jo", "ku", "le",
        "mo", "na", "po", "ru", "si",
    ];
    format!(
        "{}{}{}",
        SYL[n % 20],
        SYL[(n / 20) % 20],
        SYL[(n / 400) % 20]
    )
}

fn email(i: usize) -> Vec<u8> {
    let mut body = String::new();
    let mut x = i.wrapping_mul(2_654_435_761) % 2_000;
    for _ in 0..40 {
        x = (x * 1_103 + 12_345) % 2_000;
        body.push_str(&word(x));
        body.push(' ');
    }
    let rare = if i == 0 { " zanzibar" } else { "" };
    format!(
        "From: Instagram <security@mail.instagram.com>\r\nTo: team\r\nSubject: {:06} is your Instagram code\r\nMessage-ID: <s-{i}@mail.instagram.com>\r\n\r\nHi, use the code to log in. {body}{rare}\r\n",
        i % 1_000_000
    )
    .into_bytes()
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "p50 {:>7.2} ms  p99 {:>7.2} ms",
        ms(v[v.len() / 2]),
        ms(v[(v.len() * 99 / 100).min(v.len() - 1)])
    )
}

async fn run(label: &str, url: &str) {
    let t = TestApp::open(url, tempfile::tempdir().unwrap(), |c| {
        c.inbox_limits = InboxLimits {
            address_messages_per_minute: i64::MAX,
            workspace_messages_per_minute: i64::MAX,
            address_storage_bytes: i64::MAX,
            workspace_storage_bytes: i64::MAX,
        };
    })
    .await;
    let (app, owner, clock) = (&t.app, &t.owner, &t.clock);
    let (_, address) = account_with_address(app, owner, "http://127.0.0.1:9/login").await;
    let total = env_num("BENCH_MESSAGES", 10_000);
    let start = Instant::now();
    for i in 0..total {
        clock.advance_secs(1);
        app.ingest_email(std::slice::from_ref(&address), &email(i), None)
            .await
            .unwrap();
    }
    let ingest = start.elapsed().as_secs_f64();

    let rounds = env_num("BENCH_ROUNDS", 50);
    let time = |q: InboxQuery, expect: Option<usize>| {
        let (app, owner) = (app.clone(), owner.clone());
        async move {
            let mut v = Vec::new();
            for _ in 0..rounds {
                let t = Instant::now();
                let items = app.list_inbox(&owner, &q).await.unwrap();
                v.push(t.elapsed());
                if let Some(n) = expect {
                    assert_eq!(items.len(), n);
                }
            }
            stats(v)
        }
    };
    let search = |text: &str| InboxQuery {
        search: Some(text.into()),
        ..InboxQuery::default()
    };
    let rare = time(search("zanzibar"), Some(1)).await;
    let common = time(search("instagram code"), Some(100)).await;
    let two = time(search(&format!("{} {}", word(7), word(1_234))), None).await;
    let first_page = time(InboxQuery::default(), Some(100)).await;

    // Every message, 500 at a time.
    let t = Instant::now();
    let (mut seen, mut before) = (0, None);
    loop {
        let page = app
            .list_inbox(
                owner,
                &InboxQuery {
                    limit: Some(500),
                    before: before.clone(),
                    ..InboxQuery::default()
                },
            )
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.id.clone());
        seen += page.len();
    }
    assert_eq!(seen, total);
    let all = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{label}: {total} messages ingested at {:.0}/s (index written at ingest)",
        total as f64 / ingest
    );
    println!("  search, one rare word (1 hit, the oldest):     {rare}");
    println!("  search, two words in every message (page 100): {common}");
    println!("  search, two words of ~2 % each:                {two}");
    println!("  first page, no filter (100):                   {first_page}");
    println!("  paging through all {total} with before= (500 a page): {all:.0} ms");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        orthrus_store::testing::each_backend(dir.path(), "searchbench", |label, url| async move {
            run(label, &url).await;
        })
        .await
        .unwrap();
    });
}
