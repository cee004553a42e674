//! Splitting history at decision-task boundaries and the jobs of each activation.

use serde_json::json;

use crate::activation::{Activation, JobKind};
use crate::command::DecisionType;
use crate::error::ReplayError;
use crate::history::History;
use crate::testkit::{sample_attrs, sequential, Builder, T0};

/// All activations of `b`'s history, for a task started at its last event.
fn activations(b: &Builder) -> Vec<Activation> {
    let mut history = History::default();
    history.extend([&b.page()], b.last_id()).unwrap();
    std::iter::from_fn(|| history.pop_activation()).collect()
}

fn kinds(activation: &Activation) -> Vec<(JobKind, &str)> {
    activation.jobs.iter().map(|j| (j.kind, &*j.key)).collect()
}

#[test]
fn sequential_activities_give_one_activation_per_decision_task() {
    let b = sequential(3, false);
    assert_eq!(b.last_id(), 6 * 3 + 3);
    let acts = activations(&b);
    assert_eq!(acts.len(), 4);
    assert_eq!(kinds(&acts[0]), [(JobKind::WorkflowStarted, "")]);
    assert_eq!(acts[0].jobs[0].payload.as_deref(), Some("[[], {}]"));
    for (k, act) in acts.iter().enumerate().skip(1) {
        let key = k.to_string();
        assert_eq!(kinds(act), [(JobKind::ActivityCompleted, key.as_str())]);
        assert_eq!(act.jobs[0].payload.as_deref(), Some(key.as_str()));
    }
    for act in &acts[..3] {
        assert!(act.is_replaying);
        assert_eq!(act.recorded.len(), 1);
        assert_eq!(
            act.recorded[0].decision_type,
            DecisionType::ScheduleActivityTask
        );
        assert_eq!(act.recorded[0].name.as_deref(), Some("step"));
    }
    let live = &acts[3];
    assert!(!live.is_replaying);
    assert!(live.recorded.is_empty());
    assert_eq!(live.started_event_id, b.last_id());
    assert_eq!(live.time, T0 + b.last_id() as f64);
    assert_eq!(acts[0].started_event_id, 3);
    assert_eq!(acts[0].time, T0 + 3.0);
}

#[test]
fn closed_history_replays_every_boundary() {
    let acts = activations(&sequential(2, true));
    assert_eq!(acts.len(), 3);
    assert!(acts.iter().all(|a| a.is_replaying));
    let last = &acts[2].recorded[0];
    assert_eq!(last.decision_type, DecisionType::CompleteWorkflowExecution);
    assert_eq!((&*last.key, last.name.as_deref()), ("", Some("")));
}

#[test]
fn timed_out_decision_task_is_not_a_boundary() {
    let mut b = Builder::started("in");
    let first = b.task_started();
    let signal = b.signaled("late", "x"); // arrives while the doomed task runs
    b.task_timed_out(first);
    let second = b.task_started();
    let acts = activations(&b);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].started_event_id, second);
    assert_eq!(
        kinds(&acts[0]),
        [(JobKind::WorkflowStarted, ""), (JobKind::Signaled, "")]
    );
    assert_eq!(acts[0].jobs[1].event_id, signal);
    assert!(!acts[0].is_replaying);
}

#[test]
fn schedule_to_start_timeout_without_a_start_is_harmless() {
    let mut b = Builder::started("in");
    let scheduled = b.add("DecisionTaskScheduled", json!({"taskList": {"name": "tl"}}));
    b.add(
        "DecisionTaskTimedOut",
        json!({"timeoutType": "SCHEDULE_TO_START", "scheduledEventId": scheduled,
               "startedEventId": 0}),
    );
    b.task_started();
    let acts = activations(&b);
    assert_eq!(acts.len(), 1);
    assert_eq!(kinds(&acts[0]), [(JobKind::WorkflowStarted, "")]);
}

#[test]
fn events_between_started_and_completed_go_to_the_next_activation() {
    let mut b = Builder::started("in");
    let started = b.task_started();
    let signal = b.signaled("during", "x");
    let dtc = b.task_completed(started);
    b.timer_started(dtc, "1");
    b.task_started();
    let acts = activations(&b);
    assert_eq!(acts.len(), 2);
    assert_eq!(kinds(&acts[0]), [(JobKind::WorkflowStarted, "")]);
    assert_eq!(acts[0].recorded.len(), 1);
    assert_eq!(acts[0].recorded[0].decision_type, DecisionType::StartTimer);
    assert_eq!(kinds(&acts[1]), [(JobKind::Signaled, "")]);
    assert_eq!(acts[1].jobs[0].event_id, signal);
    assert_eq!(acts[1].jobs[0].name.as_deref(), Some("during"));
}

#[test]
fn events_after_started_event_id_are_ignored() {
    let mut b = Builder::started("in");
    let started = b.task_started();
    b.signaled("too-late", "x");
    let mut history = History::default();
    history.extend([&b.page()], started).unwrap();
    let act = history.pop_activation().unwrap();
    assert_eq!(kinds(&act), [(JobKind::WorkflowStarted, "")]);
    assert_eq!(history.last_event_id(), started);
    assert!(history.pop_activation().is_none());
}

#[test]
fn activity_outcomes_are_keyed_by_activity_id() {
    let mut b = Builder::started("in");
    let dtc = b.task();
    let s1 = b.activity_scheduled(dtc, "a1", "sum");
    let s2 = b.activity_scheduled(dtc, "a2", "sum");
    let s3 = b.activity_scheduled(dtc, "a3", "sum");
    b.add(
        "ActivityTaskFailed",
        json!({"reason": "E: x", "details": "tb", "scheduledEventId": s1, "startedEventId": 0}),
    );
    b.add(
        "ActivityTaskTimedOut",
        json!({"timeoutType": "SCHEDULE_TO_START", "scheduledEventId": s2, "startedEventId": 0}),
    );
    b.add(
        "ActivityTaskCanceled",
        json!({"details": "c", "scheduledEventId": s3, "startedEventId": 0}),
    );
    b.task_started();
    let acts = activations(&b);
    let last = &acts[1];
    assert_eq!(
        kinds(last),
        [
            (JobKind::ActivityFailed, "a1"),
            (JobKind::ActivityTimedOut, "a2"),
            (JobKind::ActivityCanceled, "a3")
        ]
    );
    assert_eq!(last.jobs[0].reason.as_deref(), Some("E: x"));
    assert_eq!(last.jobs[0].details.as_deref(), Some("tb"));
    assert_eq!(last.jobs[1].cause.as_deref(), Some("SCHEDULE_TO_START"));
    assert_eq!(last.jobs[2].details.as_deref(), Some("c"));
    assert_eq!(last.jobs[2].payload, None);
}

#[test]
fn timers_signals_cancel_requests_and_children() {
    let mut b = Builder::started("in");
    let dtc = b.task();
    let timer = b.timer_started(dtc, "t1");
    let init = b.add("StartChildWorkflowExecutionInitiated", {
        let mut a = sample_attrs(crate::kind::EventKind::StartChildWorkflowExecutionInitiated);
        a["decisionTaskCompletedEventId"] = json!(dtc);
        a
    });
    b.timer_fired(timer, "t1");
    let exec = json!({"workflowId": "child-\"1\"", "runId": "run-c"});
    let wtype = json!({"name": "ChildWf", "version": "2"});
    let child_started = b.add(
        "ChildWorkflowExecutionStarted",
        json!({"workflowExecution": exec, "workflowType": wtype, "initiatedEventId": init}),
    );
    b.add(
        "ChildWorkflowExecutionCompleted",
        json!({"workflowExecution": exec, "workflowType": wtype, "result": "cr",
               "initiatedEventId": init, "startedEventId": child_started}),
    );
    b.add(
        "WorkflowExecutionCancelRequested",
        json!({"cause": "CHILD_POLICY_APPLIED",
               "externalWorkflowExecution": {"workflowId": "parent", "runId": "pr"}}),
    );
    b.task_started();
    let acts = activations(&b);
    assert_eq!(acts[0].recorded.len(), 2);
    let last = &acts[1];
    assert_eq!(
        kinds(last),
        [
            (JobKind::TimerFired, "t1"),
            (JobKind::ChildStarted, "child-\"1\""),
            (JobKind::ChildCompleted, "child-\"1\""),
            (JobKind::CancelRequested, "")
        ]
    );
    assert_eq!(last.jobs[1].name.as_deref(), Some("ChildWf"));
    assert_eq!(last.jobs[1].run_id.as_deref(), Some("run-c"));
    assert_eq!(last.jobs[2].payload.as_deref(), Some("cr"));
    assert_eq!(last.jobs[2].run_id.as_deref(), Some("run-c"));
    assert_eq!(last.jobs[3].cause.as_deref(), Some("CHILD_POLICY_APPLIED"));
    assert_eq!(last.jobs[3].workflow_id.as_deref(), Some("parent"));
}

#[test]
fn external_signal_outcomes_are_keyed_by_control() {
    let mut b = Builder::started("in");
    let dtc = b.task();
    let sig = b.add(
        "SignalExternalWorkflowExecutionInitiated",
        json!({"workflowId": "w2", "signalName": "go", "control": "4",
               "decisionTaskCompletedEventId": dtc}),
    );
    let cancel = b.add(
        "RequestCancelExternalWorkflowExecutionInitiated",
        json!({"workflowId": "w3", "control": "5", "decisionTaskCompletedEventId": dtc}),
    );
    b.add(
        "ExternalWorkflowExecutionSignaled",
        json!({"workflowExecution": {"workflowId": "w2", "runId": "r2"}, "initiatedEventId": sig}),
    );
    b.add(
        "RequestCancelExternalWorkflowExecutionFailed",
        json!({"workflowId": "w3", "cause": "UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION",
               "initiatedEventId": cancel, "decisionTaskCompletedEventId": dtc,
               "control": "5"}),
    );
    b.task_started();
    let acts = activations(&b);
    assert_eq!(
        acts[0].recorded.len(),
        2,
        "the async failure is not a second record"
    );
    assert_eq!(acts[0].recorded[0].name.as_deref(), Some("go"));
    assert_eq!(&*acts[0].recorded[1].key, "5");
    let last = &acts[1];
    assert_eq!(
        kinds(last),
        [
            (JobKind::ExternalSignaled, "4"),
            (JobKind::CancelExternalFailed, "5")
        ]
    );
    assert_eq!(last.jobs[0].run_id.as_deref(), Some("r2"));
    assert_eq!(
        last.jobs[1].cause.as_deref(),
        Some("UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION")
    );
    assert_eq!(last.jobs[1].workflow_id.as_deref(), Some("w3"));
}

#[test]
fn failed_decisions_are_both_records_and_jobs() {
    let mut b = Builder::started("in");
    let dtc = b.task();
    let failed = b.add(
        "ScheduleActivityTaskFailed",
        json!({"activityType": {"name": "sum", "version": "9"}, "activityId": "1",
               "cause": "ACTIVITY_TYPE_DOES_NOT_EXIST", "decisionTaskCompletedEventId": dtc}),
    );
    b.add(
        "CompleteWorkflowExecutionFailed",
        json!({"cause": "UNHANDLED_DECISION", "decisionTaskCompletedEventId": dtc}),
    );
    b.task_started();
    let acts = activations(&b);
    let recorded: Vec<_> = acts[0]
        .recorded
        .iter()
        .map(|r| (r.decision_type, r.event_id))
        .collect();
    assert_eq!(
        recorded,
        [
            (DecisionType::ScheduleActivityTask, failed),
            (DecisionType::CompleteWorkflowExecution, failed + 1)
        ]
    );
    let jobs = &acts[1].jobs;
    assert_eq!(
        kinds(&acts[1]),
        [
            (JobKind::ScheduleActivityFailed, "1"),
            (JobKind::CloseFailed, "")
        ]
    );
    assert_eq!(jobs[0].name.as_deref(), Some("sum"));
    assert_eq!(
        jobs[0].cause.as_deref(),
        Some("ACTIVITY_TYPE_DOES_NOT_EXIST")
    );
    assert_eq!(jobs[1].name.as_deref(), Some("CompleteWorkflowExecution"));
    assert_eq!(jobs[1].cause.as_deref(), Some("UNHANDLED_DECISION"));
}

#[test]
fn markers_are_reported_with_their_boundary() {
    let mut b = Builder::started("in");
    let dtc = b.task();
    b.add(
        "MarkerRecorded",
        json!({"markerName": "patch-1", "details": "x", "decisionTaskCompletedEventId": dtc}),
    );
    b.task_started();
    let acts = activations(&b);
    assert_eq!(
        acts[0].recorded_markers,
        vec![("patch-1".into(), Some("x".into()))]
    );
    assert!(acts[1].recorded_markers.is_empty());
}

fn malformed_history(b: &Builder) -> String {
    let mut history = History::default();
    match history.extend([&b.page()], b.last_id()) {
        Err(ReplayError::MalformedHistory(message)) => message,
        other => panic!("expected MalformedHistory, got {other:?}"),
    }
}

#[test]
fn inconsistent_references_are_malformed() {
    let mut b = Builder::started("in");
    b.task();
    b.activity_completed(99, "r");
    assert!(malformed_history(&b).contains("names scheduled event 99"));

    let mut b = Builder::started("in");
    b.task_started();
    b.task_completed(1);
    assert!(malformed_history(&b).contains("names DecisionTaskStarted event 1"));

    let mut b = Builder::started("in");
    let dtc = b.task();
    b.task();
    b.timer_started(dtc, "late");
    assert!(malformed_history(&b).contains("not the latest completed decision task"));

    let mut b = Builder::started("in");
    b.add(
        "ExternalWorkflowExecutionSignaled",
        json!({"workflowExecution": {"workflowId": "w"}, "initiatedEventId": 77}),
    );
    assert!(malformed_history(&b).contains("names initiated event 77"));
}
