"""Defaults shared by the flows, the CLI and the deployments."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_TARGET = REPO_ROOT / "examples" / "mdra_backend"
