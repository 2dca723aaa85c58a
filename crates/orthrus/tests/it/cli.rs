//! The command-line client against a running server.

use crate::support::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn cli(config: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(bin())
        .args(args)
        .env("ORTHRUS_CLI_CONFIG", config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn login_list_add_show_and_password() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage {
        data_dir: dir.path().join("d"),
        database_url: None,
    };
    assert!(
        create_user(&storage, "owner@acme.test", "owner", "owner-password-1")
            .status
            .success()
    );
    let server = Server::start(&storage, "info");
    let cfg = dir.path().join("cli/cli.json");

    let (ok, _, err) = cli(&cfg, &["accounts", "list"], "");
    assert!(!ok && err.contains("not signed in"), "{err}");
    let (ok, _, err) = cli(
        &cfg,
        &[
            "login",
            "--server",
            &server.url,
            "--email",
            "owner@acme.test",
        ],
        "wrong-password\n",
    );
    assert!(!ok && err.contains("auth.invalid_credentials"), "{err}");
    let (ok, out, err) = cli(
        &cfg,
        &[
            "login",
            "--server",
            &server.url,
            "--email",
            "owner@acme.test",
        ],
        "owner-password-1\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("Signed in"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let (ok, out, _) = cli(&cfg, &["accounts", "list"], "");
    assert!(ok && out.contains("No accounts yet"));
    let (ok, out, err) = cli(
        &cfg,
        &[
            "accounts",
            "add",
            "--app",
            "instagram",
            "--label",
            "Brand IG",
            "--username",
            "brand",
            "--json",
        ],
        "cli-secret-pw\n",
    );
    assert!(ok, "{err}");
    let added: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(added["label"], "Brand IG");
    let (ok, out, _) = cli(
        &cfg,
        &[
            "accounts",
            "add",
            "--app",
            "tiktok",
            "--label",
            "Ads",
            "--generate",
        ],
        "",
    );
    assert!(ok && out.contains("Added Ads"));
    let (ok, out, _) = cli(&cfg, &["accounts", "list", "--json"], "");
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (ok, out, _) = cli(&cfg, &["accounts", "show", "brand ig"], "");
    assert!(
        ok && out.contains("username:  brand") && out.contains("owner@acme.test (owner)"),
        "{out}"
    );
    let (ok, _, err) = cli(&cfg, &["accounts", "show", "Nope"], "");
    assert!(!ok && err.contains("no account of yours"));

    // The password needs the identity check, answered on stdin.
    let (ok, _, err) = cli(&cfg, &["password", "Brand IG"], "not-my-password\n");
    assert!(!ok && err.contains("auth.invalid_credentials"), "{err}");
    let (ok, out, err) = cli(&cfg, &["password", "Brand IG"], "owner-password-1\n");
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "cli-secret-pw");
    let (ok, out, _) = cli(&cfg, &["password", "Brand IG", "--copy"], "");
    assert!(ok);
    assert!(
        out.starts_with("\x1b]52;c;") && !out.contains("cli-secret-pw"),
        "OSC 52, base64 encoded"
    );
    let (ok, out, _) = cli(
        &cfg,
        &["password", added["id"].as_str().unwrap(), "--json"],
        "",
    );
    assert!(ok);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["password"],
        "cli-secret-pw"
    );

    let (ok, _, _) = cli(&cfg, &["logout"], "");
    assert!(ok && !cfg.exists());
    let (ok, _, err) = cli(&cfg, &["login", "--server", "ftp://x"], "");
    assert!(!ok && err.contains("http://"));
    assert!(server.stop().success());
}
