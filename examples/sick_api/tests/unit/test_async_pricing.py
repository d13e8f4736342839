# Sickness: unmarked async tests, and pytest-asyncio runs in strict mode (its default).
from app.pricing import price_with_tax


async def test_async_tax():
    assert price_with_tax(100) == 120


async def test_async_zero():
    assert price_with_tax(0) == 0
