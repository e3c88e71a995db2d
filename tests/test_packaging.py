"""pyproject.toml and environment.yml pin the same versions (conda users get what pip users get)."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(specs):
    out = {}
    for spec in specs:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*==\s*([^\s;]+)", spec)
        assert m, f"not pinned exactly: {spec!r}"
        out[_norm(m.group(1))] = m.group(3)
    return out


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = _pins(project["dependencies"] + extras["test"] + extras["lab"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = [], []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(d for d in dep.get("pip", []) if not d.startswith("-"))
        elif dep not in ("pip",) and not dep.startswith("python="):
            conda.append(dep)
    have = _pins(conda + pip)
    assert have == wanted
