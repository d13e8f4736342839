"""Duplicate tests and overlapping files, from fingerprints (no all-pairs comparison).

Tests are bucketed by their near fingerprint (same shape); inside a bucket, by their exact
fingerprint (copies). Copies pair with the first of their group; groups of one shape pair
with each other (all pairs up to `MAX_GROUPS_ALL_PAIRS` groups, else each with the first),
kept when their similarity reaches `NEAR_MIN_SIMILARITY`. Work grows with the number of
tests, not its square. Pairs are then folded per file pair (see `DuplicatePair`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from testing_lib.organizer.collection_results import CollectedTest
from testing_lib.organizer.function_fingerprint import Fingerprint, leaf_similarity
from testing_lib.organizer.models import DuplicatePair

NEAR_MIN_SIMILARITY = 0.6
MAX_GROUPS_ALL_PAIRS = 30
MAX_HOLDERS = 50
_COPY_WORDS = ("copy", "old", "backup", "bak", "duplicate", "dup", "orig", "new", "2")


@dataclass(frozen=True, slots=True)
class _Member:
    path: str
    test: str
    fp: Fingerprint


@dataclass
class Duplicates:
    pairs: list[DuplicatePair]
    duplicate_of: dict[str, str]  # a file whose every test is a copy -> the file it copies


def _pairs(tests: Mapping[str, Sequence[CollectedTest]]) -> list[tuple[_Member, _Member, float]]:
    buckets: dict[str, list[_Member]] = defaultdict(list)
    for path in sorted(tests):
        for test in tests[path]:
            if test.fingerprint is not None:
                buckets[test.fingerprint.near].append(
                    _Member(path, test.qualname, test.fingerprint)
                )
    found: list[tuple[_Member, _Member, float]] = []
    for members in buckets.values():
        if len(members) < 2:
            continue
        groups: dict[str, list[_Member]] = defaultdict(list)
        for member in members:
            groups[member.fp.exact].append(member)
        representatives = []
        for group in groups.values():
            first = group[0]
            representatives.append(first)
            found += [(first, other, 1.0) for other in group[1:]]
        if len(representatives) < 2:
            continue
        if len(representatives) <= MAX_GROUPS_ALL_PAIRS:
            candidates = list(combinations(representatives, 2))
        else:
            candidates = [(representatives[0], r) for r in representatives[1:]]
        for a, b in candidates:
            similarity = leaf_similarity(a.fp, b.fp)
            if similarity >= NEAR_MIN_SIMILARITY:
                found.append((a, b, similarity))
    return found


def _copy_rank(path: str) -> tuple[int, int, str]:
    """Sorts likely originals first: no copy-ish words, shorter, then by path."""
    stem = path.rpartition("/")[2].removesuffix(".py").lower()
    words = stem.replace("-", "_").split("_")
    copyish = sum(1 for w in words if w in _COPY_WORDS)
    return copyish, len(path), path


def _whole_copies(tests: Mapping[str, Sequence[CollectedTest]]) -> dict[str, list[str]]:
    """For each file, the other files holding an exact copy of every one of its tests.

    An inverted index (exact fingerprint -> files) intersected from the rarest fingerprint
    up: a copied file meets its original after one or two lookups, however common its
    other tests are. A file whose rarest test sits in more than `MAX_HOLDERS` files is not
    called a copy of any one of them (its tests are boilerplate, not a copied file).
    """
    holders: dict[str, set[str]] = defaultdict(set)
    for path, items in tests.items():
        for test in items:
            if test.fingerprint is not None:
                holders[test.fingerprint.exact].add(path)
    candidates: dict[str, list[str]] = {}
    for path, items in tests.items():
        prints = sorted(
            {t.fingerprint.exact for t in items if t.fingerprint is not None},
            key=lambda fp: len(holders[fp]),
        )
        if not prints or len(prints) * 2 < len(items) or len(holders[prints[0]]) > MAX_HOLDERS:
            continue
        others = holders[prints[0]] - {path}
        for fp in prints[1:]:
            if not others:
                break
            others &= holders[fp]
        if others:
            candidates[path] = sorted(others)
    return candidates


def _proof(
    tests: Mapping[str, Sequence[CollectedTest]], copy: str, original: str
) -> list[tuple[_Member, _Member, float]]:
    """The test pairs showing that `copy` copies `original`."""
    in_original: dict[str, _Member] = {}
    for test in tests[original]:
        if test.fingerprint is not None:
            in_original.setdefault(
                test.fingerprint.exact, _Member(original, test.qualname, test.fingerprint)
            )
    pairs = []
    for test in tests[copy]:
        if test.fingerprint is not None and test.fingerprint.exact in in_original:
            member = _Member(copy, test.qualname, test.fingerprint)
            pairs.append((in_original[test.fingerprint.exact], member, 1.0))
    return pairs


def find_duplicates(tests: Mapping[str, Sequence[CollectedTest]]) -> Duplicates:
    """Duplicate pairs between (and inside) files; which files are whole copies of another."""
    candidates = _whole_copies(tests)
    duplicate_of: dict[str, str] = {}
    # Likely copies first, so that an original is never itself marked as a copy.
    for copy in sorted(candidates, key=_copy_rank, reverse=True):
        if copy in duplicate_of or copy in duplicate_of.values():
            continue
        originals = [
            o
            for o in candidates[copy]
            if o not in duplicate_of
            and not (copy in candidates.get(o, []) and _copy_rank(o) > _copy_rank(copy))
        ]
        if originals:
            duplicate_of[copy] = min(originals, key=_copy_rank)
    proofs = [p for copy, original in duplicate_of.items() for p in _proof(tests, copy, original)]
    by_files: dict[tuple[str, str], dict[tuple[str, str], float]] = defaultdict(dict)
    for first, second, similarity in [*_pairs(tests), *proofs]:
        if (second.path, second.test) < (first.path, first.test):
            first, second = second, first
        by_files[(first.path, second.path)][(first.test, second.test)] = similarity
    counts = {path: max(1, len(items)) for path, items in tests.items()}
    pairs: list[DuplicatePair] = []
    for (a, b), found in sorted(by_files.items()):
        items = sorted((x, y, s) for (x, y), s in found.items())
        weight = sum(s for _, _, s in items)
        covered_a = {x for x, _, _ in items}
        covered_b = {y for _, y, _ in items}
        if a == b:
            similarity = weight / len(items)
            share_a = share_b = len(covered_a | covered_b) / counts[a]
        else:
            similarity = min(1.0, 2 * weight / (counts[a] + counts[b]))
            share_a = len(covered_a) / counts[a]
            share_b = len(covered_b) / counts[b]
        exact = all(s == 1.0 for _, _, s in items)
        pairs.append(
            DuplicatePair(
                a=a,
                b=b,
                similarity=round(similarity, 3),
                kind="exact" if exact else "near",
                share_a=round(min(1.0, share_a), 3),
                share_b=round(min(1.0, share_b), 3),
                tests=[(x, y) for x, y, _ in items],
            )
        )
    return Duplicates(pairs=pairs, duplicate_of=duplicate_of)
