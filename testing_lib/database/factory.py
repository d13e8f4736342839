"""Test data for any mapped model, built on polyfactory.

`TestDataFactory.create(Model, **overrides)` builds a row with polyfactory's
`SQLAlchemyFactory` and flushes it (never commits): required foreign keys get a parent row
created the same way, enum columns one of their values, timezone-aware datetime columns
aware values, columns with a default are left to the default. The helpers `create_user`,
`create_project` and `create_predicate_device` find the classes by name (`User` or table
`users`, ...) in the target's own models and add readable defaults where the
model has such attributes.

Every random value comes from one seed: the same seed builds the same rows, so a failure can
be replayed (the pytest fixture derives it from the test's node id and a session seed and
prints both in the failure report).
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum as PyEnum
from typing import Any, TypeVar, cast

from faker import Faker
from polyfactory.factories.sqlalchemy_factory import SQLAlchemyFactory
from sqlalchemy import Column, Enum, Integer, Table, delete, inspect, tuple_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ColumnProperty, InstanceState, Mapper, RelationshipDirection
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.types import TypeDecorator

from testing_lib.database.metadata import ModelCatalog, catalog_from
from testing_lib.error_recovery import CleanupError

logger = logging.getLogger(__name__)

T = TypeVar("T")

SEED_ENV = "REMEDIATION_FACTORY_SEED"


def derive_seed(session_seed: int, test_id: str) -> int:
    """A test's own seed: stable for a (session seed, test id) pair, independent of order."""
    digest = hashlib.sha256(f"{session_seed}:{test_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def new_session_seed() -> int:
    return secrets.randbits(32)


# Datetime columns get a moment in this range (all in the past).
_MOMENTS = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))


class _ColumnFactory(SQLAlchemyFactory[Any]):
    """polyfactory, minus what `TestDataFactory` decides itself (keys, defaults, relations)."""

    __is_base_factory__ = True
    __check_model__ = False
    __set_relationships__ = False
    __set_association_proxy__ = False

    @classmethod
    def should_column_be_set(cls, column: Any) -> bool:
        if not isinstance(column, Column):
            return False
        if column.foreign_keys or _has_default(column) or _is_generated_key(column):
            return False
        return super().should_column_be_set(column)


def _has_default(column: Column[Any]) -> bool:
    return column.default is not None or column.server_default is not None


def _is_generated_key(column: Column[Any]) -> bool:
    """An integer primary key the database numbers itself."""
    if not column.primary_key or column.table is None:
        return False
    return column is column.table.autoincrement_column or (
        isinstance(_base_type(column.type), Integer) and column.autoincrement in (True, "auto")
    )


def _base_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


@dataclass(frozen=True)
class CreatedEntity:
    model: type[Any]
    identity: tuple[Any, ...]
    instance: Any

    @property
    def table(self) -> str:
        return cast(Table, _mapper(self.model).local_table).name


class TestDataFactory:
    """Creates rows for a test and remembers them for `cleanup_all`."""

    __test__ = False

    def __init__(
        self,
        session: AsyncSession,
        models: ModelCatalog | Any | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        self.session = session
        self.catalog: ModelCatalog | None = (
            models if isinstance(models, ModelCatalog) or models is None else catalog_from(models)
        )
        self.seed = new_session_seed() if seed is None else seed
        self.random = random.Random(self.seed)  # noqa: S311 - test data, not secrets
        self.faker = Faker()
        self.faker.seed_instance(self.seed)
        self.created: list[CreatedEntity] = []
        self._factories: dict[type[Any], type[SQLAlchemyFactory[Any]]] = {}

    @property
    def created_entities(self) -> list[tuple[str, tuple[Any, ...]]]:
        """Every row created, in order, as (table name, primary key)."""
        return [(entity.table, entity.identity) for entity in self.created]

    # -- generic ---------------------------------------------------------------------------

    async def create(self, model: type[T], **overrides: Any) -> T:
        """Build one `model` row (random values, `overrides` win), add it and flush."""
        mapper = _mapper(model)
        values = await self._column_values(mapper, overrides)
        factory = self._factory_for(model)
        instance = cast(T, factory.build(**values, **overrides))
        self.session.add(instance)
        await self.session.flush()
        identity = cast(InstanceState[Any], inspect(instance)).identity  # set by the flush
        self.created.append(CreatedEntity(model, tuple(identity or ()), instance))
        return instance

    def _factory_for(self, model: type[Any]) -> type[SQLAlchemyFactory[Any]]:
        factory = self._factories.get(model)
        if factory is None:
            factory = cast(
                type[SQLAlchemyFactory[Any]],
                _ColumnFactory.create_factory(model, __random__=self.random, __faker__=self.faker),
            )
            self._factories[model] = factory
        return factory

    async def _column_values(
        self, mapper: Mapper[Any], overrides: dict[str, Any]
    ) -> dict[str, Any]:
        """Values `TestDataFactory` chooses itself: parents for required foreign keys,
        enum members, timezone-correct datetimes, readable e-mail addresses."""
        values: dict[str, Any] = {}
        covered = _columns_covered_by(mapper, overrides)
        for prop in mapper.column_attrs:
            key = prop.key
            if key in overrides or len(prop.columns) != 1:
                continue
            column = prop.columns[0]
            if not isinstance(column, Column) or column in covered:
                continue
            if column.foreign_keys:
                if column.nullable or _has_default(column):
                    continue
                values[key] = await self._parent_key(mapper, column)
                continue
            if _has_default(column) or _is_generated_key(column):
                continue
            value = self._value_for(column)
            if value is not None:
                values[key] = value
        return values

    def _value_for(self, column: Column[Any]) -> Any:
        type_ = _base_type(column.type)
        if isinstance(type_, Enum):
            choices: list[Any] = (
                list(type_.enum_class) if type_.enum_class is not None else list(type_.enums)
            )
            return self.random.choice(choices) if choices else None
        if column.name == "email" or column.name.endswith("_email"):
            return f"user-{self.random.getrandbits(48):012x}@example.com"
        python_type = _python_type(type_)
        if python_type is datetime:
            aware = bool(getattr(type_, "timezone", False))
            # A fixed range, not one ending "now": a seed gives the same moment at any time.
            moment = self.faker.date_time_between(*_MOMENTS, tzinfo=UTC)
            return moment if aware else moment.replace(tzinfo=None)
        return None  # polyfactory chooses

    async def _parent_key(self, mapper: Mapper[Any], column: Column[Any]) -> Any:
        """Create the row a required foreign key points at; return the referenced value."""
        foreign_key = next(iter(column.foreign_keys))
        referenced = foreign_key.column
        parent_model = self._class_for_table(mapper, referenced.table.name)
        if parent_model is None:
            raise LookupError(
                f"{mapper.class_.__name__}.{column.key} references {referenced.table.name}, "
                "which no mapped class maps: pass the key as an override"
            )
        parent = await self.create(parent_model)
        parent_mapper = _mapper(parent_model)
        return getattr(parent, parent_mapper.get_property_by_column(referenced).key)

    def _class_for_table(self, mapper: Mapper[Any], table: str) -> type[Any] | None:
        for candidate in mapper.registry.mappers:
            if getattr(candidate.local_table, "name", None) == table:
                return candidate.class_
        if self.catalog is not None:
            return self.catalog.by_table().get(table)
        return None

    # -- helpers for users, projects and predicate devices ---------------------------------

    def _model(self, class_name: str, *tables: str) -> type[Any]:
        if self.catalog is None:
            raise LookupError(
                f"TestDataFactory has no models to find {class_name} in: pass the declarative "
                "base (TestDataFactory(session, Base)) or set [tool.remediation] metadata"
            )
        return self.catalog.require(class_name, *tables)

    def _token(self) -> str:
        return f"{self.random.getrandbits(32):08x}"

    async def create_user(self, **kwargs: Any) -> Any:
        """A user with readable defaults (email, name); `kwargs` override anything."""
        model = self._model("User", "users", "user")
        token = self._token()
        defaults = {
            "email": f"test_{token}@example.com",
            "name": "Test User",
            "full_name": "Test User",
            "google_id": f"test_user_{token}",
        }
        return await self.create(model, **_applicable(model, defaults, kwargs))

    async def create_project(self, user_id: Any = None, **kwargs: Any) -> Any:
        """A project owned by `user_id` (a new user when None)."""
        model = self._model("Project", "projects", "project")
        defaults: dict[str, Any] = {
            "name": f"Test Project {self._token()}",
            "description": "Test project description",
            "device_type": "Test Device",
            "intended_use": "Test intended use",
        }
        status = _enum_member(model, "status", "DRAFT")
        if status is not None:
            defaults["status"] = status
        if user_id is not None:
            owner_key = _foreign_key_to(model, self._model("User", "users", "user"))
            if owner_key is not None and owner_key not in kwargs:
                kwargs[owner_key] = user_id
        return await self.create(model, **_applicable(model, defaults, kwargs))

    async def create_predicate_device(self, project_id: Any = None, **kwargs: Any) -> Any:
        """A predicate device of `project_id` (a new project when None)."""
        model = self._model("PredicateDevice", "predicate_devices", "predicate_device")
        today = datetime.now(UTC).date()
        defaults: dict[str, Any] = {
            "k_number": f"K{self.random.randrange(16**6):06X}",
            "device_name": "Test Predicate Device",
            "intended_use": "Test predicate intended use",
            "product_code": "ABC",
            "clearance_date": today,
            "decision_date": today,
            "confidence_score": 0.85,
        }
        if project_id is not None:
            project_key = _foreign_key_to(model, self._model("Project", "projects", "project"))
            if project_key is not None and project_key not in kwargs:
                kwargs[project_key] = project_id
        return await self.create(model, **_applicable(model, defaults, kwargs))

    # -- cleanup ---------------------------------------------------------------------------

    async def cleanup_all(self) -> None:
        """Delete every row this factory created (newest first) and commit.

        Inside an isolated session the commit only releases a savepoint and the rollback
        after the test discards everything anyway; on a plain session it makes the deletes
        durable. Rows already gone (deleted by the test or a cascade) are skipped. Raises
        `CleanupError` naming the rows that could not be deleted.
        """
        if not self.created:
            return
        if self.session.in_transaction() and not self.session.is_active:
            await self.session.rollback()  # a failed flush left the session unusable
        failures: dict[str, Exception] = {}
        for entity in reversed(self.created):
            mapper = _mapper(entity.model)
            keys = mapper.primary_key
            if not entity.identity or len(keys) != len(entity.identity):
                continue
            condition = (
                keys[0] == entity.identity[0]
                if len(keys) == 1
                else tuple_(*keys) == tuple_(*entity.identity)
            )
            try:
                async with self.session.begin_nested():
                    await self.session.execute(
                        delete(cast(Table, mapper.local_table)).where(condition)
                    )
            except SQLAlchemyError as exc:
                failures[f"{entity.table} {entity.identity}"] = exc
            if entity.instance in self.session:
                self.session.expunge(entity.instance)
        await self.session.commit()
        self.created.clear()
        if failures:
            raise CleanupError("TestDataFactory.cleanup_all", dict(failures))


def _mapper(model: type[Any]) -> Mapper[Any]:
    mapper = inspect(model, raiseerr=False)
    if not isinstance(mapper, Mapper):
        raise TypeError(f"{model!r} is not a mapped SQLAlchemy class")
    return mapper


def _python_type(type_: TypeEngine[Any]) -> type[Any] | None:
    try:
        return type_.python_type
    except NotImplementedError:
        return None


def _columns_covered_by(mapper: Mapper[Any], overrides: dict[str, Any]) -> set[Column[Any]]:
    """Foreign-key columns an overridden relationship (e.g. `owner=user`) already sets."""
    covered: set[Column[Any]] = set()
    for relationship in mapper.relationships:
        if (
            relationship.key in overrides
            and relationship.direction is RelationshipDirection.MANYTOONE
        ):
            covered.update(c for c in relationship.local_columns if isinstance(c, Column))
    return covered


def _attribute_names(model: type[Any]) -> set[str]:
    return {prop.key for prop in _mapper(model).attrs}


def _applicable(
    model: type[Any], defaults: dict[str, Any], overrides: dict[str, Any]
) -> dict[str, Any]:
    """The helper's defaults that the model has, then the caller's overrides."""
    names = _attribute_names(model)
    chosen = {key: value for key, value in defaults.items() if key in names}
    _trim_to_length(model, chosen)
    return {**chosen, **overrides}


def _trim_to_length(model: type[Any], values: dict[str, Any]) -> None:
    mapper = _mapper(model)
    for key, value in list(values.items()):
        prop = mapper.attrs.get(key)
        if isinstance(prop, ColumnProperty) and type(value) is str:
            length = getattr(_base_type(prop.columns[0].type), "length", None)
            if isinstance(length, int):
                values[key] = value[:length]


def _enum_member(model: type[Any], key: str, name: str) -> Any:
    prop = _mapper(model).attrs.get(key)
    if not isinstance(prop, ColumnProperty):
        return None
    type_ = _base_type(prop.columns[0].type)
    if not isinstance(type_, Enum):
        return None
    if type_.enum_class is not None:
        members: dict[str, PyEnum] = {m.name: m for m in type_.enum_class}
        return members.get(name)
    return name if name in type_.enums else None


def _foreign_key_to(model: type[Any], parent: type[Any]) -> str | None:
    """The attribute of `model` holding a foreign key to `parent`'s table."""
    mapper = _mapper(model)
    parent_table = _mapper(parent).local_table
    for prop in mapper.column_attrs:
        for column in prop.columns:
            if isinstance(column, Column) and any(
                fk.column.table is parent_table for fk in column.foreign_keys
            ):
                return prop.key
    return None


__all__ = ["SEED_ENV", "CreatedEntity", "TestDataFactory", "derive_seed"]
