//! Incremental extends (the sticky cache), page order, duplicates and gaps.

use crate::activation::JobKind;
use crate::error::ReplayError;
use crate::replayer::Replayer;
use crate::testkit::{commands, sequential, sequential_command, Builder};

/// Drains the replayer, answering like the sequential workflow; returns
/// the number of activations seen and how many were live.
fn drain(replayer: &mut Replayer, k: &mut usize, n: usize) -> (usize, usize) {
    let mut owned = Vec::new();
    let (mut seen, mut live) = (0, 0);
    while let Some(activation) = replayer.next_activation().unwrap() {
        sequential_command(*k, n, &mut owned);
        replayer.complete_activation(&commands(&owned)).unwrap();
        seen += 1;
        live += usize::from(!activation.is_replaying);
        *k += 1;
    }
    (seen, live)
}

#[test]
fn second_extend_takes_only_the_new_events() {
    let n = 3;
    let full = sequential(n, false);
    // The first decision task of the run: events 1..=3.
    let mut replayer = Replayer::new();
    replayer.extend(&full.pages(1, 3, 1000, false), 3).unwrap();
    let mut k = 0;
    assert_eq!(drain(&mut replayer, &mut k, n), (1, 1));
    // Each later task brings its 6 new events; every activation is live.
    for task in 1..=n as u64 {
        let started = 3 + 6 * task;
        let pages = full.pages(started - 5, started, 1000, false);
        replayer.extend(&pages, started).unwrap();
        assert_eq!(drain(&mut replayer, &mut k, n), (1, 1));
        assert_eq!(replayer.last_event_id(), started);
    }
    assert_eq!(k, n + 1);
}

#[test]
fn reverse_pages_and_overlaps_are_merged() {
    let n = 10;
    let full = sequential(n, false);
    let last = full.last_id();
    let mut replayer = Replayer::new();
    // A reverse read in pages of 7: newest page first, newest event first.
    replayer
        .extend(&full.pages(1, last, 7, true), last)
        .unwrap();
    let mut k = 0;
    assert_eq!(drain(&mut replayer, &mut k, n), (n + 1, 1));

    let mut sticky = Replayer::new();
    sticky.extend(&full.pages(1, 33, 1000, false), 33).unwrap();
    let mut k = 0;
    drain(&mut sticky, &mut k, n);
    // The delta overlaps what is held (events 20..=33 again) and comes reversed.
    sticky.extend(&full.pages(20, last, 5, true), last).unwrap();
    let (seen, live) = drain(&mut sticky, &mut k, n);
    assert_eq!((seen, live), (n + 1 - 6, 1));
    assert_eq!(k, n + 1);
}

#[test]
fn a_failed_decision_reaches_the_next_sticky_activation() {
    let mut b = Builder::started("in");
    let started = b.task_started();
    let mut replayer = Replayer::new();
    replayer.extend([&b.page()], started).unwrap();
    let live = replayer.next_activation().unwrap().unwrap();
    assert!(!live.is_replaying);
    replayer
        .complete_activation(&commands(&[(
            "StartTimer".into(),
            "1".into(),
            String::new(),
            "wf.py:3 in run".into(),
        )]))
        .unwrap();
    let dtc = b.task_completed(started);
    b.add(
        "StartTimerFailed",
        serde_json::json!({"timerId": "1", "cause": "OPEN_TIMERS_LIMIT_EXCEEDED",
                           "decisionTaskCompletedEventId": dtc}),
    );
    let next = b.task_started();
    replayer
        .extend(&b.pages(started + 1, next, 1000, false), next)
        .unwrap();
    let act = replayer.next_activation().unwrap().unwrap();
    assert!(!act.is_replaying);
    assert_eq!(act.jobs.len(), 1);
    assert_eq!(act.jobs[0].kind, JobKind::StartTimerFailed);
    assert_eq!(&*act.jobs[0].key, "1");
}

#[test]
fn a_live_task_that_timed_out_makes_the_cache_stale() {
    let mut b = Builder::started("in");
    let started = b.task_started();
    let mut replayer = Replayer::new();
    replayer.extend([&b.page()], started).unwrap();
    replayer.next_activation().unwrap();
    replayer.complete_activation(&[]).unwrap();
    b.task_timed_out(started);
    let next = b.task_started();
    let err = replayer
        .extend(&b.pages(started + 1, next, 1000, false), next)
        .unwrap_err();
    assert!(
        matches!(&err, ReplayError::Usage(m) if m.contains("stale")),
        "{err}"
    );
    assert!(matches!(
        replayer.next_activation(),
        Err(ReplayError::Usage(_))
    ));
}

#[test]
fn gaps_are_detected() {
    let full = sequential(5, false);
    let last = full.last_id();
    let mut pages = full.pages(1, last, 10, false);
    pages.remove(1);
    let mut replayer = Replayer::new();
    let err = replayer.extend(&pages, last).unwrap_err();
    assert!(
        matches!(&err, ReplayError::HistoryGap(m) if m.contains("from event 10 to event 21")),
        "{err}"
    );

    // A gap leaves the replayer usable: the caller can fetch again.
    replayer
        .extend(&full.pages(1, last, 10, false), last)
        .unwrap();

    // Missing tail, and a delta that does not start after the held events.
    let mut replayer = Replayer::new();
    let err = replayer
        .extend(&full.pages(1, 20, 10, false), last)
        .unwrap_err();
    assert!(
        matches!(&err, ReplayError::HistoryGap(m) if m.contains("ends at event 20")),
        "{err}"
    );
    let mut replayer = Replayer::new();
    replayer.extend(&full.pages(1, 9, 10, false), 9).unwrap();
    drain(&mut replayer, &mut 0, 5);
    let err = replayer
        .extend(&full.pages(12, 15, 10, false), 15)
        .unwrap_err();
    assert!(
        matches!(&err, ReplayError::HistoryGap(m) if m.contains("from event 9 to event 12")),
        "{err}"
    );
    let err = replayer
        .extend(&full.pages(1, 5, 10, false), 5)
        .unwrap_err();
    assert!(matches!(err, ReplayError::HistoryGap(_)));
}

#[test]
fn memory_follows_what_replay_still_needs() {
    let n = 50;
    let full = sequential(n, false);
    let mut replayer = Replayer::new();
    replayer
        .extend(&full.pages(1, full.last_id(), 100, false), full.last_id())
        .unwrap();
    let mut k = 0;
    drain(&mut replayer, &mut k, n);
    // Every activity closed and every activation was consumed.
    assert_eq!(replayer.index_sizes(), (0, 0, 0, 0));
    let mut b = Builder::started("in");
    let dtc = b.task();
    b.activity_scheduled(dtc, "1", "a");
    b.task_started();
    let mut open = Replayer::new();
    open.extend([&b.page()], b.last_id()).unwrap();
    assert_eq!(open.index_sizes(), (1, 0, 0, 2));
}

#[test]
fn extend_waits_until_every_activation_is_processed() {
    let full = sequential(2, false);
    let mut replayer = Replayer::new();
    replayer.extend(&full.pages(1, 3, 1000, false), 3).unwrap();
    let later = full.pages(4, 9, 1000, false);
    let err = replayer.extend(&later, 9).unwrap_err();
    assert!(
        matches!(&err, ReplayError::Usage(m) if m.contains("drain")),
        "{err}"
    );
    replayer.next_activation().unwrap().unwrap();
    let err = replayer.extend(&later, 9).unwrap_err();
    assert!(
        matches!(&err, ReplayError::Usage(m) if m.contains("outstanding")),
        "{err}"
    );
    let owned = [(
        "ScheduleActivityTask".into(),
        "1".into(),
        "step".into(),
        "wf.py:1 in run".into(),
    )];
    replayer.complete_activation(&commands(&owned)).unwrap();
    replayer.extend(&later, 9).unwrap();
    assert!(replayer.next_activation().unwrap().is_some());
}
