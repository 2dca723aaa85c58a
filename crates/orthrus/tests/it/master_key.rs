//! Master-key rotation: interrupted and resumed, with a key file (the old
//! key kept aside, `--prepare` for other nodes), and while serving under a
//! load of reads and writes that loses nothing.

use crate::ops::{admin, api_token, text};
use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn master_key_rotation_interrupted_then_resumed_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "rotation").await {
        let (server, c, base, t) = owner_server(&storage).await;
        let api_token = api_token(&c, &base, &t).await;
        let mut ids = Vec::new();
        for i in 0..4 {
            let v = create(&c, &format!("{base}/accounts"), &t, json!({"app": "instagram", "label": format!("Brand {i}"), "password": format!("secret-{i}"), "notes": format!("note {i}")})).await;
            ids.push(v["id"].as_str().unwrap().to_owned());
        }
        enrol_totp(
            &c,
            &base,
            &t,
            &ids[0],
            json!({"secret": "JBSWY3DPEHPK3PXP"}),
        )
        .await;
        let (s, v) = put(
            &c,
            &format!("{base}/accounts/{}/backup-codes", ids[0]),
            &t,
            Some(json!({"codes": "1111-2222\n3333-4444"})),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        assert!(server.stop().success());

        // Interrupted after three values (as if killed there).
        let o = admin(
            &storage,
            &["rotate-master-key", "--stop-after", "3"],
            &master_key(),
        );
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(text(&o).contains("not complete"), "{}", text(&o));
        let pending = storage.data_dir.join("master.key.new");
        assert!(pending.exists());
        // Half-rotated: a server starts only when it has the new key too
        // (it waits in master.key.new; a node without it is refused).
        let aside = storage.data_dir.join("new-key-aside");
        std::fs::rename(&pending, &aside).unwrap();
        let out = std::process::Command::new(bin())
            .arg("serve")
            .args(storage.args())
            .args(["--http", "127.0.0.1:0", "--smtp", "127.0.0.1:0"])
            .env("ORTHRUS_MASTER_KEY", master_key())
            .env("ORTHRUS_ARGON_MEMORY_KIB", "8192")
            .env_remove("ORTHRUS_CONFIG")
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("master.key.new"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&aside, &pending).unwrap();
        // Resumed: it finishes with the same new key and prints it once.
        let o = admin(&storage, &["rotate-master-key"], &master_key());
        assert!(o.status.success(), "{}", text(&o));
        let t_out = text(&o);
        assert!(t_out.contains("Resuming"), "{t_out}");
        let new_key = t_out
            .lines()
            .find_map(|l| l.strip_prefix("ORTHRUS_MASTER_KEY="))
            .expect("the new key is printed")
            .to_owned();
        assert_ne!(new_key, master_key());
        assert!(!pending.exists(), "the printed key is not left on disk");

        // The old key no longer opens it; the new one does, and nobody was
        // signed out.
        let o = audit_verify(&storage);
        assert!(!o.status.success());
        let o = audit_verify_with(&storage, &new_key);
        assert!(o.status.success(), "{}", text(&o));
        let server = Server::start_with_key(&storage, &new_key);
        let base = format!("{}/api/v1", server.url);
        let (s, list) = get(&c, &format!("{base}/accounts"), &api_token).await;
        assert_eq!((s, list.as_array().map(Vec::len)), (200, Some(4)), "{list}");
        let (s, _) = post(
            &c,
            &format!("{base}/auth/step-up"),
            &t,
            Some(json!({"password": "owner-password-1"})),
        )
        .await;
        assert_eq!(s, 200, "the session from before the rotation still works");
        for (i, id) in ids.iter().enumerate() {
            assert_password(&c, &base, &t, id, &format!("secret-{i}")).await;
            let (s, v) = get(&c, &format!("{base}/accounts/{id}"), &t).await;
            assert_eq!(s, 200, "{v}");
            assert!(v.to_string().contains(&format!("note {i}")), "{v}");
        }
        let (s, v) = get(&c, &format!("{base}/accounts/{}/totp/code", ids[0]), &t).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = get(&c, &format!("{base}/accounts/{}/backup-codes", ids[0]), &t).await;
        assert_eq!(s, 200, "{v}");
        assert!(v.to_string().contains("3333"), "{v}");
        assert!(server.stop().success());
    }
}

/// Runs `orthrus ARGS… <storage flags>` with the master key in the data
/// directory's `master.key` (no ORTHRUS_MASTER_KEY).
fn with_key_file(storage: &Storage, args: &[&str]) -> std::process::Output {
    std::process::Command::new(bin())
        .args(args)
        .args(storage.args())
        .env_remove("ORTHRUS_MASTER_KEY")
        .env_remove("ORTHRUS_CONFIG")
        .env("ORTHRUS_ARGON_MEMORY_KIB", "8192")
        .output()
        .unwrap()
}

#[tokio::test]
async fn rotation_with_a_key_file_keeps_the_old_key_aside() {
    let dir = tempfile::tempdir().unwrap();
    let storage = sqlite_storage(dir.path());
    std::fs::create_dir_all(&storage.data_dir).unwrap();
    let key_file = storage.data_dir.join("master.key");
    std::fs::write(&key_file, format!("{}\n", master_key())).unwrap();
    create_user_ok(&storage, "owner@acme.test", "owner", "owner-password-1");
    // --prepare only writes the next key, to copy to other nodes: no data
    // is touched, and the rotation then uses that very key.
    let o = with_key_file(&storage, &["admin", "rotate-master-key", "--prepare"]);
    assert!(o.status.success(), "{}", text(&o));
    let prepared = std::fs::read_to_string(storage.data_dir.join("master.key.new")).unwrap();
    assert_ne!(prepared.trim(), master_key());
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        master_key()
    );
    let o = with_key_file(&storage, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = with_key_file(&storage, &["admin", "rotate-master-key"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("master.key.old"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap().trim(),
        prepared.trim(),
        "the rotation used the prepared key"
    );
    assert!(!text(&o).contains("ORTHRUS_MASTER_KEY="), "{}", text(&o));
    // The old key is kept aside, the new one took its place (0600).
    let old = std::fs::read_to_string(storage.data_dir.join("master.key.old")).unwrap();
    assert_eq!(old.trim(), master_key());
    let new = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new.trim(), master_key());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(!storage.data_dir.join("master.key.new").exists());
    let o = with_key_file(&storage, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // A second rotation works the same way (the hashing keys carried over).
    let o = with_key_file(&storage, &["admin", "rotate-master-key"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = with_key_file(&storage, &["audit", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    // The first key is still there, named by its id.
    let first_id = std::fs::read_dir(&storage.data_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("master.key.") && n.ends_with(".old") && n != "master.key.old")
        .collect::<Vec<_>>();
    assert_eq!(first_id.len(), 1, "{first_id:?}");
    assert_eq!(
        std::fs::read_to_string(storage.data_dir.join(&first_id[0]))
            .unwrap()
            .trim(),
        master_key()
    );
}

/// An account made under load: its id and password.
type Made = Vec<(String, String)>;

/// Writes and reads secrets through the API until `stop`: each round makes
/// an account with a password, reveals it and an earlier one, and reads a
/// TOTP code. Every answer must be right; returns the accounts made.
async fn secrets_under_load(
    base: String,
    session: String,
    api_token: String,
    totp_account: String,
    made: std::sync::Arc<std::sync::Mutex<Made>>,
    stop: tokio_util::sync::CancellationToken,
) -> Result<(), String> {
    let c = http();
    let mut i = 0u64;
    while !stop.is_cancelled() {
        let password = format!("load-secret-{i}");
        let (s, v) = post(
            &c,
            &format!("{base}/accounts"),
            &api_token,
            Some(json!({"app": "instagram", "label": format!("Load {i}"), "password": password})),
        )
        .await;
        if s != 201 {
            return Err(format!("create {i}: {s} {v}"));
        }
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        made.lock().unwrap().push((id.clone(), password));
        let earlier = {
            let m = made.lock().unwrap();
            m[(i as usize * 7) % m.len()].clone()
        };
        for (id, password) in [(id, format!("load-secret-{i}")), earlier] {
            let (s, v) = get(&c, &format!("{base}/accounts/{id}/password"), &session).await;
            if (s, v["password"].as_str()) != (200, Some(password.as_str())) {
                return Err(format!("reveal {id}: {s} {v}"));
            }
        }
        let (s, v) = get(
            &c,
            &format!("{base}/accounts/{totp_account}/totp/code"),
            &session,
        )
        .await;
        if s != 200 {
            return Err(format!("totp code: {s} {v}"));
        }
        i += 1;
    }
    Ok(())
}

/// What the load signs in with and reads.
#[derive(Clone)]
struct Load {
    session: String,
    api_token: String,
    totp_account: String,
    made: std::sync::Arc<std::sync::Mutex<Made>>,
}

impl Load {
    fn count(&self) -> usize {
        self.made.lock().unwrap().len()
    }

    async fn until_count(&self, n: usize) {
        while self.count() < n {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Runs `rotate` (a blocking `orthrus admin rotate-master-key`) while
    /// secrets are written and read through `base`, and the load goes on
    /// for a while after it; the rotation's output.
    async fn rotate_under(
        &self,
        base: &str,
        rotate: impl FnOnce() -> std::process::Output + Send + 'static,
    ) -> std::process::Output {
        let stop = tokio_util::sync::CancellationToken::new();
        let load = tokio::spawn(secrets_under_load(
            base.to_owned(),
            self.session.clone(),
            self.api_token.clone(),
            self.totp_account.clone(),
            std::sync::Arc::clone(&self.made),
            stop.clone(),
        ));
        self.until_count(self.count() + 5).await;
        let before = self.count();
        let o = tokio::task::spawn_blocking(rotate).await.unwrap();
        let during = self.count() - before;
        self.until_count(self.count() + 5).await;
        stop.cancel();
        load.await.unwrap().unwrap();
        assert!(during > 0, "secrets were written during the rotation");
        o
    }

    /// Every secret made so far opens through `base`, with the session and
    /// the API token from before the rotations.
    async fn all_open(&self, base: &str) {
        let c = http();
        let made = self.made.lock().unwrap().clone();
        let (s, list) = get(&c, &format!("{base}/accounts"), &self.api_token).await;
        assert_eq!(
            (s, list.as_array().map(Vec::len)),
            (200, Some(made.len())),
            "{list}"
        );
        for (id, password) in &made {
            let (s, v) = get(&c, &format!("{base}/accounts/{id}/password"), &self.session).await;
            assert_eq!(
                (s, v["password"].as_str()),
                (200, Some(password.as_str())),
                "{v}"
            );
        }
        let (s, v) = get(
            &c,
            &format!("{base}/accounts/{}/totp/code", self.totp_account),
            &self.session,
        )
        .await;
        assert_eq!(s, 200, "{v}");
    }
}

#[tokio::test]
async fn master_key_rotation_while_serving_under_load_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for storage in storages(dir.path(), "online_rotation").await {
        let (server, c, base, t) = owner_server(&storage).await;
        let api_token = api_token(&c, &base, &t).await;
        let v = create(
            &c,
            &format!("{base}/accounts"),
            &t,
            json!({"app": "instagram", "label": "Before", "password": "before-secret"}),
        )
        .await;
        let totp_account = v["id"].as_str().unwrap().to_owned();
        enrol_totp(
            &c,
            &base,
            &t,
            &totp_account,
            json!({"secret": "JBSWY3DPEHPK3PXP"}),
        )
        .await;
        let load = Load {
            session: t.clone(),
            api_token,
            totp_account: totp_account.clone(),
            made: std::sync::Arc::new(std::sync::Mutex::new(vec![(
                totp_account,
                "before-secret".to_owned(),
            )])),
        };

        // With ORTHRUS_MASTER_KEY: the rotation runs against the serving
        // database, the server takes the new key from master.key.new.
        let rotating = storage.clone();
        let o = load
            .rotate_under(&base, move || {
                admin(&rotating, &["rotate-master-key"], &master_key())
            })
            .await;
        assert!(o.status.success(), "{}\n{}", text(&o), server.logs());
        let new_key = text(&o)
            .lines()
            .find_map(|l| l.strip_prefix("ORTHRUS_MASTER_KEY="))
            .expect("the new key is printed")
            .to_owned();
        assert!(
            server.logs().contains("sealing with master key"),
            "the server picked up the new key:\n{}",
            server.logs()
        );
        load.all_open(&base).await;
        assert!(server.stop().success());
        let o = audit_verify_with(&storage, &new_key);
        assert!(o.status.success(), "{}", text(&o));
        // Restarted with only the new key: everything opens, and the
        // session and the API token from before still work.
        assert!(!storage.data_dir.join("master.key.new").exists());
        let server = Server::start_with_key(&storage, &new_key);
        let base = format!("{}/api/v1", server.url);
        load.all_open(&base).await;
        assert!(server.stop().success());

        // With the key in master.key: the key files move while the server
        // runs.
        let key_file = storage.data_dir.join("master.key");
        std::fs::write(&key_file, format!("{new_key}\n")).unwrap();
        let no_env = [("ORTHRUS_MASTER_KEY", "")];
        let server = Server::start_env(&storage, "info", &["--http", "127.0.0.1:0"], &no_env);
        let base = format!("{}/api/v1", server.url);
        let rotating = storage.clone();
        let o = load
            .rotate_under(&base, move || {
                with_key_file(&rotating, &["admin", "rotate-master-key"])
            })
            .await;
        assert!(o.status.success(), "{}\n{}", text(&o), server.logs());
        assert_eq!(
            std::fs::read_to_string(storage.data_dir.join("master.key.old"))
                .unwrap()
                .trim(),
            new_key
        );
        load.all_open(&base).await;
        assert!(server.stop().success());
        // Only the newest key left: everything opens.
        std::fs::remove_file(storage.data_dir.join("master.key.old")).unwrap();
        let o = with_key_file(&storage, &["audit", "verify"]);
        assert!(o.status.success(), "{}", text(&o));
        let server = Server::start_env(&storage, "info", &["--http", "127.0.0.1:0"], &no_env);
        let base = format!("{}/api/v1", server.url);
        load.all_open(&base).await;
        assert!(server.stop().success());
    }
}
