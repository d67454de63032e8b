//! The request a browser would make to load a server island, in the core's
//! words; each integration's `testing` module builds its own request type
//! from it.

use crate::render::ServerIsland;
use crate::Mochi;

/// Where and how the browser asks for one rendered server island.
pub(crate) struct IslandCall {
    /// `{mount}{prefix}/island/{Name}`.
    pub(crate) path: String,
    /// `p={token}&i={id}`: the query of a `GET`, the form body of a `POST`.
    pub(crate) params: String,
    /// Whether its props are large enough to be sent by `POST`.
    pub(crate) post: bool,
}

impl IslandCall {
    /// The call for the island `island` returns, rendered as a page render
    /// of `mochi` would render it (which signs its props).
    ///
    /// # Panics
    ///
    /// If the island's props do not serialize (nothing to request).
    pub(crate) fn of<F>(mochi: &Mochi, island: impl FnOnce() -> ServerIsland<F>) -> IslandCall {
        let (name, id, token, post) = mochi.render_page(|| {
            let island = island();
            let token = island.signed_props().map(str::to_owned);
            (
                island.name(),
                island.island_id().to_owned(),
                token,
                island.is_post(),
            )
        });
        let token = token.unwrap_or_else(|| panic!("island `{name}`'s props do not serialize"));
        IslandCall {
            path: format!("{}/island/{name}", mochi.asset_prefix()),
            params: format!("p={token}&i={id}"),
            post,
        }
    }

    /// The `GET` target: the path and its query.
    pub(crate) fn target(&self) -> String {
        format!("{}?{}", self.path, self.params)
    }
}
