import importlib.metadata
import json

import pytest

from alignbench.models.base import prepare_base_model, prepare_tokenizer
from alignbench.provenance import MODEL_PACKAGES


def test_local_source_links_weights_and_rewrites_the_tokenizer(tmp_path, tiny_model_dir):
    out = tmp_path / "base"
    origin = prepare_base_model({"source": "local", "local": {"path": str(tiny_model_dir)}}, out)
    software = origin.pop("software")
    assert origin == {"source": "local", "path": str(tiny_model_dir.resolve())}
    # what every model job runs with, for the report (which may run in another environment)
    assert software["packages"]["torch"] == importlib.metadata.version("torch")
    assert set(software["packages"]) == set(MODEL_PACKAGES) and software["python"]
    weights = out / "model.safetensors"
    assert weights.is_symlink() and weights.resolve() == (tiny_model_dir / "model.safetensors")
    assert not (out / "tokenizer.json").is_symlink()  # re-saved, never written through a link
    assert json.loads((out / "origin.json").read_text()) == {**origin, "software": software}
    assert not (tmp_path / "base.partial").exists()


def test_a_folder_without_weights_is_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    with pytest.raises(RuntimeError, match="no \\*.safetensors"):
        prepare_base_model({"source": "local", "local": {"path": str(empty)}}, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "out.partial").exists()  # nothing half-built is left behind


def test_missing_chat_template_asks_for_one(demo_tokenizer):
    import copy

    tokenizer = copy.deepcopy(demo_tokenizer)
    tokenizer.chat_template = None
    with pytest.raises(ValueError, match="model.chat_template"):
        prepare_tokenizer(tokenizer, chat_template=None)
    template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    assert prepare_tokenizer(tokenizer, template).chat_template == template


def test_a_template_path_is_read_and_a_missing_one_is_an_error(tmp_path, demo_tokenizer):
    import copy

    template = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    (tmp_path / "chat.jinja").write_text(template)
    tokenizer = prepare_tokenizer(copy.deepcopy(demo_tokenizer), str(tmp_path / "chat.jinja"))
    assert tokenizer.chat_template == template
    with pytest.raises(FileNotFoundError, match="neither a Jinja template nor a file"):
        prepare_tokenizer(copy.deepcopy(demo_tokenizer), "config/templates/typo.jinja")
