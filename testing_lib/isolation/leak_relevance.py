"""Which of a polluter's leaks explain its victim: the state the victim's module reads first.

A polluter often leaves several things changed (an environment variable, a global, a file in
the temp folder). The report shows, per pair, a handful of them, those whose names (the
variable, the attribute, the folder, the table) appear in the victim's own module first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from testing_lib.isolation.order_models import StateLeak

MAX_LEAKS_PER_PAIR = 5

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
# Words of the leak descriptions themselves, not names of the state.
_TEMPLATE_WORDS = frozenset(
    "set removed changed added created re left was from the temp folder files rows open "
    "file descriptor descriptors thread threads running dependency_overrides working "
    "directory global random generator state seeded consumed and more".split()
)


def _names(leak: StateLeak) -> set[str]:
    return {word for word in _NAME.findall(leak.detail) if word.lower() not in _TEMPLATE_WORDS}


def victim_source(rootdir: str | Path, victim: str) -> str:
    """The text of the victim's module (its node id is relative to pytest's rootdir); empty
    when it cannot be read."""
    try:
        return (Path(rootdir) / victim.split("::", 1)[0]).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def first_import(leak: StateLeak) -> bool:
    """A project module first imported during the test: state only for a test that expects
    it not to be loaded yet, so shown only where the victim names it."""
    return leak.state == "sys_modules" and leak.detail.startswith("imported ")


def relevant_leaks(
    leaks: Iterable[StateLeak], source: str, limit: int = MAX_LEAKS_PER_PAIR
) -> list[StateLeak]:
    """At most `limit` leaks, those naming something `source` mentions first (by how many
    such names), the rest in the order they were seen; a first import only when `source`
    names one of its modules."""
    found = set(_NAME.findall(source))
    ranked = sorted(enumerate(leaks), key=lambda pair: (-len(_names(pair[1]) & found), pair[0]))
    return [
        leak
        for _, leak in ranked
        if not first_import(leak) or any(name in source for name in leak.subject)
    ][:limit]
