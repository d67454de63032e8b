//! The one error type of the codec, with the path to where it happened.

use std::fmt;

/// An error while writing or reading devalue text.
///
/// The message says what went wrong and, when known, where: a path into the
/// value in JavaScript notation (`.items[3].name`, with `.get(#2)` for the
/// value of the third entry of a `Map` and `.key(#2)` for its key) and, when
/// reading, the slot of the devalue array that was being decoded:
///
/// ```
/// #[derive(Debug, serde::Deserialize)]
/// struct Item { name: String }
/// #[derive(Debug, serde::Deserialize)]
/// struct Props { items: Vec<Item> }
///
/// let err = serde_devalue::from_str::<Props>(r#"[{"items":1},[2],{"name":3},7]"#)
///     .unwrap_err();
/// assert_eq!(err.path(), ".items[0].name");
/// assert_eq!(err.slot(), Some(3));
/// assert_eq!(
///     err.to_string(),
///     "devalue: invalid type: integer `7`, expected a string at .items[0].name (slot 3)"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    message: String,
    /// Path segments, innermost first (they are added while unwinding).
    path: Vec<Segment>,
    slot: Option<usize>,
}

#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// An object property or struct field.
    Field(String),
    /// An array, tuple or `Set` element.
    Index(usize),
    /// The key of the n-th entry of a `Map`.
    MapKey(usize),
    /// The value of the n-th entry of a `Map`.
    MapValue(usize),
}

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                message: message.into(),
                path: Vec::new(),
                slot: None,
            }),
        }
    }

    /// Adds the segment of the enclosing container (errors travel outwards).
    pub(crate) fn within(mut self, segment: Segment) -> Self {
        self.inner.path.push(segment);
        self
    }

    pub(crate) fn within_field(self, name: &str) -> Self {
        self.within(Segment::Field(name.to_owned()))
    }

    pub(crate) fn within_index(self, index: usize) -> Self {
        self.within(Segment::Index(index))
    }

    /// Records the slot being decoded, unless an inner one is already known.
    pub(crate) fn at_slot(mut self, slot: usize) -> Self {
        if self.inner.slot.is_none() {
            self.inner.slot = Some(slot);
        }
        self
    }

    /// What went wrong, without the location.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Where it went wrong, as a JavaScript-style path from the root value
    /// (`.items[3].name`); empty for the root itself.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for segment in self.inner.path.iter().rev() {
            match segment {
                Segment::Field(name) => {
                    if is_identifier(name) {
                        out.push('.');
                        out.push_str(name);
                    } else {
                        out.push('[');
                        crate::escape::write_quoted(&mut out, name);
                        out.push(']');
                    }
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(itoa::Buffer::new().format(*i));
                    out.push(']');
                }
                Segment::MapKey(i) => {
                    out.push_str(".key(#");
                    out.push_str(itoa::Buffer::new().format(*i));
                    out.push(')');
                }
                Segment::MapValue(i) => {
                    out.push_str(".get(#");
                    out.push_str(itoa::Buffer::new().format(*i));
                    out.push(')');
                }
            }
        }
        out
    }

    /// The index of the slot of the devalue array being decoded when the
    /// error happened, if it happened while reading one.
    pub fn slot(&self) -> Option<usize> {
        self.inner.slot
    }
}

fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "devalue: {}", self.inner.message)?;
        let path = self.path();
        if !path.is_empty() {
            write!(f, " at {path}")?;
        }
        match (self.inner.slot, path.is_empty()) {
            (Some(slot), true) => write!(f, " at slot {slot}"),
            (Some(slot), false) => write!(f, " (slot {slot})"),
            (None, _) => Ok(()),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("message", &self.inner.message)
            .field("path", &self.path())
            .field("slot", &self.inner.slot)
            .finish()
    }
}

impl std::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_path_and_slot() {
        let e = Error::new("boom")
            .at_slot(7)
            .at_slot(3)
            .within_field("name")
            .within_index(3)
            .within_field("items");
        assert_eq!(e.path(), ".items[3].name");
        assert_eq!(e.slot(), Some(7));
        assert_eq!(e.to_string(), "devalue: boom at .items[3].name (slot 7)");
    }

    #[test]
    fn display_odd_keys_and_map_entries() {
        let e = Error::new("x")
            .within(Segment::MapValue(2))
            .within_field("a b")
            .within(Segment::MapKey(0));
        assert_eq!(e.path(), r#".key(#0)["a b"].get(#2)"#);
        assert_eq!(Error::new("y").to_string(), "devalue: y");
        assert_eq!(
            Error::new("y").at_slot(0).to_string(),
            "devalue: y at slot 0"
        );
        assert!(format!("{:?}", e).contains("a b"));
    }
}
