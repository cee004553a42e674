//! SigV4 request heads for SWF's JSON 1.0 calls, written in one pass.
//!
//! Every hot call is `POST <path>` to one endpoint with the same headers, so
//! the canonical request is a fixed template and the whole head (request
//! line, headers, signature) is one buffer. The signing key depends only on
//! the secret, the day, the region and the service: it is derived once per
//! day and kept as the SHA-256 states of its two HMAC pads, so each
//! signature costs two short hashes. The result is byte for byte what
//! botocore signs (the Python tests compare them).

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const SIGNED_HEADERS: &str = "content-type;host;x-amz-date;x-amz-target";
const SIGNED_HEADERS_WITH_TOKEN: &str =
    "content-type;host;x-amz-date;x-amz-security-token;x-amz-target";
const BLOCK: usize = 64;

/// The credentials of one call, frozen (key, secret and token of one refresh).
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    /// The session token of temporary credentials; empty counts as none.
    pub token: Option<&'a str>,
}

impl Credentials<'_> {
    fn token(&self) -> Option<&str> {
        self.token.filter(|t| !t.is_empty())
    }
}

/// The signed headers of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `X-Amz-Date`, e.g. `20261127T160521Z`.
    pub amz_date: String,
    /// The `Authorization` header value.
    pub authorization: String,
}

/// The day's signing key as the hash states of its HMAC pads.
struct SigningKey {
    secret: Box<str>,
    day: [u8; 8],
    inner: Sha256,
    outer: Sha256,
}

/// Signs `POST` calls to one SWF endpoint and writes their request heads.
///
/// Thread-safe: the signing key is cached behind a mutex held only to
/// clone two hash states.
pub struct RequestSigner {
    host: Box<str>,
    canonical_path: Box<str>,
    region: Box<str>,
    service: Box<str>,
    /// `/<region>/<service>/aws4_request`: the credential scope after the day.
    scope_tail: Box<str>,
    /// `SimpleWorkflowService.`: an operation's `X-Amz-Target` is this and its name.
    target_prefix: Box<str>,
    /// Everything of the head before the per-call fields: the caller's
    /// opening (request line, `Host`, any proxy fields) and `Content-Type`.
    prefix: Box<[u8]>,
    /// `User-Agent: ...\r\n`, written after the signature.
    user_agent: Box<[u8]>,
    key: Mutex<Option<SigningKey>>,
}

impl RequestSigner {
    /// A signer for `POST` calls to `host` (the `Host` value: the hostname,
    /// with `:port` only when it is not the scheme's default) at `path`,
    /// whose `X-Amz-Target` is `target_prefix.<operation>`.
    ///
    /// `opening` is what every head starts with: the request line (origin
    /// or absolute form), `Host` and any proxy fields, each ending in CRLF.
    pub fn new(
        host: &str,
        path: &str,
        region: &str,
        service: &str,
        target_prefix: &str,
        opening: &[u8],
        user_agent: &str,
    ) -> Self {
        let mut prefix = opening.to_vec();
        prefix.extend_from_slice(format!("Content-Type: {CONTENT_TYPE}\r\n").as_bytes());
        Self {
            host: host.into(),
            canonical_path: canonical_path(path).into(),
            region: region.into(),
            service: service.into(),
            scope_tail: format!("/{region}/{service}/aws4_request").into(),
            target_prefix: format!("{target_prefix}.").into(),
            prefix: prefix.into(),
            user_agent: format!("User-Agent: {user_agent}\r\n").into_bytes().into(),
            key: Mutex::new(None),
        }
    }

    /// Signs one call of `operation` at `now` (seconds since the epoch; the
    /// clock when None).
    pub fn sign(
        &self,
        operation: &str,
        body: &[u8],
        credentials: Credentials<'_>,
        now: Option<f64>,
    ) -> Signature {
        let date = amz_date(now.map_or_else(now_seconds, |t| t.floor() as i64));
        let mut authorization = Vec::with_capacity(224);
        self.write_authorization(&mut authorization, operation, body, credentials, &date);
        Signature {
            amz_date: String::from_utf8_lossy(&date).into_owned(),
            authorization: String::from_utf8_lossy(&authorization).into_owned(),
        }
    }

    /// The whole request head of one call, signed now: request line,
    /// headers, blank line.
    pub fn head(&self, operation: &str, body: &[u8], credentials: Credentials<'_>) -> Vec<u8> {
        let date = amz_date(now_seconds());
        let mut head = Vec::with_capacity(self.prefix.len() + 512);
        for part in [
            &*self.prefix,
            b"X-Amz-Target: ",
            self.target_prefix.as_bytes(),
            operation.as_bytes(),
            b"\r\nX-Amz-Date: ",
            &date,
            b"\r\n",
        ] {
            head.extend_from_slice(part);
        }
        if let Some(token) = credentials.token() {
            for part in [b"X-Amz-Security-Token: ", token.as_bytes(), b"\r\n"] {
                head.extend_from_slice(part);
            }
        }
        head.extend_from_slice(b"Authorization: ");
        self.write_authorization(&mut head, operation, body, credentials, &date);
        head.extend_from_slice(b"\r\n");
        head.extend_from_slice(&self.user_agent);
        head.extend_from_slice(b"Content-Length: ");
        push_decimal(&mut head, body.len());
        head.extend_from_slice(b"\r\n\r\n");
        head
    }

    /// Appends the `Authorization` value. The canonical request and the
    /// string to sign are streamed into their hashes, never built.
    fn write_authorization(
        &self,
        out: &mut Vec<u8>,
        operation: &str,
        body: &[u8],
        credentials: Credentials<'_>,
        date: &[u8; 16],
    ) {
        let token = credentials.token();
        let signed_headers = if token.is_some() {
            SIGNED_HEADERS_WITH_TOKEN
        } else {
            SIGNED_HEADERS
        };
        let mut canonical = Sha256::new();
        for part in [
            b"POST\n",
            self.canonical_path.as_bytes(),
            b"\n\ncontent-type:",
            CONTENT_TYPE.as_bytes(),
            b"\nhost:",
            self.host.as_bytes(),
            b"\nx-amz-date:",
            date,
            b"\n",
        ] {
            canonical.update(part);
        }
        if let Some(token) = token {
            for part in [b"x-amz-security-token:", token.as_bytes(), b"\n"] {
                canonical.update(part);
            }
        }
        for part in [
            b"x-amz-target:",
            self.target_prefix.as_bytes(),
            operation.as_bytes(),
            b"\n\n",
            signed_headers.as_bytes(),
            b"\n",
            &hex(&Sha256::digest(body).into()),
        ] {
            canonical.update(part);
        }

        let mut day = [0u8; 8];
        day.copy_from_slice(&date[..8]);
        let day = &day;
        let (mut inner, mut outer) = self.pads(credentials.secret_key, day);
        for part in [
            ALGORITHM.as_bytes(),
            b"\n",
            date,
            b"\n",
            day,
            self.scope_tail.as_bytes(),
            b"\n",
            &hex(&canonical.finalize().into()),
        ] {
            inner.update(part);
        }
        outer.update(inner.finalize());
        for part in [
            ALGORITHM.as_bytes(),
            b" Credential=",
            credentials.access_key.as_bytes(),
            b"/",
            day,
            self.scope_tail.as_bytes(),
            b", SignedHeaders=",
            signed_headers.as_bytes(),
            b", Signature=",
            &hex(&outer.finalize().into()),
        ] {
            out.extend_from_slice(part);
        }
    }

    /// The day's HMAC pad states, derived on the first call of a day or secret.
    fn pads(&self, secret: &str, day: &[u8; 8]) -> (Sha256, Sha256) {
        // A poisoned lock only means another thread panicked mid-clone; the
        // cache is rebuilt below if it is stale.
        let mut cached = self.key.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(key) = cached.as_ref() {
            if &*key.secret == secret && key.day == *day {
                return (key.inner.clone(), key.outer.clone());
            }
        }
        let mut key = hmac(format!("AWS4{secret}").as_bytes(), day);
        for part in [
            self.region.as_bytes(),
            self.service.as_bytes(),
            b"aws4_request",
        ] {
            key = hmac(&key, part);
        }
        let (inner, outer) = pad_states(&key);
        *cached = Some(SigningKey {
            secret: secret.into(),
            day: *day,
            inner: inner.clone(),
            outer: outer.clone(),
        });
        (inner, outer)
    }
}

/// The path as SigV4 canonicalizes it, as botocore does: empty and `.`
/// segments dropped, `..` resolved (RFC 3986 section 5.2.4), then
/// percent-encoded except `/` and unreserved characters (`quote(path,
/// safe="/~")`).
fn canonical_path(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    let mut normalized = String::with_capacity(path.len());
    if path.starts_with('/') {
        normalized.push('/');
    }
    normalized.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        normalized.push('/');
    }
    let mut out = String::with_capacity(normalized.len());
    for byte in normalized.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The inner and outer SHA-256 states of HMAC-SHA256 with `key`, each
/// having absorbed its padded key block.
fn pad_states(key: &[u8]) -> (Sha256, Sha256) {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    let mut outer = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    outer.update(block.map(|b| b ^ 0x5c));
    (inner, outer)
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let (mut inner, mut outer) = pad_states(key);
    inner.update(message);
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

fn hex(digest: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    out
}

fn push_decimal(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `YYYYMMDDTHHMMSSZ` of a UTC epoch second.
fn amz_date(seconds: i64) -> [u8; 16] {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = *b"00000000T000000Z";
    let fields = [
        (0, 4, year),
        (4, 2, month),
        (6, 2, day),
        (9, 2, of_day / 3600),
        (11, 2, of_day / 60 % 60),
        (13, 2, of_day % 60),
    ];
    for (at, width, mut value) in fields {
        for slot in out[at..at + width].iter_mut().rev() {
            *slot = b'0' + value.rem_euclid(10) as u8;
            value /= 10;
        }
    }
    out
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01),
/// by Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: Credentials<'static> = Credentials {
        access_key: "AKIDEXAMPLE",
        secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        token: None,
    };

    fn signer() -> RequestSigner {
        RequestSigner::new(
            "swf.eu-west-1.amazonaws.com",
            "/",
            "eu-west-1",
            "swf",
            "SimpleWorkflowService",
            b"POST / HTTP/1.1\r\nHost: swf.eu-west-1.amazonaws.com\r\n",
            "ua/1",
        )
    }

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(amz_date(0), *b"19700101T000000Z");
        assert_eq!(amz_date(1_795_795_521), *b"20261127T160521Z");
        assert_eq!(amz_date(951_782_400), *b"20000229T000000Z"); // a leap day
        assert_eq!(amz_date(4_107_542_399), *b"21000228T235959Z"); // 2100 is no leap year
    }

    fn hmac_hex(key: &[u8], message: &[u8]) -> String {
        let mac: [u8; 32] = hmac(key, message).try_into().unwrap_or_default();
        String::from_utf8_lossy(&hex(&mac)).into_owned()
    }

    #[test]
    fn the_hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hmac_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn lengths_are_written_in_decimal() {
        for n in [0, 7, 10, 1_000_000] {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn paths_are_normalized_then_percent_encoded_except_slashes_and_unreserved() {
        assert_eq!(canonical_path(""), "/");
        assert_eq!(canonical_path("/"), "/");
        assert_eq!(canonical_path("/a b/c~d%"), "/a%20b/c~d%25");
        assert_eq!(canonical_path("/a//b/./c/../d/"), "/a/b/d/");
        assert_eq!(canonical_path("/../.."), "/");
        assert_eq!(canonical_path("/é"), "/%C3%A9");
    }

    fn authorization(signer: &RequestSigner, secret: &'static str, now: f64) -> String {
        let credentials = Credentials {
            secret_key: secret,
            ..CREDENTIALS
        };
        signer
            .sign("T", b"{}", credentials, Some(now))
            .authorization
    }

    #[test]
    fn the_cached_key_follows_the_secret_and_the_day() {
        const NOW: f64 = 1_795_795_521.0;
        let cached = signer();
        let first = authorization(&cached, "one", NOW);
        assert_eq!(authorization(&cached, "one", NOW), first);
        let rotated = authorization(&cached, "two", NOW);
        let next_day = authorization(&cached, "one", NOW + 86_400.0);
        assert_ne!(rotated, first);
        assert_eq!(authorization(&signer(), "two", NOW), rotated);
        assert_eq!(authorization(&signer(), "one", NOW + 86_400.0), next_day);
    }

    #[test]
    fn the_head_carries_the_signature_and_the_token() {
        let credentials = Credentials {
            token: Some("TOKEN"),
            ..CREDENTIALS
        };
        let head = signer().head("PollForDecisionTask", b"{}", credentials);
        let text = String::from_utf8(head).unwrap_or_default();
        assert!(text.starts_with("POST / HTTP/1.1\r\nHost: swf.eu-west-1.amazonaws.com\r\n"));
        assert!(text.contains("\r\nX-Amz-Security-Token: TOKEN\r\n"));
        assert!(text.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="));
        assert!(text.ends_with("User-Agent: ua/1\r\nContent-Length: 2\r\n\r\n"));
    }
}
