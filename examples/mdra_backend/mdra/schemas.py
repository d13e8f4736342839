"""Pydantic request and response models of the HTTP API."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from mdra.models import ProjectStatus
from mdra.services.openfda import PredicateRecord

_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
K_NUMBER_PATTERN = r"^(K|DEN)\d{6}$"
PRODUCT_CODE_PATTERN = r"^[A-Z]{3}$"


def _check_email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 320 or not _EMAIL_RE.fullmatch(value):
        raise ValueError("not a valid email address")
    return value


Email = Annotated[str, AfterValidator(_check_email)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


# Normalised before the pattern is checked, so "k213456" is accepted as "K213456".
KNumber = Annotated[str, StringConstraints(pattern=K_NUMBER_PATTERN), BeforeValidator(_upper)]
ProductCode = Annotated[
    str, StringConstraints(pattern=PRODUCT_CODE_PATTERN), BeforeValidator(_upper)
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth -------------------------------------------------------------------------------------


class UserCreate(_Request):
    email: Email
    password: str = Field(min_length=8, max_length=128)
    full_name: Name


class LoginRequest(_Request):
    email: Email
    password: str = Field(min_length=1, max_length=128)


class UserRead(_Response):
    id: int
    email: str
    full_name: str
    is_active: bool
    is_admin: bool
    created_at: datetime


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int = Field(description="lifetime of the token in seconds")


# --- projects ---------------------------------------------------------------------------------


class ProjectCreate(_Request):
    name: Name
    description: str | None = Field(default=None, max_length=5000)
    device_type: str | None = Field(default=None, max_length=200)
    intended_use: str | None = Field(default=None, max_length=5000)


class ProjectUpdate(_Request):
    """Partial update; ``status`` is not here: it changes only through the transition endpoint."""

    name: Name | None = None
    description: str | None = Field(default=None, max_length=5000)
    device_type: str | None = Field(default=None, max_length=200)
    intended_use: str | None = Field(default=None, max_length=5000)


class StatusChange(_Request):
    status: ProjectStatus


class PredicateCreate(_Request):
    k_number: KNumber
    device_name: str = Field(min_length=1, max_length=500)
    product_code: ProductCode
    decision_date: date | None = None
    applicant: str | None = Field(default=None, max_length=300)


class PredicateRead(_Response):
    id: int
    project_id: int
    k_number: str
    device_name: str
    product_code: str
    decision_date: date | None
    applicant: str | None
    created_at: datetime


class ProjectRead(_Response):
    id: int
    name: str
    description: str | None
    device_type: str | None
    intended_use: str | None
    status: ProjectStatus
    owner_id: int
    created_at: datetime
    updated_at: datetime
    predicates: list[PredicateRead] = Field(default_factory=list)


# --- predicate search -------------------------------------------------------------------------


class PredicateSearchResponse(BaseModel):
    total: int
    skip: int
    limit: int
    results: list[PredicateRecord]


# --- misc -------------------------------------------------------------------------------------


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "error"]
    version: str


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail
