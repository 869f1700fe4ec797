"""The pinned dependencies: requirements/lock.txt and the pip sections of the conda envs.

`make lock` compiles requirements/lock.txt from pyproject.toml with pip-compile (every package
of every extra, exact versions and hashes) and then runs `python -m tools.lockfile`, which
writes each env file's pip section: the closure of that env's extras in the lock, at the locked
versions. torch is left out of the lock and pinned by version only: PyPI's Linux wheel is a
CUDA build with CUDA packages as dependencies, while CPU-only machines install a CPU build of
the same version, so no single set of hashes fits both.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
PYPROJECT = ROOT / "pyproject.toml"
# Each conda env and the pyproject extras it holds (the core dependencies always).
ENV_EXTRAS = {
    "envs/models.yaml": ("models", "qlora"),
    "envs/analysis.yaml": (),
}
# Pinned by version in pyproject.toml, installed from it rather than from the lock.
UNLOCKED = ("torch",)
PIP_SECTION = "  - pip:\n"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")
_VIA_ONE = re.compile(r"^\s+# via (.+)$")
_VIA_MANY = re.compile(r"^\s+#   (.+)$")


def read_lock(path: Path = LOCK) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(name -> version, name -> the names that require it) from a pip-compile lock."""
    versions: dict[str, str] = {}
    parents: dict[str, set[str]] = defaultdict(set)
    current = None
    for line in path.read_text().splitlines():
        if pin := _PIN.match(line):
            current = canonicalize_name(pin[1])
            versions[current] = pin[2]
        elif current and (via := _VIA_ONE.match(line) or _VIA_MANY.match(line)):
            parents[current].add(_parent_name(via[1]))
        elif not line.startswith(" "):
            current = None
    return versions, parents


def _parent_name(text: str) -> str:
    # "alignbench (pyproject.toml)" names the project itself; other entries are package names.
    return text.split(" (")[0] if "(pyproject.toml)" in text else canonicalize_name(text)


def project_requirements(*extras: str, path: Path = PYPROJECT) -> list[Requirement]:
    """The core requirements of pyproject.toml plus those of ``extras``."""
    project = tomllib.loads(path.read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def all_extras(path: Path = PYPROJECT) -> tuple[str, ...]:
    return tuple(tomllib.loads(path.read_text())["project"]["optional-dependencies"])


def closure(roots: list[str], parents: dict[str, set[str]]) -> set[str]:
    """``roots`` and everything they require, by the lock's `# via` annotations."""
    children: dict[str, set[str]] = defaultdict(set)
    for child, names in parents.items():
        for parent in names:
            children[parent].add(child)
    seen: set[str] = set()
    todo = [canonicalize_name(root) for root in roots]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(children[name])
    return seen


def env_pins(extras: tuple[str, ...], lock: Path = LOCK, pyproject: Path = PYPROJECT) -> list[str]:
    """The pip lines of a conda env holding the core plus ``extras``, sorted by name."""
    versions, parents = read_lock(lock)
    requirements = project_requirements(*extras, path=pyproject)
    unlocked = {canonicalize_name(r.name): r for r in requirements if r.name in UNLOCKED}
    names = closure([r.name for r in requirements], parents)
    missing = sorted(names - versions.keys() - unlocked.keys())
    if missing:
        raise ValueError(f"{lock} lacks {missing}: run `make lock`.")
    return sorted(
        f"{name}{unlocked[name].specifier}" if name in unlocked else f"{name}=={versions[name]}"
        for name in names
    )


def render_env(text: str, pins: list[str]) -> str:
    """``text`` (an env file ending with its pip section) with the pip section replaced."""
    head, marker, _ = text.partition(PIP_SECTION)
    if not marker:
        raise ValueError(f"the env file has no line {PIP_SECTION.strip()!r}")
    return head + marker + "".join(f"      - {pin}\n" for pin in pins)


def main() -> int:
    for env, extras in ENV_EXTRAS.items():
        path = ROOT / env
        path.write_text(render_env(path.read_text(), env_pins(extras)))
        print(f"{env}: {len(env_pins(extras))} pinned packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
