"""Database isolation, test data and migration checks for a target's own models.

The names below load lazily (PEP 562): the pytest plugin imports
`testing_lib.database.db_fixtures` at start-up, and SQLAlchemy, alembic and polyfactory are
imported only when a fixture or one of these names is first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from testing_lib.database.engine import build_engine, mask_url
    from testing_lib.database.errors import (
        DatabaseUnreachableError,
        MetadataImportError,
        MigrationError,
        MultipleHeadsError,
    )
    from testing_lib.database.factory import TestDataFactory, derive_seed
    from testing_lib.database.isolation import STRATEGIES, IsolatedDatabaseManager, Strategy
    from testing_lib.database.metadata import ModelCatalog, catalog_from, load_catalog
    from testing_lib.database.migrations import (
        DriftItem,
        DriftReport,
        EnumMigrationReport,
        MigrationHandler,
        check_migrations,
    )
    from testing_lib.database.settings import DatabaseSettings, read_database_settings

_EXPORTS = {
    "build_engine": "engine",
    "mask_url": "engine",
    "DatabaseUnreachableError": "errors",
    "MetadataImportError": "errors",
    "MigrationError": "errors",
    "MultipleHeadsError": "errors",
    "TestDataFactory": "factory",
    "derive_seed": "factory",
    "STRATEGIES": "isolation",
    "IsolatedDatabaseManager": "isolation",
    "Strategy": "isolation",
    "ModelCatalog": "metadata",
    "catalog_from": "metadata",
    "load_catalog": "metadata",
    "DriftItem": "migrations",
    "DriftReport": "migrations",
    "EnumMigrationReport": "migrations",
    "MigrationHandler": "migrations",
    "check_migrations": "migrations",
    "DatabaseSettings": "settings",
    "read_database_settings": "settings",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "STRATEGIES",
    "DatabaseSettings",
    "DatabaseUnreachableError",
    "DriftItem",
    "DriftReport",
    "EnumMigrationReport",
    "IsolatedDatabaseManager",
    "MetadataImportError",
    "MigrationError",
    "MigrationHandler",
    "ModelCatalog",
    "MultipleHeadsError",
    "Strategy",
    "TestDataFactory",
    "build_engine",
    "catalog_from",
    "check_migrations",
    "derive_seed",
    "load_catalog",
    "mask_url",
    "read_database_settings",
]
