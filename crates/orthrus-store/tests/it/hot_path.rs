//! The hot paths' single queries (issue 16, item 4) answer what the separate
//! queries they replace answer: credential + user + workspace, and account +
//! grants in force + active authenticator + used mark; the ledger's
//! multi-row insert keeps every row.

use super::fixtures::*;
use super::*;

/// An extension session of `u`, elevated for a minute.
fn session(c: &FakeClock, u: &UserRow, hash: &str) -> SessionRow {
    SessionRow {
        kind: SessionKind::Extension,
        elevated_until: Some(c.now().plus_seconds(60)),
        ..fixtures::session(c, u, hash)
    }
}

/// Access to `a` three ways: `temp` a Collaborator until ten minutes from
/// now (returned), `teamed` a Manager through the team "Ops" and, lower,
/// a direct Collaborator (the highest wins).
async fn grant_three_ways(
    s: &dyn Store,
    c: &FakeClock,
    a: &AccountRow,
    owner: &UserRow,
    temp: &UserRow,
    teamed: &UserRow,
) -> Timestamp {
    let end = c.now().plus_seconds(600);
    s.upsert_member(&MemberRow {
        user_id: temp.id,
        role: AccountRole::Collaborator,
        expires_at: Some(end),
        ..owner_of(a, owner.id)
    })
    .await
    .unwrap();
    let team = TeamRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: a.workspace_id,
        display_name: "Ops".into(),
        external_id: None,
        created_at: c.now(),
        updated_at: c.now(),
    };
    s.create_team(&team).await.unwrap();
    s.add_team_member(a.workspace_id, team.id, teamed.id, c.now())
        .await
        .unwrap();
    s.put_team_grant(&TeamGrantRow {
        workspace_id: a.workspace_id,
        account_id: a.id,
        team_id: team.id,
        role: AccountRole::Manager,
        added_by: owner.id,
        added_at: c.now(),
    })
    .await
    .unwrap();
    s.upsert_member(&member(a, owner.id, teamed.id, AccountRole::Collaborator))
        .await
        .unwrap();
    end
}

/// Who may view the codes of the Owner's account "IG", and who may not: a
/// workspace with the Owner `o@acme.test` and the Users `t@` (`temp`),
/// `team@` (`teamed`) and `n@acme.test` (`nobody`), stored in that order;
/// (clock, workspace, owner, temp, teamed, nobody, account).
async fn viewers(
    s: &dyn Store,
) -> (
    FakeClock,
    WorkspaceRow,
    UserRow,
    UserRow,
    UserRow,
    UserRow,
    AccountRow,
) {
    let c = clock();
    let ws = workspace(&c);
    let owner = user(&c, ws.id, "o@acme.test", WorkspaceRole::Owner);
    let temp = user(&c, ws.id, "t@acme.test", WorkspaceRole::User);
    let teamed = user(&c, ws.id, "team@acme.test", WorkspaceRole::User);
    let nobody = user(&c, ws.id, "n@acme.test", WorkspaceRole::User);
    s.bootstrap(&ws, &owner).await.unwrap();
    for u in [&temp, &teamed, &nobody] {
        s.create_user(u).await.unwrap();
    }
    let a = account(&c, ws.id, owner.id, "IG");
    s.create_account(&a, &owner_of(&a, owner.id), &[])
        .await
        .unwrap();
    (c, ws, owner, temp, teamed, nobody, a)
}

#[tokio::test]
async fn a_credential_comes_with_its_user_and_workspace() {
    for s in backends("hotauth").await.stores {
        let c = clock();
        let ws = WorkspaceRow {
            require_2fa: true,
            ..workspace(&c)
        };
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::Admin);
        s.bootstrap(&ws, &u).await.unwrap();
        let sess = session(&c, &u, "hot-session");
        s.create_session(&sess).await.unwrap();
        let (got, gu, gw) = s.session_with_user("hot-session").await.unwrap().unwrap();
        assert_eq!(got, sess, "{}", s.backend());
        assert_eq!(gu, s.get_user(ws.id, u.id).await.unwrap().unwrap());
        assert_eq!(gw, s.get_workspace(ws.id).await.unwrap().unwrap());
        assert!(s.session_with_user("nope").await.unwrap().is_none());
        // A session's hash is not an API token's.
        assert!(
            s.api_token_with_user("hot-session")
                .await
                .unwrap()
                .is_none()
        );

        let tok = ApiTokenRow {
            token_hash: "hot-token".into(),
            prefix: "ort_abcd".into(),
            last_used_at: Some(c.now()),
            expires_at: Some(c.now().plus_seconds(86_400)),
            ..token(&c, &u, "ci")
        };
        s.create_api_token(&tok).await.unwrap();
        let (got, gu, gw) = s.api_token_with_user("hot-token").await.unwrap().unwrap();
        assert_eq!(got, tok);
        assert_eq!((gu.id, gu.role, gw.require_2fa), (u.id, u.role, true));
        assert!(s.session_with_user("hot-token").await.unwrap().is_none());

        // Revocation is read as the separate query reads it (the caller
        // refuses it).
        s.revoke_user_credentials(ws.id, u.id, c.now())
            .await
            .unwrap();
        let (got, _, _) = s.session_with_user("hot-session").await.unwrap().unwrap();
        assert_eq!(got.revoked_at, Some(c.now()));
        assert_eq!(
            got,
            s.session_by_token_hash("hot-session")
                .await
                .unwrap()
                .unwrap()
        );
        let (got, _, _) = s.api_token_with_user("hot-token").await.unwrap().unwrap();
        assert_eq!(got.revoked_at, Some(c.now()));

        // A credential whose row names a user of another workspace finds
        // nobody, as `get_user_and_workspace(ws, user)` would.
        let ws2 = workspace(&c);
        s.create_workspace(&ws2).await.unwrap();
        let stray = SessionRow {
            workspace_id: ws2.id,
            ..session(&c, &u, "stray")
        };
        s.create_session(&stray).await.unwrap();
        assert!(
            s.get_user_and_workspace(ws2.id, u.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.session_with_user("stray").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_code_view_reads_what_the_separate_queries_read() {
    for s in backends("hotcode").await.stores {
        let (c, ws, owner, temp, teamed, nobody, a) = viewers(s.as_ref()).await;
        let end = grant_three_ways(s.as_ref(), &c, &a, &owner, &temp, &teamed).await;

        let secs = c.now().unix_seconds();
        // Roles: as `get_account_for` answers, before and after the end.
        for at in [c.now(), end] {
            for u in [&owner, &temp, &teamed, &nobody] {
                let read = s
                    .code_view_read(ws.id, a.id, u.id, at.millis(), secs)
                    .await
                    .unwrap()
                    .unwrap();
                let (row, role) = s
                    .get_account_for(ws.id, a.id, u.id, at)
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(
                    (&read.account, read.role),
                    (&row, role),
                    "{} {}",
                    s.backend(),
                    u.email
                );
                assert_eq!((read.otp, read.used), (None, None), "no authenticator yet");
            }
        }
        let role = |r: Option<CodeViewRead>| r.unwrap().role;
        assert_eq!(
            role(
                s.code_view_read(ws.id, a.id, teamed.id, c.now().millis(), secs)
                    .await
                    .unwrap()
            ),
            Some(AccountRole::Manager)
        );
        assert_eq!(
            role(
                s.code_view_read(ws.id, a.id, temp.id, end.millis(), secs)
                    .await
                    .unwrap()
            ),
            None,
            "an ended membership grants nothing"
        );
        // Another workspace, or no such account: nothing.
        let ws2 = workspace(&c);
        s.create_workspace(&ws2).await.unwrap();
        assert!(
            s.code_view_read(ws2.id, a.id, owner.id, c.now().millis(), secs)
                .await
                .unwrap()
                .is_none()
        );
        let missing = AccountId::new(&c, &OsEntropy);
        assert!(
            s.code_view_read(ws.id, missing, owner.id, c.now().millis(), secs)
                .await
                .unwrap()
                .is_none()
        );

        // A pending authenticator is not the active one.
        s.put_otp(&otp(&c, &a, OtpSlot::Pending, 1, owner.id))
            .await
            .unwrap();
        let read = s
            .code_view_read(ws.id, a.id, owner.id, c.now().millis(), secs)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.otp, None);
        assert!(s.promote_otp(ws.id, a.id, c.now(), None).await.unwrap());
        let active = stored_otp(&s, ws.id, a.id, OtpSlot::Active).await;
        let step = secs / active.period;
        let read = s
            .code_view_read(ws.id, a.id, temp.id, c.now().millis(), secs)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.otp.as_ref(), Some(&active), "{}", s.backend());
        assert_eq!(read.used, Some((step, None)));

        // The step marked used is read with it; the next step is not.
        let mark = used_step(&c, &a, step, &owner, "view");
        assert!(s.mark_step_used(&mark).await.unwrap());
        let read = s
            .code_view_read(ws.id, a.id, owner.id, c.now().millis(), secs)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.used,
            Some((step, s.get_used_step(ws.id, a.id, step).await.unwrap()))
        );
        assert_eq!(read.used, Some((step, Some(mark))));
        let next = (step + 1) * active.period;
        let read = s
            .code_view_read(ws.id, a.id, owner.id, c.now().millis(), next)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.used, Some((step + 1, None)));
    }
}

#[tokio::test]
async fn ledger_batches_keep_every_row() {
    for s in backends("hotledger").await.stores {
        let (c, ws, u, a) = Scene::parts(s.as_ref(), "IG").await;
        let row = |n: i64| IssuanceRow {
            id: EventId::new(&c, &OsEntropy),
            workspace_id: ws.id,
            account_id: a.id,
            user_id: (n % 2 == 0).then_some(u.id),
            user_email: (n % 2 == 0).then(|| u.email.clone()),
            how: "view".parse().unwrap(),
            step: n,
            issued_at: Timestamp(c.now().0 + n),
        };
        s.record_issuances(&[]).await.unwrap();
        // One statement, then more than one statement's worth.
        let small: Vec<IssuanceRow> = (0..3).map(row).collect();
        s.record_issuances(&small).await.unwrap();
        let big: Vec<IssuanceRow> = (3..150).map(row).collect();
        s.record_issuances(&big).await.unwrap();
        let mut all = s.list_issuance(ws.id, a.id, 1000).await.unwrap();
        all.sort_by_key(|r| r.step);
        let mut want = small;
        want.extend(big);
        assert_eq!(all, want, "{}", s.backend());
        // A batch with a bad row is refused whole.
        let mut bad: Vec<IssuanceRow> = (150..153).map(row).collect();
        bad[2].id = bad[0].id;
        assert!(s.record_issuances(&bad).await.is_err());
        assert_eq!(s.list_issuance(ws.id, a.id, 1000).await.unwrap().len(), 150);
    }
}

/// `code_view_for_credential` against the two queries it replaces:
/// the credential with its user and workspace, then `code_view_read` for
/// that user in the credential's workspace.
async fn one_query_matches_two(
    s: &dyn Store,
    kind: CredentialKind,
    hash: &str,
    account: AccountId,
    now_ms: i64,
    at: i64,
) -> Option<CredentialCodeView> {
    let got = s
        .code_view_for_credential(kind, hash, account, now_ms, at)
        .await
        .unwrap();
    let found = match kind {
        CredentialKind::Session => s
            .session_with_user(hash)
            .await
            .unwrap()
            .map(|(c, u, w)| (c.workspace_id, CredentialRow::Session(c), u, w)),
        CredentialKind::ApiToken => s
            .api_token_with_user(hash)
            .await
            .unwrap()
            .map(|(c, u, w)| (c.workspace_id, CredentialRow::ApiToken(c), u, w)),
    };
    let want = match found {
        None => None,
        Some((ws, credential, user, workspace)) => Some(CredentialCodeView {
            read: s
                .code_view_read(ws, account, user.id, now_ms, at)
                .await
                .unwrap(),
            credential,
            user,
            workspace,
        }),
    };
    assert_eq!(got, want, "{} {kind:?} {hash}", s.backend());
    got
}

#[tokio::test]
async fn a_code_view_with_its_credential_is_one_query_with_the_same_answer() {
    for s in backends("hotcred").await.stores {
        let s = s.as_ref();
        let (c, ws, owner, temp, teamed, nobody, a) = viewers(s).await;
        // Another workspace with an account of its own.
        let ws2 = workspace(&c);
        let other = user(&c, ws2.id, "x@other.test", WorkspaceRole::Owner);
        s.create_workspace(&ws2).await.unwrap();
        s.create_user(&other).await.unwrap();
        let foreign = account(&c, ws2.id, other.id, "Theirs");
        s.create_account(&foreign, &owner_of(&foreign, other.id), &[])
            .await
            .unwrap();

        let end = grant_three_ways(s, &c, &a, &owner, &temp, &teamed).await;

        // Each user signs in twice: a session and an API token.
        let mut creds = Vec::new();
        for u in [&owner, &temp, &teamed, &nobody, &other] {
            let sh = format!("s-{}", u.email);
            s.create_session(&session(&c, u, &sh)).await.unwrap();
            let th = format!("t-{}", u.email);
            s.create_api_token(&ApiTokenRow {
                id: TokenId::new(&c, &OsEntropy),
                workspace_id: u.workspace_id,
                user_id: u.id,
                name: "ci".into(),
                token_hash: th.clone(),
                prefix: "ort_abcd".into(),
                created_at: c.now(),
                last_used_at: None,
                expires_at: None,
                revoked_at: None,
            })
            .await
            .unwrap();
            creds.push((u.id, CredentialKind::Session, sh));
            creds.push((u.id, CredentialKind::ApiToken, th));
        }
        let role_of = |v: Option<CredentialCodeView>| v.unwrap().read.unwrap().role;
        let secs = c.now().unix_seconds();

        // Without an authenticator, then with one and a used mark.
        for enrolled in [false, true] {
            if enrolled {
                s.put_otp(&otp(&c, &a, OtpSlot::Pending, 1, owner.id))
                    .await
                    .unwrap();
                assert!(s.promote_otp(ws.id, a.id, c.now(), None).await.unwrap());
                let step = secs / 30;
                assert!(
                    s.mark_step_used(&used_step(&c, &a, step, &owner, "view"))
                        .await
                        .unwrap()
                );
            }
            for at in [c.now(), end] {
                for (uid, kind, hash) in &creds {
                    let got = one_query_matches_two(s, *kind, hash, a.id, at.millis(), secs)
                        .await
                        .unwrap();
                    let read = got.read.as_ref();
                    if *uid == other.id {
                        assert!(read.is_none(), "another workspace's account: no read");
                        continue;
                    }
                    let read = read.unwrap();
                    assert_eq!(read.otp.is_some(), enrolled);
                    assert_eq!(
                        read.used.as_ref().map(|(_, m)| m.is_some()),
                        enrolled.then_some(true),
                        "the used mark of the step looked at"
                    );
                }
                // A later step: its mark is not there.
                one_query_matches_two(
                    s,
                    CredentialKind::Session,
                    "s-o@acme.test",
                    a.id,
                    at.millis(),
                    secs + 30,
                )
                .await;
            }
        }
        // The roles the grants give, spelled out.
        let now = c.now().millis();
        let view = |kind, hash: &'static str, acct, ms| async move {
            one_query_matches_two(s, kind, hash, acct, ms, secs).await
        };
        assert_eq!(
            role_of(view(CredentialKind::Session, "s-o@acme.test", a.id, now).await),
            Some(AccountRole::Owner)
        );
        assert_eq!(
            role_of(view(CredentialKind::ApiToken, "t-team@acme.test", a.id, now).await),
            Some(AccountRole::Manager),
            "a team grant above a direct one"
        );
        assert_eq!(
            role_of(view(CredentialKind::Session, "s-t@acme.test", a.id, now).await),
            Some(AccountRole::Collaborator)
        );
        assert_eq!(
            role_of(view(CredentialKind::Session, "s-t@acme.test", a.id, end.millis()).await),
            None,
            "an ended membership grants nothing"
        );
        assert_eq!(
            role_of(view(CredentialKind::ApiToken, "t-n@acme.test", a.id, now).await),
            None,
            "no grant"
        );
        // Another workspace's account, or no such account: the credential
        // alone.
        let got = view(CredentialKind::Session, "s-o@acme.test", foreign.id, now)
            .await
            .unwrap();
        assert_eq!((got.user.id, got.read), (owner.id, None));
        let missing = AccountId::new(&c, &OsEntropy);
        assert!(
            view(CredentialKind::ApiToken, "t-o@acme.test", missing, now)
                .await
                .unwrap()
                .read
                .is_none()
        );
        // Unknown tokens, and a token looked up as the other kind.
        assert!(
            view(CredentialKind::Session, "nope", a.id, now)
                .await
                .is_none()
        );
        assert!(
            view(CredentialKind::ApiToken, "s-o@acme.test", a.id, now)
                .await
                .is_none()
        );
        // Revoked credentials come back revoked (the caller refuses them).
        s.revoke_user_credentials(ws.id, owner.id, c.now())
            .await
            .unwrap();
        for (kind, hash) in [
            (CredentialKind::Session, "s-o@acme.test"),
            (CredentialKind::ApiToken, "t-o@acme.test"),
        ] {
            let got = view(kind, hash, a.id, now).await.unwrap();
            let revoked = match got.credential {
                CredentialRow::Session(r) => r.revoked_at,
                CredentialRow::ApiToken(r) => r.revoked_at,
            };
            assert_eq!(revoked, Some(c.now()));
        }
        // A credential naming a user of another workspace finds nobody.
        let stray = SessionRow {
            workspace_id: ws2.id,
            ..session(&c, &owner, "stray")
        };
        s.create_session(&stray).await.unwrap();
        assert!(
            view(CredentialKind::Session, "stray", foreign.id, now)
                .await
                .is_none()
        );
    }
}
