//! History index, replay state machines and decision diff for botoflowx.
//!
//! Placeholder: the real crate lands with the replay core.

/// Counts the events in one SWF history page (raw JSON bytes).
pub fn count_events(page: &[u8]) -> Result<usize, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Page {
        events: Vec<serde::de::IgnoredAny>,
    }
    let page: Page = serde_json::from_slice(page)?;
    Ok(page.events.len())
}

#[cfg(feature = "python")]
mod python {
    use pyo3::prelude::*;

    #[pyfunction]
    fn count_events(page: &[u8]) -> PyResult<usize> {
        super::count_events(page)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
    }

    #[pymodule]
    fn _replay(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add_function(wrap_pyfunction!(count_events, m)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts() {
        assert_eq!(super::count_events(br#"{"events":[{},{}]}"#).unwrap(), 2);
    }
}
