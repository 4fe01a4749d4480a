"""The package metadata as current build backends want it: an install prints no deprecation warning."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_the_licence_is_declared_as_an_spdx_expression():
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT", "a TOML table is deprecated: three warnings per install"
