//! The pyo3 glue: the `botoflowx._replay` extension module.
//!
//! Thin by design: it converts arguments, releases the GIL around the heavy
//! work, builds the few Python objects activations need, and maps the crate's
//! one error enum to Python exceptions in one place ([`to_py_err`]).
//!
//! Exceptions:
//!
//! ```text
//! Exception
//!  +-- ReplayError                (usage errors, stale sticky state)
//!       +-- MalformedHistoryError
//!       +-- HistoryGapError
//!       +-- NonDeterminismError   (.event_id, .location)
//! ```

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyTuple};

use crate::activation::{Activation, Job, JobKind};
use crate::command::Command;
use crate::error::ReplayError as CoreError;
use crate::event::WorkflowStarted;
use crate::page::Page;
use crate::replayer::Replayer;

create_exception!(
    botoflowx._replay,
    ReplayError,
    PyException,
    "Base class of every error raised by the replay core."
);
create_exception!(
    botoflowx._replay,
    MalformedHistoryError,
    ReplayError,
    "A page is not valid SWF JSON, or an event lacks a required field."
);
create_exception!(
    botoflowx._replay,
    HistoryGapError,
    ReplayError,
    "Event ids are not contiguous."
);
create_exception!(
    botoflowx._replay,
    NonDeterminismError,
    ReplayError,
    "The workflow code produced commands that contradict the recorded history."
);

/// Below these sizes the work takes microseconds, less than the GIL round
/// trip: re-acquiring the GIL can wait a whole switch interval (5 ms) when
/// other threads are busy, so small inputs are handled without releasing it.
pub(crate) const DETACH_MIN_BYTES: usize = 64 * 1024;
const DETACH_MIN_EVENTS: usize = 256;

/// The one place where crate errors become Python exceptions.
fn to_py_err(py: Python<'_>, err: CoreError) -> PyErr {
    match err {
        CoreError::MalformedHistory(message) => MalformedHistoryError::new_err(message),
        CoreError::HistoryGap(message) => HistoryGapError::new_err(message),
        CoreError::Usage(message) => ReplayError::new_err(message),
        CoreError::NonDeterminism {
            event_id,
            location,
            message,
        } => {
            let err = NonDeterminismError::new_err(message);
            let value = err.value(py);
            if let Err(e) = value
                .setattr("event_id", event_id)
                .and_then(|()| value.setattr("location", location))
            {
                return e;
            }
            err
        }
    }
}

/// One parsed response page (decision task or history).
#[pyclass(frozen, module = "botoflowx._replay", name = "DecisionTaskPage")]
pub struct PyDecisionTaskPage {
    page: Page,
}

#[pymethods]
impl PyDecisionTaskPage {
    /// Parse raw response bytes; the GIL is released while parsing.
    #[staticmethod]
    fn parse(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let page = if data.len() >= DETACH_MIN_BYTES {
            // Safe to run without the GIL: `data` borrows an immutable
            // `bytes` object that this call keeps alive, and the parser
            // touches no Python object.
            py.detach(|| Page::parse(data))
        } else {
            Page::parse(data)
        };
        page.map(|page| Self { page }).map_err(|e| to_py_err(py, e))
    }

    #[getter]
    fn task_token(&self) -> Option<&str> {
        self.page.task_token.as_deref()
    }
    #[getter]
    fn started_event_id(&self) -> u64 {
        self.page.started_event_id
    }
    #[getter]
    fn previous_started_event_id(&self) -> u64 {
        self.page.previous_started_event_id
    }
    #[getter]
    fn workflow_id(&self) -> Option<&str> {
        self.page.workflow_id.as_deref()
    }
    #[getter]
    fn run_id(&self) -> Option<&str> {
        self.page.run_id.as_deref()
    }
    #[getter]
    fn workflow_type_name(&self) -> Option<&str> {
        self.page.workflow_type_name.as_deref()
    }
    #[getter]
    fn workflow_type_version(&self) -> Option<&str> {
        self.page.workflow_type_version.as_deref()
    }
    #[getter]
    fn next_page_token(&self) -> Option<&str> {
        self.page.next_page_token.as_deref()
    }
    #[getter]
    fn event_count(&self) -> usize {
        self.page.events.len()
    }
    #[getter]
    fn first_event_id(&self) -> u64 {
        self.page.first_event_id()
    }
    #[getter]
    fn last_event_id(&self) -> u64 {
        self.page.last_event_id()
    }

    fn __repr__(&self) -> String {
        format!(
            "<DecisionTaskPage events={} ids={}..{} started_event_id={}>",
            self.page.events.len(),
            self.page.first_event_id(),
            self.page.last_event_id(),
            self.page.started_event_id
        )
    }
}

fn opt_string(value: &Option<Box<str>>) -> Option<String> {
    value.as_deref().map(str::to_owned)
}

/// The attributes of the run's `WorkflowExecutionStarted` event.
#[pyclass(
    frozen,
    module = "botoflowx._replay",
    name = "WorkflowStarted",
    get_all
)]
pub struct PyWorkflowStarted {
    timestamp: f64,
    workflow_type_name: String,
    workflow_type_version: String,
    input: Option<String>,
    task_list: String,
    task_priority: Option<String>,
    child_policy: String,
    execution_start_to_close_timeout: Option<String>,
    task_start_to_close_timeout: Option<String>,
    tag_list: Vec<String>,
    lambda_role: Option<String>,
    continued_execution_run_id: Option<String>,
    parent_workflow_id: Option<String>,
    parent_run_id: Option<String>,
    parent_initiated_event_id: u64,
}

impl From<&WorkflowStarted> for PyWorkflowStarted {
    fn from(w: &WorkflowStarted) -> Self {
        Self {
            timestamp: w.timestamp,
            workflow_type_name: w.workflow_type_name.to_string(),
            workflow_type_version: w.workflow_type_version.to_string(),
            input: opt_string(&w.input),
            task_list: w.task_list.to_string(),
            task_priority: opt_string(&w.task_priority),
            child_policy: w.child_policy.to_string(),
            execution_start_to_close_timeout: opt_string(&w.execution_start_to_close_timeout),
            task_start_to_close_timeout: opt_string(&w.task_start_to_close_timeout),
            tag_list: w.tag_list.iter().map(ToString::to_string).collect(),
            lambda_role: opt_string(&w.lambda_role),
            continued_execution_run_id: opt_string(&w.continued_execution_run_id),
            parent_workflow_id: opt_string(&w.parent_workflow_id),
            parent_run_id: opt_string(&w.parent_run_id),
            parent_initiated_event_id: w.parent_initiated_event_id,
        }
    }
}

/// `Job.kind` as one shared, interned str per kind: the engine looks its
/// handler up by it once per job, and a new str each time would cost an
/// allocation, a decode and a hash.
fn kind_name(py: Python<'_>, kind: JobKind) -> Py<PyString> {
    static NAMES: PyOnceLock<Vec<Py<PyString>>> = PyOnceLock::new();
    let names = NAMES.get_or_init(py, || {
        JobKind::ALL
            .iter()
            .map(|kind| PyString::intern(py, kind.name()).unbind())
            .collect()
    });
    names[kind as usize].clone_ref(py)
}

/// An optional string field as a Python object (`None` when absent).
fn opt_str(py: Python<'_>, value: &Option<Box<str>>) -> Py<PyAny> {
    match value.as_deref() {
        Some(value) => PyString::new(py, value).into_any().unbind(),
        None => py.None(),
    }
}

/// One thing that happened, for the workflow code to react to.
///
/// The fields are Python objects made once, so pyo3 exposes them as struct
/// members, read without a getter call: a full replay reads the kind, key
/// and payload of every job. `None` stands for an absent field.
#[pyclass(frozen, module = "botoflowx._replay", name = "Job", get_all)]
pub struct PyJob {
    kind: Py<PyString>,
    event_id: Py<PyInt>,
    key: Py<PyString>,
    name: Py<PyAny>,
    payload: Py<PyAny>,
    reason: Py<PyAny>,
    details: Py<PyAny>,
    cause: Py<PyAny>,
    workflow_id: Py<PyAny>,
    run_id: Py<PyAny>,
}

#[pymethods]
impl PyJob {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "<Job {} event_id={} key={:?}>",
            self.kind.bind(py).to_str()?,
            self.event_id.bind(py),
            self.key.bind(py).to_str()?
        ))
    }
}

impl PyJob {
    fn new(py: Python<'_>, job: &Job) -> Self {
        Self {
            kind: kind_name(py, job.kind),
            event_id: PyInt::new(py, job.event_id).unbind(),
            key: PyString::new(py, &job.key).unbind(),
            name: opt_str(py, &job.name),
            payload: opt_str(py, &job.payload),
            reason: opt_str(py, &job.reason),
            details: opt_str(py, &job.details),
            cause: opt_str(py, &job.cause),
            workflow_id: opt_str(py, &job.workflow_id),
            run_id: opt_str(py, &job.run_id),
        }
    }
}

/// What the workflow code must process at one decision-task boundary.
///
/// Python objects made once, read as struct members (see `PyJob`). Tuples,
/// not lists: one allocation instead of two, and none when empty (the usual
/// markers); a full replay makes one activation per boundary.
#[pyclass(frozen, module = "botoflowx._replay", name = "Activation", get_all)]
pub struct PyActivation {
    started_event_id: Py<PyInt>,
    time: Py<PyFloat>,
    is_replaying: Py<PyBool>,
    jobs: Py<PyTuple>,
    recorded_markers: Py<PyTuple>,
    /// UTF-8 bytes of the jobs' payloads, so the decider's memory estimate
    /// need not fetch (and copy) every payload string a second time.
    payload_bytes: Py<PyInt>,
}

#[pymethods]
impl PyActivation {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<Activation started_event_id={} is_replaying={} jobs={}>",
            self.started_event_id.bind(py),
            self.is_replaying.bind(py),
            self.jobs.bind(py).len()
        )
    }
}

impl PyActivation {
    fn new(py: Python<'_>, activation: Activation) -> PyResult<Self> {
        let payload_bytes: usize = activation
            .jobs
            .iter()
            .filter_map(|job| job.payload.as_deref().map(str::len))
            .sum();
        let jobs = activation
            .jobs
            .iter()
            .map(|job| Py::new(py, PyJob::new(py, job)))
            .collect::<PyResult<Vec<_>>>()?;
        let markers = activation
            .recorded_markers
            .iter()
            .map(|(name, details)| PyTuple::new(py, [Some(&**name), details.as_deref()]))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Self {
            started_event_id: PyInt::new(py, activation.started_event_id).unbind(),
            time: PyFloat::new(py, activation.time).unbind(),
            is_replaying: PyBool::new(py, activation.is_replaying).to_owned().unbind(),
            jobs: PyTuple::new(py, jobs)?.unbind(),
            recorded_markers: PyTuple::new(py, markers)?.unbind(),
            payload_bytes: PyInt::new(py, payload_bytes).unbind(),
        })
    }
}

/// Replay state of one workflow run, fed page by page.
///
/// Not shared between threads while in use: a call on one thread while
/// another thread's `extend` runs without the GIL raises "already borrowed".
#[pyclass(module = "botoflowx._replay", name = "Replayer")]
pub struct PyReplayer {
    inner: Replayer,
}

#[pymethods]
impl PyReplayer {
    #[new]
    fn py_new() -> Self {
        Self {
            inner: Replayer::new(),
        }
    }

    fn extend(
        &mut self,
        py: Python<'_>,
        pages: Vec<Bound<'_, PyDecisionTaskPage>>,
        started_event_id: u64,
    ) -> PyResult<()> {
        let pages: Vec<&Page> = pages.iter().map(|p| &p.get().page).collect();
        let events: usize = pages.iter().map(|p| p.events.len()).sum();
        let inner = &mut self.inner;
        let result = if events >= DETACH_MIN_EVENTS {
            // Safe to run without the GIL: the pages are frozen (immutable)
            // Rust data kept alive by `pages`' Python references for the
            // whole call, `inner` is exclusively borrowed through pyo3's
            // borrow flag, and indexing touches no Python object.
            py.detach(|| inner.extend(pages.iter().copied(), started_event_id))
        } else {
            inner.extend(pages.iter().copied(), started_event_id)
        };
        result.map_err(|e| to_py_err(py, e))
    }

    fn next_activation(&mut self, py: Python<'_>) -> PyResult<Option<PyActivation>> {
        match self.inner.next_activation().map_err(|e| to_py_err(py, e))? {
            Some(activation) => Ok(Some(PyActivation::new(py, activation)?)),
            None => Ok(None),
        }
    }

    fn complete_activation<'py>(
        &mut self,
        py: Python<'py>,
        commands: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        // Any iterable, not only a sequence: the decider passes a lazy map
        // over its commands rather than build a list per activation.
        let commands = commands
            .try_iter()?
            .map(|item| item?.extract::<(PyBackedStr, PyBackedStr, PyBackedStr, PyBackedStr)>())
            .collect::<PyResult<Vec<_>>>()?;
        let commands: Vec<Command<'_>> = commands
            .iter()
            .map(|(decision_type, key, name, location)| Command {
                decision_type,
                key,
                name,
                location,
            })
            .collect();
        // The diff is a few comparisons per command: far cheaper than a GIL
        // round trip, so it runs with the GIL held.
        let new = self
            .inner
            .complete_activation(&commands)
            .map_err(|e| to_py_err(py, e))?;
        // A tuple: a replayed boundary has no new decisions, and the empty
        // tuple is shared.
        PyTuple::new(py, new)
    }

    #[getter]
    fn last_event_id(&self) -> u64 {
        self.inner.last_event_id()
    }

    #[getter]
    fn workflow_started(&self) -> Option<PyWorkflowStarted> {
        self.inner.workflow_started().map(PyWorkflowStarted::from)
    }

    #[getter]
    fn event_count(&self) -> u64 {
        self.inner.last_event_id()
    }
}

#[pymodule]
fn _replay(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ReplayError", py.get_type::<ReplayError>())?;
    m.add(
        "MalformedHistoryError",
        py.get_type::<MalformedHistoryError>(),
    )?;
    m.add("HistoryGapError", py.get_type::<HistoryGapError>())?;
    let nondeterminism = py.get_type::<NonDeterminismError>();
    // Class-level defaults, so instances raised from Python code (or built
    // by hand in tests) still carry the documented attributes.
    nondeterminism.setattr("event_id", 0)?;
    nondeterminism.setattr("location", "")?;
    m.add("NonDeterminismError", nondeterminism)?;
    m.add_class::<PyDecisionTaskPage>()?;
    m.add_class::<PyWorkflowStarted>()?;
    m.add_class::<PyJob>()?;
    m.add_class::<PyActivation>()?;
    m.add_class::<PyReplayer>()?;
    crate::python_wire::register(m)?;
    crate::python_payload::register(m)?;
    Ok(())
}
