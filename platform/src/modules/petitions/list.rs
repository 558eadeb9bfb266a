//! `GET /petitions`: published petitions, filtered (state, type, words) and ordered
//! (newest, most signed, ending soonest), each with its live count and progress; and
//! `GET /petitions/mine`: the visitor's own, in every state.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::names::{Locale, ModuleName};
use tenant_core::petitions::{self, Filter, Petition, PetitionType, LIST_STATES, ORDERS, PAGE_SIZE};

use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::MaybeUser;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub state: String,
    #[serde(default, rename = "type")]
    pub type_id: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub page: String,
}

/// A petition as a list shows it.
#[derive(Serialize)]
pub struct Card {
    pub id: i64,
    pub title: String,
    pub excerpt: String,
    pub state: String,
    pub type_title: String,
    pub author: Option<String>,
    pub signatures: i64,
    pub threshold: Option<i32>,
    pub percent: i64,
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    pub signatures_end_at: Option<chrono::DateTime<chrono::Utc>>,
    pub signing_open: bool,
    pub hidden: bool,
}

pub fn cards(list: &[Petition], types: &[PetitionType], order: &[Locale]) -> Vec<Card> {
    let now = chrono::Utc::now();
    list.iter()
        .map(|p| Card {
            id: p.id,
            title: p.title.clone(),
            excerpt: tenant_core::richtext::excerpt(&p.body, 220),
            state: p.state.clone(),
            type_title: types.iter().find(|t| t.id == p.type_id).map(|t| t.title_in(order)).unwrap_or_default(),
            author: p.author.clone(),
            signatures: p.signatures,
            threshold: p.threshold,
            percent: p.percent(),
            published_at: p.published_at,
            signatures_end_at: p.signatures_end_at,
            signing_open: p.signing_open(now),
            hidden: p.hidden,
        })
        .collect()
}

/// A type for the filters and forms.
#[derive(Serialize)]
pub struct TypeView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub threshold: i32,
    pub period_days: i32,
    pub sign_requires: String,
    pub active: bool,
}

pub fn type_views(types: &[PetitionType], order: &[Locale]) -> Vec<TypeView> {
    types
        .iter()
        .map(|t| TypeView {
            id: t.id,
            title: t.title_in(order),
            description: t.description_in(order),
            threshold: t.threshold,
            period_days: t.period_days,
            sign_requires: t.sign_requires.clone(),
            active: t.active,
        })
        .collect()
}

#[get("")]
pub async fn list_petitions(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    crate::modules::require(&tenant, ModuleName::Petitions)?;
    let q = query.into_inner();
    let filter = Filter {
        state: if LIST_STATES.contains(&q.state.as_str()) { q.state.clone() } else { "open".to_owned() },
        type_id: q.type_id.parse::<i64>().ok(),
        order: if ORDERS.contains(&q.order.as_str()) { q.order.clone() } else { "recent".to_owned() },
        search: q.q.chars().take(200).collect(),
        page: q.page.parse::<i64>().unwrap_or(0).clamp(0, 100_000),
        include_hidden: visitor.user.as_ref().is_some_and(|u| u.is_admin),
    };
    let (s, t, f) = (state.clone(), tenant.0.clone(), filter.clone());
    let (list, total, types) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let (list, total) = petitions::list(conn, &f)?;
            Ok((list, total, petitions::types::list(conn, false)?))
        })
    })
    .await??;
    let order = [locale, tenant.default_locale];
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("petitions", &cards(&list, &types, &order));
    page.ctx.insert("types", &type_views(&types, &order));
    page.ctx.insert("can_file", &types.iter().any(|t| t.active));
    page.ctx.insert("total", &total);
    page.ctx.insert("pages", &((total + PAGE_SIZE - 1) / PAGE_SIZE));
    page.ctx.insert("current_page", &filter.page);
    page.ctx.insert("state", &filter.state);
    page.ctx.insert("order", &filter.order);
    page.ctx.insert("type_id", &filter.type_id);
    page.ctx.insert("q", &filter.search);
    page.ctx.insert("states", &LIST_STATES);
    page.ctx.insert("orders", &ORDERS);
    page.ctx.insert("page_query", &page_query(&filter));
    page.render(&state, &tenant, "petitions/index.html", StatusCode::OK)
}

/// The list's query string without `page` (for the pagination links), encoded.
fn page_query(f: &Filter) -> String {
    let mut parts = vec![format!("state={}", f.state), format!("order={}", f.order)];
    if let Some(t) = f.type_id {
        parts.push(format!("type={t}"));
    }
    if !f.search.is_empty() {
        parts.push(format!("q={}", crate::http::render::encode_query_value(&f.search)));
    }
    parts.join("&")
}

#[get("/mine")]
pub async fn my_petitions(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
) -> Result<HttpResponse, AppError> {
    crate::modules::require(&tenant, ModuleName::Petitions)?;
    let user = visitor.user.as_ref().map(|u| u.id).ok_or_else(|| AppError::SignInRequired("/petitions/mine".into()))?;
    let (s, t) = (state.clone(), tenant.0.clone());
    let (list, types) = web::block(move || {
        s.db.tenant(&t, |conn| Ok((petitions::by_author(conn, user)?, petitions::types::list(conn, false)?)))
    })
    .await??;
    let order = [locale, tenant.default_locale];
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("petitions", &cards(&list, &types, &order));
    page.ctx.insert("can_file", &types.iter().any(|t| t.active));
    page.render(&state, &tenant, "petitions/mine.html", StatusCode::OK)
}
