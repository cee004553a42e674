//! The 54 SWF history event types and the name of each one's attributes member.

macro_rules! event_kinds {
    ($($variant:ident => $attrs:literal,)+) => {
        /// The `eventType` of an SWF history event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $(
                #[allow(missing_docs)]
                $variant,
            )+
        }

        impl EventKind {
            /// Every event type, in the service model's order.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)+];

            /// Looks an `eventType` string up; `None` when SWF has no such type.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($variant) => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// Looks an attributes member name up (e.g. `timerFiredEventAttributes`).
            pub fn from_attributes_key(key: &str) -> Option<Self> {
                match key {
                    $($attrs => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// The `eventType` string.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                }
            }

            /// The name of the event's attributes member, e.g.
            /// `timerFiredEventAttributes` for `TimerFired`.
            pub fn attributes_key(self) -> &'static str {
                match self {
                    $(Self::$variant => $attrs,)+
                }
            }
        }
    };
}

event_kinds! {
    WorkflowExecutionStarted => "workflowExecutionStartedEventAttributes",
    WorkflowExecutionCancelRequested => "workflowExecutionCancelRequestedEventAttributes",
    WorkflowExecutionCompleted => "workflowExecutionCompletedEventAttributes",
    CompleteWorkflowExecutionFailed => "completeWorkflowExecutionFailedEventAttributes",
    WorkflowExecutionFailed => "workflowExecutionFailedEventAttributes",
    FailWorkflowExecutionFailed => "failWorkflowExecutionFailedEventAttributes",
    WorkflowExecutionTimedOut => "workflowExecutionTimedOutEventAttributes",
    WorkflowExecutionCanceled => "workflowExecutionCanceledEventAttributes",
    CancelWorkflowExecutionFailed => "cancelWorkflowExecutionFailedEventAttributes",
    WorkflowExecutionContinuedAsNew => "workflowExecutionContinuedAsNewEventAttributes",
    ContinueAsNewWorkflowExecutionFailed => "continueAsNewWorkflowExecutionFailedEventAttributes",
    WorkflowExecutionTerminated => "workflowExecutionTerminatedEventAttributes",
    DecisionTaskScheduled => "decisionTaskScheduledEventAttributes",
    DecisionTaskStarted => "decisionTaskStartedEventAttributes",
    DecisionTaskCompleted => "decisionTaskCompletedEventAttributes",
    DecisionTaskTimedOut => "decisionTaskTimedOutEventAttributes",
    ActivityTaskScheduled => "activityTaskScheduledEventAttributes",
    ScheduleActivityTaskFailed => "scheduleActivityTaskFailedEventAttributes",
    ActivityTaskStarted => "activityTaskStartedEventAttributes",
    ActivityTaskCompleted => "activityTaskCompletedEventAttributes",
    ActivityTaskFailed => "activityTaskFailedEventAttributes",
    ActivityTaskTimedOut => "activityTaskTimedOutEventAttributes",
    ActivityTaskCanceled => "activityTaskCanceledEventAttributes",
    ActivityTaskCancelRequested => "activityTaskCancelRequestedEventAttributes",
    RequestCancelActivityTaskFailed => "requestCancelActivityTaskFailedEventAttributes",
    WorkflowExecutionSignaled => "workflowExecutionSignaledEventAttributes",
    MarkerRecorded => "markerRecordedEventAttributes",
    RecordMarkerFailed => "recordMarkerFailedEventAttributes",
    TimerStarted => "timerStartedEventAttributes",
    StartTimerFailed => "startTimerFailedEventAttributes",
    TimerFired => "timerFiredEventAttributes",
    TimerCanceled => "timerCanceledEventAttributes",
    CancelTimerFailed => "cancelTimerFailedEventAttributes",
    StartChildWorkflowExecutionInitiated => "startChildWorkflowExecutionInitiatedEventAttributes",
    StartChildWorkflowExecutionFailed => "startChildWorkflowExecutionFailedEventAttributes",
    ChildWorkflowExecutionStarted => "childWorkflowExecutionStartedEventAttributes",
    ChildWorkflowExecutionCompleted => "childWorkflowExecutionCompletedEventAttributes",
    ChildWorkflowExecutionFailed => "childWorkflowExecutionFailedEventAttributes",
    ChildWorkflowExecutionTimedOut => "childWorkflowExecutionTimedOutEventAttributes",
    ChildWorkflowExecutionCanceled => "childWorkflowExecutionCanceledEventAttributes",
    ChildWorkflowExecutionTerminated => "childWorkflowExecutionTerminatedEventAttributes",
    SignalExternalWorkflowExecutionInitiated =>
        "signalExternalWorkflowExecutionInitiatedEventAttributes",
    SignalExternalWorkflowExecutionFailed => "signalExternalWorkflowExecutionFailedEventAttributes",
    ExternalWorkflowExecutionSignaled => "externalWorkflowExecutionSignaledEventAttributes",
    RequestCancelExternalWorkflowExecutionInitiated =>
        "requestCancelExternalWorkflowExecutionInitiatedEventAttributes",
    RequestCancelExternalWorkflowExecutionFailed =>
        "requestCancelExternalWorkflowExecutionFailedEventAttributes",
    ExternalWorkflowExecutionCancelRequested =>
        "externalWorkflowExecutionCancelRequestedEventAttributes",
    LambdaFunctionScheduled => "lambdaFunctionScheduledEventAttributes",
    LambdaFunctionStarted => "lambdaFunctionStartedEventAttributes",
    LambdaFunctionCompleted => "lambdaFunctionCompletedEventAttributes",
    LambdaFunctionFailed => "lambdaFunctionFailedEventAttributes",
    LambdaFunctionTimedOut => "lambdaFunctionTimedOutEventAttributes",
    ScheduleLambdaFunctionFailed => "scheduleLambdaFunctionFailedEventAttributes",
    StartLambdaFunctionFailed => "startLambdaFunctionFailedEventAttributes",
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    #[test]
    fn there_are_54_types_and_names_round_trip() {
        assert_eq!(EventKind::ALL.len(), 54);
        for &kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(EventKind::from_name("NoSuchEvent"), None);
    }

    #[test]
    fn attributes_key_is_lower_camel_type_plus_suffix() {
        for &kind in EventKind::ALL {
            let name = kind.name();
            let mut expected = name[..1].to_ascii_lowercase();
            expected.push_str(&name[1..]);
            expected.push_str("EventAttributes");
            assert_eq!(kind.attributes_key(), expected);
            assert_eq!(EventKind::from_attributes_key(&expected), Some(kind));
        }
    }
}
