//! The directory a SCIM client keeps (issue 15): the token replaced in
//! place, users' SCIM records, teams with unique names, members, and team
//! grants that every access query counts, the highest role winning; a
//! user's grants removed in one go.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn teams_grant_access_in_every_access_query_and_grants_go_at_once() {
    for s in backends("directory").await.stores {
        let (c, ws, u, a, v) = Scene::parts_and_user(&s).await;
        let b = account(&c, ws.id, u.id, "Brand TT");
        s.create_account(&b, &owner_of(&b, u.id), &[])
            .await
            .unwrap();

        // The SCIM token: one per workspace, replaced in place.
        for (hash, prefix) in [("h1", "orscim_aaaa"), ("h2", "orscim_bbbb")] {
            s.replace_scim_token(&ScimTokenRow {
                workspace_id: ws.id,
                token_hash: hash.into(),
                prefix: prefix.into(),
                created_by: u.id,
                created_at: c.now(),
            })
            .await
            .unwrap();
        }
        assert!(s.scim_token_by_hash("h1").await.unwrap().is_none());
        assert_eq!(
            s.scim_token_by_hash("h2")
                .await
                .unwrap()
                .unwrap()
                .workspace_id,
            ws.id
        );
        assert_eq!(
            s.scim_token(ws.id).await.unwrap().unwrap().prefix,
            "orscim_bbbb"
        );

        // A SCIM record, saved twice (an upsert).
        let mut rec = ScimUserRow {
            user_id: v.id,
            workspace_id: ws.id,
            user_name: "B@acme.test".into(),
            external_id: Some("ext-b".into()),
            given_name: Some("Bea".into()),
            family_name: None,
            formatted_name: None,
            display_name: None,
            emails: "[]".into(),
            created_at: c.now(),
            updated_at: c.now(),
            deleted_at: None,
        };
        s.save_scim_user(&rec).await.unwrap();
        rec.deleted_at = Some(c.now());
        s.save_scim_user(&rec).await.unwrap();
        assert_eq!(s.scim_users(ws.id).await.unwrap(), vec![rec.clone()]);
        assert!(matches!(
            s.update_user_identity(ws.id, v.id, "a@acme.test", "Bea", c.now())
                .await,
            Err(StoreError::Conflict(_))
        ));
        s.update_user_identity(ws.id, v.id, "bea@acme.test", "Bea", c.now())
            .await
            .unwrap();
        assert_eq!(
            s.get_user(ws.id, v.id).await.unwrap().unwrap().email,
            "bea@acme.test"
        );

        // Teams: unique names; a Manager grant through a team on account
        // a, and her own Collaborator membership there: Manager wins.
        let team = TeamRow {
            id: EventId::new(&c, &OsEntropy),
            workspace_id: ws.id,
            display_name: "Agency".into(),
            external_id: Some("grp".into()),
            created_at: c.now(),
            updated_at: c.now(),
        };
        s.create_team(&team).await.unwrap();
        let again = TeamRow {
            id: EventId::new(&c, &OsEntropy),
            ..team.clone()
        };
        assert!(matches!(
            s.create_team(&again).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.add_team_member(ws.id, team.id, v.id, c.now())
                .await
                .unwrap()
        );
        assert!(
            !s.add_team_member(ws.id, team.id, v.id, c.now())
                .await
                .unwrap()
        );
        s.put_team_grant(&TeamGrantRow {
            workspace_id: ws.id,
            account_id: a.id,
            team_id: team.id,
            role: AccountRole::Manager,
            added_by: u.id,
            added_at: c.now(),
        })
        .await
        .unwrap();
        s.upsert_member(&member(&a, u.id, v.id, AccountRole::Collaborator))
            .await
            .unwrap();
        s.upsert_member(&member(&b, u.id, v.id, AccountRole::Collaborator))
            .await
            .unwrap();
        let now = c.now();
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, now).await.unwrap(),
            Some(AccountRole::Manager)
        );
        assert_eq!(
            s.get_account_for(ws.id, a.id, v.id, now)
                .await
                .unwrap()
                .unwrap()
                .1,
            Some(AccountRole::Manager)
        );
        let mine = s.list_accounts_for_user(ws.id, v.id, now).await.unwrap();
        let roles: Vec<(AccountId, AccountRole)> = mine.iter().map(|(x, r)| (x.id, *r)).collect();
        assert_eq!(roles.len(), 2, "each account once: {roles:?}");
        assert!(
            roles.contains(&(a.id, AccountRole::Manager))
                && roles.contains(&(b.id, AccountRole::Collaborator))
        );

        // Removing her grants takes both memberships and the team's.
        let removed = s.remove_user_grants(ws.id, v.id).await.unwrap();
        assert_eq!(removed.accounts.len(), 2);
        assert_eq!(removed.teams, vec![team.id]);
        assert_eq!(s.member_role(ws.id, a.id, v.id, now).await.unwrap(), None);
        assert!(
            s.list_accounts_for_user(ws.id, v.id, now)
                .await
                .unwrap()
                .is_empty()
        );

        // Back in the team: the grant counts again; a deleted team takes
        // its members and grants with it.
        s.add_team_member(ws.id, team.id, v.id, now).await.unwrap();
        assert_eq!(
            s.member_role(ws.id, a.id, v.id, now).await.unwrap(),
            Some(AccountRole::Manager)
        );
        assert_eq!(s.team_grants(ws.id, Some(a.id)).await.unwrap().len(), 1);
        assert!(s.delete_team(ws.id, team.id).await.unwrap());
        assert!(s.team_grants(ws.id, None).await.unwrap().is_empty());
        assert!(s.team_members(ws.id, None).await.unwrap().is_empty());
        assert_eq!(s.member_role(ws.id, a.id, v.id, now).await.unwrap(), None);
    }
}

/// The SCIM token can be removed (revocation), and a user's single sign-on
/// links all go at once (their email changed through SCIM), nobody else's.
#[tokio::test]
async fn scim_token_deletes_and_a_users_sso_links_go_at_once() {
    for s in backends("directory_revoke").await.stores {
        let c = clock();
        let ws = workspace(&c);
        let u = user(&c, ws.id, "a@acme.test", WorkspaceRole::Owner);
        let v = user(&c, ws.id, "b@acme.test", WorkspaceRole::User);
        s.bootstrap(&ws, &u).await.unwrap();
        s.create_user(&v).await.unwrap();
        assert!(!s.delete_scim_token(ws.id).await.unwrap());
        s.replace_scim_token(&ScimTokenRow {
            workspace_id: ws.id,
            token_hash: "h1".into(),
            prefix: "orscim_aaaa".into(),
            created_by: u.id,
            created_at: c.now(),
        })
        .await
        .unwrap();
        assert!(s.delete_scim_token(ws.id).await.unwrap());
        assert!(s.scim_token_by_hash("h1").await.unwrap().is_none());
        assert!(s.scim_token(ws.id).await.unwrap().is_none());

        let link = |user: UserId, issuer: &str, subject: &str| SsoIdentityRow {
            issuer: issuer.into(),
            subject: subject.into(),
            workspace_id: ws.id,
            user_id: user,
            email: "x@acme.test".into(),
            created_at: c.now(),
        };
        for l in [
            link(v.id, "https://idp-a.test", "v-1"),
            link(v.id, "https://idp-b.test", "v-2"),
            link(u.id, "https://idp-a.test", "u-1"),
        ] {
            s.link_sso_identity(&l).await.unwrap();
        }
        assert_eq!(s.unlink_sso_identities(ws.id, v.id).await.unwrap(), 2);
        assert!(
            s.sso_identity_of(v.id, "https://idp-a.test")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.sso_identity("https://idp-b.test", "v-2")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.sso_identity_of(u.id, "https://idp-a.test")
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(s.unlink_sso_identities(ws.id, v.id).await.unwrap(), 0);
    }
}

/// Teams read back one by one and by name, renamed (a taken name refused),
/// a member and a grant taken back once; a user's SCIM record read back;
/// another workspace sees none of it.
#[tokio::test]
async fn teams_are_renamed_members_and_grants_removed_once_and_records_read_back() {
    for s in backends("directory_teams").await.stores {
        let sc = Scene::new(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let v = sc.user(&s, "v@acme.test", WorkspaceRole::User).await;
        let other = sc.elsewhere(&s).await;
        let team = |name: &str| TeamRow {
            id: EventId::new(c, &OsEntropy),
            workspace_id: ws,
            display_name: name.into(),
            external_id: None,
            created_at: c.now(),
            updated_at: c.now(),
        };
        let beta = team("beta");
        let alpha = team("Alpha");
        s.create_team(&beta).await.unwrap();
        s.create_team(&alpha).await.unwrap();
        assert_eq!(s.get_team(ws, beta.id).await.unwrap(), Some(beta.clone()));
        assert!(s.get_team(other.ws.id, beta.id).await.unwrap().is_none());
        assert_eq!(
            s.list_teams(ws).await.unwrap(),
            vec![alpha.clone(), beta.clone()],
            "by name, whatever the case"
        );
        assert!(s.list_teams(other.ws.id).await.unwrap().is_empty());

        c.advance_secs(5);
        let renamed = TeamRow {
            display_name: "Gamma".into(),
            external_id: Some("grp-g".into()),
            updated_at: c.now(),
            ..beta.clone()
        };
        s.update_team(&renamed).await.unwrap();
        assert_eq!(
            s.get_team(ws, beta.id).await.unwrap(),
            Some(renamed.clone())
        );
        assert!(matches!(
            s.update_team(&TeamRow {
                display_name: "Alpha".into(),
                ..renamed.clone()
            })
            .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.update_team(&TeamRow {
                workspace_id: other.ws.id,
                ..renamed.clone()
            })
            .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.update_team(&team("Delta")).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.get_team(ws, beta.id).await.unwrap(), Some(renamed));

        // A member taken back once, in the team's workspace only.
        for u in [sc.owner.id, v.id] {
            assert!(s.add_team_member(ws, beta.id, u, c.now()).await.unwrap());
        }
        assert!(
            !s.remove_team_member(other.ws.id, beta.id, v.id)
                .await
                .unwrap()
        );
        assert!(s.remove_team_member(ws, beta.id, v.id).await.unwrap());
        assert!(!s.remove_team_member(ws, beta.id, v.id).await.unwrap());
        assert_eq!(
            s.team_members(ws, Some(beta.id))
                .await
                .unwrap()
                .iter()
                .map(|m| m.user_id)
                .collect::<Vec<_>>(),
            vec![sc.owner.id]
        );

        // A grant taken back once: the team's members lose the role.
        s.add_team_member(ws, beta.id, v.id, c.now()).await.unwrap();
        s.put_team_grant(&TeamGrantRow {
            workspace_id: ws,
            account_id: sc.account.id,
            team_id: beta.id,
            role: AccountRole::Collaborator,
            added_by: sc.owner.id,
            added_at: c.now(),
        })
        .await
        .unwrap();
        assert_eq!(
            s.member_role(ws, sc.account.id, v.id, c.now())
                .await
                .unwrap(),
            Some(AccountRole::Collaborator)
        );
        assert!(
            !s.remove_team_grant(other.ws.id, sc.account.id, beta.id)
                .await
                .unwrap()
        );
        assert!(
            !s.remove_team_grant(ws, sc.account.id, alpha.id)
                .await
                .unwrap()
        );
        assert!(
            s.remove_team_grant(ws, sc.account.id, beta.id)
                .await
                .unwrap()
        );
        assert!(
            !s.remove_team_grant(ws, sc.account.id, beta.id)
                .await
                .unwrap()
        );
        assert!(s.team_grants(ws, None).await.unwrap().is_empty());
        assert_eq!(
            s.member_role(ws, sc.account.id, v.id, c.now())
                .await
                .unwrap(),
            None
        );

        // A SCIM record read back by user, in its workspace.
        assert!(s.scim_user(ws, v.id).await.unwrap().is_none());
        let rec = ScimUserRow {
            user_id: v.id,
            workspace_id: ws,
            user_name: "v@acme.test".into(),
            external_id: Some("ext-v".into()),
            given_name: Some("Vera".into()),
            family_name: Some("Vance".into()),
            formatted_name: Some("Vera Vance".into()),
            display_name: Some("Vera".into()),
            emails: "[{\"value\":\"v@acme.test\",\"primary\":true}]".into(),
            created_at: c.now(),
            updated_at: c.now(),
            deleted_at: None,
        };
        s.save_scim_user(&rec).await.unwrap();
        assert_eq!(s.scim_user(ws, v.id).await.unwrap(), Some(rec));
        assert!(s.scim_user(ws, sc.owner.id).await.unwrap().is_none());
        assert!(s.scim_user(other.ws.id, v.id).await.unwrap().is_none());
    }
}
