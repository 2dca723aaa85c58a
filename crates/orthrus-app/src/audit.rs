//! The tamper-evident audit log: every sensitive read and write appends an
//! event whose hash chains (HMAC, keyed from the master key) to the previous
//! one, so editing, deleting or reordering events is detected by `verify`.

use crate::InvalidCode;
use crate::{Action, Actor, App, AppError, AuditAction, Result};
use orthrus_core::{AuditOutcome, AuditTarget, EventId, UserId, WorkspaceId};
use orthrus_store::{
    AuditEventRow, AuditFilter, ChainLink, GENESIS_HASH, NewAuditEvent, UnreadableAuditEvent,
};
use serde::Serialize;

/// An event as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<AuditEventRow> for AuditEntry {
    fn from(r: AuditEventRow) -> Self {
        let e = r.event;
        Self {
            seq: r.seq,
            id: e.id.to_string(),
            at: e.at.to_rfc3339(),
            actor_id: e.actor_id.map(|a| a.to_string()),
            actor_email: e.actor_email,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            ip: e.ip,
            outcome: e.outcome.as_str().to_owned(),
            detail: e.detail,
        }
    }
}

/// Filters for `list_audit`.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The result of verifying every workspace's chain.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditVerification {
    pub workspaces: usize,
    pub events: usize,
    /// Human-readable problems; empty when the log is intact.
    pub problems: Vec<String>,
}

impl AuditVerification {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Events (with their workspace) waiting for the next group commit.
pub(crate) type AuditBatcher = crate::group_commit::GroupCommit<(WorkspaceId, NewAuditEvent)>;

/// What one audit event records, before the actor and time are filled in.
pub(crate) struct Event {
    pub action: AuditAction,
    pub target_type: Option<AuditTarget>,
    pub target_id: Option<String>,
    pub outcome: AuditOutcome,
    pub detail: serde_json::Value,
}

impl Event {
    pub fn new(action: AuditAction) -> Self {
        Self {
            action,
            target_type: None,
            target_id: None,
            outcome: AuditOutcome::Success,
            detail: serde_json::json!({}),
        }
    }
    pub fn target(mut self, kind: AuditTarget, id: impl ToString) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_string());
        self
    }
    pub fn outcome(mut self, o: AuditOutcome) -> Self {
        self.outcome = o;
        self
    }
    pub fn detail(mut self, d: serde_json::Value) -> Self {
        self.detail = d;
        self
    }
}

impl App {
    /// Binds the head row to its position, so the newest events cannot be
    /// cut off by moving the head back to an older, readable (seq, hash).
    fn head_mac(&self, seq: i64, hash: &str) -> String {
        self.inner
            .audit_hasher
            .hash_parts(&[b"head", &seq.to_be_bytes(), hash.as_bytes()])
    }

    fn chain_hash(&self, prev: &str, seq: i64, e: &NewAuditEvent) -> String {
        let body = serde_json::to_vec(e).unwrap_or_default();
        self.inner
            .audit_hasher
            .hash_parts(&[prev.as_bytes(), &seq.to_be_bytes(), &body])
    }

    /// An event done by `user` (signed in or signing in) from `ip`, in
    /// their workspace.
    pub(crate) async fn audit_as_user(
        &self,
        user: &orthrus_store::UserRow,
        ip: &str,
        ev: Event,
    ) -> Result<()> {
        self.audit_raw(
            user.workspace_id,
            Some((user.id, &user.email)),
            Some(ip),
            ev,
        )
        .await
    }

    /// Appends an event; failures are logged, never shown to the caller, but
    /// they fail the operation (an unaudited sensitive action must not happen).
    pub(crate) async fn audit_raw(
        &self,
        ws: WorkspaceId,
        actor: Option<(UserId, &str)>,
        ip: Option<&str>,
        ev: Event,
    ) -> Result<()> {
        self.append_event(ws, actor.map(|a| a.0), actor.map(|a| a.1), ip, ev)
            .await
    }

    /// Appends an event of a system actor of the workspace (no person):
    /// `name` stands where a person's email would (`scim`).
    pub(crate) async fn audit_system(
        &self,
        ws: WorkspaceId,
        name: &str,
        ip: Option<&str>,
        ev: Event,
    ) -> Result<()> {
        self.append_event(ws, None, Some(name), ip, ev).await
    }

    async fn append_event(
        &self,
        ws: WorkspaceId,
        actor_id: Option<UserId>,
        actor_email: Option<&str>,
        ip: Option<&str>,
        ev: Event,
    ) -> Result<()> {
        let e = NewAuditEvent {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            at: self.now(),
            actor_id,
            actor_email: actor_email.map(str::to_owned),
            action: ev.action.as_str().to_owned(),
            target_type: ev.target_type.map(|t| t.as_str().to_owned()),
            target_id: ev.target_id,
            ip: ip.map(str::to_owned),
            outcome: ev.outcome,
            detail: ev.detail,
        };
        let chain = |prev: &str, seq: i64, e: &NewAuditEvent| {
            let hash = self.chain_hash(prev, seq, e);
            ChainLink {
                head_mac: self.head_mac(seq, &hash),
                hash,
            }
        };
        self.store().append_audit(ws, &e, &chain).await?;
        Ok(())
    }

    /// Like [`App::audit`], for frequent events (every autofill): events
    /// queued meanwhile are appended in one transaction, so concurrent
    /// requests share one commit. Each caller still returns only once its
    /// event is durable, and fails (showing nothing) if it is not.
    pub(crate) async fn audit_batched(&self, actor: &Actor, ev: Event) -> Result<()> {
        let e = NewAuditEvent {
            id: EventId::new(self.inner.clock.as_ref(), self.rng()),
            at: self.now(),
            actor_id: Some(actor.user_id),
            actor_email: Some(actor.email.clone()),
            action: ev.action.as_str().to_owned(),
            target_type: ev.target_type.map(|t| t.as_str().to_owned()),
            target_id: ev.target_id,
            ip: Some(actor.ip.clone()),
            outcome: ev.outcome,
            detail: ev.detail,
        };
        // Written in its own task: a cancelled request still commits the
        // batch and answers everyone in it.
        let app = self.clone();
        let write = |batch: Vec<((WorkspaceId, NewAuditEvent), crate::group_commit::Done)>| async move {
            let mut by_ws: Vec<(WorkspaceId, Vec<NewAuditEvent>, Vec<_>)> = Vec::new();
            for ((ws, e), tx) in batch {
                match by_ws.iter_mut().find(|(w, _, _)| *w == ws) {
                    Some((_, es, txs)) => {
                        es.push(e);
                        txs.push(tx);
                    }
                    None => by_ws.push((ws, vec![e], vec![tx])),
                }
            }
            let chain = |prev: &str, seq: i64, e: &NewAuditEvent| {
                let hash = app.chain_hash(prev, seq, e);
                ChainLink {
                    head_mac: app.head_mac(seq, &hash),
                    hash,
                }
            };
            for (ws, events, txs) in by_ws {
                let result = app
                    .inner
                    .store
                    .append_audits(ws, &events, &chain)
                    .await
                    .map_err(std::sync::Arc::new);
                for tx in txs {
                    let _ = tx.send(result.clone());
                }
            }
        };
        self.inner
            .audit_batch
            .commit((actor.workspace_id, e), "audit", write)
            .await
    }

    pub(crate) async fn audit(&self, actor: &Actor, ev: Event) -> Result<()> {
        self.audit_raw(
            actor.workspace_id,
            Some((actor.user_id, &actor.email)),
            Some(&actor.ip),
            ev,
        )
        .await
    }

    /// Lists events, newest first (workspace Admins and above).
    pub async fn list_audit(&self, actor: &Actor, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        self.check(actor, Action::ViewAudit)?;
        let f = self.audit_filter(q)?;
        let rows = self.store().list_audit(actor.workspace_id, &f).await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// The store filter for a query (checked: a bad time or id is
    /// `audit.bad_filter`).
    pub(crate) fn audit_filter(&self, q: &AuditQuery) -> Result<AuditFilter> {
        let time = |s: &Option<String>, name: &str| -> Result<_> {
            s.as_deref()
                .map(|v| {
                    orthrus_core::Timestamp::parse_rfc3339(v).ok_or_else(|| {
                        AppError::invalid(
                            InvalidCode::AuditBadFilter,
                            format!("{name} must be an RFC 3339 time, got {v:?}"),
                        )
                    })
                })
                .transpose()
        };
        let actor_id = q
            .actor_id
            .as_deref()
            .map(|a| {
                a.parse().map_err(|_| {
                    AppError::invalid(InvalidCode::AuditBadFilter, "actor_id must be a user id")
                })
            })
            .transpose()?;
        let f = AuditFilter {
            action: q.action.clone().filter(|s| !s.is_empty()),
            actor_id,
            target_id: q.target_id.clone().filter(|s| !s.is_empty()),
            since: time(&q.since, "since")?,
            until: time(&q.until, "until")?,
            before_seq: q.before,
            limit: q.limit.unwrap_or(50).clamp(1, 500),
        };
        Ok(f)
    }

    /// Recomputes every chain: detects edited, deleted, inserted or reordered
    /// events, and a truncated tail (the head row remembers the last hash).
    /// An event or head edited into one no append writes (an unknown
    /// outcome, a malformed id or detail, text in a number) is reported as
    /// unreadable, not an error; no stored number makes it overflow.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        let mut out = AuditVerification {
            workspaces: 0,
            events: 0,
            problems: Vec::new(),
        };
        for ws in self.store().list_workspaces().await? {
            out.workspaces += 1;
            let links = self.store().audit_links(ws.id).await?;
            out.events += links.len();
            let mut prev = GENESIS_HASH.to_owned();
            // The highest event number read so far.
            let mut last = 0;
            for link in &links {
                let seq = match link {
                    Ok(e) => e.seq,
                    Err(UnreadableAuditEvent { seq: Some(seq), .. }) => *seq,
                    Err(u) => {
                        // Its number is what was edited: it has no place.
                        out.problems.push(format!(
                            "workspace {}: an event after #{last} cannot be read: {}",
                            ws.id, u.column
                        ));
                        continue;
                    }
                };
                if let Some(problem) = out_of_place(last, seq) {
                    out.problems.push(format!("workspace {}: {problem}", ws.id));
                }
                last = last.max(seq);
                match link {
                    Ok(e) => {
                        if e.prev_hash != prev {
                            out.problems.push(format!(
                                "workspace {}: event #{seq} does not follow the one before it",
                                ws.id
                            ));
                        }
                        let recomputed = self.chain_hash(&e.prev_hash, seq, &e.event);
                        if recomputed != e.hash {
                            out.problems.push(format!(
                                "workspace {}: event #{seq} ({}) was altered",
                                ws.id,
                                shown_action(&e.event.action)
                            ));
                        }
                    }
                    Err(u) => out.problems.push(format!(
                        "workspace {}: event #{seq} cannot be read: {}",
                        ws.id, u.column
                    )),
                }
                // An unreadable hash breaks the link to the next event.
                prev = match link {
                    Ok(e) => e.hash.clone(),
                    Err(u) => u.hash.clone().unwrap_or_default(),
                };
            }
            match self.store().stored_audit_head(ws.id).await? {
                Some(Err(column)) => out.problems.push(format!(
                    "workspace {}: the chain head cannot be read: {column}",
                    ws.id
                )),
                Some(Ok(head)) if head.mac != self.head_mac(head.seq, &head.hash) => {
                    out.problems
                        .push(format!("workspace {}: the chain head was rewritten", ws.id));
                }
                Some(Ok(head)) if head.seq != last || head.hash != prev => {
                    out.problems.push(format!(
                        "workspace {}: the log ends at #{last} but {} events were written",
                        ws.id, head.seq
                    ));
                }
                None if !links.is_empty() => {
                    out.problems
                        .push(format!("workspace {}: the chain head is missing", ws.id));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// What is wrong with event number `seq` coming after `last`, the highest
/// read before it: nothing when it is the next one; a gap, or a number that
/// goes back or repeats, otherwise. Checked arithmetic: a hand edit can
/// store any number, `i64::MAX` included.
fn out_of_place(last: i64, seq: i64) -> Option<String> {
    match last.checked_add(1) {
        Some(next) if seq == next => None,
        Some(next) if seq > next => Some(format!("event #{next} is missing (next is #{seq})")),
        _ => Some(format!(
            "event #{seq} is out of order (it comes after #{last})"
        )),
    }
}

/// A stored action as a report shows it: a known action's name as it is,
/// anything else (a hand edit can put megabytes or terminal escapes there)
/// quoted, escaped and cut short.
fn shown_action(action: &str) -> String {
    match action.parse::<AuditAction>() {
        Ok(known) => known.to_string(),
        Err(_) => orthrus_store::quoted(action),
    }
}

#[cfg(test)]
mod tests {
    use super::{out_of_place, shown_action};

    #[test]
    fn an_event_number_is_checked_against_the_highest_before_it() {
        assert_eq!(out_of_place(0, 1), None);
        assert_eq!(out_of_place(4, 5), None);
        assert_eq!(
            out_of_place(4, 7).as_deref(),
            Some("event #5 is missing (next is #7)")
        );
        assert_eq!(
            out_of_place(4, i64::MAX).as_deref(),
            Some("event #5 is missing (next is #9223372036854775807)")
        );
        for (last, seq) in [(4, 4), (4, 2), (0, -3), (0, i64::MIN), (i64::MAX, i64::MAX)] {
            assert_eq!(
                out_of_place(last, seq),
                Some(format!(
                    "event #{seq} is out of order (it comes after #{last})"
                )),
            );
        }
    }

    #[test]
    fn a_known_action_is_shown_as_it_is_and_anything_else_quoted() {
        assert_eq!(shown_action("account.create"), "account.create");
        assert_eq!(shown_action("no.such.action"), "\"no.such.action\"");
        assert_eq!(shown_action("x\u{1b}[2J"), "\"x\\u{1b}[2J\"");
        let huge = "a".repeat(1 << 20);
        assert_eq!(shown_action(&huge), format!("{:?}…", "a".repeat(60)));
    }
}
