"""What each service reads from its environment, derived from its `Settings` class.

The manifests are checked against this, not against a list kept by hand: when a service adds a
setting, the checks say what the manifests must now provide.
"""

from __future__ import annotations

import importlib
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from tests.k8s.manifests import ROOT


@dataclass(frozen=True)
class EnvSetting:
    """One environment variable a service reads."""

    env: str
    field: str
    required: bool
    secret: bool
    default: Any


def service_names() -> list[str]:
    """Every service: a package under services/ with a config.py and a __main__.py."""
    return sorted(
        p.name
        for p in (ROOT / "services").iterdir()
        if (p / "config.py").exists() and (p / "__main__.py").exists()
    )


def settings_class(service: str) -> type[BaseSettings]:
    cls: type[BaseSettings] = importlib.import_module(f"services.{service}.config").Settings
    return cls


def _is_secret(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_is_secret(arg) for arg in typing.get_args(annotation))


def _model(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _names(name: str, info: FieldInfo, prefix: str) -> list[str]:
    alias = info.validation_alias
    if isinstance(alias, str):
        return [alias.upper()]
    if isinstance(alias, AliasChoices):
        return [c.upper() for c in alias.choices if isinstance(c, str)]
    if info.alias:
        return [info.alias.upper()]
    return [f"{prefix}{name}".upper()]


def env_settings(cls: type[BaseSettings]) -> list[EnvSetting]:
    """Every variable `cls` reads, with nested models flattened by `env_nested_delimiter`."""
    prefix = cls.model_config.get("env_prefix", "")
    delimiter = cls.model_config.get("env_nested_delimiter")
    return _flatten(cls, prefix=prefix, delimiter=delimiter, path="")


def _flatten(cls: type[BaseModel], *, prefix: str, delimiter: str | None, path: str) -> list[EnvSetting]:
    found = []
    for name, info in cls.model_fields.items():
        names = _names(name, info, prefix)
        nested = _model(info.annotation)
        if nested is not None and delimiter:
            found += _flatten(nested, prefix=names[0] + delimiter, delimiter=delimiter, path=f"{path}{name}.")
            continue
        found.append(
            EnvSetting(
                env=names[0],
                field=f"{path}{name}",
                required=info.is_required(),
                secret=_is_secret(info.annotation),
                default=None if info.is_required() else info.get_default(call_default_factory=True),
            )
        )
    return found
