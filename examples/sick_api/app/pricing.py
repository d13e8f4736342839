"""Pure functions: the part of the app every test can reach."""


def price_with_tax(cents: int, rate_percent: int = 20) -> int:
    return cents + cents * rate_percent // 100
