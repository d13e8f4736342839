"""One line a person can act on from pytest's multi-line failure text.

pytest reports a module that does not import as a traceback through its own import
machinery; what a reader needs is where the problem is and what it is:
``tests/unit/test_x.py:4: SyntaxError: invalid syntax``.
"""

from __future__ import annotations

import re

from testing_lib.results import CollectionError

# "E   ModuleNotFoundError: No module named 'x'" (pytest prefixes exception text with E)
_EXCEPTION_LINE = re.compile(r"^E\s+((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit)\b.*)$")
# 'E     File "/abs/tests/test_x.py", line 4' (the location Python gives a SyntaxError)
_SYNTAX_LOCATION = re.compile(r'^E\s+File "(?P<path>[^"]+)", line (?P<line>\d+)')
# "tests/unit/test_y.py:1: in <module>" (a traceback frame pytest prints)
_FRAME = re.compile(r"^(?P<path>[^\s:][^:]*\.py):(?P<line>\d+): in ")
_SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
# pytest's own text when two test modules outside packages share a basename
_MISMATCH = re.compile(r"^import file mismatch:\s*imported module '(?P<name>[^']+)'")


def exception_line(text: str) -> str:
    """The exception pytest reports ("ImportError: …"), else its last non-blank line."""
    mismatch = _MISMATCH.match(text.lstrip())
    if mismatch:  # pytest's text ends with a HINT, not an exception
        return f"import file mismatch: module '{mismatch['name']}' was imported from another file"
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        match = _EXCEPTION_LINE.match(line)
        if match:
            return match.group(1).strip()
    for line in reversed(lines):
        if line.startswith("E "):
            return line[1:].strip()
    return lines[-1].strip() if lines else ""


def collection_error_line(error: CollectionError) -> str:
    """``path:line: Exception: message`` for a module pytest could not collect.

    A syntax error is placed where Python places it (the file and line it names); any
    other error at the deepest frame inside the project (pytest prints those paths
    relative to its rootdir); failing both, at the module pytest was collecting.
    """
    message = exception_line(error.message)
    module = error.nodeid.split("::", 1)[0]
    lines = error.message.splitlines()
    if message.startswith(_SYNTAX_ERRORS):
        for line in lines:
            located = _SYNTAX_LOCATION.match(line)
            if located:
                path = located["path"]
                if module and path.endswith("/" + module):
                    path = module
                return f"{path}:{located['line']}: {message}"
    project_frames = [
        frame
        for frame in (_FRAME.match(line) for line in lines)
        if frame and not frame["path"].startswith(("/", "<"))
    ]
    if project_frames:
        last = project_frames[-1]
        return f"{last['path']}:{last['line']}: {message}"
    if not module:
        return message
    return f"{module}: {message}" if message else module
