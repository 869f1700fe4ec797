"""Whether a generated answer gives the expected answer of a checkable task.

Rows that carry a ``task`` (one of :data:`TASK_FAMILIES`) and an ``answer`` can be graded,
whatever data set they come from; the demo generator (alignbench.data.demo) writes such rows.
"""

from __future__ import annotations

import re

# The task families that have a checker; any other task name cannot be graded.
TASK_FAMILIES: tuple[str, ...] = (
    "arithmetic",
    "unit_conversion",
    "sorting",
    "word_ops",
    "fact_lookup",
    "format",
)

_NUMBER_LIST = re.compile(r"\d+(?:, \d+)*")


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def _numbers(text: str) -> list[float]:
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # "7,000" is 7000
    return [float(match) for match in re.findall(r"\d+(?:\.\d+)?", text)]


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return size > 0 and any(
        haystack[i : i + size] == needle for i in range(len(haystack) - size + 1)
    )


def _check_format(expected: str, generation: str) -> bool:
    """An all-capitals answer must come without any lower-case letter; any other (a number,
    a single word) must be the generation's only word."""
    if expected.isupper():
        has_lower = any(ch.islower() for ch in generation)
        return not has_lower and _contains_run(_words(generation), _words(expected))
    return len(generation.split()) == 1 and _words(generation) == _words(expected)


def _check_numbers(expected: str, generation: str) -> bool:
    """The generation's last numbers must be the expected ones."""
    wanted, found = _numbers(expected), _numbers(generation)
    return len(found) >= len(wanted) and found[-len(wanted) :] == wanted


def check_answer(task: str, expected: str, generation: str) -> bool:
    """Return True when ``generation`` gives the ``expected`` answer of a ``task`` family.

    Matching ignores case, whitespace and punctuation, and works on whole tokens (runs of letters
    or digits), so "42" matches "The answer is 42." but not "420".

    * Numeric answers (a number, or a comma-separated list for sorting): the LAST numbers of the
      generation must equal the expected ones, so restating the operands ("37 + 48 = 85.") is fine
      but a trailing wrong or extra number is not. "7,000" counts as 7000 and "85.0" as 85.
    * Other answers (words, phrases): the expected tokens must appear as one contiguous run.
    * ``format``: the format is enforced as well. An all-capitals expected answer requires a
      generation with no lower-case letter at all; a number or a single lower-case word requires
      a generation that is exactly that one word (surrounding punctuation aside).

    Unknown ``task`` names raise ValueError.
    """
    if task not in TASK_FAMILIES:
        raise ValueError(f"Unknown task {task!r}; known families: {', '.join(TASK_FAMILIES)}")
    expected = expected.strip()
    if task == "format":
        return _check_format(expected, generation)
    if _NUMBER_LIST.fullmatch(expected):
        return _check_numbers(expected, generation)
    return _contains_run(_words(generation), _words(expected))
