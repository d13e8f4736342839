"""`remediate server`: Prefect's server and the three deployments, served from one process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cli.console import out, usage_error


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_webhook(url: str) -> None:
    from pydantic import ValidationError

    from deployments.notifications import Webhook

    try:
        Webhook.model_validate({"url": url})
    except ValidationError as exc:
        raise usage_error(
            f"--notify-webhook {url!r} is not an http(s) URL: give the address that "
            "receives the notifications, e.g. https://hooks.example.com/T000/B000"
        ) from exc


def _host_of(url: str) -> str:
    """The URL without its path: webhook paths often hold the token."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def server(
    host: Annotated[
        str, typer.Option(help="Interface to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for the API and the UI.")] = 4200,
    target: Annotated[
        Path | None, typer.Option(help="Default target of the deployments (default: the example).")
    ] = None,
    timezone: Annotated[str, typer.Option(help="Time zone of the nightly schedule.")] = "UTC",
    nightly_cron: Annotated[
        str, typer.Option("--nightly-cron", help="Cron of nightly-isolation.")
    ] = "0 2 * * *",
    notify_webhook: Annotated[
        str | None,
        typer.Option(
            "--notify-webhook",
            metavar="URL",
            envvar="REMEDIATION_NOTIFY_WEBHOOK",
            help=(
                "POST JSON ({subject, text}) to URL when nightly-isolation finds tests "
                "order-dependent for the first time, cannot run, or crashes, and when a "
                "run waits for a person to approve its proven cures."
            ),
        ),
    ] = None,
) -> None:
    """Start Prefect's server and serve the three deployments; Ctrl-C stops both."""
    import os
    import zoneinfo

    from cli.signals import stop_on_signals
    from deployments.local_server import (
        ServerStartError,
        ensure_notifications,
        prefect_server,
        serve_deployments,
    )

    if not _is_loopback(host) and not os.environ.get("PREFECT_SERVER_API_AUTH_STRING"):
        raise usage_error(
            f"--host {host} exposes a server that has no users: set "
            "PREFECT_SERVER_API_AUTH_STRING (clients then need PREFECT_API_AUTH_STRING) or "
            "keep the default 127.0.0.1"
        )
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise usage_error(
            f"unknown time zone {timezone!r}: use an IANA name such as Europe/Paris"
        ) from exc
    if notify_webhook is not None:
        _check_webhook(notify_webhook)
    default_target = None
    if target is not None:
        from testing_lib.config.target import load_target_config
        from testing_lib.exceptions import TargetConfigError

        try:
            default_target = str(load_target_config(target).root)
        except TargetConfigError as exc:
            raise usage_error(str(exc)) from exc
    home = Path(os.environ["PREFECT_HOME"])
    stop_on_signals()
    try:
        with prefect_server(host, port, home) as api_url:
            ui = api_url.removesuffix("/api")
            out.print(Text(f"Prefect UI: {ui}  (state: {home}; Ctrl-C stops)"), soft_wrap=True)
            os.environ["PREFECT_API_URL"] = api_url  # for the served runs' subprocesses
            if notify_webhook is not None:
                ensure_notifications(api_url, notify_webhook)
                out.print(
                    Text(f"Nightly findings are posted to {_host_of(notify_webhook)}"),
                    soft_wrap=True,
                )
            try:
                serve_deployments(
                    api_url, target=default_target, timezone=timezone, nightly_cron=nightly_cron
                )
            except KeyboardInterrupt:
                out.print("stopping")
    except ServerStartError as exc:
        raise usage_error(str(exc)) from exc
