"""Preference data in each layout users bring: detected, converted to the workflow's own rows,
and its broken rows counted by reason. Every fixture is written here, from four conversations."""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

from alignbench.data import layouts
from alignbench.data.schema import row_problem
from alignbench.data.sources import (
    check_exclude_sources,
    load_raw_rows,
    read_first_rows,
    source_name,
)
from alignbench.data.split import make_split
from tests.workflow_runs import REPO


def user(text):
    return {"role": "user", "content": text}


def assistant(text):
    return {"role": "assistant", "content": text}


def system(text):
    return {"role": "system", "content": text}


# (turns before the answer, chosen answer, rejected answer)
WITH_SYSTEM = ([system("Be brief."), user("What is 2 + 3?")], "5.", "Six, I think.")
ONE_TURN = ([user("Name a primary colour.")], "Blue.", "Seven.")
OTHER_TURN = ([user("Spell cat backwards.")], "tac", "cat")
MULTI_TURN = (
    [user("Hi!"), assistant("Hello! How can I help?"), user("What is the capital of France?")],
    "Paris.",
    "London.",
)


def internal(conversation, source):
    """What a conversation is in the workflow's own layout: written out by hand, not by the
    code under test."""
    shared, chosen, rejected = conversation
    question = shared[-1]["content"]
    return {
        "source": source,
        "prompt": question,
        "question": question,
        "chosen": [*copy.deepcopy(shared), assistant(chosen)],
        "rejected": [*copy.deepcopy(shared), assistant(rejected)],
    }


def system_text(shared):
    return shared[0]["content"] if shared[0]["role"] == "system" else None


def without_system(shared):
    return [message for message in shared if message["role"] != "system"]


# Each layout's writer: a conversation as a row of that layout.
def as_orpo_dpo_mix(conversation):
    return internal(conversation, "mix/arithmetic")


def as_openai(conversation):
    shared, chosen, rejected = conversation
    return {
        "input": {"messages": shared},
        "preferred_output": [assistant(chosen)],
        "non_preferred_output": [assistant(rejected)],
    }


SHAREGPT_TAGS = {"user": "human", "assistant": "gpt"}


def as_sharegpt(conversation):
    shared, chosen, rejected = conversation
    row = {
        "conversations": [
            {"from": SHAREGPT_TAGS[m["role"]], "value": m["content"]}
            for m in without_system(shared)
        ],
        "chosen": {"from": "gpt", "value": chosen},
        "rejected": {"from": "gpt", "value": rejected},
    }
    if system_text(shared):
        row["system"] = system_text(shared)
    return row


def as_trl_conversational(conversation):
    shared, chosen, rejected = conversation
    return {"prompt": shared, "chosen": [assistant(chosen)], "rejected": [assistant(rejected)]}


def as_trl_implicit_prompt(conversation):
    shared, chosen, rejected = conversation
    return {"chosen": [*shared, assistant(chosen)], "rejected": [*shared, assistant(rejected)]}


def transcript(shared, answer):
    speakers = {"user": "Human", "assistant": "Assistant"}
    turns = [*shared, assistant(answer)]
    return "".join(f"\n\n{speakers[m['role']]}: {m['content']}" for m in turns)


def as_hh(conversation):
    shared, chosen, rejected = conversation
    return {"chosen": transcript(shared, chosen), "rejected": transcript(shared, rejected)}


def as_flat(conversation):
    shared, chosen, rejected = conversation
    # Intel/orca_dpo_pairs' columns; an empty system prompt means none.
    return {
        "system": system_text(shared) or "",
        "question": shared[-1]["content"],
        "chosen": chosen,
        "rejected": rejected,
    }


def as_trl_standard(conversation):
    shared, chosen, rejected = conversation
    return {"prompt": shared[-1]["content"], "chosen": chosen, "rejected": rejected}


ALL = [WITH_SYSTEM, ONE_TURN, OTHER_TURN, MULTI_TURN]
# layout case -> (layout name, writer, the conversations the layout can hold)
CASES = {
    "orpo_dpo_mix": ("orpo_dpo_mix", as_orpo_dpo_mix, ALL),
    "openai": ("openai", as_openai, ALL),
    "sharegpt": ("sharegpt", as_sharegpt, ALL),
    "trl_conversational": ("trl_conversational", as_trl_conversational, ALL),
    "trl_implicit_prompt": ("trl_conversational", as_trl_implicit_prompt, ALL),
    "hh": ("hh", as_hh, [ONE_TURN, OTHER_TURN, MULTI_TURN]),  # transcripts have no system
    "flat": ("flat", as_flat, [WITH_SYSTEM, ONE_TURN, OTHER_TURN]),  # one turn per row
    "trl_standard": ("trl_standard", as_trl_standard, [ONE_TURN, OTHER_TURN]),
}


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def load(path, **settings):
    return load_raw_rows({"source": "local", "local": {"path": str(path)}, **settings})


def expected_rows(case, source="prefs.jsonl"):
    layout, writer, conversations = CASES[case]
    if layout == "orpo_dpo_mix":  # the workflow's own rows: kept exactly as they are
        return [writer(conversation) for conversation in conversations]
    return [internal(conversation, source) for conversation in conversations]


@pytest.mark.parametrize("case", CASES)
def test_each_layout_is_detected_and_converted_to_the_internal_rows(tmp_path, case):
    layout, writer, conversations = CASES[case]
    path = write_jsonl(tmp_path / "prefs.jsonl", [writer(c) for c in conversations])
    rows, info = load(path)
    assert rows == expected_rows(case)
    assert all(row_problem(row) is None for row in rows)
    assert info["layout"]["name"] == layout and info["layout"]["format"] == "auto"
    n = len(conversations)
    assert (info["layout"]["checked_rows"], info["layout"]["fitting_rows"]) == (n, n)


@pytest.mark.parametrize("case", CASES)
def test_naming_the_layout_gives_the_rows_auto_detection_gives(tmp_path, case):
    layout, writer, conversations = CASES[case]
    path = write_jsonl(tmp_path / "prefs.jsonl", [writer(c) for c in conversations])
    rows, info = load(path, format=layout)
    assert rows == expected_rows(case)
    assert info["layout"]["format"] == layout


def test_the_schema_offers_every_layout_and_the_default_columns():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    data = schema["properties"]["data"]["properties"]
    assert tuple(data["format"]["enum"]) == layouts.FORMATS
    assert data["format"]["default"] == "auto"
    columns = data["columns"]["properties"]
    assert {key: value["default"] for key, value in columns.items()} == layouts.DEFAULT_COLUMNS


def test_a_flat_table_with_other_columns_is_read_through_data_columns(tmp_path):
    rows = [
        {"instruction": c[0][-1]["content"], "good": c[1], "bad": c[2], "persona": "Be brief."}
        for c in (ONE_TURN, OTHER_TURN)
    ]
    path = write_jsonl(tmp_path / "prefs.jsonl", rows)
    columns = {"system": "persona", "prompt": "instruction", "chosen": "good", "rejected": "bad"}
    with pytest.raises(layouts.LayoutError):  # Intel/orca_dpo_pairs' column names by default
        load(path)
    for data_format in ("auto", "flat"):
        loaded, info = load(path, format=data_format, columns=columns)
        assert info["layout"]["name"] == "flat"
        expected = [
            internal(([system("Be brief."), *c[0]], c[1], c[2]), "prefs.jsonl")
            for c in (ONE_TURN, OTHER_TURN)
        ]
        assert loaded == expected
    no_system = {**columns, "system": None}
    loaded, _ = load(path, format="flat", columns=no_system)
    assert loaded == [internal(c, "prefs.jsonl") for c in (ONE_TURN, OTHER_TURN)]


def test_rows_keep_their_own_source_and_id(tmp_path):
    rows = [as_trl_standard(c) for c in (ONE_TURN, OTHER_TURN)]
    rows[0].update(source="my/set", id=17)
    loaded, info = load(write_jsonl(tmp_path / "prefs.jsonl", rows))
    assert loaded[0] == {**internal(ONE_TURN, "my/set"), "id": 17}
    assert loaded[1] == internal(OTHER_TURN, "prefs.jsonl")
    assert info["layout"]["rows_name_their_source"] is True
    assert info["layout"]["default_source"] == "prefs.jsonl"


def test_a_text_prompt_before_conversational_answers_is_the_user_turn(tmp_path):
    rows = [
        {"prompt": c[0][-1]["content"], "chosen": [assistant(c[1])], "rejected": [assistant(c[2])]}
        for c in (ONE_TURN, OTHER_TURN)
    ]
    loaded, info = load(write_jsonl(tmp_path / "prefs.jsonl", rows))
    assert info["layout"]["name"] == "trl_conversational"
    assert loaded == [internal(c, "prefs.jsonl") for c in (ONE_TURN, OTHER_TURN)]


def test_answers_that_repeat_the_prompt_messages_are_not_given_it_twice():
    shared, chosen, rejected = MULTI_TURN
    row = {
        "prompt": shared,
        "chosen": [*shared, assistant(chosen)],
        "rejected": [*shared, assistant(rejected)],
    }
    assert layouts.to_internal(row, "trl_conversational", None, "x") == internal(MULTI_TURN, "x")


def test_a_message_list_prompt_next_to_the_own_fields_is_trl_conversational():
    row = {**as_trl_conversational(ONE_TURN), "source": "s", "question": "q"}
    assert layouts.detect([row]).layout == "trl_conversational"
    assert layouts.to_internal(row, "trl_conversational", None, "x") == internal(ONE_TURN, "s")


def test_empty_system_prompts_are_dropped_not_the_rows():
    row = as_openai(([system("  "), *ONE_TURN[0]], ONE_TURN[1], ONE_TURN[2]))
    assert layouts.to_internal(row, "openai", None, "x") == internal(ONE_TURN, "x")


def test_demo_rows_are_not_converted_and_their_description_is_unchanged():
    from alignbench.data.demo import generate_demo_rows

    rows, info = load_raw_rows({"source": "demo", "demo": {"rows": 30, "seed": 3}})
    assert rows == generate_demo_rows(30, 3)
    assert info == {"kind": "demo", "rows": 30, "seed": 3}


def test_auto_detection_follows_most_of_the_first_rows(tmp_path):
    """A stray row on top (here one of TRL's conversational form) does not decide the layout:
    it is counted later, by reason."""
    rows = [as_openai(c) for c in ALL]
    rows[0] = as_trl_conversational(ONE_TURN)
    loaded, info = load(write_jsonl(tmp_path / "prefs.jsonl", rows))
    assert info["layout"]["name"] == "openai" and info["layout"]["fitting_rows"] == 3
    assert row_problem(loaded[0]) == "missing_input"
    assert loaded[1:] == [internal(c, "prefs.jsonl") for c in ALL[1:]]


def test_ties_go_to_the_more_specific_layout():
    """A row with the workflow's own fields also has those of TRL's conversational form."""
    row = as_orpo_dpo_mix(ONE_TURN)
    assert layouts.detect([row]).layout == "orpo_dpo_mix"
    flat_and_standard = {**as_flat(ONE_TURN), "prompt": "also here"}
    assert layouts.detect([flat_and_standard]).layout == "flat"
    with_conversations = {**as_sharegpt(ONE_TURN), "chosen": [assistant("a list")]}
    assert layouts.detect([with_conversations]).layout == "sharegpt"


def test_an_unknown_layout_names_the_keys_found_and_the_layouts_known(tmp_path):
    rows = [{"text": "hello", "label": 1}, {"text": "bye", "label": 0}]
    with pytest.raises(layouts.LayoutError) as caught:
        load(write_jsonl(tmp_path / "prefs.jsonl", rows))
    message = str(caught.value)
    assert message.startswith(f"data.local.path: {tmp_path / 'prefs.jsonl'}: ")
    assert "(row 1 has: text, label)" in message
    for name in layouts.BY_NAME:
        assert f"{name} (" in message
    assert "data.format" in message and "data.columns" in message
    assert "\n" not in message


def test_text_answers_without_a_prompt_or_transcript_turns_say_what_is_missing():
    rows = [{"chosen": "Blue.", "rejected": "Seven."}]
    with pytest.raises(layouts.LayoutError) as caught:
        layouts.detect(rows)
    message = str(caught.value)
    assert "the fields of trl_conversational and hh, but other kinds of values" in message
    assert "chosen is text, rejected is text" in message


def test_a_named_format_the_rows_do_not_fit_fails_with_what_they_look_like():
    rows = [as_openai(c) for c in ALL]
    with pytest.raises(layouts.LayoutError) as caught:
        layouts.detect(rows, "sharegpt")
    message = str(caught.value)
    assert (
        "data.format is sharegpt" in message
        and "no row has the fields conversations, chosen, rejected" in message
    )
    assert "(row 1 has: input, preferred_output, non_preferred_output)" in message
    assert "The rows look like openai." in message


def test_a_hub_data_set_in_another_layout_is_converted_like_a_file(tmp_path, monkeypatch):
    """The Hub stand-in: `datasets` reads a local file where it would download the data set,
    so the rows pass through Arrow (nested structs, missing fields as nulls) as Hub rows do."""
    import datasets

    path = write_jsonl(tmp_path / "prefs.jsonl", [as_sharegpt(c) for c in ALL])
    real_load = datasets.load_dataset
    calls = []

    def from_local_file(dataset_id, revision, split):
        calls.append((dataset_id, revision, split))
        return real_load("json", data_files=str(path), split="train", cache_dir=str(tmp_path))

    monkeypatch.setattr(datasets, "load_dataset", from_local_file)
    hub = {"id": "someone/prefs", "revision": "abc123", "split": "train"}
    rows, info = load_raw_rows({"source": "hub", "hub": hub, "format": "auto"})
    assert calls == [("someone/prefs", "abc123", "train")]
    assert rows == [internal(c, "someone/prefs") for c in ALL]
    assert info["layout"]["name"] == "sharegpt"


def test_an_unknown_hub_layout_fails_naming_the_data_set(monkeypatch):
    import datasets

    table = datasets.Dataset.from_list([{"text": "a"}, {"text": "b"}])
    monkeypatch.setattr(datasets, "load_dataset", lambda *args, **kwargs: table)
    hub = {"id": "someone/texts", "revision": "main", "split": "train"}
    with pytest.raises(layouts.LayoutError) as caught:
        load_raw_rows({"source": "hub", "hub": hub})
    assert str(caught.value).startswith("data.hub.id: someone/texts (revision main): no row has")


# --- rows a layout cannot convert, or converts into broken pairs: counted by reason ----------


H, A = "\n\nHuman: ", "\n\nAssistant: "  # the turns of an HH transcript


def hh_row(chosen, rejected):
    return {"chosen": chosen, "rejected": rejected}


def edited(row, **values):
    return {**row, **values}


def without(row, field):
    return {key: value for key, value in row.items() if key != field}


OPENAI, SHAREGPT, FLAT = as_openai(ONE_TURN), as_sharegpt(ONE_TURN), as_flat(ONE_TURN)
TRL = as_trl_conversational(ONE_TURN)
BROKEN = [
    # (layout, row, the reason it is counted under)
    ("hh", hh_row(f"{H}{A}Blue.", f"{H}{A}Red."), "empty_turn"),
    ("hh", hh_row(f"{H}Hi{A}Blue.", f"{H}Hello{A}Red."),
     "chosen_and_rejected_differ_before_last_turn"),
    ("hh", hh_row(f"{H}A{H}B{A}x", f"{H}A{H}B{A}y"), "chosen_roles_do_not_alternate"),
    ("hh", hh_row(f"Hello.{H}A{A}x", f"{H}A{A}y"), "chosen_text_before_first_turn"),
    ("hh", hh_row(f"{H}A{A}", f"{H}A{A}y"), "chosen_empty_final_answer"),
    ("hh", hh_row(f"{H}A{A}x", 5), "rejected_not_a_string"),
    ("hh", {"chosen": f"{H}A{A}x"}, "missing_rejected"),
    ("openai", edited(OPENAI, input={"prompt": "x"}), "input_without_messages"),
    ("openai", without(OPENAI, "non_preferred_output"), "missing_non_preferred_output"),
    ("openai", edited(OPENAI, preferred_output=[]), "preferred_output_empty_or_not_a_list"),
    ("openai", edited(OPENAI, preferred_output=[{"content": "x"}]),
     "preferred_output_message_without_role_or_content"),
    ("openai", as_openai(([user("Hi"), user("Again")], "x", "y")), "chosen_roles_do_not_alternate"),
    ("openai", as_openai(([user("  ")], "x", "y")), "empty_turn"),
    ("sharegpt", edited(SHAREGPT, conversations=[{"from": "observation", "value": "x"}]),
     "conversations_unknown_role"),
    ("sharegpt", edited(SHAREGPT, conversations=[{"from": ["human"], "value": "x"}]),
     "conversations_unknown_role"),
    ("sharegpt", edited(SHAREGPT, chosen={"from": "gpt", "value": None}),
     "chosen_value_not_a_string"),
    ("sharegpt", edited(SHAREGPT, rejected={"text": "x"}), "rejected_turn_without_from_or_value"),
    ("sharegpt", edited(SHAREGPT, system=3), "system_not_a_string"),
    ("sharegpt", as_sharegpt(([user("A")], "Same.", "Same.")), "chosen_equals_rejected"),
    ("trl_conversational", edited(TRL, prompt=[]), "prompt_empty_or_not_a_list"),
    ("trl_conversational", edited(TRL, chosen=[assistant(None)]), "chosen_content_not_a_string"),
    ("openai", edited(OPENAI, preferred_output=[assistant([{"type": "image_url"}])]),
     "preferred_output_content_not_text"),
    ("openai", edited(OPENAI, preferred_output=[assistant([])]),
     "preferred_output_content_not_a_string"),
    ("trl_conversational", as_trl_implicit_prompt(([user("A"), assistant("B")], "x", "y")),
     "chosen_roles_do_not_alternate"),
    ("flat", edited(FLAT, chosen=None), "chosen_not_a_string"),
    ("flat", edited(FLAT, question=""), "empty_turn"),
    ("flat", without(FLAT, "rejected"), "missing_rejected"),
    ("trl_standard", edited(as_trl_standard(ONE_TURN), prompt=["x"]), "prompt_not_a_string"),
]  # fmt: skip


def test_content_given_as_text_parts_is_joined():
    parts = [{"type": "text", "text": "What is "}, {"type": "text", "text": "2 + 3?"}]
    row = {
        "input": {"messages": [{"role": "user", "content": parts}]},
        "preferred_output": [assistant([{"type": "text", "text": "5."}])],
        "non_preferred_output": [assistant("6.")],
    }
    internal = layouts.to_internal(row, "openai", None, "x")
    assert row_problem(internal) is None
    assert internal["chosen"] == [
        {"role": "user", "content": "What is 2 + 3?"},
        {"role": "assistant", "content": "5."},
    ]


@pytest.mark.parametrize(("layout", "row", "reason"), BROKEN)
def test_a_row_its_layout_cannot_make_a_pair_of_names_the_reason(layout, row, reason):
    assert row_problem(layouts.to_internal(row, layout, None, "x")) == reason


def test_broken_rows_are_counted_by_reason_in_the_split_report(tmp_path):
    good = [as_hh(c) for c in (ONE_TURN, OTHER_TURN, MULTI_TURN)] * 3
    broken = [row for layout, row, _ in BROKEN if layout == "hh"]
    rows, info = load(write_jsonl(tmp_path / "prefs.jsonl", good + broken))
    assert info["layout"]["name"] == "hh"
    _, report = make_split(rows, None, 0.3, seed=0, source=source_name(info))
    expected = {reason: 1 for layout, _, reason in BROKEN if layout == "hh"}
    assert report["invalid_rows"] == dict(sorted(expected.items()))
    assert sum(report["split"].values()) == len(good)


def test_a_split_left_empty_by_conversion_names_the_layout_and_the_reasons(tmp_path):
    from alignbench.data.split import NothingLeftError

    rows = [hh_row(f"{H}{A}Blue {i}.", f"{H}{A}Red {i}.") for i in range(5)]
    rows, info = load(write_jsonl(tmp_path / "prefs.jsonl", rows))
    with pytest.raises(NothingLeftError) as caught:
        make_split(rows, None, 0.3, seed=0, source=source_name(info))
    message = str(caught.value)
    assert "prefs.jsonl (hh layout)" in message and "empty_turn: 5 rows" in message
    assert "data.format" in message


GARBAGE = [None, 3, "text", "\n\nHuman: ", [], {}, [None], [{"role": "user"}], [{"from": 1}]]


@pytest.mark.parametrize("layout", layouts.BY_NAME)
def test_no_value_in_any_field_makes_conversion_crash(layout):
    """Whatever a field holds, a row becomes a pair or a counted reason, never an exception."""
    writer = {name: writer for name, writer, _ in CASES.values()}[layout]
    row = writer(ONE_TURN)
    fields = [*row, "input.messages"] if layout == "openai" else list(row)
    for field in fields:
        for value in GARBAGE:
            broken = copy.deepcopy(row)
            if field == "input.messages":
                broken["input"]["messages"] = value
            else:
                broken[field] = value
            problem = row_problem(layouts.to_internal(broken, layout, None, "x"))
            assert problem is None or isinstance(problem, str)


# --- data.exclude_sources, and the checks made while the DAG is built ------------------------


def test_exclude_sources_without_a_source_field_is_an_error_not_a_no_op(tmp_path):
    path = write_jsonl(tmp_path / "prefs.jsonl", [as_openai(c) for c in ALL])
    _, info = load(path)
    with pytest.raises(ValueError, match="data.exclude_sources lists toxic/set, but the rows of"):
        check_exclude_sources(info, ["toxic/set"])
    check_exclude_sources(info, [])  # nothing to exclude: fine
    _, own = load(write_jsonl(tmp_path / "mix.jsonl", [as_orpo_dpo_mix(c) for c in ALL]))
    check_exclude_sources(own, ["toxic/set"])
    demo = {"kind": "demo", "rows": 30, "seed": 3}
    check_exclude_sources(demo, ["demo/sorting"])


def test_the_first_rows_are_read_from_each_file_type(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [as_openai(c) for c in ALL]
    write_jsonl(tmp_path / "rows.jsonl", rows)
    (tmp_path / "rows.json").write_text(json.dumps(rows, indent=1))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet")
    for suffix in ("jsonl", "json", "parquet"):
        assert read_first_rows(tmp_path / f"rows.{suffix}", 3) == rows[:3], suffix


def test_the_first_rows_of_a_long_json_file_are_read_from_its_top(tmp_path, monkeypatch):
    from alignbench.data import sources

    rows = [as_openai(c) for c in ALL] * 50
    text = json.dumps(rows)
    (tmp_path / "rows.json").write_text(text)
    monkeypatch.setattr(sources, "FIRST_ROWS_BYTES", len(text) // 10)  # cut inside a row
    first = read_first_rows(tmp_path / "rows.json", 100)
    assert 0 < len(first) < 100 and first == rows[: len(first)]


def test_unreadable_tops_of_files_leave_the_checks_to_the_data_job(tmp_path):
    (tmp_path / "bad.json").write_text('{"data": []}')
    (tmp_path / "bad.jsonl").write_bytes(b"\xff\xfe not utf-8\n")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not parquet PAR1")
    for name in ("bad.json", "bad.jsonl", "bad.parquet"):
        assert read_first_rows(tmp_path / name, 10) == [], name


# --- the documented examples -----------------------------------------------------------------


def documented_examples(text: str) -> list[tuple[str, dict]]:
    """(layout named before it, row) for every ```json block of a document."""
    examples = []
    for block in re.finditer(r"```json\n(.*?)```", text, re.S):
        label = re.findall(r"^`(\w+)`:", text[: block.start()], re.M)[-1]
        examples.append((label, json.loads(block.group(1))))
    return examples


@pytest.mark.parametrize("document", ["README.md", "config/README.md"])
def test_every_documented_example_is_read_in_its_layout(document):
    examples = documented_examples((REPO / document).read_text())
    assert {label for label, _ in examples} == set(layouts.BY_NAME)
    for label, row in examples:
        assert layouts.detect([row]).layout == label, row
        converted = layouts.to_internal(row, label, None, "example.jsonl")
        assert row_problem(converted) is None, (label, converted)
        assert converted["chosen"][-1]["content"] == "5.", label
