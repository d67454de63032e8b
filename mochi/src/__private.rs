//! What `#[island]` expands to, and what mochi's own tests reach. Not a
//! public API: no stability promises.

pub use std::borrow::Cow;

pub use inventory;
pub use maud;
pub use serde;

pub use crate::error::IntoIslandResult;
pub use crate::registry::{
    ClientFile, ClientImport, ClientModule, EndpointFn, Hydrate, IslandDef, IslandFuture,
    Registration,
};

use crate::render::{HydratedIsland, ServerIsland};
use crate::signing::Keys;

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

/// Boxes an island's render for the endpoint; a sync island's body is an
/// `async` block with no `.await`, so both kinds take one path.
pub fn endpoint_future<R, F>(future: F) -> IslandFuture
where
    F: std::future::Future<Output = R> + Send + 'static,
    R: IntoIslandResult,
{
    Box::pin(async move { future.await.into_island_result() })
}

/// Boxes a `blocking` island's render: its sync body runs on tokio's
/// blocking pool, in the island's render context (see
/// `endpoint::run_blocking`).
pub fn blocking_future<R, F>(body: F) -> IslandFuture
where
    F: FnOnce() -> R + Send + 'static,
    R: IntoIslandResult,
{
    Box::pin(crate::answer::run_blocking(move || {
        body().into_island_result()
    }))
}

/// What a `blocking` island's props must be: they move to a thread of the
/// blocking pool. `#[island]` names `<T as BlockingIslandProp>::Checked`
/// for each prop type `T`, so a prop that is not `Send` is an error at its
/// type ("`Rc<()>` cannot be sent between threads safely … required for
/// `Label` to implement `BlockingIslandProp`"), and only there.
pub trait BlockingIslandProp {
    /// `Self`, known to be `Send`.
    type Checked;
}

impl<T: Send + 'static> BlockingIslandProp for T {
    type Checked = T;
}

/// Signs any bytes as island `island`'s props: for tests that need tokens
/// a page would never make.
pub fn sign_raw(keys: &Keys, island: &str, payload: &[u8]) -> String {
    keys.sign(island, payload)
}

/// Seals any bytes as island `island`'s props, whatever `keys`' mode.
pub fn seal_raw(keys: &Keys, island: &str, payload: &[u8]) -> String {
    keys.clone().with_sealing(true).mint(island, payload)
}

/// The token a page would make for props text `payload` under `keys`
/// (benchmarks).
pub fn mint(keys: &Keys, island: &str, payload: &[u8]) -> String {
    keys.mint(island, payload)
}

/// Opens a token, sealed or signed, as the endpoint does (fuzzing, tests).
pub fn verify(
    keys: &Keys,
    island: &str,
    token: &str,
) -> Result<Vec<u8>, crate::signing::TokenError> {
    keys.open(island, token)
}

/// The endpoint's query parser, for fuzzing: `(token, island id)`.
pub fn parse_island_query(query: &str) -> Result<(&str, Option<&str>), &'static str> {
    crate::protocol::parse_query(query).map(|q| (q.token, q.island_id))
}

/// The props-block writer, for fuzzing: `text` as it goes into a
/// `<script type="application/json">` element.
pub fn script_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::render::push_script_safe(&mut out, text);
    out
}

/// Whether `name` could be an island name.
pub fn is_valid_name(name: &str) -> bool {
    crate::registry::is_valid_name(name)
}

/// Signs props already in base64url (fuzzing the signed decoder).
pub fn sign_encoded(keys: &Keys, island: &str, payload_b64: &str) -> String {
    keys.sign_encoded(island, payload_b64)
}

/// The registered island called `name` (the macro's own tests).
pub fn registered(name: &str) -> Option<&'static IslandDef> {
    crate::registry::Registry::global().ok()?.get(name)
}

/// Probes whether a parameter type implements
/// [`TsType`](crate::typescript::TsType): `(&&TsProbe::<T>::new()).ts_type()`
/// is its type if so (through [`TsKnown`]), else `unknown` (through
/// [`TsUnknown`]), so an island whose prop type says nothing of TypeScript
/// still compiles.
pub struct TsProbe<T: ?Sized>(core::marker::PhantomData<T>);

impl<T: ?Sized> TsProbe<T> {
    /// The probe.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> TsProbe<T> {
        TsProbe(core::marker::PhantomData)
    }
}

/// The TypeScript type of a type that implements `TsType`.
pub trait TsKnown {
    /// `T::ts_type()`.
    fn ts_type(&self) -> String;
}

impl<T: crate::typescript::TsType + ?Sized> TsKnown for &TsProbe<T> {
    fn ts_type(&self) -> String {
        T::ts_type()
    }
}

/// The TypeScript type of any other type.
pub trait TsUnknown {
    /// `unknown`.
    fn ts_type(&self) -> String;
}

impl<T: ?Sized> TsUnknown for TsProbe<T> {
    fn ts_type(&self) -> String {
        "unknown".to_owned()
    }
}

pub use crate::typescript::TsProp;

/// The client runtime's module `name` (`mochi.js` is the entry) as mochi
/// serves it, for tests that serve the runtime themselves: from
/// `{prefix}/{any}/{name}.js`, its islands load from `{prefix}/island/…`.
pub fn runtime_module(name: &str) -> Option<&'static str> {
    crate::assets::runtime_module(name)
}
