//! The generic login (issue 13): apps without a recipe are signed in to by
//! the browser extension's page-reading code, injected through WebDriver.

use crate::{Log, TestHost, options_for, sandbox};
use orthrus_automation::browser::Browser;
use orthrus_automation::engine::{FlowEnd, StepOutcome};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn host(url: &str, mail: crate::Mail) -> TestHost {
    TestHost {
        url: url.to_owned(),
        password: "pw-1-correct".into(),
        mail,
        seen: 0,
        asked: Mutex::default(),
    }
}

fn no_secret_in(log: &Log) {
    for (name, _, detail) in &log.0 {
        assert!(
            !detail.as_deref().unwrap_or("").contains("pw-1-correct"),
            "{name}: {detail:?}"
        );
    }
}

#[tokio::test]
async fn the_generic_login_passes_the_sandbox_and_its_mailed_code() {
    let env = sandbox().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&options_for(&env.url), profile.path())
        .await
        .unwrap();
    let d = browser.driver().unwrap();
    let h = host(&env.url, Arc::clone(&env.mail));
    let mut log = Log::default();
    let end = orthrus_automation::generic::login(d, &h, &mut log).await;
    let page = d.source().await.unwrap_or_default();
    browser.quit().await;
    assert_eq!(end, FlowEnd::Done, "{:?}", log.0);
    assert!(page.contains("id=\"home\""), "{page}");
    // The suspicious-login page said it mailed the code: the inbox's code
    // was typed, not an authenticator's.
    assert!(
        log.0
            .iter()
            .any(|(n, o, d)| n == "fill in and send the login code"
                && *o == Some(StepOutcome::Ok)
                && d.as_deref() == Some("typed {inbox_code}")),
        "{:?}",
        log.0
    );
    no_secret_in(&log);
}

/// A page whose sign-in is two steps in one page, with no `<form>`: the
/// username, "Next", then the password; "Log in" goes to /home with what
/// was typed, which the server records.
const TWO_STEP: &str = r#"<!doctype html><html><body>
<h1>Sign in</h1>
<div id="one"><label>Email or username <input id="who" autocomplete="username"></label>
<button id="next" type="button">Next</button></div>
<div id="two" style="display:none"><label>Password <input id="pw" type="password"></label>
<button id="go" type="button">Log in</button></div>
<script>
document.getElementById('next').onclick = () => {
  document.getElementById('one').style.display = 'none';
  document.getElementById('two').style.display = 'block';
};
document.getElementById('go').onclick = () => {
  location.href = '/home?u=' + encodeURIComponent(document.getElementById('who').value)
    + '&p=' + encodeURIComponent(document.getElementById('pw').value);
};
</script></body></html>"#;

async fn two_step_site() -> (String, Arc<Mutex<Vec<String>>>) {
    site(TWO_STEP, "").await
}

/// A site whose `/accounts/login` is `login`, `/frame` is `frame` and
/// `/home…` a signed-in page; it records every path asked for.
async fn site(login: &'static str, frame: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let keep = Arc::clone(&keep);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
                keep.lock().unwrap().push(path.clone());
                let body = if path.starts_with("/home") {
                    "<!doctype html><html><body><h1>Welcome</h1><p id=\"home\">Signed in.</p></body></html>"
                } else if path.starts_with("/frame") {
                    frame
                } else {
                    login
                };
                let msg = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(msg.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

/// The generic login on the site at `url` ends done, at the home page with
/// the right username and password, and logs no secret.
async fn signs_in_on(url: &str, seen: &Mutex<Vec<String>>) {
    let profile = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&options_for(url), profile.path())
        .await
        .unwrap();
    let d = browser.driver().unwrap();
    let h = host(url, Arc::default());
    let mut log = Log::default();
    let end = orthrus_automation::generic::login(d, &h, &mut log).await;
    browser.quit().await;
    assert_eq!(end, FlowEnd::Done, "{:?}", log.0);
    let home = seen
        .lock()
        .unwrap()
        .iter()
        .find(|p| p.starts_with("/home"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(home, "/home?u=brand&p=pw-1-correct", "{:?}", log.0);
    no_secret_in(&log);
}

#[tokio::test]
async fn the_generic_login_passes_a_two_step_page_without_a_form() {
    let (url, seen) = two_step_site().await;
    signs_in_on(&url, &seen).await;
}

/// The sign-in form inside a same-origin frame of the login page.
const FRAMED: &str = r#"<!doctype html><html><body><h1>Sign in</h1>
<iframe src="/frame" style="width:400px;height:300px;border:0"></iframe></body></html>"#;
const FRAME: &str = r#"<!doctype html><html><body>
<form action="/home" method="get"><label>Username <input name="u" autocomplete="username"></label>
<label>Password <input name="p" type="password"></label><button type="submit">Log in</button></form>
</body></html>"#;

#[tokio::test]
async fn the_generic_login_fills_a_form_inside_a_same_origin_frame() {
    let (url, seen) = site(FRAMED, FRAME).await;
    signs_in_on(&url, &seen).await;
}
