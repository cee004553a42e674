//! The replayer: one run's history fed page by page, activations out, diffs back.

use crate::activation::Activation;
use crate::command::{Command, RecordedCommand};
use crate::diff::diff;
use crate::error::{ReplayError, Result};
use crate::event::WorkflowStarted;
use crate::history::History;
use crate::page::Page;

/// The activation handed out and not yet completed.
#[derive(Debug)]
struct Outstanding {
    started_event_id: u64,
    is_replaying: bool,
    recorded: Vec<RecordedCommand>,
}

/// Replay state of one workflow run.
///
/// Per decision task: `extend`, then `next_activation` /
/// `complete_activation` until `next_activation` returns `None`. The same
/// value can be kept across decision tasks (the sticky cache); `extend` then
/// receives only the new events.
#[derive(Debug, Default)]
pub struct Replayer {
    history: History,
    outstanding: Option<Outstanding>,
    /// Set when an `extend` failed part-way: the indexes may be half-updated.
    broken: Option<String>,
}

impl Replayer {
    /// An empty replayer.
    pub fn new() -> Self {
        Self::default()
    }

    fn check_usable(&self) -> Result<()> {
        match &self.broken {
            Some(why) => Err(ReplayError::usage(format!(
                "this replayer failed earlier ({why}) and cannot be used; create a new one and \
                 replay from the start"
            ))),
            None => Ok(()),
        }
    }

    /// Adds the events of `pages` up to `started_event_id`.
    ///
    /// # Errors
    /// See [`History::extend`]; `Usage` when activations from the previous
    /// extend were not all processed. After an error raised while applying
    /// events (anything but a gap or the check above) the replayer refuses
    /// further use: applying may have stopped half-way.
    pub fn extend<'p, I>(&mut self, pages: I, started_event_id: u64) -> Result<()>
    where
        I: IntoIterator<Item = &'p Page>,
    {
        self.check_usable()?;
        // The recorded decisions of a boundary arrive with later events; an
        // activation handed out (or queued) before them would be matched
        // against an incomplete record.
        if let Some(outstanding) = &self.outstanding {
            return Err(ReplayError::usage(format!(
                "extend called while the activation at event {} is outstanding; complete it first",
                outstanding.started_event_id
            )));
        }
        if self.history.has_pending_activations() {
            return Err(ReplayError::usage(
                "extend called before every activation was handed out; drain next_activation first",
            ));
        }
        let result = self.history.extend(pages, started_event_id);
        if let Err(err) = &result {
            // A gap is detected before anything is applied; the rest may
            // leave the indexes half-updated.
            if !matches!(err, ReplayError::HistoryGap(_)) {
                self.broken = Some(err.to_string());
            }
        }
        result
    }

    /// The next boundary not yet handed out, or `None` when caught up.
    ///
    /// # Errors
    /// `Usage` when the previous activation was not completed.
    pub fn next_activation(&mut self) -> Result<Option<Activation>> {
        self.check_usable()?;
        if let Some(outstanding) = &self.outstanding {
            return Err(ReplayError::usage(format!(
                "the activation at event {} was not completed; call complete_activation first",
                outstanding.started_event_id
            )));
        }
        let Some(mut activation) = self.history.pop_activation() else {
            return Ok(None);
        };
        self.outstanding = Some(Outstanding {
            started_event_id: activation.started_event_id,
            is_replaying: activation.is_replaying,
            recorded: std::mem::take(&mut activation.recorded),
        });
        Ok(Some(activation))
    }

    /// Matches the commands of the outstanding activation against history
    /// and returns the indices of the new ones.
    ///
    /// # Errors
    /// `NonDeterminism` when they differ from the recorded decisions;
    /// `Usage` when no activation is outstanding or a decision type is unknown.
    pub fn complete_activation(&mut self, commands: &[Command<'_>]) -> Result<Vec<usize>> {
        let outstanding = self.outstanding.take().ok_or_else(|| {
            ReplayError::usage("complete_activation called with no activation outstanding")
        })?;
        diff(
            outstanding.started_event_id,
            outstanding.is_replaying,
            &outstanding.recorded,
            commands,
        )
    }

    /// The highest event id applied (0 when empty); every id below it is
    /// applied too, so it is also the number of events seen.
    pub fn last_event_id(&self) -> u64 {
        self.history.last_event_id()
    }

    /// The run's start attributes, once event 1 is applied.
    pub fn workflow_started(&self) -> Option<&WorkflowStarted> {
        self.history.workflow_started()
    }

    #[cfg(test)]
    pub(crate) fn index_sizes(&self) -> (usize, usize, usize, usize) {
        self.history.index_sizes()
    }
}
