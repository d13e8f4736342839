"""Money helpers the tests share."""

from decimal import Decimal


def cents(amount: str) -> int:
    """`"1.20"` as 120 cents."""
    return int(Decimal(amount) * 100)
