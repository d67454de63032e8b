//! Errors an island render can end with.

use std::any::Any;
use std::fmt;

/// Why an island's render failed: the status its request is answered with
/// (500 unless said otherwise), a message for the server log, and the
/// error that caused it, if any.
///
/// `?` on a `Result<_, E>` with `E: Display` converts into one (a 500);
/// build one yourself to answer with another status:
///
/// ```
/// use maud::{html, Markup};
/// use mochi::IslandError;
///
/// #[mochi::island(defer)]
/// fn product(id: u32) -> Result<Markup, IslandError> {
///     if id == 0 {
///         return Err(IslandError::not_found("no product 0"));
///     }
///     Ok(html! { "product " (id) })
/// }
/// ```
///
/// The runtime retries network errors, 502, 503 and 504, and treats any
/// other status (a 500 included) as final. The message reaches the client only when error
/// details are on ([`MochiBuilder::error_details`]).
///
/// [`MochiBuilder::error_details`]: crate::MochiBuilder::error_details
#[derive(Debug)]
pub struct IslandError {
    status: u16,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl IslandError {
    /// A 500 with a message for the server log.
    pub fn new(message: impl Into<String>) -> IslandError {
        IslandError {
            status: 500,
            message: message.into(),
            source: None,
        }
    }

    /// A 500 caused by `source`, whose text is the message.
    pub fn from_source(source: impl std::error::Error + Send + Sync + 'static) -> IslandError {
        IslandError {
            source: Some(Box::new(source)),
            ..IslandError::new(String::new())
        }
    }

    /// The same error, answered with `status` (an HTTP error status, 400
    /// to 599; anything else stays 500).
    pub fn with_status(mut self, status: u16) -> IslandError {
        if (400..=599).contains(&status) {
            self.status = status;
        }
        self
    }

    /// A 404: what the island shows does not exist.
    pub fn not_found(message: impl Into<String>) -> IslandError {
        IslandError::new(message).with_status(404)
    }

    /// A 403: the user may not see it.
    pub fn forbidden(message: impl Into<String>) -> IslandError {
        IslandError::new(message).with_status(403)
    }

    /// A 503: a dependency is down for now (the runtime retries).
    pub fn unavailable(message: impl Into<String>) -> IslandError {
        IslandError::new(message).with_status(503)
    }

    /// The status the island's request is answered with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The message (the source's text, for [`from_source`](Self::from_source)).
    pub fn message(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for IslandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.message.is_empty()) {
            (Some(source), true) => source.fmt(f),
            (Some(source), false) => write!(f, "{}: {source}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for IslandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source = self.source.as_deref()?;
        Some(source as &(dyn std::error::Error + 'static))
    }
}

/// What an island function may return: `Markup` or `Result<Markup, E>` for
/// any displayable `E` ([`IslandError`] keeps its status; any other error
/// is a 500 with its text).
#[diagnostic::on_unimplemented(
    message = "a server island returns `maud::Markup` or `Result<Markup, E>` with `E: Display`, not `{Self}`",
    label = "this return type cannot be an island's answer",
    note = "render with `maud::html!`, and map errors to something displayable"
)]
pub trait IntoIslandResult {
    /// Converts the function's return value.
    fn into_island_result(self) -> Result<maud::Markup, IslandError>;
}

impl IntoIslandResult for maud::Markup {
    fn into_island_result(self) -> Result<maud::Markup, IslandError> {
        Ok(self)
    }
}

impl<E: fmt::Display + 'static> IntoIslandResult for Result<maud::Markup, E> {
    fn into_island_result(self) -> Result<maud::Markup, IslandError> {
        self.map_err(|e| {
            // An `IslandError` as it is (its status, its source); any other
            // error by its text.
            let mut slot = Some(e);
            match (&mut slot as &mut dyn Any).downcast_mut::<Option<IslandError>>() {
                Some(island_error) => island_error.take().expect("just filled"),
                None => IslandError::new(slot.expect("not taken").to_string()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn island_errors_keep_their_status_and_source() {
        let io = std::io::Error::other("disk on fire");
        let e: Result<maud::Markup, _> = Err(IslandError::from_source(io).with_status(503));
        let e = e.into_island_result().unwrap_err();
        assert_eq!(e.status(), 503);
        assert_eq!(e.to_string(), "disk on fire");
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(source.to_string(), "disk on fire");

        let e: Result<maud::Markup, String> = Err("plain".into());
        let e = e.into_island_result().unwrap_err();
        assert_eq!((e.status(), e.to_string()), (500, "plain".to_owned()));
        assert_eq!(IslandError::not_found("x").status(), 404);
        assert_eq!(IslandError::new("x").with_status(200).status(), 500);
    }
}

/// Why a server's `extract` could not make a value: names the type, says
/// why, and what to do.
#[derive(Debug, Clone)]
pub struct ExtractError {
    type_name: &'static str,
    why: String,
    hint: &'static str,
    outside: bool,
}

impl ExtractError {
    /// The extractor for `type_name` ran and failed.
    pub(crate) fn failed(type_name: &'static str, why: String, hint: &'static str) -> Self {
        ExtractError {
            type_name,
            why,
            hint,
            outside: false,
        }
    }

    /// Called outside an island's render.
    pub(crate) fn outside(type_name: &'static str) -> Self {
        ExtractError {
            type_name,
            why: "not inside an island's render".into(),
            hint: "extract in an `async` island (a page handler takes extractors as its \
                   arguments; a `blocking` island's body gets what it needs from an `async` \
                   island that extracts it and calls `spawn_blocking` itself)",
            outside: true,
        }
    }

    /// The type that could not be extracted.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Whether it failed because no island of this server was rendering:
    /// called outside an island's render, or an island served by the
    /// other integration (code shared by an actix and an axum app tries
    /// one server's `extract`, then the other's).
    pub fn is_outside_island(&self) -> bool {
        self.outside
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mochi::extract::<{}>() failed: {}; {}",
            self.type_name, self.why, self.hint
        )
    }
}

impl std::error::Error for ExtractError {}

impl From<ExtractError> for IslandError {
    fn from(e: ExtractError) -> Self {
        IslandError::from_source(e)
    }
}
