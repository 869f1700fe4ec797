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
