//! `POST /account/notifications`: saves how often one's notifications come by mail.
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::notifications::{self, Frequency};

use super::edit_settings::render;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::see_other;
use crate::identity::{csrf, SignedIn};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    frequency: String,
}

#[post("/account/notifications")]
pub async fn save_settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    SignedIn(visitor, user): SignedIn,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    csrf::verify(&req, &visitor, &form.csrf)?;
    let Ok(frequency) = Frequency::parse(&form.frequency) else {
        let message = state.themes.get(tenant.theme.as_str()).message(locale, "notifications_frequency_invalid");
        return render(&req, &state, &tenant, locale, &visitor, "", Some(message), StatusCode::UNPROCESSABLE_ENTITY);
    };
    let (s, t, me) = (state.clone(), tenant.0.clone(), user.id);
    web::block(move || s.db.tenant(&t, |conn| notifications::set_frequency(conn, me, frequency))).await??;
    Ok(see_other("/account/notifications?notice=notifications_saved"))
}
