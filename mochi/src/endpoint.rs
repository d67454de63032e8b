//! Everything under the asset prefix, routed: the island endpoint, batches,
//! the runtime and the client modules. Every step that can refuse a
//! request runs before the next one reads more of it.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use http::StatusCode;

use crate::answer::{
    self, answer, cache_headers, error, island_context, island_request, read_form, server_island,
    verified_text, Answer, AnswerBody, Header, Refusal,
};
use crate::compress::Encoding;
use crate::config::Config;
use crate::context::RequestHead;
use crate::protocol::parse_query;
use crate::registry::Registry;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A request under the asset prefix, as the integration hands it over.
pub(crate) struct AssetRequest<B> {
    pub(crate) head: RequestHead,
    /// The body, read only by `POST` islands and batches.
    pub(crate) body: B,
    /// The path of the scope mochi is mounted in (`""` at the root).
    pub(crate) mount: compact_str::CompactString,
    /// The path after `{mount}{prefix}`.
    pub(crate) rest: String,
}

/// Answers a request under the asset prefix.
pub(crate) async fn handle<B, E>(config: Arc<Config>, req: AssetRequest<B>) -> Answer
where
    B: Stream<Item = Result<Bytes, E>> + Unpin,
{
    let rest = req.rest.as_str();
    let island = rest.strip_prefix("/island/");
    let batch = rest == "/batch";
    let head = &req.head;
    let allowed = head.is_method("GET")
        || head.is_method("HEAD")
        || (head.is_method("POST") && (island.is_some() || batch));
    if !allowed {
        let allow = if island.is_some() || batch {
            "GET, HEAD, POST"
        } else {
            "GET, HEAD"
        };
        return error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
            .header(Header::Allow, allow);
    }
    if let Some(name) = island {
        let name = name.to_owned();
        return self::island(config, req, &name).await;
    }
    if batch {
        return crate::batch::handle(config, req).await;
    }
    if let Some(source) = runtime_module(rest) {
        return javascript(&req.head, source);
    }
    if let Some(file) = rest.strip_prefix("/client/") {
        if let Some(source) = client_module(file) {
            return javascript(&req.head, source);
        }
    }
    error(StatusCode::NOT_FOUND, "not found")
}

/// `/runtime-{hash}/{module}.js` → the runtime module's source, if the
/// hash is current.
fn runtime_module(rest: &str) -> Option<&'static str> {
    let rest = rest.strip_prefix("/runtime-")?;
    let (hash, file) = rest.split_once('/')?;
    let module = file.strip_suffix(".js")?;
    (hash == crate::assets::runtime_hash())
        .then(|| crate::assets::runtime_module(module))
        .flatten()
}

/// `{Name}-{hash}.js` → the module's source, if the hash is current; else
/// `{stem}-{hash}.js` → the source of a file a module imports.
fn client_module(file: &str) -> Option<&'static str> {
    let (name, hash) = file.strip_suffix(".js")?.rsplit_once('-')?;
    let registry = Registry::global().ok()?;
    if let Some(module) = registry.get(name).and_then(|def| def.client) {
        if module.hash() == hash {
            return Some(module.source());
        }
    }
    let mut modules = registry.islands().into_iter().filter_map(|def| def.client);
    modules.find_map(|module| module.dependency(file))
}

/// A JavaScript asset, in the encoding the request prefers (see
/// [`crate::compress`]).
fn javascript(head: &RequestHead, source: &'static str) -> Answer {
    let accept = head.header(&http::header::ACCEPT_ENCODING);
    let (body, encoding) = match crate::compress::choose(accept) {
        Encoding::Br => (crate::compress::encoded(source).br.clone(), Some("br")),
        Encoding::Gzip => (crate::compress::encoded(source).gzip.clone(), Some("gzip")),
        Encoding::Identity => (Bytes::from_static(source.as_bytes()), None),
    };
    let answer = Answer::new(StatusCode::OK, AnswerBody::Full(body))
        .header(Header::ContentType, "text/javascript; charset=utf-8")
        .header(Header::CacheControl, IMMUTABLE)
        .header(Header::XContentTypeOptions, "nosniff")
        .header(Header::Vary, "Accept-Encoding");
    match encoding {
        Some(encoding) => answer.header(Header::ContentEncoding, encoding),
        None => answer,
    }
}

/// Answers `{prefix}/island/{name}`.
async fn island<B, E>(config: Arc<Config>, req: AssetRequest<B>, name: &str) -> Answer
where
    B: Stream<Item = Result<Bytes, E>> + Unpin,
{
    if answer::target_len(&req.head) > config.settings.max_url {
        return error(StatusCode::URI_TOO_LONG, "URI too long");
    }
    let Some(def) = server_island(name) else {
        return error(StatusCode::NOT_FOUND, "no such island");
    };
    if answer::is_refused_cross_site(&req.head, &config) {
        let why = "cross-site island request (see `MochiBuilder::allow_cross_site`)";
        return Refusal(StatusCode::FORBIDDEN, "forbidden", Some(why.into())).answer(&config);
    }
    let post = req.head.is_method("POST");
    let body = if post {
        match read_form(&req.head, req.body, &config).await {
            Ok(body) => body,
            Err(refusal) => return refusal.answer(&config),
        }
    } else {
        String::new()
    };
    let query = req.head.query();
    let query = match parse_query(if post { &body } else { query }) {
        Ok(q) => q,
        Err(why) => {
            return Refusal(StatusCode::BAD_REQUEST, "bad request", Some(why.into()))
                .answer(&config)
        }
    };
    let text = match verified_text(&config, def, query.token) {
        Ok(text) => text,
        Err(refusal) => return refusal.answer(&config),
    };
    let island_id = query.island_id.map(str::to_owned);
    let request = island_request(&config, req.head);
    let cx = island_context(&config, &request, def, island_id.as_deref(), &req.mount);
    let html = match answer(&config, cx.clone(), def, island_id.as_deref(), text).await {
        Ok(markup) => markup,
        Err(refusal) => return refusal.answer(&config),
    };
    let body = AnswerBody::Full(Bytes::from(html.0));
    let mut answer = Answer::island_html(body, "text/html; charset=utf-8");
    // An island rendered inline with another cache policy than this one's:
    // the strictest of theirs, no sharing.
    let private = post || cx.inline_policy_mixed();
    cache_headers(&mut answer, def, private, &request.reads());
    answer
}
