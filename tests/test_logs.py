"""Logging set-up: what a failing job leaves in the log file Snakemake points the user at."""

import subprocess
import sys

from tests.workflow_runs import REPO

FAILING_SCRIPT = """
import logging
from alignbench.logs import setup_logging

setup_logging({log!r})
logging.getLogger("job").info("started")
raise ValueError("data.local.path: rows.jsonl line 3: not valid JSON")
"""


def test_an_uncaught_error_is_written_to_the_log_with_its_traceback(tmp_path):
    log = tmp_path / "job.log"
    result = subprocess.run(
        [sys.executable, "-c", FAILING_SCRIPT.format(log=str(log))],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    text = log.read_text()
    assert "INFO job: started" in text
    assert "ValueError: data.local.path: rows.jsonl line 3: not valid JSON" in text
    assert "Traceback (most recent call last)" in text
    assert "rows.jsonl line 3" in result.stderr  # and on the terminal, as before


def run_script(script: str) -> subprocess.CompletedProcess:
    """Run ``script`` in a fresh interpreter: logging set-up changes process-wide state."""
    return subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )


def test_warnings_reach_the_log_file(tmp_path):
    log = tmp_path / "job.log"
    script = (
        "import warnings\nfrom alignbench.logs import setup_logging\n"
        f"setup_logging({str(log)!r})\nwarnings.warn('max_length is ignored')\n"
    )
    assert run_script(script).returncode == 0
    assert "WARNING py.warnings:" in log.read_text()
    assert "UserWarning: max_length is ignored" in log.read_text()


def test_a_rerun_rewrites_the_log_and_a_new_set_up_replaces_the_old(tmp_path):
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    first.write_text("left over from an earlier attempt\n")
    script = (
        "import logging\nfrom alignbench.logs import setup_logging\n"
        f"setup_logging({str(first)!r})\nlogging.getLogger('job').info('one')\n"
        f"setup_logging({str(second)!r})\nlogging.getLogger('job').info('two')\n"
    )
    result = run_script(script)
    assert result.returncode == 0, result.stderr
    assert "left over" not in first.read_text()  # Snakemake's log holds this run only
    assert "INFO job: one" in first.read_text() and "two" not in first.read_text()
    assert "INFO job: two" in second.read_text() and "one" not in second.read_text()
    assert "INFO job: one" in result.stderr and "INFO job: two" in result.stderr


def test_without_a_file_the_log_goes_to_stderr_at_info_level():
    script = (
        "import logging\nfrom alignbench.logs import setup_logging\n"
        "setup_logging()\nlogging.getLogger('job').debug('hidden')\n"
        "logging.getLogger('job').info('shown')\n"
    )
    result = run_script(script)
    assert result.returncode == 0 and result.stdout == ""
    assert "INFO job: shown" in result.stderr and "hidden" not in result.stderr


def test_an_interrupt_is_left_to_python_not_logged_as_a_failure(tmp_path):
    log = tmp_path / "job.log"
    script = (
        "from alignbench.logs import setup_logging\n"
        f"setup_logging({str(log)!r})\nraise KeyboardInterrupt\n"
    )
    result = run_script(script)
    assert result.returncode != 0
    assert "KeyboardInterrupt" in result.stderr  # Python's own report
    assert "CRITICAL" not in log.read_text() and "CRITICAL" not in result.stderr
