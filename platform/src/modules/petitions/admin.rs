//! The petitions admin pages, under `/admin/petitions`: the review queue by state,
//! each petition with the decisions its state allows (publish or reject as not
//! admissible, close early, answer), the types (threshold, period, who files, who
//! signs), and the export of every petition with its count.
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::petitions::{self, signatures, types, State, TypeInput, PAGE_SIZE};
use tenant_core::CoreError;

use super::list::{cards, type_views};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::admin::TenantAdmin;
use crate::identity::page::{see_other, Page};
use crate::identity::Visitor;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/petitions").route(web::get().to(queue)))
        .service(web::resource("/admin/petitions/export.csv").route(web::get().to(export)))
        .service(web::resource("/admin/petitions/types").route(web::get().to(type_list)))
        .service(
            web::resource("/admin/petitions/types/new")
                .route(web::get().to(new_type))
                .route(web::post().to(create_type)),
        )
        .service(
            web::resource("/admin/petitions/types/{id:\\d+}")
                .route(web::get().to(edit_type))
                .route(web::post().to(save_type)),
        )
        .service(web::resource("/admin/petitions/{id:\\d+}").route(web::get().to(show)))
        .service(
            web::resource("/admin/petitions/{id:\\d+}/{action:publish|reject|close|answer}")
                .route(web::post().to(decide)),
        );
}

fn require(tenant: &CurrentTenant) -> Result<(), AppError> {
    crate::modules::require(tenant, ModuleName::Petitions)
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

pub async fn queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    let st = State::parse(&query.state).unwrap_or(State::Submitted);
    let page_n = query.page.parse::<i64>().unwrap_or(0).clamp(0, 100_000);
    let (s, t) = (state.clone(), tenant.0.clone());
    let (list, total, counts, all_types) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let (list, total) = petitions::admin_list(conn, st, page_n)?;
            Ok((list, total, petitions::state_counts(conn)?, types::list(conn, false)?))
        })
    })
    .await??;
    let order = [locale, tenant.default_locale];
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("petitions", &cards(&list, &all_types, &order));
    page.ctx.insert("counts", &counts);
    page.ctx.insert("state", st.as_str());
    page.ctx.insert("total", &total);
    page.ctx.insert("current_page", &page_n);
    page.ctx.insert("pages", &((total + PAGE_SIZE - 1) / PAGE_SIZE));
    page.ctx.insert("has_types", &!all_types.is_empty());
    page.render(&state, &tenant, "admin/petitions.html", StatusCode::OK)
}

#[allow(clippy::too_many_arguments)]
async fn render_petition(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let found = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(p) = petitions::find(conn, id)? else { return Ok(None) };
            let ty = types::find(conn, p.type_id)?;
            let timeline = petitions::timeline(conn, id)?;
            let audit = signatures::audit(conn, id)?;
            let log = tenant_core::admin_log::about(conn, p.resource(), 50)?;
            Ok(Some((p, ty, timeline, audit, log)))
        })
    })
    .await??;
    let Some((p, ty, timeline, audit, log)) = found else { return Err(AppError::NotFound) };
    let order = [locale, tenant.default_locale];
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx
        .insert("answer_text", &p.answer.as_deref().map(crate::modules::comments::editable_text).unwrap_or_default());
    page.ctx.insert("petition", &p);
    page.ctx.insert("state_name", p.state().as_str());
    page.ctx.insert("type_title", &ty.as_ref().map(|t| t.title_in(&order)).unwrap_or_default());
    page.ctx.insert("timeline", &timeline);
    page.ctx.insert("stored_signatures", &audit.0);
    page.ctx.insert("log", &log);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "admin/petition.html", status)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    render_petition(&req, &state, &tenant, locale, &visitor, path.into_inner(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    answer: String,
}

pub async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, admin): TenantAdmin,
    path: web::Path<(i64, String)>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    crate::identity::csrf::verify(&req, &visitor, &form.csrf)?;
    let (id, action) = path.into_inner();
    let form = form.into_inner();
    let (s, t, a) = (state.clone(), tenant.0.clone(), admin.id);
    let now = chrono::Utc::now();
    let r = web::block(move || {
        s.db.tenant(&t, |conn| match action.as_str() {
            "publish" => petitions::publish(conn, id, a, now),
            "reject" => petitions::reject(conn, id, a, &form.reason),
            "close" => petitions::close(conn, id, a, &form.reason),
            _ => petitions::answer(conn, id, a, &form.answer),
        })
    })
    .await?;
    match r {
        Ok(()) => Ok(see_other(&format!("/admin/petitions/{id}?notice=admin_saved"))),
        Err(CoreError::Invalid(m)) => {
            render_petition(&req, &state, &tenant, locale, &visitor, id, Some(m), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(CoreError::Conflict(m)) => {
            render_petition(&req, &state, &tenant, locale, &visitor, id, Some(m), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn type_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let all = web::block(move || s.db.tenant(&t, |conn| types::list(conn, false))).await??;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("types", &type_views(&all, &[locale, tenant.default_locale]));
    page.render(&state, &tenant, "admin/petition_types.html", StatusCode::OK)
}

/// The type form's values, per locale for the texts.
#[derive(Clone, Debug, Default, Serialize)]
struct TypeValues {
    title: Vec<(String, String)>,
    description: Vec<(String, String)>,
    threshold: String,
    period_days: String,
    file_requires: String,
    sign_requires: String,
    show_signers: bool,
    comments_enabled: bool,
    active: bool,
}

#[allow(clippy::too_many_arguments)]
async fn render_type(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    id: Option<i64>,
    values: &TypeValues,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("type_id", &id);
    page.ctx.insert("values", values);
    page.ctx.insert("file_choices", &types::FILE_REQUIRES);
    page.ctx.insert("sign_choices", &types::SIGN_REQUIRES);
    page.ctx.insert("error", &error);
    page.ctx.insert(
        "action",
        &id.map_or("/admin/petitions/types/new".to_owned(), |id| format!("/admin/petitions/types/{id}")),
    );
    page.render(state, tenant, "admin/petition_type.html", status)
}

fn values_of(tenant: &CurrentTenant, t: Option<&types::PetitionType>) -> TypeValues {
    let text = |v: Option<&serde_json::Value>, l: Locale| {
        v.and_then(|v| v.get(l.as_str())).and_then(|s| s.as_str()).unwrap_or("").to_owned()
    };
    TypeValues {
        title: tenant.locales.iter().map(|l| (l.as_str().to_owned(), text(t.map(|t| &t.title), *l))).collect(),
        description: tenant
            .locales
            .iter()
            .map(|l| (l.as_str().to_owned(), text(t.map(|t| &t.description), *l)))
            .collect(),
        threshold: t.map_or("100000".to_owned(), |t| t.threshold.to_string()),
        period_days: t.map_or("180".to_owned(), |t| t.period_days.to_string()),
        file_requires: t.map_or("account".to_owned(), |t| t.file_requires.clone()),
        sign_requires: t.map_or("franceconnect_anonymous".to_owned(), |t| t.sign_requires.clone()),
        show_signers: t.is_some_and(|t| t.show_signers),
        comments_enabled: t.is_none_or(|t| t.comments_enabled),
        active: t.is_none_or(|t| t.active),
    }
}

pub async fn new_type(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    let values = values_of(&tenant, None);
    render_type(&req, &state, &tenant, locale, &visitor, None, &values, None, StatusCode::OK).await
}

pub async fn edit_type(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    let id = path.into_inner();
    let (s, t) = (state.clone(), tenant.0.clone());
    let found = web::block(move || s.db.tenant(&t, |conn| types::find(conn, id))).await??.ok_or(AppError::NotFound)?;
    let values = values_of(&tenant, Some(&found));
    render_type(&req, &state, &tenant, locale, &visitor, Some(id), &values, None, StatusCode::OK).await
}

/// Reads the type form: `title_<locale>`, `description_<locale>`, the numbers, the
/// choices and the boxes (an unchecked box is absent).
fn read_type(tenant: &CurrentTenant, form: &[(String, String)]) -> (TypeInput, TypeValues) {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let boxed = |k: &str| form.iter().any(|(n, v)| n == k && v == "1");
    let per_locale = |prefix: &str| -> Vec<(Locale, String)> {
        tenant.locales.iter().map(|l| (*l, get(&format!("{prefix}_{}", l.as_str())))).collect()
    };
    let input = TypeInput {
        title: per_locale("title"),
        description: per_locale("description"),
        threshold: get("threshold"),
        period_days: get("period_days"),
        file_requires: get("file_requires"),
        sign_requires: get("sign_requires"),
        show_signers: boxed("show_signers"),
        comments_enabled: boxed("comments_enabled"),
        active: boxed("active"),
    };
    let values = TypeValues {
        title: input.title.iter().map(|(l, v)| (l.as_str().to_owned(), v.clone())).collect(),
        description: input.description.iter().map(|(l, v)| (l.as_str().to_owned(), v.clone())).collect(),
        threshold: input.threshold.clone(),
        period_days: input.period_days.clone(),
        file_requires: input.file_requires.clone(),
        sign_requires: input.sign_requires.clone(),
        show_signers: input.show_signers,
        comments_enabled: input.comments_enabled,
        active: input.active,
    };
    (input, values)
}

#[allow(clippy::too_many_arguments)]
async fn store_type(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: Locale,
    visitor: Visitor,
    id: Option<i64>,
    form: Vec<(String, String)>,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    let csrf = form.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    crate::identity::csrf::verify(&req, &visitor, csrf)?;
    let (input, values) = read_type(&tenant, &form);
    let checked = match types::check(&input, &tenant.locales) {
        Ok(c) => c,
        Err(e) => {
            return render_type(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                id,
                &values,
                Some(e.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let (s, t) = (state.clone(), tenant.0.clone());
    let saved = web::block(move || s.db.tenant(&t, |conn| types::save(conn, id, &checked))).await??;
    Ok(see_other(&format!("/admin/petitions/types/{saved}?notice=admin_saved")))
}

pub async fn create_type(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    store_type(req, state, tenant, locale, visitor, None, form.into_inner()).await
}

pub async fn save_type(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    store_type(req, state, tenant, locale, visitor, Some(path.into_inner()), form.into_inner()).await
}

/// A CSV field, quoted when it needs to be; a leading `=`, `+`, `-` or `@` is
/// prefixed with `'` so that a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Every petition (all states), with its type, author's nickname, dates and count.
pub async fn export(
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(..): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    require(&tenant)?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let (all, all_types) =
        web::block(move || s.db.tenant(&t, |conn| Ok((petitions::export(conn)?, types::list(conn, false)?)))).await??;
    let order = [locale, tenant.default_locale];
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    let mut out = String::from(
        "id,type,title,author,state,threshold,signatures,submitted_at,published_at,signatures_end_at,threshold_reached_at,answered_at,closed_at,hidden,comments\n",
    );
    for p in &all {
        let ty = all_types.iter().find(|t| t.id == p.type_id).map(|t| t.title_in(&order)).unwrap_or_default();
        let row = [
            p.id.to_string(),
            csv_field(&ty),
            csv_field(&p.title),
            csv_field(p.author.as_deref().unwrap_or("")),
            p.state.clone(),
            p.threshold.map(|t| t.to_string()).unwrap_or_default(),
            p.signatures.to_string(),
            date(p.submitted_at),
            date(p.published_at),
            date(p.signatures_end_at),
            date(p.threshold_reached_at),
            date(p.answered_at),
            date(p.closed_at),
            p.hidden.to_string(),
            p.comments_count.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}-petitions.csv\"", tenant.slug)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out))
}
