//! Two nodes on one database (two `App`s and two routers on one store, as
//! several `orthrus serve` share one PostgreSQL): the first-run setup link
//! one node prints works on the other, once; a passkey registration or
//! step-up started on one node finishes on the other, once, and not after
//! it expires, and a master-key rotation in between re-wraps it. The
//! passkey is a software one (P-256 with ring), answering as a browser
//! would.

use crate::support::nodes::{Shared, config, http_client, listen, serve};
use crate::support::{first_run, pg_store, session_cookie, sqlite_store};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orthrus_app::App;
use orthrus_core::{FakeClock, OsEntropy};
use orthrus_crypto::MasterKey;
use orthrus_web::WebState;
use reqwest::StatusCode;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use std::sync::Arc;

/// One node: its own `App` and router on the shared store.
struct Node {
    /// Where this node listens (loopback).
    url: String,
    app: App,
    web: WebState,
}

/// Two nodes sharing a store, a master key and a clock.
struct Cluster {
    a: Node,
    b: Node,
    store: Arc<dyn orthrus_store::Store>,
    master: MasterKey,
    clock: FakeClock,
    /// The address people use (the load balancer's, in a real cluster):
    /// both nodes are configured with it; passkeys are bound to its host.
    public_url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// Serves `app` on `listener` with the cluster's public URL, as `orthrus
/// serve` does.
fn node(app: App, listener: tokio::net::TcpListener, public_url: &str) -> Node {
    app.configure_passkeys(public_url);
    let (url, web) = serve(app.clone(), listener, Some(public_url));
    Node { url, app, web }
}

async fn cluster(store: Arc<dyn orthrus_store::Store>, dir: tempfile::TempDir) -> Cluster {
    let shared = Shared::new();
    let (la, lb) = (listen().await, listen().await);
    // A host name (passkeys refuse an IP address); never contacted.
    let public_url = format!("http://localhost:{}", la.local_addr().unwrap().port());
    let a = node(shared.app(Arc::clone(&store), |_| {}), la, &public_url);
    let b = node(shared.app(Arc::clone(&store), |_| {}), lb, &public_url);
    Cluster {
        a,
        b,
        store,
        master: shared.master,
        clock: shared.clock,
        public_url,
        http: http_client(),
        _dir: dir,
    }
}

/// SQLite always (two apps on one file); PostgreSQL too when
/// `ORTHRUS_TEST_DATABASE_URL` is set.
async fn clusters(tag: &str) -> Vec<Cluster> {
    let (store, dir) = sqlite_store().await;
    let mut v = vec![cluster(store, dir).await];
    if let Some(store) = pg_store(tag).await {
        v.push(cluster(store, tempfile::tempdir().unwrap()).await);
    }
    v
}

impl Cluster {
    async fn post(
        &self,
        node: &Node,
        token: &str,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1{path}", node.url))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Identity check of the session `token` through `node`, which must pass.
    async fn step_up(&self, node: &Node, token: &str) {
        let (s, v) = self
            .post(
                node,
                token,
                "/auth/step-up",
                &json!({"password": "owner-password-1"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    /// Sets up through `a`, signs in through `b`: a session token.
    async fn owner_session(&self) -> String {
        first_run(&self.a.app, "Olivia").await;
        let r = self
            .http
            .post(format!("{}/api/v1/auth/login", self.b.url))
            .json(&json!({"email": "owner@acme.test", "password": "owner-password-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn the_setup_link_of_one_node_works_on_another_once() {
    for c in clusters("nodes_setup").await {
        let link = c.a.web.prepare_setup().await.unwrap().unwrap();
        // Every node prints the same link while setup is pending.
        assert_eq!(c.b.web.prepare_setup().await.unwrap(), Some(link.clone()));
        assert!(link.starts_with(&format!("{}/setup?token=setup_", c.public_url)));
        let token = link.split("token=").nth(1).unwrap().to_owned();
        let r = c
            .http
            .get(format!("{}/setup?token={token}", c.b.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "node b shows node a's link");
        let r = c
            .http
            .get(format!("{}/setup?token=setup_wrong", c.b.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);

        let form = [
            ("token", token.as_str()),
            ("workspace", "Acme"),
            ("name", "Olivia"),
            ("email", "owner@acme.test"),
            ("password", "owner-password-1"),
        ];
        let r = c
            .http
            .post(format!("{}/setup", c.b.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/welcome");
        assert!(session_cookie(&r).is_some());

        // Used: refused on either node, and no node prints it again.
        for n in [&c.a, &c.b] {
            let r = c
                .http
                .post(format!("{}/setup", n.url))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            assert!(r.text().await.unwrap().contains("setup link is not valid"));
            let r = c
                .http
                .get(format!("{}/setup?token={token}", n.url))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            assert_eq!(r.headers()["location"], "/login");
            assert_eq!(n.web.prepare_setup().await.unwrap(), None);
        }
        assert!(
            !c.a.app.setup_token_accepted(&token).await.unwrap(),
            "refused afterwards"
        );
    }
}

#[tokio::test]
async fn a_passkey_ceremony_started_on_one_node_finishes_on_another() {
    for c in clusters("nodes_passkeys").await {
        let token = c.owner_session().await;
        let (a, b) = (&c.a, &c.b);
        let origin = c.public_url.as_str();
        c.step_up(a, &token).await;

        // Registration: started on a, finished on b, once.
        let mut key = SoftPasskey::new();
        let (s, options) = c
            .post(a, &token, "/me/passkeys/register/start", &json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{options}");
        let credential = key.register(&options, origin);
        let body = json!({"name": "Soft key", "credential": credential});
        let (s, v) = c
            .post(b, &token, "/me/passkeys/register/finish", &body)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["name"], "Soft key");
        let (s, v) = c
            .post(a, &token, "/me/passkeys/register/finish", &body)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["code"], "passkey.expired", "taken once");

        // Step-up: started on b, finished on a; a second answer finds nothing.
        let (s, options) = c
            .post(b, &token, "/auth/step-up/passkey/start", &json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{options}");
        let assertion = key.assert(&options, origin);
        let body = json!({"credential": assertion});
        let (s, v) = c
            .post(a, &token, "/auth/step-up/passkey/finish", &body)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["elevated_until"].is_string(), "{v}");
        let (s, v) = c
            .post(b, &token, "/auth/step-up/passkey/finish", &body)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["code"], "passkey.expired");

        // A prompt answered after five minutes is refused on any node.
        let (s, options) = c
            .post(a, &token, "/auth/step-up/passkey/start", &json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{options}");
        c.clock.advance_secs(301);
        let body = json!({"credential": key.assert(&options, origin)});
        let (s, v) = c
            .post(b, &token, "/auth/step-up/passkey/finish", &body)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["code"], "passkey.expired");
    }
}

#[tokio::test]
async fn a_master_key_rotation_rewraps_a_pending_passkey_ceremony() {
    for c in clusters("nodes_passkey_rotation").await {
        let token = c.owner_session().await;
        c.step_up(&c.a, &token).await;
        let mut key = SoftPasskey::new();
        let (s, options) = c
            .post(&c.a, &token, "/me/passkeys/register/start", &json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{options}");

        let new = MasterKey::generate(&OsEntropy);
        let report = orthrus_app::master_key::rotate_master_key(
            c.store.as_ref(),
            &c.master,
            &new,
            &OsEntropy,
            None,
            std::time::Duration::ZERO,
        )
        .await
        .unwrap();
        assert!(report.complete, "{report:?}");
        let page = c
            .store
            .sealed_page(orthrus_store::SealedColumn::PasskeyCeremony, "", 10)
            .await
            .unwrap();
        assert_eq!(page.len(), 1, "{page:?}");
        assert_eq!(
            orthrus_crypto::Envelope::sealed_key_id(&page[0].1).as_deref(),
            Some(new.id()),
            "the pending ceremony is under the new key"
        );

        // A node that holds only the new key finishes it.
        let envelope = orthrus_crypto::Envelope::new(new.clone());
        let keys = orthrus_app::master_key::load_subkeys(c.store.as_ref(), &envelope, &OsEntropy)
            .await
            .unwrap();
        let app = App::new_with_keys(
            Arc::clone(&c.store),
            new,
            &keys,
            Arc::new(c.clock.clone()),
            Arc::new(OsEntropy),
            config(|_| {}),
        )
        .unwrap();
        let fresh = node(app, listen().await, &c.public_url);
        let body = json!({"credential": key.register(&options, &c.public_url)});
        let (s, v) = c
            .post(&fresh, &token, "/me/passkeys/register/finish", &body)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
}

/// A passkey in software: an ES256 key, answering `navigator.credentials`'
/// `create` (attestation "none") and `get` as a browser would.
struct SoftPasskey {
    rng: SystemRandom,
    key: EcdsaKeyPair,
    id: Vec<u8>,
    counter: u32,
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

fn sha256(b: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, b)
        .as_ref()
        .to_vec()
}

/// CBOR (RFC 8949) heads for the few items an attestation object needs.
fn cbor_head(out: &mut Vec<u8>, major: u8, len: usize) {
    let m = major << 5;
    match len {
        0..=23 => out.push(m | len as u8),
        24..=255 => out.extend([m | 24, len as u8]),
        _ => {
            out.push(m | 25);
            out.extend((len as u16).to_be_bytes());
        }
    }
}

fn cbor_bytes(out: &mut Vec<u8>, b: &[u8]) {
    cbor_head(out, 2, b.len());
    out.extend(b);
}

fn cbor_text(out: &mut Vec<u8>, s: &str) {
    cbor_head(out, 3, s.len());
    out.extend(s.as_bytes());
}

impl SoftPasskey {
    fn new() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let id = sha256(key.public_key().as_ref())[..16].to_vec();
        Self {
            rng,
            key,
            id,
            counter: 0,
        }
    }

    fn client_data(kind: &str, options: &Value, origin: &str) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// The authenticator data: the RP id's hash, flags (user present and
    /// verified), the signature counter, then `extra`.
    fn auth_data(&self, rp_id: &str, flags: u8, extra: &[u8]) -> Vec<u8> {
        let mut d = sha256(rp_id.as_bytes());
        d.push(flags | 0x01 | 0x04);
        d.extend(self.counter.to_be_bytes());
        d.extend(extra);
        d
    }

    fn register(&mut self, options: &Value, origin: &str) -> Value {
        let rp_id = options["publicKey"]["rp"]["id"].as_str().unwrap();
        let client_data = Self::client_data("webauthn.create", options, origin);
        // The COSE key: EC2 (1: 2), ES256 (3: -7), P-256 (-1: 1), x (-2), y (-3).
        let point = self.key.public_key().as_ref();
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut cose, &point[1..33]);
        cose.push(0x22);
        cbor_bytes(&mut cose, &point[33..65]);
        let mut attested = vec![0u8; 16]; // AAGUID
        attested.extend((self.id.len() as u16).to_be_bytes());
        attested.extend(&self.id);
        attested.extend(cose);
        let auth_data = self.auth_data(rp_id, 0x40, &attested);
        let mut att = vec![0xa3];
        cbor_text(&mut att, "fmt");
        cbor_text(&mut att, "none");
        cbor_text(&mut att, "attStmt");
        att.push(0xa0);
        cbor_text(&mut att, "authData");
        cbor_bytes(&mut att, &auth_data);
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {"attestationObject": b64(&att), "clientDataJSON": b64(&client_data)},
        })
    }

    fn assert(&mut self, options: &Value, origin: &str) -> Value {
        let allowed = options["publicKey"]["allowCredentials"].to_string();
        assert!(allowed.contains(&b64(&self.id)), "{allowed}");
        self.counter += 1;
        let rp_id = options["publicKey"]["rpId"].as_str().unwrap();
        let client_data = Self::client_data("webauthn.get", options, origin);
        let auth_data = self.auth_data(rp_id, 0, &[]);
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let signature = self.key.sign(&self.rng, &signed).unwrap();
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": null,
            },
        })
    }
}
