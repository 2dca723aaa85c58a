//! Three `orthrus serve` nodes on one PostgreSQL database behind a
//! round-robin load balancer (a small reverse proxy in the test, as nginx
//! or Caddy would be): first-run setup, sign-in and a passkey's
//! registration and step-up split across nodes in Chromium; a message
//! received by node A's SMTP listener shown live on node C's inbox page; a
//! job started through node B run once; node B killed mid-job and its job
//! finished by another node. Skipped without `ORTHRUS_TEST_DATABASE_URL`.

use crate::passkeys::register_a_passkey_and_reveal_with_it;
use crate::scene::{step_attempts, wait_for_end};
use crate::support::chromium::{browser_sized, chromedriver};
use crate::support::*;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use thirtyfour::prelude::*;

/// The load balancer: every request goes to the next node in turn (no
/// sticky sessions), except that a ceremony's `…/finish` never goes to the
/// node that served its `…/start`, so the split is certain, not likely.
struct Balancer {
    nodes: RwLock<Vec<String>>,
    next: AtomicUsize,
    last_start: Mutex<Option<String>>,
    /// (path, node) of every request, in order.
    log: Mutex<Vec<(String, String)>>,
    client: reqwest::Client,
}

impl Balancer {
    fn pick(&self, path: &str) -> String {
        let nodes = self.nodes.read().unwrap().clone();
        let mut i = self.next.fetch_add(1, Ordering::SeqCst) % nodes.len();
        if path.ends_with("/finish")
            && nodes.len() > 1
            && self.last_start.lock().unwrap().as_deref() == Some(nodes[i].as_str())
        {
            i = (i + 1) % nodes.len();
        }
        if path.ends_with("/start") {
            *self.last_start.lock().unwrap() = Some(nodes[i].clone());
        }
        self.log
            .lock()
            .unwrap()
            .push((path.to_owned(), nodes[i].clone()));
        nodes[i].clone()
    }

    /// The nodes that served requests to `path`, in order.
    fn served(&self, path: &str) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, n)| n.clone())
            .collect()
    }
}

/// Forwards one request as a reverse proxy does: the client's Host kept,
/// the answer streamed back (server-sent events included).
async fn forward(
    axum::extract::State(lb): axum::extract::State<Arc<Balancer>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let hop = |k: &str| {
        matches!(
            k,
            "connection" | "keep-alive" | "transfer-encoding" | "content-length" | "upgrade"
        )
    };
    let node = lb.pick(req.uri().path());
    let target = format!(
        "{node}{}",
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 32 << 20).await else {
        return (axum::http::StatusCode::BAD_REQUEST, "body").into_response();
    };
    let mut rb = lb.client.request(parts.method, target).body(body);
    for (k, v) in &parts.headers {
        if !hop(k.as_str()) {
            rb = rb.header(k, v);
        }
    }
    match rb.send().await {
        Ok(resp) => {
            let mut out = axum::http::Response::builder().status(resp.status());
            for (k, v) in resp.headers() {
                if !hop(k.as_str()) {
                    out = out.header(k, v);
                }
            }
            let stream = futures_util::stream::unfold(resp, |mut r| async move {
                match r.chunk().await {
                    Ok(Some(c)) => Some((Ok::<_, std::io::Error>(c), r)),
                    _ => None,
                }
            });
            out.body(axum::body::Body::from_stream(stream))
                .unwrap_or_else(|e| {
                    (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response()
                })
        }
        Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// Starts the balancer on a free loopback port; it and its port.
async fn balancer() -> (Arc<Balancer>, u16) {
    let lb = Arc::new(Balancer {
        nodes: RwLock::new(Vec::new()),
        next: AtomicUsize::new(0),
        last_start: Mutex::new(None),
        log: Mutex::new(Vec::new()),
        client: http(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .fallback(forward)
        .with_state(Arc::clone(&lb));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (lb, port)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One node: `orthrus serve` on its own port and data directory, on the
/// shared database, presenting the balancer's address as its public URL.
struct Node {
    server: Server,
    /// Its own address (for the balancer, and to reach this node alone).
    direct: String,
    port: u16,
}

fn node(dir: &std::path::Path, name: &str, database_url: &str, public: &str) -> Node {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let storage = Storage {
        data_dir: dir.join(name),
        database_url: Some(database_url.to_owned()),
    };
    let server = Server::start_env(
        &storage,
        "info",
        &["--http", &listen, "--public-url", public],
        &[
            // A dead node's job is taken over once its lease runs out.
            ("ORTHRUS_AUTOMATION_LEASE_SECS", "3"),
            // The sandbox app runs on loopback.
            ("ORTHRUS_AUTOMATION_ALLOWED_PRIVATE_HOSTS", "127.0.0.1"),
        ],
    );
    Node {
        server,
        direct: format!("http://{listen}"),
        port,
    }
}

/// The pid in a runner's worker id (`host-pid-n-tag`).
fn worker_pid(worker: &str) -> u32 {
    let mut parts = worker.rsplitn(4, '-');
    let (_tag, _n, pid) = (parts.next(), parts.next(), parts.next());
    pid.and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no pid in worker id {worker}"))
}

/// Follows job `job` until it ends: the pid of every node that held it,
/// in order (the worker id is cleared when a job ends, so it is watched).
fn watch_workers(db: sqlx::PgPool, job: String) -> tokio::task::JoinHandle<Vec<u32>> {
    tokio::spawn(async move {
        let mut held: Vec<u32> = Vec::new();
        loop {
            let (worker, state): (Option<String>, String) =
                sqlx::query_as("SELECT worker, state FROM automation_jobs WHERE id = $1")
                    .bind(&job)
                    .fetch_one(&db)
                    .await
                    .unwrap();
            if let Some(pid) = worker.as_deref().map(worker_pid)
                && held.last() != Some(&pid)
            {
                held.push(pid);
            }
            if matches!(state.as_str(), "succeeded" | "failed" | "cancelled") {
                return held;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// How many times the job took the account's credentials (once a run).
async fn credential_uses(c: &reqwest::Client, base: &str, t: &str, job: &str) -> usize {
    let (s, ev) = get(
        c,
        &format!("{base}/api/v1/audit?action=automation.credentials_use"),
        t,
    )
    .await;
    assert_eq!(s, 200, "{ev}");
    ev.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"]["job_id"] == job)
        .count()
}

#[tokio::test]
async fn three_nodes_on_one_postgresql_behind_a_round_robin_balancer() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(base) = orthrus_store::testing::pg_base_url() else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: the three-node test skipped");
        return;
    };
    let db_url = orthrus_store::testing::pg_scratch_database(&base, "cluster")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (lb, lb_port) = balancer().await;
    // Passkeys need a host name: the relying party is `localhost`.
    let public = format!("http://localhost:{lb_port}");
    let mut a = node(dir.path(), "a", &db_url, &public);
    let mut b = node(dir.path(), "b", &db_url, &public);
    let mut c_node = node(dir.path(), "c", &db_url, &public);
    *lb.nodes.write().unwrap() = vec![a.direct.clone(), b.direct.clone(), c_node.direct.clone()];
    let logs = |nodes: &[&Node]| {
        nodes
            .iter()
            .map(|n| format!("--- {}\n{}", n.direct, n.server.logs()))
            .collect::<Vec<_>>()
            .join("\n")
    };

    // First-run setup: whichever node printed the link, it works through
    // the balancer (the page from one node, the form to another).
    let setup = [&a, &b, &c_node]
        .iter()
        .find_map(|n| n.server.setup_url.clone())
        .expect("no node printed the first-run setup link");
    let setup = setup
        .split_whitespace()
        .find(|w| w.contains("/setup?token="))
        .unwrap()
        .to_owned();
    assert!(setup.starts_with(&public), "{setup}");

    let (_driver, driver_url) = chromedriver();
    let br = browser_sized(&driver_url, 1280, 900).await;
    let c = http();
    let mut account_id = String::new();
    let result = async {
        br.goto(&setup).await?;
        for (name, value) in [
            ("workspace", "Acme Marketing"),
            ("name", "Olivia Owner"),
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ] {
            br.find(By::Name(name)).await?.send_keys(value).await?;
        }
        br.find(By::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        br.find(By::XPath("//h2[text()='Back up the master key now']"))
            .await?;
        // The owner's API token (through the balancer) and an account to reveal.
        let t = login(&c, &public, "owner@acme.test", "owner-password-1").await;
        let acct = create(
            &c,
            &format!("{public}/api/v1/accounts"),
            &t,
            json!({"app": "github", "label": "Acme GitHub", "password": "Passkey-Guarded-7"}),
        )
        .await;
        account_id = acct["id"].as_str().unwrap().to_owned();

        // A passkey registered and used for a step-up, each ceremony's
        // start and finish on different nodes.
        let shown = register_a_passkey_and_reveal_with_it(&br, &public, &account_id).await?;
        assert_eq!(shown, "Passkey-Guarded-7");
        WebDriverResult::Ok(t)
    }
    .await;
    let t = match result {
        Ok(t) => t,
        Err(e) => {
            let html = br.source().await.unwrap_or_default();
            br.quit().await.ok();
            panic!(
                "browser step failed: {e}\npage:\n{html}\nlogs:\n{}",
                logs(&[&a, &b, &c_node])
            );
        }
    };
    for (start, finish) in [
        (
            "/api/v1/me/passkeys/register/start",
            "/api/v1/me/passkeys/register/finish",
        ),
        (
            "/api/v1/auth/step-up/passkey/start",
            "/api/v1/auth/step-up/passkey/finish",
        ),
    ] {
        let (s, f) = (lb.served(start), lb.served(finish));
        assert!(
            !s.is_empty() && !f.is_empty() && s.last() != f.last(),
            "{start} on {s:?}, {finish} on {f:?}"
        );
    }
    let sign_ins = lb.served("/login");
    let distinct: std::collections::BTreeSet<_> = sign_ins.iter().collect();
    assert!(
        distinct.len() > 1,
        "sign-in pages all on one node: {sign_ins:?}"
    );

    // A message received by node A's SMTP listener shows on node C's open
    // inbox page (reached directly) within a second.
    let tiktok = create(
        &c,
        &format!("{public}/api/v1/accounts"),
        &t,
        json!({"app": "tiktok", "label": "TikTok Ads", "password": "p"}),
    )
    .await;
    let tiktok = tiktok["id"].as_str().unwrap().to_owned();
    let (s, m) = post(
        &c,
        &format!("{public}/api/v1/accounts/{tiktok}/managed-email"),
        &t,
        None,
    )
    .await;
    assert_eq!(s, 201, "{m}");
    let address = m["address"].as_str().unwrap().to_owned();
    let page_on_c = format!("http://localhost:{}/inbox", c_node.port);
    let seen = async {
        br.goto(&page_on_c).await?;
        br.query(By::XPath("//h1[text()='Shared inbox']"))
            .first()
            .await?;
        // The page's live stream connects once the page has loaded.
        tokio::time::sleep(Duration::from_millis(500)).await;
        mail_tiktok_code(a.server.smtp.as_deref().unwrap(), &address).await;
        let sent = Instant::now();
        let code = By::XPath("//*[contains(@class,'inbox-code') and normalize-space()='730194']");
        loop {
            if !br.find_all(code.clone()).await?.is_empty() {
                break;
            }
            if sent.elapsed() > Duration::from_secs(10) {
                return Err(WebDriverError::FatalError(
                    "the message never appeared on node C's page".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        WebDriverResult::Ok(sent.elapsed())
    }
    .await;
    let html = br.source().await.unwrap_or_default();
    br.quit().await.ok();
    let seen = seen.unwrap_or_else(|e| {
        panic!(
            "inbox step failed: {e}\npage:\n{html}\nlogs:\n{}",
            logs(&[&a, &b, &c_node])
        )
    });
    eprintln!("node A's message on node C's page after {seen:?}");
    assert!(
        seen < Duration::from_secs(1),
        "node A's message reached node C's open page after {seen:?}"
    );

    // A job started through node B runs once.
    let sandbox = orthrus_sandbox::Sandbox::spawn_with(orthrus_sandbox::LocalOptions {
        app: orthrus_sandbox::SandboxApp::default(),
        // Nothing listens here: an emailed security code never arrives, so
        // a challenged sign-in waits on the code page.
        smtp: "127.0.0.1:9".into(),
        sms_webhook: None,
        sms_webhook_secret: None,
        dkim: None,
        link_host: None,
    })
    .await
    .unwrap();
    let app = orthrus_sandbox::SandboxApp::default();
    let sandbox_config = |cfg: Value| {
        let (c, url) = (c.clone(), format!("{sandbox}/__sandbox/config"));
        async move {
            let r = c.post(url).json(&cfg).send().await.unwrap();
            assert!(r.status().is_success());
        }
    };
    // A user of the sandbox app and its account in Orthrus; the account's id.
    let sandbox_account = |username: &'static str| {
        let (c, t, public, sandbox) = (c.clone(), t.clone(), public.clone(), sandbox.clone());
        async move {
            let r = c
                .post(format!("{sandbox}/__sandbox/users"))
                .json(&json!({"username": username, "password": "pw-1-correct", "email": format!("{username}@inbox.test")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            let acct = create(&c, &format!("{public}/api/v1/accounts"), &t, json!({"app": app.key(), "label": format!("Sandbox {username}"), "login_url": format!("{sandbox}{}", app.login_path()), "username": username, "password": "pw-1-correct"})).await;
            acct["id"].as_str().unwrap().to_owned()
        }
    };
    // A login job on `account` started through the node at `node`.
    let start = |node: String, account: String| {
        let (c, t) = (c.clone(), t.clone());
        async move {
            let (s, v) =
                start_automation(&c, &format!("{node}/api/v1"), &t, &account, "login").await;
            assert_eq!(s, 202, "{v}");
            v["job_id"].as_str().unwrap().to_owned()
        }
    };
    sandbox_config(json!({"challenge_unknown_devices": false})).await;
    let db = sqlx::PgPool::connect(&db_url).await.unwrap();
    let once = start(b.direct.clone(), sandbox_account("brand").await).await;
    let held = watch_workers(db.clone(), once.clone());
    let done = wait_for_end(&c, &format!("{public}/api/v1"), &t, &once).await;
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 1, "{done}");
    assert_eq!(credential_uses(&c, &public, &t, &once).await, 1);
    let pids = [
        a.server.child.id(),
        b.server.child.id(),
        c_node.server.child.id(),
    ];
    let held = held.await.unwrap();
    assert!(
        held.len() == 1 && pids.contains(&held[0]),
        "held by {held:?}; the nodes are {pids:?}"
    );

    // Node B is killed mid-job. So that B is the node running it, A and
    // C are restarted around its start (a rolling restart): while they
    // are down B's runner is the only one.
    *lb.nodes.write().unwrap() = vec![b.direct.clone()];
    assert!(a.server.stop().success());
    assert!(c_node.server.stop().success());
    sandbox_config(json!({"challenge_unknown_devices": true})).await;
    // Another account, whose sign-in from a new device the app challenges.
    let job = start(b.direct.clone(), sandbox_account("brand2").await).await;
    let held = watch_workers(db.clone(), job.clone());
    let mut stuck = false;
    for _ in 0..300 {
        let (_, j) = get(&c, &format!("{}/api/v1/jobs/{job}", b.direct), &t).await;
        assert!(
            matches!(j["state"].as_str(), Some("queued" | "running")),
            "{j}"
        );
        if j["steps"].as_array().is_some_and(|s| {
            s.iter().any(|s| {
                s["name"] == "type the code from the shared inbox" && s["outcome"].is_null()
            })
        }) {
            stuck = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        stuck,
        "the job never reached the code page:\n{}",
        b.server.logs()
    );
    a = node(dir.path(), "a1", &db_url, &public);
    c_node = node(dir.path(), "c1", &db_url, &public);
    *lb.nodes.write().unwrap() = vec![a.direct.clone(), c_node.direct.clone()];
    // The retry's device is trusted: it signs straight in.
    sandbox_config(json!({"challenge_unknown_devices": false})).await;
    let b_pid = b.server.child.id();
    std::process::Command::new("kill")
        .args(["-KILL", &b_pid.to_string()])
        .status()
        .unwrap();
    let _ = b.server.child.wait();
    let killed = Instant::now();
    let done = wait_for_end(&c, &format!("{public}/api/v1"), &t, &job).await;
    eprintln!(
        "the killed node's job ended {:?} after the kill",
        killed.elapsed()
    );
    assert_eq!(
        done["state"],
        "succeeded",
        "{done}\n{}",
        logs(&[&a, &c_node])
    );
    assert_eq!(done["attempts"], 2, "{done}");
    let held = held.await.unwrap();
    assert!(
        held.len() == 2
            && held[0] == b_pid
            && [a.server.child.id(), c_node.server.child.id()].contains(&held[1]),
        "held by {held:?}: B was {b_pid}, the live nodes {} and {}",
        a.server.child.id(),
        c_node.server.child.id()
    );
    // Nothing lost: the dead node's steps are still there, then the retry's.
    let attempts = step_attempts(&done);
    assert!(
        attempts.first() == Some(&1) && attempts.last() == Some(&2),
        "{attempts:?}"
    );
    assert_eq!(credential_uses(&c, &public, &t, &job).await, 2);
    // Every node wrote to one audit chain, and it verifies.
    let verify = audit_verify(&Storage {
        data_dir: dir.path().join("verify"),
        database_url: Some(db_url.clone()),
    });
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(a.server.stop().success());
    assert!(c_node.server.stop().success());
}
