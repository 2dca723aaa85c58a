//! Workspace and account roles (DESIGN.md "Roles").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role in a workspace. Ordered: `Guest < User < Admin < SuperAdmin < Owner`.
/// A Guest is someone from outside the organisation (an agency): only ever a
/// Collaborator on the accounts they are given, and only until their access
/// ends (issue 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkspaceRole {
    Guest,
    User,
    Admin,
    SuperAdmin,
    Owner,
}

impl WorkspaceRole {
    pub const ALL: [WorkspaceRole; 5] = [
        Self::Owner,
        Self::SuperAdmin,
        Self::Admin,
        Self::User,
        Self::Guest,
    ];

    /// Owners are counted apart: a workspace keeps at least one active
    /// Owner (an invariant, not a permission; permissions are `policy`'s).
    pub fn is_owner(self) -> bool {
        matches!(self, Self::Owner)
    }

    /// A Guest's access must end: creating or inviting one needs an end
    /// date, and their memberships end by then (an invariant of the role,
    /// not a permission).
    pub fn access_must_end(self) -> bool {
        matches!(self, Self::Guest)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::SuperAdmin => "super-admin",
            Self::Admin => "admin",
            Self::User => "user",
            Self::Guest => "guest",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::SuperAdmin => "Super Admin",
            Self::Admin => "Admin",
            Self::User => "User",
            Self::Guest => "Guest",
        }
    }
}

/// A user's role on one shared account. Ordered: `Collaborator < Manager < Owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountRole {
    Collaborator,
    Manager,
    Owner,
}

impl AccountRole {
    pub const ALL: [AccountRole; 3] = [Self::Owner, Self::Manager, Self::Collaborator];

    /// An account keeps at least one Owner (an invariant, not a permission).
    pub fn is_owner(self) -> bool {
        matches!(self, Self::Owner)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Manager => "manager",
            Self::Collaborator => "collaborator",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Manager => "Manager",
            Self::Collaborator => "Collaborator",
        }
    }
}

/// An unknown role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for WorkspaceRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace(['_', ' '], "-")
            .as_str()
        {
            "owner" => Ok(Self::Owner),
            "super-admin" | "superadmin" => Ok(Self::SuperAdmin),
            "admin" => Ok(Self::Admin),
            "user" => Ok(Self::User),
            "guest" => Ok(Self::Guest),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

impl FromStr for AccountRole {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Self::Owner),
            "manager" => Ok(Self::Manager),
            "collaborator" => Ok(Self::Collaborator),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

impl fmt::Display for WorkspaceRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AccountRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_order() {
        assert_eq!(
            "super_admin".parse::<WorkspaceRole>(),
            Ok(WorkspaceRole::SuperAdmin)
        );
        assert!(WorkspaceRole::Owner > WorkspaceRole::SuperAdmin);
        assert!(AccountRole::Manager > AccountRole::Collaborator);
        assert!("root".parse::<WorkspaceRole>().is_err());
        for r in WorkspaceRole::ALL {
            assert_eq!(r.as_str().parse::<WorkspaceRole>(), Ok(r));
        }
        for r in AccountRole::ALL {
            assert_eq!(r.as_str().parse::<AccountRole>(), Ok(r));
        }
    }
}
