"""A client of the openFDA device API."""

import os

import httpx


def device_count(product_code: str) -> int:
    base = os.environ.get("OPENFDA_BASE_URL", "https://api.fda.gov")
    with httpx.Client(base_url=base, timeout=2, trust_env=False) as client:
        response = client.get("/device/510k.json", params={"search": product_code})
        response.raise_for_status()
        return int(response.json()["meta"]["results"]["total"])
