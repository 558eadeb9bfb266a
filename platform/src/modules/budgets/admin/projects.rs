//! A budget's projects: `POST …/budgets/{budget}/projects` adds one; `…/projects/{p}`
//! shows and saves one (a multipart form: the text, the text alternatives of its images
//! or their removal, and one image to add, up to six); `…/projects/{p}/delete` deletes
//! one that no confirmed ballot approves.
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use tenant_core::blob::BlobKey;
use tenant_core::budgets::images::{self, MAX_PER_PROJECT};
use tenant_core::budgets::projects::{self, ProjectInput};
use tenant_core::budgets::{self, money};
use tenant_core::names::Locale;
use tenant_core::CoreError;

use super::super::project_image::ImageView;
use super::budgets::render_budget;
use super::{fields, load_admin, Fields};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::admin::TenantAdmin;
use crate::identity::admin_uploads::{self, check_image, fits_in_plan};
use crate::identity::page::{see_other, Page};
use crate::identity::Visitor;
use crate::state::AppState;

fn get<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k).map(String::as_str).unwrap_or("")
}

fn input(f: &Fields, scale: u32) -> Result<ProjectInput, CoreError> {
    Ok(ProjectInput {
        title: get(f, "title").to_owned(),
        description: get(f, "description").to_owned(),
        amount: money::parse_amount("amount", get(f, "amount"), scale)?,
        category: get(f, "category").to_owned(),
        address: get(f, "address").to_owned(),
    })
}

/// The image fields of the form: `alt.<image id>` (text alternatives) and
/// `remove.<image id>` = 1 (images to remove). A malformed id is refused.
type ImageEdits = (Vec<(i64, String)>, Vec<i64>);

fn image_edits(f: &Fields) -> Result<ImageEdits, CoreError> {
    let id = |k: &str, rest: &str| rest.parse::<i64>().map_err(|_| CoreError::Invalid(format!("{k}: unknown field")));
    let (mut alts, mut remove) = (Vec::new(), Vec::new());
    for (k, v) in f {
        if let Some(rest) = k.strip_prefix("alt.") {
            alts.push((id(k, rest)?, v.clone()));
        } else if let Some(rest) = k.strip_prefix("remove.") {
            if v == "1" {
                remove.push(id(k, rest)?);
            }
        }
    }
    Ok((alts, remove))
}

/// Deletes files from the blob store after the rows that named them are gone.
pub async fn delete_blobs(state: &web::Data<AppState>, tenant: &CurrentTenant, keys: Vec<String>) {
    let (blobs, tenant_id) = (state.blobs.clone(), tenant.id);
    let _ = web::block(move || {
        for stored in keys {
            if let Ok(key) = BlobKey::parse_owned(tenant_id, &stored) {
                if let Err(e) = blobs.delete(&key) {
                    tracing::warn!(error = %e, "a project image was not deleted");
                }
            }
        }
    })
    .await;
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let ((id, budget_id), f) = (path.into_inner(), fields(form.into_inner()));
    crate::identity::csrf::verify(&req, &visitor, get(&f, "csrf"))?;
    load_admin(&state, &tenant, locale, id).await?;
    let (s, t, f2) = (state.clone(), tenant.0.clone(), f.clone());
    let made = web::block(move || {
        s.db.tenant(&t, |conn| {
            let b =
                budgets::find(conn, id, budget_id, &[])?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
            projects::create(conn, id, budget_id, &input(&f2, b.money_scale)?)
        })
    })
    .await?;
    match made {
        Ok(_) => Ok(see_other(&format!("/admin/components/{id}/budgets/{budget_id}?notice=admin_saved#projects"))),
        Err(CoreError::Invalid(m) | CoreError::Conflict(m)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_budget(&req, &state, &tenant, locale, &visitor, id, budget_id, None, Some(m), status).await
        }
        Err(e) => Err(e.into()),
    }
}

/// An image on the project's form.
#[derive(serde::Serialize)]
struct ImageForm {
    #[serde(flatten)]
    view: ImageView,
    /// The name of its text alternative's field, and the value shown.
    alt_field: String,
    alt: String,
    removing: bool,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: Locale,
    visitor: &Visitor,
    (id, budget_id, project_id): (i64, i64, i64),
    values: Option<Fields>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ctx = load_admin(state, tenant, locale, id).await?;
    let (s, t, order) = (state.clone(), tenant.0.clone(), [locale, tenant.default_locale]);
    let found = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(b) = budgets::find(conn, id, budget_id, &order)? else { return Ok(None) };
            let Some(p) = projects::find(conn, budget_id, project_id)? else { return Ok(None) };
            Ok::<_, CoreError>(Some((b, p, images::list(conn, project_id)?)))
        })
    })
    .await??;
    let (budget, project, pictures) = found.ok_or(AppError::NotFound)?;
    let values = values.unwrap_or_else(|| {
        [
            ("title", project.title.clone()),
            ("description", project.description.clone()),
            ("amount", money::to_input(project.amount, budget.money_scale)),
            ("category", project.category.clone()),
            ("address", project.address.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(pictures.iter().map(|i| (format!("alt.{}", i.id), i.alt.clone())))
        .collect()
    });
    let budget_url = format!("{}/budgets/{budget_id}", ctx.public_url);
    let pictures: Vec<ImageForm> = pictures
        .iter()
        .map(|i| {
            let key = format!("alt.{}", i.id);
            ImageForm {
                alt: values.get(&key).cloned().unwrap_or_default(),
                removing: values.get(&format!("remove.{}", i.id)).is_some_and(|v| v == "1"),
                alt_field: key,
                view: ImageView::new(&budget_url, i),
            }
        })
        .collect();
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("admin", &ctx);
    page.ctx.insert("budget", &budget);
    page.ctx.insert("project", &project);
    page.ctx.insert("can_add_image", &(pictures.len() < MAX_PER_PROJECT));
    page.ctx.insert("max_images", &MAX_PER_PROJECT);
    page.ctx.insert("images", &pictures);
    page.ctx.insert("values", &values);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "budgets/admin_project.html", status)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, path.into_inner(), None, None, StatusCode::OK).await
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64, i64)>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let ids @ (id, budget_id, project_id) = path.into_inner();
    let Some(form) = admin_uploads::read(payload, "image").await else {
        return Err(AppError::BadRequest("the form could not be read".into()));
    };
    crate::identity::csrf::verify(&req, &visitor, form.field("csrf"))?;
    load_admin(&state, &tenant, locale, id).await?;
    let f: Fields = form.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let theme = state.themes.get(tenant.theme.as_str());
    // A new image: checked by its content, within the plan, stored before the row names it.
    let mut new_key: Option<String> = None;
    if form.file.is_some() || form.too_large {
        let ext = match check_image(&form) {
            Ok(ext) => ext,
            Err(refused) => {
                let m = theme.message(locale, refused.message_key()).replace("{max}", "2");
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return render(&req, &state, &tenant, locale, &visitor, ids, Some(f), Some(m), status).await;
            }
        };
        let bytes = form.file.clone().unwrap_or_default();
        let key = BlobKey::new(
            tenant.id,
            &format!("budgets/{budget_id}/{project_id}-{}.{ext}", uuid::Uuid::new_v4().simple()),
        )?;
        let (blobs, t, stored) = (state.blobs.clone(), tenant.0.clone(), key.to_stored());
        let fits = web::block(move || -> Result<bool, AppError> {
            if !fits_in_plan(blobs.as_ref(), &t, bytes.len())? {
                return Ok(false);
            }
            blobs.put(&key, &bytes)?;
            Ok(true)
        })
        .await??;
        if !fits {
            let m = theme.message(locale, "admin_image_no_space");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(&req, &state, &tenant, locale, &visitor, ids, Some(f), Some(m), status).await;
        }
        new_key = Some(stored);
    }
    let (s, t, f2, key) = (state.clone(), tenant.0.clone(), f.clone(), new_key.clone());
    // The text, the images' changes and the new image: all in one transaction, or none.
    let saved = web::block(move || {
        s.db.tenant(&t, |conn| {
            let b =
                budgets::find(conn, id, budget_id, &[])?.ok_or_else(|| CoreError::NotFound("no such budget".into()))?;
            projects::update(conn, id, budget_id, project_id, &input(&f2, b.money_scale)?)?;
            let (alts, remove) = image_edits(&f2)?;
            let removed = images::edit(conn, project_id, &alts, &remove)?;
            if let Some(key) = &key {
                images::add(conn, budget_id, project_id, key, get(&f2, "image_alt"))?;
            }
            Ok(removed)
        })
    })
    .await?;
    match saved {
        Ok(removed) => {
            delete_blobs(&state, &tenant, removed).await;
            Ok(see_other(&format!(
                "/admin/components/{id}/budgets/{budget_id}/projects/{project_id}?notice=admin_saved"
            )))
        }
        Err(e) => {
            delete_blobs(&state, &tenant, new_key.into_iter().collect()).await;
            match e {
                CoreError::Invalid(m) | CoreError::Conflict(m) => {
                    let status = StatusCode::UNPROCESSABLE_ENTITY;
                    render(&req, &state, &tenant, locale, &visitor, ids, Some(f), Some(m), status).await
                }
                e => Err(e.into()),
            }
        }
    }
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    path: web::Path<(i64, i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let ((id, budget_id, project_id), f) = (path.into_inner(), fields(form.into_inner()));
    crate::identity::csrf::verify(&req, &visitor, get(&f, "csrf"))?;
    load_admin(&state, &tenant, locale, id).await?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let deleted = web::block(move || s.db.tenant(&t, |conn| projects::delete(conn, id, budget_id, project_id))).await?;
    match deleted {
        Ok(keys) => {
            delete_blobs(&state, &tenant, keys).await;
            Ok(see_other(&format!("/admin/components/{id}/budgets/{budget_id}?notice=admin_saved#projects")))
        }
        Err(CoreError::Conflict(m)) => {
            let status = StatusCode::CONFLICT;
            render_budget(&req, &state, &tenant, locale, &visitor, id, budget_id, None, Some(m), status).await
        }
        Err(e) => Err(e.into()),
    }
}
