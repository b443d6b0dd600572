"""The declared version floors are the ones ``make test-oldest`` tests."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
# not pinned at their floor: torch (see tests/oldest-versions.txt), the test runners and
# the documentation tools, which users of sksynth do not run
UNPINNED = {"torch", "pytest", "hypothesis", "ruff"}


def _release(version: str) -> tuple[int, ...]:
    parts = tuple(int(p) for p in version.split("."))
    return parts + (0,) * (3 - len(parts))


def _floors() -> dict[str, str]:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    requirements = project["dependencies"] + [
        r for name, reqs in extras.items() if name != "docs" for r in reqs
    ]
    floors = {}
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
        assert match, f"expected 'name>=version' in pyproject.toml; got {requirement!r}"
        floors[match.group(1).lower()] = match.group(2)
    return {name: v for name, v in floors.items() if name not in UNPINNED}


def _pins() -> dict[str, str]:
    lines = (ROOT / "tests" / "oldest-versions.txt").read_text().splitlines()
    pins = [line.split("==") for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip().lower(): version.strip() for name, version in pins}


def test_oldest_versions_pin_every_floor():
    floors, pins = _floors(), _pins()
    assert set(pins) == set(floors)
    for name, floor in floors.items():
        assert _release(pins[name]) == _release(floor), (name, pins[name], floor)
