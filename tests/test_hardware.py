import pytest

from alignbench.models import hardware


def test_auto_attention_falls_back_to_sdpa_without_flash_attention(monkeypatch):
    monkeypatch.setattr(hardware, "flash_attention_available", lambda: False)
    assert hardware.resolve_attention("auto") == "sdpa"
    assert hardware.resolve_attention("eager") == "eager"


def test_auto_attention_picks_flash_attention_when_usable(monkeypatch):
    monkeypatch.setattr(hardware, "flash_attention_available", lambda: True)
    assert hardware.resolve_attention("auto") == "flash_attention_2"


def test_explicit_flash_attention_without_it_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(hardware, "flash_attention_available", lambda: False)
    with pytest.raises(ValueError, match="'auto' or 'sdpa'"):
        hardware.resolve_attention("flash_attention_2")


def test_precision_auto_on_cpu_follows_the_cpu_flags(monkeypatch):
    monkeypatch.setattr(hardware, "cuda_available", lambda: False)
    monkeypatch.setattr(hardware, "cpu_supports_bf16", lambda: True)
    assert hardware.resolve_precision("auto") == "bf16"
    monkeypatch.setattr(hardware, "cpu_supports_bf16", lambda: False)
    assert hardware.resolve_precision("auto") == "fp32"
    with pytest.raises(ValueError, match="needs a CUDA GPU"):
        hardware.resolve_precision("fp16")
