//! The seconds-left countdown of a code tile moves in Chromium, on the tile
//! htmx swaps in when the page loads and on the next one it swaps in when
//! the code changes (issue 14, item 8).

use crate::scene::Scene;
use crate::support::chromium::{Chromium, sign_in};
use serde_json::json;
use std::time::Duration;
use thirtyfour::prelude::*;

/// The first code tile matching `tile`: its code and the seconds it shows
/// (read together, so a swap between the two reads cannot mix tiles).
async fn tile(b: &WebDriver, tile: &str) -> WebDriverResult<Option<(String, i64)>> {
    let v = b
        .execute(
            "const t = document.querySelector(arguments[0]);
            const c = t && t.querySelector('.code'), s = t && t.querySelector('.ring span');
            return c && s ? [c.textContent.trim(), s.textContent.trim()] : null;",
            vec![json!(tile)],
        )
        .await?
        .json()
        .clone();
    Ok(v.as_array().and_then(|a| {
        let secs = a[1].as_str()?.parse().ok()?;
        Some((a[0].as_str()?.to_owned(), secs))
    }))
}

/// Waits for the tile, then checks its seconds go down; then waits for the
/// next code's tile and checks its seconds go down too.
async fn counts_down(b: &WebDriver, sel: &str, period: i64) -> WebDriverResult<()> {
    let mut first = None;
    for _ in 0..100 {
        first = tile(b, sel).await?;
        if first.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, _) = first.unwrap_or_else(|| panic!("no code tile {sel}"));
    // The next tile: htmx swaps it in when the code changes.
    let mut next = None;
    for _ in 0..(period * 10 + 50) {
        if let Some((c, s)) = tile(b, sel).await?
            && c != code
        {
            next = Some((c, s));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (code, before) = next.unwrap_or_else(|| panic!("{sel}: the code never changed"));
    assert!(before > 3, "{sel}: a fresh code shows {before} s left");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (again, after) = tile(b, sel).await?.expect("the tile is still there");
    assert_eq!(again, code, "{sel}: the code is unchanged 2 s later");
    assert!(
        after < before,
        "{sel}: the countdown did not move on the swapped-in tile: {before} s, then {after} s two seconds later"
    );
    Ok(())
}

#[tokio::test]
async fn code_tile_countdowns_move_after_htmx_swaps_them_in_chromium() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let s = Scene::new(None).await;
    let id = s.account("Brand Instagram", "acme.brand", "ig-pw").await;
    // A 10-second period, so the next code comes soon.
    s.authenticator_with(&id, json!({"secret": "JBSWY3DPEHPK3PXP", "period": 10}))
        .await;
    let chromium = Chromium::start().await;
    let b = &chromium.b;
    let result = async {
        sign_in(b, &s.server.url, "owner@acme.test", "owner-password-1").await?;
        // The card on the accounts page, then the account's page.
        counts_down(b, ".code-tile.compact", 10).await?;
        b.goto(&format!("{}/accounts/{id}", s.server.url)).await?;
        counts_down(b, ".code-tile:not(.compact)", 10).await
    }
    .await;
    chromium.finish(result, || s.server.logs()).await;
}
