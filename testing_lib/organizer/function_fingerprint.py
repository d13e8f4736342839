"""Normalized-AST fingerprints of test functions, for duplicate detection.

Two fingerprints per test, computed in one pass over its AST (function name, docstring
and line numbers left out):

- `exact`: the structure with every name and literal as written: two tests with the same
  exact fingerprint are copies (only their names, docstrings or formatting differ);
- `near`: the same structure with local names replaced by their order of first use and
  literals by their type: tests with equal near fingerprints have the same shape.

`leaves` lists the concrete names and literals in traversal order; two tests sharing a near
fingerprint have aligned leaves, so their similarity is the share of equal leaves (a local
variable counts by its order of first binding, so renaming one does not lower it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

MIN_SIZE = 6
LEAF_SEPARATOR = "\x1f"  # smaller bodies (`pass`, `assert True`) say nothing about duplication


@dataclass(frozen=True)
class Fingerprint:
    exact: str
    near: str
    leaves: str  # the leaves joined by LEAF_SEPARATOR (one string pickles fast)
    size: int

    def leaf_list(self) -> list[str]:
        return self.leaves.split(LEAF_SEPARATOR) if self.leaves else []


def digest(parts: list[str]) -> str:
    return hashlib.blake2b(
        "\x1f".join(parts).encode("utf-8", "replace"), digest_size=12
    ).hexdigest()


def leaf_similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Share of aligned leaves that are equal (1.0 for exact copies)."""
    if a.exact == b.exact:
        return 1.0
    left, right = a.leaf_list(), b.leaf_list()
    if not left or len(left) != len(right):
        return 0.0
    same = sum(1 for x, y in zip(left, right, strict=True) if x == y)
    return same / len(left)
