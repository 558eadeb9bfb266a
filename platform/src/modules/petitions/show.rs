//! `GET /petitions/{id}`: one petition with its state, live count and progress, the
//! signing box (what the visitor can do now, or why not), its public timeline, the
//! institution's response, the signers who chose to appear, open data links, and
//! the comments.
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use tenant_core::accounts::verifications::{self, Gate};
use tenant_core::petitions::{self, signatures, Signing, State};

use super::{account_signer, load_visible};
use crate::http::error::AppError;
use crate::http::extract::{CurrentTenant, RequestLocale};
use crate::identity::page::Page;
use crate::identity::MaybeUser;
use crate::modules::comments::{commentable, section};
use crate::modules::follows::button as follow_button;
use crate::state::AppState;

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    order: String,
    /// After signing ([`super::sign::SIGNED`], [`super::sign::ALREADY`]): shown only
    /// when this visitor did sign, so a link cannot tell anyone they signed.
    #[serde(default)]
    notice: String,
}

/// What the signing box shows.
#[derive(Serialize)]
struct SignBox {
    /// Signatures are accepted now.
    open: bool,
    /// Why not, when they are not (a message key suffix).
    refusal: Option<&'static str>,
    /// `anonymous` (FranceConnect, no account) or `account`.
    with: &'static str,
    /// For anonymous signing: the tenant's FranceConnect provider key, if any.
    provider: Option<String>,
    /// For account signing: what the visitor still needs.
    gate: Option<Gate>,
    /// The day this visitor signed: their account's signature, or for anonymous
    /// signing, what their browser remembers (the site does not know who signed).
    signed_on: Option<chrono::NaiveDate>,
    /// The type shows signers who chose to appear.
    show_signers: bool,
}

#[get("/{id:\\d+}")]
pub async fn show_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    tenant: CurrentTenant,
    RequestLocale(locale): RequestLocale,
    MaybeUser(visitor): MaybeUser,
    path: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (p, ty) = load_visible(&state, &tenant, &visitor, id).await?;
    let user = visitor.user.as_ref().map(|u| u.id);
    let now = chrono::Utc::now();
    let signing = ty.signing();
    // The account's signer hash needs the tenant key (kept in memory once read).
    let signer = match (signing, user) {
        (Signing::Account(_), Some(u)) => {
            let (s, t) = (state.clone(), tenant.0.clone());
            let key = web::block(move || s.identity.tenant_key(&s.db, &t)).await??;
            Some(account_signer(&key, id, u))
        }
        _ => None,
    };
    let order = tenant_core::comments::Order::parse_or_default(&query.order);
    let viewer = visitor.user.clone();
    let (s, t, pc, tc) = (state.clone(), tenant.0.clone(), p.clone(), ty.clone());
    let (timeline, days, signers, gate, signed_on, comments, follow) = web::block(move || {
        s.db.tenant(&t, |conn| {
            let timeline = petitions::timeline(conn, id)?;
            let days = if pc.state().is_public() { signatures::per_day(conn, id)? } else { vec![] };
            let signers = if tc.show_signers { signatures::public_signers(conn, id, 100)? } else { vec![] };
            let gate = match signing {
                Signing::Account(r) => Some(verifications::gate(conn, user, r)?),
                Signing::Anonymous => None,
            };
            let signed_on = match &signer {
                Some(h) => signatures::signed_on(conn, id, h)?,
                None => None,
            };
            let comments = if tc.comments_enabled && pc.state().is_public() {
                let policy = commentable::petition_policy(&pc, &tc);
                Some(section::section_with(conn, pc.resource(), viewer.as_ref(), order, policy)?)
            } else {
                None
            };
            let follow = if pc.state().is_public() { Some(follow_button(conn, user, pc.resource())?) } else { None };
            Ok((timeline, days, signers, gate, signed_on, comments, follow))
        })
    })
    .await??;
    let provider = if signing == Signing::Anonymous {
        crate::identity::providers_for(&state, &tenant)
            .await?
            .into_iter()
            .find(|b| b.kind == "franceconnect")
            .map(|b| b.key)
    } else {
        None
    };
    // An anonymous signer is known only to their own browser.
    let signed_on = match signing {
        Signing::Anonymous => {
            super::remembered(&state, &req, &tenant).into_iter().find(|(p, _)| *p == id).map(|(_, on)| on)
        }
        Signing::Account(_) => signed_on,
    };
    let sign = SignBox {
        open: p.signing_open(now),
        refusal: p.signing_refusal(now),
        with: if signing == Signing::Anonymous { "anonymous" } else { "account" },
        provider,
        gate,
        signed_on,
        show_signers: ty.show_signers,
    };
    let order_locales = [locale, tenant.default_locale];
    let is_author = user.is_some() && p.author_id == user;
    let mut page = Page::new(&state, &req, &tenant, locale, &visitor);
    page.ctx.insert("petition", &p);
    page.ctx.insert("state_name", p.state().as_str());
    page.ctx.insert("type_title", &ty.title_in(&order_locales));
    page.ctx.insert("type", &ty);
    page.ctx.insert("percent", &p.percent());
    page.ctx.insert("days_left", &p.signatures_end_at.map(|e| (e - now).num_days().max(0)));
    page.ctx.insert("sign", &sign);
    page.ctx.insert("timeline", &timeline);
    page.ctx.insert("days", &days);
    page.ctx.insert("recent_days", &days[days.len().saturating_sub(14)..]);
    page.ctx.insert("signers", &signers);
    page.ctx.insert("is_author", &is_author);
    page.ctx.insert("is_draft", &(p.state() == State::Draft));
    page.ctx.insert("follow", &follow);
    page.ctx.insert("purpose", &super::purpose(id));
    if let Some(notice) = signed_notice(&state, &tenant, locale, &query.notice, signing, sign.signed_on) {
        page.ctx.insert("notice", &notice);
    }
    match &comments {
        Some(c) => section::add_to_context(&state, &tenant, &mut page.ctx, c).await?,
        None => {
            if sign.gate.is_some_and(|g| matches!(g, Gate::Verify(_))) {
                page.ctx.insert("providers", &crate::identity::providers_for(&state, &tenant).await?);
            }
        }
    }
    page.render(&state, &tenant, "petitions/show.html", StatusCode::OK)
}

/// The notice that follows a signature ("signed on DATE", or "you had already
/// signed on DATE"), when the visitor did sign: their browser remembers it, or their
/// account's signature is there.
fn signed_notice(
    state: &AppState,
    tenant: &tenant_core::Tenant,
    locale: tenant_core::names::Locale,
    notice: &str,
    signing: Signing,
    signed_on: Option<chrono::NaiveDate>,
) -> Option<String> {
    let key = match notice {
        super::sign::SIGNED => "petitions_signed_text",
        super::sign::ALREADY => "petitions_already_text",
        _ => return None,
    };
    let on = signed_on?.format("%d/%m/%Y").to_string();
    let theme = state.themes.get(tenant.theme.as_str());
    let mut text = theme.message(locale, key).replace("{date}", &on);
    if notice == super::sign::SIGNED && signing == Signing::Anonymous {
        text.push(' ');
        text.push_str(&theme.message(locale, "petitions_signed_privacy"));
    }
    Some(text)
}
