//! A member's own sessions and personal API tokens: listing and revoking
//! them, and creating a token (shown once). Checking a presented token is
//! sign-in's (`auth.rs`).

use crate::audit::Event;
use crate::auth::API_TOKEN_PREFIX;
use crate::{Action, Actor, App, AppError, AuditAction, Entity, InvalidCode, Result};
use orthrus_core::AuditTarget;
use orthrus_core::{SessionId, TokenId};
use orthrus_store::ApiTokenRow;
use serde::Serialize;

/// A session as its owner sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: String,
    pub kind: &'static str,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub ip: String,
    pub user_agent: String,
    pub current: bool,
}

/// A personal API token's metadata (never the token itself).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
}

impl App {
    /// The actor's active sessions.
    pub async fn list_sessions(&self, actor: &Actor) -> Result<Vec<SessionInfo>> {
        let rows = self
            .store()
            .list_sessions(actor.workspace_id, actor.user_id, self.now())
            .await?;
        Ok(rows
            .into_iter()
            .map(|s| SessionInfo {
                current: actor.session_id() == Some(s.id),
                id: s.id.to_string(),
                kind: s.kind.as_str(),
                created_at: s.created_at.to_rfc3339(),
                last_seen_at: s.last_seen_at.to_rfc3339(),
                expires_at: s.expires_at.to_rfc3339(),
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect())
    }

    /// Revokes one of the actor's own sessions.
    pub async fn revoke_session(&self, actor: &Actor, id: SessionId) -> Result<()> {
        let store = self.store();
        let revoked = store
            .revoke_session(actor.workspace_id, actor.user_id, id, self.now())
            .await?;
        let event = Event::new(AuditAction::SessionRevoke).target(AuditTarget::Session, id);
        self.own_credential_revoked(actor, revoked, Entity::Session, event)
            .await
    }

    /// Creates a personal API token (needs step-up); the token is shown once.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        name: &str,
        expires_days: Option<i64>,
    ) -> Result<(orthrus_core::SecretString, TokenInfo)> {
        self.check(actor, Action::CreateApiToken)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::invalid(
                InvalidCode::TokenInvalidName,
                "name the token (up to 100 characters), e.g. \"CI\"",
            ));
        }
        if let Some(d) = expires_days
            && !(1..=3650).contains(&d)
        {
            return Err(AppError::invalid(
                InvalidCode::TokenInvalidExpiry,
                "expires_days must be between 1 and 3650",
            ));
        }
        let token = orthrus_crypto::new_token(API_TOKEN_PREFIX, self.rng());
        let now = self.now();
        let row = ApiTokenRow {
            id: TokenId::new(self.inner.clock.as_ref(), self.rng()),
            workspace_id: actor.workspace_id,
            user_id: actor.user_id,
            name: name.to_owned(),
            token_hash: self.inner.token_hasher.hash(&token),
            prefix: token.chars().take(10).collect(),
            created_at: now,
            last_used_at: None,
            expires_at: expires_days.map(|d| now.plus_seconds(d * 86400)),
            revoked_at: None,
        };
        self.store().create_api_token(&row).await?;
        self.audit(
            actor,
            Event::new(AuditAction::TokenCreate)
                .target(AuditTarget::Token, row.id)
                .detail(serde_json::json!({"name": name})),
        )
        .await?;
        Ok((token.into(), token_info(row)))
    }

    pub async fn list_api_tokens(&self, actor: &Actor) -> Result<Vec<TokenInfo>> {
        Ok(self
            .store()
            .list_api_tokens(actor.workspace_id, actor.user_id)
            .await?
            .into_iter()
            .map(token_info)
            .collect())
    }

    pub async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> Result<()> {
        let store = self.store();
        let revoked = store
            .revoke_api_token(actor.workspace_id, actor.user_id, id, self.now())
            .await?;
        let event = Event::new(AuditAction::TokenRevoke).target(AuditTarget::Token, id);
        self.own_credential_revoked(actor, revoked, Entity::Token, event)
            .await
    }

    /// The end of revoking one of the actor's own sessions or tokens:
    /// `missing` when nothing of theirs matched, else their live pages hear
    /// of it and the event is audited.
    async fn own_credential_revoked(
        &self,
        actor: &Actor,
        revoked: bool,
        missing: Entity,
        event: Event,
    ) -> Result<()> {
        if !revoked {
            return Err(AppError::NotFound(missing));
        }
        self.access_changed(actor.workspace_id, actor.user_id);
        self.audit(actor, event).await
    }
}

fn token_info(t: ApiTokenRow) -> TokenInfo {
    TokenInfo {
        id: t.id.to_string(),
        name: t.name,
        prefix: t.prefix,
        created_at: t.created_at.to_rfc3339(),
        last_used_at: t.last_used_at.map(|t| t.to_rfc3339()),
        expires_at: t.expires_at.map(|t| t.to_rfc3339()),
    }
}
