//! The CLI against a hostile or broken server: strings from the server are
//! printed with control characters escaped, and an answer it does not
//! understand is a clear error, never a panic.

use crate::support::*;

/// A stand-in server on 127.0.0.1 that answers every CLI request with the
/// canned JSON of its path (issue 11, finding 7: what a hostile account
/// label or mail could make a real server send).
async fn hostile_server(routes: Vec<(&'static str, serde_json::Value)>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = sock.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head
                    .split(' ')
                    .nth(1)
                    .unwrap_or("")
                    .split('?')
                    .next()
                    .unwrap_or("");
                let (status, body) = match routes.iter().find(|(p, _)| *p == path) {
                    Some((_, v)) => ("200 OK", v.to_string()),
                    None => (
                        "404 Not Found",
                        serde_json::json!({"error": {"code": "x.\u{1b}[31m", "message": "no such \u{1b}]52;c;SGk=\u{7} thing", "request_id": "r"}}).to_string(),
                    ),
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    url
}

/// Issue 11, finding 7: strings from the server never reach the terminal
/// raw. A mail's link carrying OSC 52 (clipboard write) and an account label
/// carrying CSI 2J (clear screen) are printed escaped, in text and in JSON.
#[tokio::test]
async fn server_strings_are_printed_with_control_characters_escaped() {
    const OSC52: &str = "\u{1b}]52;c;SGFja2Vk\u{7}";
    let link = format!("https://vendor.test/confirm?t=1{OSC52}");
    // Answers of the API's shapes (the CLI reads them as the API's types).
    let account = serde_json::json!({
        "id": "acc1",
        "app": "generic",
        "label": "Ops\u{1b}[2J",
        "app_name": "Generic\u{9b}2J",
        "username": "\u{202e}nimda",
        "login_url": "https://vendor.test/",
        "my_role": "owner",
        "version": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    });
    let mut detail = account.clone();
    let more = serde_json::json!({
        "fields": [],
        "members": [{"user_id": "u1", "email": "x\u{7f}@acme.test", "name": "X",
            "role": "owner", "added_at": "2026-01-01T00:00:00Z"}],
        "password_history": [],
        "permissions": {"reveal_password": true, "edit_metadata": true,
            "edit_credentials": true, "manage_members": true, "add_collaborators": true,
            "manageable_roles": ["owner"], "delete": true, "use_totp": true, "manage_mfa": true},
    });
    for (k, v) in more.as_object().unwrap() {
        detail[k] = v.clone();
    }
    let url = hostile_server(vec![
        ("/api/v1/accounts", serde_json::json!([account])),
        ("/api/v1/accounts/acc1", detail),
        (
            "/api/v1/inbox/wait",
            serde_json::json!({"id": "m1", "account_id": "acc1", "channel": "email",
                "sender": "no-reply@vendor.test", "preview": "", "received_at": "2026-01-01T00:00:00Z",
                "code": null, "confirm_link": link, "subject": format!("Confirm {OSC52}")}),
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = signed_in_to(dir.path(), &url);
    let run = |args: &'static [&'static str]| {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || cli(&cfg, args, ""))
    };
    let raw = |s: &str| s.chars().any(|c| c.is_control() && c != '\n') || s.contains('\u{202e}');

    let (ok, out, err) = run(&["inbox", "wait", "acc1", "--timeout", "1"])
        .await
        .unwrap();
    assert!(ok, "{err}");
    assert!(!raw(&out), "{out:?}");
    assert_eq!(
        out,
        "https://vendor.test/confirm?t=1\\x1b]52;c;SGFja2Vk\\x07\n"
    );

    let (ok, out, err) = run(&["inbox", "wait", "acc1", "--json"]).await.unwrap();
    assert!(ok, "{err}");
    assert!(!raw(&out), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["confirm_link"], link, "the JSON still says the same");

    let (ok, out, err) = run(&["accounts", "list"]).await.unwrap();
    assert!(ok, "{err}");
    assert!(!raw(&out), "{out:?}");
    for escaped in ["Ops\\x1b[2J", "Generic\\u{9b}2J", "\\u{202e}nimda"] {
        assert!(out.contains(escaped), "{escaped} in {out:?}");
    }
    let (ok, out, err) = run(&["accounts", "show", "acc1"]).await.unwrap();
    assert!(ok, "{err}");
    assert!(!raw(&out), "{out:?}");
    assert!(out.contains("x\\x7f@acme.test"), "{out:?}");

    // An error message from the server is escaped too.
    let (ok, _, err) = run(&["code", "acc1"]).await.unwrap();
    assert!(!ok);
    assert!(!raw(&err), "{err:?}");
    assert!(
        err.contains("no such \\x1b]52;c;SGk=\\x07 thing"),
        "{err:?}"
    );
}

/// Issue 17, item 4: the CLI reads answers as the API's types. An answer
/// of another shape (a field missing, a list where an object belongs) is a
/// clear error naming what is wrong: never a panic, never an empty value
/// printed as if it were the answer.
#[tokio::test]
async fn an_answer_the_cli_does_not_understand_is_a_clear_error() {
    let account = serde_json::json!({"id": "acc1", "label": "Ops"});
    let url = hostile_server(vec![
        ("/api/v1/accounts", serde_json::json!([account])),
        (
            "/api/v1/accounts/acc1",
            serde_json::json!(["not", "an", "account"]),
        ),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = signed_in_to(dir.path(), &url);
    for args in [&["accounts", "list"][..], &["accounts", "show", "acc1"]] {
        let cfg = cfg.clone();
        let (ok, out, err) = tokio::task::spawn_blocking(move || cli(&cfg, args, ""))
            .await
            .unwrap();
        assert!(!ok, "{args:?}: {out}");
        assert!(
            out.is_empty(),
            "{args:?}: nothing printed as an answer: {out:?}"
        );
        assert!(
            err.contains("the server sent an answer this CLI does not understand: "),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A CLI configuration in `dir` that is signed in to the server at `url`
/// (token "t"); its path.
fn signed_in_to(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let cfg = dir.join("cli.json");
    std::fs::write(
        &cfg,
        serde_json::json!({"server": url, "token": "t", "email": "a@acme.test"}).to_string(),
    )
    .unwrap();
    cfg
}
