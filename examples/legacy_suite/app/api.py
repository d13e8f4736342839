"""The HTTP surface, reduced to a dispatcher: (method, path, body, token) -> (status, body)."""

from __future__ import annotations

from typing import Any

from app.auth import InvalidToken, verify_token
from app.projects import Project, ProjectStatus, validate_name
from app.storage import ProjectStore

Response = tuple[int, dict[str, Any]]


def validate_payload(body: dict[str, Any] | None) -> list[str]:
    errors = []
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    name = body.get("name")
    if not isinstance(name, str):
        errors.append("name is required")
    else:
        try:
            validate_name(name)
        except ValueError as exc:
            errors.append(str(exc))
    codes = body.get("product_codes", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) and len(c) == 3 for c in codes):
        errors.append("product_codes must be three-letter codes")
    return errors


def handle(
    store: ProjectStore,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    token: str | None = None,
    secret: str,
    now: float,
) -> Response:
    if (method, path) == ("GET", "/health"):
        return 200, {"status": "ok"}
    if token is None:
        return 401, {"detail": "not authenticated"}
    try:
        user = verify_token(token, secret, now=now)
    except InvalidToken as exc:
        return 401, {"detail": str(exc)}
    if (method, path) == ("POST", "/projects"):
        errors = validate_payload(body)
        if errors:
            return 422, {"detail": errors}
        assert body is not None
        project = store.add(
            Project(name=body["name"], owner=user, product_codes=body.get("product_codes", []))
        )
        return 201, {"id": project.id, "name": project.name, "status": project.status.value}
    if method == "GET" and path.startswith("/projects/"):
        project = store.get(int(path.rsplit("/", 1)[1]))
        if project is None or project.owner != user:
            return 404, {"detail": "no such project"}
        return 200, {"id": project.id, "name": project.name, "status": project.status.value}
    if method == "GET" and path == "/projects":
        mine = store.by_owner(user)
        return 200, {"items": [{"id": p.id, "status": p.status.value} for p in mine]}
    if method == "POST" and path.endswith("/submit"):
        project = store.get(int(path.split("/")[2]))
        if project is None or project.owner != user:
            return 404, {"detail": "no such project"}
        if project.status is not ProjectStatus.ACTIVE:
            return 409, {"detail": f"cannot submit a {project.status.value} project"}
        project.status = ProjectStatus.SUBMITTED
        store.save_status(project)
        return 200, {"id": project.id, "status": project.status.value}
    return 404, {"detail": "not found"}
