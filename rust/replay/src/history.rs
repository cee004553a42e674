//! The history index: merges pages, splits events at decision-task boundaries
//! and turns them into activations.
//!
//! Events are applied once, in id order, and then forgotten: what survives an
//! `extend` is the activations not yet handed out plus a few small indexes
//! (open activities, in-flight external commands and child starts, the open
//! decision task). Memory therefore follows what replay still needs, not the
//! length of the history, which is what lets a sticky cache keep one
//! `History` per run.
//!
//! Boundary rules, per decision task (DT):
//!
//! | event | effect |
//! |---|---|
//! | DecisionTaskStarted | the jobs gathered so far belong to this DT (tentatively) |
//! | DecisionTaskCompleted | this DT is a boundary: queue its activation; the decision-result events that follow are its recorded decisions |
//! | DecisionTaskTimedOut | not a boundary: its jobs carry over to the next DT |
//! | DecisionTaskStarted == `started_event_id` | the live boundary: `is_replaying` false, no recorded decisions |
//! | any job event | appended to the jobs of the next DT to start (so events between a DT's start and completion go to the next one) |

use std::collections::{HashMap, HashSet, VecDeque};

use crate::activation::{Activation, Job, JobKind};
use crate::command::RecordedCommand;
use crate::error::{ReplayError, Result};
use crate::event::{Event, WorkflowStarted};
use crate::kind::EventKind;
use crate::page::Page;

/// A decision task that started and has not completed or timed out yet.
#[derive(Debug)]
struct OpenTask {
    started_id: u64,
    time: f64,
    jobs: Vec<Job>,
    /// Handed out as the live activation: its decisions come from this
    /// replayer's caller, not from history.
    live: bool,
}

/// The latest `DecisionTaskCompleted` and where its decisions are recorded.
#[derive(Debug, Clone, Copy)]
struct Completion {
    completed_id: u64,
    /// `started_event_id` of the queued activation that receives the
    /// recorded decisions; `None` for a task answered live.
    activation: Option<u64>,
}

/// Activation slots a drained queue keeps (a sticky task brings one or two).
const IDLE_QUEUE_CAPACITY: usize = 4;

/// Replay state of one run: indexes plus the activations not yet handed out.
#[derive(Debug, Default)]
pub struct History {
    last_event_id: u64,
    workflow_started: Option<WorkflowStarted>,
    /// `ActivityTaskScheduled` id -> activityId, while the activity is open.
    activities: HashMap<u64, Box<str>>,
    /// `*ExternalWorkflowExecutionInitiated` id -> control, while in flight.
    externals: HashMap<u64, Box<str>>,
    /// `StartChildWorkflowExecutionInitiated` ids whose start is unresolved.
    child_starts: HashSet<u64>,
    /// Jobs that happened after the last DT started.
    pending_jobs: Vec<Job>,
    open_task: Option<OpenTask>,
    completion: Option<Completion>,
    ready: VecDeque<Activation>,
}

impl History {
    /// The highest event id applied (0 when empty).
    pub fn last_event_id(&self) -> u64 {
        self.last_event_id
    }

    /// The run's start attributes, once event 1 is applied.
    pub fn workflow_started(&self) -> Option<&WorkflowStarted> {
        self.workflow_started.as_ref()
    }

    /// Sizes of the indexes and the activation queue (for memory tests).
    #[cfg(test)]
    pub(crate) fn index_sizes(&self) -> (usize, usize, usize, usize) {
        (
            self.activities.len(),
            self.externals.len(),
            self.child_starts.len(),
            self.ready.len(),
        )
    }

    /// Whether activations are queued and not yet handed out.
    pub fn has_pending_activations(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Takes the next boundary not yet handed out.
    pub fn pop_activation(&mut self) -> Option<Activation> {
        let activation = self.ready.pop_front();
        // A full replay queues one activation per boundary; a run kept in the sticky
        // cache afterwards needs only a few slots, so give the rest of that memory back.
        if self.ready.is_empty() && self.ready.capacity() > IDLE_QUEUE_CAPACITY {
            self.ready.shrink_to(IDLE_QUEUE_CAPACITY);
        }
        activation
    }

    /// Applies the events of `pages` with ids in `last_event_id+1..=started_event_id`.
    ///
    /// # Errors
    /// `HistoryGap` when those ids are not all present; `MalformedHistory`
    /// when events contradict each other; `Usage` when a DT this history
    /// handed out live timed out (the caller's state is stale). A gap is
    /// found before anything is applied; after the other errors the history
    /// may be partly applied and must be discarded.
    pub fn extend<'p, I>(&mut self, pages: I, started_event_id: u64) -> Result<()>
    where
        I: IntoIterator<Item = &'p Page>,
    {
        let events = self.merge(pages, started_event_id)?;
        for event in events {
            self.apply(event)?;
            self.last_event_id = event.id;
        }
        if let Some(task) = &mut self.open_task {
            if task.started_id == started_event_id && !task.live {
                task.live = true;
                self.ready.push_back(Activation {
                    started_event_id,
                    time: task.time,
                    is_replaying: false,
                    jobs: std::mem::take(&mut task.jobs),
                    recorded_markers: Vec::new(),
                    recorded: Vec::new(),
                });
            }
        }
        Ok(())
    }

    /// The new events, ascending, without duplicates, checked to be exactly
    /// `last_event_id+1..=started_event_id`.
    fn merge<'p, I>(&self, pages: I, started_event_id: u64) -> Result<Vec<&'p Event>>
    where
        I: IntoIterator<Item = &'p Page>,
    {
        let after = self.last_event_id;
        if started_event_id < after {
            return Err(ReplayError::gap(format!(
                "the decision task started at event {started_event_id}, before event {after} \
                 which is already applied"
            )));
        }
        let mut events: Vec<&Event> = pages
            .into_iter()
            .flat_map(|page| page.events.iter())
            .filter(|e| e.id > after && e.id <= started_event_id)
            .collect();
        // Stable sort: linear on ascending pages and on reversed ones (runs).
        events.sort_by_key(|e| e.id);
        events.dedup_by_key(|e| e.id);
        let mut previous = after;
        for event in &events {
            // Sorted, deduplicated and all above `after`: `event.id > previous`,
            // so the subtraction cannot underflow.
            if event.id - previous != 1 {
                return Err(ReplayError::gap(format!(
                    "history jumps from event {previous} to event {}: a page is missing",
                    event.id
                )));
            }
            previous = event.id;
        }
        let last = events.last().map_or(after, |e| e.id);
        if last != started_event_id {
            return Err(ReplayError::gap(format!(
                "history ends at event {last} but the decision task started at event \
                 {started_event_id}: a page is missing"
            )));
        }
        Ok(events)
    }

    fn apply(&mut self, event: &Event) -> Result<()> {
        use EventKind as K;
        match event.kind {
            K::DecisionTaskStarted => self.task_started(event),
            K::DecisionTaskCompleted => self.task_completed(event),
            K::DecisionTaskTimedOut => self.task_timed_out(event),
            K::WorkflowExecutionStarted => {
                self.workflow_started = event.attrs.started.as_deref().cloned();
                self.job(JobKind::WorkflowStarted, event, "");
                Ok(())
            }
            K::WorkflowExecutionSignaled => {
                self.job(JobKind::Signaled, event, "");
                Ok(())
            }
            K::WorkflowExecutionCancelRequested => {
                self.job(JobKind::CancelRequested, event, "");
                Ok(())
            }
            K::ActivityTaskCompleted => self.activity_closed(JobKind::ActivityCompleted, event),
            K::ActivityTaskFailed => self.activity_closed(JobKind::ActivityFailed, event),
            K::ActivityTaskTimedOut => self.activity_closed(JobKind::ActivityTimedOut, event),
            K::ActivityTaskCanceled => self.activity_closed(JobKind::ActivityCanceled, event),
            K::TimerFired => {
                self.job(JobKind::TimerFired, event, event.key());
                Ok(())
            }
            K::ChildWorkflowExecutionStarted => {
                self.child_starts.remove(&event.attrs.initiated_id);
                self.job(JobKind::ChildStarted, event, event.key());
                Ok(())
            }
            K::ChildWorkflowExecutionCompleted => self.child_closed(JobKind::ChildCompleted, event),
            K::ChildWorkflowExecutionFailed => self.child_closed(JobKind::ChildFailed, event),
            K::ChildWorkflowExecutionTimedOut => self.child_closed(JobKind::ChildTimedOut, event),
            K::ChildWorkflowExecutionCanceled => self.child_closed(JobKind::ChildCanceled, event),
            K::ChildWorkflowExecutionTerminated => {
                self.child_closed(JobKind::ChildTerminated, event)
            }
            K::ExternalWorkflowExecutionSignaled => {
                self.external_closed(JobKind::ExternalSignaled, event)
            }
            K::ExternalWorkflowExecutionCancelRequested => {
                self.external_closed(JobKind::ExternalCancelRequested, event)
            }
            K::StartChildWorkflowExecutionFailed
                if self.child_starts.remove(&event.attrs.initiated_id) =>
            {
                // The start was initiated earlier and failed asynchronously:
                // an outcome, not the record of a decision.
                self.job(JobKind::StartChildFailed, event, event.key());
                Ok(())
            }
            K::SignalExternalWorkflowExecutionFailed
            | K::RequestCancelExternalWorkflowExecutionFailed
                if self.externals.contains_key(&event.attrs.initiated_id) =>
            {
                self.external_closed(external_failed_job(event.kind), event)
            }
            _ if event.attrs.decision_task_completed_id != 0 => self.decision_result(event),
            // Bookkeeping with nothing for the workflow code: DT scheduled,
            // activity started, run timed out/terminated, Lambda progress.
            _ => Ok(()),
        }
    }

    fn job(&mut self, kind: JobKind, event: &Event, key: &str) {
        self.pending_jobs.push(Job::from_event(kind, event, key));
    }

    fn task_started(&mut self, event: &Event) -> Result<()> {
        if let Some(open) = &self.open_task {
            return Err(ReplayError::malformed(format!(
                "event {} (DecisionTaskStarted) while the decision task started at event {} \
                 is still open",
                event.id, open.started_id
            )));
        }
        self.open_task = Some(OpenTask {
            started_id: event.id,
            time: event.timestamp,
            jobs: std::mem::take(&mut self.pending_jobs),
            live: false,
        });
        Ok(())
    }

    fn take_open_task(&mut self, event: &Event) -> Result<OpenTask> {
        let started_id = event.attrs.started_id;
        match self.open_task.take() {
            Some(task) if task.started_id == started_id => Ok(task),
            other => {
                self.open_task = other;
                Err(ReplayError::malformed(format!(
                    "event {} ({}) names DecisionTaskStarted event {started_id}, which is not \
                     the open decision task",
                    event.id,
                    event.kind.name()
                )))
            }
        }
    }

    fn task_completed(&mut self, event: &Event) -> Result<()> {
        let task = self.take_open_task(event)?;
        let activation = if task.live {
            None
        } else {
            self.ready.push_back(Activation {
                started_event_id: task.started_id,
                time: task.time,
                is_replaying: true,
                jobs: task.jobs,
                recorded_markers: Vec::new(),
                recorded: Vec::new(),
            });
            Some(task.started_id)
        };
        self.completion = Some(Completion {
            completed_id: event.id,
            activation,
        });
        Ok(())
    }

    fn task_timed_out(&mut self, event: &Event) -> Result<()> {
        // A schedule-to-start timeout names no started event: nothing ran.
        if event.attrs.started_id == 0 {
            return Ok(());
        }
        let task = self.take_open_task(event)?;
        if task.live {
            return Err(ReplayError::usage(format!(
                "the decision task started at event {} was answered by this replayer but timed \
                 out (event {}): its decisions were never applied, so the cached workflow state \
                 is stale; replay the run from the start",
                task.started_id, event.id
            )));
        }
        // Nobody saw these jobs: they belong to the next decision task,
        // ahead of anything that happened while this one was running.
        let mut jobs = task.jobs;
        jobs.append(&mut self.pending_jobs);
        self.pending_jobs = jobs;
        Ok(())
    }

    /// An event carrying `decisionTaskCompletedEventId`: the record of a
    /// decision, and for `*Failed` results also a job of the next activation.
    fn decision_result(&mut self, event: &Event) -> Result<()> {
        use EventKind as K;
        let completion = match self.completion {
            Some(c) if c.completed_id == event.attrs.decision_task_completed_id => c,
            _ => {
                return Err(ReplayError::malformed(format!(
                    "event {} ({}) names DecisionTaskCompleted event {}, which is not the latest \
                     completed decision task",
                    event.id,
                    event.kind.name(),
                    event.attrs.decision_task_completed_id
                )))
            }
        };
        if let Some(recorded) = RecordedCommand::from_event(event) {
            self.record(completion, event, recorded);
        }
        let failed_job = match event.kind {
            K::ActivityTaskScheduled => {
                self.activities.insert(event.id, event.key().into());
                None
            }
            K::StartChildWorkflowExecutionInitiated => {
                self.child_starts.insert(event.id);
                None
            }
            K::SignalExternalWorkflowExecutionInitiated
            | K::RequestCancelExternalWorkflowExecutionInitiated => {
                self.externals.insert(event.id, event.key().into());
                None
            }
            K::ScheduleActivityTaskFailed => Some(JobKind::ScheduleActivityFailed),
            K::RequestCancelActivityTaskFailed => Some(JobKind::RequestCancelActivityFailed),
            K::StartTimerFailed => Some(JobKind::StartTimerFailed),
            K::CancelTimerFailed => Some(JobKind::CancelTimerFailed),
            K::RecordMarkerFailed => Some(JobKind::RecordMarkerFailed),
            K::StartChildWorkflowExecutionFailed => Some(JobKind::StartChildFailed),
            K::SignalExternalWorkflowExecutionFailed => Some(JobKind::SignalExternalFailed),
            K::RequestCancelExternalWorkflowExecutionFailed => Some(JobKind::CancelExternalFailed),
            K::CompleteWorkflowExecutionFailed
            | K::FailWorkflowExecutionFailed
            | K::CancelWorkflowExecutionFailed
            | K::ContinueAsNewWorkflowExecutionFailed => Some(JobKind::CloseFailed),
            _ => None,
        };
        if let Some(kind) = failed_job {
            self.job(kind, event, event.key());
        }
        Ok(())
    }

    fn record(&mut self, completion: Completion, event: &Event, recorded: RecordedCommand) {
        let Some(started_id) = completion.activation else {
            return;
        };
        // The activation is the newest queued one unless the caller already
        // took it (possible only if it cut the history right after the
        // DecisionTaskCompleted); then there is nothing left to match.
        let Some(activation) = self.ready.back_mut() else {
            return;
        };
        if activation.started_event_id != started_id {
            return;
        }
        if event.kind == EventKind::MarkerRecorded {
            activation
                .recorded_markers
                .push((event.key().into(), event.attrs.details.clone()));
        }
        activation.recorded.push(recorded);
    }

    fn activity_closed(&mut self, kind: JobKind, event: &Event) -> Result<()> {
        let scheduled = event.attrs.scheduled_id;
        let Some(activity_id) = self.activities.remove(&scheduled) else {
            return Err(ReplayError::malformed(format!(
                "event {} ({}) names scheduled event {scheduled}, which is not an open \
                 ActivityTaskScheduled",
                event.id,
                event.kind.name()
            )));
        };
        self.job(kind, event, &activity_id);
        Ok(())
    }

    fn child_closed(&mut self, kind: JobKind, event: &Event) -> Result<()> {
        self.child_starts.remove(&event.attrs.initiated_id);
        self.job(kind, event, event.key());
        Ok(())
    }

    fn external_closed(&mut self, kind: JobKind, event: &Event) -> Result<()> {
        let initiated = event.attrs.initiated_id;
        let Some(control) = self.externals.remove(&initiated) else {
            return Err(ReplayError::malformed(format!(
                "event {} ({}) names initiated event {initiated}, which is not an external \
                 signal or cancel request in flight",
                event.id,
                event.kind.name()
            )));
        };
        self.job(kind, event, &control);
        Ok(())
    }
}

fn external_failed_job(kind: EventKind) -> JobKind {
    if kind == EventKind::SignalExternalWorkflowExecutionFailed {
        JobKind::SignalExternalFailed
    } else {
        JobKind::CancelExternalFailed
    }
}
