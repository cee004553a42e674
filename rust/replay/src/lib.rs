//! History index, replay state machines and decision diff for botoflowx.
//!
//! A plain Rust library: raw SWF history pages in ([`Page::parse`]), one
//! [`Activation`] per decision-task boundary out ([`Replayer`]), and the
//! decision diff of the workflow code's commands back ([`diff()`]). The hot
//! calls' wire work lives here too: their signed request heads
//! ([`RequestSigner`]) and the framing of their response heads
//! ([`parse_response_head`]). The pyo3 glue (`botoflowx._replay`) lives
//! behind the `python` feature, with the default converter's fast path for
//! call inputs of JSON scalars (`plain_call_json`).

mod activation;
mod command;
mod diff;
mod error;
mod event;
mod history;
mod http_head;
mod kind;
mod page;
mod raw;
mod replayer;
mod sigv4;

#[cfg(feature = "python")]
mod python;
#[cfg(feature = "python")]
mod python_payload;
#[cfg(feature = "python")]
mod python_wire;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use activation::{Activation, Job, JobKind};
pub use command::{Command, DecisionType, RecordedCommand};
pub use diff::diff;
pub use error::{ReplayError, Result};
pub use event::{Attrs, Event, WorkflowStarted};
pub use history::History;
pub use http_head::{
    check_trailer, head_end, parse_response_head, response_status, Framing, ResponseHead,
};
pub use kind::EventKind;
pub use page::Page;
pub use replayer::Replayer;
pub use sigv4::{Credentials, RequestSigner, Signature};
