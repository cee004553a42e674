//! One response page of PollForDecisionTask or GetWorkflowExecutionHistory.

use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{ReplayError, Result};
use crate::event::Event;
use crate::raw::{EventSeed, RawExecution, RawType, Str};

/// A parsed page: the task fields and the page's events, in page order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// Absent on history pages and empty polls.
    pub task_token: Option<Box<str>>,
    pub started_event_id: u64,
    pub previous_started_event_id: u64,
    pub workflow_id: Option<Box<str>>,
    pub run_id: Option<Box<str>>,
    pub workflow_type_name: Option<Box<str>>,
    pub workflow_type_version: Option<Box<str>>,
    pub next_page_token: Option<Box<str>>,
    /// In page order: ascending, or descending for `reverseOrder` pages.
    pub events: Vec<Event>,
}

impl Page {
    /// Parses raw response bytes.
    ///
    /// # Errors
    /// `MalformedHistory` when the bytes are not a JSON object with an
    /// `events` list of well-formed SWF events (an empty poll, with neither
    /// `taskToken` nor `events`, is accepted as an empty page).
    pub fn parse(data: &[u8]) -> Result<Self> {
        // One bulk UTF-8 check up front is cheaper than serde_json's check
        // of every string it borrows from a byte slice.
        let text = std::str::from_utf8(data).map_err(|e| {
            ReplayError::malformed(format!("invalid history page: not UTF-8 ({e})"))
        })?;
        let raw: RawPage<'_> = serde_json::from_str(text)
            .map_err(|e| ReplayError::malformed(format!("invalid history page: {e}")))?;
        let Some(events) = raw.events else {
            if raw.task_token.is_some() {
                return Err(ReplayError::malformed(
                    "invalid history page: a decision task without `events`",
                ));
            }
            return Ok(Self {
                started_event_id: raw.started_event_id.unwrap_or(0),
                previous_started_event_id: raw.previous_started_event_id.unwrap_or(0),
                next_page_token: raw.next_page_token.map(Str::into_box),
                ..Self::default()
            });
        };
        let (workflow_id, run_id) = match raw.workflow_execution {
            Some(e) => (
                e.workflow_id.map(Str::into_box),
                e.run_id.map(Str::into_box),
            ),
            None => (None, None),
        };
        let (workflow_type_name, workflow_type_version) = match raw.workflow_type {
            Some(t) => (t.name.map(Str::into_box), t.version.map(Str::into_box)),
            None => (None, None),
        };
        Ok(Self {
            task_token: raw.task_token.map(Str::into_box),
            started_event_id: raw.started_event_id.unwrap_or(0),
            previous_started_event_id: raw.previous_started_event_id.unwrap_or(0),
            workflow_id,
            run_id,
            workflow_type_name,
            workflow_type_version,
            next_page_token: raw.next_page_token.map(Str::into_box),
            events: events.0,
        })
    }

    /// Id of the first event in page order (0 when the page is empty).
    pub fn first_event_id(&self) -> u64 {
        self.events.first().map_or(0, |e| e.id)
    }

    /// Id of the last event in page order (0 when the page is empty).
    pub fn last_event_id(&self) -> u64 {
        self.events.last().map_or(0, |e| e.id)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPage<'a> {
    events: Option<Events>,
    #[serde(borrow)]
    task_token: Option<Str<'a>>,
    started_event_id: Option<u64>,
    previous_started_event_id: Option<u64>,
    #[serde(borrow)]
    next_page_token: Option<Str<'a>>,
    #[serde(borrow)]
    workflow_execution: Option<RawExecution<'a>>,
    #[serde(borrow)]
    workflow_type: Option<RawType<'a>>,
}

/// The `events` list, normalized element by element so the borrowed raw
/// view of an event never outlives the parse of that event.
struct Events(Vec<Event>);

impl<'de> Deserialize<'de> for Events {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventsVisitor;

        impl<'de> Visitor<'de> for EventsVisitor {
            type Value = Events;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of history events")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut events = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while seq.next_element_seed(EventSeed(&mut events))?.is_some() {}
                Ok(Events(events))
            }
        }

        deserializer.deserialize_seq(EventsVisitor)
    }
}
