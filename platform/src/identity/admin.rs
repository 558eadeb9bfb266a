//! `/admin`: a tenant's own administrators. The overview links every admin area;
//! `/admin/people` lists the accounts (search, "confirmed by an administrator"
//! verification, administrator role) and takes the resident list that the "resident
//! list" verification checks addresses against.
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use tenant_core::accounts::users::{self, UserRole};
use tenant_core::accounts::verifications::{self, Kind};
use tenant_core::CoreError;

use super::page::{see_other, Page};
use super::session::{CurrentUser, SignedIn, Visitor};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;
/// At most this many addresses in one resident list.
const MAX_RESIDENTS: usize = 200_000;

/// A signed-in administrator of this tenant.
pub struct TenantAdmin(pub Visitor, pub CurrentUser);

impl FromRequest for TenantAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let SignedIn(visitor, user) = signed_in.await?;
            if user.is_admin {
                Ok(TenantAdmin(visitor, user))
            } else {
                Err(AppError::Forbidden("this page is for this site's administrators".into()))
            }
        })
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: u32,
}

/// The overview: every admin area, with a few counts.
#[get("/admin")]
pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
) -> Result<HttpResponse, AppError> {
    let (s, t) = (state.clone(), tenant.0.clone());
    let order = [locale, tenant.default_locale];
    let (people_count, spaces, pages, blocks) = web::block(move || {
        s.db.tenant(&t, |conn| {
            Ok::<_, CoreError>((
                users::count_live(conn)?,
                tenant_core::spaces::list_all(conn, &order)?.len(),
                tenant_core::content::pages::list_all(conn)?.len(),
                tenant_core::content::home_blocks::list_all(conn)?.len(),
            ))
        })
    })
    .await??;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("people_count", &people_count);
    page.ctx.insert("spaces_count", &spaces);
    page.ctx.insert("pages_count", &pages);
    page.ctx.insert("blocks_count", &blocks);
    page.render(&state, &tenant, "admin/index.html", StatusCode::OK)
}

/// The accounts, newest first, with a search.
#[get("/admin/people")]
pub async fn people(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    render(&req, &state, &tenant, locale, &visitor, &query.q, query.page, None, StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    tenant: &CurrentTenant,
    locale: tenant_core::names::Locale,
    visitor: &Visitor,
    q: &str,
    page_no: u32,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (s, t, search) = (state.clone(), tenant.0.clone(), q.chars().take(100).collect::<String>());
    let offset = i64::from(page_no.min(10_000)) * PAGE_SIZE;
    let (list, total, residents) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let (list, total) = users::list(conn, &search, PAGE_SIZE, offset)?;
            Ok::<_, CoreError>((list, total, verifications::resident_list_size(conn)?))
        })
    })
    .await??;
    let mut page = Page::new(state, req, tenant, locale, visitor);
    page.ctx.insert("people", &list);
    page.ctx.insert("total", &total);
    page.ctx.insert("q", q);
    page.ctx.insert("page_no", &page_no);
    page.ctx.insert("has_next", &(offset + PAGE_SIZE < total));
    page.ctx.insert("residents", &residents);
    page.ctx.insert("error", &error);
    page.render(state, tenant, "admin/people.html", status)
}

#[derive(Deserialize)]
pub struct VerificationForm {
    #[serde(default)]
    csrf: String,
    /// The admin page to come back to (the list, or the person's page).
    #[serde(default)]
    next: String,
    #[serde(default)]
    action: String,
}

/// Where an admin form sends back to: `next` when it is an admin page, else the list.
pub fn back_to(next: &str) -> String {
    let next = super::page::local_next(Some(next));
    let path = next.split('?').next().unwrap_or("");
    if path.starts_with("/admin/") && !path.contains("..") {
        format!("{path}?notice=admin_saved")
    } else {
        "/admin/people?notice=admin_saved".to_owned()
    }
}

/// Grants or revokes "confirmed by an administrator".
pub async fn verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    TenantAdmin(visitor, admin): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<VerificationForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let grant = match form.action.as_str() {
        "grant" => true,
        "revoke" => false,
        _ => return Err(AppError::BadRequest("action: grant or revoke".into())),
    };
    let (s, t, id) = (state.clone(), tenant.0.clone(), id.into_inner());
    let by = format!("admin:{}", admin.nickname);
    web::block(move || {
        s.db.tenant(&t, |conn| {
            if users::find(conn, id)?.is_none() {
                return Err(CoreError::NotFound("account".into()));
            }
            if grant {
                verifications::grant(conn, id, Kind::Admin, "", &by, None)
            } else {
                verifications::revoke(conn, id, Kind::Admin)
            }
        })
    })
    .await??;
    Ok(see_other(&back_to(&form.next)))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    /// The admin page to come back to (the list, or the person's page).
    #[serde(default)]
    next: String,
    #[serde(default)]
    role: String,
}

/// Makes an account an administrator or a participant; the last administrator stays.
pub async fn role(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    id: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let role = match form.role.as_str() {
        "admin" => UserRole::Admin,
        "participant" => UserRole::Participant,
        _ => return Err(AppError::BadRequest("role: admin or participant".into())),
    };
    let (s, t, id) = (state.clone(), tenant.0.clone(), id.into_inner());
    let done = web::block(move || {
        s.db.tenant(&t, |conn| {
            let Some(user) = users::find(conn, id)? else { return Err(CoreError::NotFound("account".into())) };
            if role == UserRole::Participant && user.role == UserRole::Admin && users::count_admins(conn)? <= 1 {
                return Ok(false);
            }
            users::set_role(conn, id, role)?;
            Ok(true)
        })
    })
    .await??;
    if !done {
        let text = state.themes.get(tenant.theme.as_str()).message(locale, "admin_last_admin");
        return render(&req, &state, &tenant, locale, &visitor, "", 0, Some(text), StatusCode::CONFLICT).await;
    }
    Ok(see_other(&back_to(&form.next)))
}

#[derive(Deserialize)]
pub struct ResidentsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    emails: String,
}

/// Reads a resident list: one address per line, or CSV/TSV with the address in any
/// cell. Blank lines and lines without `@` (a header) are skipped; a cell with `@`
/// that is not an address makes the whole list refused, naming the lines.
pub fn parse_residents(text: &str) -> Result<Vec<String>, Vec<usize>> {
    let mut emails = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(cell) = line.split([',', ';', '\t']).map(|c| c.trim().trim_matches('"')).find(|c| c.contains('@'))
        else {
            continue;
        };
        match users::check_email(cell) {
            Ok(e) => emails.push(e.to_lowercase()),
            Err(_) => bad.push(n + 1),
        }
    }
    if bad.is_empty() {
        emails.sort();
        emails.dedup();
        Ok(emails)
    } else {
        Err(bad)
    }
}

/// Replaces the resident list (kept as keyed hashes only) and brings the
/// "resident list" verification of every account in line with it.
pub async fn residents(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    TenantAdmin(visitor, _): TenantAdmin,
    form: web::Form<ResidentsForm>,
) -> Result<HttpResponse, AppError> {
    super::csrf::verify(&req, &visitor, &form.csrf)?;
    let theme = state.themes.get(tenant.theme.as_str());
    let emails = match parse_residents(&form.emails) {
        Ok(e) if e.len() > MAX_RESIDENTS => {
            let text = theme.message(locale, "admin_residents_too_many").replace("{max}", &MAX_RESIDENTS.to_string());
            return render(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                "",
                0,
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Ok(e) => e,
        Err(lines) => {
            let shown: Vec<String> = lines.iter().take(10).map(usize::to_string).collect();
            let text = theme.message(locale, "admin_residents_bad_lines").replace("{lines}", &shown.join(", "));
            return render(
                &req,
                &state,
                &tenant,
                locale,
                &visitor,
                "",
                0,
                Some(text),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (s, t) = (state.clone(), tenant.0.clone());
    web::block(move || -> Result<(), AppError> {
        let key = s.identity.tenant_key(&s.db, &t)?;
        let hashes: Vec<String> = emails.iter().map(|e| key.hash("resident_list", e)).collect();
        s.db.tenant(&t, |conn| {
            verifications::replace_resident_list(conn, &hashes)?;
            verifications::sync_resident_verifications(conn, |email| key.hash("resident_list", &email.to_lowercase()))
        })?;
        Ok(())
    })
    .await??;
    Ok(see_other("/admin/people?notice=residents_saved"))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index)
        .service(people)
        .service(web::resource("/admin/users/{id}/verification").route(web::post().to(verification)))
        .service(web::resource("/admin/users/{id}/role").route(web::post().to(role)))
        .service(
            web::resource("/admin/residents")
                // A resident list of many thousand addresses is a few megabytes.
                .app_data(web::FormConfig::default().limit(8 * 1024 * 1024))
                .route(web::post().to(residents)),
        );
}

#[cfg(test)]
mod tests {
    use super::parse_residents;

    #[test]
    fn resident_lists_from_lines_or_csv() {
        let list = parse_residents("email\nAnne@Exemple.fr\n\n\"Dupont\";\"jean@exemple.fr\";75001\nanne@exemple.fr\n");
        assert_eq!(list, Ok(vec!["anne@exemple.fr".to_owned(), "jean@exemple.fr".to_owned()]));
        assert_eq!(parse_residents("a@b.fr\nnot an @ddress\nc@d.fr\nx@\n"), Err(vec![2, 4]));
    }
}
