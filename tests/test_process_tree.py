"""benchmarks.process_tree: peak memory summed over a command's processes, not only its largest."""

import sys

from benchmarks import process_tree

# Holds ~300 MB in each of two children at once, and exits with status 3.
TWO_CHILDREN = """
import subprocess, sys
hold = (
    "import time; block = bytearray(300_000_000); "
    "block[::4096] = b'x' * len(block[::4096]); time.sleep(2)"
)
children = [subprocess.Popen([sys.executable, "-c", hold]) for _ in range(2)]
for child in children:
    child.wait()
sys.exit(3)
"""


def test_the_peak_counts_every_process_of_the_tree():
    result = process_tree.measure(
        [sys.executable, "-c", TWO_CHILDREN], interval=0.1, pss_interval=0.5
    )
    assert result["exit_status"] == 3
    assert result["wall_seconds"] >= 2
    assert 0.3 <= result["peak_single_process_rss_gb"] < 0.45
    assert result["peak_total_rss_gb"] >= 0.6  # both children, measured together
    # Private pages count fully in PSS too; the shared interpreter pages only once in all.
    assert 0.6 <= result["peak_total_pss_gb"] <= result["peak_total_rss_gb"]


def test_the_command_line_passes_the_exit_status_on(capsys):
    status = process_tree.main(["--", sys.executable, "-c", "import sys; sys.exit(5)"])
    assert status == 5
    assert '"exit_status": 5' in capsys.readouterr().out
