//! Errors an island render can end with.

use std::fmt;

/// Why an island's render failed (answered with 500).
#[derive(Debug)]
pub struct IslandError {
    message: String,
}

impl IslandError {
    /// An error with a message for the server log (never sent to clients
    /// outside debug builds).
    pub fn new(message: impl Into<String>) -> IslandError {
        IslandError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for IslandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IslandError {}

/// What an island function may return: `Markup` or `Result<Markup, E>` for
/// any displayable `E`.
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

impl<E: fmt::Display> IntoIslandResult for Result<maud::Markup, E> {
    fn into_island_result(self) -> Result<maud::Markup, IslandError> {
        self.map_err(|e| IslandError::new(e.to_string()))
    }
}
