//! Borrowed serde view of one history event: strings point into the page bytes.
//!
//! Nothing here allocates for a string unless it contains a JSON escape
//! (`Str` is a `Cow`), and members replay does not read are skipped by
//! serde's derived `IgnoredAny` handling. `event.rs` turns this view into the
//! owned, normalized `Event`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

/// A JSON string, borrowed from the input when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl Str<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_box(self) -> Box<str> {
        match self.0 {
            Cow::Borrowed(s) => s.into(),
            Cow::Owned(s) => s.into_boxed_str(),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrVisitor;

        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }

            // Reached when the string has escapes: serde_json had to unescape
            // it into a scratch buffer, so it must be copied.
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(StrVisitor)
    }
}

/// `{"name": ..., "version": ...}` (`ActivityType`, `WorkflowType`).
#[derive(Debug, Deserialize)]
pub(crate) struct RawType<'a> {
    #[serde(borrow)]
    pub(crate) name: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) version: Option<Str<'a>>,
}

/// `{"workflowId": ..., "runId": ...}` (`WorkflowExecution`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawExecution<'a> {
    #[serde(borrow)]
    pub(crate) workflow_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) run_id: Option<Str<'a>>,
}

/// `{"name": ...}` (`TaskList`).
#[derive(Debug, Deserialize)]
pub(crate) struct RawTaskList<'a> {
    #[serde(borrow)]
    pub(crate) name: Option<Str<'a>>,
}

/// The union of the attribute members replay reads, over all 54 event types.
///
/// Each event has exactly one attributes object; which of these members are
/// meaningful (and required) depends on its type, decided in `event.rs`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawAttrs<'a> {
    #[serde(borrow)]
    pub(crate) input: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) result: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) details: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) reason: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) cause: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) message: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) timeout_type: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) control: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) marker_name: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) timer_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) activity_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) signal_name: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) workflow_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) run_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) new_execution_run_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) name: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) child_policy: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) task_priority: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) execution_start_to_close_timeout: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) task_start_to_close_timeout: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) continued_execution_run_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) lambda_role: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) tag_list: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    pub(crate) task_list: Option<RawTaskList<'a>>,
    #[serde(borrow)]
    pub(crate) workflow_type: Option<RawType<'a>>,
    #[serde(borrow)]
    pub(crate) activity_type: Option<RawType<'a>>,
    #[serde(borrow)]
    pub(crate) workflow_execution: Option<RawExecution<'a>>,
    #[serde(borrow)]
    pub(crate) external_workflow_execution: Option<RawExecution<'a>>,
    #[serde(borrow)]
    pub(crate) parent_workflow_execution: Option<RawExecution<'a>>,
    pub(crate) decision_task_completed_event_id: Option<u64>,
    pub(crate) scheduled_event_id: Option<u64>,
    pub(crate) started_event_id: Option<u64>,
    pub(crate) initiated_event_id: Option<u64>,
    pub(crate) parent_initiated_event_id: Option<u64>,
    pub(crate) external_initiated_event_id: Option<u64>,
}

/// One `HistoryEvent` object, before its type is checked.
#[derive(Debug, Default)]
pub(crate) struct RawEvent<'a> {
    pub(crate) event_id: Option<u64>,
    pub(crate) event_timestamp: Option<f64>,
    pub(crate) event_type: Option<Str<'a>>,
    /// The member name of the attributes object (e.g. `timerFiredEventAttributes`).
    pub(crate) attributes_key: Option<Str<'a>>,
    pub(crate) attrs: RawAttrs<'a>,
}

const ATTRIBUTES_SUFFIX: &str = "EventAttributes";

impl<'de: 'a, 'a> Deserialize<'de> for RawEvent<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EventVisitor;

        impl<'de> Visitor<'de> for EventVisitor {
            type Value = RawEvent<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an SWF history event object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut event = RawEvent::default();
                // The attributes member is named after the type, which may come
                // later in the object, so it is recognised by its suffix and
                // checked against `eventType` once the whole object is read.
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    match key.as_str() {
                        "eventId" => event.event_id = Some(map.next_value()?),
                        "eventTimestamp" => event.event_timestamp = Some(map.next_value()?),
                        "eventType" => event.event_type = Some(map.next_value()?),
                        k if k.ends_with(ATTRIBUTES_SUFFIX) => {
                            if let Some(previous) = &event.attributes_key {
                                return Err(de::Error::custom(format_args!(
                                    "event has two attributes members, `{}` and `{}`",
                                    previous.as_str(),
                                    k
                                )));
                            }
                            event.attrs = map.next_value()?;
                            event.attributes_key = Some(key);
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(event)
            }
        }

        deserializer.deserialize_map(EventVisitor)
    }
}
