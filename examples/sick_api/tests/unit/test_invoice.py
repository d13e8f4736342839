# Sickness: an import of a test helper from where it was before a reorganization moved it
# (to tests/utils/money.py): a collection error, "No module named 'tests.helpers'".
from app.pricing import price_with_tax
from tests.helpers.money import cents


def test_invoice_line_adds_tax():
    assert price_with_tax(cents("2.50")) == 300
