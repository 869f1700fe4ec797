"""A Snakemake logger plugin for the tests: what a dry run plans, written as JSON.

Snakemake finds logger plugins by module name (``snakemake_logger_plugin_<name>`` on the Python
path), so tests put this folder's parent on PYTHONPATH and add
``--logger planned-jobs --logger-planned-jobs-path FILE`` (tests/workflow_runs.py, dry_run).

Snakemake logs a run as structured events, the same ones its own "Job stats" table and
``rule NAME:`` blocks are printed from: RUN_INFO carries ``stats`` (rule -> number of jobs, plus
``total``) and each job's JOB_INFO carries its rule, wildcards, resources and shell command.
Reading those fields spares the tests from parsing printed text.
"""

import json
import logging
from dataclasses import dataclass, field

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.common import LogEvent
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase


@dataclass
class LogHandlerSettings(LogHandlerSettingsBase):
    path: str = field(
        default="planned-jobs.json",
        metadata={"help": "File the planned jobs are written to, as JSON.", "type": str},
    )


class LogHandler(LogHandlerBase):
    """Keeps ``{"counts": {...}, "jobs": [...]}`` and rewrites the file on every event it uses.

    The file is written once at start, empty: a run that stops before building the DAG or has
    nothing to do sends neither event, and the file still shows that the plugin ran. Rewriting
    at each event, rather than on close, keeps what was seen even if Snakemake stops abruptly.
    """

    def __post_init__(self) -> None:
        self.plan = {"counts": {}, "jobs": []}
        self._write()

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if event == LogEvent.RUN_INFO:
            self.plan["counts"] = dict(record.stats)
        elif event == LogEvent.JOB_INFO:
            self.plan["jobs"].append(job_info(record))
        else:
            return
        self._write()

    def _write(self) -> None:
        with open(self.settings.path, "w", encoding="utf-8") as handle:
            json.dump(self.plan, handle, default=str)  # str: resources "to be determined"

    # Snakemake still prints its usual log; this handler writes only its own file, and sees
    # every event (no filter: RUN_INFO and JOB_INFO are kept under --quiet too).
    writes_to_stream = False
    writes_to_file = False
    has_filter = True
    has_formatter = True
    needs_rulegraph = False


def job_info(record: logging.LogRecord) -> dict:
    return {
        "rule": record.rule_name,
        "wildcards": dict(record.wildcards),
        "resources": dict(record.resources.items()),
        "shellcmd": record.shellcmd,
    }
