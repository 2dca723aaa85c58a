//! `orthrus accounts member`: time-boxed access from the command line
//! (issue 15), and `admin create-user` refusing a guest without an end.

use crate::support::*;

#[tokio::test]
async fn the_cli_adds_a_member_until_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    for (email, role) in [("owner@acme.test", "owner"), ("kim@acme.test", "user")] {
        create_user_ok(&storage, email, role, "member-password-1");
    }
    // A guest needs an end date, which `create-user` does not take.
    let out = create_user(&storage, "gil@agency.test", "guest", "member-password-1");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("end"),
        "{out:?}"
    );

    let server = Server::start(&storage, "info");
    let session = CliSession::login(
        dir.path().join("cli/cli.json"),
        &server.url,
        "owner@acme.test",
        "member-password-1",
    );
    let (ok, _, err) = session.add_account("instagram", "Brand IG", &["--generate"], "");
    assert!(ok, "{err}");

    let member = |until: &str| {
        session.run(
            &[
                "accounts",
                "member",
                "Brand IG",
                "--email",
                "kim@acme.test",
                "--role",
                "manager",
                "--until",
                until,
                "--json",
            ],
            "",
        )
    };
    let (ok, _, err) = member("next week");
    assert!(!ok && err.contains("time.invalid"), "{err}");
    let (ok, _, err) = member("2001-01-01T00:00");
    assert!(!ok && err.contains("member.expiry_past"), "{err}");
    let (ok, out, err) = member("2099-12-12T17:00");
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["role"].as_str(), v["expires_at"].as_str()),
        (Some("manager"), Some("2099-12-12T17:00:00.000Z"))
    );
    let (ok, out, err) = session.run(
        &[
            "accounts",
            "member",
            "Brand IG",
            "--email",
            "nobody@acme.test",
        ],
        "",
    );
    assert!(!ok && err.contains("nobody in the workspace"), "{out}{err}");
}
