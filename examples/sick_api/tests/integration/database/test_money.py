# Sickness: a test module named like tests/integration/api/test_money.py, and neither folder
# is a package: run together (core_infrastructure, final_validation), pytest imports both as
# `test_money` and fails the second it collects (this one) with "import file mismatch".
from tests.utils.money import cents


def test_cents_from_a_decimal_string():
    assert cents("1.20") == 120


def test_cents_drop_fractions_of_a_cent():
    assert cents("0.015") == 1
