//! The pyo3 glue of the hot calls' wire work: request heads ([`crate::sigv4`])
//! and response heads ([`crate::http_head`]).
//!
//! Everything here takes microseconds, so it runs with the GIL held.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::http_head::{self, Framing};
use crate::sigv4::{Credentials, RequestSigner};

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
    ) -> (String, String) {
        let credentials = Credentials {
            access_key,
            secret_key,
            token,
        };
        let signature = self.inner.sign(operation, body, credentials, now);
        (signature.amz_date, signature.authorization)
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
        PyBytes::new(py, &self.inner.head(operation, body, credentials))
    }
}

/// Where the head starting at `start` ends, if its blank line lies before `stop`.
#[pyfunction]
fn head_end(buffer: &[u8], start: usize, stop: usize) -> Option<usize> {
    http_head::head_end(buffer, start, stop)
}

/// `(status, keep_alive, framing)` of a complete response head; `framing` is
/// the `Content-Length`, `-1` for chunked, `-2` for a body that runs to the end.
#[pyfunction]
fn parse_response_head(head: &[u8]) -> PyResult<(u16, bool, i64)> {
    let parsed = http_head::parse_response_head(head).map_err(PyValueError::new_err)?;
    let framing = match parsed.framing {
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
    m.add_function(wrap_pyfunction!(parse_response_head, m)?)?;
    m.add_function(wrap_pyfunction!(check_trailer, m)?)?;
    Ok(())
}
