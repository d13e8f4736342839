"""Fills a SQLite file with demo projects. Run it by hand: python tests/test_seed_demo_data.py"""

import logging
import sys

from app.projects import Project, ProjectStatus
from app.storage import ProjectStore, connect

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("seed")


def main(path):
    store = ProjectStore(connect(path))
    for n, status in enumerate(ProjectStatus):
        store.add(Project(name=f"Demo {n}", owner="demo", status=status))
    store.connection.commit()
    log.info("seeded %s", path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo.sqlite3")
