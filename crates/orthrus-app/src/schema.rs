//! Names of closed sets of values for the OpenAPI document. The values
//! travel as strings and are parsed by `orthrus-core` (which knows nothing
//! of the document); these enums only describe them, and `orthrus-web`'s
//! tests check that they list exactly what the parser takes.

use utoipa::ToSchema;

/// A workspace role.
#[derive(ToSchema)]
#[schema(as = WorkspaceRole, rename_all = "kebab-case")]
pub enum WorkspaceRoleName {
    Owner,
    SuperAdmin,
    Admin,
    User,
    Guest,
}

/// A role on one shared account.
#[derive(ToSchema)]
#[schema(as = AccountRole, rename_all = "kebab-case")]
pub enum AccountRoleName {
    Owner,
    Manager,
    Collaborator,
}
