//! The activity export (issue 15, item 6): the audit log with the filters
//! of `GET /audit`, as CSV or JSON lines, with the names of the account,
//! its app and the people beside their ids, and each event's `seq`,
//! `prev_hash` and `hash` so the chain can still be checked. The events are
//! read a page at a time ([`AuditExport::next_chunk`]), so a large log is
//! never held at once.

use crate::AuditAction;
use crate::InvalidCode;
use crate::audit::{AuditQuery, Event};
use crate::{Action, Actor, App, AppError, Result};
use orthrus_core::{AccountId, AuditTarget, UserId};
use orthrus_store::{AuditEventRow, AuditFilter};
use std::collections::HashMap;

/// Events read per page.
const PAGE: i64 = 500;

/// The export's file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditExportFormat {
    Csv,
    Jsonl,
}

impl AuditExportFormat {
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "jsonl" | "ndjson" => Ok(Self::Jsonl),
            _ => Err(AppError::invalid(
                InvalidCode::AuditBadFormat,
                format!("format is csv or jsonl, not {s:?}"),
            )),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Jsonl => "application/x-ndjson",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }
}

/// The columns, in order (CSV header and JSON keys).
pub const EXPORT_COLUMNS: [&str; 17] = [
    "seq",
    "id",
    "at",
    "action",
    "outcome",
    "actor_id",
    "actor_email",
    "actor_name",
    "target_type",
    "target_id",
    "target_name",
    "account_label",
    "account_app",
    "ip",
    "detail",
    "prev_hash",
    "hash",
];

/// One CSV cell: quoted when it holds a comma, quote or line break, and
/// kept from being read as a formula by a spreadsheet (a leading `=`, `+`,
/// `-`, `@`, tab or carriage return gets a `'` in front).
pub fn csv_cell(s: &str) -> String {
    let guarded = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Names for ids, read once per export.
struct Names {
    accounts: HashMap<AccountId, (String, String)>,
    users: HashMap<UserId, (String, String)>,
    teams: HashMap<String, String>,
}

/// An export in progress: call [`AuditExport::next_chunk`] until it gives
/// `None`.
pub struct AuditExport {
    app: App,
    workspace: orthrus_core::WorkspaceId,
    filter: AuditFilter,
    format: AuditExportFormat,
    names: Names,
    started: bool,
    done: bool,
}

impl AuditExport {
    pub fn format(&self) -> AuditExportFormat {
        self.format
    }

    fn row(&self, r: &AuditEventRow) -> Vec<(&'static str, serde_json::Value)> {
        use serde_json::Value as V;
        let e = &r.event;
        let opt = |s: Option<String>| s.map_or(V::Null, V::String);
        let actor_name = e
            .actor_id
            .and_then(|a| self.names.users.get(&a))
            .map(|(_, name)| name.clone());
        let tid = e.target_id.clone().unwrap_or_default();
        let kind = e.target_type.as_deref().and_then(|t| t.parse().ok());
        let account = match kind {
            Some(AuditTarget::Account) => tid
                .parse()
                .ok()
                .and_then(|a: AccountId| self.names.accounts.get(&a)),
            _ => None,
        };
        let target_name = match kind {
            Some(AuditTarget::Account) => account.map(|(label, _)| label.clone()),
            Some(AuditTarget::User) => tid
                .parse()
                .ok()
                .and_then(|u: UserId| self.names.users.get(&u))
                .map(|(email, _)| email.clone()),
            Some(AuditTarget::Team) => self.names.teams.get(&tid).cloned(),
            _ => None,
        };
        vec![
            ("seq", V::from(r.seq)),
            ("id", V::String(e.id.to_string())),
            ("at", V::String(e.at.to_rfc3339())),
            ("action", V::String(e.action.clone())),
            ("outcome", V::String(e.outcome.as_str().to_owned())),
            ("actor_id", opt(e.actor_id.map(|a| a.to_string()))),
            ("actor_email", opt(e.actor_email.clone())),
            ("actor_name", opt(actor_name)),
            ("target_type", opt(e.target_type.clone())),
            ("target_id", opt(e.target_id.clone())),
            ("target_name", opt(target_name)),
            ("account_label", opt(account.map(|(l, _)| l.clone()))),
            ("account_app", opt(account.map(|(_, a)| a.clone()))),
            ("ip", opt(e.ip.clone())),
            ("detail", e.detail.clone()),
            ("prev_hash", V::String(r.prev_hash.clone())),
            ("hash", V::String(r.hash.clone())),
        ]
    }

    fn render(&self, rows: &[AuditEventRow], out: &mut String) {
        for r in rows {
            let cells = self.row(r);
            match self.format {
                AuditExportFormat::Jsonl => {
                    let obj: serde_json::Map<String, serde_json::Value> =
                        cells.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                    out.push_str(&serde_json::Value::Object(obj).to_string());
                    out.push('\n');
                }
                AuditExportFormat::Csv => {
                    let line: Vec<String> = cells
                        .into_iter()
                        .map(|(_, v)| match v {
                            serde_json::Value::Null => String::new(),
                            serde_json::Value::String(s) => csv_cell(&s),
                            other => csv_cell(&other.to_string()),
                        })
                        .collect();
                    out.push_str(&line.join(","));
                    out.push_str("\r\n");
                }
            }
        }
    }

    /// The next part of the file (the CSV header comes with the first);
    /// None once every event was written.
    pub async fn next_chunk(&mut self) -> Result<Option<String>> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.started {
            self.started = true;
            if self.format == AuditExportFormat::Csv {
                out.push_str(&EXPORT_COLUMNS.join(","));
                out.push_str("\r\n");
            }
        }
        let rows = self
            .app
            .inner
            .store
            .list_audit(self.workspace, &self.filter)
            .await?;
        if (rows.len() as i64) < self.filter.limit {
            self.done = true;
        }
        self.filter.before_seq = rows.last().map(|r| r.seq);
        if rows.is_empty() {
            self.done = true;
        }
        self.render(&rows, &mut out);
        Ok(Some(out))
    }
}

impl App {
    /// Starts an export of the audit log (`Action::ViewAudit`), newest
    /// first, with the filters of [`App::list_audit`] (`limit` is ignored:
    /// everything that matches is exported). The export is itself audited
    /// (`audit.export`) before the first event is read.
    pub async fn audit_export(
        &self,
        actor: &Actor,
        q: &AuditQuery,
        format: AuditExportFormat,
    ) -> Result<AuditExport> {
        self.check(actor, Action::ViewAudit)?;
        let mut filter = self.audit_filter(q)?;
        filter.limit = PAGE;
        let ws = actor.workspace_id;
        let names = Names {
            accounts: self
                .store()
                .list_accounts(ws)
                .await?
                .into_iter()
                .map(|a| (a.id, (a.label, a.app)))
                .collect(),
            users: self
                .store()
                .list_users(ws)
                .await?
                .into_iter()
                .map(|u| (u.id, (u.email, u.name)))
                .collect(),
            teams: self
                .store()
                .list_teams(ws)
                .await?
                .into_iter()
                .map(|t| (t.id.to_string(), t.display_name))
                .collect(),
        };
        self.audit(
            actor,
            Event::new(AuditAction::AuditExport).detail(serde_json::json!({
                "format": format.extension(),
                "action": filter.action,
                "actor_id": filter.actor_id.map(|a| a.to_string()),
                "target_id": filter.target_id,
                "since": filter.since.map(|t| t.to_rfc3339()),
                "until": filter.until.map(|t| t.to_rfc3339()),
                "before": filter.before_seq,
            })),
        )
        .await?;
        Ok(AuditExport {
            app: self.clone(),
            workspace: ws,
            filter,
            format,
            names,
            started: false,
            done: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("1=1"), "1=1");
    }
}
