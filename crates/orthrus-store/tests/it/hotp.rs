//! HOTP counters are claimed atomically: concurrent claims never share a
//! value, and a claim is tied to the enrolment it was read from.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn concurrent_hotp_claims_get_distinct_counters() {
    for s in backends("hotp_claim").await.stores {
        let (c, ws, u, a) = Scene::parts(s.as_ref(), "IG").await;
        let mut row = otp(&c, &a, OtpSlot::Active, 1, u.id);
        row.kind = OtpKind::Hotp;
        row.counter = 7;
        s.put_otp(&row).await.unwrap();

        let claims = (0..20).map(|_| {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.claim_otp_counter(ws.id, a.id, row.id).await })
        });
        let mut got: Vec<i64> = Vec::new();
        for claim in claims {
            got.push(
                claim
                    .await
                    .unwrap()
                    .unwrap()
                    .expect("an active HOTP enrolment"),
            );
        }
        got.sort_unstable();
        assert_eq!(
            got,
            (7..27).collect::<Vec<_>>(),
            "each value handed out once"
        );
        let after = stored_otp(&s, ws.id, a.id, OtpSlot::Active).await;
        assert_eq!(after.counter, 27);

        // A claim for a replaced enrolment, or for a TOTP one, gets nothing.
        let other = EventId::new(&c, &OsEntropy);
        assert_eq!(s.claim_otp_counter(ws.id, a.id, other).await.unwrap(), None);
        let totp = otp(&c, &a, OtpSlot::Active, 2, u.id);
        s.put_otp(&totp).await.unwrap();
        assert_eq!(
            s.claim_otp_counter(ws.id, a.id, totp.id).await.unwrap(),
            None
        );
    }
}
