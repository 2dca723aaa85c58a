//! SCIM provisioning (issue 15, item 2) through `/scim/v2`, the way a
//! directory drives it: Entra ID's deprovisioning (`PATCH` with a path-less
//! `replace {active: false}`) ends the person's sessions and API tokens at
//! once, removes every grant, queues the member-left rotation, and a
//! reactivation restores nothing; groups become teams whose grants give
//! access; filters, paging, token replacement, SCIM errors. SQLite and
//! PostgreSQL.

use crate::support::scim::*;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::json;

pub(crate) async fn my_role(c: &Client, account: &str) -> Option<String> {
    let (s, v) = c.get(&format!("/accounts/{account}")).await;
    match s {
        StatusCode::OK => v["my_role"].as_str().map(str::to_owned),
        StatusCode::NOT_FOUND => None,
        s => panic!("{s}: {v}"),
    }
}

async fn rotations(owner: &Client, account: &str) -> usize {
    let (s, v) = owner.get(&format!("/jobs?account_id={account}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "rotate_password" && j["state"] == "queued")
        .count()
}

#[tokio::test]
async fn entra_deprovisioning_ends_sessions_and_grants_at_once_and_rotates() {
    for env in TestApp::all("scim_deprovision").await {
        let owner = env.owner().await;
        let shared = owner.account("Brand Instagram", "pw-1").await;
        let other = owner.account("Brand TikTok", "pw-2").await;
        let (s, v) = owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{shared}/rotation"),
                Some(&json!({"on_member_leave": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let directory = scim(&env, &owner).await;

        // Kathy exists already (made by hand): the directory finds her by
        // userName, as Entra ID matches users, and takes her over.
        let kathy = env.user(&owner, "kathy@acme.test", "user").await;
        let kathy_token = kathy.with_cli_token().await;
        let (s, list) = directory
            .get("/Users?filter=userName%20eq%20%22KATHY%40acme.test%22")
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let kathy_id = user_id(&list);
        assert_eq!(kathy_id, kathy.user_id);

        // Her access: the Agency team is a Collaborator of the shared
        // account; she is a Manager of the other one herself.
        let (s, g) = directory
            .post(
                "/Groups",
                &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Agency", "externalId": "grp-1", "members": [{"value": kathy_id}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        let team = g["id"].as_str().unwrap().to_owned();
        let (s, v) = owner.grant_team(&shared, &team, "collaborator").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        owner.make_member(&other, &kathy_id, "manager").await;
        assert_eq!(
            my_role(&kathy, &shared).await.as_deref(),
            Some("collaborator")
        );
        assert_eq!(
            my_role(&kathy_token, &other).await.as_deref(),
            Some("manager")
        );
        assert_eq!(rotations(&owner, &shared).await, 0);

        // Entra ID deprovisions: a path-less replace of active.
        let (s, v) = directory
            .patch(
                &format!("/Users/{kathy_id}"),
                json!([{"op": "Replace", "value": {"active": false}}]),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["active"], false, "{v}");

        // Her session and her API token end at once.
        for c in [&kathy, &kathy_token] {
            let (s, v) = c.get("/me").await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
        }
        // The member-left rotation of the account she could use (through
        // her team) is queued, in the name of the token's creator.
        assert_eq!(rotations(&owner, &shared).await, 1);
        let (_, audit) = owner.get("/audit?action=scim.user_deactivate").await;
        let e = &audit[0];
        assert_eq!(e["actor_email"], "scim", "{audit}");
        assert!(e["actor_id"].is_null(), "{audit}");
        assert_eq!(e["target_id"], kathy_id.as_str());
        // Every grant is gone: her team membership and her own.
        let (_, teams) = owner.get("/teams").await;
        assert_eq!(teams[0]["members"], json!([]), "{teams}");
        let (_, members) = owner.get(&format!("/accounts/{other}/members")).await;
        assert!(
            !members
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["user_id"] == kathy_id.as_str()),
            "{members}"
        );

        // Reactivated: she may sign in again, to nothing.
        let (s, v) = directory
            .patch(
                &format!("/Users/{kathy_id}"),
                json!([{"op": "replace", "path": "active", "value": "True"}]),
            )
            .await;
        assert_eq!(
            (s, v["active"].clone()),
            (StatusCode::OK, json!(true)),
            "{v}"
        );
        let kathy = env.login("kathy@acme.test", "member-password-1").await;
        let (s, v) = kathy.get("/accounts").await;
        assert_eq!((s, v), (StatusCode::OK, json!([])));
        assert_eq!(my_role(&kathy, &shared).await, None);
        assert_eq!(my_role(&kathy, &other).await, None);

        // An Owner is never deprovisioned by the directory: managed in Orthrus.
        let (s, v) = directory
            .get("/Users?filter=userName%20eq%20%22owner%40acme.test%22")
            .await;
        assert_eq!(s, StatusCode::OK);
        let owner_id = user_id(&v);
        let (s, v) = directory
            .patch(
                &format!("/Users/{owner_id}"),
                json!([{"op": "replace", "path": "active", "value": false}]),
            )
            .await;
        assert_eq!(
            (s, v["scimType"].clone()),
            (StatusCode::BAD_REQUEST, json!("mutability")),
            "{v}"
        );
        scim_error(&v, "400");
        let (s, _) = owner.get("/me").await;
        assert_eq!(s, StatusCode::OK, "the owner is still signed in");
        // The SCIM client's events chain like everyone's.
        let check = env.app.verify_audit().await.unwrap();
        assert!(check.ok() && check.events > 10, "{:?}", check.problems);
    }
}

#[tokio::test]
async fn scim_users_groups_filters_paging_errors_and_token_replacement() {
    for env in TestApp::all("scim_crud").await {
        let owner = env.owner().await;
        let account = owner.account("Brand X", "pw-1").await;
        let directory = scim(&env, &owner).await;

        // Discovery.
        let (s, v) = directory.get("/ServiceProviderConfig").await;
        assert_eq!(
            (s, v["patch"]["supported"].clone()),
            (StatusCode::OK, json!(true)),
            "{v}"
        );
        let (_, v) = directory.get("/ResourceTypes").await;
        assert_eq!(v["totalResults"], 2, "{v}");
        let (_, v) = directory
            .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
            .await;
        assert_eq!(v["name"], "User", "{v}");

        // Create: role User, no password, externalId kept.
        let new = |user: &str, ext: &str| {
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user, "externalId": ext,
                "name": {"givenName": "Lee", "familyName": "Park"},
                "emails": [{"value": user, "type": "work", "primary": true}],
                "active": true,
            })
        };
        env.clock.advance_secs(1);
        let (s, lee) = directory
            .post("/Users", &new("lee@acme.test", "ext-lee"))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{lee}");
        assert_eq!(lee["meta"]["resourceType"], "User");
        let lee_id = lee["id"].as_str().unwrap().to_owned();
        assert_eq!(
            lee["meta"]["location"],
            format!("{}/scim/v2/Users/{lee_id}", env.url)
        );
        let row = owner
            .users()
            .await
            .into_iter()
            .find(|u| u["id"] == lee_id.as_str())
            .unwrap();
        assert_eq!(
            (row["role"].clone(), row["name"].clone()),
            (json!("user"), json!("Lee Park")),
            "{row}"
        );
        let (s, _) = env.anon().sign_in("lee@acme.test", "").await;
        assert!(s.is_client_error(), "no password signs in");
        let (s, v) = directory
            .post("/Users", &new("LEE@acme.test", "other"))
            .await;
        assert_eq!(
            (s, v["scimType"].clone()),
            (StatusCode::CONFLICT, json!("uniqueness")),
            "{v}"
        );
        scim_error(&v, "409");
        let (s, v) = directory
            .post("/Users", &json!({"userName": "no-email"}))
            .await;
        assert_eq!(
            (s, v["scimType"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalidValue")),
            "{v}"
        );

        // Filters and paging.
        env.clock.advance_secs(1);
        let (s, mia) = directory
            .post("/Users", &new("mia@acme.test", "ext-mia"))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{mia}");
        let mia_id = mia["id"].as_str().unwrap().to_owned();
        let (_, v) = directory
            .get("/Users?filter=externalId%20eq%20%22ext-mia%22")
            .await;
        assert_eq!(user_id(&v), mia_id);
        let (_, v) = directory
            .get("/Users?filter=userName%20eq%20%22nobody%40acme.test%22")
            .await;
        assert_eq!(
            (v["totalResults"].clone(), v["Resources"].clone()),
            (json!(0), json!([])),
            "{v}"
        );
        let (_, v) = directory.get("/Users?startIndex=2&count=1").await;
        assert_eq!(
            (
                v["totalResults"].clone(),
                v["startIndex"].clone(),
                v["itemsPerPage"].clone()
            ),
            (json!(3), json!(2), json!(1)),
            "{v}"
        );
        assert_eq!(
            v["Resources"][0]["id"],
            lee_id.as_str(),
            "oldest first: owner, Lee, Mia"
        );
        let (s, v) = directory.get("/Users?filter=userName%20co%20%22a%22").await;
        assert_eq!(
            (s, v["scimType"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalidFilter")),
            "{v}"
        );
        let (_, v) = directory
            .get(&format!("/Users/{lee_id}?attributes=userName"))
            .await;
        assert!(
            v.get("emails").is_none() && v["userName"] == "lee@acme.test",
            "{v}"
        );

        // PUT replaces; PATCH with Entra ID's filtered path sets the email.
        let mut put = new("lee@acme.test", "ext-lee-2");
        put["displayName"] = json!("Lee P.");
        let (s, v) = directory
            .send(
                reqwest::Method::PUT,
                &format!("/Users/{lee_id}"),
                Some(&put),
            )
            .await;
        assert_eq!(
            (s, v["externalId"].clone(), v["displayName"].clone()),
            (StatusCode::OK, json!("ext-lee-2"), json!("Lee P.")),
            "{v}"
        );
        let (s, v) = directory
            .patch(&format!("/Users/{lee_id}"), json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "lee.park@acme.test"}]))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let users = owner.users().await;
        assert!(
            users.iter().any(|u| u["email"] == "lee.park@acme.test"),
            "{users:?}"
        );

        // Someone else's email, with a deprovisioning in the same request:
        // refused before anything changes.
        let (s, v) = directory
            .patch(
                &format!("/Users/{lee_id}"),
                json!([{"op": "replace", "value": {"active": false, "emails": [{"value": "mia@acme.test", "primary": true}]}}]),
            )
            .await;
        assert_eq!(
            (s, v["scimType"].clone()),
            (StatusCode::CONFLICT, json!("uniqueness")),
            "{v}"
        );
        let (_, v) = directory.get(&format!("/Users/{lee_id}")).await;
        assert_eq!(v["active"], true, "{v}");
        // Groups: members by PATCH give and take the team's role.
        let (s, g) = directory
            .post("/Groups", &json!({"displayName": "Agency"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        let team = g["id"].as_str().unwrap().to_owned();
        let (s, v) = directory
            .post("/Groups", &json!({"displayName": "Agency"}))
            .await;
        assert_eq!(
            (s, v["scimType"].clone()),
            (StatusCode::CONFLICT, json!("uniqueness")),
            "{v}"
        );
        let (s, v) = directory
            .get("/Groups?filter=displayName%20eq%20%22Agency%22")
            .await;
        assert_eq!(
            (s, v["totalResults"].clone()),
            (StatusCode::OK, json!(1)),
            "{v}"
        );
        let (s, v) = owner.grant_team(&account, &team, "manager").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v[0]["team_name"], "Agency", "{v}");
        // Mia: a Collaborator of her own, a Manager through the team.
        owner.make_member(&account, &mia_id, "collaborator").await;
        let (s, v) = directory
            .patch(&format!("/Groups/{team}"), json!([{"op": "add", "path": "members", "value": [{"value": mia_id}, {"value": lee_id}]}]))
            .await;
        assert_eq!(
            (s, v["members"].as_array().map(Vec::len)),
            (StatusCode::OK, Some(2)),
            "{v}"
        );
        let roles = |id: &str| {
            let app = env.app.clone();
            let id = id.to_owned();
            let account = account.clone();
            async move {
                let actor = app
                    .local_actor(id.parse().unwrap(), owner_ws(&app).await)
                    .await
                    .unwrap();
                app.get_account(&actor, account.parse().unwrap())
                    .await
                    .ok()
                    .and_then(|d| d.summary.my_role)
            }
        };
        assert_eq!(
            roles(&mia_id).await,
            Some(orthrus_core::AccountRole::Manager),
            "the higher of her own role and the team's"
        );
        assert_eq!(
            roles(&lee_id).await,
            Some(orthrus_core::AccountRole::Manager)
        );
        let (s, v) = directory
            .patch(
                &format!("/Groups/{team}"),
                json!([{"op": "remove", "path": format!("members[value eq \"{mia_id}\"]")}]),
            )
            .await;
        assert_eq!(
            (s, v["members"].as_array().map(Vec::len)),
            (StatusCode::OK, Some(1)),
            "{v}"
        );
        assert_eq!(
            roles(&mia_id).await,
            Some(orthrus_core::AccountRole::Collaborator),
            "her own role stays"
        );
        let (s, v) = directory
            .patch(
                &format!("/Groups/{team}"),
                json!([{"op": "add", "path": "members", "value": [{"value": "not-a-user"}]}]),
            )
            .await;
        assert_eq!(
            (s, v["scimType"].clone()),
            (StatusCode::BAD_REQUEST, json!("invalidValue")),
            "{v}"
        );
        // The owner takes the team's role back; deleting the group later
        // takes it away from its members too.
        let (s, _) = owner
            .delete(&format!("/accounts/{account}/teams/{team}"))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(roles(&lee_id).await, None);
        let (s, _) = directory
            .send(reqwest::Method::DELETE, &format!("/Groups/{team}"), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = directory.get(&format!("/Groups/{team}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        scim_error(&v, "404");

        // DELETE: gone from SCIM, deactivated in Orthrus.
        let (s, _) = directory
            .send(reqwest::Method::DELETE, &format!("/Users/{mia_id}"), None)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = directory.get(&format!("/Users/{mia_id}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(roles(&mia_id).await, None);
        let (_, v) = directory.get("/Users").await;
        assert_eq!(v["totalResults"], 2, "{v}");
        // Created again by the directory: the same person, with no grant.
        let (s, v) = directory
            .post("/Users", &new("mia@acme.test", "ext-mia"))
            .await;
        assert_eq!(
            (s, v["id"].clone()),
            (StatusCode::CREATED, json!(mia_id)),
            "{v}"
        );
        assert_eq!(roles(&mia_id).await, None);

        // Errors: an unknown path, a bad token, a replaced token.
        let (s, v) = directory.get("/Nothing").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        scim_error(&v, "404");
        owner.step_up("owner-password-1").await;
        let (s, v) = owner.post("/workspace/scim-token", &json!({})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        for (token, expect) in [
            (directory.token.clone(), StatusCode::UNAUTHORIZED),
            ("orscim_bogus".into(), StatusCode::UNAUTHORIZED),
            (v["token"].as_str().unwrap().to_owned(), StatusCode::OK),
        ] {
            let c = directory.with_token(token);
            let (s, body) = c.get("/Users").await;
            assert_eq!(s, expect, "{body}");
            if s == StatusCode::UNAUTHORIZED {
                scim_error(&body, "401");
            }
        }
        // Every SCIM write was audited as the SCIM client.
        let (_, audit) = owner.get("/audit?limit=500").await;
        let scim_events: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor_email"] == "scim")
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in [
            "scim.user_create",
            "scim.user_update",
            "scim.group_create",
            "scim.group_update",
            "scim.group_delete",
            "scim.user_delete",
        ] {
            assert!(scim_events.contains(&action), "{action}: {scim_events:?}");
        }
    }
}

/// The pages: the Teams page with its SCIM panel (the token behind the
/// identity check typed in the same form), and an account's team grants,
/// loaded into the account page and given and taken back by its Owner.
#[tokio::test]
async fn teams_page_scim_panel_and_account_team_grants_in_the_ui() {
    let env = TestApp::sqlite().await;
    let owner = env.owner().await;
    let account = owner.account("Brand X", "pw-1").await;
    let b = env.browser("owner@acme.test", "owner-password-1").await;

    let (s, page) = b.load("/teams").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("No teams yet") && page.contains("Create a SCIM token"),
        "{page}"
    );
    assert!(
        page.contains(&format!("{}/scim/v2", env.url)),
        "the tenant URL: {page}"
    );
    let (s, page) = b
        .submit("/teams/scim-token", &[("password", "wrong password!")])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("That password is not correct."), "{page}");
    let (s, page) = b
        .submit("/teams/scim-token", &[("password", "owner-password-1")])
        .await;
    assert_eq!(s, StatusCode::OK);
    let token = page
        .split("id=\"scim-token\">")
        .nth(1)
        .and_then(|p| p.split('<').next())
        .unwrap()
        .to_owned();
    assert!(token.starts_with("orscim_"), "{page}");
    let directory = Scim::new(&env, &token);
    let (s, g) = directory
        .post("/Groups", &json!({"displayName": "Agency"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let team = g["id"].as_str().unwrap().to_owned();

    // The account page loads the team grants; the grant form gives one.
    let (_, page) = b.load(&format!("/accounts/{account}")).await;
    assert!(
        page.contains(&format!("hx-get=\"/accounts/{account}/teams\"")),
        "{page}"
    );
    let (_, page) = b.load(&format!("/accounts/{account}/teams")).await;
    assert!(
        page.contains("No team has a role") && page.contains("Give access"),
        "{page}"
    );
    let (s, _) = b
        .submit(
            &format!("/accounts/{account}/teams"),
            &[("team_id", &team), ("role", "manager")],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = b.load(&format!("/accounts/{account}/teams")).await;
    assert!(
        page.contains("Agency") && page.contains("Manager") && !page.contains("Give access"),
        "{page}"
    );
    let (_, page) = b.load("/teams").await;
    assert!(
        page.contains("Agency") && page.contains("Replace the SCIM token"),
        "{page}"
    );
    let (s, _) = b
        .submit(
            &format!("/accounts/{account}/teams"),
            &[("team_id", "nope"), ("role", "manager")],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = b
        .submit(&format!("/accounts/{account}/teams/{team}/revoke"), &[])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, grants) = owner.get(&format!("/accounts/{account}/teams")).await;
    assert_eq!(grants, json!([]));

    // A user sees the teams but no SCIM panel and no grant form.
    let _kathy = env.user(&owner, "kathy@acme.test", "user").await;
    let b = env.browser("kathy@acme.test", "member-password-1").await;
    let (s, page) = b.load("/teams").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("Agency") && !page.contains("SCIM token"),
        "{page}"
    );
}

/// Deactivation by hand does what deprovisioning does: grants go, and a
/// reactivated user has none; a member's own membership and their team's
/// role are managed apart.
#[tokio::test]
async fn hand_deactivation_removes_grants_and_own_memberships_stay_apart_from_teams() {
    for env in TestApp::all("scim_hand").await {
        let owner = env.owner().await;
        let account = owner.account("Brand X", "pw-1").await;
        let directory = scim(&env, &owner).await;
        let kathy = env.user(&owner, "kathy@acme.test", "user").await;
        let (s, g) = directory
            .post(
                "/Groups",
                &json!({"displayName": "Agency", "members": [{"value": kathy.user_id}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{g}");
        let team = g["id"].as_str().unwrap();
        let (s, _) = owner
            .send(
                reqwest::Method::PUT,
                &format!("/accounts/{account}/teams/{team}"),
                Some(&json!({"role": "owner"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        // Her own Collaborator membership is hers to lose apart from the team's Owner role.
        let (s, v) = owner
            .add_member(&account, &kathy.user_id, "collaborator")
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["role"], "collaborator");
        assert_eq!(my_role(&kathy, &account).await.as_deref(), Some("owner"));
        let (s, v) = owner
            .delete(&format!("/accounts/{account}/members/{}", kathy.user_id))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        assert_eq!(
            my_role(&kathy, &account).await.as_deref(),
            Some("owner"),
            "through the team"
        );
        let (s, v) = owner
            .delete(&format!("/accounts/{account}/members/{}", kathy.user_id))
            .await;
        assert_code(s, &v, StatusCode::NOT_FOUND, "member.not_found");

        // Deactivated by hand: signed out, out of the team.
        let (s, v) = owner
            .patch(
                &format!("/users/{}", kathy.user_id),
                &json!({"active": false}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, _) = kathy.get("/me").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (_, teams) = owner.get("/teams").await;
        assert_eq!(teams[0]["members"], json!([]), "{teams}");
        let (s, v) = owner
            .patch(
                &format!("/users/{}", kathy.user_id),
                &json!({"active": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let kathy = env.login("kathy@acme.test", "member-password-1").await;
        assert_eq!(my_role(&kathy, &account).await, None);
    }
}
