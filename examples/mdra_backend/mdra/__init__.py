"""MDRA: a small Medical Device Regulatory Assistant backend (FDA 510(k) predicate devices)."""

from __future__ import annotations

__version__ = "0.1.0"
