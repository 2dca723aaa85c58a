//! What a SCIM token may not do (security review of issue 15's
//! provisioning): write to privileged people (Owners, Super Admins,
//! Admins: managed in Orthrus, so a directory can never bring back a
//! deactivated Owner with their reach over every account), keep working
//! after its revocation or its creator's loss of Owner rights, move a
//! person to a new email while their sessions, API tokens and single
//! sign-on links live on, or put a deactivated person into a team whose
//! grants a reactivation would bring back. SQLite and PostgreSQL.

use crate::scim::my_role;
use crate::support::scim::*;
use crate::support::*;
use orthrus_core::Clock;
use orthrus_store::SsoIdentityRow;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn refused_as_privileged(s: StatusCode, v: &Value) {
    assert_eq!(
        (s, v["scimType"].clone()),
        (StatusCode::BAD_REQUEST, json!("mutability")),
        "{v}"
    );
    scim_error(v, "400");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("managed in Orthrus, not by the directory"),
        "{v}"
    );
}

async fn active(owner: &Client, id: &str) -> bool {
    let (s, users) = owner.get("/users").await;
    assert_eq!(s, StatusCode::OK, "{users}");
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id)
        .unwrap()["active"]
        .as_bool()
        .unwrap()
}

async fn set_active(owner: &Client, id: &str, on: bool) {
    let (s, v) = owner
        .patch(&format!("/users/{id}"), &json!({"active": on}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

fn user_body(email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "emails": [{"value": email, "type": "work", "primary": true}],
    })
}

#[tokio::test]
async fn the_directory_reads_privileged_people_but_never_writes_them() {
    for env in TestApp::all("scim_privileged").await {
        let owner = env.owner().await;
        let directory = scim(&env, &owner).await;
        let otto = env.user(&owner, "otto@acme.test", "owner").await;
        let sam = env.user(&owner, "sam@acme.test", "super-admin").await;
        let ada = env.user(&owner, "ada@acme.test", "admin").await;

        // Listed and readable, as everyone.
        let (s, v) = directory.get("/Users").await;
        assert_eq!((s, v["totalResults"].clone()), (StatusCode::OK, json!(4)));
        let (s, v) = directory.get(&format!("/Users/{}", sam.user_id)).await;
        assert_eq!(
            (s, v["userName"].clone()),
            (StatusCode::OK, json!("sam@acme.test"))
        );

        // A Super Admin deactivated by hand is not brought back, by PATCH
        // (Entra ID's road) nor PUT.
        set_active(&owner, &sam.user_id, false).await;
        let (s, v) = directory
            .patch(
                &format!("/Users/{}", sam.user_id),
                json!([{"op": "replace", "path": "active", "value": "True"}]),
            )
            .await;
        refused_as_privileged(s, &v);
        let mut put = user_body("sam@acme.test");
        put["active"] = json!(true);
        let (s, v) = directory
            .send(
                reqwest::Method::PUT,
                &format!("/Users/{}", sam.user_id),
                Some(&put),
            )
            .await;
        refused_as_privileged(s, &v);
        assert!(!active(&owner, &sam.user_id).await);

        // Nor is an active Owner or Admin changed, deactivated or deleted.
        let (s, v) = directory
            .patch(
                &format!("/Users/{}", otto.user_id),
                json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "otto@evil.test"}]),
            )
            .await;
        refused_as_privileged(s, &v);
        let (s, v) = directory
            .patch(
                &format!("/Users/{}", ada.user_id),
                json!([{"op": "replace", "value": {"active": false}}]),
            )
            .await;
        refused_as_privileged(s, &v);
        let (s, v) = directory
            .send(
                reqwest::Method::DELETE,
                &format!("/Users/{}", ada.user_id),
                None,
            )
            .await;
        refused_as_privileged(s, &v);
        for c in [&otto, &ada] {
            let (s, v) = c.get("/me").await;
            assert_eq!(s, StatusCode::OK, "still signed in: {v}");
        }
        let (_, v) = directory.get(&format!("/Users/{}", otto.user_id)).await;
        assert_eq!(v["userName"], "otto@acme.test", "{v}");

        // A person the directory deleted, made an Admin by hand since, is
        // not re-created by a POST of their email.
        let (s, pat) = directory.post("/Users", &user_body("pat@acme.test")).await;
        assert_eq!(
            (s, pat["active"].clone()),
            (StatusCode::CREATED, json!(true)),
            "{pat}"
        );
        let pat_id = pat["id"].as_str().unwrap().to_owned();
        let (s, _) = directory
            .send(reqwest::Method::DELETE, &format!("/Users/{pat_id}"), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = owner
            .patch(&format!("/users/{pat_id}"), &json!({"role": "admin"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = directory.post("/Users", &user_body("pat@acme.test")).await;
        refused_as_privileged(s, &v);
        assert!(!active(&owner, &pat_id).await);

        // A PUT that leaves out active keeps it: a deprovisioned person
        // stays out.
        let (s, kim) = directory.post("/Users", &user_body("kim@acme.test")).await;
        assert_eq!(s, StatusCode::CREATED, "{kim}");
        let kim_id = kim["id"].as_str().unwrap().to_owned();
        let (s, _) = directory
            .patch(
                &format!("/Users/{kim_id}"),
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let mut put = user_body("kim@acme.test");
        put["displayName"] = json!("Kim K.");
        let (s, v) = directory
            .send(
                reqwest::Method::PUT,
                &format!("/Users/{kim_id}"),
                Some(&put),
            )
            .await;
        assert_eq!(
            (s, v["active"].clone(), v["displayName"].clone()),
            (StatusCode::OK, json!(false), json!("Kim K.")),
            "{v}"
        );
        assert!(!active(&owner, &kim_id).await);
        assert!(owner.audit("scim.user_reactivate").await.is_empty());
    }
}

#[tokio::test]
async fn a_scim_token_ends_by_hand_and_with_its_creators_owner_rights() {
    for env in TestApp::all("scim_token_revoke").await {
        let owner = env.owner().await;
        let directory = scim(&env, &owner).await;
        let refused = |s: StatusCode, v: &Value| {
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
            scim_error(v, "401");
        };

        // By hand: a fresh identity check, then 204; the directory is out.
        env.clock.advance_secs(11 * 60);
        let (s, v) = owner.delete("/workspace/scim-token").await;
        assert_code(s, &v, StatusCode::FORBIDDEN, "step_up.required");
        let (s, v) = directory.get("/Users").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        owner.step_up("owner-password-1").await;
        let (s, v) = owner.delete("/workspace/scim-token").await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        let (s, v) = directory.get("/Users").await;
        refused(s, &v);
        let (s, v) = owner.delete("/workspace/scim-token").await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "scim_token.not_found");
        let revoked = owner.audit("scim.token_revoke").await;
        assert_eq!(revoked.len(), 1, "{revoked:?}");
        assert_eq!(revoked[0]["actor_email"], "owner@acme.test");

        // A token another Owner made ends when they are made an Admin…
        let otto = env.user(&owner, "otto@acme.test", "owner").await;
        let theirs = token_of(&env, &otto, "member-password-1").await;
        assert_eq!(theirs.get("/Users").await.0, StatusCode::OK);
        let (s, v) = owner
            .patch(
                &format!("/users/{}", otto.user_id),
                &json!({"role": "admin"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, v) = theirs.get("/Users").await;
        refused(s, &v);
        let revoked = owner.audit("scim.token_revoke").await;
        assert_eq!(
            revoked[0]["detail"]["reason"], "creator_role_changed",
            "{revoked:?}"
        );
        assert_eq!(revoked[0]["target_id"], otto.user_id.as_str());

        // …when they are deactivated…
        let (s, _) = owner
            .patch(
                &format!("/users/{}", otto.user_id),
                &json!({"role": "owner"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let theirs = token_of(&env, &otto, "member-password-1").await;
        set_active(&owner, &otto.user_id, false).await;
        let (s, v) = theirs.get("/Users").await;
        refused(s, &v);
        let revoked = owner.audit("scim.token_revoke").await;
        assert_eq!(
            revoked[0]["detail"]["reason"], "creator_deactivated",
            "{revoked:?}"
        );

        // …and whatever road took their rights (here the store, as single
        // sign-on's role mapping does), at the token's next use.
        set_active(&owner, &otto.user_id, true).await;
        let otto = env.login("otto@acme.test", "member-password-1").await;
        let theirs = token_of(&env, &otto, "member-password-1").await;
        let ws = owner_ws(&env.app).await;
        env.app
            .store()
            .set_user_role(
                ws,
                otto.user_id.parse().unwrap(),
                orthrus_core::WorkspaceRole::User,
                env.clock.now(),
            )
            .await
            .unwrap();
        let (s, v) = theirs.get("/Users").await;
        refused(s, &v);
        assert!(env.app.store().scim_token(ws).await.unwrap().is_none());
        let revoked = owner.audit("scim.token_revoke").await;
        assert_eq!(
            revoked[0]["detail"]["reason"], "creator_lost_rights",
            "{revoked:?}"
        );
        let check = env.app.verify_audit().await.unwrap();
        assert!(check.ok(), "{:?}", check.problems);
    }
}

#[tokio::test]
async fn a_new_email_from_the_directory_ends_sessions_tokens_and_sso_links() {
    for env in TestApp::all("scim_email_change").await {
        let owner = env.owner().await;
        let directory = scim(&env, &owner).await;
        let lee = env.user(&owner, "lee@acme.test", "user").await;
        let lee_token = lee.with_cli_token().await;
        let ws = owner_ws(&env.app).await;
        let lee_uid: orthrus_core::UserId = lee.user_id.parse().unwrap();
        let issuer = "https://idp.acme.test";
        env.app
            .store()
            .link_sso_identity(&SsoIdentityRow {
                issuer: issuer.into(),
                subject: "lee-sub".into(),
                workspace_id: ws,
                user_id: lee_uid,
                email: "lee@acme.test".into(),
                created_at: env.clock.now(),
            })
            .await
            .unwrap();
        let (_, list) = directory
            .get("/Users?filter=userName%20eq%20%22lee%40acme.test%22")
            .await;
        let id = user_id(&list);

        // A name alone changes nothing of her access.
        let (s, v) = directory
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "displayName", "value": "Lee P."}]),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(lee.get("/me").await.0, StatusCode::OK);

        // A new email: signed out everywhere, the SSO link gone.
        let (s, v) = directory
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "lee.park@acme.test"}]),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(lee.get("/me").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(lee_token.get("/me").await.0, StatusCode::UNAUTHORIZED);
        assert!(
            env.app
                .store()
                .sso_identity_of(lee_uid, issuer)
                .await
                .unwrap()
                .is_none()
        );
        let changed = owner.audit("scim.user_email_change").await;
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0]["actor_email"], "scim");
        assert_eq!(changed[0]["detail"]["from"], "lee@acme.test");
        assert_eq!(changed[0]["detail"]["to"], "lee.park@acme.test");
        assert_eq!(changed[0]["detail"]["sso_links_removed"], 1);
        // She signs in again with the new address.
        let lee = env.login("lee.park@acme.test", "member-password-1").await;
        assert_eq!(lee.get("/me").await.0, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_deactivated_person_put_in_a_group_gets_nothing_back_when_reactivated() {
    for env in TestApp::all("scim_group_inactive").await {
        let owner = env.owner().await;
        let account = owner.account("Brand IG", "pw-1").await;
        let directory = scim(&env, &owner).await;
        let gus = env.user(&owner, "gus@acme.test", "user").await;
        let eve = env.user(&owner, "eve@acme.test", "user").await;
        let (s, _) = directory
            .patch(
                &format!("/Users/{}", gus.user_id),
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        // Created with him in it, then added again by PATCH: the group reads
        // back as the directory wrote it, but he reaches nothing while
        // inactive.
        let (s, g) = directory
            .post(
                "/Groups",
                &json!({"displayName": "Agency", "members": [{"value": gus.user_id}, {"value": eve.user_id}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        assert_eq!(g["members"].as_array().unwrap().len(), 2, "{g}");
        let team = g["id"].as_str().unwrap().to_owned();
        let (s, v) = owner.grant_team(&account, &team, "manager").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, g) = directory
            .patch(
                &format!("/Groups/{team}"),
                json!([{"op": "add", "path": "members", "value": [{"value": gus.user_id}]}]),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{g}");
        assert_eq!(g["members"].as_array().unwrap().len(), 2, "{g}");
        let (s, _) = env
            .anon()
            .sign_in("gus@acme.test", "member-password-1")
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // Reactivated: no role through the team.
        let (s, v) = directory
            .patch(
                &format!("/Users/{}", gus.user_id),
                json!([{"op": "replace", "path": "active", "value": true}]),
            )
            .await;
        assert_eq!(
            (s, v["active"].clone()),
            (StatusCode::OK, json!(true)),
            "{v}"
        );
        let gus = env.login("gus@acme.test", "member-password-1").await;
        assert_eq!(my_role(&gus, &account).await, None);
        assert_eq!(my_role(&eve, &account).await.as_deref(), Some("manager"));
        // The reactivation took him out of the team; the directory puts
        // him back when it means to.
        let (_, g) = directory.get(&format!("/Groups/{team}")).await;
        assert_eq!(g["members"].as_array().unwrap().len(), 1, "{g}");
        assert_eq!(g["members"][0]["value"], eve.user_id.as_str(), "{g}");
    }
}

/// The Teams page's SCIM panel revokes the token behind the same identity
/// check as making one.
#[tokio::test]
async fn the_teams_page_revokes_the_scim_token() {
    let env = TestApp::sqlite().await;
    let owner = env.owner().await;
    let directory = scim(&env, &owner).await;
    let b = env.browser("owner@acme.test", "owner-password-1").await;
    let (_, page) = b.load("/teams").await;
    assert!(page.contains("Revoke the token"), "{page}");
    let revoke = [("password", "wrong password!"), ("action", "revoke")];
    let (s, page) = b.submit("/teams/scim-token", &revoke).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("That password is not correct."), "{page}");
    assert_eq!(directory.get("/Users").await.0, StatusCode::OK);
    let revoke = [("password", "owner-password-1"), ("action", "revoke")];
    let (s, _) = b.submit("/teams/scim-token", &revoke).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(directory.get("/Users").await.0, StatusCode::UNAUTHORIZED);
    let (_, page) = b.load("/teams").await;
    assert!(
        page.contains("No token yet") && !page.contains("Revoke the token"),
        "{page}"
    );
}
