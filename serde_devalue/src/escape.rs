//! Text helpers that must match JavaScript exactly: devalue's string
//! quoting, `Number.prototype.toString`, and which property names JavaScript
//! treats as array indices (they are enumerated first, in numeric order).

/// What to do with each byte of a string: 0 = copy it; `u` = write
/// `\u00XX`; `<` = write `\u003C`; 0xE2 = maybe U+2028/U+2029 (whose UTF-8
/// starts with it); anything else = the letter after a backslash (`\n`).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'<' as usize] = b'<';
    t[0xE2] = 0xE2;
    t
};

/// The index of the first byte at or after `pos` that [`ESCAPE`] does not
/// copy as is (or the length). Eight bytes at a time, with the usual "has a
/// zero byte" bit tricks: for each test the lowest flagged byte is a true
/// match (borrows only flag bytes above a match), so the lowest flag overall
/// is the first special byte.
#[inline]
fn next_special(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    #[inline(always)]
    fn zero_byte(v: u64) -> u64 {
        v.wrapping_sub(ONES) & !v
    }
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(chunk);
        let hits = (x.wrapping_sub(ONES * 0x20) & !x)
            | zero_byte(x ^ (ONES * u64::from(b'"')))
            | zero_byte(x ^ (ONES * u64::from(b'\\')))
            | zero_byte(x ^ (ONES * u64::from(b'<')))
            | zero_byte(x ^ (ONES * 0xE2));
        let hits = hits & HIGH;
        if hits != 0 {
            return pos + (hits.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&b) = bytes.get(pos) {
        if ESCAPE[b as usize] != 0 {
            return pos;
        }
        pos += 1;
    }
    pos
}

/// Appends `s` as devalue's `stringify_string` writes it: a JSON string in
/// which `<`, U+2028 and U+2029 are also escaped, so the text can sit inside
/// a `<script>` element. Everything else outside ASCII is written as is.
pub(crate) fn write_quoted(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // Short strings with nothing to escape (most props strings): no
    // bookkeeping of flushed runs.
    if bytes.len() < 8 && bytes.iter().all(|&b| ESCAPE[b as usize] == 0) {
        out.reserve(bytes.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    out.reserve(s.len() + 2);
    out.push('"');
    let mut flushed = 0;
    let mut i = 0;
    loop {
        i = next_special(bytes, i);
        let Some(&byte) = bytes.get(i) else {
            break;
        };
        let action = ESCAPE[byte as usize];
        let escape: &str = match action {
            0xE2 => match bytes.get(i + 1..i + 3) {
                Some([0x80, 0xA8]) => "\\u2028",
                Some([0x80, 0xA9]) => "\\u2029",
                _ => {
                    i += 1;
                    continue;
                }
            },
            b'u' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str(&s[flushed..i]);
                out.push_str("\\u00");
                out.push(HEX[(byte >> 4) as usize] as char);
                out.push(HEX[(byte & 0xf) as usize] as char);
                i += 1;
                flushed = i;
                continue;
            }
            b'<' => "\\u003C",
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'b' => "\\b",
            b't' => "\\t",
            b'n' => "\\n",
            b'f' => "\\f",
            _ => "\\r",
        };
        out.push_str(&s[flushed..i]);
        out.push_str(escape);
        i += if action == 0xE2 { 3 } else { 1 };
        flushed = i;
    }
    out.push_str(&s[flushed..]);
    out.push('"');
}

/// Appends a non-negative slot index or a negative sentinel.
#[inline(always)]
pub(crate) fn write_index(out: &mut String, i: i64) {
    if (0..10).contains(&i) {
        out.push((b'0' + i as u8) as char);
    } else if (10..100).contains(&i) {
        out.push((b'0' + (i / 10) as u8) as char);
        out.push((b'0' + (i % 10) as u8) as char);
    } else {
        write_index_slow(out, i);
    }
}

/// Appends an integer (small ones without a formatting buffer).
#[inline]
pub(crate) fn write_int(out: &mut String, i: i64) {
    write_index(out, i);
}

#[inline(never)]
fn write_index_slow(out: &mut String, i: i64) {
    out.push_str(itoa::Buffer::new().format(i));
}

/// The largest integer that JavaScript numbers hold exactly (2^53 - 1);
/// integers beyond it are written as `BigInt`.
pub(crate) const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Appends a finite `f64` as JavaScript's `String(number)` prints it.
/// `-0` must be handled by the caller (it is a sentinel in devalue).
pub(crate) fn write_f64(out: &mut String, v: f64) {
    debug_assert!(v.is_finite());
    if v.fract() == 0.0 && v.abs() < 1e15 {
        // Integral and exact: JavaScript prints the integer.
        out.push_str(itoa::Buffer::new().format(v as i64));
    } else {
        write_js_number(out, zmij::Buffer::new().format_finite(v));
    }
}

/// Appends a finite `f32` in the shortest form that reads back as the same
/// `f32`, in JavaScript's notation.
pub(crate) fn write_f32(out: &mut String, v: f32) {
    debug_assert!(v.is_finite());
    write_js_number(out, zmij::Buffer::new().format_finite(v));
}

/// Rewrites a number printed by `zmij` (shortest round-trip digits, in
/// its layout: `12.5`, `100.0`, `0.001`, `1e21`, `1.5e-7`) in the layout
/// of ECMAScript's Number::toString: with the digits `d` (k of them, no
/// leading or trailing zeros) and the value `0.d × 10^n`,
/// - k ≤ n ≤ 21: the digits then n − k zeros (`100`),
/// - 0 < n ≤ 21: a decimal point after n digits (`12.5`),
/// - −6 < n ≤ 0: `0.`, −n zeros, the digits (`0.001`),
/// - otherwise exponential: `d.ddde±x` with x = n − 1 (`1e+21`, `1.5e-7`).
fn write_js_number(out: &mut String, printed: &str) {
    let (negative, text) = match printed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, printed),
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let mut digits = [0u8; 40];
    let mut k = 0usize;
    let mut point = 0i32; // digits before the decimal point
    let mut after_point = false;
    let mut leading = true;
    for b in mantissa.bytes() {
        if b == b'.' {
            after_point = true;
            continue;
        }
        if leading && b == b'0' {
            if after_point {
                point -= 1;
            }
            continue;
        }
        leading = false;
        if k < digits.len() {
            digits[k] = b;
            k += 1;
        }
        if !after_point {
            point += 1;
        }
    }
    if k == 0 {
        out.push('0');
        return;
    }
    while k > 1 && digits[k - 1] == b'0' {
        k -= 1;
    }
    let digits = &digits[..k];
    let n = point + exponent;
    let k = k as i32;
    if negative {
        out.push('-');
    }
    let push_digits = |out: &mut String, d: &[u8]| {
        for &c in d {
            out.push(c as char);
        }
    };
    if k <= n && n <= 21 {
        push_digits(out, digits);
        for _ in 0..n - k {
            out.push('0');
        }
    } else if 0 < n && n <= 21 {
        push_digits(out, &digits[..n as usize]);
        out.push('.');
        push_digits(out, &digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        for _ in 0..-n {
            out.push('0');
        }
        push_digits(out, digits);
    } else {
        push_digits(out, &digits[..1]);
        if k > 1 {
            out.push('.');
            push_digits(out, &digits[1..]);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(itoa::Buffer::new().format((n - 1).unsigned_abs()));
    }
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

    fn naive(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '<' => out.push_str("\\u003C"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        #[test]
        fn prop_quoting_matches_naive(s in "(\\PC|[\u{0}-\u{1f}\u{2028}\u{2029}\u{2027}\u{20ac}<\"\\\\]){0,40}") {
            proptest::prop_assert_eq!(q(&s), naive(&s));
        }
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

    proptest::proptest! {
        #[test]
        fn prop_f64_matches_ryu_js(bits in proptest::prelude::any::<u64>()) {
            let v = f64::from_bits(bits);
            if v.is_finite() && v != 0.0 {
                proptest::prop_assert_eq!(f(v), ryu_js::Buffer::new().format_finite(v).to_owned());
            }
        }

        #[test]
        fn prop_f64_decimal_matches_ryu_js(m in -1_000_000_000i64..1_000_000_000, e in -30i32..30) {
            let v = m as f64 * 10f64.powi(e);
            if v != 0.0 {
                proptest::prop_assert_eq!(f(v), ryu_js::Buffer::new().format_finite(v).to_owned());
            }
        }

        #[test]
        fn prop_f32_matches_ryu_js(bits in proptest::prelude::any::<u32>()) {
            let v = f32::from_bits(bits);
            if v.is_finite() && v != 0.0 {
                let mut out = String::new();
                write_f32(&mut out, v);
                proptest::prop_assert_eq!(out, ryu_js::Buffer::new().format_finite(v).to_owned());
            }
        }
    }

    #[test]
    fn numbers_print_like_javascript() {
        for v in [
            1e21,
            1e-7,
            1e-6,
            123e-20,
            1e15,
            1e16,
            999999999999999.9,
            0.5,
            2e-323,
            1.7e308,
            4.63,
        ] {
            assert_eq!(
                f(v),
                ryu_js::Buffer::new().format_finite(v).to_owned(),
                "{v}"
            );
            assert_eq!(
                f(-v),
                ryu_js::Buffer::new().format_finite(-v).to_owned(),
                "{v}"
            );
        }
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
        for s in [
            "",
            "01",
            "-1",
            "1.0",
            "4294967295",
            "99999999999",
            "a",
            "1a",
            " 1",
        ] {
            assert_eq!(array_index(s), None, "{s:?}");
        }
    }
}
