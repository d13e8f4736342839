"""Shared test helpers (imported as tests.helpers and, from this folder, as helpers)."""

from app.projects import Project, ProjectStatus

SECRET = "legacy-secret-that-is-long-enough-for-hmac"
NOW = 1_700_000_000.0


def make_project(name="Catheter", owner="ada", status=ProjectStatus.DRAFT, codes=("DQY",)):
    return Project(name=name, owner=owner, status=status, product_codes=list(codes))


class FakeClock:
    def __init__(self, start=0.0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds
