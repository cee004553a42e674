//! Jobs and activations: what the workflow code sees at one decision-task boundary.

use crate::command::{DecisionType, RecordedCommand};
use crate::event::Event;

macro_rules! job_kinds {
    ($($variant:ident => $name:literal,)+) => {
        /// What happened, as the workflow engine dispatches on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum JobKind {
            $(
                #[allow(missing_docs)]
                $variant,
            )+
        }

        impl JobKind {
            /// Every kind, in declaration order (`ALL[kind as usize] == kind`).
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];

            /// The `Job.kind` string Python sees.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }
        }
    };
}

job_kinds! {
    WorkflowStarted => "workflow_started",
    Signaled => "signaled",
    CancelRequested => "cancel_requested",
    ActivityCompleted => "activity_completed",
    ActivityFailed => "activity_failed",
    ActivityTimedOut => "activity_timed_out",
    ActivityCanceled => "activity_canceled",
    ScheduleActivityFailed => "schedule_activity_failed",
    RequestCancelActivityFailed => "request_cancel_activity_failed",
    TimerFired => "timer_fired",
    StartTimerFailed => "start_timer_failed",
    CancelTimerFailed => "cancel_timer_failed",
    RecordMarkerFailed => "record_marker_failed",
    ChildStarted => "child_started",
    StartChildFailed => "start_child_failed",
    ChildCompleted => "child_completed",
    ChildFailed => "child_failed",
    ChildTimedOut => "child_timed_out",
    ChildCanceled => "child_canceled",
    ChildTerminated => "child_terminated",
    ExternalSignaled => "external_signaled",
    SignalExternalFailed => "signal_external_failed",
    ExternalCancelRequested => "external_cancel_requested",
    CancelExternalFailed => "cancel_external_failed",
    CloseFailed => "close_failed",
}

/// One thing that happened, for the workflow code to react to.
///
/// The meaning of each field per kind is the table in `_replay.pyi` (`Job`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub kind: JobKind,
    pub event_id: u64,
    pub key: Box<str>,
    pub name: Option<Box<str>>,
    pub payload: Option<Box<str>>,
    pub reason: Option<Box<str>>,
    pub details: Option<Box<str>>,
    pub cause: Option<Box<str>>,
    pub workflow_id: Option<Box<str>>,
    pub run_id: Option<Box<str>>,
}

impl Job {
    /// A job carrying the fields of `event` the `Job` table lists for `kind`.
    ///
    /// `key` is passed in because some events name their command only
    /// through the history index (e.g. `ActivityTaskCompleted`).
    pub(crate) fn from_event(kind: JobKind, event: &Event, key: &str) -> Self {
        use JobKind as J;
        let a = &event.attrs;
        let mut job = Self {
            kind,
            event_id: event.id,
            key: key.into(),
            name: None,
            payload: None,
            reason: None,
            details: None,
            cause: None,
            workflow_id: None,
            run_id: None,
        };
        // Only the fields the kind defines are copied, so Python never sees
        // a stray value (e.g. a child's run id on an activity job).
        match kind {
            J::WorkflowStarted | J::ActivityCompleted => job.payload.clone_from(&a.payload),
            J::Signaled => {
                job.name.clone_from(&a.name);
                job.payload.clone_from(&a.payload);
                job.workflow_id.clone_from(&a.workflow_id);
                job.run_id.clone_from(&a.run_id);
            }
            J::CancelRequested => {
                job.cause.clone_from(&a.cause);
                job.workflow_id.clone_from(&a.workflow_id);
                job.run_id.clone_from(&a.run_id);
            }
            J::ActivityFailed | J::ChildFailed => {
                job.reason.clone_from(&a.reason);
                job.details.clone_from(&a.details);
            }
            J::ActivityTimedOut => {
                job.cause.clone_from(&a.cause);
                job.details.clone_from(&a.details);
            }
            J::ActivityCanceled | J::ChildCanceled => job.details.clone_from(&a.details),
            J::ScheduleActivityFailed | J::StartChildFailed => {
                job.name.clone_from(&a.name);
                job.cause.clone_from(&a.cause);
            }
            J::RequestCancelActivityFailed
            | J::StartTimerFailed
            | J::CancelTimerFailed
            | J::RecordMarkerFailed
            | J::ChildTimedOut => job.cause.clone_from(&a.cause),
            J::TimerFired | J::ChildTerminated => {}
            J::ChildStarted => job.name.clone_from(&a.name),
            J::ChildCompleted => job.payload.clone_from(&a.payload),
            J::ExternalSignaled | J::ExternalCancelRequested => {
                job.workflow_id.clone_from(&a.workflow_id);
                job.run_id.clone_from(&a.run_id);
            }
            J::SignalExternalFailed | J::CancelExternalFailed => {
                job.workflow_id.clone_from(&a.workflow_id);
                job.run_id.clone_from(&a.run_id);
                job.cause.clone_from(&a.cause);
            }
            J::CloseFailed => {
                job.cause.clone_from(&a.cause);
                job.name = DecisionType::recorded_by(event.kind).map(|d| d.name().into());
            }
        }
        if matches!(
            kind,
            J::ChildStarted
                | J::ChildCompleted
                | J::ChildFailed
                | J::ChildTimedOut
                | J::ChildCanceled
                | J::ChildTerminated
        ) {
            job.run_id.clone_from(&a.run_id);
        }
        job
    }
}

/// What the workflow code must process at one decision-task boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct Activation {
    /// Id of the boundary's `DecisionTaskStarted` event.
    pub started_event_id: u64,
    /// Its timestamp (epoch seconds): the workflow clock.
    pub time: f64,
    /// True when history already holds the decisions made here.
    pub is_replaying: bool,
    pub jobs: Vec<Job>,
    /// `(markerName, details)` of the markers this boundary's decisions recorded.
    pub recorded_markers: Vec<(Box<str>, Option<Box<str>>)>,
    /// The decisions recorded at this boundary, in event order.
    pub(crate) recorded: Vec<RecordedCommand>,
}

#[cfg(test)]
mod tests {
    use super::JobKind;

    #[test]
    fn all_is_indexed_by_discriminant() {
        for (index, kind) in JobKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, index);
        }
        assert_eq!(JobKind::ALL.len(), JobKind::CloseFailed as usize + 1);
    }
}
