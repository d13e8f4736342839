"""Prefect tasks: thin wrappers over testing_lib."""
