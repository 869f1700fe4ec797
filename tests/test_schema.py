import copy

import pytest

from alignbench.data.schema import conversation_problem, row_problem
from tests.factories import make_row


@pytest.mark.parametrize("system", [False, True])
@pytest.mark.parametrize("turns", [1, 3])
def test_valid_rows_pass(system, turns):
    assert row_problem(make_row(system, turns)) is None


def broken(mutate):
    row = make_row(system=True, turns=2)
    mutate(row)
    return row


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r: r.pop("prompt"), "missing_prompt"),
        (lambda r: r.update(source=3), "source_not_a_string"),
        (lambda r: r.update(chosen=[]), "chosen_empty_or_not_a_list"),
        (lambda r: r["chosen"][1].update(role="robot"), "chosen_unknown_role"),
        (lambda r: r["rejected"][1].pop("content"), "rejected_message_without_role_or_content"),
        (lambda r: r["chosen"][1].update(text=r["chosen"][1].pop("content")),
         "chosen_message_without_role_or_content"),
        (lambda r: r["chosen"][-1].update(content=None), "chosen_content_not_a_string"),
        (lambda r: r["chosen"].pop(), "chosen_does_not_end_with_assistant"),
        (lambda r: r["chosen"][-1].update(content="  "), "chosen_empty_final_answer"),
        (lambda r: r["chosen"].insert(2, {"role": "system", "content": "x"}),
         "chosen_system_message_not_first"),
        (lambda r: r["chosen"].__setitem__(2, {"role": "user", "content": "x"}),
         "chosen_roles_do_not_alternate"),
        (lambda r: r["rejected"][1].update(content="changed"),
         "chosen_and_rejected_differ_before_last_turn"),
        (lambda r: r["rejected"][-1].update(content="5."), "chosen_equals_rejected"),
    ],
)  # fmt: skip
def test_broken_rows_name_their_problem(mutate, reason):
    assert row_problem(broken(mutate)) == reason


def test_non_dict_row_and_system_only_conversation():
    assert row_problem(["not", "a", "row"]) == "row_not_an_object"
    assert conversation_problem([{"role": "system", "content": "x"}]) == "no_user_turn"


def test_checks_do_not_modify_the_row():
    row = make_row(system=True, turns=2)
    before = copy.deepcopy(row)
    row_problem(row)
    assert row == before
