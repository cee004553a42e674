//! HTTP/1.1 response heads of the hot calls: where a head ends and how its
//! body is framed, in one pass over the head's bytes.
//!
//! The socket reads stay in Python (plain or TLS sockets alike); this is the
//! per-response parsing that cost more there than the rest of an exchange.
//! Lines may end in CRLF or, as HTTP readers tolerate, a bare LF.

/// Field lines a head may have; an endpoint sending more is broken.
pub const MAX_FIELDS: usize = 100;

/// How the body after a head is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Neither: the body runs to the end of the stream (none for 204 and 304).
    Unframed,
}

/// What a response head says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    /// Whether the connection may carry another exchange.
    pub keep_alive: bool,
    pub framing: Framing,
}

/// Where the head starting at `start` ends (just past its blank line), when
/// the blank line lies wholly before `stop`; `None` when it does not (yet).
///
/// An empty head (the buffer at `start` is a blank line) ends right after it.
pub fn head_end(buffer: &[u8], start: usize, stop: usize) -> Option<usize> {
    let stop = stop.min(buffer.len());
    let window = buffer.get(start..stop)?;
    if window.starts_with(b"\n") {
        return Some(start + 1);
    }
    if window.starts_with(b"\r\n") {
        return Some(start + 2);
    }
    let mut from = 0;
    while let Some(offset) = window[from..].iter().position(|&b| b == b'\n') {
        let at = from + offset;
        match window.get(at + 1..) {
            Some([b'\n', ..]) => return Some(start + at + 2),
            Some([b'\r', b'\n', ..]) => return Some(start + at + 3),
            _ => from = at + 1,
        }
    }
    None
}

/// The status code of a head, from its status line alone (a proxy's answer
/// to `CONNECT`, whose fields do not matter).
///
/// # Errors
/// An empty head (the peer closed the connection) or a malformed status line.
pub fn response_status(head: &[u8]) -> Result<u16, String> {
    parse_status_line(head).map(|(_, status)| status)
}

/// Reads a complete head (status line, fields, blank line).
///
/// # Errors
/// A message saying what is wrong: an empty head (the server closed the
/// connection), a malformed status line, a field line without a colon, too
/// many fields, or a `Content-Length` that is not a number up to `max_body`.
pub fn parse_response_head(head: &[u8], max_body: u64) -> Result<ResponseHead, String> {
    let (version, status) = parse_status_line(head)?;
    let mut keep_alive = version == b"HTTP/1.1";
    let mut connection = None;
    let mut transfer_encoding = None;
    let mut content_length = None;
    let mut count = 0;
    for line in head.split(|&b| b == b'\n').skip(1) {
        count += 1;
        let Some(colon) = field_colon(line, count)? else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let slot = if name.eq_ignore_ascii_case(b"connection") {
            &mut connection
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            &mut transfer_encoding
        } else if name.eq_ignore_ascii_case(b"content-length") {
            &mut content_length
        } else {
            continue;
        };
        // The first occurrence counts.
        slot.get_or_insert(value.trim_ascii());
    }
    if let Some(value) = connection {
        if value.eq_ignore_ascii_case(b"close") {
            keep_alive = false;
        } else if value.eq_ignore_ascii_case(b"keep-alive") {
            keep_alive = true;
        }
    }
    let chunked = transfer_encoding.is_some_and(|value| {
        value
            .windows(7)
            .any(|word| word.eq_ignore_ascii_case(b"chunked"))
    });
    let framing = if chunked {
        Framing::Chunked
    } else if let Some(value) = content_length {
        Framing::Length(parse_length(value, max_body)?)
    } else {
        Framing::Unframed
    };
    Ok(ResponseHead {
        status,
        keep_alive,
        framing,
    })
}

/// Checks the field lines of a chunked body's trailer (up to its blank line).
///
/// # Errors
/// A field line without a colon, or too many fields.
pub fn check_trailer(trailer: &[u8]) -> Result<(), String> {
    for (count, line) in trailer.split(|&b| b == b'\n').enumerate() {
        field_colon(line, count + 1)?;
    }
    Ok(())
}

/// The colon of the `count`th line after the status line, `None` for the
/// blank line's remains.
fn field_colon(line: &[u8], count: usize) -> Result<Option<usize>, String> {
    // The blank line and what follows its last newline add two lines.
    if count > MAX_FIELDS + 2 {
        return Err(format!("more than {MAX_FIELDS} response headers"));
    }
    match line.iter().position(|&b| b == b':') {
        Some(colon) => Ok(Some(colon)),
        None if line.trim_ascii().is_empty() => Ok(None),
        None => Err(format!("malformed header line {}", shown(line))),
    }
}

/// The HTTP version and status code of a head's first line.
fn parse_status_line(head: &[u8]) -> Result<(&[u8], u16), String> {
    if head.is_empty() {
        return Err("the server closed the connection without answering".into());
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let (version, rest) = match line.iter().position(|&b| b == b' ') {
        Some(space) => (&line[..space], &line[space + 1..]),
        None => (line, &b""[..]),
    };
    match rest.get(..3) {
        Some(code) if version.starts_with(b"HTTP/1.") && code.iter().all(u8::is_ascii_digit) => {
            let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
            Ok((version, status))
        }
        _ => Err(format!("malformed status line {}", shown(line))),
    }
}

fn parse_length(value: &[u8], max_body: u64) -> Result<u64, String> {
    let (negative, digits) = match value {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, value),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(format!("invalid Content-Length {}", shown(value)));
    }
    let length = digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    match length {
        Some(length) if !negative && length <= max_body => Ok(length),
        // Digits only, so safe to show as they came.
        _ => Err(format!(
            "Content-Length {} is out of range (0..{max_body})",
            String::from_utf8_lossy(value)
        )),
    }
}

/// The first 100 bytes of a line as Python's `repr` shows bytes, so the
/// messages read as they did when this was Python.
fn shown(line: &[u8]) -> String {
    let cut = &line[..line.len().min(100)];
    let quote = if cut.contains(&b'\'') && !cut.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(cut.len() + 3);
    out.push('b');
    out.push(quote);
    for &byte in cut {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(byte) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_BODY: u64 = 1 << 28;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n\
        x-amzn-RequestId: r-1\r\nContent-Length: 12\r\n\r\n";

    #[test]
    fn a_head_ends_at_its_first_blank_line() {
        let mut buffer = OK.to_vec();
        buffer.extend_from_slice(b"{\"a\":\"\r\n\r\n\"}");
        assert_eq!(head_end(&buffer, 0, buffer.len()), Some(OK.len()));
        // Bare LF lines, and a bare-LF head followed by a body starting with CRLF.
        assert_eq!(
            head_end(b"HTTP/1.1 204 No\nA: b\n\n\r\nbody", 0, 99),
            Some(22)
        );
        // Not there yet, or past the bound.
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n", 0, 99), None);
        assert_eq!(head_end(OK, 0, OK.len() - 1), None);
        // An empty head, and a start inside the buffer.
        assert_eq!(head_end(b"\r\nrest", 0, 99), Some(2));
        assert_eq!(head_end(b"xx\nHTTP/1.1 200 OK\n\n", 3, 99), Some(20));
        assert_eq!(head_end(b"abc", 7, 99), None);
    }

    #[test]
    fn the_head_gives_status_connection_and_framing() {
        let head = parse_response_head(OK, MAX_BODY);
        assert_eq!(
            head,
            Ok(ResponseHead {
                status: 200,
                keep_alive: true,
                framing: Framing::Length(12)
            })
        );
        let closing = parse_response_head(
            b"HTTP/1.1 500 Oops\nconnection: Close\ntransfer-encoding: gzip, Chunked\n\n",
            MAX_BODY,
        );
        assert_eq!(
            closing,
            Ok(ResponseHead {
                status: 500,
                keep_alive: false,
                framing: Framing::Chunked
            })
        );
        let old = parse_response_head(
            b"HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n",
            MAX_BODY,
        );
        assert_eq!(
            old,
            Ok(ResponseHead {
                status: 204,
                keep_alive: true,
                framing: Framing::Unframed
            })
        );
        // The first Content-Length counts.
        let twice = parse_response_head(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            MAX_BODY,
        );
        assert_eq!(twice.map(|h| h.framing), Ok(Framing::Length(1)));
    }

    #[test]
    fn malformed_heads_say_what_is_wrong() {
        let err = |head: &[u8]| {
            parse_response_head(head, MAX_BODY)
                .err()
                .unwrap_or_default()
        };
        assert_eq!(
            err(b""),
            "the server closed the connection without answering"
        );
        assert_eq!(
            err(b"SPDY/3 200 OK\r\n\r\n"),
            "malformed status line b'SPDY/3 200 OK\\r'"
        );
        assert_eq!(
            err(b"HTTP/1.1 2x0 OK\r\n\r\n"),
            "malformed status line b'HTTP/1.1 2x0 OK\\r'"
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"),
            "malformed header line b'no colon here\\r'"
        );
        assert_eq!(
            err(b"HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n"),
            "invalid Content-Length b'1e3'"
        );
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for _ in 0..=MAX_FIELDS {
            many.extend_from_slice(b"A: b\r\n");
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(err(&many), "more than 100 response headers");
        assert_eq!(check_trailer(b"Checksum: x\r\n\r\n"), Ok(()));
        assert_eq!(
            check_trailer(b"oops\r\n\r\n"),
            Err("malformed header line b'oops\\r'".into())
        );
    }

    #[test]
    fn head_end_respects_the_bound_exactly() {
        let head = b"HTTP/1.1 200 OK\r\n\r\n";
        assert_eq!(head_end(head, 0, head.len()), Some(head.len()));
        // The blank line straddles the bound.
        assert_eq!(head_end(head, 0, head.len() - 1), None);
        assert_eq!(head_end(head, 40, 99), None);
    }

    #[test]
    fn connection_defaults_and_first_occurrences() {
        let framing = |head: &[u8]| parse_response_head(head, MAX_BODY);
        let old = framing(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(old.map(|h| h.keep_alive), Ok(false));
        let first =
            framing(b"HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n");
        assert_eq!(first.map(|h| h.keep_alive), Ok(false));
        let chunked_first = framing(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
        );
        assert_eq!(chunked_first.map(|h| h.framing), Ok(Framing::Chunked));
        // Chunked wins; the length is then not even read.
        let both = framing(
            b"HTTP/1.1 200 OK\r\nContent-Length: junk\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        assert_eq!(both.map(|h| h.framing), Ok(Framing::Chunked));
    }

    #[test]
    fn lengths_are_digits_up_to_the_bound() {
        let length = |value: &str| {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {value}\r\n\r\n");
            parse_response_head(head.as_bytes(), MAX_BODY).map(|h| h.framing)
        };
        assert_eq!(length("+5"), Ok(Framing::Length(5)));
        assert_eq!(length("007"), Ok(Framing::Length(7)));
        assert_eq!(length("268435456"), Ok(Framing::Length(MAX_BODY)));
        let out_of_range = |value: &str| {
            Err(format!(
                "Content-Length {value} is out of range (0..268435456)"
            ))
        };
        assert_eq!(length("268435457"), out_of_range("268435457"));
        assert_eq!(length("-1"), out_of_range("-1"));
        assert_eq!(
            length("99999999999999999999999"),
            out_of_range("99999999999999999999999")
        );
        assert_eq!(length("1_0"), Err("invalid Content-Length b'1_0'".into()));
    }

    #[test]
    fn the_status_alone_ignores_the_fields() {
        assert_eq!(
            response_status(b"HTTP/1.1 407 Auth\r\nbad line\r\n\r\n"),
            Ok(407)
        );
        assert_eq!(
            response_status(b""),
            Err("the server closed the connection without answering".into())
        );
        assert_eq!(
            response_status(b"nonsense\r\n\r\n"),
            Err("malformed status line b'nonsense\\r'".into())
        );
    }

    #[test]
    fn lines_are_shown_as_python_shows_bytes() {
        assert_eq!(shown(b"plain"), "b'plain'");
        assert_eq!(shown(b"it's"), "b\"it's\"");
        assert_eq!(shown(b"say \"hi\" it's"), "b'say \"hi\" it\\'s'");
        assert_eq!(shown(b"tab\there\x00\xff\\"), "b'tab\\there\\x00\\xff\\\\'");
        assert_eq!(shown(&[b'a'; 150]).len(), 103);
    }

    #[test]
    fn trailers_have_the_same_field_limit() {
        let mut trailer = Vec::new();
        for _ in 0..=MAX_FIELDS {
            trailer.extend_from_slice(b"A: b\n");
        }
        trailer.extend_from_slice(b"\n");
        assert_eq!(
            check_trailer(&trailer),
            Err("more than 100 response headers".into())
        );
        assert_eq!(check_trailer(b"A: b\n\n"), Ok(()));
    }
}
