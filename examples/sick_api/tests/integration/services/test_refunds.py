# Sickness: imports a test helper from where it was before a reorganization moved it to
# tests/utils/money.py (a collection error: No module named 'tests.helpers').
from tests.helpers.money import cents


def test_a_refund_is_counted_in_cents():
    assert cents("19.99") == 1999
