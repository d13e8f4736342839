"""Predicate devices from openFDA's 510(k) endpoint, behind an injected fetch and a cache."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.cache import TTLCache

Fetch = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Predicate:
    k_number: str
    device_name: str
    product_code: str
    decision_date: str


def parse_openfda(payload: dict[str, Any]) -> list[Predicate]:
    found = []
    for record in payload.get("results", []):
        k_number = record.get("k_number")
        if not k_number:
            continue
        found.append(
            Predicate(
                k_number=k_number,
                device_name=(record.get("device_name") or "").strip().title(),
                product_code=(record.get("product_code") or "").upper(),
                decision_date=record.get("decision_date", ""),
            )
        )
    return sorted(found, key=lambda p: p.decision_date, reverse=True)


class PredicateClient:
    def __init__(self, fetch: Fetch, cache: TTLCache[list[Predicate]]) -> None:
        self.fetch = fetch
        self.cache = cache

    def search(self, product_code: str) -> list[Predicate]:
        key = f"predicates:{product_code.upper()}"
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        payload = self.fetch(f'/device/510k.json?search=product_code:"{product_code.upper()}"')
        predicates = parse_openfda(payload)
        self.cache.set(key, predicates)
        return predicates
