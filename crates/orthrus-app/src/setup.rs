//! The first-run setup link. While no user exists, every node prints the
//! same link: its token is derived with the token hasher (kept sealed in
//! `instance_keys`, so any node with the master key derives the same) from
//! a random seed that the first node to start stores in `instance_settings`
//! (the others read it back). Setup itself happens once (the store's
//! bootstrap refuses a second), after which the seed is removed and no
//! token is accepted.

use crate::{App, Result};
use orthrus_crypto::constant_time_eq;

/// The instance setting holding the seed while setup is pending.
const SEED: &str = "setup_token_seed";

impl App {
    /// The setup token to print, created on the first call while no user
    /// exists (every node gets the same one); None once setup is done.
    pub async fn setup_token(&self) -> Result<Option<String>> {
        if !self.setup_needed().await? {
            return Ok(None);
        }
        let seed = self
            .store()
            .put_setting_if_absent(SEED, &self.random_b64())
            .await?;
        Ok(Some(self.setup_token_of(&seed)))
    }

    /// Whether `given` is the setup token, on any node, while setup is
    /// pending; false once setup is done.
    pub async fn setup_token_accepted(&self, given: &str) -> Result<bool> {
        if !self.setup_needed().await? {
            return Ok(false);
        }
        let Some(seed) = self.store().get_setting(SEED).await? else {
            return Ok(false);
        };
        Ok(constant_time_eq(&self.setup_token_of(&seed), given))
    }

    /// After setup: the token is gone for good (setup is also refused by
    /// then, whatever the token).
    pub async fn setup_token_used(&self) -> Result<()> {
        Ok(self.store().set_setting(SEED, None).await?)
    }

    fn setup_token_of(&self, seed: &str) -> String {
        let mac = self
            .inner
            .token_hasher
            .hash_parts(&[b"setup-link", seed.as_bytes()]);
        format!("setup_{mac}")
    }
}
