//! The security page's two-factor forms (`app/twofactor.rs`): starting
//! TOTP (with its QR code), confirming, turning it off, new recovery codes.

use super::auth::{SecurityExtras, security_view};
use crate::WebState;
use crate::error::WebError;
use crate::extract::{Authed, UiForm};
use crate::ui::{FormError, see_other, with_status};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use orthrus_app::AppError;
use serde::Deserialize;

#[derive(Deserialize)]
struct CodeForm {
    code: Option<String>,
}

/// What a two-factor form on the security page does (`/security/2fa/{op}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TwoFactorOp {
    /// Make a new key and show it with its QR code.
    Start,
    /// Check the first code and turn TOTP on (showing recovery codes).
    Confirm,
    /// Turn TOTP off.
    Disable,
}

impl TwoFactorOp {
    /// The operation a path's last segment names; `None` for any other word.
    fn parse(word: &str) -> Option<Self> {
        match word {
            "start" => Some(Self::Start),
            "confirm" => Some(Self::Confirm),
            "disable" => Some(Self::Disable),
            _ => None,
        }
    }
}

async fn security_2fa(
    State(s): State<WebState>,
    a: Authed,
    Path(op): Path<String>,
    UiForm(f): UiForm<CodeForm>,
) -> Result<Response, WebError> {
    let Some(op) = TwoFactorOp::parse(&op) else {
        return Err(WebError(AppError::NotFound(orthrus_app::Entity::Page)));
    };
    match op {
        TwoFactorOp::Start => {
            let mut en = s.app.begin_totp_enrollment(&a.actor).await?;
            en.qr_svg = strip_xml_prolog(&en.qr_svg);
            security_view(
                &s,
                &a,
                SecurityExtras {
                    enrollment: Some(en),
                    ..Default::default()
                },
            )
            .await
        }
        TwoFactorOp::Confirm => match s
            .app
            .confirm_totp_enrollment(&a.actor, f.code.as_deref().unwrap_or(""))
            .await
        {
            Ok(codes) => {
                let a = Authed {
                    actor: orthrus_app::Actor {
                        must_enroll_2fa: false,
                        totp_enabled: true,
                        ..a.actor
                    },
                    cookie_token: a.cookie_token,
                };
                security_view(
                    &s,
                    &a,
                    SecurityExtras {
                        recovery_codes: Some(codes),
                        ..Default::default()
                    },
                )
                .await
            }
            Err(e @ AppError::Invalid { .. }) => {
                // The same key again, the reason beside the code box.
                let mut enrollment = s.app.pending_totp_enrollment(&a.actor).await?;
                if let Some(en) = enrollment.as_mut() {
                    en.qr_svg = strip_xml_prolog(&en.qr_svg);
                }
                let x = SecurityExtras {
                    enrollment,
                    form: FormError::on("code", e),
                    ..Default::default()
                };
                with_status(StatusCode::BAD_REQUEST, security_view(&s, &a, x).await)
            }
            Err(e) => Err(e.into()),
        },
        TwoFactorOp::Disable => {
            s.app.disable_totp(&a.actor).await?;
            Ok(see_other(
                &s,
                "/security",
                "Two-factor authentication is off.",
            ))
        }
    }
}

fn strip_xml_prolog(svg: &str) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_owned(),
        None => String::new(),
    }
}

pub(crate) fn routes() -> Router<WebState> {
    Router::new().route(
        "/security/2fa/{op}",
        get(super::auth::to_security).post(security_2fa),
    )
}
