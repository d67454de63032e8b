//! Text helpers that must match JavaScript exactly: devalue's string
//! quoting, `Number.prototype.toString`, and which property names JavaScript
//! treats as array indices (they are enumerated first, in numeric order).

/// What to write for an ASCII byte: 0 = itself, 1 = `\u00XX`, else the
/// second character of a two-character escape (`\n` → b'n').
static ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        t[i] = 1;
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'<' as usize] = 2; // \u003C
    t
};

/// Appends `s` as devalue's `stringify_string` writes it: a JSON string in
/// which `<`, U+2028 and U+2029 are also escaped, so the text can sit inside
/// a `<script>` element. Everything else outside ASCII is written as is.
pub(crate) fn write_quoted(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut flushed = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            let action = ASCII[b as usize];
            if action != 0 {
                out.push_str(&s[flushed..i]);
                match action {
                    1 => {
                        const HEX: &[u8; 16] = b"0123456789abcdef";
                        out.push_str("\\u00");
                        out.push(HEX[(b >> 4) as usize] as char);
                        out.push(HEX[(b & 0xf) as usize] as char);
                    }
                    2 => out.push_str("\\u003C"),
                    c => {
                        out.push('\\');
                        out.push(c as char);
                    }
                }
                flushed = i + 1;
            }
            i += 1;
        } else if b == 0xE2
            && i + 2 < bytes.len()
            && bytes[i + 1] == 0x80
            && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9)
        {
            out.push_str(&s[flushed..i]);
            out.push_str(if bytes[i + 2] == 0xA8 {
                "\\u2028"
            } else {
                "\\u2029"
            });
            i += 3;
            flushed = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[flushed..]);
    out.push('"');
}

/// The largest integer that JavaScript numbers hold exactly (2^53 - 1);
/// integers beyond it are written as `BigInt`.
pub(crate) const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Appends a finite `f64` as JavaScript's `String(number)` prints it.
/// `-0` must be handled by the caller (it is a sentinel in devalue).
pub(crate) fn write_f64(out: &mut String, v: f64) {
    debug_assert!(v.is_finite());
    out.push_str(ryu_js::Buffer::new().format_finite(v));
}

/// Appends a finite `f32` in the shortest form that reads back as the same
/// `f32`, in JavaScript's notation.
pub(crate) fn write_f32(out: &mut String, v: f32) {
    debug_assert!(v.is_finite());
    out.push_str(ryu_js::Buffer::new().format_finite(v));
}

/// If `key` is a JavaScript array index (a canonical decimal integer below
/// 2^32 - 1), its value. Objects enumerate such keys first, ascending.
pub(crate) fn array_index(key: &str) -> Option<u32> {
    let bytes = key.as_bytes();
    match bytes {
        [] => None,
        [b'0'] => Some(0),
        [b'1'..=b'9', ..] if bytes.len() <= 10 => {
            let mut n: u64 = 0;
            for &b in bytes {
                if !b.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u64::from(b - b'0');
            }
            if n <= u64::from(u32::MAX - 1) {
                Some(n as u32)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> String {
        let mut out = String::new();
        write_quoted(&mut out, s);
        out
    }

    #[test]
    fn quoting_matches_devalue() {
        assert_eq!(q(""), r#""""#);
        assert_eq!(q("plain"), r#""plain""#);
        assert_eq!(q("</script>"), r#""\u003C/script>""#);
        assert_eq!(q("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(q("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(q("\u{0}\u{1f}\u{7f}"), "\"\\u0000\\u001f\u{7f}\"");
        assert_eq!(q("x\u{2028}y\u{2029}z"), r#""x\u2028y\u2029z""#);
        assert_eq!(q("é😀\u{2027}\u{202a}"), "\"é😀\u{2027}\u{202a}\"");
        assert_eq!(q("/>&'"), r#""/>&'""#);
    }

    fn f(v: f64) -> String {
        let mut out = String::new();
        write_f64(&mut out, v);
        out
    }

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(f(0.0), "0");
        assert_eq!(f(1.0), "1");
        assert_eq!(f(-1.5), "-1.5");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(0.000001), "0.000001");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(f(9007199254740992.0), "9007199254740992");
        let mut out = String::new();
        write_f32(&mut out, 0.1);
        assert_eq!(out, "0.1");
    }

    #[test]
    fn array_indices() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("10"), Some(10));
        assert_eq!(array_index("4294967294"), Some(4294967294));
        for s in ["", "01", "-1", "1.0", "4294967295", "99999999999", "a", "1a", " 1"] {
            assert_eq!(array_index(s), None, "{s:?}");
        }
    }
}
