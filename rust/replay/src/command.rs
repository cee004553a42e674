//! The 13 SWF decision types and how history records each decision.

use crate::event::Event;
use crate::kind::EventKind;

macro_rules! decision_types {
    ($($variant:ident,)+) => {
        /// The `decisionType` of an SWF decision.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum DecisionType {
            $(
                #[allow(missing_docs)]
                $variant,
            )+
        }

        impl DecisionType {
            /// Looks a `decisionType` string up; `None` when SWF has no such type.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($variant) => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The `decisionType` string.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                }
            }
        }
    };
}

decision_types! {
    ScheduleActivityTask,
    RequestCancelActivityTask,
    CompleteWorkflowExecution,
    FailWorkflowExecution,
    CancelWorkflowExecution,
    ContinueAsNewWorkflowExecution,
    RecordMarker,
    StartTimer,
    CancelTimer,
    SignalExternalWorkflowExecution,
    RequestCancelExternalWorkflowExecution,
    StartChildWorkflowExecution,
    ScheduleLambdaFunction,
}

impl DecisionType {
    /// The decision an event records, when it is the immediate result of one
    /// (the event then carries `decisionTaskCompletedEventId`).
    ///
    /// The asynchronous `*Failed` outcomes of child starts and external
    /// signals/cancels, which follow their `*Initiated` event later, are
    /// told apart by the history index, not here.
    pub fn recorded_by(kind: EventKind) -> Option<Self> {
        use EventKind as K;
        Some(match kind {
            K::ActivityTaskScheduled | K::ScheduleActivityTaskFailed => Self::ScheduleActivityTask,
            K::ActivityTaskCancelRequested | K::RequestCancelActivityTaskFailed => {
                Self::RequestCancelActivityTask
            }
            K::TimerStarted | K::StartTimerFailed => Self::StartTimer,
            K::TimerCanceled | K::CancelTimerFailed => Self::CancelTimer,
            K::MarkerRecorded | K::RecordMarkerFailed => Self::RecordMarker,
            K::StartChildWorkflowExecutionInitiated | K::StartChildWorkflowExecutionFailed => {
                Self::StartChildWorkflowExecution
            }
            K::SignalExternalWorkflowExecutionInitiated
            | K::SignalExternalWorkflowExecutionFailed => Self::SignalExternalWorkflowExecution,
            K::RequestCancelExternalWorkflowExecutionInitiated
            | K::RequestCancelExternalWorkflowExecutionFailed => {
                Self::RequestCancelExternalWorkflowExecution
            }
            K::WorkflowExecutionCompleted | K::CompleteWorkflowExecutionFailed => {
                Self::CompleteWorkflowExecution
            }
            K::WorkflowExecutionFailed | K::FailWorkflowExecutionFailed => {
                Self::FailWorkflowExecution
            }
            K::WorkflowExecutionCanceled | K::CancelWorkflowExecutionFailed => {
                Self::CancelWorkflowExecution
            }
            K::WorkflowExecutionContinuedAsNew | K::ContinueAsNewWorkflowExecutionFailed => {
                Self::ContinueAsNewWorkflowExecution
            }
            K::LambdaFunctionScheduled | K::ScheduleLambdaFunctionFailed => {
                Self::ScheduleLambdaFunction
            }
            _ => return None,
        })
    }

    /// Whether the command carries a name to match (activity type, child
    /// workflow type, signal name, Lambda function name).
    fn has_name(self) -> bool {
        matches!(
            self,
            Self::ScheduleActivityTask
                | Self::StartChildWorkflowExecution
                | Self::SignalExternalWorkflowExecution
                | Self::ScheduleLambdaFunction
        )
    }

    /// Whether the command carries a key (all but the close decisions).
    fn has_key(self) -> bool {
        !matches!(
            self,
            Self::CompleteWorkflowExecution
                | Self::FailWorkflowExecution
                | Self::CancelWorkflowExecution
                | Self::ContinueAsNewWorkflowExecution
        )
    }
}

/// A decision as history recorded it, for matching against the code's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCommand {
    pub decision_type: DecisionType,
    pub key: Box<str>,
    /// `None` when history does not say (an immediate
    /// `SignalExternalWorkflowExecutionFailed` has no `signalName`).
    pub name: Option<Box<str>>,
    /// The event that records it.
    pub event_id: u64,
    pub event_kind: EventKind,
}

impl RecordedCommand {
    /// The command an event records, if it records one.
    pub fn from_event(event: &Event) -> Option<Self> {
        let decision_type = DecisionType::recorded_by(event.kind)?;
        let key = if decision_type.has_key() {
            event.key()
        } else {
            ""
        };
        let name = if !decision_type.has_name() {
            Some("".into())
        } else if event.kind == EventKind::SignalExternalWorkflowExecutionFailed {
            None
        } else {
            Some(event.name().into())
        };
        Some(Self {
            decision_type,
            key: key.into(),
            name,
            event_id: event.id,
            event_kind: event.kind,
        })
    }
}

/// A command the workflow code produced: `(decision_type, key, name, location)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command<'a> {
    pub decision_type: &'a str,
    pub key: &'a str,
    pub name: &'a str,
    /// `file.py:42 in method` of the code that produced it.
    pub location: &'a str,
}

#[cfg(test)]
mod tests {
    use super::DecisionType;
    use crate::kind::EventKind;

    #[test]
    fn every_decision_type_is_recorded_by_a_success_and_a_failure_event() {
        for name in [
            "ScheduleActivityTask",
            "RequestCancelActivityTask",
            "CompleteWorkflowExecution",
            "FailWorkflowExecution",
            "CancelWorkflowExecution",
            "ContinueAsNewWorkflowExecution",
            "RecordMarker",
            "StartTimer",
            "CancelTimer",
            "SignalExternalWorkflowExecution",
            "RequestCancelExternalWorkflowExecution",
            "StartChildWorkflowExecution",
            "ScheduleLambdaFunction",
        ] {
            let decision = DecisionType::from_name(name);
            assert_eq!(decision.map(DecisionType::name), Some(name));
            let recorders: Vec<_> = EventKind::ALL
                .iter()
                .filter(|&&k| DecisionType::recorded_by(k) == decision)
                .collect();
            assert_eq!(recorders.len(), 2, "{name}: {recorders:?}");
        }
        assert_eq!(DecisionType::from_name("Nope"), None);
        assert_eq!(DecisionType::recorded_by(EventKind::TimerFired), None);
    }
}
