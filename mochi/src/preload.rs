//! A page's preload `Link` headers: one per URL the runtime will fetch the
//! page's eager server islands with (one per batch), so the browser starts
//! those fetches from the response headers, in parallel with the runtime.

use crate::context::Preload;

/// Preload `Link`s per page: a bound on the header.
const MAX_PRELOAD_LINKS: usize = 16;

/// What follows the URL: `crossorigin=anonymous` is the runtime's
/// `credentials: 'same-origin'`, so its own fetch takes the preloaded
/// answer.
const REL: &str = ">; rel=preload; as=fetch; crossorigin=anonymous";

/// The `Link` values for a page's eager `islands`, whose assets are served
/// under `prefix`: all eager islands are split into batches first, so each
/// `Link` names exactly a URL the runtime fetches; then only the first few
/// are kept. mochi's URLs are valid header text (names, ids and tokens need
/// no escaping, and the mount is a plain path).
pub(crate) fn links(prefix: &str, islands: &[Preload]) -> Vec<String> {
    let max_len = crate::config::MAX_BATCH_URL;
    let urls = crate::batch::preload_urls(prefix, islands, max_len);
    let links = urls.into_iter().take(MAX_PRELOAD_LINKS);
    links.map(|url| format!("<{url}{REL}")).collect()
}

#[cfg(test)]
mod tests {
    use super::links;
    use crate::context::Preload;

    fn island(id: &str, token: &str) -> Preload {
        Preload {
            name: "A",
            token: token.into(),
            id: id.into(),
            batched: true,
        }
    }

    /// The links are made from the page's islands and where it is mounted.
    #[test]
    fn links_are_made_from_the_islands() {
        let rel = "; rel=preload; as=fetch; crossorigin=anonymous";
        let page = [island("i0", "x.x"), island("i1", "t.1")];
        assert_eq!(
            links("/_mochi", &page),
            [format!(
                "</_mochi/batch?n=A&i=i0&p=x.x&n=A&i=i1&p=t.1>{rel}"
            )]
        );
        assert_eq!(
            links("/shop/_mochi", &page),
            [format!(
                "</shop/_mochi/batch?n=A&i=i0&p=x.x&n=A&i=i1&p=t.1>{rel}"
            )]
        );
        let own = Preload {
            batched: false,
            ..island("i0", "x.x")
        };
        assert_eq!(
            links("/_mochi", &[own]),
            [format!("</_mochi/island/A?p=x.x&i=i0>{rel}")]
        );
    }
}
