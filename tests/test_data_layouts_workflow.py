"""Preference data in other layouts through the real Snakefile: a file in no known layout stops
the run while the DAG is built, and a whole run on ShareGPT rows converts them in the data
stage, so every later stage sees the rows the workflow's own layout would have given."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from alignbench.io import read_json, read_jsonl
from tests.workflow_runs import dry_run, make_workdir, snakemake, tiny_config

NOT_PLANNED = {"counts": {}, "jobs": []}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A workdir for dry runs: these only need the model folder to exist."""
    model = tmp_path_factory.mktemp("model")
    (model / "config.json").write_text("{}")
    path = make_workdir(tmp_path_factory.mktemp("layouts"), tiny_config(model))
    (path / "good.yaml").write_text((path / "tiny.yaml").read_text())
    return path


def write_rows(path, rows):
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows, indent=2))
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def dry_run_on(workdir, rows, name="rows.jsonl", **data_settings):
    """A dry run of the report with the data read from ``rows``, written to ``name``."""
    write_rows(workdir / name, rows)
    config = yaml.safe_load((workdir / "good.yaml").read_text())
    config["data"].update(source="local", local={"path": name}, **data_settings)
    (workdir / "tiny.yaml").write_text(yaml.safe_dump(config))
    result, plan = dry_run(workdir, "report")
    return result.returncode, result.stdout + result.stderr, plan


def openai_row(question, chosen, rejected):
    return {
        "input": {"messages": [{"role": "user", "content": question}]},
        "preferred_output": [{"role": "assistant", "content": chosen}],
        "non_preferred_output": [{"role": "assistant", "content": rejected}],
    }


OPENAI_ROWS = [openai_row(f"What is {i} + 1?", f"{i + 1}.", f"{i + 2}.") for i in range(4)]


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.json", "rows.parquet"])
def test_a_file_in_no_known_layout_fails_before_any_job(workdir, name):
    rows = [{"text": "hello", "label": 1}, {"text": "bye", "label": 0}]
    returncode, output, plan = dry_run_on(workdir, rows, name)
    assert returncode != 0
    assert f"data.local.path: {name}: no row has the fields" in output, output[-3000:]
    assert "(row 1 has: text, label)" in output
    assert "Known layouts (data.format): orpo_dpo_mix (" in output and "hh (" in output
    assert "data.columns" in output
    assert plan == NOT_PLANNED, plan


def test_a_named_format_the_file_does_not_fit_fails_before_any_job(workdir):
    returncode, output, plan = dry_run_on(workdir, OPENAI_ROWS, format="sharegpt")
    assert returncode != 0
    assert "data.format is sharegpt" in output and "The rows look like openai." in output
    assert plan == NOT_PLANNED, plan


def test_exclude_sources_on_rows_without_a_source_fails_before_any_job(workdir):
    returncode, output, plan = dry_run_on(workdir, OPENAI_ROWS, exclude_sources=["toxic/set"])
    assert returncode != 0
    assert "data.exclude_sources lists toxic/set, but the rows of data.local.path" in output
    assert plan == NOT_PLANNED, plan


def test_a_file_in_a_known_layout_plans_the_data_stage(workdir):
    returncode, output, plan = dry_run_on(workdir, OPENAI_ROWS)
    assert returncode == 0, output[-3000:]
    assert plan["counts"]["download_data"] == 1


def sharegpt_row(row):
    """A row of the workflow's own layout as LLaMA-Factory's ShareGPT preference row."""
    tags = {"user": "human", "assistant": "gpt"}
    shared = row["chosen"][:-1]
    sharegpt = {
        "conversations": [
            {"from": tags[m["role"]], "value": m["content"]}
            for m in shared
            if m["role"] != "system"
        ],
        "chosen": {"from": "gpt", "value": row["chosen"][-1]["content"]},
        "rejected": {"from": "gpt", "value": row["rejected"][-1]["content"]},
    }
    if shared[0]["role"] == "system":
        sharegpt["system"] = shared[0]["content"]
    return sharegpt


@pytest.mark.workflow
def test_a_whole_run_on_sharegpt_rows_sees_the_rows_of_the_own_layout(tmp_path, tiny_model_dir):
    from alignbench.data.demo import generate_demo_rows

    config = tiny_config(tiny_model_dir, seeds=[1])
    demo = config["data"]["demo"]
    rows = generate_demo_rows(
        demo["rows"], demo["seed"]
    )  # some with a system prompt, some multi-turn
    path = tmp_path / "rows.json"  # a JSON list, as LLaMA-Factory's examples are
    write_rows(path, [sharegpt_row(row) for row in rows])
    config["data"].update(source="local", local={"path": str(path)})
    workdir = make_workdir(tmp_path / "run", config)

    result = snakemake(workdir, "report")
    assert result.returncode == 0, result.stderr[-5000:]

    data = workdir / "results" / "data"
    report = read_json(data / "data_report.json")
    layout = report["source"]["layout"]
    assert (layout["name"], layout["format"]) == ("sharegpt", "auto")
    assert layout["fitting_rows"] == layout["checked_rows"] == len(rows)
    assert report["invalid_rows"] == {}
    split = read_jsonl(data / "split" / "train.jsonl") + read_jsonl(
        data / "split" / "validation.jsonl"
    )
    assert len(split) == len(rows)
    for row in split:
        original = rows[int(row["id"].removeprefix("row-"))]
        assert row["source"] == "rows.json"  # the file name: ShareGPT rows name no source
        for field in ("prompt", "question", "chosen", "rejected"):
            assert row[field] == original[field], (row["id"], field)
    html = (workdir / "results" / "report" / "index.html").read_text()
    # The report's data section shows the layout (the file name does not say it).
    assert re.search(r'<th scope="row">name</th><td>\s*sharegpt\s*</td>', html)
