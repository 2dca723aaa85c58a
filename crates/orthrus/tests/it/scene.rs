//! A scene for end-to-end tests: one `orthrus serve` (SQLite, an Owner
//! signed in) and an in-process sandbox app whose DKIM-signed mail goes to
//! the server's SMTP listener. Used by the automation and extension tests.

use crate::support::*;
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
        let storage = sqlite_storage(dir.path());
        create_user_ok(&storage, "owner@acme.test", "owner", "owner-password-1");
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
        let (c, base, t) = owner_session(&server).await;
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
        let (s, acct) = post(&self.c, &format!("{}/accounts", self.base), &self.t, Some(json!({"app": self.app.key(), "label": label, "login_url": login_url, "username": username, "password": password}))).await;
        assert_eq!(s, 201, "{acct}");
        acct["id"].as_str().unwrap().to_owned()
    }

    /// The id of the account labelled `label`.
    pub(crate) async fn account_id(&self, label: &str) -> String {
        let (s, list) = get(&self.c, &format!("{}/accounts", self.base), &self.t).await;
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
        self.authenticator_with(id, json!({ "secret": seed })).await;
    }

    /// Like [`Scene::authenticator`], with the secret and its parameters in
    /// `totp`.
    pub(crate) async fn authenticator_with(&self, id: &str, totp: Value) {
        step_up(&self.c, &self.base, &self.t).await;
        enrol_totp(&self.c, &self.base, &self.t, id, totp).await;
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

    /// Ends the replica's sessions of `user` (204): the next job signs in
    /// afresh.
    pub(crate) async fn sandbox_sign_out(&self, user: &str) {
        let r = self
            .c
            .post(format!("{}/__sandbox/users/{user}/sign-out", self.sandbox))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }

    /// Starts an automation; its job id.
    pub(crate) async fn start(&self, id: &str, kind: &str) -> String {
        let (s, v) = start_automation(&self.c, &self.base, &self.t, id, kind).await;
        assert_eq!(s, 202, "{v}");
        v["job_id"].as_str().unwrap().to_owned()
    }
}

impl Scene {
    /// Waits for job `job` to end (see [`wait_for_end`]); its last state.
    pub(crate) async fn wait(&self, job: &str) -> Value {
        wait_for_end(&self.c, &self.base, &self.t, job).await
    }

    /// Waits for job `job` to end, and it succeeded (else the job and the
    /// server's logs); the job.
    pub(crate) async fn succeeds(&self, job: &str) -> Value {
        let done = self.wait(job).await;
        assert_eq!(done["state"], "succeeded", "{done}\n{}", self.server.logs());
        done
    }

    /// The page at `path` on the server, as the Owner; it answers 200.
    pub(crate) async fn page(&self, path: &str) -> String {
        let r = self
            .c
            .get(format!("{}{path}", self.server.url))
            .bearer_auth(&self.t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.unwrap()
    }
}

/// How someone signs in to the sandbox app by hand: its sign-in form's
/// path, the two-factor form's field, and the redirect that says it worked.
pub(crate) struct ByHand<'a> {
    pub(crate) login_path: &'a str,
    pub(crate) username: &'a str,
    pub(crate) password: &'a str,
    pub(crate) code_field: &'a str,
    pub(crate) worked: fn(&str) -> bool,
}

impl Scene {
    /// Someone signs in to the sandbox by hand (`how`), typing account
    /// `id`'s code from Orthrus when it has 20 s or more left (the app may
    /// have seen the current one); whether a code worked within four tries.
    pub(crate) async fn sign_in_by_hand(&self, id: &str, how: &ByHand<'_>) -> bool {
        let by_hand = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = by_hand
            .post(format!("{}{}", self.sandbox, how.login_path))
            .form(&[("username", how.username), ("password", how.password)])
            .send()
            .await
            .unwrap();
        let cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        for _ in 0..4 {
            let (_, v) = get(
                &self.c,
                &format!("{}/accounts/{id}/totp/code", self.base),
                &self.t,
            )
            .await;
            let left = v["seconds_remaining"].as_i64().unwrap_or(0);
            if left >= 20 {
                let r = by_hand
                    .post(format!("{}/accounts/login/two_factor", self.sandbox))
                    .header("Cookie", cookies.join("; "))
                    .form(&[(how.code_field, v["code"].as_str().unwrap())])
                    .send()
                    .await
                    .unwrap();
                let to = r
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .unwrap_or_default();
                if (how.worked)(to) {
                    return true;
                }
            }
            let wait = u64::try_from(left).unwrap_or(0) + 1;
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        }
        false
    }
}

/// The names of job `job`'s steps, in order.
pub(crate) fn step_names(job: &Value) -> Vec<&str> {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect()
}

/// The attempt each of job `job`'s steps was made in, in order.
pub(crate) fn step_attempts(job: &Value) -> Vec<i64> {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attempt"].as_i64().unwrap())
        .collect()
}

/// Polls job `job` until it ends; its last state.
pub(crate) async fn wait_for_end(c: &reqwest::Client, base: &str, t: &str, job: &str) -> Value {
    for _ in 0..600 {
        let (s, j) = get(c, &format!("{base}/jobs/{job}"), t).await;
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
