//! Parses devalue text into a flat, index-addressed document.
//!
//! devalue text is a JSON array whose elements ("slots") are flat: a
//! primitive, an array of slot indices (optionally led by a string tag), or
//! an object whose values are slot indices. The parser accepts exactly that
//! shape (plus the bare-sentinel form `-3`) and rejects everything else,
//! including nested JSON inside a slot, so no recursion is needed and memory
//! stays proportional to the input.

use std::cell::Cell;

use super::error::Error;

/// A string in the document: either a span of the input (no escapes) or of
/// [`Doc::strings`] (unescaped copy).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Str {
    start: u32,
    len: u32,
    owned: bool,
}

/// An element of a slot array or a value of a slot object.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Atom {
    /// A JSON integer that fits `i64` (a slot index or sentinel, or a tagged
    /// array's numeric argument).
    Int(i64),
    Str(Str),
    /// Any other JSON scalar (a fraction, a huge integer, null, a boolean):
    /// never valid where devalue expects an index.
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Slot {
    Null,
    Bool(bool),
    /// An integer literal that fits `i64`.
    Int(i64),
    /// An integer literal above `i64::MAX` that fits `u64`.
    UInt(u64),
    /// Any other number literal.
    Float(f64),
    Str(Str),
    /// `atoms[start..start + len]`
    Array {
        start: u32,
        len: u32,
    },
    /// `entries[start..start + len]`
    Object {
        start: u32,
        len: u32,
    },
}

pub(crate) struct Doc<'t> {
    text: &'t str,
    /// A negative sentinel when the whole text is a bare number (`-3`),
    /// else 0 (the root is slot 0).
    pub(crate) root: i64,
    /// The vectors, boxed so that a `Doc` is cheap to move and to recycle.
    b: Box<Buffers>,
}

impl<'t> Doc<'t> {
    #[inline]
    pub(crate) fn slots(&self) -> &[Slot] {
        &self.b.slots
    }

    #[inline]
    pub(crate) fn str(&self, s: Str) -> &str {
        let (start, end) = (s.start as usize, (s.start + s.len) as usize);
        if s.owned {
            &self.b.strings[start..end]
        } else {
            &self.text[start..end]
        }
    }

    pub(crate) fn atoms(&self, start: u32, len: u32) -> &[Atom] {
        &self.b.atoms[start as usize..(start + len) as usize]
    }

    pub(crate) fn entries(&self, start: u32, len: u32) -> &[(Str, Atom)] {
        &self.b.entries[start as usize..(start + len) as usize]
    }

    /// The JSON text of slot `i`, exactly as in the input.
    pub(crate) fn slot_text(&self, i: usize) -> &str {
        let (s, e) = self.b.spans[i];
        &self.text[s as usize..e as usize]
    }

    /// The tag of a tagged array (`["Date", …]`), if slot `i` is one.
    pub(crate) fn tag(&self, slot: Slot) -> Option<&str> {
        match slot {
            Slot::Array { start, len } if len > 0 => match self.b.atoms[start as usize] {
                Atom::Str(s) => Some(self.str(s)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Parses `text`; `spans` records each slot's text (for
    /// [`Doc::slot_text`], which only the normaliser needs).
    pub(crate) fn parse(text: &'t str, spans: bool) -> Result<Self, Error> {
        if text.len() >= u32::MAX as usize {
            return Err(Error::new("input is too large (4 GiB or more)"));
        }
        let b = BUFFERS.with(Cell::take).unwrap_or_default();
        let mut p = Parser {
            bytes: text.as_bytes(),
            pos: 0,
            spans,
            doc: Doc { text, root: 0, b },
        };
        p.ws();
        match p.peek() {
            Some(b'[') => p.slots()?,
            Some(b'-' | b'0'..=b'9') => {
                let start = p.pos;
                let n = p.number()?;
                p.doc.root = match n {
                    Slot::Int(n @ (-1 | -3 | -4 | -5 | -6)) => n,
                    _ => {
                        return Err(Error::new(format!(
                            "a bare number must be a sentinel (-1, -3, -4, -5 or -6), found `{}`",
                            &text[start..p.pos]
                        )))
                    }
                };
            }
            Some(_) => return Err(p.unexpected("`[`")),
            None => return Err(Error::new("empty input")),
        }
        p.ws();
        if p.pos != text.len() {
            return Err(Error::new(format!(
                "trailing characters after the devalue text at byte {}",
                p.pos
            )));
        }
        Ok(p.doc)
    }
}

/// The vectors of a [`Doc`], kept per thread between calls.
#[derive(Default)]
struct Buffers {
    slots: Vec<Slot>,
    /// Byte range of each slot's JSON text in the input (if asked for).
    spans: Vec<(u32, u32)>,
    atoms: Vec<Atom>,
    entries: Vec<(Str, Atom)>,
    strings: String,
}

thread_local! {
    static BUFFERS: Cell<Option<Box<Buffers>>> = const { Cell::new(None) };
}

impl Doc<'_> {
    /// Hands the document's vectors back for the next parse on this thread
    /// (unless they grew large).
    pub(crate) fn recycle(self) {
        let mut b = self.b;
        if b.slots.capacity() + b.atoms.capacity() + b.entries.capacity() > 1 << 14
            || b.strings.capacity() > 1 << 16
        {
            return;
        }
        b.slots.clear();
        b.spans.clear();
        b.atoms.clear();
        b.entries.clear();
        b.strings.clear();
        BUFFERS.with(|c| c.set(Some(b)));
    }
}

/// The index of the first `"`, `\\` or control character at or after `pos`
/// (or the length): the end of the plain run of a JSON string. Eight bytes
/// at a time, with the usual "has a zero byte" bit tricks.
#[inline]
fn plain_run_end(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(chunk);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        // For each test the lowest flagged byte is a true match (borrows
        // only flag bytes above a match), so the lowest flag overall is the
        // first special byte.
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        let hits = hits & HIGH;
        if hits != 0 {
            return pos + (hits.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return pos;
        }
        pos += 1;
    }
    pos
}

struct Parser<'t> {
    bytes: &'t [u8],
    pos: usize,
    spans: bool,
    doc: Doc<'t>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips JSON whitespace (devalue writes none, so check cheaply first).
    #[inline(always)]
    fn ws(&mut self) {
        if let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.skip_ws();
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// The common number: an integer of at most 15 digits (no fraction, no
    /// exponent, not `-0`). Anything else is left to [`Parser::number`].
    #[inline(always)]
    fn small_int(&mut self) -> Option<i64> {
        let bytes = self.bytes;
        let negative = bytes.get(self.pos) == Some(&b'-');
        let start = self.pos + usize::from(negative);
        let mut pos = start;
        let mut n: i64 = 0;
        while let Some(&d @ b'0'..=b'9') = bytes.get(pos) {
            n = n * 10 + i64::from(d - b'0');
            pos += 1;
            if pos - start > 15 {
                return None;
            }
        }
        let digits = pos - start;
        if digits == 0
            || (digits > 1 && bytes[start] == b'0')
            || (negative && n == 0)
            || matches!(bytes.get(pos), Some(b'.' | b'e' | b'E'))
        {
            return None;
        }
        self.pos = pos;
        Some(if negative { -n } else { n })
    }

    fn unexpected(&self, expected: &str) -> Error {
        match self.peek() {
            None => Error::new(format!(
                "invalid JSON: unexpected end of input, expected {expected}"
            )),
            Some(b) => {
                let shown = if b.is_ascii_graphic() {
                    format!("`{}`", b as char)
                } else {
                    format!("byte 0x{b:02x}")
                };
                Error::new(format!(
                    "invalid JSON at byte {}: unexpected {shown}, expected {expected}",
                    self.pos
                ))
            }
        }
    }

    fn eat(&mut self, b: u8, expected: &str) -> Result<(), Error> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), Error> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    /// The top-level array of slots.
    fn slots(&mut self) -> Result<(), Error> {
        self.pos += 1; // [
        self.ws();
        if self.peek() == Some(b']') {
            return Err(Error::new("the devalue array is empty"));
        }
        loop {
            self.ws();
            let start = self.pos;
            let slot = self.slot()?;
            self.doc.b.slots.push(slot);
            if self.spans {
                self.doc.b.spans.push((start as u32, self.pos as u32));
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.unexpected("`,` or `]`")),
            }
        }
    }

    fn slot(&mut self) -> Result<Slot, Error> {
        match self.peek() {
            Some(b'n') => self.literal("null").map(|_| Slot::Null),
            Some(b't') => self.literal("true").map(|_| Slot::Bool(true)),
            Some(b'f') => self.literal("false").map(|_| Slot::Bool(false)),
            Some(b'"') => self.string().map(Slot::Str),
            Some(b'-' | b'0'..=b'9') => match self.small_int() {
                Some(n) => Ok(Slot::Int(n)),
                None => self.number(),
            },
            Some(b'[') => {
                self.pos += 1;
                let start = self.doc.b.atoms.len();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        let atom = self.atom()?;
                        self.doc.b.atoms.push(atom);
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.unexpected("`,` or `]`")),
                        }
                    }
                }
                Ok(Slot::Array {
                    start: start as u32,
                    len: (self.doc.b.atoms.len() - start) as u32,
                })
            }
            Some(b'{') => {
                self.pos += 1;
                let start = self.doc.b.entries.len();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        if self.peek() != Some(b'"') {
                            return Err(self.unexpected("a string key"));
                        }
                        let key = self.string()?;
                        self.ws();
                        self.eat(b':', "`:`")?;
                        self.ws();
                        let value = self.atom()?;
                        self.doc.b.entries.push((key, value));
                        self.ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.unexpected("`,` or `}`")),
                        }
                    }
                }
                Ok(Slot::Object {
                    start: start as u32,
                    len: (self.doc.b.entries.len() - start) as u32,
                })
            }
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    /// An element inside a slot: flat values only.
    #[inline(always)]
    fn atom(&mut self) -> Result<Atom, Error> {
        // Nearly always a slot index.
        if let Some(b'0'..=b'9') = self.peek() {
            if let Some(n) = self.small_int() {
                return Ok(Atom::Int(n));
            }
        }
        self.atom_slow()
    }

    #[inline(never)]
    fn atom_slow(&mut self) -> Result<Atom, Error> {
        match self.peek() {
            Some(b'"') => self.string().map(Atom::Str),
            Some(b'-' | b'0'..=b'9') => {
                if let Some(n) = self.small_int() {
                    return Ok(Atom::Int(n));
                }
                Ok(match self.number()? {
                    Slot::Int(n) => Atom::Int(n),
                    _ => Atom::Other,
                })
            }
            Some(b'n') => self.literal("null").map(|_| Atom::Other),
            Some(b't') => self.literal("true").map(|_| Atom::Other),
            Some(b'f') => self.literal("false").map(|_| Atom::Other),
            Some(b'[' | b'{') => Err(Error::new(format!(
                "invalid devalue at byte {}: a slot may not nest arrays or objects",
                self.pos
            ))),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Slot, Error> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let mut n: u64 = 0;
        while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.pos) {
            n = n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            self.pos += 1;
        }
        let int_digits = self.pos - int_start;
        if int_digits == 0 {
            return Err(self.unexpected("a digit"));
        }
        if int_digits > 1 && self.bytes[int_start] == b'0' {
            return Err(Error::new(format!(
                "invalid JSON at byte {int_start}: a number with a leading zero"
            )));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integral = false;
            if self.digits() == 0 {
                return Err(self.unexpected("a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integral = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("a digit"));
            }
        }
        if integral {
            // Up to 19 digits cannot overflow u64.
            if int_digits <= 19 {
                return Ok(match (negative, n) {
                    (true, 0) => Slot::Float(-0.0),
                    (true, n) if n <= 1 << 63 => Slot::Int((n as i64).wrapping_neg()),
                    (false, n) if n <= i64::MAX as u64 => Slot::Int(n as i64),
                    (false, n) => Slot::UInt(n),
                    (true, _) => Slot::Float(-(n as f64)),
                });
            }
            if int_digits == 20 && !negative {
                let digits = &self.doc.text[int_start..self.pos];
                if let Ok(n) = digits.parse::<u64>() {
                    return Ok(Slot::UInt(n));
                }
            }
        }
        // The grammar was checked above, and Rust's float parser accepts it
        // (and rounds correctly); overflow gives ±inf, as in JavaScript.
        let text = &self.doc.text[start..self.pos];
        text.parse::<f64>()
            .map(Slot::Float)
            .map_err(|_| Error::new(format!("invalid number `{text}`")))
    }

    #[inline]
    fn string(&mut self) -> Result<Str, Error> {
        self.pos += 1; // opening quote
        let start = self.pos;
        self.pos = plain_run_end(self.bytes, self.pos);
        if self.peek() == Some(b'"') {
            let s = Str {
                start: start as u32,
                len: (self.pos - start) as u32,
                owned: false,
            };
            self.pos += 1;
            return Ok(s);
        }
        self.string_slow(start)
    }

    /// The rest of a string that has escapes (or is broken).
    #[inline(never)]
    fn string_slow(&mut self, start: usize) -> Result<Str, Error> {
        match self.peek() {
            Some(b'\\') => {}
            Some(_) => return Err(self.control_char()),
            None => return Err(self.unexpected("`\"`")),
        }
        // Escapes: copy into `strings`, unescaping.
        let out_start = self.doc.b.strings.len();
        let mut run = start;
        loop {
            self.pos = plain_run_end(self.bytes, self.pos);
            self.doc.b.strings.push_str(&self.doc.text[run..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Str {
                        start: out_start as u32,
                        len: (self.doc.b.strings.len() - out_start) as u32,
                        owned: true,
                    });
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(self.lone_surrogate());
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.lone_surrogate());
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(self.lone_surrogate());
                            } else {
                                hi
                            };
                            // Surrogates were excluded above, so this is a char.
                            let c = char::from_u32(code).unwrap_or('\u{fffd}');
                            self.doc.b.strings.push(c);
                            run = self.pos;
                            continue;
                        }
                        _ => return Err(self.unexpected("an escape character")),
                    };
                    self.doc.b.strings.push(c);
                    self.pos += 1;
                    run = self.pos;
                }
                Some(_) => return Err(self.control_char()),
                None => return Err(self.unexpected("`\"`")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.unexpected("a hex digit")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn lone_surrogate(&self) -> Error {
        Error::new(format!(
            "string with a lone UTF-16 surrogate at byte {} (not representable in Rust)",
            self.pos
        ))
    }

    fn control_char(&self) -> Error {
        Error::new(format!(
            "invalid JSON at byte {}: unescaped control character in a string",
            self.pos
        ))
    }
}

/// Reads a JSON string literal (with quotes), for error messages that
/// recover a key from already-written output.
pub(crate) fn unquote(quoted: &str) -> String {
    let text = format!("[{quoted}]");
    match Doc::parse(&text, false) {
        Ok(doc) => match doc.slots().first() {
            Some(Slot::Str(s)) => doc.str(*s).to_owned(),
            _ => quoted.to_owned(),
        },
        Err(_) => quoted.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match Doc::parse(text, true) {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_every_slot_shape() {
        let text = r#" [ {"a":1,"b\n":-3} , [2,3,-2], null,true,false, 1.5, -0, 18446744073709551615,
            "x\"\u00e9\ud83d\ude00y", ["Date","2020-01-01T00:00:00.000Z"], [], {} ] "#;
        let doc = Doc::parse(text, true).unwrap();
        assert_eq!(doc.root, 0);
        assert_eq!(doc.slots().len(), 12);
        let Slot::Object { start, len } = doc.slots()[0] else {
            panic!()
        };
        let e = doc.entries(start, len);
        assert_eq!(doc.str(e[1].0), "b\n");
        assert!(matches!(e[1].1, Atom::Int(-3)));
        assert!(matches!(doc.slots()[5], Slot::Float(f) if f == 1.5));
        assert!(matches!(doc.slots()[6], Slot::Float(f) if f == 0.0 && f.is_sign_negative()));
        assert!(matches!(doc.slots()[7], Slot::UInt(u64::MAX)));
        let Slot::Str(s) = doc.slots()[8] else {
            panic!()
        };
        assert_eq!(doc.str(s), "x\"é😀y");
        assert_eq!(doc.tag(doc.slots()[9]), Some("Date"));
        assert_eq!(doc.slot_text(2), "null");
        assert_eq!(doc.slot_text(0), r#"{"a":1,"b\n":-3}"#);
        assert!(matches!(doc.slots()[10], Slot::Array { len: 0, .. }));
    }

    #[test]
    fn bare_sentinels() {
        for s in ["-1", "-3", "-4", "-5", "-6", " -3 "] {
            assert!(Doc::parse(s, true).unwrap().root < 0, "{s}");
        }
        for s in ["-2", "0", "1", "-7", "-3.0", "1e2"] {
            assert!(err(s).contains("sentinel"), "{s}");
        }
    }

    #[test]
    fn rejects_bad_json() {
        for (text, needle) in [
            ("", "empty input"),
            ("[]", "empty"),
            ("[1", "end of input"),
            ("[1,]", "expected a JSON value"),
            ("[1] x", "trailing"),
            ("[1][2]", "trailing"),
            ("[[[1]]]", "nest"),
            ("[{\"a\":{}}]", "nest"),
            ("[{a:1}]", "string key"),
            ("[\"\\ud800\"]", "lone"),
            ("[\"\\udc00\"]", "lone"),
            ("[\"\\ud800\\u0041\"]", "lone"),
            ("[\"a\u{1}\"]", "control"),
            ("[\"\\x\"]", "escape"),
            ("[01]", "leading zero"),
            ("[-01]", "leading zero"),
            ("[1.]", "digit"),
            ("[-]", "digit"),
            ("[1e]", "digit"),
            ("[nul]", "JSON value"),
            ("{}", "expected `[`"),
            ("[\"abc", "end of input"),
        ] {
            let e = err(text);
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn numbers() {
        let doc = Doc::parse(
            "[0,-9223372036854775808,9223372036854775808,1e400,-1e400,99999999999999999999999]",
            true,
        )
        .unwrap();
        assert!(matches!(doc.slots()[0], Slot::Int(0)));
        assert!(matches!(doc.slots()[1], Slot::Int(i64::MIN)));
        assert!(matches!(doc.slots()[2], Slot::UInt(9223372036854775808)));
        assert!(matches!(doc.slots()[3], Slot::Float(f) if f == f64::INFINITY));
        assert!(matches!(doc.slots()[4], Slot::Float(f) if f == f64::NEG_INFINITY));
        assert!(matches!(doc.slots()[5], Slot::Float(f) if f == 1e23));
    }

    proptest::proptest! {
        #[test]
        fn prop_plain_run_end_matches_naive(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just(b'"'),
                    proptest::prelude::Just(b'\\'),
                    0u8..0x20,
                    0x20u8..=0xff,
                ],
                0..40,
            ),
            start in 0usize..40,
        ) {
            let start = start.min(bytes.len());
            let naive = bytes[start..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .map_or(bytes.len(), |p| p + start);
            proptest::prop_assert_eq!(plain_run_end(&bytes, start), naive);
        }
    }

    #[test]
    fn unquote_roundtrip() {
        assert_eq!(unquote(r#""a\u003Cb""#), "a<b");
        assert_eq!(unquote("nonsense"), "nonsense");
    }
}
