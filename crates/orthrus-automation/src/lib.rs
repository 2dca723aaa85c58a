//! `orthrus-automation`: browser automations for shared accounts. Recipes
//! describe each app's flows as data ([`recipe`]); the engine runs a flow
//! in Debian's headless Chromium ([`browser`], [`engine`]), asking its host
//! for credentials, TOTP codes and codes from the shared inbox, and logging
//! every step without secrets.
//!
//! It must not know HTTP routing or SQL; the job runner that will call it
//! from `orthrus serve` goes through `orthrus-app`.

pub mod browser;
pub mod engine;
pub mod recipe;

/// Recipes shipped with Orthrus, by app.
pub const BUILTIN_RECIPES: &[(&str, &str)] =
    &[("sandbox", include_str!("../recipes/sandbox.toml"))];

/// Placeholders every host fills.
pub const PLACEHOLDERS: &[&str] = &[
    "login_url",
    "username",
    "password",
    "totp",
    "inbox_code",
    "inbox_link",
];

/// The built-in recipe of `app`, parsed.
pub fn builtin_recipe(app: &str) -> Option<Result<recipe::Recipe, recipe::RecipeError>> {
    BUILTIN_RECIPES
        .iter()
        .find(|(a, _)| *a == app)
        .map(|(a, src)| recipe::Recipe::parse(&format!("recipes/{a}.toml"), src, PLACEHOLDERS))
}
