//! Everything under the asset prefix: the island endpoint, the runtime and
//! the client modules. Every step that can refuse a request runs before the
//! next one reads more of it.

use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use compact_str::CompactString;
use futures_util::FutureExt as _;
use maud::Markup;

use crate::config::Config;
use crate::context::{self, IslandRequest, PageState, Scope, ScopeRequest};
use crate::error::IslandError;
use crate::registry::{self, IslandRender, Registry};
use crate::signing::TokenError;
use crate::token_cache::{self, Unverified};

const NO_STORE: &str = "no-store";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Island ids from the client become id prefixes: keep them short and plain.
const MAX_ISLAND_ID: usize = 64;

/// Answers a request whose path is `{prefix}{rest}`.
pub(crate) async fn handle(config: Arc<Config>, req: HttpRequest, rest: &str) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .insert_header((header::CACHE_CONTROL, NO_STORE))
            .body("method not allowed");
    }
    if let Some(name) = rest.strip_prefix("/island/") {
        return island(config, req, name).await;
    }
    if rest == format!("/runtime-{}.js", crate::assets::runtime_hash()) {
        return javascript(crate::assets::runtime_source());
    }
    if let Some(file) = rest.strip_prefix("/client/") {
        if let Some(source) = client_module(file) {
            return javascript(source);
        }
    }
    error(StatusCode::NOT_FOUND, "not found", None)
}

/// `{Name}-{hash}.js` → the module's source, if the hash is current.
fn client_module(file: &str) -> Option<&'static str> {
    let (name, hash) = file.strip_suffix(".js")?.rsplit_once('-')?;
    let def = Registry::global().ok()?.get(name)?;
    let module = def.client?;
    (module.hash() == hash).then(|| module.source())
}

fn javascript(source: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, IMMUTABLE))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(source)
}

/// An error answer; `detail` is only sent in debug builds.
fn error(status: StatusCode, public: &'static str, detail: Option<String>) -> HttpResponse {
    let body = match detail {
        Some(detail) if cfg!(debug_assertions) => format!("{public}: {detail}"),
        _ => public.to_owned(),
    };
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body)
}

/// The query parameters the endpoint reads.
#[derive(Debug, PartialEq, Eq)]
struct IslandQuery<'q> {
    token: &'q str,
    island_id: Option<&'q str>,
}

fn parse_query(query: &str) -> Result<IslandQuery<'_>, &'static str> {
    let mut token = None;
    let mut island_id = None;
    // By byte offsets: `str::split` sets up a searcher per call, which cost
    // more than the scan itself on a query this short (a third of the
    // endpoint's own work). `&` and `=` are ASCII, so every piece starts
    // and ends on a character boundary.
    let bytes = query.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'&')
            .map_or(bytes.len(), |n| start + n);
        let pair = &query[start..end];
        start = end + 1;
        let (key, value) = match pair.bytes().position(|b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, ""),
        };
        let slot = match key {
            "p" => &mut token,
            "i" => &mut island_id,
            _ => continue, // cache busters, empty pairs and the like
        };
        if slot.replace(value).is_some() {
            return Err("repeated query parameter");
        }
    }
    let token = token.ok_or("missing `p`")?;
    if token.is_empty() {
        return Err("empty `p`");
    }
    if let Some(id) = island_id {
        let plain = id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if id.is_empty() || id.len() > MAX_ISLAND_ID || !plain {
            return Err("bad island id `i`");
        }
    }
    Ok(IslandQuery { token, island_id })
}

async fn island(config: Arc<Config>, req: HttpRequest, name: &str) -> HttpResponse {
    let uri_len = req.path().len() + req.query_string().len() + 1;
    if uri_len > config.max_url {
        return error(StatusCode::URI_TOO_LONG, "URI too long", None);
    }
    let def = match Registry::global() {
        Ok(registry) if registry::is_valid_name(name) => registry.get(name),
        _ => None,
    };
    let Some((def, endpoint)) = def.and_then(|d| Some((d, d.endpoint?))) else {
        return error(StatusCode::NOT_FOUND, "no such island", None);
    };
    let query = match parse_query(req.query_string()) {
        Ok(q) => q,
        Err(why) => return error(StatusCode::BAD_REQUEST, "bad request", Some(why.into())),
    };
    let text = match token_cache::verified_text(&config.keys, def, query.token) {
        Ok(text) => text,
        Err(Unverified::Token(e @ TokenError::Malformed(_))) => {
            return error(StatusCode::BAD_REQUEST, "bad request", Some(e.to_string()))
        }
        Err(Unverified::Token(TokenError::BadSignature)) => {
            return error(StatusCode::FORBIDDEN, "forbidden", None)
        }
        Err(Unverified::NotText) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad request",
                Some("props are not UTF-8".into()),
            )
        }
    };
    let island_id = query.island_id.unwrap_or("x");
    let mut prefix = CompactString::with_capacity(island_id.len() + 1);
    prefix.push_str(island_id);
    prefix.push('-');
    let page = PageState::with_prefix(prefix);
    // A deferred + hydrated island's answer is a hydrated island of its own:
    // its Rust code sees the id its client module will get.
    let own_id = match def.client {
        Some(_) => page.next_island_id(),
        None => island_id.into(),
    };
    // Its props block goes before it, even if its body renders islands
    // with the same props.
    let reserved = def.client.is_some() && def.has_props && page.props_reserve(&text);
    let scope = Rc::new(Scope {
        island: Some(IslandRequest { id: own_id.clone() }),
        ..Scope::new(config, Some(ScopeRequest::Island(req)), page)
    });
    // After the component: close the props reservation and, for a
    // `defer` + `client` island, wrap the answer to hydrate (inside the
    // scope: both read its page state).
    let finish = |markup: Result<Markup, IslandError>| {
        if reserved {
            context::with_scope(|scope| scope.page.props_built(&text));
        }
        markup.map(|m| match def.client {
            Some(_) => crate::render::wrap_hydrated(def, &own_id, &text, m),
            None => m,
        })
    };
    let started = context::run_sync(scope.clone(), || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            endpoint(&text).map(|render| match render {
                IslandRender::Ready(markup) => IslandRender::Ready(finish(markup)),
                pending => pending,
            })
        }))
    });
    let rendered = match started {
        Ok(Ok(IslandRender::Ready(markup))) => Ok(markup),
        Ok(Ok(IslandRender::Pending(future))) => {
            context::run(scope, async {
                let markup = AssertUnwindSafe(future).catch_unwind().await;
                markup.map(finish)
            })
            .await
        }
        Ok(Err(e)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad request",
                Some(format!("props do not fit island `{}`: {e}", def.name)),
            )
        }
        Err(_) => return panicked(def.name),
    };
    match rendered {
        Ok(Ok(markup)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((
                header::CACHE_CONTROL,
                HeaderValue::from_static(def.cache_control.unwrap_or("private, no-store")),
            ))
            .insert_header(("x-robots-tag", "noindex"))
            .body(markup.0),
        Ok(Err(e)) => {
            log::error!("mochi: island `{}` failed: {e}", def.name);
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal server error",
                Some(e.to_string()),
            )
        }
        Err(_) => panicked(def.name),
    }
}

fn panicked(name: &str) -> HttpResponse {
    log::error!("mochi: island `{name}` panicked");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal server error",
        None,
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The query rules written the plain way, as the byte-offset parser's
    /// reference: (token, island id), or `None` for a repeated parameter.
    fn reference(query: &str) -> Option<(Option<&str>, Option<&str>)> {
        let (mut token, mut island_id) = (None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match key {
                "p" => &mut token,
                "i" => &mut island_id,
                _ => continue,
            };
            if slot.replace(value).is_some() {
                return None;
            }
        }
        Some((token, island_id))
    }

    proptest! {
        #[test]
        fn query_parser_matches_reference(query in "[pi=&xé]{0,16}") {
            let parsed = parse_query(&query);
            match reference(&query) {
                None => prop_assert_eq!(parsed, Err("repeated query parameter")),
                Some((token, island_id)) => match parsed {
                    Ok(q) => {
                        prop_assert_eq!(Some(q.token), token);
                        prop_assert_eq!(q.island_id, island_id);
                    }
                    // Refused for what the values hold, never for repeats.
                    Err(why) => {
                        prop_assert_ne!(why, "repeated query parameter");
                        let ok_token = token.is_some_and(|t| !t.is_empty());
                        let ok_id = island_id.is_none_or(|i| {
                            !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric())
                        });
                        prop_assert!(!(ok_token && ok_id), "{query:?}: {why}");
                    }
                },
            }
        }
    }

    #[test]
    fn query() {
        assert_eq!(
            parse_query("p=a.b&i=i3").unwrap(),
            IslandQuery {
                token: "a.b",
                island_id: Some("i3")
            }
        );
        assert_eq!(parse_query("v=2&p=a.b").unwrap().token, "a.b");
        assert!(parse_query("").is_err());
        assert!(parse_query("p=").is_err());
        assert!(parse_query("p").is_err());
        assert!(parse_query("p=a&p=a").is_err());
        assert!(parse_query("p=a&i=1&i=2").is_err());
        assert!(parse_query("p=a&i=").is_err());
        assert!(parse_query("p=a&i=%3Cx").is_err());
        assert!(parse_query(&format!("p=a&i={}", "x".repeat(65))).is_err());
    }
}
