from app.pricing import price_with_tax


def test_tax_is_added():
    assert price_with_tax(100) == 120


def test_no_tax_at_zero_rate():
    assert price_with_tax(100, 0) == 100


def test_rounds_down():
    assert price_with_tax(5) == 6
