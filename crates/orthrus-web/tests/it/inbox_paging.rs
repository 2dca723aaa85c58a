//! `GET /api/v1/inbox?before=<id>` and the inbox page's "Older" link reach
//! every retained message; `q` finds one older than the newest 500
//! (issue 14, item 5). On SQLite, and PostgreSQL when configured.

use crate::support::TestApp;
use reqwest::StatusCode;

const MESSAGES: usize = 610;

async fn fill(t: &TestApp) -> String {
    let owner = t.owner().await;
    let (id, address) = owner.account_with_address("Brand IG", "pw").await;
    for i in 0..MESSAGES {
        // Spaced under the per-address rate limit.
        t.clock.advance_secs(2);
        let word = if i == 1 { " Mention of quokka." } else { "" };
        let raw = format!(
            "From: News <news@sender.test>\r\nTo: {address}\r\nSubject: Note {i}\r\nMessage-ID: <p{i}@sender.test>\r\n\r\nBody {i}.{word}\r\n"
        );
        t.app
            .ingest_email(std::slice::from_ref(&address), raw.as_bytes(), None)
            .await
            .unwrap();
    }
    id
}

#[tokio::test]
async fn the_api_pages_with_before_and_searches_everything() {
    for t in TestApp::all("webinboxpaging").await {
        let id = fill(&t).await;
        let owner = t.login("owner@acme.test", "owner-password-1").await;
        let mut subjects = Vec::new();
        let mut path = format!("/inbox?account_id={id}&limit=500");
        loop {
            let (s, page) = owner.get(&path).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            let page = page.as_array().unwrap().clone();
            let Some(last) = page.last() else { break };
            path = format!(
                "/inbox?account_id={id}&limit=500&before={}",
                last["id"].as_str().unwrap()
            );
            subjects.extend(
                page.iter()
                    .map(|m| m["subject"].as_str().unwrap().to_owned()),
            );
            assert!(subjects.len() <= MESSAGES);
        }
        let want: Vec<String> = (0..MESSAGES).rev().map(|i| format!("Note {i}")).collect();
        assert_eq!(subjects, want);

        let (s, hit) = owner.get("/inbox?q=Quokka").await;
        assert_eq!(s, StatusCode::OK, "{hit}");
        assert_eq!(hit.as_array().unwrap().len(), 1, "{hit}");
        assert_eq!(hit[0]["subject"], "Note 1");

        let (s, bad) = owner.get("/inbox?before=not-an-id").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(bad["error"]["code"], "inbox.bad_filter");

        // The page: a full page links to the older one, which links back.
        let rows = |q: String| {
            let req = owner.raw(reqwest::Method::GET, &format!("/inbox/rows?{q}"));
            async move {
                let r = req.send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.text().await.unwrap()
            }
        };
        let first = rows(format!("account_id={id}")).await;
        let older = first
            .split("id=\"inbox-older\"")
            .next()
            .and_then(|head| head.rsplit("href=\"/inbox?").next())
            .and_then(|q| q.split('"').next())
            .unwrap()
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        assert!(older.contains("before="), "{older}");
        assert!(!first.contains("id=\"inbox-newest\""));
        let second = rows(older.clone()).await;
        assert!(
            second.contains("Note 409<") && !second.contains("Note 410<"),
            "{older}: {}",
            &second[second.len().saturating_sub(600)..]
        );
        assert!(second.contains("id=\"inbox-newest\""));
        assert!(second.contains("id=\"inbox-older\""));
    }
}
