//! The one error type of the replay core.

use std::fmt;

/// Everything that can go wrong while parsing, indexing or matching history.
///
/// The Python glue maps each variant to one exception class, in one place
/// (`python.rs`); the Rust side never panics on input-derived data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// A page is not valid SWF JSON, or an event is unknown or lacks a
    /// required attribute, or events contradict each other.
    MalformedHistory(String),
    /// Event ids are not contiguous after merging pages.
    HistoryGap(String),
    /// The workflow code's commands contradict the recorded decisions.
    NonDeterminism {
        /// The history event at fault (0 when none can be named).
        event_id: u64,
        /// `file:line in function` of the offending command ("" when none).
        location: String,
        /// The full human-readable explanation.
        message: String,
    },
    /// The API was used out of order (e.g. completing without an activation)
    /// or was handed a command it does not understand.
    Usage(String),
}

impl ReplayError {
    #[cold]
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::MalformedHistory(message.into())
    }

    #[cold]
    pub(crate) fn gap(message: impl Into<String>) -> Self {
        Self::HistoryGap(message.into())
    }

    #[cold]
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedHistory(m) | Self::HistoryGap(m) | Self::Usage(m) => f.write_str(m),
            Self::NonDeterminism { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Shorthand used across the crate.
pub type Result<T, E = ReplayError> = std::result::Result<T, E>;
