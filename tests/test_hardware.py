import pytest

from alignbench.models import hardware


def test_auto_attention_falls_back_to_sdpa_without_flash_attention(monkeypatch):
    monkeypatch.setattr(hardware, "flash_attention_available", lambda: False)
    assert hardware.resolve_attention("auto") == "sdpa"
    assert hardware.resolve_attention("eager") == "eager"
    assert hardware.resolve_attention("grouped_eager") == "grouped_eager"


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


RANK_DEVICE_MAP = """
import sys
from pathlib import Path

from accelerate import PartialState

from alignbench.models import hardware

PartialState(cpu=True)  # as training starts its ranks on this GPU-less machine
hardware.cuda_available = lambda: True  # as if each rank had a GPU to put 4-bit weights on
rank = PartialState().process_index
# One file per rank: the ranks share stdout, where their lines can interleave.
Path(sys.argv[1], f"rank{rank}.txt").write_text(repr(hardware.quantized_device_map()))
"""


def test_each_rank_puts_its_4bit_weights_on_its_own_gpu(tmp_path):
    """Under accelerate launch, rank r of a machine loads onto GPU r (here: two gloo ranks)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = tmp_path / "device_map.py"
    script.write_text(RANK_DEVICE_MAP)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = ["accelerate", "launch", "--multi_gpu", "--num_processes", "2"]
    command += ["--main_process_port", "0", str(script), str(tmp_path)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    maps = {path.name: path.read_text() for path in tmp_path.glob("rank*.txt")}
    assert maps == {"rank0.txt": "{'': 0}", "rank1.txt": "{'': 1}"}


def test_without_a_gpu_4bit_weights_stay_where_they_load(monkeypatch):
    monkeypatch.setattr(hardware, "cuda_available", lambda: False)
    assert hardware.quantized_device_map() is None
