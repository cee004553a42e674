//! The pyo3 glue of the call-input fast path: `[[args...], {kwargs}]` as JSON
//! text in one call, for the inputs made of JSON scalars only.
//!
//! The default converter writes such an input exactly as `orjson.dumps` does
//! (there is nothing to tag); a full replay re-encodes the input of every
//! activity call of the history, so that common case skips the Python type walk
//! and the intermediate lists. Anything else (floats, whose text orjson and
//! this crate may spell differently; big ints; strings that are not valid
//! UTF-8; containers; user types) answers `None` and takes the converter's
//! general path, which also explains what it cannot encode.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

/// The converter's reserved key (`botoflowx._converter_codec.TAG`): a keyword
/// argument of that name must go through the general path, which refuses it.
const TAG: &str = "__bfx__";

/// Appends one JSON scalar; false when `value` is not one this path writes.
fn write_scalar(out: &mut Vec<u8>, value: &Bound<'_, PyAny>) -> bool {
    if value.is_none() {
        out.extend_from_slice(b"null");
        return true;
    }
    if let Ok(text) = value.cast_exact::<PyString>() {
        return match text.to_str() {
            Ok(text) => write_str(out, text),
            Err(_) => false,
        };
    }
    if let Ok(flag) = value.cast_exact::<PyBool>() {
        out.extend_from_slice(if flag.is_true() { b"true" } else { b"false" });
        return true;
    }
    if let Ok(number) = value.cast_exact::<PyInt>() {
        // The range the converter writes as a bare number; wider ints are tagged.
        if let Ok(n) = number.extract::<i64>() {
            return serde_json::to_writer(&mut *out, &n).is_ok();
        }
        if let Ok(n) = number.extract::<u64>() {
            return serde_json::to_writer(&mut *out, &n).is_ok();
        }
    }
    false
}

/// Appends `items` as JSON scalars separated by commas; false at the first
/// that is not one.
fn write_items<'py>(out: &mut Vec<u8>, items: impl Iterator<Item = Bound<'py, PyAny>>) -> bool {
    for (index, item) in items.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        if !write_scalar(out, &item) {
            return false;
        }
    }
    true
}

fn write_str(out: &mut Vec<u8>, text: &str) -> bool {
    serde_json::to_writer(&mut *out, text).is_ok()
}

/// `[[*args], {**kwargs}]` as JSON text when every value is a JSON scalar
/// (None, bool, str, an int of 64 bits) and every key a str other than the
/// reserved one; otherwise None (also when `args` is not a tuple or list, or
/// `kwargs` not a dict).
#[pyfunction]
fn plain_call_json<'py>(
    py: Python<'py>,
    args: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyAny>,
) -> Option<Bound<'py, PyString>> {
    let kwargs = kwargs.cast_exact::<PyDict>().ok()?;
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"[[");
    let written = if let Ok(args) = args.cast_exact::<PyTuple>() {
        write_items(&mut out, args.iter())
    } else {
        write_items(&mut out, args.cast_exact::<PyList>().ok()?.iter())
    };
    if !written {
        return None;
    }
    out.extend_from_slice(b"],{");
    for (index, (key, value)) in kwargs.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        let key = key.cast_exact::<PyString>().ok()?;
        let key = key.to_str().ok()?;
        if key == TAG || !write_str(&mut out, key) {
            return None;
        }
        out.push(b':');
        if !write_scalar(&mut out, &value) {
            return None;
        }
    }
    out.extend_from_slice(b"}]");
    // Only serde_json's writers and ASCII punctuation filled it: valid UTF-8.
    let text = std::str::from_utf8(&out).ok()?;
    Some(PyString::new(py, text))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(plain_call_json, m)?)?;
    Ok(())
}
