//! What `#[island]` expands to. Not a public API: no stability promises.

pub use std::borrow::Cow;

pub use inventory;
pub use maud;
pub use serde;

pub use crate::error::IntoIslandResult;
pub use crate::registry::{
    ClientModule, EndpointFn, Hydrate, IslandDef, IslandFuture, IslandRender, Registration,
};

use crate::render::{HydratedIsland, ServerIsland};

/// Builds the call-site value of a server island.
pub fn server_island<P: serde::Serialize>(def: &'static IslandDef, props: &P) -> ServerIsland {
    crate::render::server_island(def, props)
}

/// Builds the call-site value of a hydrated island.
pub fn hydrated_island<P: serde::Serialize>(
    def: &'static IslandDef,
    props: P,
    render: impl FnOnce(P) -> maud::Markup,
) -> HydratedIsland {
    crate::render::hydrated_island(def, props, render)
}

/// Boxes an async island's render for the endpoint.
pub fn endpoint_future<R, F>(future: F) -> IslandRender
where
    F: std::future::Future<Output = R> + 'static,
    R: IntoIslandResult,
{
    IslandRender::Pending(Box::pin(async move { future.await.into_island_result() }))
}

/// A sync island's answer for the endpoint.
pub fn endpoint_ready<R: IntoIslandResult>(rendered: R) -> IslandRender {
    IslandRender::Ready(rendered.into_island_result())
}
