//! The storage conformance suite: every test runs on SQLite, and on
//! PostgreSQL too when `ORTHRUS_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use orthrus_core::*;
use orthrus_store::*;
use std::sync::Arc;

mod accounts;
mod approvals;
mod ceremonies;
mod coverage;
mod directory;
mod expiry;
mod extension;
mod fixtures;
mod hot_path;
mod hotp;
mod inbox;
mod inbox_paging;
mod inbox_usage;
mod invitations;
mod jobs;
mod mfa_checks;
mod notify;
mod ops;
mod passkeys;
mod phones;
mod rotations;
mod shared_work;
mod sso;
mod users;

struct Backends {
    stores: Vec<Arc<dyn Store>>,
    _dir: tempfile::TempDir,
}

async fn backends(tag: &str) -> Backends {
    let dir = tempfile::tempdir().unwrap();
    let mut stores: Vec<Arc<dyn Store>> = vec![Arc::new(
        SqliteStore::open(&dir.path().join("t.db")).await.unwrap(),
    )];
    if let Some(base) = testing::pg_base_url() {
        let url = testing::pg_scratch_database(&base, tag).await.unwrap();
        stores.push(Arc::new(PgStore::connect(&url).await.unwrap()));
    } else {
        eprintln!("ORTHRUS_TEST_DATABASE_URL not set: PostgreSQL half of {tag} skipped");
    }
    Backends { stores, _dir: dir }
}

fn clock() -> FakeClock {
    FakeClock::new(Timestamp(1_790_000_000_000))
}

fn workspace(c: &FakeClock) -> WorkspaceRow {
    WorkspaceRow {
        id: WorkspaceId::new(c, &OsEntropy),
        name: "Acme".into(),
        require_2fa: false,
        step_up_minutes: 10,
        created_at: c.now(),
    }
}

fn user(c: &FakeClock, ws: WorkspaceId, email: &str, role: WorkspaceRole) -> UserRow {
    UserRow {
        id: UserId::new(c, &OsEntropy),
        workspace_id: ws,
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        role,
        password_hash: "$argon2id$fake".into(),
        active: true,
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
        created_at: c.now(),
        updated_at: c.now(),
        access_expires_at: None,
    }
}

fn account(c: &FakeClock, ws: WorkspaceId, by: UserId, label: &str) -> AccountRow {
    AccountRow {
        id: AccountId::new(c, &OsEntropy),
        workspace_id: ws,
        app: "instagram".into(),
        label: label.into(),
        login_url: "https://instagram.com".into(),
        username: "brand".into(),
        password: vec![1, 2, 3],
        notes: None,
        version: 1,
        created_by: by,
        created_at: c.now(),
        updated_at: c.now(),
    }
}

fn owner_of(a: &AccountRow, u: UserId) -> MemberRow {
    MemberRow {
        workspace_id: a.workspace_id,
        account_id: a.id,
        user_id: u,
        role: AccountRole::Owner,
        added_by: u,
        added_at: a.created_at,
        expires_at: None,
    }
}

#[tokio::test]
async fn bootstrap_only_once_and_users_are_unique() {
    for s in backends("bootstrap").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let owner = user(&c, ws.id, "owner@acme.test", WorkspaceRole::Owner);
        assert_eq!(s.count_users().await.unwrap(), 0);
        s.bootstrap(&ws, &owner).await.unwrap();
        let ws2 = workspace(&c);
        let again = s
            .bootstrap(&ws2, &user(&c, ws2.id, "x@acme.test", WorkspaceRole::Owner))
            .await;
        assert!(
            matches!(again, Err(StoreError::Conflict(_))),
            "{}: {again:?}",
            s.backend()
        );
        assert!(
            s.get_workspace(ws2.id).await.unwrap().is_none(),
            "rolled back"
        );
        let dup = s
            .create_user(&user(&c, ws.id, "owner@acme.test", WorkspaceRole::User))
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        assert_eq!(
            s.find_user_by_email("owner@acme.test")
                .await
                .unwrap()
                .unwrap(),
            owner
        );
        assert_eq!(
            s.get_user(ws.id, owner.id).await.unwrap().unwrap().role,
            WorkspaceRole::Owner
        );
        // Another workspace cannot see the user.
        s.create_workspace(&ws2).await.unwrap();
        assert!(s.get_user(ws2.id, owner.id).await.unwrap().is_none());
        s.set_user_role(ws.id, owner.id, WorkspaceRole::Admin, c.now())
            .await
            .unwrap();
        s.set_user_active(ws.id, owner.id, false, c.now())
            .await
            .unwrap();
        let u = s.get_user(ws.id, owner.id).await.unwrap().unwrap();
        assert_eq!((u.role, u.active), (WorkspaceRole::Admin, false));
        assert!(matches!(
            s.set_user_role(ws2.id, owner.id, WorkspaceRole::User, c.now())
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn totp_steps_and_recovery_codes_are_single_use() {
    for s in backends("totp").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::User);
        s.bootstrap(&ws, &u).await.unwrap();
        s.set_user_totp(ws.id, u.id, Some(&[9, 9]), true, c.now())
            .await
            .unwrap();
        assert!(s.claim_user_totp_step(ws.id, u.id, 100).await.unwrap());
        assert!(
            !s.claim_user_totp_step(ws.id, u.id, 100).await.unwrap(),
            "replay refused"
        );
        assert!(
            !s.claim_user_totp_step(ws.id, u.id, 99).await.unwrap(),
            "older step refused"
        );
        assert!(s.claim_user_totp_step(ws.id, u.id, 101).await.unwrap());
        s.replace_recovery_codes(ws.id, u.id, &["h1".into(), "h2".into()])
            .await
            .unwrap();
        assert_eq!(s.count_unused_recovery_codes(ws.id, u.id).await.unwrap(), 2);
        assert!(
            s.use_recovery_code(ws.id, u.id, "h1", c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.use_recovery_code(ws.id, u.id, "h1", c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.use_recovery_code(ws.id, u.id, "nope", c.now())
                .await
                .unwrap()
        );
        assert_eq!(s.count_unused_recovery_codes(ws.id, u.id).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn sessions_tokens_and_throttle() {
    for s in backends("sessions").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::User);
        s.bootstrap(&ws, &u).await.unwrap();
        let sess = SessionRow {
            id: SessionId::new(&c, &OsEntropy),
            workspace_id: ws.id,
            user_id: u.id,
            token_hash: "th1".into(),
            kind: SessionKind::Cookie,
            created_at: c.now(),
            last_seen_at: c.now(),
            expires_at: c.now().plus_seconds(3600),
            elevated_until: None,
            ip: "127.0.0.1".into(),
            user_agent: "test".into(),
            revoked_at: None,
        };
        s.create_session(&sess).await.unwrap();
        assert_eq!(s.session_by_token_hash("th1").await.unwrap().unwrap(), sess);
        s.elevate_session(sess.id, c.now().plus_seconds(600))
            .await
            .unwrap();
        assert_eq!(
            s.session_by_token_hash("th1")
                .await
                .unwrap()
                .unwrap()
                .elevated_until,
            Some(c.now().plus_seconds(600))
        );
        assert_eq!(
            s.list_sessions(ws.id, u.id, c.now()).await.unwrap().len(),
            1
        );
        let tok = ApiTokenRow {
            id: TokenId::new(&c, &OsEntropy),
            workspace_id: ws.id,
            user_id: u.id,
            name: "ci".into(),
            token_hash: "tk1".into(),
            prefix: "ort_abcd".into(),
            created_at: c.now(),
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
        };
        s.create_api_token(&tok).await.unwrap();
        assert_eq!(
            s.list_api_tokens(ws.id, u.id).await.unwrap(),
            vec![tok.clone()]
        );
        s.revoke_user_credentials(ws.id, u.id, c.now())
            .await
            .unwrap();
        assert!(
            s.session_by_token_hash("th1")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert!(
            s.api_token_by_hash("tk1")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert!(
            s.list_sessions(ws.id, u.id, c.now())
                .await
                .unwrap()
                .is_empty()
        );

        // Throttle: 3 failures in the window lock the key.
        for i in 1..=2 {
            let t = s
                .record_failure("email:a", c.now(), 900, 3, 60)
                .await
                .unwrap();
            assert_eq!((t.failures, t.locked_until), (i, None));
        }
        let t = s
            .record_failure("email:a", c.now(), 900, 3, 60)
            .await
            .unwrap();
        assert_eq!(t.locked_until, Some(c.now().plus_seconds(60)));
        // After the window, counting restarts.
        c.advance_secs(1000);
        let t = s
            .record_failure("email:a", c.now(), 900, 3, 60)
            .await
            .unwrap();
        assert_eq!(t.failures, 1);
        s.clear_throttle("email:a").await.unwrap();
        assert!(s.get_throttle("email:a").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn accounts_members_and_optimistic_concurrency() {
    for s in backends("accounts").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::Owner);
        let v = user(&c, ws.id, "b@acme.test", WorkspaceRole::User);
        s.bootstrap(&ws, &u).await.unwrap();
        s.create_user(&v).await.unwrap();
        let a = account(&c, ws.id, u.id, "Brand IG");
        s.create_account(&a, &owner_of(&a, u.id), &[])
            .await
            .unwrap();
        assert_eq!(s.get_account(ws.id, a.id).await.unwrap().unwrap(), a);
        assert_eq!(
            s.member_role(ws.id, a.id, u.id, c.now()).await.unwrap(),
            Some(AccountRole::Owner)
        );
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, c.now()).await.unwrap(),
            None
        );
        s.upsert_member(&MemberRow {
            role: AccountRole::Collaborator,
            user_id: v.id,
            ..owner_of(&a, u.id)
        })
        .await
        .unwrap();
        s.upsert_member(&MemberRow {
            role: AccountRole::Manager,
            user_id: v.id,
            ..owner_of(&a, u.id)
        })
        .await
        .unwrap();
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, c.now()).await.unwrap(),
            Some(AccountRole::Manager)
        );
        assert_eq!(s.list_members(ws.id, a.id, c.now()).await.unwrap().len(), 2);
        assert_eq!(
            s.list_accounts_for_user(ws.id, v.id, c.now())
                .await
                .unwrap()[0]
                .1,
            AccountRole::Manager
        );

        let change = AccountChange {
            label: Some("Brand Instagram".into()),
            password: Some(vec![4, 5, 6]),
            notes: Some(Some(vec![7])),
            history: Some(PasswordHistoryRow {
                id: EventId::new(&c, &OsEntropy),
                workspace_id: ws.id,
                account_id: a.id,
                password: vec![1, 2, 3],
                changed_by: u.id,
                changed_at: c.now(),
            }),
            fields: Some(vec![FieldRow {
                id: FieldId::new(&c, &OsEntropy),
                workspace_id: ws.id,
                account_id: a.id,
                position: 0,
                name: "PIN".into(),
                secret: true,
                value_text: None,
                value_sealed: Some(vec![1]),
            }]),
            ..Default::default()
        };
        let updated = s
            .update_account(ws.id, a.id, 1, &change, c.now())
            .await
            .unwrap();
        assert_eq!(
            (
                updated.version,
                updated.label.as_str(),
                updated.password.clone(),
                updated.notes.clone()
            ),
            (2, "Brand Instagram", vec![4, 5, 6], Some(vec![7]))
        );
        assert_eq!(updated.username, "brand", "untouched columns stay");
        // A second writer holding version 1 loses nothing and is told.
        let stale = s
            .update_account(
                ws.id,
                a.id,
                1,
                &AccountChange {
                    label: Some("x".into()),
                    ..Default::default()
                },
                c.now(),
            )
            .await;
        assert!(
            matches!(stale, Err(StoreError::VersionConflict)),
            "{stale:?}"
        );
        assert_eq!(
            s.list_password_history(ws.id, a.id).await.unwrap()[0].password,
            vec![1, 2, 3]
        );
        assert_eq!(s.list_fields(ws.id, a.id).await.unwrap()[0].name, "PIN");
        // Clearing notes.
        let cleared = s
            .update_account(
                ws.id,
                a.id,
                2,
                &AccountChange {
                    notes: Some(None),
                    ..Default::default()
                },
                c.now(),
            )
            .await
            .unwrap();
        assert_eq!(cleared.notes, None);
        // Other workspaces see nothing.
        let other = workspace(&c);
        s.create_workspace(&other).await.unwrap();
        assert!(s.get_account(other.id, a.id).await.unwrap().is_none());
        assert!(matches!(
            s.update_account(other.id, a.id, 3, &AccountChange::default(), c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(s.remove_member(ws.id, a.id, v.id).await.unwrap());
        assert!(s.delete_account(ws.id, a.id).await.unwrap());
        assert!(s.get_account(ws.id, a.id).await.unwrap().is_none());
        assert!(s.list_accounts(ws.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn audit_chain_appends_in_order_and_filters() {
    for s in backends("audit").await.stores {
        let c = clock();
        let ws = workspace(&c);
        s.create_workspace(&ws).await.unwrap();
        let chain = |prev: &str, seq: i64, e: &NewAuditEvent| ChainLink {
            hash: format!("{prev}:{seq}:{}", e.action)
                .chars()
                .rev()
                .take(64)
                .collect::<String>(),
            head_mac: format!("mac{seq}"),
        };
        let mut appended = Vec::new();
        for i in 0..5 {
            c.advance_secs(1);
            let e = NewAuditEvent {
                id: EventId::new(&c, &OsEntropy),
                at: c.now(),
                actor_id: None,
                actor_email: Some("a@acme.test".into()),
                action: if i % 2 == 0 {
                    "login.success".into()
                } else {
                    "account.reveal".into()
                },
                target_type: Some("account".into()),
                target_id: Some(format!("t{i}")),
                ip: Some("127.0.0.1".into()),
                outcome: "success".into(),
                detail: serde_json::json!({"i": i}),
            };
            appended.push(s.append_audit(ws.id, &e, &chain).await.unwrap());
        }
        assert_eq!(
            appended.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
        assert_eq!(appended[0].prev_hash, GENESIS_HASH);
        assert_eq!(appended[1].prev_hash, appended[0].hash);
        assert_eq!(s.audit_chain(ws.id).await.unwrap(), appended);
        assert_eq!(
            s.audit_head(ws.id).await.unwrap(),
            Some(AuditHead {
                seq: 5,
                hash: appended[4].hash.clone(),
                mac: "mac5".into()
            })
        );
        let logins = s
            .list_audit(
                ws.id,
                &AuditFilter {
                    action: Some("login.success".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            logins.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![5, 3, 1]
        );
        let page = s
            .list_audit(
                ws.id,
                &AuditFilter {
                    before_seq: Some(4),
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 2]);
        let window = s
            .list_audit(
                ws.id,
                &AuditFilter {
                    since: Some(appended[1].event.at),
                    until: Some(appended[2].event.at),
                    target_id: Some("t2".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(window.len(), 1);
        assert_eq!(window[0].event.detail, serde_json::json!({"i": 2}));
    }
}

#[tokio::test]
async fn concurrent_audit_appends_keep_one_chain() {
    for s in backends("auditconc").await.stores {
        let c = clock();
        let ws = workspace(&c);
        s.create_workspace(&ws).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..20 {
            let s = Arc::clone(&s);
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                let chain = |prev: &str, seq: i64, _: &NewAuditEvent| ChainLink {
                    hash: format!("{seq}-{}", &prev[..prev.len().min(8)]),
                    head_mac: String::new(),
                };
                let e = NewAuditEvent {
                    id: EventId::new(&c, &OsEntropy),
                    at: c.now(),
                    actor_id: None,
                    actor_email: None,
                    action: format!("a{i}"),
                    target_type: None,
                    target_id: None,
                    ip: None,
                    outcome: "success".into(),
                    detail: serde_json::json!({}),
                };
                s.append_audit(ws.id, &e, &chain).await.unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let all = s.audit_chain(ws.id).await.unwrap();
        assert_eq!(all.len(), 20);
        for w in all.windows(2) {
            assert_eq!(w[1].prev_hash, w[0].hash, "{}", s.backend());
        }
    }
}

#[tokio::test]
async fn instance_settings_keep_the_first_value() {
    for s in backends("settings").await.stores {
        assert_eq!(s.get_setting("master_key_id").await.unwrap(), None);
        assert_eq!(
            s.put_setting_if_absent("master_key_id", "abc")
                .await
                .unwrap(),
            "abc"
        );
        assert_eq!(
            s.put_setting_if_absent("master_key_id", "def")
                .await
                .unwrap(),
            "abc"
        );
        assert_eq!(
            s.get_setting("master_key_id").await.unwrap().as_deref(),
            Some("abc")
        );
    }
}

#[tokio::test]
async fn concurrent_first_run_setups_create_one_workspace() {
    for s in backends("setuprace").await.stores {
        let c = clock();
        let mut tasks = Vec::new();
        for i in 0..4 {
            let s = Arc::clone(&s);
            let c = c.clone();
            tasks.push(tokio::spawn(async move {
                let ws = workspace(&c);
                let u = user(&c, ws.id, &format!("o{i}@acme.test"), WorkspaceRole::Owner);
                s.bootstrap(&ws, &u).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("{}: {e}", s.backend()),
            }
        }
        assert_eq!(ok, 1, "{}", s.backend());
        assert_eq!(s.list_workspaces().await.unwrap().len(), 1);
        assert_eq!(s.count_users().await.unwrap(), 1);
    }
}

#[tokio::test]
async fn reopening_does_not_reapply_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("re.db");
    let c = clock();
    {
        let s = SqliteStore::open(&path).await.unwrap();
        s.create_workspace(&workspace(&c)).await.unwrap();
        s.close().await;
    }
    let s = SqliteStore::open(&path).await.unwrap();
    assert_eq!(s.list_workspaces().await.unwrap().len(), 1);
}

fn otp(c: &FakeClock, a: &AccountRow, slot: OtpSlot, secret: u8, by: UserId) -> OtpRow {
    OtpRow {
        workspace_id: a.workspace_id,
        account_id: a.id,
        slot,
        id: EventId::new(c, &OsEntropy),
        secret: vec![secret; 8],
        kind: "totp".into(),
        algorithm: "sha1".into(),
        digits: 6,
        period: 30,
        counter: 0,
        issuer: Some("Instagram".into()),
        account_name: Some("brand".into()),
        source: "secret".into(),
        enrolled_by: by,
        enrolled_at: c.now(),
        confirmed_at: None,
    }
}

#[tokio::test]
async fn authenticator_slots_ledger_and_used_steps() {
    for s in backends("otp").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::Owner);
        s.bootstrap(&ws, &u).await.unwrap();
        let a = account(&c, ws.id, u.id, "IG");
        s.create_account(&a, &owner_of(&a, u.id), &[])
            .await
            .unwrap();
        assert!(
            !s.promote_otp(ws.id, a.id, c.now(), None).await.unwrap(),
            "nothing pending"
        );
        s.put_otp(&otp(&c, &a, OtpSlot::Pending, 1, u.id))
            .await
            .unwrap();
        assert!(
            s.get_otp(ws.id, a.id, OtpSlot::Active)
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.promote_otp(ws.id, a.id, c.now(), None).await.unwrap());
        let active = s
            .get_otp(ws.id, a.id, OtpSlot::Active)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (active.secret.clone(), active.confirmed_at),
            (vec![1; 8], Some(c.now()))
        );
        // Re-seeding: the old seed stays active until the new one is confirmed.
        s.put_otp(&otp(&c, &a, OtpSlot::Pending, 2, u.id))
            .await
            .unwrap();
        assert_eq!(
            s.get_otp(ws.id, a.id, OtpSlot::Active)
                .await
                .unwrap()
                .unwrap()
                .secret,
            vec![1; 8]
        );
        s.put_otp(&otp(&c, &a, OtpSlot::Pending, 3, u.id))
            .await
            .unwrap();
        assert_eq!(
            s.get_otp(ws.id, a.id, OtpSlot::Pending)
                .await
                .unwrap()
                .unwrap()
                .secret,
            vec![3; 8],
            "a slot holds one enrolment"
        );
        assert!(s.delete_otp(ws.id, a.id, OtpSlot::Pending).await.unwrap());
        assert_eq!(s.list_active_otp(ws.id).await.unwrap().len(), 1);
        s.advance_otp_counter(ws.id, a.id, 5).await.unwrap();
        s.advance_otp_counter(ws.id, a.id, 3).await.unwrap();
        assert_eq!(
            s.get_otp(ws.id, a.id, OtpSlot::Active)
                .await
                .unwrap()
                .unwrap()
                .counter,
            5,
            "never back"
        );
        // Ledger and used steps.
        for (i, how) in ["view", "copy", "cli"].iter().enumerate() {
            c.advance_secs(1);
            s.record_issuance(&IssuanceRow {
                id: EventId::new(&c, &OsEntropy),
                workspace_id: ws.id,
                account_id: a.id,
                user_id: Some(u.id),
                user_email: Some(u.email.clone()),
                how: (*how).into(),
                step: 100 + i as i64,
                issued_at: c.now(),
            })
            .await
            .unwrap();
        }
        let ledger = s.list_issuance(ws.id, a.id, 2).await.unwrap();
        assert_eq!(
            ledger.iter().map(|l| l.how.as_str()).collect::<Vec<_>>(),
            vec!["cli", "copy"]
        );
        let used = UsedStepRow {
            workspace_id: ws.id,
            account_id: a.id,
            step: 100,
            used_by: Some(u.id),
            used_by_email: Some(u.email.clone()),
            how: "automation".into(),
            used_at: c.now(),
        };
        assert!(s.mark_step_used(&used).await.unwrap());
        assert!(
            !s.mark_step_used(&used).await.unwrap(),
            "a used step stays used"
        );
        assert_eq!(
            s.get_used_step(ws.id, a.id, 100)
                .await
                .unwrap()
                .unwrap()
                .how,
            "automation"
        );
        assert!(s.get_used_step(ws.id, a.id, 101).await.unwrap().is_none());
        assert!(s.delete_account(ws.id, a.id).await.unwrap());
        assert!(s.list_active_otp(ws.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn backup_code_sets_replace_and_use_once() {
    for s in backends("backup").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::Owner);
        s.bootstrap(&ws, &u).await.unwrap();
        let a = account(&c, ws.id, u.id, "IG");
        s.create_account(&a, &owner_of(&a, u.id), &[])
            .await
            .unwrap();
        assert!(s.active_backup_codes(ws.id, a.id).await.unwrap().is_none());
        let set = |n: u8| {
            let id = EventId::new(&c, &OsEntropy);
            let set = BackupSetRow {
                id,
                workspace_id: ws.id,
                account_id: a.id,
                active: true,
                created_by: u.id,
                created_at: c.now(),
                replaced_at: None,
            };
            let codes: Vec<BackupCodeRow> = (0..n)
                .map(|i| BackupCodeRow {
                    set_id: id,
                    workspace_id: ws.id,
                    account_id: a.id,
                    position: i64::from(i),
                    code: vec![i; 4],
                    used_at: None,
                    used_by: None,
                    used_by_email: None,
                })
                .collect();
            (set, codes)
        };
        let (first, codes) = set(3);
        s.replace_backup_codes(&first, &codes).await.unwrap();
        assert!(
            s.mark_backup_code_used(ws.id, first.id, 1, u.id, "a@acme.test", c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.mark_backup_code_used(ws.id, first.id, 1, u.id, "a@acme.test", c.now())
                .await
                .unwrap(),
            "once"
        );
        assert!(
            !s.mark_backup_code_used(ws.id, first.id, 9, u.id, "a@acme.test", c.now())
                .await
                .unwrap()
        );
        let (_, active) = s.active_backup_codes(ws.id, a.id).await.unwrap().unwrap();
        assert_eq!(active.iter().filter(|c| c.used_at.is_some()).count(), 1);
        assert_eq!(active[1].used_by_email.as_deref(), Some("a@acme.test"));
        c.advance_secs(5);
        let (second, codes) = set(5);
        s.replace_backup_codes(&second, &codes).await.unwrap();
        let (now_active, codes) = s.active_backup_codes(ws.id, a.id).await.unwrap().unwrap();
        assert_eq!((now_active.id, codes.len()), (second.id, 5));
        let history = s.list_backup_sets(ws.id, a.id).await.unwrap();
        assert_eq!(
            history
                .iter()
                .map(|h| (h.set.active, h.total, h.unused))
                .collect::<Vec<_>>(),
            vec![(true, 5, 5), (false, 3, 2)]
        );
        assert_eq!(history[1].set.replaced_at, Some(c.now()));
        assert!(s.delete_account(ws.id, a.id).await.unwrap());
        assert!(s.list_backup_sets(ws.id, a.id).await.unwrap().is_empty());
    }
}

fn job(c: &FakeClock, a: &AccountRow, by: UserId, kind: &str) -> JobRow {
    JobRow {
        id: EventId::new(c, &OsEntropy),
        workspace_id: a.workspace_id,
        account_id: a.id,
        kind: kind.into(),
        state: JobState::Queued,
        requested_by: by,
        attempts: 0,
        max_attempts: 2,
        run_after: c.now(),
        worker: None,
        lease_until: None,
        cancel_requested: false,
        error: None,
        created_at: c.now(),
        updated_at: c.now(),
        finished_at: None,
        question: None,
        deferrals: 0,
    }
}

#[tokio::test]
async fn jobs_are_claimed_once_one_per_account_and_recovered() {
    let b = backends("jobs").await;
    for s in &b.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "o@acme.test", WorkspaceRole::Owner);
        s.bootstrap(&ws, &u).await.unwrap();
        let a1 = account(&c, ws.id, u.id, "IG");
        let a2 = account(&c, ws.id, u.id, "TikTok");
        s.create_account(&a1, &owner_of(&a1, u.id), &[])
            .await
            .unwrap();
        s.create_account(&a2, &owner_of(&a2, u.id), &[])
            .await
            .unwrap();
        let j1 = job(&c, &a1, u.id, "login");
        c.advance_secs(1);
        let j2 = job(&c, &a1, u.id, "enable_mfa");
        c.advance_secs(1);
        let j3 = job(&c, &a2, u.id, "login");
        for j in [&j1, &j2, &j3] {
            s.insert_job(j).await.unwrap();
        }
        let lease = |c: &FakeClock| c.now().plus_seconds(30);
        // Oldest first; a second job of a busy account waits.
        let got = s
            .claim_job("w1", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (got.id, got.state.as_str(), got.attempts),
            (j1.id, "running", 1)
        );
        let got = s
            .claim_job("w2", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, j3.id, "j2's account is busy");
        assert!(
            s.claim_job("w2", c.now(), lease(&c))
                .await
                .unwrap()
                .is_none()
        );
        // Heartbeats: ours, not someone else's; cancellation is seen.
        assert_eq!(
            s.heartbeat_job(j1.id, "w1", c.now(), lease(&c))
                .await
                .unwrap(),
            Lease::Held
        );
        assert_eq!(
            s.heartbeat_job(j1.id, "w2", c.now(), lease(&c))
                .await
                .unwrap(),
            Lease::Lost
        );
        let cancelled = s.cancel_job(ws.id, j3.id, c.now()).await.unwrap().unwrap();
        assert_eq!(
            (cancelled.state.as_str(), cancelled.cancel_requested),
            ("running", true)
        );
        assert_eq!(
            s.heartbeat_job(j3.id, "w2", c.now(), lease(&c))
                .await
                .unwrap(),
            Lease::CancelRequested
        );
        assert!(
            s.set_job_state(
                j3.id,
                "w2",
                JobState::Cancelled,
                Some("cancelled"),
                None,
                c.now()
            )
            .await
            .unwrap()
        );
        // Steps keep their order.
        for name in ["open the login page", "fill the form"] {
            let seq = s
                .add_job_step(&JobStepRow {
                    job_id: j1.id,
                    seq: 0,
                    attempt: 1,
                    name: name.into(),
                    started_at: c.now(),
                    ended_at: None,
                    outcome: None,
                    url: None,
                    detail: None,
                })
                .await
                .unwrap();
            s.finish_job_step(
                j1.id,
                seq,
                StepOutcome::Ok,
                Some("http://x/login"),
                None,
                c.now(),
            )
            .await
            .unwrap();
        }
        let steps = s.job_steps(j1.id).await.unwrap();
        assert_eq!(
            steps
                .iter()
                .map(|x| (x.seq, x.name.as_str(), x.outcome.map(StepOutcome::as_str)))
                .collect::<Vec<_>>(),
            vec![
                (1, "open the login page", Some("ok")),
                (2, "fill the form", Some("ok"))
            ]
        );
        // w1 dies: after its lease runs out the job is queued again, and
        // w1 can no longer touch it.
        c.advance_secs(31);
        assert_eq!(
            s.recover_jobs(c.now(), c.now().plus_seconds(5))
                .await
                .unwrap(),
            1
        );
        let back = s.get_job(ws.id, j1.id).await.unwrap().unwrap();
        assert_eq!((back.state.as_str(), back.worker), ("queued", None));
        assert!(
            !s.set_job_state(j1.id, "w1", JobState::Succeeded, None, None, c.now())
                .await
                .unwrap()
        );
        // Not before its retry time; then j1 (attempt 2) before j2.
        assert!(
            s.claim_job("w3", c.now(), lease(&c))
                .await
                .unwrap()
                .is_some_and(|j| j.id == j2.id)
        );
        assert!(
            s.set_job_state(
                j2.id,
                "w3",
                JobState::Deferred,
                Some("settings locked"),
                Some(c.now().plus_seconds(3600)),
                c.now()
            )
            .await
            .unwrap()
        );
        c.advance_secs(5);
        let again = s
            .claim_job("w3", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.id, again.attempts), (j1.id, 2));
        // Its last attempt dies too: failed, with the reason.
        c.advance_secs(31);
        s.recover_jobs(c.now(), c.now()).await.unwrap();
        let dead = s.get_job(ws.id, j1.id).await.unwrap().unwrap();
        assert_eq!(dead.state, JobState::Failed);
        assert!(dead.error.unwrap().contains("stopped responding"));
        // A queued job is cancelled at once; the deferred one waits its time.
        assert!(
            s.claim_job("w3", c.now(), lease(&c))
                .await
                .unwrap()
                .is_none()
        );
        let gone = s.cancel_job(ws.id, j2.id, c.now()).await.unwrap().unwrap();
        assert_eq!(gone.state, JobState::Cancelled);
        let listed = s.list_jobs(ws.id, Some(a1.id), 10).await.unwrap();
        assert_eq!(listed.len(), 2);
        // A cancel asked for while a job runs wins over the worker's retry.
        let j4 = job(&c, &a2, u.id, "login");
        s.insert_job(&j4).await.unwrap();
        let got = s
            .claim_job("w4", c.now(), lease(&c))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, j4.id);
        s.cancel_job(ws.id, j4.id, c.now()).await.unwrap();
        assert!(
            s.set_job_state(
                j4.id,
                "w4",
                JobState::Queued,
                Some("retrying"),
                Some(c.now()),
                c.now()
            )
            .await
            .unwrap()
        );
        let after = s.get_job(ws.id, j4.id).await.unwrap().unwrap();
        assert_eq!(
            (after.state.as_str(), after.finished_at.is_some()),
            ("cancelled", true)
        );
        assert_eq!(s.list_jobs(ws.id, None, 10).await.unwrap().len(), 4);
    }
}

#[tokio::test]
async fn concurrent_workers_never_share_a_job_or_an_account() {
    let b = backends("jobrace").await;
    for s in &b.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "o@acme.test", WorkspaceRole::Owner);
        s.bootstrap(&ws, &u).await.unwrap();
        let mut accounts = Vec::new();
        for i in 0..4 {
            let a = account(&c, ws.id, u.id, &format!("A{i}"));
            s.create_account(&a, &owner_of(&a, u.id), &[])
                .await
                .unwrap();
            for _ in 0..3 {
                s.insert_job(&job(&c, &a, u.id, "login")).await.unwrap();
            }
            accounts.push(a);
        }
        let now = c.now();
        let mut tasks = Vec::new();
        for w in 0..8 {
            let s = Arc::clone(s);
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..6 {
                    if let Some(j) = s
                        .claim_job(&format!("w{w}"), now, now.plus_seconds(60))
                        .await
                        .unwrap()
                    {
                        got.push(j);
                    }
                }
                got
            }));
        }
        let mut claimed = Vec::new();
        for t in tasks {
            claimed.extend(t.await.unwrap());
        }
        // Nothing finished, so exactly one job per account ran.
        assert_eq!(claimed.len(), 4, "{claimed:?}");
        let mut per_account: Vec<_> = claimed.iter().map(|j| j.account_id).collect();
        per_account.sort();
        per_account.dedup();
        assert_eq!(per_account.len(), 4);
    }
}
