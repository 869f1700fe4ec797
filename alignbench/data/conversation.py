"""What each stage takes out of a preference row's conversation.

Generation and scoring see the conversation up to (and including) the last user turn; the
reference answer is the chosen last assistant turn. Training formats follow TRL's
prompt/completion convention, which gives loss on the answer tokens only.
"""

from __future__ import annotations


def prompt_messages(row: dict) -> list[dict]:
    """The shared conversation before the final answer (system + earlier turns + last user turn)."""
    return row["chosen"][:-1]


def reference_answer(row: dict) -> str:
    return row["chosen"][-1]["content"]


def to_prompt_completion(row: dict) -> dict:
    """SFT example in TRL's conversational prompt/completion form (loss on the completion only)."""
    return {
        "prompt": prompt_messages(row),
        "completion": [row["chosen"][-1]],
    }


def to_preference(row: dict) -> dict:
    """ORPO/DPO example in TRL's conversational preference form (shared prompt, two answers)."""
    return {
        "prompt": prompt_messages(row),
        "chosen": [row["chosen"][-1]],
        "rejected": [row["rejected"][-1]],
    }
