"""Tests for the answer checker (alignbench.evaluation.grading)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from alignbench.evaluation.grading import check_answer


@pytest.mark.parametrize(
    ("task", "expected", "generation", "verdict"),
    [
        ("arithmetic", "42", "The answer is 42.", True),
        ("arithmetic", "42", "42", True),
        ("arithmetic", "42", "The answer is 420.", False),
        ("arithmetic", "42", "4200 - 4158 = 42.", True),
        ("arithmetic", "20", "40 - 20 = 21.", False),
        ("unit_conversion", "7000", "7 kilometres is 7,000 metres.", True),
        ("sorting", "3, 7, 9", "Sorted: 3, 7, 9.", True),
        ("sorting", "3, 7, 9", "3, 9, 7.", False),
        ("word_ops", "dog lazy the", "Reversed: Dog lazy the!", True),
        ("word_ops", "dog lazy the", "the lazy dog", False),
        ("fact_lookup", "Paris", "The capital of France is Paris.", True),
        ("fact_lookup", "Au", "The chemical symbol for gold is Ag.", False),
        ("fact_lookup", "New Delhi", "It is  new   delhi", True),
        ("format", "RED BOAT", "RED BOAT.", True),
        ("format", "RED BOAT", "red boat", False),
        ("format", "RED BOAT", "Sure: RED BOAT", False),
        ("format", "tiger", "Tiger.", True),
        ("format", "tiger", "The tiger.", False),
        ("format", "42", "42", True),
        ("format", "42", "The answer is 42.", False),
        ("arithmetic", " 85 ", "37 + 48 = 85.0", True),
        ("sorting", "3, 7, 9", "3, 7, 9, 12.", False),
    ],
)
def test_check_answer_edge_cases(task, expected, generation, verdict):
    assert check_answer(task, expected, generation) is verdict


def test_unknown_task_raises_naming_the_families():
    with pytest.raises(ValueError, match="arithmetic"):
        check_answer("poetry", "x", "x")


def test_grading_needs_no_demo_generator():
    """Accuracy on any data set is graded without loading the demo generator."""
    code = "import sys, alignbench.evaluation.answers; print('alignbench.data.demo' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
