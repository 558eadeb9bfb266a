//! `GET /{kind}/{slug}/f/{component}`: the proposals, filtered (category, state,
//! mine, words) and ordered; by default at random with a seed kept in a session
//! cookie, so each visitor sees a stable order while paging and no proposal is
//! always first.
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tenant_core::names::Locale;
use tenant_core::proposals::{self, supports, Filter, ProposalCard, PAGE_SIZE, STATES};

use super::{permission, with_ctx, Action, ComponentPath, Ctx};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::{set_cookie, Page};
use crate::identity::MaybeUser;
use crate::state::AppState;

pub const SEED_COOKIE: &str = "civitas_order_seed";

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub mine: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub page: String,
}

/// The visitor's seed, and whether it is new (to be set as a cookie).
fn seed(req: &HttpRequest) -> (u32, bool) {
    match req.cookie(SEED_COOKIE).and_then(|c| c.value().parse::<u32>().ok()) {
        Some(s) => (s, false),
        None => (uuid::Uuid::new_v4().as_u128() as u32, true),
    }
}

#[get("/{kind:processes|assemblies}/{slug}/f/{component}")]
pub async fn list_proposals(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<ComponentPath>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (seed, new_seed) = seed(&req);
    let user = visitor.user.as_ref().map(|u| u.id);
    let lang = tenant.default_locale;
    let (category, author, search, page_no) = (
        q.category.parse::<i64>().ok(),
        if q.mine == "1" { user } else { None },
        q.q.chars().take(200).collect::<String>(),
        q.page.parse::<i64>().unwrap_or(0).clamp(0, 10_000),
    );
    let (asked_order, asked_state) = (q.order.clone(), q.state.clone());
    let found = with_ctx(&state, &tenant, locale, &visitor, &path, move |conn, c| {
        let order = if proposals::ORDERS.contains(&asked_order.as_str()) {
            asked_order
        } else {
            c.settings.default_order.clone()
        };
        let state_filter = if STATES.contains(&asked_state.as_str()) { asked_state } else { "open".to_owned() };
        let filter = Filter {
            category: category.filter(|id| c.categories.iter().any(|k| k.id == *id)),
            state: state_filter.clone(),
            author,
            search,
            order: order.clone(),
            seed,
            page: page_no,
            include_hidden: c.is_admin(),
        };
        let (cards, total) = proposals::list(conn, c.component.id, &filter, lang)?;
        let create = permission(conn, c, user, Action::Create)?;
        let ids: Vec<i64> = cards.iter().map(|p| p.id).collect();
        let supported = match user {
            Some(u) => supports::supported_among(conn, u, &ids)?,
            None => vec![],
        };
        Ok(Some((order, state_filter, cards, total, create, supported)))
    })
    .await;
    let (ctx, (order, state_filter, cards, total, create, supported)) = match found {
        // Every component module's page is at this one path: a place that is not a
        // proposals component may be a budgets one (which answers 404 if not).
        Err(AppError::NotFound) if tenant.has_module(tenant_core::names::ModuleName::Budgets) => {
            let path = path.into_inner();
            return crate::modules::budgets::index::show_component(req, state, tenant, locale, visitor, path).await;
        }
        found => found?,
    };
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    page.ctx.insert("place", &ctx);
    page.ctx.insert("proposals", &card_views(&state, &tenant, locale, &cards, &ctx, &supported)?);
    page.ctx.insert("total", &total);
    page.ctx.insert("current_page", &filter_page(&q));
    page.ctx.insert("pages", &pages);
    page.ctx.insert("query", &q);
    page.ctx.insert("order", &order);
    page.ctx.insert("state", &state_filter);
    page.ctx.insert("orders", &proposals::ORDERS);
    page.ctx.insert("states", &STATES);
    page.ctx.insert("create", &create);
    page.ctx.insert("supported", &supported);
    page.ctx.insert("page_query", &page_query(&q));
    let mut res = page.render(&state, &tenant, "proposals/index.html", StatusCode::OK)?;
    if new_seed {
        let cookie = Cookie::build(SEED_COOKIE, seed.to_string())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(visitor.https)
            .finish();
        set_cookie(&mut res, &cookie)?;
    }
    Ok(res)
}

/// What a card shows, the same for every visitor: its category's name and date are
/// worked out here, not looked up by the template.
#[derive(Hash, Serialize)]
struct Card<'a> {
    id: i64,
    title: &'a str,
    excerpt: &'a str,
    category: Option<&'a str>,
    state: &'a str,
    answer_state: Option<&'a str>,
    supports_count: i32,
    comments_count: i32,
    published_at: String,
    published_on: String,
    author: Option<&'a str>,
    hidden: bool,
}

/// A card in the list: rendered once for everyone ([`crate::fragment_cache`]), with
/// whether this visitor supports it.
#[derive(Serialize)]
struct CardView {
    id: i64,
    hidden: bool,
    supported: bool,
    #[serde(serialize_with = "as_str")]
    html: std::sync::Arc<str>,
}

fn as_str<S: serde::Serializer>(v: &std::sync::Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

fn card_views(
    state: &AppState,
    tenant: &CurrentTenant,
    locale: Locale,
    cards: &[ProposalCard],
    ctx: &Ctx,
    supported: &[i64],
) -> Result<Vec<CardView>, AppError> {
    const TEMPLATE: &str = "proposals/_card.html";
    let theme = state.themes.get(tenant.theme.as_str());
    let visible_from = ctx.settings.counts_visible_from;
    cards
        .iter()
        .map(|card| {
            let shown = Card {
                id: card.id,
                title: &card.title,
                excerpt: &card.excerpt,
                category: card
                    .category_id
                    .and_then(|id| ctx.categories.iter().find(|c| c.id == id))
                    .map(|c| c.name.as_str()),
                state: &card.state,
                answer_state: card.answer_state.as_deref(),
                supports_count: card.supports_count,
                comments_count: card.comments_count,
                published_at: card.published_at.to_rfc3339(),
                published_on: card.published_at.format("%d/%m/%Y").to_string(),
                author: card.author.as_deref(),
                hidden: card.hidden,
            };
            let key = crate::fragment_cache::key(&(
                tenant.id,
                tenant.theme.as_str(),
                TEMPLATE,
                locale,
                &ctx.base,
                visible_from,
                &shown,
            ));
            let html = state.fragments.get_or_render(key, || {
                let mut c = tera::Context::new();
                c.insert("locale", locale.as_str());
                c.insert("p", &shown);
                c.insert("base", &ctx.base);
                c.insert("counts_visible_from", &visible_from);
                theme.render(TEMPLATE, &mut c)
            })?;
            Ok(CardView { id: card.id, hidden: card.hidden, supported: supported.contains(&card.id), html })
        })
        .collect()
}

fn filter_page(q: &ListQuery) -> i64 {
    q.page.parse::<i64>().unwrap_or(0).clamp(0, 10_000)
}

/// The list's query string without `page`, for the pagination links (encoded).
fn page_query(q: &ListQuery) -> String {
    let enc = crate::http::render::encode_query_value;
    [("category", &q.category), ("state", &q.state), ("mine", &q.mine), ("q", &q.q), ("order", &q.order)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}
