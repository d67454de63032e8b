//! Session cookies: an opaque random token in an `HttpOnly`, `SameSite=Lax`
//! cookie; the database keeps only the token's SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cookie::{time, Cookie, SameSite};
use sha2::{Digest as _, Sha256};

use crate::db::SESSION_TTL;

/// The session cookie's name.
pub const COOKIE: &str = "mochi_session";

/// Random bytes in a token: 256 bits, unguessable.
const TOKEN_BYTES: usize = 32;

/// A session token: what the cookie holds. Not `Debug`, so it is not
/// logged by accident.
pub struct Token(String);

impl Token {
    /// The cookie value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fresh random token.
pub(crate) fn new_token() -> Token {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    Token(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `token` has a token's shape (so junk never reaches a query).
pub(crate) fn plausible_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The id a token's session row is stored under: hex SHA-256.
pub(crate) fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    hex
}

/// The session cookie for `token`. `Secure` when the page's origin is
/// HTTPS (as mochi sees it: the connection, or `Forwarded` /
/// `X-Forwarded-Proto` when the app trusts them).
pub(crate) fn cookie(token: &Token) -> Cookie<'static> {
    let page = mochi::request_context().page_url();
    let secure = page.is_some_and(|url| url.starts_with("https:"));
    Cookie::build((COOKIE, token.as_str().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::seconds(SESSION_TTL.as_secs() as i64))
        .build()
}

/// A cookie that makes the browser forget the session cookie.
pub(crate) fn removal_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build((COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    cookie.make_removal();
    cookie
}

/// The session token of the request a page or an island renders for, if
/// any.
pub(crate) fn request_token() -> Option<String> {
    mochi::request_context().cookie(COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_plausible() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a.as_str(), b.as_str());
        assert!(plausible_token(a.as_str()), "{}", a.as_str());
        assert!(!plausible_token("short"));
        assert!(!plausible_token(&format!("{}=", &a.as_str()[..42])));
    }

    #[test]
    fn the_database_sees_only_a_hash() {
        let token = new_token();
        let hash = token_hash(token.as_str());
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(token.as_str()));
        assert_eq!(hash, token_hash(token.as_str()));
    }
}
