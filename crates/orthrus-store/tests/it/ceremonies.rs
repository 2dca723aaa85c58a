//! Passkey ceremonies: the state between a ceremony's start and its finish
//! is stored so the finish may reach any node; it is taken once, an expired
//! one is not given out, and expired ones are swept.

use super::*;

fn ceremony(c: &FakeClock, session: SessionId, purpose: CeremonyPurpose, secs: i64) -> CeremonyRow {
    CeremonyRow {
        session_id: session,
        purpose,
        sealed: vec![7, 7, purpose as u8],
        created_at: c.now(),
        expires_at: c.now().plus_seconds(secs),
    }
}

#[tokio::test]
async fn a_ceremony_is_taken_once_not_after_it_expires_and_swept() {
    for s in backends("passkey_ceremonies").await.stores {
        let c = clock();
        let b = s.backend();
        let (one, two) = (
            SessionId::new(&c, &OsEntropy),
            SessionId::new(&c, &OsEntropy),
        );
        let reg = ceremony(&c, one, CeremonyPurpose::Register, 300);
        s.put_passkey_ceremony(&reg).await.unwrap();
        // Another purpose of the same session is its own row.
        let step = ceremony(&c, one, CeremonyPurpose::StepUp, 300);
        s.put_passkey_ceremony(&step).await.unwrap();
        // Starting again replaces the session's earlier one.
        let mut again = ceremony(&c, one, CeremonyPurpose::StepUp, 300);
        again.sealed = vec![9];
        s.put_passkey_ceremony(&again).await.unwrap();

        // Not another session's, and each purpose on its own.
        assert_eq!(
            s.take_passkey_ceremony(two, CeremonyPurpose::Register, c.now())
                .await
                .unwrap(),
            None,
            "{b}"
        );
        assert_eq!(
            s.take_passkey_ceremony(one, CeremonyPurpose::Register, c.now())
                .await
                .unwrap(),
            Some(reg.clone()),
            "{b}"
        );
        assert_eq!(
            s.take_passkey_ceremony(one, CeremonyPurpose::Register, c.now())
                .await
                .unwrap(),
            None,
            "{b}: taken once"
        );
        assert_eq!(
            s.take_passkey_ceremony(one, CeremonyPurpose::StepUp, c.now())
                .await
                .unwrap()
                .map(|r| r.sealed),
            Some(vec![9]),
            "{b}: the later start"
        );

        // An expired ceremony is not given out, and the sweep removes only
        // the expired ones.
        let old = ceremony(&c, two, CeremonyPurpose::StepUp, 60);
        s.put_passkey_ceremony(&old).await.unwrap();
        let fresh = ceremony(&c, two, CeremonyPurpose::Register, 600);
        s.put_passkey_ceremony(&fresh).await.unwrap();
        let later = c.now().plus_seconds(61);
        assert_eq!(
            s.take_passkey_ceremony(two, CeremonyPurpose::StepUp, later)
                .await
                .unwrap(),
            None,
            "{b}: expired"
        );
        assert_eq!(s.purge_passkey_ceremonies(later).await.unwrap(), 1, "{b}");
        assert_eq!(s.purge_passkey_ceremonies(later).await.unwrap(), 0, "{b}");
        assert_eq!(
            s.take_passkey_ceremony(two, CeremonyPurpose::Register, later)
                .await
                .unwrap(),
            Some(fresh),
            "{b}: the unexpired one survives the sweep"
        );
    }
}
