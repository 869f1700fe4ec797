import json

from alignbench.workflow_config import canonical, replace_contents


def test_canonical_sorts_keys_at_every_depth_and_keeps_list_order():
    config = {"b": {"z": 1, "a": [{"y": 2, "x": 3}, 0]}, "a": None}
    result = canonical(config)
    assert list(result) == ["a", "b"] and list(result["b"]) == ["a", "z"]
    assert list(result["b"]["a"][0]) == ["x", "y"] and result["b"]["a"][1] == 0
    assert result == config  # equal values: only the order changed
    reordered = json.loads(json.dumps(config, sort_keys=True))
    assert repr(canonical(reordered)) == repr(result)


def test_replace_contents_keeps_the_object():
    target = {"b": 1, "a": 2}
    alias = target
    replace_contents(target, canonical(target))
    assert alias is target and list(target) == ["a", "b"]
