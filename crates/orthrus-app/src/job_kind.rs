//! What an automation job does: [`JobKind`] (in `orthrus-core`, beside
//! `JobState`), and how a person starts one ([`StartOptions`]). Storage and
//! the API keep a job's kind as a string (`automation_jobs.kind`,
//! `JobView::kind`): `orthrus recipe try` runs any flow of a recipe file
//! under that flow's name. Code that decides by kind parses it into
//! [`JobKind`].

pub use orthrus_core::JobKind;

impl crate::App {
    /// Whether a job of `kind` is queued or running for the account (among
    /// its latest 50 jobs).
    pub(crate) async fn job_pending(
        &self,
        ws: orthrus_core::WorkspaceId,
        account: orthrus_core::AccountId,
        kind: JobKind,
    ) -> crate::Result<bool> {
        Ok(self
            .store()
            .list_jobs(ws, Some(account), 50)
            .await?
            .iter()
            .any(|j| j.kind == kind.as_str() && j.state.is_pending()))
    }
}

/// How a person starts a job, beyond its kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StartOptions {
    /// For `enable_mfa`: the person says they verified in the app that MFA
    /// is off (turning it on over an authenticator whose key Orthrus does
    /// not hold can lock the team out). None: not asked (the API's
    /// original contract); `Some(false)` is refused, as the page's
    /// unticked box is.
    pub confirmed_mfa_off: Option<bool>,
}
