//! Assets mochi serves (the runtime, client modules and their imports) go
//! out precompressed: each text is encoded once, with brotli and gzip at
//! their best settings, and every later request gets the encoding its
//! `Accept-Encoding` prefers, at no cost.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;

use crate::context::lock;

/// An asset's text, encoded.
#[derive(Debug)]
pub(crate) struct Encoded {
    pub(crate) br: Bytes,
    pub(crate) gzip: Bytes,
}

/// The encoding an answer goes out in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// The encoding to answer `accept` (an `Accept-Encoding` value) with:
/// brotli if accepted, else gzip, else none. A coding listed with `q=0` is
/// refused.
pub(crate) fn choose(accept: Option<&str>) -> Encoding {
    let accepts = |coding: &str| {
        accept.is_some_and(|accept| {
            accept.split(',').any(|item| {
                let mut parts = item.split(';').map(str::trim);
                let name = parts.next().unwrap_or("");
                let refused = parts.any(|p| {
                    let q = p.strip_prefix("q=").map(str::trim);
                    q.and_then(|q| q.parse::<f32>().ok()) == Some(0.0)
                });
                name.eq_ignore_ascii_case(coding) && !refused
            })
        })
    };
    if accepts("br") {
        Encoding::Br
    } else if accepts("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// `text` encoded, made on its first request. Each asset's text lives as
/// long as the process (`'static`), so its address names it.
pub(crate) fn encoded(text: &'static str) -> Arc<Encoded> {
    type Cache = HashMap<(usize, usize), Arc<OnceLock<Arc<Encoded>>>>;
    static CACHE: Mutex<Option<Cache>> = Mutex::new(None);
    let key = (text.as_ptr() as usize, text.len());
    let cell = {
        let mut cache = lock(&CACHE);
        let cache = cache.get_or_insert_with(HashMap::new);
        cache.entry(key).or_default().clone()
    };
    // Outside the table's lock; requests for the same asset meanwhile wait
    // for this one encoding instead of making their own.
    let encoded = cell.get_or_init(|| {
        Arc::new(Encoded {
            br: brotli(text.as_bytes()),
            gzip: gzip(text.as_bytes()),
        })
    });
    encoded.clone()
}

fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    {
        // Quality 11, a 4 MiB window: the smallest output, made once.
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        // Writing to a `Vec` cannot fail.
        let _ = writer.write_all(bytes);
    }
    Bytes::from(out)
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a `Vec` cannot fail.
    let _ = encoder.write_all(bytes);
    Bytes::from(encoder.finish().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_accepted_coding_wins() {
        assert_eq!(choose(Some("gzip, deflate, br, zstd")), Encoding::Br);
        assert_eq!(choose(Some("gzip")), Encoding::Gzip);
        assert_eq!(choose(Some("br;q=0, gzip;q=0.5")), Encoding::Gzip);
        assert_eq!(choose(Some("BR")), Encoding::Br);
        assert_eq!(choose(Some("identity")), Encoding::Identity);
        assert_eq!(choose(Some("gzip;q=0")), Encoding::Identity);
        assert_eq!(choose(None), Encoding::Identity);
    }

    #[test]
    fn each_encoding_decodes_to_the_text_and_is_made_once() {
        static TEXT: &str = "export default function () { return 'mochi mochi mochi'; }";
        let encoded = encoded(TEXT);
        assert!(Arc::ptr_eq(&encoded, &super::encoded(TEXT)), "made once");
        let mut br = Vec::new();
        brotli::BrotliDecompress(&mut &encoded.br[..], &mut br).expect("brotli");
        assert_eq!(br, TEXT.as_bytes());
        let mut gz = String::new();
        let mut decoder = flate2::read::GzDecoder::new(&encoded.gzip[..]);
        std::io::Read::read_to_string(&mut decoder, &mut gz).expect("gzip");
        assert_eq!(gz, TEXT);
    }
}
