//! `orthrus-automation`: browser automations for shared accounts. Recipes
//! describe each app's flows as data ([`recipe`]); the engine runs a flow
//! in Debian's headless Chromium ([`browser`], [`engine`]), asking its host
//! for credentials, TOTP codes and codes from the shared inbox, and logging
//! every step without secrets.
//!
//! The [`runner`] claims durable jobs and runs them; it reaches storage and
//! secrets only through `orthrus-app`. This crate must not know HTTP
//! routing or SQL.

pub mod browser;
pub mod egress_proxy;
pub mod engine;
pub mod generic;
pub mod profile;
pub mod recipe;
pub mod runner;

/// Recipes shipped with Orthrus, by app.
pub const BUILTIN_RECIPES: &[(&str, &str)] =
    &[("sandbox", include_str!("../recipes/sandbox.toml"))];

/// Placeholders every host fills.
pub const PLACEHOLDERS: &[&str] = &[
    "login_url",
    "origin",
    "username",
    "password",
    "totp",
    "pending_totp",
    "inbox_code",
    "inbox_link",
    "managed_email",
    "new_password",
    "backup_code",
];

/// Hooks recipes may `call`.
pub const HOOKS: &[&str] = &[
    "enroll_totp",
    "confirm_totp",
    "save_backup_codes",
    "use_new_password",
    "promote_password",
];

/// Whose codes and links each built-in recipe's app sends, for
/// [`orthrus_app::App::set_app_senders`] (a recipe that does not parse
/// names nobody: its jobs fail anyway).
pub fn builtin_app_senders() -> std::collections::HashMap<String, orthrus_app::AppSenders> {
    BUILTIN_RECIPES
        .iter()
        .filter_map(|(app, _)| Some(((*app).to_owned(), builtin_recipe(app)?.ok()?.senders)))
        .collect()
}

/// The built-in recipe of `app`, parsed.
pub fn builtin_recipe(app: &str) -> Option<Result<recipe::Recipe, recipe::RecipeError>> {
    BUILTIN_RECIPES
        .iter()
        .find(|(a, _)| *a == app)
        .map(|(a, src)| {
            recipe::Recipe::parse_with_hooks(&format!("recipes/{a}.toml"), src, PLACEHOLDERS, HOOKS)
        })
}
