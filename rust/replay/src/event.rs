//! Owned, normalized history events: what replay needs of each of the 54 types.

use crate::error::{ReplayError, Result};
use crate::kind::EventKind;
use crate::raw::{RawAttrs, RawEvent, Str};

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

/// Checks and normalizes one raw event.
pub(crate) fn normalize(raw: RawEvent<'_>) -> Result<Event> {
    let id = raw
        .event_id
        .ok_or_else(|| ReplayError::malformed("history event lacks `eventId`"))?;
    let event_type = raw
        .event_type
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
    let attrs = Normalizer {
        id,
        kind,
        raw: raw.attrs,
    }
    .run(timestamp)?;
    Ok(Event {
        id,
        timestamp,
        kind,
        attrs,
    })
}

/// Moves the members of one event's raw attributes into their slots.
struct Normalizer<'a> {
    id: u64,
    kind: EventKind,
    raw: RawAttrs<'a>,
}

impl Normalizer<'_> {
    #[cold]
    fn missing(&self, member: &str) -> ReplayError {
        ReplayError::malformed(format!(
            "event {} ({}) lacks required attribute `{member}`",
            self.id,
            self.kind.name()
        ))
    }

    fn req(&self, value: Option<Str<'_>>, member: &str) -> Result<Box<str>> {
        value.map(Str::into_box).ok_or_else(|| self.missing(member))
    }

    fn req_id(&self, value: Option<u64>, member: &str) -> Result<u64> {
        value.ok_or_else(|| self.missing(member))
    }

    fn run(mut self, timestamp: f64) -> Result<Attrs> {
        use EventKind as K;
        let mut a = Attrs::default();
        let r = &mut self.raw;
        let (input, result) = (r.input.take(), r.result.take());
        let (reason, details, cause) = (r.reason.take(), r.details.take(), r.cause.take());
        let (timeout_type, control) = (r.timeout_type.take(), r.control.take());
        let dtc = r.decision_task_completed_event_id;
        let (scheduled, started, initiated) = (
            r.scheduled_event_id,
            r.started_event_id,
            r.initiated_event_id,
        );
        let type_name = r.workflow_type.as_mut().and_then(|t| t.name.take());
        let execution = r.workflow_execution.take();
        let external = r.external_workflow_execution.take();
        match self.kind {
            K::WorkflowExecutionStarted => {
                a.payload = input.clone().map(Str::into_box);
                let started = self.workflow_started(timestamp, input, type_name)?;
                a.started = Some(Box::new(started));
            }
            K::WorkflowExecutionCancelRequested => {
                a.cause = own(cause);
                if let Some(ext) = external {
                    a.workflow_id = own(ext.workflow_id);
                    a.run_id = own(ext.run_id);
                }
                a.initiated_id = self.raw.external_initiated_event_id.unwrap_or(0);
            }
            K::WorkflowExecutionCompleted => {
                a.payload = own(result);
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::CompleteWorkflowExecutionFailed
            | K::FailWorkflowExecutionFailed
            | K::CancelWorkflowExecutionFailed
            | K::ContinueAsNewWorkflowExecutionFailed => {
                a.cause = Some(self.req(cause, "cause")?);
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::WorkflowExecutionFailed => {
                a.reason = own(reason);
                a.details = own(details);
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::WorkflowExecutionTimedOut => a.cause = Some(self.req(timeout_type, "timeoutType")?),
            K::WorkflowExecutionCanceled => {
                a.details = own(details);
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::WorkflowExecutionContinuedAsNew => {
                a.payload = own(input);
                a.name = Some(self.req(type_name, "workflowType.name")?);
                let run_id = self.raw.new_execution_run_id.take();
                a.run_id = Some(self.req(run_id, "newExecutionRunId")?);
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::WorkflowExecutionTerminated => {
                a.reason = own(reason);
                a.details = own(details);
                a.cause = own(cause);
            }
            K::DecisionTaskScheduled => {}
            K::DecisionTaskStarted | K::ActivityTaskStarted | K::LambdaFunctionStarted => {
                a.scheduled_id = self.req_id(scheduled, "scheduledEventId")?;
            }
            K::DecisionTaskCompleted => {
                a.scheduled_id = self.req_id(scheduled, "scheduledEventId")?;
                a.started_id = self.req_id(started, "startedEventId")?;
            }
            K::DecisionTaskTimedOut => {
                a.cause = Some(self.req(timeout_type, "timeoutType")?);
                a.scheduled_id = self.req_id(scheduled, "scheduledEventId")?;
                a.started_id = self.req_id(started, "startedEventId")?;
            }
            K::ActivityTaskScheduled | K::ScheduleActivityTaskFailed => {
                let activity_id = self.raw.activity_id.take();
                a.key = Some(self.req(activity_id, "activityId")?);
                let name = self.raw.activity_type.as_mut().and_then(|t| t.name.take());
                a.name = Some(self.req(name, "activityType.name")?);
                if self.kind == K::ScheduleActivityTaskFailed {
                    a.cause = Some(self.req(cause, "cause")?);
                }
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::ActivityTaskCompleted
            | K::ActivityTaskFailed
            | K::ActivityTaskTimedOut
            | K::ActivityTaskCanceled
            | K::LambdaFunctionCompleted
            | K::LambdaFunctionFailed
            | K::LambdaFunctionTimedOut => {
                a.payload = own(result);
                a.reason = own(reason);
                a.details = own(details);
                if matches!(
                    self.kind,
                    K::ActivityTaskTimedOut | K::LambdaFunctionTimedOut
                ) {
                    a.cause = Some(self.req(timeout_type, "timeoutType")?);
                }
                a.scheduled_id = self.req_id(scheduled, "scheduledEventId")?;
                a.started_id = self.req_id(started, "startedEventId")?;
            }
            K::ActivityTaskCancelRequested | K::RequestCancelActivityTaskFailed => {
                let activity_id = self.raw.activity_id.take();
                a.key = Some(self.req(activity_id, "activityId")?);
                if self.kind == K::RequestCancelActivityTaskFailed {
                    a.cause = Some(self.req(cause, "cause")?);
                }
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::WorkflowExecutionSignaled => {
                let signal_name = self.raw.signal_name.take();
                a.name = Some(self.req(signal_name, "signalName")?);
                a.payload = own(input);
                if let Some(ext) = external {
                    a.workflow_id = own(ext.workflow_id);
                    a.run_id = own(ext.run_id);
                }
                a.initiated_id = self.raw.external_initiated_event_id.unwrap_or(0);
            }
            K::MarkerRecorded | K::RecordMarkerFailed => {
                let marker_name = self.raw.marker_name.take();
                a.key = Some(self.req(marker_name, "markerName")?);
                a.details = own(details);
                if self.kind == K::RecordMarkerFailed {
                    a.cause = Some(self.req(cause, "cause")?);
                }
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::TimerStarted
            | K::StartTimerFailed
            | K::TimerFired
            | K::TimerCanceled
            | K::CancelTimerFailed => {
                let timer_id = self.raw.timer_id.take();
                a.key = Some(self.req(timer_id, "timerId")?);
                if matches!(self.kind, K::StartTimerFailed | K::CancelTimerFailed) {
                    a.cause = Some(self.req(cause, "cause")?);
                }
                if matches!(self.kind, K::TimerFired | K::TimerCanceled) {
                    a.started_id = self.req_id(started, "startedEventId")?;
                }
                if self.kind != K::TimerFired {
                    a.decision_task_completed_id =
                        self.req_id(dtc, "decisionTaskCompletedEventId")?;
                }
            }
            K::StartChildWorkflowExecutionInitiated | K::StartChildWorkflowExecutionFailed => {
                let workflow_id = self.raw.workflow_id.take();
                a.key = Some(self.req(workflow_id, "workflowId")?);
                a.name = Some(self.req(type_name, "workflowType.name")?);
                if self.kind == K::StartChildWorkflowExecutionFailed {
                    a.cause = Some(self.req(cause, "cause")?);
                    a.initiated_id = self.req_id(initiated, "initiatedEventId")?;
                }
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::ChildWorkflowExecutionStarted
            | K::ChildWorkflowExecutionCompleted
            | K::ChildWorkflowExecutionFailed
            | K::ChildWorkflowExecutionTimedOut
            | K::ChildWorkflowExecutionCanceled
            | K::ChildWorkflowExecutionTerminated => {
                let execution = execution.ok_or_else(|| self.missing("workflowExecution"))?;
                a.key = Some(self.req(execution.workflow_id, "workflowExecution.workflowId")?);
                a.run_id = Some(self.req(execution.run_id, "workflowExecution.runId")?);
                a.name = Some(self.req(type_name, "workflowType.name")?);
                a.initiated_id = self.req_id(initiated, "initiatedEventId")?;
                if self.kind != K::ChildWorkflowExecutionStarted {
                    a.started_id = self.req_id(started, "startedEventId")?;
                }
                a.payload = own(result);
                a.reason = own(reason);
                a.details = own(details);
                if self.kind == K::ChildWorkflowExecutionTimedOut {
                    a.cause = Some(self.req(timeout_type, "timeoutType")?);
                }
            }
            K::SignalExternalWorkflowExecutionInitiated
            | K::SignalExternalWorkflowExecutionFailed
            | K::RequestCancelExternalWorkflowExecutionInitiated
            | K::RequestCancelExternalWorkflowExecutionFailed => {
                a.key = own(control);
                let workflow_id = self.raw.workflow_id.take();
                a.workflow_id = Some(self.req(workflow_id, "workflowId")?);
                a.run_id = own(self.raw.run_id.take());
                if self.kind == K::SignalExternalWorkflowExecutionInitiated {
                    let signal_name = self.raw.signal_name.take();
                    a.name = Some(self.req(signal_name, "signalName")?);
                }
                if matches!(
                    self.kind,
                    K::SignalExternalWorkflowExecutionFailed
                        | K::RequestCancelExternalWorkflowExecutionFailed
                ) {
                    a.cause = Some(self.req(cause, "cause")?);
                    a.initiated_id = self.req_id(initiated, "initiatedEventId")?;
                }
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::ExternalWorkflowExecutionSignaled | K::ExternalWorkflowExecutionCancelRequested => {
                let execution = execution.ok_or_else(|| self.missing("workflowExecution"))?;
                a.workflow_id =
                    Some(self.req(execution.workflow_id, "workflowExecution.workflowId")?);
                a.run_id = own(execution.run_id);
                a.initiated_id = self.req_id(initiated, "initiatedEventId")?;
            }
            K::LambdaFunctionScheduled | K::ScheduleLambdaFunctionFailed => {
                let lambda_id = self.raw.id.take();
                a.key = Some(self.req(lambda_id, "id")?);
                let name = self.raw.name.take();
                a.name = Some(self.req(name, "name")?);
                if self.kind == K::ScheduleLambdaFunctionFailed {
                    a.cause = Some(self.req(cause, "cause")?);
                }
                a.decision_task_completed_id = self.req_id(dtc, "decisionTaskCompletedEventId")?;
            }
            K::StartLambdaFunctionFailed => {
                a.scheduled_id = scheduled.unwrap_or(0);
                a.cause = own(cause);
                a.details = own(self.raw.message.take());
            }
        }
        Ok(a)
    }

    fn workflow_started(
        &mut self,
        timestamp: f64,
        input: Option<Str<'_>>,
        type_name: Option<Str<'_>>,
    ) -> Result<WorkflowStarted> {
        let r = &mut self.raw;
        let type_version = r.workflow_type.take().and_then(|t| t.version);
        let task_list = r.task_list.take().and_then(|t| t.name);
        let child_policy = r.child_policy.take();
        let parent = r.parent_workflow_execution.take();
        let (parent_workflow_id, parent_run_id) = match parent {
            Some(p) => (own(p.workflow_id), own(p.run_id)),
            None => (None, None),
        };
        let r = &mut self.raw;
        Ok(WorkflowStarted {
            timestamp,
            input: own(input),
            task_priority: own(r.task_priority.take()),
            execution_start_to_close_timeout: own(r.execution_start_to_close_timeout.take()),
            task_start_to_close_timeout: own(r.task_start_to_close_timeout.take()),
            tag_list: r
                .tag_list
                .take()
                .unwrap_or_default()
                .into_iter()
                .map(Str::into_box)
                .collect(),
            lambda_role: own(r.lambda_role.take()),
            continued_execution_run_id: own(r.continued_execution_run_id.take()),
            parent_initiated_event_id: r.parent_initiated_event_id.unwrap_or(0),
            parent_workflow_id,
            parent_run_id,
            workflow_type_name: self.req(type_name, "workflowType.name")?,
            workflow_type_version: self.req(type_version, "workflowType.version")?,
            task_list: self.req(task_list, "taskList.name")?,
            child_policy: self.req(child_policy, "childPolicy")?,
        })
    }
}
