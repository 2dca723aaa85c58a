//! A scene for end-to-end tests: one `orthrus serve` (SQLite, an Owner
//! signed in) and an in-process sandbox app whose DKIM-signed mail goes to
//! the server's SMTP listener. Used by the automation and extension tests.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

/// One server (SQLite, an Owner signed in) and an in-process sandbox whose
/// mail goes to the server's SMTP listener, and whose texts go to the
/// server's SMS webhook when `sms_secret` is given.
pub(crate) struct Scene {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) storage: Storage,
    pub(crate) server: Server,
    pub(crate) sandbox: String,
    pub(crate) c: reqwest::Client,
    pub(crate) base: String,
    pub(crate) t: String,
    /// Which app the sandbox plays (its pages, its mail domain).
    pub(crate) app: orthrus_sandbox::SandboxApp,
}

impl Scene {
    pub(crate) async fn new(sms_secret: Option<&str>) -> Self {
        Self::with("", sms_secret, None).await
    }

    /// With more server configuration (TOML), and the sandbox's mail sent
    /// to `sandbox_smtp` instead of the server when given.
    pub(crate) async fn with(
        config: &str,
        sms_secret: Option<&str>,
        sandbox_smtp: Option<&str>,
    ) -> Self {
        Self::build(config, sms_secret, sandbox_smtp, None).await
    }

    /// With the sandbox playing `app` (its replica of that app's pages).
    pub(crate) async fn replica(app: orthrus_sandbox::SandboxApp) -> Self {
        Self::build_for(app, "", None, None, None).await
    }

    /// Like [`Scene::with`]; the sandbox's emailed links name `link_host`
    /// (same port) instead of its address when given.
    pub(crate) async fn build(
        config: &str,
        sms_secret: Option<&str>,
        sandbox_smtp: Option<&str>,
        link_host: Option<&str>,
    ) -> Self {
        let app = orthrus_sandbox::SandboxApp::default();
        Self::build_for(app, config, sms_secret, sandbox_smtp, link_host).await
    }

    async fn build_for(
        app: orthrus_sandbox::SandboxApp,
        config: &str,
        sms_secret: Option<&str>,
        sandbox_smtp: Option<&str>,
        link_host: Option<&str>,
    ) -> Self {
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
        let cfg = dir.path().join("orthrus.toml");
        let sms = sms_secret
            .map(|s| format!("[sms]\nwebhook_secret = \"{s}\"\n"))
            .unwrap_or_default();
        // The sandbox runs on loopback, which automations may open only
        // when the operator allows it.
        let allow = "allowed_private_hosts = [\"127.0.0.1\"]\n";
        let config = if config.contains("[automation]\n") {
            config.replacen("[automation]\n", &format!("[automation]\n{allow}"), 1)
        } else {
            format!("[automation]\n{allow}{config}")
        };
        // The sandbox signs its mail as a real app does; the server learns
        // its key and DMARC policy from pinned records, never from DNS.
        // (A replica signs for its app's domain; every name looked up under
        // it is answered from these records, none from DNS.)
        let domain = app.dkim_domain();
        let dkim = orthrus_sandbox::DkimKey::generate(domain, "s1").unwrap();
        let (key_name, key_value) = dkim.dns_record();
        let records = format!(
            "[[smtp.dns_records]]\nname = \"{key_name}\"\nvalue = \"{key_value}\"\n\n[[smtp.dns_records]]\nname = \"_dmarc.{domain}\"\nvalue = \"v=DMARC1; p=reject\"\n"
        );
        std::fs::write(&cfg, format!("{config}\n{sms}\n{records}")).unwrap();
        let server = Server::start_with(
            &storage,
            "info",
            &["--http", "127.0.0.1:0", "--config", cfg.to_str().unwrap()],
        );
        let sandbox = orthrus_sandbox::Sandbox::spawn_with(orthrus_sandbox::LocalOptions {
            smtp: sandbox_smtp.map_or_else(|| server.smtp.clone().unwrap(), str::to_owned),
            sms_webhook: sms_secret.map(|_| format!("{}/api/v1/hooks/sms/generic", server.url)),
            sms_webhook_secret: sms_secret.map(str::to_owned),
            dkim: Some(dkim),
            link_host: link_host.map(str::to_owned),
            app,
        })
        .await
        .unwrap();
        let c = http();
        let base = format!("{}/api/v1", server.url);
        let t = login(&c, &server.url, "owner@acme.test", "owner-password-1").await;
        Self {
            dir,
            storage,
            server,
            sandbox,
            c,
            base,
            t,
            app,
        }
    }

    /// An account of the sandbox's app in Orthrus; its id.
    pub(crate) async fn account(&self, label: &str, username: &str, password: &str) -> String {
        let login_url = format!("{}{}", self.sandbox, self.app.login_path());
        let (s, acct) = api(
            &self.c,
            Method::POST,
            &format!("{}/accounts", self.base),
            Some(&self.t),
            Some(json!({"app": self.app.key(), "label": label, "login_url": login_url, "username": username, "password": password})),
        )
        .await;
        assert_eq!(s, 201, "{acct}");
        acct["id"].as_str().unwrap().to_owned()
    }

    /// The id of the account labelled `label`.
    pub(crate) async fn account_id(&self, label: &str) -> String {
        let (s, list) = api(
            &self.c,
            Method::GET,
            &format!("{}/accounts", self.base),
            Some(&self.t),
            None,
        )
        .await;
        assert_eq!(s, 200, "{list}");
        list.as_array()
            .and_then(|l| l.iter().find(|a| a["label"] == label))
            .and_then(|a| a["id"].as_str())
            .unwrap_or_else(|| panic!("no account labelled {label}: {list}"))
            .to_owned()
    }

    /// Gives account `id` a managed email address; the address.
    pub(crate) async fn managed_email(&self, id: &str) -> String {
        managed_address(&self.c, &self.base, &self.t, id).await
    }

    /// Sets up account `id`'s authenticator with `seed` (the Owner confirms
    /// their identity, enrols it and confirms it).
    pub(crate) async fn authenticator(&self, id: &str, seed: &str) {
        for (m, path, body) in [
            (
                Method::POST,
                "auth/step-up".to_owned(),
                json!({"password": "owner-password-1"}),
            ),
            (
                Method::PUT,
                format!("accounts/{id}/totp"),
                json!({ "secret": seed }),
            ),
            (
                Method::POST,
                format!("accounts/{id}/totp/confirm"),
                json!({}),
            ),
        ] {
            let (s, v) = api(
                &self.c,
                m,
                &format!("{}/{path}", self.base),
                Some(&self.t),
                Some(body),
            )
            .await;
            assert_eq!(s, 200, "{path}: {v}");
        }
    }

    /// A user of the sandbox app.
    pub(crate) async fn sandbox_user(&self, body: Value) {
        let r = self
            .c
            .post(format!("{}/__sandbox/users", self.sandbox))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }

    /// The sandbox's behaviour (every field not given is its default).
    pub(crate) async fn sandbox_config(&self, cfg: Value) {
        let r = self
            .c
            .post(format!("{}/__sandbox/config", self.sandbox))
            .json(&cfg)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// Starts an automation; its job id.
    pub(crate) async fn start(&self, id: &str, kind: &str) -> String {
        let (s, v) = api(
            &self.c,
            Method::POST,
            &format!("{}/accounts/{id}/automations", self.base),
            Some(&self.t),
            Some(json!({ "kind": kind })),
        )
        .await;
        assert_eq!(s, 202, "{v}");
        v["job_id"].as_str().unwrap().to_owned()
    }
}

/// Polls job `job` until it ends; its last state.
pub(crate) async fn wait_for_end(c: &reqwest::Client, base: &str, t: &str, job: &str) -> Value {
    for _ in 0..600 {
        let (s, j) = api(c, Method::GET, &format!("{base}/jobs/{job}"), Some(t), None).await;
        assert_eq!(s, 200, "{j}");
        if matches!(
            j["state"].as_str(),
            Some("succeeded" | "failed" | "cancelled")
        ) {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("job {job} did not finish in 120 s");
}
