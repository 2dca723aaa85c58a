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
mod mfa_check;
pub mod profile;
pub mod recipe;
pub mod runner;

/// Recipes shipped with Orthrus, by app.
pub const BUILTIN_RECIPES: &[(&str, &str)] = &[
    ("sandbox", include_str!("../recipes/sandbox.toml")),
    ("instagram", include_str!("../recipes/instagram.toml")),
];

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
    "discard_new_password",
];

/// The built-in recipe of `app`, parsed.
pub fn builtin_recipe(app: &str) -> Option<Result<recipe::Recipe, recipe::RecipeError>> {
    BUILTIN_RECIPES
        .iter()
        .find(|(a, _)| *a == app)
        .map(|(a, src)| {
            recipe::Recipe::parse_with_hooks(&format!("recipes/{a}.toml"), src, PLACEHOLDERS, HOOKS)
        })
}

/// Parses one recipe file (`orthrus recipe check`, `automation.recipes_dir`).
pub fn parse_recipe_file(path: &std::path::Path) -> Result<recipe::Recipe, recipe::RecipeError> {
    let name = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|e| recipe::RecipeError {
        file: name.clone(),
        line: 0,
        column: 0,
        message: format!("cannot read it: {e}"),
    })?;
    recipe::Recipe::parse_with_hooks(&name, &src, PLACEHOLDERS, HOOKS)
}

/// The recipes a server runs: the built-in ones, then every `*.toml` in
/// the operator's `automation.recipes_dir`, which replaces a built-in
/// recipe of the same app. Loaded once at start: a broken file stops the
/// start with its file, line and reason.
#[derive(Clone, Debug, Default)]
pub struct Recipes(std::collections::HashMap<String, recipe::Recipe>);

impl Recipes {
    pub fn load(dir: Option<&std::path::Path>) -> Result<Self, recipe::RecipeError> {
        let mut all = std::collections::HashMap::new();
        for (app, _) in BUILTIN_RECIPES {
            if let Some(r) = builtin_recipe(app) {
                let r = r?;
                all.insert(r.app.clone(), r);
            }
        }
        if let Some(dir) = dir {
            let unreadable = |e: std::io::Error| recipe::RecipeError {
                file: dir.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot read the recipes folder: {e}"),
            };
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .map_err(unreadable)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            for f in files {
                let r = parse_recipe_file(&f)?;
                all.insert(r.app.clone(), r);
            }
        }
        Ok(Self(all))
    }

    /// The recipe of `app`, if it has one.
    pub fn get(&self, app: &str) -> Option<&recipe::Recipe> {
        self.0.get(app)
    }

    /// Whose codes and links each app's automations use, for
    /// [`orthrus_app::App::set_app_senders`].
    pub fn senders(&self) -> std::collections::HashMap<String, orthrus_app::AppSenders> {
        self.0
            .iter()
            .map(|(app, r)| (app.clone(), r.senders.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_operators_recipes_join_the_built_in_ones_and_a_broken_one_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = BUILTIN_RECIPES[0].1;
        let acme = sandbox.replacen("app = \"sandbox\"", "app = \"acme\"", 1);
        assert_ne!(acme, sandbox, "the sandbox recipe names its app");
        std::fs::write(dir.path().join("acme.toml"), &acme).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a recipe").unwrap();
        let r = Recipes::load(Some(dir.path())).unwrap();
        assert!(r.get("acme").is_some());
        assert!(r.get("sandbox").is_some(), "built-in recipes stay");
        assert!(r.get("nobody").is_none());
        assert!(r.senders().contains_key("acme"));
        // A broken file stops the load with its file, line and reason.
        std::fs::write(
            dir.path().join("broken.toml"),
            "app = \"x\"\n[flows.login]\nsteps = 3\n",
        )
        .unwrap();
        let e = Recipes::load(Some(dir.path())).unwrap_err();
        assert!(e.file.ends_with("broken.toml"), "{e}");
        assert!(e.line > 0, "{e}");
    }
}
