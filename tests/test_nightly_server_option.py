"""`remediate server --notify-webhook`: a bad URL is refused before anything starts, and the
URL's path (where webhooks keep their token) is never printed (no Prefect needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from cli.server import _host_of


@pytest.mark.parametrize("url", ["hooks.example.com/T0", "ftp://hooks.example.com/x", "not a url"])
def test_a_webhook_that_is_not_an_http_url_exits_2_before_the_server_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))

    assert main(["server", "--port", "1", "--notify-webhook", url]) == 2

    assert "is not an http(s) URL" in capsys.readouterr().err.replace("\n", "")
    assert not (tmp_path / "home" / "server.log").exists()  # no server was started


def test_only_the_scheme_host_and_port_of_the_webhook_are_shown() -> None:
    assert _host_of("https://hooks.slack.com/services/T0/B0/secret") == "https://hooks.slack.com"
    assert _host_of("http://127.0.0.1:8080/hook?token=x") == "http://127.0.0.1:8080"
