"""The layouts preference data comes in: recognise a data set's layout, convert its rows to ours.

The workflow's own rows are those of ``mlabonne/orpo-dpo-mix-40k`` (``orpo_dpo_mix``):
``chosen`` and ``rejected`` are whole conversations (lists of ``{"role", "content"}``) sharing
every turn before the answer, next to ``source``, ``prompt`` and ``question`` text. Every other
layout is converted to that, once, in the data stage, so nothing downstream changes:

- ``trl_standard``: TRL's standard form, ``prompt``, ``chosen`` and ``rejected`` as text;
- ``trl_conversational``: TRL's conversational form, ``prompt`` a message list and ``chosen`` /
  ``rejected`` the assistant turn(s) only, or, with an implicit prompt, no ``prompt`` and
  ``chosen`` / ``rejected`` the whole conversations;
- ``openai``: hosted preference fine-tuning services, ``{"input": {"messages": [...]},
  "preferred_output": [answer], "non_preferred_output": [answer]}``;
- ``sharegpt``: LLaMA-Factory's ShareGPT preference rows, ``conversations`` of
  ``{"from", "value"}`` turns, ``chosen`` and ``rejected`` the answer turn, optional ``system``;
- ``hh``: Anthropic HH-RLHF, ``chosen`` / ``rejected`` as whole transcripts of
  ``\\n\\nHuman:`` and ``\\n\\nAssistant:`` turns;
- ``flat``: one text column each for the system prompt (optional), the prompt and the two
  answers, named by ``data.columns`` (by default Intel/orca_dpo_pairs' own: ``system``,
  ``question``, ``chosen``, ``rejected``).

``format: auto`` takes the layout most of the first rows fit; where a row fits several, the
first in ``LAYOUTS`` wins (the most specific first). A row the chosen layout cannot convert is
kept in its place as ``{LAYOUT_PROBLEM: reason, "original_row": row}``, so that the split
counts it by reason like any other invalid row and no other row changes split.

Standard library only: the Snakefile calls this while it builds the DAG.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from alignbench.data.schema import LAYOUT_PROBLEM

AUTO = "auto"
OWN_LAYOUT = "orpo_dpo_mix"
# The columns of a flat table, by role; the defaults are Intel/orca_dpo_pairs' own.
DEFAULT_COLUMNS = {
    "system": "system",
    "prompt": "question",
    "chosen": "chosen",
    "rejected": "rejected",
}
# How many of the first rows decide the layout (here and while the DAG is built).
DETECTION_ROWS = 100
FIX = (
    "Set data.format to the layout of the data, or name the columns of a flat table in "
    "data.columns (system, prompt, chosen, rejected); config/README.md shows each layout."
)


class RowProblem(Exception):
    """A row that its layout cannot turn into a preference pair; ``reason`` is counted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class LayoutError(ValueError):
    """The rows fit no layout the workflow knows, or not the one data.format names."""


# --- what a row of each layout looks like --------------------------------------------------


def _has(row: dict, *fields: str) -> bool:
    return all(field in row for field in fields)


def _is_orpo_dpo_mix(row: dict, columns: dict) -> bool:
    fields = ("source", "prompt", "question", "chosen", "rejected")
    # Text answers, or a message-list prompt, are another layout's with extra fields.
    return (
        _has(row, *fields)
        and not isinstance(row["chosen"], str)
        and not isinstance(row["prompt"], list)
    )


def _is_openai(row: dict, columns: dict) -> bool:
    return _has(row, "input", "preferred_output", "non_preferred_output")


def _is_sharegpt(row: dict, columns: dict) -> bool:
    return _has(row, "conversations", "chosen", "rejected")


def _is_trl_conversational(row: dict, columns: dict) -> bool:
    return _has(row, "chosen", "rejected") and isinstance(row["chosen"], list)


def _is_flat(row: dict, columns: dict) -> bool:
    fields = (columns["prompt"], columns["chosen"], columns["rejected"])
    return _has(row, *fields) and isinstance(row[columns["chosen"]], str)


def _is_trl_standard(row: dict, columns: dict) -> bool:
    return _has(row, "prompt", "chosen", "rejected") and isinstance(row["chosen"], str)


# A transcript turn starts after a blank line (one at the very start gets one added).
TRANSCRIPT_TURN = re.compile(r"\n\n(Human|Assistant):")
TRANSCRIPT_ROLES = {"Human": "user", "Assistant": "assistant"}


def _is_hh(row: dict, columns: dict) -> bool:
    chosen = row.get("chosen")
    return (
        _has(row, "chosen", "rejected")
        and isinstance(chosen, str)
        and (chosen.lstrip().startswith("Human:") or "\n\nHuman:" in chosen)
    )


# --- converting a row to the two conversations ---------------------------------------------


def _field(row: dict, name: str):
    if name not in row:
        raise RowProblem(f"missing_{name}")
    return row[name]


def _text(row: dict, name: str) -> str:
    value = _field(row, name)
    if not isinstance(value, str):
        raise RowProblem(f"{name}_not_a_string")
    return value


def _is_text_part(part) -> bool:
    return (
        isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
    )


def _content_text(content, name: str) -> str:
    """A message's content as text: a string, or a list of text parts (``{"type": "text",
    "text": ...}``, as OpenAI's chat format allows), joined. Other parts (images, audio) have
    no place in a text-only comparison: the row is counted, not trained on without them."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and content:
        if all(_is_text_part(part) for part in content):
            return "".join(part["text"] for part in content)
        raise RowProblem(f"{name}_content_not_text")
    raise RowProblem(f"{name}_content_not_a_string")


def _messages(value, name: str) -> list[dict]:
    """``value`` as a list of role/content messages (other keys left out), or a RowProblem."""
    if not isinstance(value, list) or not value:
        raise RowProblem(f"{name}_empty_or_not_a_list")
    messages = []
    for message in value:
        if not isinstance(message, dict) or not _has(message, "role", "content"):
            raise RowProblem(f"{name}_message_without_role_or_content")
        content = _content_text(message["content"], name)
        messages.append({"role": message["role"], "content": content})
    return messages


def _pair(shared: list[dict], chosen: list[dict], rejected: list[dict]) -> tuple[list, list]:
    return [*shared, *chosen], [*copy.deepcopy(shared), *rejected]


def _answer(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def _trl_conversational(row: dict, columns: dict) -> tuple[list, list]:
    chosen = _messages(_field(row, "chosen"), "chosen")
    rejected = _messages(_field(row, "rejected"), "rejected")
    prompt = row.get("prompt")
    if isinstance(prompt, list):
        shared = _messages(prompt, "prompt")
        if chosen[: len(shared)] == shared == rejected[: len(shared)]:
            shared = []  # the answers repeat the prompt: they are the whole conversations
    elif isinstance(prompt, str) and chosen[0]["role"] == "assistant":
        # A text prompt with conversational answers: the prompt is the user's turn.
        shared = [{"role": "user", "content": prompt}]
    else:  # implicit prompt: chosen and rejected are the whole conversations
        shared = []
    return _pair(shared, chosen, rejected)


def _openai(row: dict, columns: dict) -> tuple[list, list]:
    given = _field(row, "input")
    if not isinstance(given, dict) or "messages" not in given:
        raise RowProblem("input_without_messages")
    shared = _messages(given["messages"], "input_messages")
    chosen = _messages(_field(row, "preferred_output"), "preferred_output")
    rejected = _messages(_field(row, "non_preferred_output"), "non_preferred_output")
    return _pair(shared, chosen, rejected)


SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}


def _sharegpt_turns(value, name: str) -> list[dict]:
    """ShareGPT turns (``from``/``value``, or ``role``/``content``) as messages."""
    turns = [value] if isinstance(value, dict) else value  # an answer is often one turn
    if not isinstance(turns, list) or not turns:
        raise RowProblem(f"{name}_empty_or_not_a_list")
    messages = []
    for turn in turns:
        if isinstance(turn, dict) and _has(turn, "from", "value"):
            speaker, text = turn["from"], turn["value"]
        elif isinstance(turn, dict) and _has(turn, "role", "content"):
            speaker, text = turn["role"], turn["content"]
        else:
            raise RowProblem(f"{name}_turn_without_from_or_value")
        if not isinstance(speaker, str) or speaker not in SHAREGPT_ROLES:
            # Tool and observation turns have no place in a preference pair.
            raise RowProblem(f"{name}_unknown_role")
        if not isinstance(text, str):
            raise RowProblem(f"{name}_value_not_a_string")
        messages.append({"role": SHAREGPT_ROLES[speaker], "content": text})
    return messages


def _system_message(value) -> list[dict]:
    """A system prompt column's value as a message; none for a missing or empty one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if not isinstance(value, str):
        raise RowProblem("system_not_a_string")
    return [{"role": "system", "content": value}]


def _sharegpt(row: dict, columns: dict) -> tuple[list, list]:
    shared = _system_message(row.get("system"))
    shared += _sharegpt_turns(_field(row, "conversations"), "conversations")
    chosen = _sharegpt_turns(_field(row, "chosen"), "chosen")
    rejected = _sharegpt_turns(_field(row, "rejected"), "rejected")
    return _pair(shared, chosen, rejected)


def _transcript(value, name: str) -> list[dict]:
    """An HH transcript (``\\n\\nHuman: ...\\n\\nAssistant: ...``) as messages."""
    if not isinstance(value, str):
        raise RowProblem(f"{name}_not_a_string")
    text = value.lstrip()
    if text.startswith(tuple(f"{speaker}:" for speaker in TRANSCRIPT_ROLES)):
        text = "\n\n" + text
    before, *parts = TRANSCRIPT_TURN.split(text)
    if not parts:
        raise RowProblem(f"{name}_no_transcript_turns")
    if before.strip():
        raise RowProblem(f"{name}_text_before_first_turn")
    speakers, texts = parts[0::2], parts[1::2]
    return [
        {"role": TRANSCRIPT_ROLES[speaker], "content": content.strip()}
        for speaker, content in zip(speakers, texts, strict=True)
    ]


def _hh(row: dict, columns: dict) -> tuple[list, list]:
    chosen = _transcript(_field(row, "chosen"), "chosen")
    return chosen, _transcript(_field(row, "rejected"), "rejected")


def _flat(row: dict, columns: dict) -> tuple[list, list]:
    shared = _system_message(row.get(columns["system"])) if columns["system"] else []
    shared.append({"role": "user", "content": _text(row, columns["prompt"])})
    chosen = _answer(_text(row, columns["chosen"]))
    return _pair(shared, chosen, _answer(_text(row, columns["rejected"])))


def _trl_standard(row: dict, columns: dict) -> tuple[list, list]:
    shared = [{"role": "user", "content": _text(row, "prompt")}]
    return _pair(shared, _answer(_text(row, "chosen")), _answer(_text(row, "rejected")))


@dataclass(frozen=True)
class Layout:
    name: str
    description: str  # what its rows hold, for messages and the data report
    fields: Callable[[dict], tuple[str, ...]]  # the fields every row has, given data.columns
    fits: Callable[[dict, dict], bool]
    conversations: Callable[[dict, dict], tuple[list, list]] | None  # None: already ours


# In order of precedence: a row that fits several layouts is taken to be in the first.
LAYOUTS = (
    Layout(
        OWN_LAYOUT,
        "the workflow's own, as in mlabonne/orpo-dpo-mix-40k: source, prompt and question as "
        "text, chosen and rejected as whole conversations",
        lambda columns: ("source", "prompt", "question", "chosen", "rejected"),
        _is_orpo_dpo_mix,
        None,
    ),
    Layout(
        "openai",
        "hosted preference fine-tuning: input.messages, preferred_output and "
        "non_preferred_output as message lists",
        lambda columns: ("input", "preferred_output", "non_preferred_output"),
        _is_openai,
        _openai,
    ),
    Layout(
        "sharegpt",
        "ShareGPT as in LLaMA-Factory: conversations as from/value turns, chosen and "
        "rejected as the answer turn, an optional system",
        lambda columns: ("conversations", "chosen", "rejected"),
        _is_sharegpt,
        _sharegpt,
    ),
    Layout(
        "trl_conversational",
        "TRL's conversational form: chosen and rejected as message lists, the answers "
        "after a prompt message list or the whole conversations",
        lambda columns: ("chosen", "rejected"),
        _is_trl_conversational,
        _trl_conversational,
    ),
    Layout(
        "flat",
        "a flat table: text columns for the prompt, the chosen and the rejected answer "
        "and an optional system prompt, named by data.columns, by default question, chosen, "
        "rejected and system as in Intel/orca_dpo_pairs",
        lambda columns: (columns["prompt"], columns["chosen"], columns["rejected"]),
        _is_flat,
        _flat,
    ),
    Layout(
        "trl_standard",
        "TRL's standard form: prompt, chosen and rejected as text",
        lambda columns: ("prompt", "chosen", "rejected"),
        _is_trl_standard,
        _trl_standard,
    ),
    Layout(
        "hh",
        "Anthropic HH-RLHF: chosen and rejected as whole transcripts of \\n\\nHuman: and "
        "\\n\\nAssistant: turns",
        lambda columns: ("chosen", "rejected"),
        _is_hh,
        _hh,
    ),
)
BY_NAME = {layout.name: layout for layout in LAYOUTS}
FORMATS = (AUTO, *BY_NAME)


# --- choosing the layout ---------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    """The layout the rows are read in, and how many of the first rows fit it."""

    layout: str
    format: str  # data.format: auto, or the layout's name
    checked_rows: int
    fitting_rows: int

    def record(self) -> dict:
        return {
            "name": self.layout,
            "format": self.format,
            "description": BY_NAME[self.layout].description,
            "checked_rows": self.checked_rows,
            "fitting_rows": self.fitting_rows,
        }


def with_default_columns(columns: dict | None) -> dict:
    return {**DEFAULT_COLUMNS, **(columns or {})}


def first_fitting_layout(row: dict, columns: dict) -> str | None:
    """The first layout (in order of precedence) that ``row`` fits."""
    return next((layout.name for layout in LAYOUTS if layout.fits(row, columns)), None)


def detect(rows: list, data_format: str = AUTO, columns: dict | None = None) -> Detection:
    """The layout of ``rows``, judged by their first DETECTION_ROWS objects.

    ``auto`` takes the layout most of them fit (ties: the earlier layout in LAYOUTS), so a few
    broken rows at the top do not decide it; they are counted later, by reason. A named format
    only needs one of those rows to fit it. LayoutError when no row fits.
    """
    columns = with_default_columns(columns)
    sample = [row for row in rows[:DETECTION_ROWS] if isinstance(row, dict)]
    if data_format != AUTO:
        fitting = sum(BY_NAME[data_format].fits(row, columns) for row in sample)
        if not fitting:
            raise LayoutError(_not_the_named_layout(sample, data_format, columns))
        return Detection(data_format, data_format, len(sample), fitting)
    votes = Counter(first_fitting_layout(row, columns) for row in sample)
    votes.pop(None, None)
    if not votes:
        raise LayoutError(_no_known_layout(sample, columns))
    order = list(BY_NAME)
    layout = max(votes, key=lambda name: (votes[name], -order.index(name)))
    return Detection(layout, AUTO, len(sample), votes[layout])


def _keys(row: dict) -> str:
    return ", ".join(map(str, row)) or "no fields"


def _kinds(row: dict, fields: tuple[str, ...]) -> str:
    names = {str: "text", list: "a list", dict: "an object", type(None): "null"}
    return ", ".join(f"{field} is {names.get(type(row[field]), 'a number')}" for field in fields)


def known_layouts() -> str:
    return "; ".join(f"{layout.name} ({layout.description})" for layout in LAYOUTS)


def _missing_everywhere(sample: list[dict], fields: tuple[str, ...]) -> list[str]:
    return [field for field in fields if not any(field in row for row in sample)]


def _no_known_layout(sample: list[dict], columns: dict) -> str:
    """Which fields the closest layout misses, or, where rows have every field of some
    layouts, that their values are of other kinds."""
    first = sample[0] if sample else {}
    missing = {
        layout.name: _missing_everywhere(sample, layout.fields(columns)) for layout in LAYOUTS
    }
    complete = [name for name in BY_NAME if not missing[name]]
    if complete:
        fields = tuple(dict.fromkeys(f for name in complete for f in BY_NAME[name].fields(columns)))
        holder = max(sample, key=lambda row: sum(field in row for field in fields))
        fields = tuple(field for field in fields if field in holder)
        problem = (
            f"its first rows fit no layout the workflow knows: they have the fields of "
            f"{' and '.join(complete)}, but other kinds of values ({_kinds(holder, fields)}; "
            f"row 1 has: {_keys(first)})"
        )
    else:
        # The closest layout: the most of its fields present (ties: the earlier layout).
        present = {
            name: len(BY_NAME[name].fields(columns)) - len(missing[name]) for name in BY_NAME
        }
        closest = max(BY_NAME, key=lambda name: (present[name], -list(BY_NAME).index(name)))
        problem = (
            f"no row has the field{'s' * (len(missing[closest]) > 1)} "
            f"{', '.join(missing[closest])} of {closest}, the closest layout the workflow "
            f"knows (row 1 has: {_keys(first)}), and no other layout fits"
        )
    return f"{problem}. Known layouts (data.format): {known_layouts()}. {FIX}"


def _not_the_named_layout(sample: list[dict], data_format: str, columns: dict) -> str:
    layout = BY_NAME[data_format]
    first = sample[0] if sample else {}
    missing = _missing_everywhere(sample, layout.fields(columns))
    found = (
        f"no row has the field{'s' * (len(missing) > 1)} {', '.join(missing)}"
        if missing
        else "no row holds such values"
    )
    guess = {first_fitting_layout(row, columns) for row in sample} - {None}
    hint = f" The rows look like {', '.join(sorted(guess))}." if guess else ""
    return (
        f"data.format is {data_format} ({layout.description}), but {found} among the first "
        f"{len(sample)} rows (row 1 has: {_keys(first)}).{hint} Set data.format to the layout "
        f"of the data (auto detects it); known layouts: {', '.join(BY_NAME)}."
    )


# --- converting --------------------------------------------------------------------------


def _without_empty_system(messages: list[dict]) -> list[dict]:
    """An empty system prompt says nothing: drop it rather than the row (flat tables and
    hosted-service files often carry one)."""
    if messages and messages[0]["role"] == "system" and not messages[0]["content"].strip():
        return messages[1:]
    return messages


def _check_turns(messages: list[dict]) -> None:
    """Every turn before the answer must say something; an empty answer is the schema's
    ``empty_final_answer``."""
    if any(not message["content"].strip() for message in messages[:-1]):
        raise RowProblem("empty_turn")


def _last_user_text(messages: list[dict]) -> str:
    users = [message["content"] for message in messages if message["role"] == "user"]
    return users[-1] if users else ""


def to_internal(row, layout: str, columns: dict | None, default_source: str):
    """``row`` in the workflow's own layout, or ``{LAYOUT_PROBLEM: reason, "original_row"}``.

    ``source`` is the row's own ``source`` text where it has one, else ``default_source`` (the
    file name or Hub id); ``prompt`` and ``question`` are the last user turn, and a row ``id``
    is kept. Rows already in our layout, and rows that are not objects, are returned as they
    are: the schema check names their problems.
    """
    convert = BY_NAME[layout].conversations
    if convert is None or not isinstance(row, dict):
        return row
    try:
        chosen, rejected = convert(row, with_default_columns(columns))
        chosen, rejected = _without_empty_system(chosen), _without_empty_system(rejected)
        _check_turns(chosen)
        _check_turns(rejected)
    except RowProblem as problem:
        return {LAYOUT_PROBLEM: problem.reason, "original_row": row}
    question = _last_user_text(chosen[:-1])
    source = row.get("source")
    internal = {
        "source": source if isinstance(source, str) and source.strip() else default_source,
        "prompt": question,
        "question": question,
        "chosen": chosen,
        "rejected": rejected,
    }
    if "id" in row:
        internal["id"] = row["id"]
    return internal


def layout_settings(data_config: dict) -> dict:
    """The layout settings that apply to the configured data source: data.format, and
    data.columns where a flat table can be read (format flat, or auto); none for the demo,
    which is generated in the workflow's own layout. The data job gets these as its params
    and the report shows them, so editing an unused setting reruns and shows nothing."""
    if data_config["source"] == "demo":
        return {}
    settings = {"format": data_config["format"]}
    if data_config["format"] in (AUTO, "flat"):
        settings["columns"] = data_config["columns"]
    return settings


def has_own_source(rows: list) -> bool:
    """Whether any row names its source (else every row gets the data set's name)."""
    return any(isinstance(row, dict) and isinstance(row.get("source"), str) for row in rows)


def exclude_sources_error(exclude_sources, own_source: bool, name: str) -> str | None:
    """data.exclude_sources can only match rows that name their source: say so, not nothing."""
    if not exclude_sources or own_source:
        return None
    return (
        f"data.exclude_sources lists {', '.join(exclude_sources)}, but the rows of {name} have "
        "no source field, so no row could be excluded. Remove data.exclude_sources, or add a "
        "source field to the rows."
    )


def layout_errors(rows: list, data_config: dict, name: str) -> list[str]:
    """What would fail about ``rows`` (the first rows of a data set) in the data stage."""
    errors = []
    try:
        detect(rows, data_config.get("format", AUTO), data_config.get("columns"))
    except LayoutError as error:
        errors.append(f"{name}: {error}")
    own = has_own_source(rows[:DETECTION_ROWS])
    if error := exclude_sources_error(data_config.get("exclude_sources"), own, name):
        errors.append(error)
    return errors
