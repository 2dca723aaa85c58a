//! What a running job asks a person (a CAPTCHA), beyond the claims and
//! leases of `job_claims.rs`: the question asked by the worker holding the job,
//! one answer (given at once, or claimed, filled or released), taken once
//! by that worker; a worker giving up; a cancelled job asking nothing; and
//! the job's latest screenshot, replaced, scoped and purged by age.

use super::fixtures::*;
use super::*;

#[tokio::test]
async fn a_question_gets_one_answer_taken_once_by_its_worker() {
    for s in backends("jobask").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let j = sc.running_job(&s, "w1").await;

        assert!(
            !s.ask_job(j.id, "w2", "type the letters", c.now())
                .await
                .unwrap(),
            "not w2's job"
        );
        assert!(
            !s.answer_job(ws, j.id, &[1], c.now()).await.unwrap(),
            "it asks nothing yet"
        );
        c.advance_secs(1);
        assert!(
            s.ask_job(j.id, "w1", "type the letters", c.now())
                .await
                .unwrap()
        );
        let waiting = s.get_job(ws, j.id).await.unwrap().unwrap();
        assert_eq!(
            (
                waiting.state.as_str(),
                waiting.question.as_deref(),
                waiting.updated_at
            ),
            ("waiting", Some("type the letters"), c.now())
        );
        assert!(
            s.take_job_answer(j.id, "w1", c.now())
                .await
                .unwrap()
                .is_none(),
            "no answer yet"
        );
        // One answer, from the job's own workspace.
        assert!(
            !s.answer_job(other.ws.id, j.id, &[9], c.now())
                .await
                .unwrap()
        );
        assert!(s.answer_job(ws, j.id, &[1, 2, 3], c.now()).await.unwrap());
        assert!(
            !s.answer_job(ws, j.id, &[4], c.now()).await.unwrap(),
            "answered already"
        );
        assert!(
            !s.give_up_question(j.id, "w1", c.now()).await.unwrap(),
            "an answer is there: the worker takes it instead"
        );
        // Taken by the worker holding the job, once; the job runs again.
        assert!(
            s.take_job_answer(j.id, "w2", c.now())
                .await
                .unwrap()
                .is_none()
        );
        c.advance_secs(1);
        assert_eq!(
            s.take_job_answer(j.id, "w1", c.now()).await.unwrap(),
            Some(vec![1, 2, 3])
        );
        assert!(
            s.take_job_answer(j.id, "w1", c.now())
                .await
                .unwrap()
                .is_none()
        );
        let running = s.get_job(ws, j.id).await.unwrap().unwrap();
        assert_eq!(
            (running.state.as_str(), running.question, running.updated_at),
            ("running", None, c.now())
        );
        // The answer is gone from storage.
        assert!(
            s.sealed_page(SealedColumn::JobAnswer, "", 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn an_answer_being_given_holds_the_question_until_filled_or_released() {
    for s in backends("jobclaim").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let j = sc.running_job(&s, "w1").await;
        assert!(
            !s.claim_job_answer(ws, j.id).await.unwrap(),
            "it asks nothing"
        );
        assert!(
            s.ask_job(j.id, "w1", "a backup code", c.now())
                .await
                .unwrap()
        );

        assert!(!s.claim_job_answer(other.ws.id, j.id).await.unwrap());
        assert!(s.claim_job_answer(ws, j.id).await.unwrap());
        assert!(
            !s.claim_job_answer(ws, j.id).await.unwrap(),
            "someone else is answering"
        );
        assert!(!s.answer_job(ws, j.id, &[1], c.now()).await.unwrap());
        assert!(
            !s.give_up_question(j.id, "w1", c.now()).await.unwrap(),
            "being answered"
        );
        assert!(
            s.take_job_answer(j.id, "w1", c.now())
                .await
                .unwrap()
                .is_none(),
            "nothing to take while it is being given"
        );
        // Released (the backup code could not be had): open again.
        s.release_job_answer(other.ws.id, j.id).await.unwrap();
        assert!(
            !s.claim_job_answer(ws, j.id).await.unwrap(),
            "another workspace released nothing"
        );
        s.release_job_answer(ws, j.id).await.unwrap();
        assert!(s.claim_job_answer(ws, j.id).await.unwrap());
        // Filled once, in its workspace; then the worker takes it.
        assert!(
            !s.fill_job_answer(other.ws.id, j.id, &[5], c.now())
                .await
                .unwrap()
        );
        assert!(s.fill_job_answer(ws, j.id, &[5, 6], c.now()).await.unwrap());
        assert!(
            !s.fill_job_answer(ws, j.id, &[7], c.now()).await.unwrap(),
            "filled already"
        );
        s.release_job_answer(ws, j.id).await.unwrap();
        assert_eq!(
            s.take_job_answer(j.id, "w1", c.now()).await.unwrap(),
            Some(vec![5, 6]),
            "a filled answer is not released"
        );

        // The worker stops waiting: running again, nothing to answer.
        assert!(s.ask_job(j.id, "w1", "again", c.now()).await.unwrap());
        assert!(!s.give_up_question(j.id, "w2", c.now()).await.unwrap());
        assert!(s.give_up_question(j.id, "w1", c.now()).await.unwrap());
        let back = s.get_job(ws, j.id).await.unwrap().unwrap();
        assert_eq!((back.state.as_str(), back.question), ("running", None));
        assert!(!s.answer_job(ws, j.id, &[1], c.now()).await.unwrap());
        assert!(!s.give_up_question(j.id, "w1", c.now()).await.unwrap());

        // A cancel asked for: no new question, no answer, no claim.
        assert!(s.ask_job(j.id, "w1", "once more", c.now()).await.unwrap());
        s.cancel_job(ws, j.id, c.now()).await.unwrap();
        assert!(!s.answer_job(ws, j.id, &[1], c.now()).await.unwrap());
        assert!(!s.claim_job_answer(ws, j.id).await.unwrap());
        assert!(!s.ask_job(j.id, "w1", "still?", c.now()).await.unwrap());
    }
}

#[tokio::test]
async fn a_jobs_latest_screenshot_is_kept_in_its_workspace_and_purged_by_age() {
    for s in backends("jobshot").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let j = sc.job(&s, "login").await;
        c.advance_secs(1);
        let k = sc.job(&s, "enable_mfa").await;
        assert!(!s.job_screenshot_exists(ws, j.id).await.unwrap());
        assert!(s.job_screenshot(ws, j.id).await.unwrap().is_none());

        let t1 = c.now();
        s.save_job_screenshot(ws, j.id, &[1; 4], t1).await.unwrap();
        c.advance_secs(10);
        let t2 = c.now();
        s.save_job_screenshot(ws, j.id, &[2; 4], t2).await.unwrap();
        s.save_job_screenshot(ws, k.id, &[3; 4], t1).await.unwrap();
        assert_eq!(
            s.job_screenshot(ws, j.id).await.unwrap(),
            Some(vec![2; 4]),
            "the latest replaces the earlier"
        );
        assert!(s.job_screenshot_exists(ws, j.id).await.unwrap());
        assert!(s.job_screenshot(other.ws.id, j.id).await.unwrap().is_none());
        assert!(!s.job_screenshot_exists(other.ws.id, j.id).await.unwrap());

        // Taken before t2: only k's goes.
        assert_eq!(s.purge_job_screenshots(t2).await.unwrap(), 1);
        assert!(!s.job_screenshot_exists(ws, k.id).await.unwrap());
        assert!(s.job_screenshot_exists(ws, j.id).await.unwrap());
        assert_eq!(s.purge_job_screenshots(t2).await.unwrap(), 0);
        assert_eq!(
            s.purge_job_screenshots(t2.plus_seconds(1)).await.unwrap(),
            1
        );
        assert!(s.job_screenshot(ws, j.id).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_screenshot_is_saved_only_through_its_jobs_workspace() {
    for s in backends("jobshotscope").await.stores {
        let (sc, other) = Scene::and_elsewhere(&s).await;
        let c = &sc.c;
        let ws = sc.ws.id;
        let j = sc.job(&s, "login").await;

        // Before the job has a screenshot: nothing is filed for it.
        assert!(matches!(
            s.save_job_screenshot(other.ws.id, j.id, &[9; 4], c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(!s.job_screenshot_exists(other.ws.id, j.id).await.unwrap());
        let t1 = c.now();
        s.save_job_screenshot(ws, j.id, &[1; 4], t1).await.unwrap();

        // After: the saved one stays, with the time it was taken.
        c.advance_secs(10);
        assert!(matches!(
            s.save_job_screenshot(other.ws.id, j.id, &[9; 4], c.now())
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(s.job_screenshot(ws, j.id).await.unwrap(), Some(vec![1; 4]));
        assert!(s.job_screenshot(other.ws.id, j.id).await.unwrap().is_none());

        // Nor does ours reach theirs, or a job that does not exist.
        let theirs = job(c, &other.account, other.owner.id, "login");
        s.insert_job(&theirs).await.unwrap();
        assert!(matches!(
            s.save_job_screenshot(ws, theirs.id, &[9; 4], c.now()).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            !s.job_screenshot_exists(other.ws.id, theirs.id)
                .await
                .unwrap()
        );
        assert!(matches!(
            s.save_job_screenshot(ws, EventId::new(c, &OsEntropy), &[9; 4], c.now())
                .await,
            Err(StoreError::NotFound)
        ));

        // Taken at t1: purged with what was taken before t1 + 1 s.
        assert_eq!(
            s.purge_job_screenshots(t1.plus_seconds(1)).await.unwrap(),
            1
        );
        assert!(!s.job_screenshot_exists(ws, j.id).await.unwrap());
    }
}
