"""Small hand-made preference rows for unit tests."""

import copy


def make_row(system=False, turns=1):
    messages = [{"role": "system", "content": "Be brief."}] if system else []
    for i in range(turns - 1):
        messages += [
            {"role": "user", "content": f"earlier question {i}"},
            {"role": "assistant", "content": f"earlier answer {i}"},
        ]
    messages.append({"role": "user", "content": "What is 2 + 3?"})
    return {
        "source": "test",
        "prompt": "What is 2 + 3?",
        "question": "What is 2 + 3?",
        "chosen": [*messages, {"role": "assistant", "content": "5."}],
        "rejected": [*copy.deepcopy(messages), {"role": "assistant", "content": "6."}],
    }


def make_rows(n):
    """``n`` valid rows with distinct prompts, so that none is removed as a repeated prompt."""
    rows = []
    for i in range(n):
        row = make_row()
        question = f"What is {i} + 3?"
        row["prompt"] = row["question"] = question
        row["chosen"][-2]["content"] = row["rejected"][-2]["content"] = question
        row["chosen"][-1]["content"] = f"{i + 3}."
        row["rejected"][-1]["content"] = f"{i + 4}."
        rows.append(row)
    return rows
