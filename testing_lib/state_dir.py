"""The folder in a target where the engine keeps its state: TARGET/.remediation/.

A module of its own, importing nothing: the pytest plugin's performance store needs the
name in every pytest process, and `testing_lib.storage` (the run reports' models) is not
worth loading there.
"""

from __future__ import annotations

STATE_DIR = ".remediation"
