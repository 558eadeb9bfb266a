//! `GET|POST /{kind}/{slug}/f/{component}/new`: publish a proposal (title, rich
//! text body, category, address, attachments). The form carries a submission key,
//! so sending it twice publishes once; files are written before the rows and
//! removed again if the rows cannot be written.
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Serialize;
use tenant_core::proposals::attachments::{self, Upload};
use tenant_core::proposals::write::{self, Draft, Published};
use tenant_core::CoreError;

use super::{events, load_ctx, permission, require, user_id, Action, ComponentPath, Ctx};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::http::multipart::{self, Limits};
use crate::identity::limits::Rule;
use crate::identity::page::{limit, see_other, Page};
use crate::identity::{MaybeUser, Visitor};
use crate::state::AppState;

/// Proposals one account may publish per hour, across the site.
const PUBLISH_PER_USER: Rule = Rule::per_minutes(10, 60);

/// The values typed so far, to show the form again.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Values {
    pub title: String,
    pub body: String,
    pub category: String,
    pub address: String,
    pub submission: String,
}

/// Which form: a new proposal, the author's edit, or an amendment of proposal `id`.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    New,
    Edit(i64),
    Amend(i64),
}

/// The proposal form (new, edit or amend) with the values typed so far.
#[allow(clippy::too_many_arguments)]
pub async fn render_form(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: tenant_core::names::Locale,
    visitor: &Visitor,
    ctx: &Ctx,
    mode: Mode,
    values: &Values,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("place", ctx);
    page.ctx.insert("values", values);
    page.ctx.insert("error", &error);
    let (name, action) = match mode {
        Mode::New => ("new", format!("{}/new", ctx.base)),
        Mode::Edit(id) => ("edit", format!("{}/edit", ctx.url(id))),
        Mode::Amend(id) => ("amend", format!("{}/amend", ctx.url(id))),
    };
    page.ctx.insert("mode", name);
    page.ctx.insert("action", &action);
    match mode {
        Mode::New => page.ctx.insert("max_files", &attachments::MAX_FILES),
        Mode::Edit(id) | Mode::Amend(id) => page.ctx.insert("back", &ctx.url(id)),
    }
    page.render(state, tenant, "proposals/form.html", status)
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}/new")]
pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ComponentPath>,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path).await?;
    let user = user_id(&visitor, &format!("{}/new", ctx.base))?;
    let (s, t, c) = (state.clone(), tenant.0.clone(), ctx.clone());
    let p = web::block(move || s.db.tenant(&t, |conn| permission(conn, &c, Some(user), Action::Create))).await??;
    if !p.allowed {
        // The list page explains what is missing (phase closed, verification...).
        return Ok(see_other(&ctx.base));
    }
    let values = Values { submission: uuid::Uuid::new_v4().to_string(), ..Values::default() };
    render_form(&req, &state, &tenant, locale, &visitor, &ctx, Mode::New, &values, None, StatusCode::OK).await
}

#[post("/{kind:processes|assemblies}/{slug}/f/{component}/new")]
pub async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ComponentPath>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let ctx = load_ctx(&state, &tenant, locale, &visitor, &path).await?;
    let user = user_id(&visitor, &format!("{}/new", ctx.base))?;
    let limits = Limits {
        max_text: 64 * 1024,
        max_file: attachments::MAX_BYTES,
        max_total: 3 * attachments::MAX_BYTES + 256 * 1024,
    };
    let form = multipart::read(payload, limits).await;
    crate::identity::csrf::verify(&req, &visitor, form.get("csrf"))?;
    let values = Values {
        title: form.get("title").to_owned(),
        body: form.get("body").to_owned(),
        category: form.get("category").to_owned(),
        address: form.get("address").to_owned(),
        submission: form.get("submission").to_owned(),
    };
    let fail = |message: String, status: StatusCode| {
        let (req, state, tenant, visitor, ctx, values) =
            (req.clone(), state.clone(), tenant.clone(), visitor.clone(), ctx.clone(), values.clone());
        async move {
            render_form(&req, &state, &tenant, locale, &visitor, &ctx, Mode::New, &values, Some(message), status).await
        }
    };
    if form.malformed {
        return fail("the form could not be read; please send it again".into(), StatusCode::BAD_REQUEST).await;
    }
    if let Some(field) = &form.oversize {
        let message = if field == "attachments" {
            format!("attachments: each file at most {} MiB", attachments::MAX_BYTES / (1024 * 1024))
        } else {
            format!("{field}: too long")
        };
        return fail(message, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let (s, t, c) = (state.clone(), tenant.0.clone(), ctx.clone());
    let p = web::block(move || s.db.tenant(&t, |conn| permission(conn, &c, Some(user), Action::Create))).await??;
    require(p, "publishing a proposal")?;
    limit(&state, &tenant, locale, &format!("proposals:publish:{}:{user}", tenant.slug), PUBLISH_PER_USER).await?;

    let draft = Draft {
        title: values.title.clone(),
        body: values.body.clone(),
        category_id: values.category.parse().ok(),
        address: values.address.clone(),
    };
    let checked = match write::check(&draft, &ctx.settings) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let uploads: Vec<Upload> = form
        .files
        .into_iter()
        .filter(|f| f.field == "attachments" && !(f.filename.is_empty() && f.bytes.is_empty()))
        .map(|f| Upload { filename: f.filename, bytes: f.bytes })
        .collect();
    if !uploads.is_empty() && !ctx.settings.attachments_allowed {
        return fail("attachments: this component takes no attachments".into(), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let files = match attachments::prepare(&tenant, uploads, 0) {
        Ok(f) => f,
        Err(e) => return fail(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let key = uuid::Uuid::parse_str(values.submission.trim()).ok();
    let (s, t, c) = (state.clone(), tenant.0.clone(), ctx.clone());
    let lang = tenant.default_locale;
    let outcome = web::block(move || -> Result<Result<Published, CoreError>, CoreError> {
        if let Err(e) = attachments::check_quota(&*s.blobs, &t, &files) {
            return Ok(Err(e));
        }
        // The files first: if the storage is down, no row names a missing file.
        if let Err(e) = attachments::put_all(&*s.blobs, &files) {
            return Ok(Err(e));
        }
        let r = s.db.tenant(&t, |conn| {
            let mut checked = checked;
            checked.body = events::link_mentions(conn, &checked.body)?;
            let published = write::publish(conn, c.component.id, Some(user), &checked, &c.settings, lang, key)?;
            if let Published::New(id) = published {
                attachments::record(conn, id, &files)?;
                events::published(conn, (&c.url(id), c.space.id), id, &checked.title, user, &checked.body)?;
            }
            Ok(published)
        });
        if !matches!(r, Ok(Published::New(_))) {
            attachments::discard(&*s.blobs, &files);
        }
        Ok(r)
    })
    .await??;
    match outcome {
        Ok(Published::New(id)) => Ok(see_other(&format!("{}?notice=proposal_published", ctx.url(id)))),
        Ok(Published::AlreadyPublished(id)) => Ok(see_other(&format!("{}?notice=proposal_already", ctx.url(id)))),
        Err(CoreError::Invalid(m)) => fail(m, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(CoreError::Conflict(m)) => fail(m, StatusCode::CONFLICT).await,
        Err(CoreError::StorageUnavailable(reason)) => {
            tracing::warn!(%reason, "file storage unavailable: proposal not published");
            let m = "attachments: the file storage cannot be reached right now, so the proposal was not published. \
                     Your text is kept below: please attach the files again and send it in a moment.";
            fail(m.into(), StatusCode::SERVICE_UNAVAILABLE).await
        }
        Err(e) => Err(e.into()),
    }
}
