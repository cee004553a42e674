//! Page and event parsing: every event type, escapes, and bad input.

use serde_json::json;

use crate::error::ReplayError;
use crate::kind::EventKind;
use crate::page::Page;
use crate::testkit::{sample_attrs, Builder};

fn one_event_page(kind: EventKind) -> Vec<u8> {
    let mut b = Builder::new();
    b.add(kind.name(), sample_attrs(kind));
    b.body(1, 1, 1, false)
}

fn malformed(data: &[u8]) -> String {
    match Page::parse(data) {
        Err(ReplayError::MalformedHistory(message)) => message,
        other => panic!("expected MalformedHistory, got {other:?}"),
    }
}

#[test]
fn page_fields_are_read() {
    let mut b = Builder::started("in");
    b.task_started();
    let page = Page::parse(&b.body(1, 3, 3, false)).unwrap();
    assert_eq!(page.task_token.as_deref(), Some("token"));
    assert_eq!(page.started_event_id, 3);
    assert_eq!(page.previous_started_event_id, 0);
    assert_eq!(page.workflow_id.as_deref(), Some("wf-1"));
    assert_eq!(page.run_id.as_deref(), Some("run-1"));
    assert_eq!(page.workflow_type_name.as_deref(), Some("Wf"));
    assert_eq!(page.workflow_type_version.as_deref(), Some("1.0"));
    assert_eq!(page.next_page_token, None);
    assert_eq!(page.events.len(), 3);
    assert_eq!((page.first_event_id(), page.last_event_id()), (1, 3));
    let reversed = Page::parse(&b.body(1, 3, 3, true)).unwrap();
    assert_eq!(
        (reversed.first_event_id(), reversed.last_event_id()),
        (3, 1)
    );
}

#[test]
fn history_pages_and_empty_polls_parse() {
    let history = Page::parse(br#"{"events": [], "nextPageToken": "abc"}"#).unwrap();
    assert_eq!(history.task_token, None);
    assert_eq!(history.next_page_token.as_deref(), Some("abc"));
    assert_eq!((history.first_event_id(), history.last_event_id()), (0, 0));
    let empty_poll = Page::parse(br#"{"startedEventId": 0, "previousStartedEventId": 0}"#).unwrap();
    assert!(empty_poll.events.is_empty());
}

#[test]
fn every_event_type_parses_with_its_attributes() {
    for &kind in EventKind::ALL {
        let page =
            Page::parse(&one_event_page(kind)).unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        let event = &page.events[0];
        assert_eq!(event.kind, kind);
        assert_eq!(event.id, 1);
        assert_eq!(event.timestamp, crate::testkit::T0 + 1.0);
    }
}

#[test]
fn attributes_land_in_their_slots() {
    let parse = |kind| {
        Page::parse(&one_event_page(kind))
            .unwrap()
            .events
            .remove(0)
            .attrs
    };

    let started = parse(EventKind::WorkflowExecutionStarted);
    assert_eq!(started.payload.as_deref(), Some("in\\put"));
    let ws = started.started.unwrap();
    assert_eq!(&*ws.workflow_type_name, "Wf");
    assert_eq!(&*ws.workflow_type_version, "1.0");
    assert_eq!(&*ws.task_list, "tl");
    assert_eq!(&*ws.child_policy, "ABANDON");
    assert_eq!(ws.task_priority.as_deref(), Some("3"));
    assert_eq!(ws.tag_list, vec!["t1".into()]);
    assert_eq!(ws.lambda_role.as_deref(), Some("role"));
    assert_eq!(ws.continued_execution_run_id.as_deref(), Some("prev"));
    assert_eq!(ws.parent_workflow_id.as_deref(), Some("p"));
    assert_eq!(ws.parent_run_id.as_deref(), Some("pr"));
    assert_eq!(ws.parent_initiated_event_id, 9);
    assert_eq!(ws.execution_start_to_close_timeout.as_deref(), Some("60"));
    assert_eq!(ws.task_start_to_close_timeout.as_deref(), Some("10"));

    let scheduled = parse(EventKind::ActivityTaskScheduled);
    assert_eq!(
        (scheduled.key.as_deref(), scheduled.name.as_deref()),
        (Some("7"), Some("sum"))
    );
    assert_eq!(scheduled.decision_task_completed_id, 1);

    let timed_out = parse(EventKind::ActivityTaskTimedOut);
    assert_eq!(timed_out.cause.as_deref(), Some("HEARTBEAT"));
    assert_eq!(timed_out.details.as_deref(), Some("hb"));
    assert_eq!((timed_out.scheduled_id, timed_out.started_id), (2, 3));

    let signaled = parse(EventKind::WorkflowExecutionSignaled);
    assert_eq!(signaled.name.as_deref(), Some("approve"));
    assert_eq!(signaled.payload.as_deref(), Some("\u{e9}\\n"));
    assert_eq!(signaled.workflow_id.as_deref(), Some("s"));
    assert_eq!(signaled.initiated_id, 5);

    let child = parse(EventKind::ChildWorkflowExecutionCompleted);
    assert_eq!(child.key.as_deref(), Some("child-\"1\""));
    assert_eq!(child.run_id.as_deref(), Some("run-c"));
    assert_eq!(child.name.as_deref(), Some("ChildWf"));
    assert_eq!(child.payload.as_deref(), Some("cr"));

    let signal = parse(EventKind::SignalExternalWorkflowExecutionInitiated);
    assert_eq!(
        (signal.key.as_deref(), signal.name.as_deref()),
        (Some("3"), Some("go"))
    );
    assert_eq!(signal.workflow_id.as_deref(), Some("target"));

    let continued = parse(EventKind::WorkflowExecutionContinuedAsNew);
    assert_eq!(continued.run_id.as_deref(), Some("new"));

    let lambda = parse(EventKind::StartLambdaFunctionFailed);
    assert_eq!(lambda.details.as_deref(), Some("no role"));
}

#[test]
fn escaped_strings_are_unescaped() {
    let data = br#"{"events": [{"eventId": 1, "eventTimestamp": 1.5,
        "eventType": "WorkflowExecutionSignaled",
        "workflowExecutionSignaledEventAttributes":
            {"signalName": "a\"b", "input": "[\"\\u00e9\\n\", {\"k\": \"\\/\"}]"}}]}"#;
    let page = Page::parse(data).unwrap();
    let attrs = &page.events[0].attrs;
    assert_eq!(attrs.name.as_deref(), Some("a\"b"));
    assert_eq!(
        attrs.payload.as_deref(),
        Some("[\"\\u00e9\\n\", {\"k\": \"\\/\"}]")
    );
    assert_eq!(page.events[0].timestamp, 1.5);
}

#[test]
fn unknown_members_and_nulls_are_ignored() {
    let data = br#"{"events": [{"eventId": 1, "eventTimestamp": 2, "eventType": "TimerFired",
        "extra": [1, {"x": null}], "timerFiredEventAttributes":
            {"timerId": "t", "startedEventId": 2, "newField": {"deep": [true]}, "control": null}}],
        "somethingNew": 1}"#;
    let page = Page::parse(data).unwrap();
    assert_eq!(page.events[0].key(), "t");
}

#[test]
fn bad_json_is_malformed() {
    assert!(malformed(b"{\"events\": [").contains("invalid history page"));
    assert!(malformed(b"not json").contains("invalid history page"));
    assert!(malformed(b"[1, 2]").contains("invalid history page"));
    assert!(malformed(br#"{"events": 3}"#).contains("invalid history page"));
    assert!(malformed(b"\xff\xfe").contains("invalid history page"));
    assert!(malformed(br#"{"taskToken": "t"}"#).contains("without `events`"));
}

#[test]
fn unknown_event_type_is_malformed() {
    let data = br#"{"events": [{"eventId": 1, "eventTimestamp": 1, "eventType": "Teleported",
        "teleportedEventAttributes": {}}]}"#;
    let message = malformed(data);
    assert!(
        message.contains("event 1 has unknown eventType `Teleported`"),
        "{message}"
    );
}

#[test]
fn missing_required_attributes_are_malformed() {
    for (kind, member) in [
        (EventKind::ActivityTaskScheduled, "activityId"),
        (EventKind::ActivityTaskScheduled, "activityType"),
        (EventKind::ActivityTaskCompleted, "scheduledEventId"),
        (EventKind::TimerFired, "timerId"),
        (EventKind::DecisionTaskCompleted, "startedEventId"),
        (EventKind::WorkflowExecutionStarted, "taskList"),
        (
            EventKind::ChildWorkflowExecutionStarted,
            "workflowExecution",
        ),
        (EventKind::WorkflowExecutionSignaled, "signalName"),
        (EventKind::MarkerRecorded, "decisionTaskCompletedEventId"),
    ] {
        let mut attrs = sample_attrs(kind);
        attrs.as_object_mut().unwrap().remove(member);
        let mut b = Builder::new();
        b.add(kind.name(), attrs);
        let message = malformed(&b.body(1, 1, 1, false));
        assert!(message.contains("lacks required attribute"), "{message}");
        assert!(message.contains(member), "{message}");
        assert!(message.contains(kind.name()), "{message}");
    }
}

#[test]
fn missing_event_fields_and_wrong_types_are_malformed() {
    let cases = [
        json!({"eventTimestamp": 1, "eventType": "DecisionTaskScheduled"}),
        json!({"eventId": 1, "eventType": "DecisionTaskScheduled"}),
        json!({"eventId": 1, "eventTimestamp": 1}),
        json!({"eventId": "1", "eventTimestamp": 1, "eventType": "DecisionTaskScheduled"}),
        json!({"eventId": -1, "eventTimestamp": 1, "eventType": "DecisionTaskScheduled"}),
        json!({"eventId": 1, "eventTimestamp": 1, "eventType": "TimerFired",
               "timerFiredEventAttributes": {"timerId": 5, "startedEventId": 2}}),
        json!({"eventId": 1, "eventTimestamp": 1, "eventType": "TimerFired",
               "timerStartedEventAttributes": {"timerId": "t", "startedEventId": 2}}),
        json!({"eventId": 1, "eventTimestamp": 1, "eventType": "TimerFired",
               "timerFiredEventAttributes": {"timerId": "t", "startedEventId": 2},
               "timerStartedEventAttributes": {}}),
        json!([1, 2]),
    ];
    for event in cases {
        let data = serde_json::to_vec(&json!({"events": [event]})).unwrap();
        malformed(&data);
    }
}

/// Garbled input is an error, never a panic: every prefix of a page and a
/// spread of single-byte corruptions go through parse and extend.
#[test]
fn garbled_pages_never_panic() {
    let mut b = crate::testkit::sequential(2, false);
    b.signaled("s\u{e9}", "[\"\\n\"]");
    b.task_started();
    let last = b.last_id();
    let body = b.body(1, last, last, false);
    let try_all = |data: &[u8]| {
        if let Ok(page) = Page::parse(data) {
            let mut replayer = crate::replayer::Replayer::new();
            if replayer.extend([&page], last).is_ok() {
                while let Ok(Some(_)) = replayer.next_activation() {
                    let _ = replayer.complete_activation(&[]);
                }
            }
        }
    };
    for end in 0..body.len() {
        try_all(&body[..end]);
    }
    // A small deterministic generator (xorshift) picks positions and bytes.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut data = body.clone();
        let at = (state % data.len() as u64) as usize;
        data[at] = b"0123456789{}[]\",:-.eE \\nul\xff"[(state >> 32) as usize % 27];
        try_all(&data);
    }
}
