"""The pytest plugin: a workflow author's test module gets the fixtures from the entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(180)

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# A workflow author's test module: no conftest, no plugin option, no fixture import.
USER_TESTS = '''
"""Tests a workflow author writes."""

import pytest

from botoflowx import DAYS, WorkflowDefinition, activities, activity, execute, workflow_time


@activities(schedule_to_start_timeout=60, start_to_close_timeout=60)
class Greetings:
    @activity(version="1.0")
    def greet(self, name):
        return f"Hello {name}!"


class Hello(WorkflowDefinition):
    @execute(version="1.0", execution_start_to_close_timeout=3 * DAYS)
    def hello(self, name):
        yield workflow_time.sleep(DAYS)
        greeting = yield Greetings.greet(name)
        return greeting


def test_a_day_passes_at_once(botoflowx_env):
    botoflowx_env.run_workers(Hello, Greetings())
    handle = botoflowx_env.start_workflow(Hello.hello, "World")
    assert handle.result(timeout=30) == "Hello World!"
    assert botoflowx_env.skipped_seconds >= DAYS - 1


@pytest.mark.botoflowx(time_skipping=False, domain="by-marker")
def test_the_marker_configures_the_environment(botoflowx_env):
    assert botoflowx_env.domain == "by-marker"
    assert botoflowx_env.time_skipping is False
    botoflowx_env.client.describe_domain(name="by-marker")


def test_activities_run_directly(activity_env):
    assert activity_env.run(Greetings().greet, "unit") == "Hello unit!"
'''

# The same fixtures, annotated with the kit's types: the only botoflowx import.
KIT_ONLY_TESTS = '''
"""Only botoflowx.testing is imported."""

from botoflowx.testing import ActivityEnvironment, WorkflowEnvironment


def test_fixture_types(botoflowx_env: WorkflowEnvironment, activity_env: ActivityEnvironment):
    assert isinstance(botoflowx_env, WorkflowEnvironment)
    assert isinstance(activity_env, ActivityEnvironment)
    assert botoflowx_env.endpoint_url.startswith("http://127.0.0.1:")
'''

INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
filterwarnings =
    error
    ignore:datetime.datetime.utcnow:DeprecationWarning
"""


def declared_entry_point() -> str:
    """Return the ``pytest11`` entry point line that pyproject.toml declares."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    plugins = project["entry-points"]["pytest11"]
    assert plugins == {"botoflowx": "botoflowx.testing.pytest_plugin"}
    return f"botoflowx = {plugins['botoflowx']}"


def make_project(root: Path, entry_point: str) -> tuple[Path, Path]:
    """Write the author's tests, and a distribution that declares the entry point.

    The virtualenv's botoflowx may have been installed before the entry point
    existed, so the test installs it the way pip does: a ``*.dist-info``
    directory on the path with ``entry_points.txt``, which pytest scans at start.
    """
    tests = root / "project"
    tests.mkdir()
    (tests / "pytest.ini").write_text(INI)
    (tests / "test_author.py").write_text(USER_TESTS)
    (tests / "test_kit_only.py").write_text(KIT_ONLY_TESTS)
    site = root / "site"
    dist_info = site / "botoflowx_pytest_entry_point-0.0.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: botoflowx-pytest-entry-point\nVersion: 0.0.0\n"
    )
    (dist_info / "entry_points.txt").write_text(f"[pytest11]\n{entry_point}\n")
    return tests, site


def run_pytest(tests: Path, site: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", *options],
        cwd=tests,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )


def test_the_entry_point_gives_author_tests_their_fixtures(tmp_path: Path) -> None:
    tests, site = make_project(tmp_path, declared_entry_point())
    result = run_pytest(tests, site)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "4 passed" in output, output


def test_the_fixtures_come_from_the_plugin_named_botoflowx(tmp_path: Path) -> None:
    # Blocking the plugin by its entry-point name takes the fixtures away.
    tests, site = make_project(tmp_path, declared_entry_point())
    result = run_pytest(tests, site, "-p", "no:botoflowx", "test_kit_only.py")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "fixture 'botoflowx_env' not found" in output, output


def test_a_marker_with_positional_arguments_is_a_usage_error(tmp_path: Path) -> None:
    tests, site = make_project(tmp_path, declared_entry_point())
    (tests / "test_author.py").unlink()
    (tests / "test_kit_only.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.botoflowx(False)
            def test_it(botoflowx_env):
                pass
            """
        )
    )
    result = run_pytest(tests, site)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "keyword arguments only" in output, output
