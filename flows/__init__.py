"""Prefect flows of remediation-engine. Kept import-free so the CLI can set Prefect's
environment (PREFECT_HOME, analytics) before Prefect is first imported."""
