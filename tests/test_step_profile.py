"""benchmarks.step_profile: the profiled loop's time, by kind of work, on the tiny model."""

import pytest

from alignbench.data.demo import generate_demo_rows
from benchmarks import step_profile, training
from tests.factories import make_spec


def test_products_are_told_apart_by_their_shapes():
    kind = step_profile.kind_of
    assert kind("aten::mm", [[180, 576], [576, 1536]], 16, 49152) == "layer products"
    assert kind("aten::mm", [[180, 576], [576, 16]], 16, 49152) == "LoRA products"
    assert kind("aten::mm", [[16, 180], [180, 576]], 16, 49152) == "LoRA products"
    assert kind("aten::mm", [[85, 576], [576, 49152]], 16, 49152) == "output layer products"
    assert kind("aten::bmm", [[9, 60, 64], [9, 64, 60]], 16, 49152) == "attention products"
    assert kind("aten::copy_", [[2, 60, 576], [2, 60, 576], []], 16, 49152) == "copies and casts"
    assert kind("aten::mul", [[2, 60, 576], []], 16, 49152) == "everything else"


@pytest.fixture(scope="module")
def profiled_orpo(tmp_path_factory, tiny_model_dir):
    rows = [{"id": f"row-{i}", **row} for i, row in enumerate(generate_demo_rows(4, seed=3))]
    spec = make_spec("orpo")
    probe = step_profile.ProfiledProbe()
    job = training.run_job(spec, tiny_model_dir, rows, tmp_path_factory.mktemp("profile"), (),
                           probe)  # fmt: skip
    return job, probe, spec


def test_the_loop_is_profiled_and_its_time_split_by_kind(profiled_orpo, tiny_model_dir):
    job, probe, spec = profiled_orpo
    from transformers import AutoConfig

    vocabulary = AutoConfig.from_pretrained(tiny_model_dir).vocab_size
    kinds = step_profile.breakdown(probe.profiler, spec["lora"]["r"], vocabulary)
    assert list(kinds) == list(step_profile.KINDS)
    # Per pass, in the tiny Llama's two layers: each of the 7 frozen projections forward (14),
    # and backward for its input's gradient (14), except the first layer's query, key and
    # value, whose input (the frozen embeddings) needs none: 25. LoRA adapts query and value
    # (4 modules, 2 matrices each): 8 forward, 8 weight gradients, 4 input gradients of B, and
    # 2 of A (not in the first layer): 22. Nothing else is counted as either.
    passes = job["forward_passes"]
    assert kinds["layer products"]["calls"] == 25 * passes
    assert kinds["LoRA products"]["calls"] == 22 * passes
    assert kinds["output layer products"]["calls"] >= passes
    assert kinds["copies and casts"]["calls"] > 0
    # Only the loop is profiled: its operators' own time fits in the loop's wall time.
    total = sum(kind["seconds"] for kind in kinds.values())
    assert 0 < total <= job["loop_seconds"]
    rows = step_profile.breakdown_rows({"kinds": kinds})
    assert [row[0] for row in rows] == list(step_profile.KINDS)
    assert sum(float(row[2].rstrip("%")) for row in rows) == pytest.approx(100, abs=3)
