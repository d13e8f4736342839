# Sickness: an unmarked async test, and pytest-asyncio runs in strict mode (its default).
from app.pricing import price_with_tax


async def test_async_tax_on_a_recall_refund():
    assert price_with_tax(50) == 60
