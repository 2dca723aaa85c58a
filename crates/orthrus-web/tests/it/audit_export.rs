//! The activity export (issue 15, item 6): `GET /api/v1/audit/export` as
//! CSV and JSON lines, with the filters of `GET /audit`, names beside ids,
//! cells that no spreadsheet reads as a formula, every page of a log longer
//! than one, and the chain fields that still link event to event. SQLite
//! and PostgreSQL.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Parses CSV as RFC 4180 writes it (quoted cells, doubled quotes, CRLF).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "the file ends with a line break"
    );
    rows
}

async fn export(c: &Client, query: &str) -> (StatusCode, String, String) {
    let r = c
        .http
        .get(format!("{}/api/v1/audit/export?{query}", c.base))
        .bearer_auth(c.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

#[tokio::test]
async fn audit_exports_as_csv_and_json_lines_with_names_filters_and_the_chain() {
    for env in TestApp::all("audit_export").await {
        let owner = env.owner().await;
        owner.step_up("owner-password-1").await;
        let plain = owner.account("Brand, \"Inc\"", "pw-1").await;
        let formula = owner.account("=HYPERLINK(\"x\")", "pw-2").await;
        let kathy = env.user(&owner, "kathy@acme.test", "user").await;
        // More than one page (500 events) of password reveals.
        for _ in 0..510 {
            let (s, v) = owner.get(&format!("/accounts/{plain}/password")).await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }

        let (s, ct, csv) = export(&owner, "format=csv").await;
        assert_eq!(
            (s, ct.as_str()),
            (StatusCode::OK, "text/csv; charset=utf-8"),
            "{csv}"
        );
        let rows = parse_csv(&csv);
        let header = rows[0].clone();
        assert_eq!(header[0], "seq");
        assert!(
            header.contains(&"account_label".to_owned()) && header.contains(&"hash".to_owned())
        );
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let events = &rows[1..];
        // Everything, newest first: the export's own event leads.
        let (_, newest) = owner.get("/audit?limit=1").await;
        let total = newest[0]["seq"].as_i64().unwrap() as usize;
        assert_eq!(events.len(), total, "every event, across pages");
        assert_eq!(events[0][col("action")], "audit.export");
        assert_eq!(events[0][col("actor_email")], "owner@acme.test");
        assert_eq!(events[0][col("actor_name")], "Olivia Owner");
        // The chain still links: each event's prev_hash is the next
        // (older) one's hash, and the first follows the genesis hash.
        for pair in events.windows(2) {
            assert_eq!(
                pair[0][col("prev_hash")],
                pair[1][col("hash")],
                "seq {}",
                pair[0][0]
            );
            assert_eq!(
                pair[0][0].parse::<i64>().unwrap(),
                pair[1][0].parse::<i64>().unwrap() + 1
            );
        }
        assert_eq!(events.last().unwrap()[col("prev_hash")], "0".repeat(64));
        // Names beside ids; a label that starts like a formula is defused;
        // commas and quotes survive the quoting.
        let created: Vec<&Vec<String>> = events
            .iter()
            .filter(|r| r[col("action")] == "account.create")
            .collect();
        let label_of = |id: &str| {
            created.iter().find(|r| r[col("target_id")] == id).unwrap()[col("account_label")]
                .clone()
        };
        assert_eq!(label_of(&plain), "Brand, \"Inc\"");
        assert_eq!(label_of(&formula), "'=HYPERLINK(\"x\")");
        assert_eq!(created[0][col("account_app")], "instagram");
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"x\"\")\""),
            "quoted and defused in the file"
        );
        let made = events
            .iter()
            .find(|r| r[col("action")] == "user.create")
            .unwrap();
        assert_eq!(
            (
                made[col("target_id")].as_str(),
                made[col("target_name")].as_str()
            ),
            (kathy.user_id.as_str(), "kathy@acme.test")
        );

        // JSON lines, filtered as GET /audit is.
        let (s, ct, jsonl) = export(
            &owner,
            &format!("format=jsonl&action=account.create&target_id={formula}"),
        )
        .await;
        assert_eq!(
            (s, ct.as_str()),
            (StatusCode::OK, "application/x-ndjson"),
            "{jsonl}"
        );
        let lines: Vec<Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 1, "{jsonl}");
        assert_eq!(
            lines[0]["account_label"], "=HYPERLINK(\"x\")",
            "JSON keeps the value as it is"
        );
        assert_eq!(lines[0]["detail"]["app"], "instagram", "{}", lines[0]);
        let (_, audit) = owner
            .get(&format!("/audit?action=account.create&target_id={formula}"))
            .await;
        assert_eq!(lines[0]["hash"].as_str().unwrap().len(), 64);
        assert_eq!(lines[0]["seq"], audit[0]["seq"]);

        // The export is audited with its filters.
        let (_, exports) = owner.get("/audit?action=audit.export").await;
        assert_eq!(exports.as_array().unwrap().len(), 2, "{exports}");
        assert_eq!(exports[0]["detail"]["format"], "jsonl");
        assert_eq!(exports[0]["detail"]["action"], "account.create");

        // Refusals.
        let (s, _, body) = export(&owner, "format=xml").await;
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_code(s, &v, StatusCode::BAD_REQUEST, "audit.bad_format");
        let (s, _, body) = export(&owner, "format=csv&since=yesterday").await;
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_code(s, &v, StatusCode::BAD_REQUEST, "audit.bad_filter");
        let (s, _, body) = export(&kathy, "format=csv").await;
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_code(s, &v, StatusCode::FORBIDDEN, "permission.denied");

        // The audit page links the download with its filters.
        let b = env.browser("owner@acme.test", "owner-password-1").await;
        let page = b.html("/audit?action=account.create").await;
        assert!(
            page.contains("href=\"/api/v1/audit/export?format=csv&#38;action=account.create\""),
            "{page}"
        );
        let r = b
            .request(
                reqwest::Method::GET,
                "/api/v1/audit/export?format=csv&action=account.create",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"orthrus-audit-2026-11-01.csv\"")
        );
        assert_eq!(
            parse_csv(&r.text().await.unwrap()).len(),
            3,
            "the header and two accounts"
        );
    }
}
