//! Owned, normalized history events: what replay needs of each of the 54 types.

use crate::error::{ReplayError, Result};
use crate::kind::EventKind;
use crate::raw::{Members, RawEvent, RawStarted, Str};

/// The attributes of the run's `WorkflowExecutionStarted` event.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowStarted {
    /// `eventTimestamp` of the started event, epoch seconds.
    pub timestamp: f64,
    pub workflow_type_name: Box<str>,
    pub workflow_type_version: Box<str>,
    pub input: Option<Box<str>>,
    pub task_list: Box<str>,
    pub task_priority: Option<Box<str>>,
    pub child_policy: Box<str>,
    pub execution_start_to_close_timeout: Option<Box<str>>,
    pub task_start_to_close_timeout: Option<Box<str>>,
    pub tag_list: Vec<Box<str>>,
    pub lambda_role: Option<Box<str>>,
    pub continued_execution_run_id: Option<Box<str>>,
    pub parent_workflow_id: Option<Box<str>>,
    pub parent_run_id: Option<Box<str>>,
    /// 0 when the run has no parent.
    pub parent_initiated_event_id: u64,
}

/// The attributes replay reads, in a shape shared by all event types.
///
/// Which SWF member lands in which slot:
///
/// | slot | members |
/// |---|---|
/// | `key` | activityId, timerId, markerName, child workflowId, control (external signal/cancel), Lambda id |
/// | `name` | activityType.name, workflowType.name, signalName, Lambda name |
/// | `payload` | input (started, signaled), result (completed) |
/// | `reason`, `details` | reason, details (`message` for StartLambdaFunctionFailed) |
/// | `cause` | cause, or timeoutType for the timed-out events |
/// | `workflow_id`, `run_id` | the other execution: external sender/requester, child, signal/cancel target, newExecutionRunId |
/// | `*_id` | decisionTaskCompletedEventId, scheduledEventId, startedEventId, initiatedEventId (also externalInitiatedEventId); 0 when absent |
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attrs {
    pub key: Option<Box<str>>,
    pub name: Option<Box<str>>,
    pub payload: Option<Box<str>>,
    pub reason: Option<Box<str>>,
    pub details: Option<Box<str>>,
    pub cause: Option<Box<str>>,
    pub workflow_id: Option<Box<str>>,
    pub run_id: Option<Box<str>>,
    pub decision_task_completed_id: u64,
    pub scheduled_id: u64,
    pub started_id: u64,
    pub initiated_id: u64,
    /// Present only on `WorkflowExecutionStarted`.
    pub started: Option<Box<WorkflowStarted>>,
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    /// `eventTimestamp`, epoch seconds.
    pub timestamp: f64,
    pub kind: EventKind,
    pub attrs: Attrs,
}

impl Event {
    /// The key of the command this event belongs to ("" when absent).
    pub fn key(&self) -> &str {
        self.attrs.key.as_deref().unwrap_or("")
    }

    /// The name of the command this event belongs to ("" when absent).
    pub fn name(&self) -> &str {
        self.attrs.name.as_deref().unwrap_or("")
    }
}

fn own(value: Option<Str<'_>>) -> Option<Box<str>> {
    value.map(Str::into_box)
}

/// Checks and normalizes one raw event, taking what it keeps out of `raw`.
pub(crate) fn normalize(raw: &mut RawEvent<'_>) -> Result<Event> {
    let id = raw
        .event_id
        .ok_or_else(|| ReplayError::malformed("history event lacks `eventId`"))?;
    let event_type = raw
        .event_type
        .as_ref()
        .ok_or_else(|| ReplayError::malformed(format!("event {id} lacks `eventType`")))?;
    let kind = EventKind::from_name(event_type.as_str()).ok_or_else(|| {
        ReplayError::malformed(format!(
            "event {id} has unknown eventType `{}`",
            event_type.as_str()
        ))
    })?;
    let timestamp = raw.event_timestamp.ok_or_else(|| {
        ReplayError::malformed(format!(
            "event {id} ({}) lacks `eventTimestamp`",
            kind.name()
        ))
    })?;
    if let Some(key) = &raw.attributes_key {
        if key.as_str() != kind.attributes_key() {
            return Err(ReplayError::malformed(format!(
                "event {id} ({}) carries `{}`; expected `{}`",
                kind.name(),
                key.as_str(),
                kind.attributes_key()
            )));
        }
    }
    let checker = Checker { id, kind };
    // Missing attributes read as empty: only types without required members pass.
    let attrs = if kind == EventKind::WorkflowExecutionStarted {
        let started = raw.started.take().map(|s| *s).unwrap_or_default();
        checker.workflow_started(timestamp, started)?
    } else {
        checker.members(&mut raw.members)?
    };
    Ok(Event {
        id,
        timestamp,
        kind,
        attrs,
    })
}

/// Checks the required members of one event and moves them into their slots.
struct Checker {
    id: u64,
    kind: EventKind,
}

impl Checker {
    #[cold]
    fn missing(&self, member: &str) -> ReplayError {
        ReplayError::malformed(format!(
            "event {} ({}) lacks required attribute `{member}`",
            self.id,
            self.kind.name()
        ))
    }

    fn req(&self, value: Option<Box<str>>, member: &str) -> Result<Option<Box<str>>> {
        value.ok_or_else(|| self.missing(member)).map(Some)
    }

    fn req_id(&self, value: Option<u64>, member: &str) -> Result<u64> {
        value.ok_or_else(|| self.missing(member))
    }

    fn dtc(&self, m: &Members) -> Result<u64> {
        self.req_id(m.decision_task_completed_id, "decisionTaskCompletedEventId")
    }

    fn members(&self, m: &mut Members) -> Result<Attrs> {
        use EventKind as K;
        let mut a = Attrs {
            payload: m.payload.take(),
            reason: m.reason.take(),
            details: m.details.take(),
            ..Attrs::default()
        };
        // The member that holds `cause` per type ("cause" or "timeoutType").
        let cause_member = match self.kind {
            K::WorkflowExecutionTimedOut
            | K::DecisionTaskTimedOut
            | K::ActivityTaskTimedOut
            | K::ChildWorkflowExecutionTimedOut
            | K::LambdaFunctionTimedOut => Some("timeoutType"),
            K::CompleteWorkflowExecutionFailed
            | K::FailWorkflowExecutionFailed
            | K::CancelWorkflowExecutionFailed
            | K::ContinueAsNewWorkflowExecutionFailed
            | K::ScheduleActivityTaskFailed
            | K::RequestCancelActivityTaskFailed
            | K::RecordMarkerFailed
            | K::StartTimerFailed
            | K::CancelTimerFailed
            | K::StartChildWorkflowExecutionFailed
            | K::SignalExternalWorkflowExecutionFailed
            | K::RequestCancelExternalWorkflowExecutionFailed
            | K::ScheduleLambdaFunctionFailed => Some("cause"),
            _ => None,
        };
        a.cause = match cause_member {
            Some(member) => self.req(m.cause.take(), member)?,
            None => m.cause.take(),
        };
        match self.kind {
            K::WorkflowExecutionStarted => {}
            K::WorkflowExecutionCancelRequested | K::WorkflowExecutionSignaled => {
                if self.kind == K::WorkflowExecutionSignaled {
                    a.name = self.req(m.name.take(), "signalName")?;
                }
                if let Some((workflow_id, run_id)) = m.external.take() {
                    a.workflow_id = workflow_id;
                    a.run_id = run_id;
                }
                a.initiated_id = m.initiated_id.unwrap_or(0);
            }
            K::WorkflowExecutionCompleted
            | K::CompleteWorkflowExecutionFailed
            | K::WorkflowExecutionFailed
            | K::FailWorkflowExecutionFailed
            | K::WorkflowExecutionCanceled
            | K::CancelWorkflowExecutionFailed
            | K::ContinueAsNewWorkflowExecutionFailed => {
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::WorkflowExecutionContinuedAsNew => {
                a.name = self.req(m.name.take(), "workflowType.name")?;
                a.run_id = self.req(m.run_id.take(), "newExecutionRunId")?;
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::WorkflowExecutionTimedOut
            | K::WorkflowExecutionTerminated
            | K::DecisionTaskScheduled => {}
            K::DecisionTaskStarted | K::ActivityTaskStarted | K::LambdaFunctionStarted => {
                a.scheduled_id = self.req_id(m.scheduled_id, "scheduledEventId")?;
            }
            K::DecisionTaskCompleted | K::DecisionTaskTimedOut => {
                a.scheduled_id = self.req_id(m.scheduled_id, "scheduledEventId")?;
                a.started_id = self.req_id(m.started_id, "startedEventId")?;
            }
            K::ActivityTaskScheduled | K::ScheduleActivityTaskFailed => {
                a.key = self.req(m.key.take(), "activityId")?;
                a.name = self.req(m.name.take(), "activityType.name")?;
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::ActivityTaskCompleted
            | K::ActivityTaskFailed
            | K::ActivityTaskTimedOut
            | K::ActivityTaskCanceled
            | K::LambdaFunctionCompleted
            | K::LambdaFunctionFailed
            | K::LambdaFunctionTimedOut => {
                a.scheduled_id = self.req_id(m.scheduled_id, "scheduledEventId")?;
                a.started_id = self.req_id(m.started_id, "startedEventId")?;
            }
            K::ActivityTaskCancelRequested | K::RequestCancelActivityTaskFailed => {
                a.key = self.req(m.key.take(), "activityId")?;
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::MarkerRecorded | K::RecordMarkerFailed => {
                a.key = self.req(m.key.take(), "markerName")?;
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::TimerStarted | K::StartTimerFailed | K::CancelTimerFailed => {
                a.key = self.req(m.key.take(), "timerId")?;
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::TimerFired | K::TimerCanceled => {
                a.key = self.req(m.key.take(), "timerId")?;
                a.started_id = self.req_id(m.started_id, "startedEventId")?;
                if self.kind == K::TimerCanceled {
                    a.decision_task_completed_id = self.dtc(m)?;
                }
            }
            K::StartChildWorkflowExecutionInitiated | K::StartChildWorkflowExecutionFailed => {
                a.key = self.req(m.workflow_id.take(), "workflowId")?;
                a.name = self.req(m.name.take(), "workflowType.name")?;
                if self.kind == K::StartChildWorkflowExecutionFailed {
                    a.initiated_id = self.req_id(m.initiated_id, "initiatedEventId")?;
                }
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::ChildWorkflowExecutionStarted
            | K::ChildWorkflowExecutionCompleted
            | K::ChildWorkflowExecutionFailed
            | K::ChildWorkflowExecutionTimedOut
            | K::ChildWorkflowExecutionCanceled
            | K::ChildWorkflowExecutionTerminated => {
                let (workflow_id, run_id) = m
                    .execution
                    .take()
                    .ok_or_else(|| self.missing("workflowExecution"))?;
                a.key = self.req(workflow_id, "workflowExecution.workflowId")?;
                a.run_id = self.req(run_id, "workflowExecution.runId")?;
                a.name = self.req(m.name.take(), "workflowType.name")?;
                a.initiated_id = self.req_id(m.initiated_id, "initiatedEventId")?;
                if self.kind != K::ChildWorkflowExecutionStarted {
                    a.started_id = self.req_id(m.started_id, "startedEventId")?;
                }
            }
            K::SignalExternalWorkflowExecutionInitiated
            | K::SignalExternalWorkflowExecutionFailed
            | K::RequestCancelExternalWorkflowExecutionInitiated
            | K::RequestCancelExternalWorkflowExecutionFailed => {
                // The engine's own id travels in `control`; SWF does not require it.
                a.key = m.control.take();
                a.workflow_id = self.req(m.workflow_id.take(), "workflowId")?;
                a.run_id = m.run_id.take();
                if self.kind == K::SignalExternalWorkflowExecutionInitiated {
                    a.name = self.req(m.name.take(), "signalName")?;
                }
                if matches!(
                    self.kind,
                    K::SignalExternalWorkflowExecutionFailed
                        | K::RequestCancelExternalWorkflowExecutionFailed
                ) {
                    a.initiated_id = self.req_id(m.initiated_id, "initiatedEventId")?;
                }
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::ExternalWorkflowExecutionSignaled | K::ExternalWorkflowExecutionCancelRequested => {
                let (workflow_id, run_id) = m
                    .execution
                    .take()
                    .ok_or_else(|| self.missing("workflowExecution"))?;
                a.workflow_id = self.req(workflow_id, "workflowExecution.workflowId")?;
                a.run_id = run_id;
                a.initiated_id = self.req_id(m.initiated_id, "initiatedEventId")?;
            }
            K::LambdaFunctionScheduled | K::ScheduleLambdaFunctionFailed => {
                a.key = self.req(m.key.take(), "id")?;
                a.name = self.req(m.name.take(), "name")?;
                a.decision_task_completed_id = self.dtc(m)?;
            }
            K::StartLambdaFunctionFailed => a.scheduled_id = m.scheduled_id.unwrap_or(0),
        }
        Ok(a)
    }

    fn workflow_started(&self, timestamp: f64, r: RawStarted<'_>) -> Result<Attrs> {
        let (type_name, type_version) = match r.workflow_type {
            Some(t) => (own(t.name), own(t.version)),
            None => (None, None),
        };
        let (parent_workflow_id, parent_run_id) = match r.parent_workflow_execution {
            Some(p) => (own(p.workflow_id), own(p.run_id)),
            None => (None, None),
        };
        let input = own(r.input);
        let started = WorkflowStarted {
            timestamp,
            workflow_type_name: type_name.ok_or_else(|| self.missing("workflowType.name"))?,
            workflow_type_version: type_version
                .ok_or_else(|| self.missing("workflowType.version"))?,
            input: input.clone(),
            task_list: own(r.task_list.and_then(|t| t.name))
                .ok_or_else(|| self.missing("taskList.name"))?,
            task_priority: own(r.task_priority),
            child_policy: own(r.child_policy).ok_or_else(|| self.missing("childPolicy"))?,
            execution_start_to_close_timeout: own(r.execution_start_to_close_timeout),
            task_start_to_close_timeout: own(r.task_start_to_close_timeout),
            tag_list: r
                .tag_list
                .unwrap_or_default()
                .into_iter()
                .map(Str::into_box)
                .collect(),
            lambda_role: own(r.lambda_role),
            continued_execution_run_id: own(r.continued_execution_run_id),
            parent_workflow_id,
            parent_run_id,
            parent_initiated_event_id: r.parent_initiated_event_id.unwrap_or(0),
        };
        Ok(Attrs {
            payload: input,
            started: Some(Box::new(started)),
            ..Attrs::default()
        })
    }
}
