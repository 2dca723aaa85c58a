//! Single sign-on's rules with a stand-in provider (no HTTP; the real one,
//! panva's oidc-provider, is in `orthrus`'s tests): the PKCE verifier comes
//! back from the database, a step-up needs an `auth_time` after the
//! request, a flow is used once, in its browser, within ten minutes, the
//! groups mapping never demotes the last Owner, and the CLI's code needs
//! its verifier.

use crate::TestApp;
use crate::support::sign_in;
use orthrus_app::{
    Actor, AppError, AuthorizationRequest, IdClaims, OidcClient, ProviderAnswer, SessionKind,
    SsoClient, SsoError, SsoFinish, SsoSettings, SsoStart, pkce_challenge,
};
use orthrus_core::WorkspaceRole;
use std::sync::{Arc, Mutex};

const ISSUER: &str = "http://127.0.0.1:9";

/// Vouches for whoever `next` says, after checking the PKCE verifier
/// against the challenge of the last authorization request.
#[derive(Default)]
pub(crate) struct FakeProvider {
    pub(crate) next: Mutex<IdClaims>,
    asked: Mutex<Vec<AuthorizationRequest>>,
}

#[async_trait::async_trait]
impl OidcClient for FakeProvider {
    fn issuer(&self) -> &str {
        ISSUER
    }
    async fn authorization_url(
        &self,
        req: &AuthorizationRequest,
    ) -> Result<String, orthrus_app::ProviderError> {
        self.asked.lock().unwrap().push(req.clone());
        Ok(format!("{ISSUER}/auth?state={}", req.state))
    }
    async fn redeem(
        &self,
        _code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<IdClaims, orthrus_app::ProviderError> {
        let asked = self.asked.lock().unwrap();
        let req = asked
            .iter()
            .find(|r| r.nonce == nonce)
            .ok_or("unknown nonce")?;
        if pkce_challenge(verifier) != req.code_challenge {
            return Err("invalid_grant: PKCE verification failed".into());
        }
        Ok(self.next.lock().unwrap().clone())
    }
}

pub(crate) fn claims(sub: &str, email: &str, auth_time: Option<i64>, groups: &[&str]) -> IdClaims {
    IdClaims {
        issuer: ISSUER.into(),
        subject: sub.into(),
        email: Some(email.into()),
        email_verified: true,
        name: None,
        auth_time,
        claims: serde_json::from_value(serde_json::json!({ "groups": groups })).unwrap(),
    }
}

pub(crate) fn client() -> SsoClient {
    SsoClient {
        ip: "127.0.0.1".into(),
        user_agent: "test".into(),
    }
}

pub(crate) fn state_of(url: &str) -> String {
    url.split("state=").nth(1).unwrap().to_owned()
}

fn with_sso(t: &TestApp) -> Arc<FakeProvider> {
    with_sso_settings(t, settings())
}

pub(crate) fn settings() -> SsoSettings {
    SsoSettings {
        provider_name: "Acme ID".into(),
        role_claim: "groups".into(),
        role_map: vec![("staff".into(), WorkspaceRole::User)],
        ..SsoSettings::default()
    }
}

pub(crate) fn with_sso_settings(t: &TestApp, settings: SsoSettings) -> Arc<FakeProvider> {
    let p = Arc::new(FakeProvider::default());
    t.app.set_sso(Arc::<FakeProvider>::clone(&p), settings);
    p
}

/// The CLI's sign-in up to its loopback: started with `verifier`'s
/// challenge, vouched for by the provider; the redirect the CLI hears.
async fn cli_redirect(t: &TestApp, verifier: &str) -> String {
    let s = cli_begin(t, verifier).await;
    cli_finish(t, &s).await
}

/// The CLI starts a flow with its loopback callback and `verifier`'s
/// challenge.
pub(crate) async fn cli_begin(t: &TestApp, verifier: &str) -> SsoStart {
    t.app
        .sso_begin_cli(
            "http://127.0.0.1:53682/callback",
            &pkce_challenge(verifier),
            "127.0.0.1",
        )
        .await
        .unwrap()
}

/// The provider answers the flow `s` with `answer`, in the browser that
/// started it (its browser token).
pub(crate) async fn answer_in_browser(
    t: &TestApp,
    s: &SsoStart,
    answer: ProviderAnswer,
) -> Result<SsoFinish, AppError> {
    let state = state_of(&s.authorization_url);
    let browser = s.browser_token.as_deref();
    t.app.sso_finish(&state, answer, browser, &client()).await
}

/// The provider answers the flow `s` with a code: the CLI's redirect.
pub(crate) async fn cli_finish(t: &TestApp, s: &SsoStart) -> String {
    let done = t
        .app
        .sso_finish(
            &state_of(&s.authorization_url),
            ProviderAnswer::Code("c".into()),
            None,
            &client(),
        )
        .await
        .unwrap();
    let SsoFinish::Cli { redirect } = done else {
        panic!("not a CLI answer: {done:?}")
    };
    redirect
}

/// The one-time code in the CLI's `redirect`.
pub(crate) fn code_in(redirect: &str) -> String {
    redirect
        .split("code=")
        .nth(1)
        .unwrap_or_else(|| panic!("{redirect}"))
        .to_owned()
}

/// The session the CLI gets for `code` and `verifier`, as the app
/// authenticates its token.
async fn cli_session(t: &TestApp, code: &str, verifier: &str) -> Actor {
    let out = t
        .app
        .sso_exchange_cli_code(code, verifier, None, &client())
        .await
        .unwrap();
    t.app
        .authenticate(out.token.expose(), "127.0.0.1")
        .await
        .unwrap()
}

/// The Owner's browser session, as the web layer would see it, and its token.
async fn owner_session(t: &TestApp) -> (Actor, String) {
    let token = sign_in(&t.app, "owner@acme.test", "owner-password-1").await;
    let actor = t.app.authenticate(&token, "127.0.0.1").await.unwrap();
    (actor, token)
}

#[tokio::test]
async fn step_up_needs_an_authentication_after_the_request() {
    for t in TestApp::all("sso_step_up").await {
        let p = with_sso(&t);
        let (actor, token) = owner_session(&t).await;
        let now_secs = t.app.now().millis() / 1000;

        // The provider says the person last signed in two minutes ago: it
        // did not ask again, so the check does not count.
        let start = t.app.sso_begin_step_up(&actor, "/accounts").await.unwrap();
        assert!(p.asked.lock().unwrap().last().unwrap().fresh);
        *p.next.lock().unwrap() = claims("owner-sub", "owner@acme.test", Some(now_secs - 120), &[]);
        let stale = answer_in_browser(&t, &start, ProviderAnswer::Code("c1".into())).await;
        assert!(
            matches!(stale, Err(AppError::Sso(SsoError::StaleAuthentication))),
            "{stale:?}"
        );
        let again = t.app.authenticate(&token, "127.0.0.1").await.unwrap();
        assert!(again.elevated_until.is_none());

        // Signed in again just now: elevated, back to the page that asked.
        let start = t.app.sso_begin_step_up(&actor, "/accounts").await.unwrap();
        t.clock.advance_secs(20);
        *p.next.lock().unwrap() = claims("owner-sub", "owner@acme.test", Some(now_secs + 15), &[]);
        let done = answer_in_browser(&t, &start, ProviderAnswer::Code("c2".into()))
            .await
            .unwrap();
        assert!(
            matches!(&done, SsoFinish::SteppedUp { return_to, .. } if return_to == "/accounts"),
            "{done:?}"
        );
        let again = t.app.authenticate(&token, "127.0.0.1").await.unwrap();
        assert!(again.elevated_until.is_some());

        // Both are in the audit log, with their method.
        let events = t
            .app
            .list_audit(
                &t.owner,
                &orthrus_app::AuditQuery {
                    action: Some("auth.step_up".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let outcomes: Vec<(&str, &str)> = events
            .iter()
            .filter(|e| e.detail["method"] == "sso")
            .map(|e| {
                (
                    e.outcome.as_str(),
                    e.detail["reason"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            outcomes,
            [("success", ""), ("failure", "stale_authentication")]
        );
    }
}

#[tokio::test]
async fn a_flow_is_used_once_in_its_browser_within_ten_minutes() {
    for t in TestApp::all("sso_flow_once").await {
        let p = with_sso(&t);
        *p.next.lock().unwrap() = claims("owner-sub", "owner@acme.test", None, &[]);
        let finish = |state: String, browser: Option<String>| {
            let app = t.app.clone();
            async move {
                app.sso_finish(
                    &state,
                    ProviderAnswer::Code("c".into()),
                    browser.as_deref(),
                    &client(),
                )
                .await
            }
        };
        let expired = |r: &Result<SsoFinish, AppError>| {
            matches!(r, Err(AppError::Sso(SsoError::FlowExpired)))
        };

        // Another browser: refused, and the flow is gone.
        let s = t.app.sso_begin_sign_in("/", "127.0.0.1").await.unwrap();
        let state = state_of(&s.authorization_url);
        assert!(expired(&finish(state.clone(), Some("other".into())).await));
        assert!(expired(&finish(state, s.browser_token.clone()).await));

        // Too late.
        let s = t.app.sso_begin_sign_in("/", "127.0.0.1").await.unwrap();
        t.clock.advance_secs(orthrus_app::SSO_FLOW_SECS + 1);
        let late = finish(state_of(&s.authorization_url), s.browser_token).await;
        assert!(expired(&late), "{late:?}");

        // In time, in its browser: signed in, once.
        let s = t
            .app
            .sso_begin_sign_in("/inbox", "127.0.0.1")
            .await
            .unwrap();
        let state = state_of(&s.authorization_url);
        let ok = finish(state.clone(), s.browser_token.clone())
            .await
            .unwrap();
        assert!(matches!(&ok, SsoFinish::SignedIn { next, .. } if next == "/inbox"));
        assert!(expired(&finish(state, s.browser_token).await));

        // The provider's refusal is said, not a sign-in.
        let s = t.app.sso_begin_sign_in("/", "127.0.0.1").await.unwrap();
        let refusal = ProviderAnswer::Error("access_denied".into(), "End-User aborted".into());
        let denied = answer_in_browser(&t, &s, refusal).await;
        assert!(
            matches!(&denied, Err(AppError::Sso(SsoError::Provider(m))) if m.contains("access_denied")),
            "{denied:?}"
        );
    }
}

#[tokio::test]
async fn the_mapping_never_demotes_the_last_owner_and_cli_codes_need_their_verifier() {
    for t in TestApp::all("sso_owner_cli").await {
        let p = with_sso(&t);
        // The only Owner is in a group mapped to User: they stay Owner.
        *p.next.lock().unwrap() = claims("owner-sub", "owner@acme.test", None, &["staff"]);
        let verifier = "v".repeat(43);
        let s = cli_begin(&t, &verifier).await;
        assert!(s.browser_token.is_none());
        let redirect = cli_finish(&t, &s).await;
        assert!(redirect.starts_with("http://127.0.0.1:53682/callback?code="));
        let code = code_in(&redirect);
        let bad = t
            .app
            .sso_exchange_cli_code(&code, &"w".repeat(43), None, &client())
            .await;
        assert!(matches!(bad, Err(AppError::Sso(SsoError::InvalidCode))));
        // A wrong verifier used the code up: the CLI starts again.
        let redirect = cli_redirect(&t, &verifier).await;
        let code = code_in(&redirect);
        let me = cli_session(&t, &code, &verifier).await;
        assert_eq!(me.role, WorkspaceRole::Owner);
        assert_eq!(me.session_kind, Some(SessionKind::Bearer));
        let twice = t
            .app
            .sso_exchange_cli_code(&code, &verifier, None, &client())
            .await;
        assert!(matches!(twice, Err(AppError::Sso(SsoError::InvalidCode))));
        // An unverified email at the CLI: the loopback hears why.
        let mut unverified = claims("zed-sub", "zed@acme.test", None, &[]);
        unverified.email_verified = false;
        *p.next.lock().unwrap() = unverified;
        let redirect = cli_redirect(&t, &verifier).await;
        assert!(
            redirect.contains("error=sso.email_unverified"),
            "{redirect}"
        );
    }
}

/// When the groups mapping takes a workspace Owner's role away, the SCIM
/// token they made ends with it, as when a role is changed by hand.
#[tokio::test]
async fn a_demotion_by_the_mapping_ends_the_scim_token_its_owner_made() {
    for t in TestApp::all("sso_scim_demote").await {
        let p = with_sso(&t);
        let ann = t.user("ann@acme.test", WorkspaceRole::Owner).await;
        t.app.create_scim_token(&ann).await.unwrap();
        assert!(t.app.scim_token_info(&t.owner).await.unwrap().is_some());
        *p.next.lock().unwrap() = claims("ann-sub", "ann@acme.test", None, &["staff"]);
        let verifier = "v".repeat(43);
        let redirect = cli_redirect(&t, &verifier).await;
        let code = code_in(&redirect);
        let me = cli_session(&t, &code, &verifier).await;
        assert_eq!(me.role, WorkspaceRole::User, "mapped from the staff group");
        assert!(
            t.app.scim_token_info(&t.owner).await.unwrap().is_none(),
            "the demoted Owner's SCIM token is gone"
        );
    }
}
