//! Filing a petition: `GET|POST /petitions/new` saves a draft (the form carries a
//! submission key, so sending it twice saves once), the author edits it
//! (`/petitions/{id}/edit`), deletes it, or submits it for the admissibility review
//! (`POST /petitions/{id}/submit`), after which it can no longer change.
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::petitions::{self, Created, Draft, PetitionType, State};
use tenant_core::CoreError;

use super::list::type_views;
use super::load_visible;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::limits::Rule;
use crate::identity::page::{limit, see_other, Page};
use crate::identity::{MaybeUser, Visitor};
use crate::state::AppState;

/// Drafts one account may start per day.
const DRAFTS_PER_USER: Rule = Rule::per_minutes(10, 24 * 60);

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct PetitionForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default, rename = "type")]
    type_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    submission: String,
}

/// Whether the visitor may file a petition of type `t`, and if not, why.
fn gate(conn: &mut diesel::PgConnection, user: i64, t: &PetitionType) -> tenant_core::CoreResult<Gate> {
    verifications::gate(conn, Some(user), t.file_requirement())
}

fn gate_error(g: Gate) -> Option<AppError> {
    match g {
        Gate::Allowed => None,
        Gate::SignIn => Some(AppError::Forbidden("filing a petition: sign in first".into())),
        Gate::Confirm => Some(AppError::Forbidden("filing a petition: confirm your email address first".into())),
        Gate::Blocked => Some(AppError::Forbidden("your account is blocked on this site".into())),
        Gate::Verify(k) => {
            Some(AppError::Forbidden(format!("filing a petition of this type needs a {} verification", k.as_str())))
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    editing: Option<i64>,
    values: &PetitionForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let types = web::block(move || s.db.tenant(&t, |conn| petitions::types::list(conn, true))).await??;
    let order = [locale, tenant.default_locale];
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("types", &type_views(&types, &order));
    page.ctx.insert("values", values);
    page.ctx.insert("error", &error);
    page.ctx.insert("editing", &editing);
    page.ctx.insert("action", &editing.map_or("/petitions/new".to_owned(), |id| format!("/petitions/{id}/edit")));
    page.render(state, tenant, "petitions/form.html", status)
}

fn user_id(visitor: &Visitor, back: &str) -> Result<i64, AppError> {
    visitor.user.as_ref().map(|u| u.id).ok_or_else(|| AppError::SignInRequired(back.to_owned()))
}

#[get("/new")]
pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    crate::modules::require(&tenant, ModuleName::Petitions)?;
    user_id(&visitor, "/petitions/new")?;
    let values = PetitionForm { submission: uuid::Uuid::new_v4().to_string(), ..PetitionForm::default() };
    render_form(&req, &state, &tenant, locale, &visitor, None, &values, None, StatusCode::OK).await
}

/// Checks the form, the type and the person's right to file it.
async fn checked(
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    user: i64,
    form: &PetitionForm,
) -> Result<Result<petitions::Checked, String>, AppError> {
    let Ok(type_id) = form.type_id.parse::<i64>() else {
        return Ok(Err("type: choose the kind of petition".into()));
    };
    let draft = Draft { type_id, title: form.title.clone(), body: form.body.clone() };
    let checked = match petitions::check(&draft) {
        Ok(c) => c,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let (s, t) = (state.clone(), tenant.0.clone());
    let g = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(ty) = petitions::types::find(conn, type_id)?.filter(|t| t.active) else { return Ok(None) };
            gate(conn, user, &ty).map(Some)
        })
    })
    .await??;
    match g {
        None => Ok(Err("type: not a type of petition open for filing".into())),
        Some(g) => match gate_error(g) {
            Some(e) => Err(e),
            None => Ok(Ok(checked)),
        },
    }
}

#[post("/new")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    form: web::Form<PetitionForm>,
) -> Result<HttpResponse, AppError> {
    crate::modules::require(&tenant, ModuleName::Petitions)?;
    let user = user_id(&visitor, "/petitions/new")?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let form = form.into_inner();
    let checked = match checked(&state, &tenant, user, &form).await? {
        Ok(c) => c,
        Err(m) => {
            return render_form(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                None,
                &form,
                Some(m),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    limit(&state, &tenant, locale, &format!("petitions:file:{}:{user}", tenant.slug), DRAFTS_PER_USER).await?;
    let key = uuid::Uuid::parse_str(form.submission.trim()).ok();
    let (s, t) = (state.clone(), tenant.0.clone());
    let r = web::block(move || s.db.tenant(&t, |conn| petitions::create(conn, user, &checked, key))).await?;
    match r {
        Ok(Created::New(id)) => Ok(see_other(&format!("/petitions/{id}?notice=petition_saved"))),
        Ok(Created::Already(id)) => Ok(see_other(&format!("/petitions/{id}"))),
        Err(CoreError::Invalid(m)) => {
            render_form(&req, &state, &tenant, locale, &visitor, None, &form, Some(m), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/{id:\\d+}/edit")]
pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = user_id(&visitor, &format!("/petitions/{id}/edit"))?;
    let (p, _) = load_visible(&state, &tenant, &visitor, id).await?;
    if p.author_id != Some(user) || p.state() != State::Draft {
        return Ok(see_other(&format!("/petitions/{id}")));
    }
    let values = PetitionForm {
        csrf: String::new(),
        type_id: p.type_id.to_string(),
        title: p.title.clone(),
        body: crate::modules::comments::editable_text(&p.body),
        submission: String::new(),
    };
    render_form(&req, &state, &tenant, locale, &visitor, Some(id), &values, None, StatusCode::OK).await
}

#[post("/{id:\\d+}/edit")]
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
    form: web::Form<PetitionForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = user_id(&visitor, &format!("/petitions/{id}/edit"))?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    load_visible(&state, &tenant, &visitor, id).await?;
    let form = form.into_inner();
    let fail = |m: String, status: StatusCode| {
        let (req, state, tenant, visitor, form) =
            (req.clone(), state.clone(), tenant.clone(), visitor.clone(), form.clone());
        async move { render_form(&req, &state, &tenant, locale, &visitor, Some(id), &form, Some(m), status).await }
    };
    let checked = match checked(&state, &tenant, user, &form).await? {
        Ok(c) => c,
        Err(m) => return fail(m, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let (s, t) = (state.clone(), tenant.0.clone());
    match web::block(move || s.db.tenant(&t, |conn| petitions::edit(conn, id, user, &checked))).await? {
        Ok(()) => Ok(see_other(&format!("/petitions/{id}?notice=petition_saved"))),
        Err(CoreError::Invalid(m)) => fail(m, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// An author's step on their own petition (submit, delete): the form token, the
/// petition visible to them, then `step` in the tenant's transaction.
async fn author_step(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    visitor: Visitor,
    id: i64,
    csrf: &str,
    step: fn(&mut diesel::PgConnection, i64, i64) -> tenant_core::CoreResult<()>,
) -> Result<(), AppError> {
    let user = user_id(&visitor, &format!("/petitions/{id}"))?;
    crate::identity::csrf::verify(&req, &visitor, csrf)?;
    load_visible(&state, &tenant, &visitor, id).await?;
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || s.db.tenant(&t, |conn| step(conn, id, user))).await??;
    Ok(())
}

#[post("/{id:\\d+}/submit")]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    author_step(req, state, tenant, visitor, id, &form.csrf, petitions::submit).await?;
    Ok(see_other(&format!("/petitions/{id}?notice=petition_submitted")))
}

#[post("/{id:\\d+}/delete")]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    author_step(req, state, tenant, visitor, path.into_inner(), &form.csrf, petitions::delete_draft).await?;
    Ok(see_other("/petitions/mine?notice=petition_deleted"))
}
