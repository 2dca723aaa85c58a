//! Single sign-on's guards from the security review: the user's own
//! Orthrus TOTP is still asked for (browser and CLI) unless the provider's
//! MFA is trusted, a guest past their end date is refused before any sweep,
//! an unverified email claim names nobody in the audit log, sign-up takes a
//! pending invitation's role and end of access, and one address may start
//! only so many flows.

use crate::TestApp;
use crate::sso::{
    FakeProvider, answer_in_browser, claims, cli_begin, cli_finish, client, code_in, settings,
    with_sso_settings,
};
use orthrus_app::{
    Actor, AppError, AuditQuery, IdClaims, InvitationState, NewUser, ProviderAnswer, SsoError,
    SsoFinish, SsoSettings, pkce_challenge,
};
use orthrus_core::{Clock, Timestamp, WorkspaceRole};

const ADDRESS: &str = "127.0.0.1";

async fn browser_sign_in(
    t: &TestApp,
    p: &FakeProvider,
    who: IdClaims,
) -> Result<SsoFinish, AppError> {
    let s = t.app.sso_begin_sign_in("/inbox", ADDRESS).await.unwrap();
    *p.next.lock().unwrap() = who;
    answer_in_browser(t, &s, ProviderAnswer::Code("c".into())).await
}

/// The CLI's one-time code for `who`.
async fn cli_code(t: &TestApp, p: &FakeProvider, who: IdClaims, verifier: &str) -> String {
    let s = cli_begin(t, verifier).await;
    *p.next.lock().unwrap() = who;
    code_in(&cli_finish(t, &s).await)
}

/// Turns on the Owner's own TOTP; returns its secret.
async fn owner_totp(t: &TestApp) -> String {
    let en = t.app.begin_totp_enrollment(&t.owner).await.unwrap();
    t.app
        .confirm_totp_enrollment(&t.owner, &code(t, &en.secret))
        .await
        .unwrap();
    // The enrolment used this step's code.
    t.clock.advance_secs(30);
    en.secret
}

fn code(t: &TestApp, secret: &str) -> String {
    let g = orthrus_otp::Generator::new(
        orthrus_otp::parse_secret(secret).unwrap(),
        orthrus_otp::OtpParams::default(),
    )
    .unwrap();
    g.code(u64::try_from(t.clock.now().unix_seconds()).unwrap())
}

fn owner_claims() -> IdClaims {
    claims("owner-sub", "owner@acme.test", None, &[])
}

async fn audit(t: &TestApp, action: &str) -> Vec<orthrus_app::AuditEntry> {
    t.app
        .list_audit(
            &t.owner,
            &AuditQuery {
                action: Some(action.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn sso_sign_in_still_asks_for_the_users_own_totp() {
    for t in TestApp::all("sso_own_totp").await {
        let p = with_sso_settings(&t, settings());
        let secret = owner_totp(&t).await;

        // The browser: the provider's word is not a session yet.
        let held = browser_sign_in(&t, &p, owner_claims()).await.unwrap();
        let SsoFinish::TotpNeeded { token, .. } = held else {
            panic!("signed in without the user's code: {held:?}")
        };
        let wrong = t.app.sso_finish_totp(&token, "000000", &client()).await;
        assert!(
            matches!(wrong, Err(AppError::Sso(SsoError::InvalidTotp))),
            "{wrong:?}"
        );
        // A wrong code keeps the sign-in waiting; the right one ends it.
        let right = code(&t, &secret);
        let done = t
            .app
            .sso_finish_totp(&token, &right, &client())
            .await
            .unwrap();
        let SsoFinish::SignedIn { login, next } = done else {
            panic!("{done:?}")
        };
        assert_eq!(next, "/inbox");
        let me = t
            .app
            .authenticate(login.token.expose(), ADDRESS)
            .await
            .unwrap();
        assert_eq!(me.email, "owner@acme.test");
        // Used once.
        let again = t.app.sso_finish_totp(&token, &right, &client()).await;
        assert!(matches!(again, Err(AppError::Sso(SsoError::FlowExpired))));
        // The same code again (another sign-in, same step): replayed.
        let SsoFinish::TotpNeeded { token, .. } =
            browser_sign_in(&t, &p, owner_claims()).await.unwrap()
        else {
            panic!("no code asked for")
        };
        let replay = t.app.sso_finish_totp(&token, &right, &client()).await;
        assert!(
            matches!(replay, Err(AppError::Sso(SsoError::InvalidTotp))),
            "{replay:?}"
        );
        // Five minutes to give it.
        t.clock.advance_secs(orthrus_app::SSO_TOTP_SECS + 1);
        let late = t
            .app
            .sso_finish_totp(&token, &code(&t, &secret), &client())
            .await;
        assert!(
            matches!(late, Err(AppError::Sso(SsoError::FlowExpired))),
            "{late:?}"
        );

        // The CLI: asked for the code, and the one-time code waits for it.
        let verifier = "v".repeat(43);
        let one_time = cli_code(&t, &p, owner_claims(), &verifier).await;
        let missing = t
            .app
            .sso_exchange_cli_code(&one_time, &verifier, None, &client())
            .await;
        assert!(
            matches!(missing, Err(AppError::TotpRequired)),
            "{missing:?}"
        );
        let wrong = t
            .app
            .sso_exchange_cli_code(&one_time, &verifier, Some("000000"), &client())
            .await;
        assert!(
            matches!(wrong, Err(AppError::Sso(SsoError::InvalidTotp))),
            "{wrong:?}"
        );
        let out = t
            .app
            .sso_exchange_cli_code(&one_time, &verifier, Some(&code(&t, &secret)), &client())
            .await
            .unwrap();
        assert!(
            t.app
                .authenticate(out.token.expose(), ADDRESS)
                .await
                .is_ok()
        );

        // Wrong codes count toward the lockout, as at password sign-in.
        let one_time = cli_code(&t, &p, owner_claims(), &verifier).await;
        let mut outcomes = Vec::new();
        for _ in 0..6 {
            let r = t
                .app
                .sso_exchange_cli_code(&one_time, &verifier, Some("000000"), &client())
                .await;
            outcomes.push(match r {
                Err(AppError::Sso(SsoError::InvalidTotp)) => "wrong",
                Err(AppError::Throttled { .. }) => "throttled",
                other => panic!("{other:?}"),
            });
        }
        // The right code cleared the count: the fifth wrong one locks.
        assert_eq!(
            outcomes,
            ["wrong", "wrong", "wrong", "wrong", "wrong", "throttled"]
        );
        let failures = audit(&t, "auth.sso_login").await;
        let bad_codes = failures
            .iter()
            .filter(|e| e.outcome == "failure" && e.detail["reason"] == "bad_code")
            .count();
        // One in the browser, the replay, one at the CLI, five now.
        assert_eq!(bad_codes, 8);
        assert!(
            failures
                .iter()
                .filter(|e| e.detail["reason"] == "bad_code")
                .all(|e| e.actor_email.as_deref() == Some("owner@acme.test"))
        );
    }
}

#[tokio::test]
async fn the_providers_mfa_may_be_trusted_instead() {
    for t in TestApp::all("sso_trust_mfa").await {
        let p = with_sso_settings(
            &t,
            SsoSettings {
                trust_provider_mfa: true,
                ..settings()
            },
        );
        owner_totp(&t).await;
        let done = browser_sign_in(&t, &p, owner_claims()).await.unwrap();
        assert!(matches!(done, SsoFinish::SignedIn { .. }), "{done:?}");
        let verifier = "v".repeat(43);
        let one_time = cli_code(&t, &p, owner_claims(), &verifier).await;
        assert!(
            t.app
                .sso_exchange_cli_code(&one_time, &verifier, None, &client())
                .await
                .is_ok()
        );
    }
}

async fn guest(t: &TestApp, email: &str, until: Timestamp) -> Actor {
    let u = t
        .app
        .create_user(
            &t.owner,
            NewUser {
                email: email.into(),
                name: "Guest".into(),
                role: WorkspaceRole::Guest,
                password: "guest-password-1".into(),
                access_expires_at: Some(until),
            },
        )
        .await
        .unwrap();
    t.app
        .local_actor(u.id.parse().unwrap(), t.owner.workspace_id)
        .await
        .unwrap()
}

#[tokio::test]
async fn ended_guests_and_unverified_claims_sign_nobody_in() {
    for t in TestApp::all("sso_guest_end").await {
        let p = with_sso_settings(&t, settings());
        let end = t.clock.now().plus_seconds(300);
        guest(&t, "guest@acme.test", end).await;
        let verifier = "v".repeat(43);
        let guest_claims = || claims("guest-sub", "guest@acme.test", None, &[]);
        // A code got while their access lasted...
        let one_time = cli_code(&t, &p, guest_claims(), &verifier).await;
        // ...is no good once it ended, though no sweep ran yet.
        t.clock.advance_secs(301);
        let late = t
            .app
            .sso_exchange_cli_code(&one_time, &verifier, None, &client())
            .await;
        assert!(
            matches!(late, Err(AppError::Sso(SsoError::UserDeactivated))),
            "{late:?}"
        );
        // In the browser too: linked by now, and by email alike.
        let linked = browser_sign_in(&t, &p, guest_claims()).await;
        assert!(
            matches!(linked, Err(AppError::Sso(SsoError::UserDeactivated))),
            "{linked:?}"
        );
        let by_email =
            browser_sign_in(&t, &p, claims("other-sub", "guest@acme.test", None, &[])).await;
        assert!(
            matches!(by_email, Err(AppError::Sso(SsoError::UserDeactivated))),
            "{by_email:?}"
        );
        let sessions_after_end = audit(&t, "auth.sso_login")
            .await
            .into_iter()
            .filter(|e| e.outcome == "success")
            .count();
        assert_eq!(sessions_after_end, 0);

        // Someone whose provider says "owner@acme.test" without verifying
        // it: refused, and the Owner is not named as the one who failed.
        let mut unverified = claims("mallory-sub", "owner@acme.test", None, &[]);
        unverified.email_verified = false;
        let refused = browser_sign_in(&t, &p, unverified).await;
        assert!(matches!(
            refused,
            Err(AppError::Sso(SsoError::EmailUnverified))
        ));
        let failures = audit(&t, "auth.sso_login").await;
        let entry = failures
            .iter()
            .find(|e| e.detail["reason"] == "email_unverified")
            .unwrap();
        assert_eq!(entry.actor_id, None, "{entry:?}");
        assert_eq!(entry.detail["email"], "owner@acme.test");
        // Invited but not joined, and sign-up is off: told to use the link.
        t.app
            .create_invitation(
                &t.owner,
                "invited@acme.test",
                WorkspaceRole::User,
                "http://127.0.0.1:1",
            )
            .await
            .unwrap();
        let invited = browser_sign_in(
            &t,
            &p,
            claims("invited-sub", "invited@acme.test", None, &[]),
        )
        .await;
        assert!(
            matches!(invited, Err(AppError::Sso(SsoError::UseInvitation))),
            "{invited:?}"
        );
        // A linked account is named, verified or not.
        let mut linked_unverified = guest_claims();
        linked_unverified.email_verified = false;
        browser_sign_in(&t, &p, linked_unverified)
            .await
            .unwrap_err();
        let failures = audit(&t, "auth.sso_login").await;
        assert_eq!(
            failures[0].actor_email.as_deref(),
            Some("guest@acme.test"),
            "{:?}",
            failures[0]
        );
    }
}

#[tokio::test]
async fn sign_up_takes_a_pending_invitations_role_and_end() {
    for t in TestApp::all("sso_invited").await {
        let p = with_sso_settings(
            &t,
            SsoSettings {
                allow_signup: true,
                ..settings()
            },
        );
        let end = t.clock.now().plus_seconds(7 * 86400);
        t.app
            .create_invitation_until(
                &t.owner,
                "visitor@acme.test",
                WorkspaceRole::Guest,
                Some(end),
                "http://127.0.0.1:1",
            )
            .await
            .unwrap();
        let done = browser_sign_in(
            &t,
            &p,
            claims("visitor-sub", "visitor@acme.test", None, &[]),
        )
        .await
        .unwrap();
        let SsoFinish::SignedIn { login, .. } = done else {
            panic!("{done:?}")
        };
        let me = t
            .app
            .authenticate(login.token.expose(), ADDRESS)
            .await
            .unwrap();
        assert_eq!(me.role, WorkspaceRole::Guest);
        let users = t.app.list_users(&t.owner).await.unwrap();
        let visitor = users
            .iter()
            .find(|u| u.email == "visitor@acme.test")
            .unwrap();
        assert_eq!(visitor.access_expires_at, Some(end.to_rfc3339()));
        let invitations = t.app.list_invitations(&t.owner).await.unwrap();
        assert_eq!(invitations[0].state, InvitationState::Accepted);
        let accepted = audit(&t, "invitation.accept").await;
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].detail["via"], "sso");

        // An invitation whose access ended before it was used: refused.
        let soon = t.clock.now().plus_seconds(3600);
        t.app
            .create_invitation_until(
                &t.owner,
                "late@acme.test",
                WorkspaceRole::Guest,
                Some(soon),
                "http://127.0.0.1:1",
            )
            .await
            .unwrap();
        t.clock.advance_secs(7200);
        let late = browser_sign_in(&t, &p, claims("late-sub", "late@acme.test", None, &[])).await;
        assert!(
            matches!(late, Err(AppError::Sso(SsoError::InvitationEnded))),
            "{late:?}"
        );
        assert!(
            !t.app
                .list_users(&t.owner)
                .await
                .unwrap()
                .iter()
                .any(|u| u.email == "late@acme.test")
        );
    }
}

#[tokio::test]
async fn one_address_starts_only_so_many_flows() {
    for t in TestApp::all("sso_flow_cap").await {
        with_sso_settings(&t, settings());
        let challenge = pkce_challenge(&"v".repeat(43));
        for _ in 0..orthrus_app::SSO_STARTS_PER_ADDRESS {
            t.app.sso_begin_sign_in("/", "127.0.0.2").await.unwrap();
        }
        let refused = t.app.sso_begin_sign_in("/", "127.0.0.2").await;
        assert!(
            matches!(refused, Err(AppError::Sso(SsoError::TooManyFlows))),
            "{refused:?}"
        );
        let cli = t
            .app
            .sso_begin_cli("http://127.0.0.1:53682/cb", &challenge, "127.0.0.2")
            .await;
        assert!(matches!(cli, Err(AppError::Sso(SsoError::TooManyFlows))));
        // Another address is not held up; this one may again later.
        t.app.sso_begin_sign_in("/", "127.0.0.3").await.unwrap();
        t.clock.advance_secs(orthrus_app::SSO_FLOW_SECS + 1);
        t.app.sso_begin_sign_in("/", "127.0.0.2").await.unwrap();
    }
}
