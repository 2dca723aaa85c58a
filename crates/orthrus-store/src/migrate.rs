//! A minimal append-only migration runner: each backend has its own ordered
//! list of SQL files, embedded in the binary; applied versions are recorded in
//! `schema_migrations`. Editing an applied migration is refused (checksum).
//!
//! Why our own runner rather than `sqlx::migrate!`:
//! - Rolling upgrades (docs/postgresql.md): a node of the previous release
//!   may start after a newer one migrated the shared database. The runner
//!   only looks at the versions it knows and ignores newer ones, where
//!   sqlx's migrator by default refuses a database holding a migration it
//!   does not have.
//! - Existing databases record what was applied in `schema_migrations` with
//!   an FNV-1a checksum ([`checksum`]); sqlx keeps its own table
//!   (`_sqlx_migrations`) and checksums, so switching would need a one-off
//!   conversion of every installed database.
//! - Each backend's list is plain data ([`SQLITE`], [`POSTGRES`]): the same
//!   list is applied here, reported by `orthrus admin migrate --check`
//!   (`ops::pending_migrations`, with each file's first `--` line) and
//!   checked by a unit test to hold the same versions on both backends.

use crate::{PgStore, Result, SqliteStore, StoreError};
use sqlx::Row;

/// One migration file.
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// A stable checksum (FNV-1a 64) of a migration's text.
pub fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Splits a file into statements on `;` at line ends (our migrations keep one
/// statement per `;`-terminated block and no semicolons inside literals).
pub fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n").map(str::trim).filter(|s| !s.is_empty())
}

macro_rules! impl_migrate {
    ($store:ty) => {
        impl $store {
            /// Applies pending migrations in order, each in its own transaction.
            pub(crate) async fn migrate(&self, migrations: &[Migration]) -> Result<()> {
                sqlx::query(
                    r#"
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version BIGINT PRIMARY KEY,
                        name TEXT NOT NULL,
                        checksum TEXT NOT NULL,
                        applied_at BIGINT NOT NULL
                    )
                    "#,
                )
                .execute(&self.pool)
                .await?;
                for m in migrations {
                    let sum = checksum(m.sql);
                    let existing =
                        sqlx::query("SELECT checksum FROM schema_migrations WHERE version = $1")
                            .bind(m.version)
                            .fetch_optional(&self.pool)
                            .await?;
                    if let Some(r) = existing {
                        let stored: String = r.try_get("checksum")?;
                        if stored != sum {
                            return Err(StoreError::Migration {
                                version: m.version,
                                message: format!(
                                    "{} was edited after it was applied (migrations are append-only)",
                                    m.name
                                ),
                            });
                        }
                        continue;
                    }
                    let mut tx = self.pool.begin().await?;
                    for stmt in statements(m.sql) {
                        sqlx::query(stmt).execute(&mut *tx).await.map_err(|e| {
                            StoreError::Migration {
                                version: m.version,
                                message: e.to_string(),
                            }
                        })?;
                    }
                    sqlx::query(
                        r#"
                        INSERT INTO schema_migrations (version, name, checksum, applied_at)
                        VALUES ($1, $2, $3, 0)
                        "#,
                    )
                    .bind(m.version)
                    .bind(m.name)
                    .bind(&sum)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    tracing::info!(
                        version = m.version,
                        name = m.name,
                        backend = Self::BACKEND,
                        "applied migration"
                    );
                }
                Ok(())
            }
        }
    };
}

impl_migrate!(SqliteStore);
impl_migrate!(PgStore);

pub const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/sqlite/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "instance_and_audit_head_mac",
        sql: include_str!("../migrations/sqlite/0002_instance_and_audit_head_mac.sql"),
    },
    Migration {
        version: 3,
        name: "team_authenticator",
        sql: include_str!("../migrations/sqlite/0003_team_authenticator.sql"),
    },
    Migration {
        version: 4,
        name: "backup_codes",
        sql: include_str!("../migrations/sqlite/0004_backup_codes.sql"),
    },
    Migration {
        version: 5,
        name: "step_up_requests",
        sql: include_str!("../migrations/sqlite/0005_step_up_requests.sql"),
    },
    Migration {
        version: 6,
        name: "two_person_rule",
        sql: include_str!("../migrations/sqlite/0006_two_person_rule.sql"),
    },
    Migration {
        version: 7,
        name: "passkeys",
        sql: include_str!("../migrations/sqlite/0007_passkeys.sql"),
    },
    Migration {
        version: 8,
        name: "managed_inbox",
        sql: include_str!("../migrations/sqlite/0008_managed_inbox.sql"),
    },
    Migration {
        version: 9,
        name: "phone_numbers",
        sql: include_str!("../migrations/sqlite/0009_phone_numbers.sql"),
    },
    Migration {
        version: 10,
        name: "retention_and_forwarding",
        sql: include_str!("../migrations/sqlite/0010_retention_and_forwarding.sql"),
    },
    Migration {
        version: 11,
        name: "automation_jobs",
        sql: include_str!("../migrations/sqlite/0011_automation_jobs.sql"),
    },
    Migration {
        version: 12,
        name: "pending_password",
        sql: include_str!("../migrations/sqlite/0012_pending_password.sql"),
    },
    Migration {
        version: 13,
        name: "browser_profiles",
        sql: include_str!("../migrations/sqlite/0013_browser_profiles.sql"),
    },
    Migration {
        version: 14,
        name: "job_questions",
        sql: include_str!("../migrations/sqlite/0014_job_questions.sql"),
    },
    Migration {
        version: 15,
        name: "rotation_schedules",
        sql: include_str!("../migrations/sqlite/0015_rotation_schedules.sql"),
    },
    Migration {
        version: 16,
        name: "job_deferrals",
        sql: include_str!("../migrations/sqlite/0016_job_deferrals.sql"),
    },
    Migration {
        version: 17,
        name: "rotation_password_policy",
        sql: include_str!("../migrations/sqlite/0017_rotation_password_policy.sql"),
    },
    Migration {
        version: 18,
        name: "inbox_quotas",
        sql: include_str!("../migrations/sqlite/0018_inbox_quotas.sql"),
    },
    Migration {
        version: 19,
        name: "mfa_checks",
        sql: include_str!("../migrations/sqlite/0019_mfa_checks.sql"),
    },
    Migration {
        version: 21,
        name: "browser_extension",
        sql: include_str!("../migrations/sqlite/0021_browser_extension.sql"),
    },
    Migration {
        version: 22,
        name: "inbox_search",
        sql: include_str!("../migrations/sqlite/0022_inbox_search.sql"),
    },
    Migration {
        version: 23,
        name: "invitations",
        sql: include_str!("../migrations/sqlite/0023_invitations.sql"),
    },
    Migration {
        version: 24,
        name: "step_up_purpose",
        sql: include_str!("../migrations/sqlite/0024_step_up_purpose.sql"),
    },
    Migration {
        version: 25,
        name: "sso",
        sql: include_str!("../migrations/sqlite/0025_sso.sql"),
    },
    Migration {
        version: 26,
        name: "guests_and_access_requests",
        sql: include_str!("../migrations/sqlite/0026_guests_and_access_requests.sql"),
    },
    Migration {
        version: 27,
        name: "scim_teams",
        sql: include_str!("../migrations/sqlite/0027_scim_teams.sql"),
    },
    Migration {
        version: 28,
        name: "instance_keys",
        sql: include_str!("../migrations/sqlite/0028_instance_keys.sql"),
    },
    Migration {
        version: 29,
        name: "passkey_ceremonies",
        sql: include_str!("../migrations/sqlite/0029_passkey_ceremonies.sql"),
    },
    Migration {
        version: 30,
        name: "change_notifications",
        sql: include_str!("../migrations/sqlite/0030_change_notifications.sql"),
    },
    Migration {
        version: 31,
        name: "task_leases",
        sql: include_str!("../migrations/sqlite/0031_task_leases.sql"),
    },
];

pub const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "instance_and_audit_head_mac",
        sql: include_str!("../migrations/postgres/0002_instance_and_audit_head_mac.sql"),
    },
    Migration {
        version: 3,
        name: "team_authenticator",
        sql: include_str!("../migrations/postgres/0003_team_authenticator.sql"),
    },
    Migration {
        version: 4,
        name: "backup_codes",
        sql: include_str!("../migrations/postgres/0004_backup_codes.sql"),
    },
    Migration {
        version: 5,
        name: "step_up_requests",
        sql: include_str!("../migrations/postgres/0005_step_up_requests.sql"),
    },
    Migration {
        version: 6,
        name: "two_person_rule",
        sql: include_str!("../migrations/postgres/0006_two_person_rule.sql"),
    },
    Migration {
        version: 7,
        name: "passkeys",
        sql: include_str!("../migrations/postgres/0007_passkeys.sql"),
    },
    Migration {
        version: 8,
        name: "managed_inbox",
        sql: include_str!("../migrations/postgres/0008_managed_inbox.sql"),
    },
    Migration {
        version: 9,
        name: "phone_numbers",
        sql: include_str!("../migrations/postgres/0009_phone_numbers.sql"),
    },
    Migration {
        version: 10,
        name: "retention_and_forwarding",
        sql: include_str!("../migrations/postgres/0010_retention_and_forwarding.sql"),
    },
    Migration {
        version: 11,
        name: "automation_jobs",
        sql: include_str!("../migrations/postgres/0011_automation_jobs.sql"),
    },
    Migration {
        version: 12,
        name: "pending_password",
        sql: include_str!("../migrations/postgres/0012_pending_password.sql"),
    },
    Migration {
        version: 13,
        name: "browser_profiles",
        sql: include_str!("../migrations/postgres/0013_browser_profiles.sql"),
    },
    Migration {
        version: 14,
        name: "job_questions",
        sql: include_str!("../migrations/postgres/0014_job_questions.sql"),
    },
    Migration {
        version: 15,
        name: "rotation_schedules",
        sql: include_str!("../migrations/postgres/0015_rotation_schedules.sql"),
    },
    Migration {
        version: 16,
        name: "job_deferrals",
        sql: include_str!("../migrations/postgres/0016_job_deferrals.sql"),
    },
    Migration {
        version: 17,
        name: "rotation_password_policy",
        sql: include_str!("../migrations/postgres/0017_rotation_password_policy.sql"),
    },
    Migration {
        version: 18,
        name: "inbox_quotas",
        sql: include_str!("../migrations/postgres/0018_inbox_quotas.sql"),
    },
    Migration {
        version: 19,
        name: "mfa_checks",
        sql: include_str!("../migrations/postgres/0019_mfa_checks.sql"),
    },
    Migration {
        version: 21,
        name: "browser_extension",
        sql: include_str!("../migrations/postgres/0021_browser_extension.sql"),
    },
    Migration {
        version: 22,
        name: "inbox_search",
        sql: include_str!("../migrations/postgres/0022_inbox_search.sql"),
    },
    Migration {
        version: 23,
        name: "invitations",
        sql: include_str!("../migrations/postgres/0023_invitations.sql"),
    },
    Migration {
        version: 24,
        name: "step_up_purpose",
        sql: include_str!("../migrations/postgres/0024_step_up_purpose.sql"),
    },
    Migration {
        version: 25,
        name: "sso",
        sql: include_str!("../migrations/postgres/0025_sso.sql"),
    },
    Migration {
        version: 26,
        name: "guests_and_access_requests",
        sql: include_str!("../migrations/postgres/0026_guests_and_access_requests.sql"),
    },
    Migration {
        version: 27,
        name: "scim_teams",
        sql: include_str!("../migrations/postgres/0027_scim_teams.sql"),
    },
    Migration {
        version: 28,
        name: "instance_keys",
        sql: include_str!("../migrations/postgres/0028_instance_keys.sql"),
    },
    Migration {
        version: 29,
        name: "passkey_ceremonies",
        sql: include_str!("../migrations/postgres/0029_passkey_ceremonies.sql"),
    },
    Migration {
        version: 30,
        name: "change_notifications",
        sql: include_str!("../migrations/postgres/0030_change_notifications.sql"),
    },
    Migration {
        version: 31,
        name: "task_leases",
        sql: include_str!("../migrations/postgres/0031_task_leases.sql"),
    },
];

#[cfg(test)]
mod tests {
    #[test]
    fn backends_have_the_same_migration_versions() {
        let a: Vec<_> = super::SQLITE.iter().map(|m| (m.version, m.name)).collect();
        let b: Vec<_> = super::POSTGRES
            .iter()
            .map(|m| (m.version, m.name))
            .collect();
        assert_eq!(a, b);
        assert_eq!(super::statements("a;\n b;\n\n").count(), 2);
    }
}
