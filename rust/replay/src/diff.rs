//! The decision diff: matches the code's commands against the recorded decisions.

use crate::command::{Command, DecisionType, RecordedCommand};
use crate::error::{ReplayError, Result};

const ADVICE: &str = "the workflow code changed incompatibly with running executions; \
                      revert it or version it with workflow.patched()";

/// Matches `commands` against the decisions recorded at one boundary.
///
/// A replayed boundary (`is_replaying`) must reproduce `recorded` exactly, in
/// order, by decision type, key and name, so the result is empty; a live one
/// has nothing recorded and every command is new. Returns the indices of the
/// new commands.
///
/// # Errors
/// `NonDeterminism` on the first difference (a different command, a missing
/// one or an extra one); `Usage` for a command whose decision type SWF does
/// not know.
pub fn diff(
    started_event_id: u64,
    is_replaying: bool,
    recorded: &[RecordedCommand],
    commands: &[Command<'_>],
) -> Result<Vec<usize>> {
    let mut types = Vec::with_capacity(commands.len());
    for (index, command) in commands.iter().enumerate() {
        let decision_type = DecisionType::from_name(command.decision_type).ok_or_else(|| {
            ReplayError::usage(format!(
                "command {index} has unknown decision type {:?} (made at {})",
                command.decision_type, command.location
            ))
        })?;
        types.push(decision_type);
    }
    if !is_replaying {
        return Ok((0..commands.len()).collect());
    }
    for (index, (command, decision_type)) in commands.iter().zip(&types).enumerate() {
        let Some(expected) = recorded.get(index) else {
            return Err(extra(started_event_id, recorded.len(), index, command));
        };
        let name_matches = expected
            .name
            .as_deref()
            .is_none_or(|name| name == command.name);
        if expected.decision_type != *decision_type
            || &*expected.key != command.key
            || !name_matches
        {
            return Err(mismatch(started_event_id, index, expected, command));
        }
    }
    if let Some(expected) = recorded.get(commands.len()) {
        return Err(missing(started_event_id, commands.len(), expected));
    }
    Ok(Vec::new())
}

fn describe(expected: &RecordedCommand) -> String {
    format!(
        "history event {} ({}: {} key {:?}, name {:?})",
        expected.event_id,
        expected.event_kind.name(),
        expected.decision_type.name(),
        &*expected.key,
        expected.name.as_deref().unwrap_or("?"),
    )
}

#[cold]
fn mismatch(
    started_event_id: u64,
    index: usize,
    expected: &RecordedCommand,
    command: &Command<'_>,
) -> ReplayError {
    ReplayError::NonDeterminism {
        event_id: expected.event_id,
        location: command.location.to_owned(),
        message: format!(
            "non-deterministic workflow at the decision task started at event {started_event_id}: \
             decision #{n} is {history}, but the workflow code now produced {} key {:?}, name {:?} \
             at {}; {ADVICE}",
            command.decision_type,
            command.key,
            command.name,
            command.location,
            n = index + 1,
            history = describe(expected),
        ),
    }
}

#[cold]
fn missing(started_event_id: u64, produced: usize, expected: &RecordedCommand) -> ReplayError {
    ReplayError::NonDeterminism {
        event_id: expected.event_id,
        location: String::new(),
        message: format!(
            "non-deterministic workflow at the decision task started at event {started_event_id}: \
             decision #{n} is {history}, but the workflow code produced only {produced} \
             command(s) there; {ADVICE}",
            n = produced + 1,
            history = describe(expected),
        ),
    }
}

#[cold]
fn extra(
    started_event_id: u64,
    recorded: usize,
    index: usize,
    command: &Command<'_>,
) -> ReplayError {
    ReplayError::NonDeterminism {
        event_id: 0,
        location: command.location.to_owned(),
        message: format!(
            "non-deterministic workflow at the decision task started at event {started_event_id}: \
             history recorded {recorded} decision(s) there, but the workflow code produced an \
             extra command #{n}, {} key {:?}, name {:?}, at {}; {ADVICE}",
            command.decision_type,
            command.key,
            command.name,
            command.location,
            n = index + 1,
        ),
    }
}
