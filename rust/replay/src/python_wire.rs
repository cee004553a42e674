//! The pyo3 glue of the hot calls' wire work: request heads ([`crate::sigv4`])
//! and response heads ([`crate::http_head`]).
//!
//! Everything here takes microseconds, so it runs with the GIL held, except
//! hashing a large request body.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::http_head::{self, Framing};
use crate::python::DETACH_MIN_BYTES;
use crate::sigv4::{Credentials, RequestSigner};

/// The latest `now` [`PyRequestSigner::sign`] accepts: the end of year 9999,
/// the last `X-Amz-Date` with four year digits.
const LAST_SIGNABLE_SECOND: f64 = 253_402_300_799.0;

/// `framing` of [`parse_response_head`] for a chunked body.
const CHUNKED: i64 = -1;
/// `framing` of [`parse_response_head`] for a body that runs to the end.
const UNFRAMED: i64 = -2;

#[pyclass(name = "RequestSigner", module = "botoflowx._replay", frozen)]
pub struct PyRequestSigner {
    inner: RequestSigner,
}

#[pymethods]
impl PyRequestSigner {
    #[new]
    #[pyo3(signature = (*, host, path, region, service, target_prefix, opening, user_agent))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        host: &str,
        path: &str,
        region: &str,
        service: &str,
        target_prefix: &str,
        opening: &[u8],
        user_agent: &str,
    ) -> Self {
        Self {
            inner: RequestSigner::new(
                host,
                path,
                region,
                service,
                target_prefix,
                opening,
                user_agent,
            ),
        }
    }

    /// `(X-Amz-Date, Authorization)` of one call.
    #[pyo3(signature = (operation, body, access_key, secret_key, token=None, *, now=None))]
    fn sign(
        &self,
        operation: &str,
        body: &[u8],
        access_key: &str,
        secret_key: &str,
        token: Option<&str>,
        now: Option<f64>,
    ) -> PyResult<(String, String)> {
        if let Some(now) = now {
            if !(0.0..=LAST_SIGNABLE_SECOND).contains(&now) {
                return Err(PyValueError::new_err(format!(
                    "now must be seconds since the epoch up to the end of year 9999, got {now}"
                )));
            }
        }
        let credentials = Credentials {
            access_key,
            secret_key,
            token,
        };
        let signature = self.inner.sign(operation, body, credentials, now);
        Ok((signature.amz_date, signature.authorization))
    }

    /// The whole signed request head of one call, signed now.
    #[pyo3(signature = (operation, body, access_key, secret_key, token=None))]
    fn head<'py>(
        &self,
        py: Python<'py>,
        operation: &str,
        body: &[u8],
        access_key: &str,
        secret_key: &str,
        token: Option<&str>,
    ) -> Bound<'py, PyBytes> {
        let credentials = Credentials {
            access_key,
            secret_key,
            token,
        };
        let head = if body.len() >= DETACH_MIN_BYTES {
            // Hashing a large answer (up to 1 MB of decisions) would stall
            // every other Python thread.
            py.detach(|| self.inner.head(operation, body, credentials))
        } else {
            self.inner.head(operation, body, credentials)
        };
        PyBytes::new(py, &head)
    }
}

/// Where the head starting at `start` ends, if its blank line lies before `stop`.
#[pyfunction]
fn head_end(buffer: &[u8], start: usize, stop: usize) -> Option<usize> {
    http_head::head_end(buffer, start, stop)
}

/// The status code of a head's status line (its fields are not read).
#[pyfunction]
fn response_status(head: &[u8]) -> PyResult<u16> {
    http_head::response_status(head).map_err(PyValueError::new_err)
}

/// `(status, keep_alive, framing)` of a complete response head; `framing` is
/// the `Content-Length` (at most `max_body`), `-1` for chunked, `-2` for a
/// body that runs to the end.
#[pyfunction]
fn parse_response_head(head: &[u8], max_body: u64) -> PyResult<(u16, bool, i64)> {
    let max_body = max_body.min(i64::MAX.unsigned_abs());
    let parsed = http_head::parse_response_head(head, max_body).map_err(PyValueError::new_err)?;
    let framing = match parsed.framing {
        // At most max_body, which fits.
        Framing::Length(length) => i64::try_from(length).unwrap_or(i64::MAX),
        Framing::Chunked => CHUNKED,
        Framing::Unframed => UNFRAMED,
    };
    Ok((parsed.status, parsed.keep_alive, framing))
}

/// Checks the field lines of a chunked body's trailer.
#[pyfunction]
fn check_trailer(trailer: &[u8]) -> PyResult<()> {
    http_head::check_trailer(trailer).map_err(PyValueError::new_err)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRequestSigner>()?;
    m.add_function(wrap_pyfunction!(head_end, m)?)?;
    m.add_function(wrap_pyfunction!(response_status, m)?)?;
    m.add_function(wrap_pyfunction!(parse_response_head, m)?)?;
    m.add_function(wrap_pyfunction!(check_trailer, m)?)?;
    Ok(())
}
