//! Builders for test histories: SWF pages assembled event by event.

use serde_json::{json, Map, Value};

use crate::command::Command;
use crate::kind::EventKind;
use crate::page::Page;

/// Epoch seconds of event 1; event `n` happens `n` seconds later.
pub const T0: f64 = 1_700_000_000.0;

/// A history under construction; every helper returns the id of the event it added.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    events: Vec<Value>,
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A run started with `input`.
    pub fn started(input: &str) -> Self {
        let mut b = Self::new();
        b.add(
            "WorkflowExecutionStarted",
            json!({
                "input": input, "childPolicy": "TERMINATE", "taskList": {"name": "tl"},
                "workflowType": {"name": "Wf", "version": "1.0"},
                "taskStartToCloseTimeout": "10", "executionStartToCloseTimeout": "60",
                "tagList": ["a", "b"], "parentInitiatedEventId": 0,
            }),
        );
        b
    }

    pub fn last_id(&self) -> u64 {
        self.events.len() as u64
    }

    /// Appends one event of `event_type` with `attrs` as its attributes.
    pub fn add(&mut self, event_type: &str, attrs: Value) -> u64 {
        let kind = EventKind::from_name(event_type).expect("known event type");
        let id = self.last_id() + 1;
        let mut event = Map::new();
        event.insert("eventId".into(), json!(id));
        event.insert("eventTimestamp".into(), json!(T0 + id as f64));
        event.insert("eventType".into(), json!(event_type));
        event.insert(kind.attributes_key().into(), attrs);
        self.events.push(Value::Object(event));
        id
    }

    /// DecisionTaskScheduled + DecisionTaskStarted; returns the started id.
    pub fn task_started(&mut self) -> u64 {
        let scheduled = self.add("DecisionTaskScheduled", json!({"taskList": {"name": "tl"}}));
        self.add(
            "DecisionTaskStarted",
            json!({"scheduledEventId": scheduled}),
        )
    }

    /// DecisionTaskCompleted for the task started at `started`.
    pub fn task_completed(&mut self, started: u64) -> u64 {
        self.add(
            "DecisionTaskCompleted",
            json!({"scheduledEventId": started - 1, "startedEventId": started}),
        )
    }

    /// A whole decision task: scheduled, started, completed; returns the completed id.
    pub fn task(&mut self) -> u64 {
        let started = self.task_started();
        self.task_completed(started)
    }

    pub fn task_timed_out(&mut self, started: u64) -> u64 {
        self.add(
            "DecisionTaskTimedOut",
            json!({"timeoutType": "START_TO_CLOSE", "scheduledEventId": started - 1,
                   "startedEventId": started}),
        )
    }

    pub fn activity_scheduled(&mut self, dtc: u64, activity_id: &str, name: &str) -> u64 {
        self.add(
            "ActivityTaskScheduled",
            json!({"activityType": {"name": name, "version": "1.0"}, "activityId": activity_id,
                   "input": "[[1, 2], {}]", "taskList": {"name": "tl"},
                   "decisionTaskCompletedEventId": dtc}),
        )
    }

    /// ActivityTaskStarted + ActivityTaskCompleted; returns the completed id.
    pub fn activity_completed(&mut self, scheduled: u64, result: &str) -> u64 {
        let started = self.add(
            "ActivityTaskStarted",
            json!({"scheduledEventId": scheduled, "identity": "w"}),
        );
        self.add(
            "ActivityTaskCompleted",
            json!({"result": result, "scheduledEventId": scheduled, "startedEventId": started}),
        )
    }

    pub fn signaled(&mut self, name: &str, input: &str) -> u64 {
        self.add(
            "WorkflowExecutionSignaled",
            json!({"signalName": name, "input": input}),
        )
    }

    pub fn timer_started(&mut self, dtc: u64, timer_id: &str) -> u64 {
        self.add(
            "TimerStarted",
            json!({"timerId": timer_id, "startToFireTimeout": "5",
                   "decisionTaskCompletedEventId": dtc}),
        )
    }

    pub fn timer_fired(&mut self, started: u64, timer_id: &str) -> u64 {
        self.add(
            "TimerFired",
            json!({"timerId": timer_id, "startedEventId": started}),
        )
    }

    pub fn completed(&mut self, dtc: u64, result: &str) -> u64 {
        self.add(
            "WorkflowExecutionCompleted",
            json!({"result": result, "decisionTaskCompletedEventId": dtc}),
        )
    }

    /// A PollForDecisionTask body holding events `from..=to` (1-based ids).
    pub fn body(&self, from: u64, to: u64, started: u64, reverse: bool) -> Vec<u8> {
        let mut events: Vec<Value> = self.events[(from - 1) as usize..to as usize].to_vec();
        if reverse {
            events.reverse();
        }
        let page = json!({
            "taskToken": "token", "startedEventId": started, "previousStartedEventId": 0,
            "workflowExecution": {"workflowId": "wf-1", "runId": "run-1"},
            "workflowType": {"name": "Wf", "version": "1.0"},
            "events": events,
        });
        serde_json::to_vec(&page).expect("serializable")
    }

    /// The whole history as one page, for a task started at the last event.
    pub fn page(&self) -> Page {
        let last = self.last_id();
        Page::parse(&self.body(1, last, last, false)).expect("valid page")
    }

    /// Events `from..=to` as pages of at most `size` events, ascending or reversed
    /// (a reverse read also lists the pages newest first).
    pub fn pages(&self, from: u64, to: u64, size: u64, reverse: bool) -> Vec<Page> {
        let mut pages: Vec<Page> = (from..=to)
            .step_by(size as usize)
            .map(|start| {
                let end = (start + size - 1).min(to);
                Page::parse(&self.body(start, end, to, reverse)).expect("valid page")
            })
            .collect();
        if reverse {
            pages.reverse();
        }
        pages
    }
}

/// A run of `n` activities made one after another, as botoflowx records it;
/// ends with the live decision task (or the completion when `close`).
pub fn sequential(n: usize, close: bool) -> Builder {
    let mut b = Builder::started("[[], {}]");
    let mut dtc = b.task();
    for i in 1..=n {
        let scheduled = b.activity_scheduled(dtc, &i.to_string(), "step");
        b.activity_completed(scheduled, &format!("{i}"));
        dtc = b.task();
    }
    if close {
        b.completed(dtc, "\"done\"");
    } else {
        // Reopen the last task as the live one: drop its completion.
        b.events.pop();
    }
    b
}

/// The commands botoflowx's engine makes at activation `k` of `sequential`.
pub fn sequential_command(k: usize, n: usize, out: &mut Vec<(String, String, String, String)>) {
    out.clear();
    if k < n {
        out.push((
            "ScheduleActivityTask".into(),
            (k + 1).to_string(),
            "step".into(),
            "wf.py:12 in run".into(),
        ));
    } else {
        out.push((
            "CompleteWorkflowExecution".into(),
            String::new(),
            String::new(),
            "wf.py:14 in run".into(),
        ));
    }
}

/// Borrows owned command tuples as `Command`s.
pub fn commands(owned: &[(String, String, String, String)]) -> Vec<Command<'_>> {
    owned
        .iter()
        .map(|(decision_type, key, name, location)| Command {
            decision_type,
            key,
            name,
            location,
        })
        .collect()
}

/// A complete, valid attributes object for every event type (all members
/// replay reads, with distinctive values; some need escapes).
pub fn sample_attrs(kind: EventKind) -> Value {
    use EventKind as K;
    let exec = json!({"workflowId": "child-\"1\"", "runId": "run-c"});
    let wtype = json!({"name": "ChildWf", "version": "2"});
    match kind {
        K::WorkflowExecutionStarted => json!({
            "input": "in\\put", "childPolicy": "ABANDON", "taskList": {"name": "tl"},
            "workflowType": {"name": "Wf", "version": "1.0"}, "taskPriority": "3",
            "tagList": ["t1"], "lambdaRole": "role", "continuedExecutionRunId": "prev",
            "parentWorkflowExecution": {"workflowId": "p", "runId": "pr"},
            "parentInitiatedEventId": 9, "executionStartToCloseTimeout": "60",
            "taskStartToCloseTimeout": "10"}),
        K::WorkflowExecutionCancelRequested => json!({
            "externalWorkflowExecution": {"workflowId": "x", "runId": "xr"},
            "externalInitiatedEventId": 4, "cause": "CHILD_POLICY_APPLIED"}),
        K::WorkflowExecutionCompleted => json!({"result": "r", "decisionTaskCompletedEventId": 1}),
        K::CompleteWorkflowExecutionFailed
        | K::FailWorkflowExecutionFailed
        | K::CancelWorkflowExecutionFailed
        | K::ContinueAsNewWorkflowExecutionFailed => {
            json!({"cause": "UNHANDLED_DECISION", "decisionTaskCompletedEventId": 1})
        }
        K::WorkflowExecutionFailed => json!({"reason": "why", "details": "d",
                                             "decisionTaskCompletedEventId": 1}),
        K::WorkflowExecutionTimedOut => json!({"timeoutType": "START_TO_CLOSE",
                                               "childPolicy": "TERMINATE"}),
        K::WorkflowExecutionCanceled => json!({"details": "d", "decisionTaskCompletedEventId": 1}),
        K::WorkflowExecutionContinuedAsNew => json!({
            "input": "i", "decisionTaskCompletedEventId": 1, "newExecutionRunId": "new",
            "taskList": {"name": "tl"}, "childPolicy": "TERMINATE", "workflowType": wtype}),
        K::WorkflowExecutionTerminated => json!({"reason": "r", "details": "d",
                                                 "childPolicy": "TERMINATE",
                                                 "cause": "OPERATOR_INITIATED"}),
        K::DecisionTaskScheduled => json!({"taskList": {"name": "tl"}}),
        K::DecisionTaskStarted | K::ActivityTaskStarted | K::LambdaFunctionStarted => {
            json!({"scheduledEventId": 2, "identity": "me"})
        }
        K::DecisionTaskCompleted => json!({"scheduledEventId": 2, "startedEventId": 3,
                                           "executionContext": "ctx"}),
        K::DecisionTaskTimedOut => json!({"timeoutType": "START_TO_CLOSE",
                                          "scheduledEventId": 2, "startedEventId": 3}),
        K::ActivityTaskScheduled => json!({
            "activityType": {"name": "sum", "version": "1"}, "activityId": "7",
            "taskList": {"name": "tl"}, "decisionTaskCompletedEventId": 1, "input": "i"}),
        K::ScheduleActivityTaskFailed => json!({
            "activityType": {"name": "sum", "version": "1"}, "activityId": "7",
            "cause": "ACTIVITY_TYPE_DOES_NOT_EXIST", "decisionTaskCompletedEventId": 1}),
        K::ActivityTaskCompleted | K::LambdaFunctionCompleted => {
            json!({"result": "res", "scheduledEventId": 2, "startedEventId": 3})
        }
        K::ActivityTaskFailed | K::LambdaFunctionFailed => json!({
            "reason": "ValueError: x", "details": "dd", "scheduledEventId": 2,
            "startedEventId": 3}),
        K::ActivityTaskTimedOut | K::LambdaFunctionTimedOut => json!({
            "timeoutType": "HEARTBEAT", "details": "hb", "scheduledEventId": 2,
            "startedEventId": 3}),
        K::ActivityTaskCanceled => json!({"details": "c", "scheduledEventId": 2,
                                          "startedEventId": 3,
                                          "latestCancelRequestedEventId": 4}),
        K::ActivityTaskCancelRequested => json!({"activityId": "7",
                                                 "decisionTaskCompletedEventId": 1}),
        K::RequestCancelActivityTaskFailed => json!({
            "activityId": "7", "cause": "ACTIVITY_ID_UNKNOWN",
            "decisionTaskCompletedEventId": 1}),
        K::WorkflowExecutionSignaled => json!({
            "signalName": "approve", "input": "\u{e9}\\n",
            "externalWorkflowExecution": {"workflowId": "s", "runId": "sr"},
            "externalInitiatedEventId": 5}),
        K::MarkerRecorded => json!({"markerName": "m", "details": "md",
                                    "decisionTaskCompletedEventId": 1}),
        K::RecordMarkerFailed => json!({"markerName": "m", "cause": "OPERATION_NOT_PERMITTED",
                                        "decisionTaskCompletedEventId": 1}),
        K::TimerStarted => json!({"timerId": "t", "startToFireTimeout": "5",
                                  "decisionTaskCompletedEventId": 1}),
        K::StartTimerFailed | K::CancelTimerFailed => json!({
            "timerId": "t", "cause": "TIMER_ID_ALREADY_IN_USE",
            "decisionTaskCompletedEventId": 1}),
        K::TimerFired => json!({"timerId": "t", "startedEventId": 2}),
        K::TimerCanceled => json!({"timerId": "t", "startedEventId": 2,
                                   "decisionTaskCompletedEventId": 1}),
        K::StartChildWorkflowExecutionInitiated => json!({
            "workflowId": "child-\"1\"", "workflowType": wtype, "taskList": {"name": "tl"},
            "childPolicy": "TERMINATE", "decisionTaskCompletedEventId": 1, "control": "c"}),
        K::StartChildWorkflowExecutionFailed => json!({
            "workflowId": "child-\"1\"", "workflowType": wtype,
            "cause": "WORKFLOW_ALREADY_RUNNING", "initiatedEventId": 0,
            "decisionTaskCompletedEventId": 1}),
        K::ChildWorkflowExecutionStarted => json!({"workflowExecution": exec,
                                                   "workflowType": wtype,
                                                   "initiatedEventId": 2}),
        K::ChildWorkflowExecutionCompleted => json!({
            "workflowExecution": exec, "workflowType": wtype, "result": "cr",
            "initiatedEventId": 2, "startedEventId": 3}),
        K::ChildWorkflowExecutionFailed => json!({
            "workflowExecution": exec, "workflowType": wtype, "reason": "cf", "details": "cd",
            "initiatedEventId": 2, "startedEventId": 3}),
        K::ChildWorkflowExecutionTimedOut => json!({
            "workflowExecution": exec, "workflowType": wtype, "timeoutType": "START_TO_CLOSE",
            "initiatedEventId": 2, "startedEventId": 3}),
        K::ChildWorkflowExecutionCanceled => json!({
            "workflowExecution": exec, "workflowType": wtype, "details": "cc",
            "initiatedEventId": 2, "startedEventId": 3}),
        K::ChildWorkflowExecutionTerminated => json!({
            "workflowExecution": exec, "workflowType": wtype, "initiatedEventId": 2,
            "startedEventId": 3}),
        K::SignalExternalWorkflowExecutionInitiated => json!({
            "workflowId": "target", "runId": "tr", "signalName": "go", "input": "si",
            "decisionTaskCompletedEventId": 1, "control": "3"}),
        K::SignalExternalWorkflowExecutionFailed
        | K::RequestCancelExternalWorkflowExecutionFailed => json!({
            "workflowId": "target", "runId": "tr", "cause": "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
            "initiatedEventId": 0, "decisionTaskCompletedEventId": 1, "control": "3"}),
        K::ExternalWorkflowExecutionSignaled | K::ExternalWorkflowExecutionCancelRequested => {
            json!({"workflowExecution": {"workflowId": "target", "runId": "tr"},
                   "initiatedEventId": 2})
        }
        K::RequestCancelExternalWorkflowExecutionInitiated => json!({
            "workflowId": "target", "runId": "tr", "decisionTaskCompletedEventId": 1,
            "control": "3"}),
        K::LambdaFunctionScheduled => json!({"id": "l1", "name": "fn",
                                             "decisionTaskCompletedEventId": 1}),
        K::ScheduleLambdaFunctionFailed => json!({"id": "l1", "name": "fn",
                                                  "cause": "ID_ALREADY_IN_USE",
                                                  "decisionTaskCompletedEventId": 1}),
        K::StartLambdaFunctionFailed => json!({"scheduledEventId": 2,
                                               "cause": "ASSUME_ROLE_FAILED",
                                               "message": "no role"}),
    }
}
