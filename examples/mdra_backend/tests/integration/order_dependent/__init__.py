"""Planted order-dependent tests: the isolation validator's demonstration, kept out of the gates.

Every test here passes when this folder runs in its written order (``pytest -q
tests/integration/order_dependent``), and some fail after another test of the folder,
because that test leaves state behind. Each module documents its pair: who pollutes, who
suffers, what is left behind, and the fix. The leaks are contained: only the tests of this
folder read the state they leave, so the rest of the suite passes in any order.

They sit in the suite's layout (integration tests, in an area of their own), so the
organization audit leaves them in place and no phase selects them by path; final_validation,
which selects all of ``tests``, leaves them out with ``--ignore`` (``pytest_args`` in
pyproject.toml). ``remediate isolation`` and the nightly isolation validation
(``[tool.remediation.isolation]``) run them and name every pair.
"""
