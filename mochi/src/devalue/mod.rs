//! The `devalue` wire format for serde (placeholder: being written).

use std::fmt;

/// An error while writing or reading devalue text.
#[derive(Debug, Clone, PartialEq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Writes `value` as devalue text.
pub fn to_string<T: serde::Serialize + ?Sized>(_value: &T) -> Result<String, Error> {
    Err(Error("devalue: not yet implemented".into()))
}

/// Reads devalue text into a `T`.
pub fn from_str<T: serde::de::DeserializeOwned>(_text: &str) -> Result<T, Error> {
    Err(Error("devalue: not yet implemented".into()))
}
