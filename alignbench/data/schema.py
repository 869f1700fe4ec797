"""Checks a preference row against the schema of ``mlabonne/orpo-dpo-mix-40k``.

A row is ``{"source", "prompt", "question", "chosen", "rejected"}`` where ``chosen`` and
``rejected`` are conversations (lists of ``{"role", "content"}``) that may start with a system
message, may be multi-turn, and share every turn except the last assistant turn.
The checks return a short machine-readable reason so that the data report can count drops by
cause; a broken row is dropped and counted, never fixed up silently. Rows of other layouts are
converted to this one first (alignbench.data.layouts); a row that could not be converted holds
its reason under LAYOUT_PROBLEM, and is counted with the others.
"""

from __future__ import annotations

ROLES = ("system", "user", "assistant")
STRING_FIELDS = ("source", "prompt", "question")
REQUIRED_FIELDS = (*STRING_FIELDS, "chosen", "rejected")
# The field under which a row that its layout could not convert carries the reason.
LAYOUT_PROBLEM = "layout_problem"


def conversation_problem(messages) -> str | None:
    """Return why ``messages`` is not a well-formed chat ending in an answer, or None."""
    if not isinstance(messages, list) or not messages:
        return "empty_or_not_a_list"
    for message in messages:
        if not isinstance(message, dict) or not {"role", "content"} <= set(message):
            return "message_without_role_or_content"
        if message["role"] not in ROLES:
            return "unknown_role"
        if not isinstance(message["content"], str):
            return "content_not_a_string"
    turns = messages[1:] if messages[0]["role"] == "system" else messages
    if any(message["role"] == "system" for message in turns):
        return "system_message_not_first"
    if not turns:
        return "no_user_turn"
    expected = ["user", "assistant"] * len(turns)
    if [message["role"] for message in turns] != expected[: len(turns)]:
        return "roles_do_not_alternate"
    if turns[-1]["role"] != "assistant":
        return "does_not_end_with_assistant"
    if not turns[-1]["content"].strip():
        return "empty_final_answer"
    return None


def row_problem(row) -> str | None:
    """Return the reason ``row`` breaks the preference schema, or None when it is valid."""
    if not isinstance(row, dict):
        return "row_not_an_object"
    if LAYOUT_PROBLEM in row:
        return row[LAYOUT_PROBLEM]
    for field in REQUIRED_FIELDS:
        if field not in row:
            return f"missing_{field}"
    for field in STRING_FIELDS:
        if not isinstance(row[field], str):
            return f"{field}_not_a_string"
    for side in ("chosen", "rejected"):
        problem = conversation_problem(row[side])
        if problem:
            return f"{side}_{problem}"
    chosen, rejected = row["chosen"], row["rejected"]
    if len(chosen) != len(rejected) or chosen[:-1] != rejected[:-1]:
        return "chosen_and_rejected_differ_before_last_turn"
    if chosen[-1]["content"].strip() == rejected[-1]["content"].strip():
        return "chosen_equals_rejected"
    return None
