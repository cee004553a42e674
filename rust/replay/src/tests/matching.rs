//! The decision diff through the replayer: matches, mismatches, missing and extra commands.

use serde_json::json;

use crate::command::Command;
use crate::error::ReplayError;
use crate::replayer::Replayer;
use crate::testkit::{commands, sequential, sequential_command, Builder};

fn cmd<'a>(decision_type: &'a str, key: &'a str, name: &'a str) -> Command<'a> {
    Command {
        decision_type,
        key,
        name,
        location: "wf.py:7 in run",
    }
}

fn replayer_for(b: &Builder) -> Replayer {
    let mut replayer = Replayer::new();
    replayer.extend([&b.page()], b.last_id()).unwrap();
    replayer
}

fn nondeterminism(result: crate::Result<Vec<usize>>) -> (u64, String, String) {
    match result {
        Err(ReplayError::NonDeterminism {
            event_id,
            location,
            message,
        }) => (event_id, location, message),
        other => panic!("expected NonDeterminism, got {other:?}"),
    }
}

/// One activation whose task scheduled activity "1" named `sum`.
fn scheduled_sum() -> (Replayer, u64) {
    let mut b = Builder::started("in");
    let dtc = b.task();
    let scheduled = b.activity_scheduled(dtc, "1", "sum");
    b.task_started();
    let mut replayer = replayer_for(&b);
    replayer.next_activation().unwrap().unwrap();
    (replayer, scheduled)
}

#[test]
fn sequential_history_replays_to_the_same_commands() {
    let n = 20;
    let mut replayer = replayer_for(&sequential(n, false));
    let mut owned = Vec::new();
    let mut k = 0;
    while let Some(activation) = replayer.next_activation().unwrap() {
        sequential_command(k, n, &mut owned);
        let new = replayer.complete_activation(&commands(&owned)).unwrap();
        if activation.is_replaying {
            assert!(new.is_empty(), "activation {k}");
        } else {
            assert_eq!(k, n);
            assert_eq!(new, [0], "the live activation's command is new");
        }
        k += 1;
    }
    assert_eq!(k, n + 1);
}

#[test]
fn same_commands_match() {
    let (mut replayer, _) = scheduled_sum();
    let new = replayer
        .complete_activation(&[cmd("ScheduleActivityTask", "1", "sum")])
        .unwrap();
    assert!(new.is_empty());
    let live = replayer.next_activation().unwrap().unwrap();
    assert!(!live.is_replaying);
    let new = replayer
        .complete_activation(&[cmd("StartTimer", "2", ""), cmd("RecordMarker", "m", "")])
        .unwrap();
    assert_eq!(new, [0, 1]);
}

#[test]
fn mismatch_by_name_names_the_event_and_the_code() {
    let (mut replayer, scheduled) = scheduled_sum();
    let (event_id, location, message) =
        nondeterminism(replayer.complete_activation(&[cmd("ScheduleActivityTask", "1", "mul")]));
    assert_eq!(event_id, scheduled);
    assert_eq!(location, "wf.py:7 in run");
    for part in [
        &format!("history event {scheduled} (ActivityTaskScheduled"),
        "key \"1\", name \"sum\"",
        "produced ScheduleActivityTask key \"1\", name \"mul\" at wf.py:7 in run",
        "revert it or version it with workflow.patched()",
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
}

#[test]
fn mismatch_by_key_or_type() {
    let (mut replayer, scheduled) = scheduled_sum();
    let (event_id, ..) =
        nondeterminism(replayer.complete_activation(&[cmd("ScheduleActivityTask", "2", "sum")]));
    assert_eq!(event_id, scheduled);
    let (mut replayer, scheduled) = scheduled_sum();
    let (event_id, _, message) =
        nondeterminism(replayer.complete_activation(&[cmd("StartTimer", "1", "")]));
    assert_eq!(event_id, scheduled);
    assert!(message.contains("produced StartTimer"), "{message}");
}

#[test]
fn missing_command() {
    let (mut replayer, scheduled) = scheduled_sum();
    let (event_id, location, message) = nondeterminism(replayer.complete_activation(&[]));
    assert_eq!((event_id, location.as_str()), (scheduled, ""));
    assert!(message.contains("produced only 0 command(s)"), "{message}");
}

#[test]
fn extra_command() {
    let (mut replayer, _) = scheduled_sum();
    let (event_id, location, message) = nondeterminism(replayer.complete_activation(&[
        cmd("ScheduleActivityTask", "1", "sum"),
        Command {
            location: "wf.py:9 in run",
            ..cmd("StartTimer", "2", "")
        },
    ]));
    assert_eq!((event_id, location.as_str()), (0, "wf.py:9 in run"));
    assert!(message.contains("recorded 1 decision(s)"), "{message}");
    assert!(
        message.contains("extra command #2, StartTimer"),
        "{message}"
    );
}

#[test]
fn failed_decisions_match_their_commands() {
    let mut b = Builder::started("in");
    let dtc = b.task();
    b.add(
        "StartTimerFailed",
        json!({"timerId": "1", "cause": "TIMER_ID_ALREADY_IN_USE",
               "decisionTaskCompletedEventId": dtc}),
    );
    b.add(
        "SignalExternalWorkflowExecutionFailed",
        json!({"workflowId": "w", "cause": "OPERATION_NOT_PERMITTED", "initiatedEventId": 0,
               "decisionTaskCompletedEventId": dtc, "control": "2"}),
    );
    b.add(
        "CompleteWorkflowExecutionFailed",
        json!({"cause": "UNHANDLED_DECISION", "decisionTaskCompletedEventId": dtc}),
    );
    b.task_started();
    let mut replayer = replayer_for(&b);
    replayer.next_activation().unwrap().unwrap();
    let new = replayer
        .complete_activation(&[
            cmd("StartTimer", "1", ""),
            // History does not keep the signal name of an immediate failure.
            cmd("SignalExternalWorkflowExecution", "2", "any-name"),
            cmd("CompleteWorkflowExecution", "", ""),
        ])
        .unwrap();
    assert!(new.is_empty());
    let live = replayer.next_activation().unwrap().unwrap();
    assert_eq!(live.jobs.len(), 3);
}

#[test]
fn lambda_decisions_are_recorded_and_never_match_botoflowx_code() {
    let mut b = Builder::started("in");
    let dtc = b.task();
    let lambda = b.add(
        "LambdaFunctionScheduled",
        json!({"id": "l1", "name": "fn", "decisionTaskCompletedEventId": dtc}),
    );
    b.task_started();
    let mut replayer = replayer_for(&b);
    replayer.next_activation().unwrap();
    let (event_id, _, message) =
        nondeterminism(replayer.complete_activation(&[cmd("ScheduleActivityTask", "l1", "fn")]));
    assert_eq!(event_id, lambda);
    assert!(message.contains("ScheduleLambdaFunction"), "{message}");
}

#[test]
fn usage_errors() {
    let (mut replayer, _) = scheduled_sum();
    assert!(matches!(
        replayer.next_activation(),
        Err(ReplayError::Usage(_))
    ));
    let err = replayer
        .complete_activation(&[cmd("LaunchRocket", "1", "")])
        .unwrap_err();
    assert!(
        matches!(&err, ReplayError::Usage(m) if m.contains("LaunchRocket")),
        "{err}"
    );
    assert!(matches!(
        replayer.complete_activation(&[]),
        Err(ReplayError::Usage(_))
    ));
}
