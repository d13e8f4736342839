"""The app: a health route and a price route. It ignores SIGTERM, as some servers do."""

import signal

from fastapi import FastAPI

from app.pricing import price_with_tax

# A badly behaved module: whoever imports it can no longer be stopped with SIGTERM.
signal.signal(signal.SIGTERM, signal.SIG_IGN)

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/price/{cents}")
def price(cents: int) -> dict[str, int]:
    return {"cents": price_with_tax(cents)}
