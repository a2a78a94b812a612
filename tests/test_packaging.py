"""environment.yml must install what pyproject.toml declares."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = project["dependencies"] + extras["cpu"] + extras["dev"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    [pip_section] = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    conda_python = [d for d in environment["dependencies"] if str(d).startswith("python=")]

    assert sorted(r for r in pip_section if r != "-e .") == sorted(declared)
    assert "-e ." in pip_section
    assert conda_python == [f"python={project['requires-python'].removeprefix('>=')}"]
