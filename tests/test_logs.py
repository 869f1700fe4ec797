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
