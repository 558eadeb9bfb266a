//! `/admin/pages`: the tenant's static pages (about, legal notice, accessibility
//! statement...): create, edit each language's title, summary and body (sanitised
//! rich text), publish or keep as a draft, order, delete.
use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::content::pages::{self, EditablePage, PageTexts};
use tenant_core::names::Locale;
use tenant_core::CoreError;

use super::admin::TenantAdmin;
use super::page::{see_other, Page};
use super::Visitor;
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // A legal notice is long: room for two languages of rich text.
    let long_form = || web::FormConfig::default().limit(512 * 1024);
    cfg.service(web::resource("/admin/pages").route(web::get().to(index)))
        .service(
            web::resource("/admin/pages/new")
                .app_data(long_form())
                .route(web::get().to(new_form))
                .route(web::post().to(create)),
        )
        .service(
            web::resource("/admin/pages/{slug}/edit")
                .app_data(long_form())
                .route(web::get().to(edit_form))
                .route(web::post().to(update)),
        )
        .service(web::resource("/admin/pages/{slug}/delete").route(web::post().to(delete)));
}

async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let list = web::block(move || s.db.tenant(&t, pages::list_all)).await??;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("pages", &list);
    page.ctx.insert("module_on", &tenant.has_module(tenant_core::names::ModuleName::Pages));
    page.render(&state, &tenant, "admin/pages.html", StatusCode::OK)
}

#[derive(Deserialize, Serialize, Default)]
pub struct PageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    position: String,
    published: Option<String>,
    #[serde(default)]
    title_fr: String,
    #[serde(default)]
    summary_fr: String,
    #[serde(default)]
    body_fr: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    summary_en: String,
    #[serde(default)]
    body_en: String,
}

impl PageForm {
    fn of(page: &EditablePage) -> Self {
        let get = |l: &str| page.texts.get(l).cloned().unwrap_or_default();
        let (fr, en) = (get("fr"), get("en"));
        PageForm {
            csrf: String::new(),
            slug: page.slug.clone(),
            position: page.position.to_string(),
            published: page.published.then(|| "1".to_owned()),
            title_fr: fr.title,
            summary_fr: fr.summary,
            body_fr: fr.body,
            title_en: en.title,
            summary_en: en.summary,
            body_en: en.body,
        }
    }

    fn to_page(&self) -> Result<EditablePage, (String, String)> {
        let position = if self.position.trim().is_empty() {
            0
        } else {
            self.position
                .trim()
                .parse::<i32>()
                .map_err(|_| ("position".to_owned(), "position: a whole number".to_owned()))?
        };
        let mut texts = BTreeMap::new();
        for (l, title, summary, body) in [
            (Locale::Fr, &self.title_fr, &self.summary_fr, &self.body_fr),
            (Locale::En, &self.title_en, &self.summary_en, &self.body_en),
        ] {
            texts.insert(
                l.as_str().to_owned(),
                PageTexts { title: title.clone(), summary: summary.clone(), body: body.clone() },
            );
        }
        Ok(EditablePage { slug: self.slug.trim().to_owned(), position, published: self.published.is_some(), texts })
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    original: Option<&str>,
    form: &PageForm,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("form", form);
    page.ctx.insert("original", &original);
    let errors: HashMap<String, String> = error.into_iter().collect();
    page.ctx.insert("errors", &errors);
    page.render(state, tenant, "admin/page_edit.html", status)
}

async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    let form = PageForm { position: "0".into(), ..PageForm::default() };
    render(&req, &state, &tenant, locale, &visitor, None, &form, None, StatusCode::OK)
}

async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let (s, t, lookup) = (state.clone(), tenant.0.clone(), slug.clone());
    let found =
        web::block(move || s.db.tenant(&t, |conn| pages::editable(conn, &lookup))).await??.ok_or(AppError::NotFound)?;
    render(&req, &state, &tenant, locale, &visitor, Some(&slug), &PageForm::of(&found), None, StatusCode::OK)
}

#[allow(clippy::too_many_arguments)]
async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    locale: Locale,
    visitor: Visitor,
    original: Option<String>,
    form: PageForm,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let page = match form.to_page() {
        Ok(p) => p,
        Err(e) => {
            return render(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                original.as_deref(),
                &form,
                Some(e),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let (s, t, o, p) = (state.clone(), tenant.0.clone(), original.clone(), page.clone());
    let saved = web::block(move || s.db.tenant(&t, |conn| pages::save(conn, o.as_deref(), &p))).await?;
    match saved {
        Ok(()) => {
            state.cache.forget_tenant(tenant.id);
            Ok(see_other("/admin/pages?notice=admin_saved"))
        }
        Err(CoreError::Invalid(m) | CoreError::Conflict(m)) => {
            let field = m.split(':').next().unwrap_or("form").trim().to_owned();
            render(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                original.as_deref(),
                &form,
                Some((field, m)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    form: web::Form<PageForm>,
) -> Result<HttpResponse, AppError> {
    save(req, state, tenant, locale, visitor, None, form.into_inner()).await
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    slug: web::Path<String>,
    form: web::Form<PageForm>,
) -> Result<HttpResponse, AppError> {
    save(req, state, tenant, locale, visitor, Some(slug.into_inner()), form.into_inner()).await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, _): TenantAdmin,
    slug: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let (s, t, slug) = (state.clone(), tenant.0.clone(), slug.into_inner());
    let found = web::block(move || s.db.tenant(&t, |conn| pages::delete(conn, &slug))).await??;
    if !found {
        return Err(AppError::NotFound);
    }
    state.cache.forget_tenant(tenant.id);
    Ok(see_other("/admin/pages?notice=admin_saved"))
}
