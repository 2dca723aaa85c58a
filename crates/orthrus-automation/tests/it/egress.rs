//! The automation browser cannot reach internal addresses (issue 11,
//! finding 1): an allowed page that redirects to, embeds or fetches an
//! internal one, a name that resolves to 127.0.0.1, and the browser's own
//! chromedriver port are all refused by its egress proxy, and nothing
//! reaches the internal server. Chromium itself never runs as root.

use orthrus_app::egress::{Egress, StaticResolver, SystemResolver};
use orthrus_automation::browser::{Browser, BrowserOptions};
use orthrus_core::egress::PrivateHostAllowList;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use thirtyfour::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A tiny HTTP server answering every request with `body` (and a
/// `Location` when given); it counts the requests it got.
async fn http_server(
    status: &'static str,
    location: Option<String>,
    body: String,
) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let (location, body) = (location.clone(), body.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let loc = location
                    .map(|l| format!("Location: {l}\r\n"))
                    .unwrap_or_default();
                let msg = format!(
                    "HTTP/1.1 {status}\r\n{loc}Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(msg.as_bytes()).await;
            });
        }
    });
    (port, hits)
}

fn egress(allow: &[String], names: &[(&str, &str)]) -> Egress {
    let map: HashMap<String, Vec<std::net::IpAddr>> = names
        .iter()
        .map(|(n, a)| ((*n).to_owned(), vec![a.parse().unwrap()]))
        .collect();
    Egress::new(
        PrivateHostAllowList::parse(allow.iter().map(String::as_str)).unwrap(),
        if map.is_empty() {
            Arc::new(SystemResolver)
        } else {
            Arc::new(StaticResolver(map))
        },
    )
}

async fn source(d: &WebDriver, url: &str) -> String {
    // A refused navigation is an error page, not a WebDriver error.
    let _ = d.goto(url).await;
    d.source().await.unwrap_or_default()
}

#[tokio::test]
async fn the_automation_browser_reaches_no_internal_address() {
    let (internal, internal_hits) = http_server("200 OK", None, "INTERNAL-SECRET".into()).await;
    let page = format!(
        "<html><body>public page<img src='http://127.0.0.1:{internal}/pixel'>\
         <iframe src='http://localhost:{internal}/frame'></iframe>\
         <script>fetch('http://127.0.0.1:{internal}/api').catch(()=>{{}});</script></body></html>"
    );
    let (public, _) = http_server("200 OK", None, page).await;
    let (redirector, _) = http_server(
        "302 Found",
        Some(format!("http://localhost:{internal}/secret")),
        String::new(),
    )
    .await;
    // The pages stand for public sites: the operator allowed exactly them.
    let allow = [
        format!("127.0.0.1:{public}"),
        format!("127.0.0.1:{redirector}"),
    ];
    let opts = BrowserOptions {
        egress: egress(&allow, &[("rebind.test", "127.0.0.1")]),
        ..BrowserOptions::default()
    };
    let profile = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&opts, profile.path()).await.unwrap();
    let d = browser.driver().unwrap();

    // An allowed page loads.
    let html = source(d, &format!("http://127.0.0.1:{public}/")).await;
    assert!(html.contains("public page"), "{html}");
    // Its image, frame and fetch to the internal server are refused.
    for _ in 0..50 {
        if browser.refused().len() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A redirect from an allowed page to an internal one.
    let html = source(d, &format!("http://127.0.0.1:{redirector}/login")).await;
    assert!(!html.contains("INTERNAL-SECRET"), "{html}");
    // The internal server itself, by address and by names resolving to it.
    for url in [
        format!("http://127.0.0.1:{internal}/"),
        format!("http://localhost:{internal}/"),
        format!("http://rebind.test:{internal}/"),
        format!("http://[::ffff:127.0.0.1]:{internal}/"),
    ] {
        let html = source(d, &url).await;
        assert!(!html.contains("INTERNAL-SECRET"), "{url}: {html}");
    }
    let refused = browser.refused();
    assert!(
        refused.len() >= 7,
        "every internal request is refused by the proxy: {refused:?}"
    );
    assert!(
        refused.iter().any(|r| r.contains("rebind.test")),
        "{refused:?}"
    );
    assert_eq!(
        internal_hits.load(Ordering::SeqCst),
        0,
        "nothing reached the internal server"
    );
    browser.quit().await;
}

/// The uid of every process in a process group.
fn uids_in_group(group: u32) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        // Fields after the name: state, ppid, pgrp, …
        if rest.split_whitespace().nth(2).and_then(|g| g.parse().ok()) != Some(group) {
            continue;
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let name = status
            .lines()
            .find_map(|l| l.strip_prefix("Name:"))
            .unwrap_or("")
            .trim()
            .to_owned();
        let uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|u| u.parse().ok())
            .unwrap_or(0);
        out.push((name, uid));
    }
    out
}

#[tokio::test]
async fn control_ports_are_refused_and_chromium_keeps_its_sandbox() {
    // Even an allow list naming all of 127.0.0.1 leaves chromedriver's
    // port shut.
    let opts = BrowserOptions {
        egress: egress(&["127.0.0.1".into()], &[]),
        ..BrowserOptions::default()
    };
    let profile = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&opts, profile.path()).await.unwrap();
    let d = browser.driver().unwrap();
    // By address, and in the IPv4-mapped IPv6 spelling of it.
    for url in [
        format!("http://127.0.0.1:{}/status", browser.driver_port()),
        format!("http://[::ffff:7f00:1]:{}/status", browser.driver_port()),
    ] {
        let html = source(d, &url).await;
        assert!(!html.contains("\"ready\""), "{url}: {html}");
    }
    assert!(
        browser
            .refused()
            .iter()
            .filter(|r| r.contains("control port"))
            .count()
            >= 2,
        "{:?}",
        browser.refused()
    );
    let procs = uids_in_group(browser.process_group().unwrap());
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
    if root {
        let chromium: Vec<_> = procs
            .iter()
            .filter(|(n, _)| n.starts_with("chrom"))
            .collect();
        assert!(!chromium.is_empty(), "{procs:?}");
        assert!(
            chromium.iter().all(|(_, uid)| *uid != 0),
            "Chromium runs as an unprivileged user, not root: {procs:?}"
        );
    }
    println!("Chromium sandboxed: {}", browser.sandboxed());
    browser.quit().await;
}
