"""Projects in SQLite (the standard library's sqlite3)."""

from __future__ import annotations

import sqlite3

from app.projects import Project, ProjectStatus

SCHEMA = """
create table if not exists projects (
    id integer primary key autoincrement,
    name text not null,
    owner text not null,
    status text not null,
    product_codes text not null default ''
)
"""


def connect(url: str = ":memory:") -> sqlite3.Connection:
    connection = sqlite3.connect(url)
    connection.execute(SCHEMA)
    return connection


class ProjectStore:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def add(self, project: Project) -> Project:
        cursor = self.connection.execute(
            "insert into projects (name, owner, status, product_codes) values (?, ?, ?, ?)",
            (project.name, project.owner, project.status.value, ",".join(project.product_codes)),
        )
        project.id = cursor.lastrowid
        return project

    def get(self, project_id: int) -> Project | None:
        row = self.connection.execute(
            "select id, name, owner, status, product_codes from projects where id = ?",
            (project_id,),
        ).fetchone()
        if row is None:
            return None
        codes = [c for c in row[4].split(",") if c]
        return Project(
            name=row[1], owner=row[2], status=ProjectStatus(row[3]), product_codes=codes, id=row[0]
        )

    def save_status(self, project: Project) -> None:
        self.connection.execute(
            "update projects set status = ? where id = ?", (project.status.value, project.id)
        )

    def by_owner(self, owner: str) -> list[Project]:
        ids = self.connection.execute(
            "select id from projects where owner = ? order by id", (owner,)
        ).fetchall()
        return [p for (project_id,) in ids if (p := self.get(project_id)) is not None]
