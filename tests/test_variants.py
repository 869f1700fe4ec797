import pytest

from alignbench.variants import (
    VariantError,
    lineage,
    ordered_variants,
    trained_variants,
    validate_variants,
)

GRAPH = {
    "base": {"method": "none"},
    "sft": {"method": "sft", "from": "base"},
    "orpo": {"method": "orpo", "from": "base"},
    "dpo": {"method": "dpo", "from": "sft"},
}


def test_lineage_lists_adapters_in_training_order():
    validate_variants(GRAPH)
    assert lineage(GRAPH, "base") == []
    assert lineage(GRAPH, "orpo") == ["orpo"]
    assert lineage(GRAPH, "dpo") == ["sft", "dpo"]
    assert trained_variants(GRAPH) == ["sft", "orpo", "dpo"]


@pytest.mark.parametrize(
    ("variants", "message"),
    [
        ({"sft": {"method": "sft", "from": "sft"}}, "untrained variant"),
        ({**GRAPH, "x": {"method": "orpo", "from": "nope"}}, "unknown variant 'nope'"),
        ({**GRAPH, "x": {"method": "orpo"}}, "starts from"),
        ({**GRAPH, "b2": {"method": "none", "from": "base"}}, "takes no"),
        (
            {
                **GRAPH,
                "a": {"method": "sft", "from": "b"},
                "b": {"method": "dpo", "from": "a"},
            },
            "cycle",
        ),
    ],
)
def test_bad_graphs_fail_with_a_message(variants, message):
    with pytest.raises(VariantError, match=message):
        validate_variants(variants)


def test_display_order_follows_the_graph_not_the_key_order():
    reordered = dict(sorted(GRAPH.items(), reverse=True))  # sft, orpo, dpo, base
    assert ordered_variants(reordered) == ordered_variants(GRAPH) == ["base", "sft", "orpo", "dpo"]
    deeper = {**GRAPH, "orpo_from_sft": {"method": "orpo", "from": "sft"}, "a": GRAPH["sft"]}
    assert ordered_variants(deeper) == ["base", "a", "sft", "orpo", "orpo_from_sft", "dpo"]
