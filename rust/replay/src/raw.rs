//! The serde layer: reads one history event in a single pass over the page bytes.
//!
//! Strings are borrowed from the input (`Str` is a `Cow`, owned only when the
//! JSON string has escapes) and copied once, into their final slot, only when
//! replay keeps them. The attributes member names the event type
//! (`timerFiredEventAttributes`), so its members are read knowing the type and
//! unneeded ones are skipped without allocating. `event.rs` then checks the
//! required members per type.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::event::{normalize, Event};
use crate::kind::EventKind;

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

/// An owned string read straight from the input.
pub(crate) struct Owned(pub(crate) Box<str>);

impl<'de> Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Str::deserialize(deserializer).map(|s| Owned(s.into_box()))
    }
}

/// Reads a string member; `null` counts as absent, like a missing member.
fn owned<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Box<str>>, A::Error> {
    Ok(map.next_value::<Option<Owned>>()?.map(|o| o.0))
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

/// The attributes of `WorkflowExecutionStarted`: once per run, so a plain
/// derived struct is fine.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawStarted<'a> {
    #[serde(borrow)]
    pub(crate) input: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) workflow_type: Option<RawType<'a>>,
    #[serde(borrow)]
    pub(crate) task_list: Option<RawTaskList<'a>>,
    #[serde(borrow)]
    pub(crate) task_priority: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) child_policy: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) execution_start_to_close_timeout: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) task_start_to_close_timeout: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) tag_list: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    pub(crate) lambda_role: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) continued_execution_run_id: Option<Str<'a>>,
    #[serde(borrow)]
    pub(crate) parent_workflow_execution: Option<RawExecution<'a>>,
    pub(crate) parent_initiated_event_id: Option<u64>,
}

/// `(workflowId, runId)` of a `WorkflowExecution` member.
pub(crate) type Execution = (Option<Box<str>>, Option<Box<str>>);

/// The members of one (non-started) attributes object that replay reads,
/// owned, before the per-type checks of `event.rs`.
#[derive(Debug, Default)]
pub(crate) struct Members {
    /// activityId, timerId, markerName or Lambda `id`.
    pub(crate) key: Option<Box<str>>,
    /// activityType.name, workflowType.name, signalName or Lambda `name`.
    pub(crate) name: Option<Box<str>>,
    /// input (only for the types whose input replay passes on), result.
    pub(crate) payload: Option<Box<str>>,
    pub(crate) reason: Option<Box<str>>,
    /// details, or `message` (StartLambdaFunctionFailed).
    pub(crate) details: Option<Box<str>>,
    /// cause, or timeoutType.
    pub(crate) cause: Option<Box<str>>,
    pub(crate) control: Option<Box<str>>,
    /// The top-level `workflowId` member.
    pub(crate) workflow_id: Option<Box<str>>,
    /// runId or newExecutionRunId.
    pub(crate) run_id: Option<Box<str>>,
    /// `workflowExecution` (child or external target).
    pub(crate) execution: Option<Execution>,
    /// `externalWorkflowExecution` (signal sender, cancel requester).
    pub(crate) external: Option<Execution>,
    pub(crate) decision_task_completed_id: Option<u64>,
    pub(crate) scheduled_id: Option<u64>,
    pub(crate) started_id: Option<u64>,
    /// initiatedEventId or externalInitiatedEventId.
    pub(crate) initiated_id: Option<u64>,
}

fn execution<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Option<Execution>, A::Error> {
    let e: Option<RawExecution<'de>> = map.next_value()?;
    Ok(e.map(|e| {
        (
            e.workflow_id.map(Str::into_box),
            e.run_id.map(Str::into_box),
        )
    }))
}

/// Reads the attributes object of an event of `kind` into `members` (in
/// place: no large value is returned), or returns the run's start attributes.
struct AttrsSeed<'v> {
    kind: EventKind,
    members: &'v mut Members,
}

impl<'de> DeserializeSeed<'de> for AttrsSeed<'_> {
    type Value = Option<Box<RawStarted<'de>>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        if self.kind == EventKind::WorkflowExecutionStarted {
            return RawStarted::deserialize(deserializer).map(|s| Some(Box::new(s)));
        }
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AttrsSeed<'_> {
    type Value = Option<Box<RawStarted<'de>>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the attributes object of a {} event", self.kind.name())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        use EventKind as K;
        // Inputs replay does not hand to the workflow (activity, child and
        // signal-external inputs) are skipped, not copied.
        let wants_input = matches!(self.kind, K::WorkflowExecutionSignaled);
        let m = self.members;
        while let Some(member) = map.next_key::<Str<'de>>()? {
            match member.as_str() {
                "activityId" | "timerId" | "markerName" | "id" => m.key = owned(&mut map)?,
                "activityType" | "workflowType" => {
                    let t: Option<RawType<'de>> = map.next_value()?;
                    m.name = t.and_then(|t| t.name).map(Str::into_box);
                }
                "signalName" | "name" => m.name = owned(&mut map)?,
                "input" if wants_input => m.payload = owned(&mut map)?,
                "result" => m.payload = owned(&mut map)?,
                "reason" => m.reason = owned(&mut map)?,
                "details" | "message" => m.details = owned(&mut map)?,
                "cause" | "timeoutType" => m.cause = owned(&mut map)?,
                "control" => m.control = owned(&mut map)?,
                "workflowId" => m.workflow_id = owned(&mut map)?,
                "runId" | "newExecutionRunId" => m.run_id = owned(&mut map)?,
                "workflowExecution" => m.execution = execution(&mut map)?,
                "externalWorkflowExecution" => m.external = execution(&mut map)?,
                "decisionTaskCompletedEventId" => {
                    m.decision_task_completed_id = map.next_value()?;
                }
                "scheduledEventId" => m.scheduled_id = map.next_value()?,
                "startedEventId" => m.started_id = map.next_value()?,
                "initiatedEventId" | "externalInitiatedEventId" => {
                    m.initiated_id = map.next_value()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(None)
    }
}

/// One `HistoryEvent` object, before its type is checked.
#[derive(Debug, Default)]
pub(crate) struct RawEvent<'a> {
    pub(crate) event_id: Option<u64>,
    pub(crate) event_timestamp: Option<f64>,
    pub(crate) event_type: Option<Str<'a>>,
    /// The member name of the attributes object (e.g. `timerFiredEventAttributes`).
    pub(crate) attributes_key: Option<Str<'a>>,
    /// The attributes of `WorkflowExecutionStarted`.
    pub(crate) started: Option<Box<RawStarted<'a>>>,
    /// The attributes of any other type (empty when there are none).
    pub(crate) members: Members,
}

const ATTRIBUTES_SUFFIX: &str = "EventAttributes";

/// Reads one history event and appends it, normalized, to a page's events.
///
/// The event is built in place and checked before the next one is read, so
/// the borrowed raw view never outlives its bytes and large values are not
/// moved around (this is the hot loop of parsing).
pub(crate) struct EventSeed<'v>(pub(crate) &'v mut Vec<Event>);

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an SWF history event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut event = RawEvent::default();
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.as_str() {
                "eventId" => event.event_id = Some(map.next_value()?),
                "eventTimestamp" => event.event_timestamp = Some(map.next_value()?),
                "eventType" => event.event_type = Some(map.next_value()?),
                k if k.ends_with(ATTRIBUTES_SUFFIX) => {
                    if let Some(previous) = &event.attributes_key {
                        return Err(de::Error::custom(format_args!(
                            "event has two attributes members, `{}` and `{k}`",
                            previous.as_str()
                        )));
                    }
                    // Unknown names are skipped here and reported by
                    // `normalize`, which also knows `eventType` then.
                    match EventKind::from_attributes_key(k) {
                        Some(kind) => {
                            let members = &mut event.members;
                            event.started = map.next_value_seed(AttrsSeed { kind, members })?;
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    event.attributes_key = Some(key);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.0
            .push(normalize(&mut event).map_err(de::Error::custom)?);
        Ok(())
    }
}
