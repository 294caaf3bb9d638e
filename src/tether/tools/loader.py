"""Loading the user's models for the ``tether`` command: TARGET -> declarative bases and MetaData.

A TARGET is a module path (``shop.models``), a file path (``app/models.py``), or either
followed by ``:Name`` to pick one declarative Base or MetaData out of the module. Without a
name every declarative Base and MetaData the module holds is used (a Base's MetaData once).

Failures are :class:`LoadError` with one readable line; the original exception is kept as
``__cause__`` so ``--debug`` can show its traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from tether.sql.schema import MetaData, Table

__all__ = ["LoadError", "Models", "load", "models_of"]


class LoadError(Exception):
    """The TARGET could not be imported, or it holds no models. The text is one line."""


@dataclass
class Models:
    """What a TARGET holds: declarative registries (with their mappers) and MetaData."""

    target: str
    registries: list[Any] = field(default_factory=list)
    metadatas: list[MetaData] = field(default_factory=list)
    module: ModuleType | None = None
    #: Warnings raised while the models were imported (``tether check`` reports them).
    warnings: list[warnings.WarningMessage] = field(default_factory=list)

    @property
    def mappers(self) -> list[Any]:
        out: list[Any] = []
        for reg in self.registries:
            out.extend(reg.mappers)
        return out

    @property
    def tables(self) -> list[Table]:
        seen: dict[int, Table] = {}
        for md in self.metadatas:
            for t in md.tables.values():
                seen.setdefault(id(t), t)
        return list(seen.values())

    def metadata(self) -> MetaData:
        """The single MetaData to diff or draw (a new one merging several when needed)."""
        if len(self.metadatas) == 1:
            return self.metadatas[0]
        merged = MetaData()
        for md in self.metadatas:
            for t in md.tables.values():
                merged.tables.setdefault(t.key, t)
        return merged


def _registry_class() -> type | None:
    try:
        from tether.orm.decl_base import registry
    except ImportError:  # pragma: no cover - the ORM is part of tether
        return None
    return registry


def models_of(obj: Any, target: str = "<object>") -> Models:
    """Models for a declarative Base, a registry or a MetaData given directly."""
    found = Models(target)
    _add(found, obj)
    if not found.metadatas:
        raise LoadError(f"{target}: {obj!r} is not a declarative Base, registry or MetaData")
    return found


def _add(found: Models, obj: Any) -> bool:
    reg_cls = _registry_class()
    reg: Any = obj if reg_cls is not None and isinstance(obj, reg_cls) else None
    if reg is None and isinstance(obj, type):
        candidate = getattr(obj, "registry", None)
        if reg_cls is not None and isinstance(candidate, reg_cls):
            reg = candidate
    if reg is not None:
        if all(r is not reg for r in found.registries):
            found.registries.append(reg)
        if all(m is not reg.metadata for m in found.metadatas):
            found.metadatas.append(reg.metadata)
        return True
    if isinstance(obj, MetaData):
        if all(m is not obj for m in found.metadatas):
            found.metadatas.append(obj)
        return True
    return False


def _where(error: BaseException) -> str:
    """`` (file:line)`` of the innermost frame of the user's code in the traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    tether_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(tether_dir)
            and "importlib" not in f.filename]
    if isinstance(error, SyntaxError) and error.filename:
        return f" ({error.filename}:{error.lineno})"
    if user:
        return f" ({user[-1].filename}:{user[-1].lineno})"
    return ""


def _import(spec: str) -> ModuleType:
    looks_like_file = spec.endswith(".py") or os.sep in spec or "/" in spec
    if looks_like_file:
        path = os.path.abspath(spec)
        if os.path.isdir(path):
            init = os.path.join(path, "__init__.py")
            if not os.path.exists(init):
                raise LoadError(f"{spec}: is a directory without __init__.py; name the models "
                                f"file, e.g. {os.path.join(spec, 'models.py')}")
            path = init
        if not os.path.exists(path):
            raise LoadError(f"{spec}: no such file")
        packaged = _import_in_package(spec, path)
        if packaged is not None:
            return packaged
        directory = os.path.dirname(path)
        # Let the models file import its neighbours, as it would when run as a script.
        if directory not in sys.path:
            sys.path.insert(0, directory)
        name = "_tether_models_" + os.path.splitext(os.path.basename(path))[0]
        name += f"_{abs(hash(path)) & 0xFFFFFF:x}"
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None or module_spec.loader is None:
            raise LoadError(f"{spec}: not a Python file")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        try:
            module_spec.loader.exec_module(module)
        except Exception as error:
            sys.modules.pop(name, None)
            raise LoadError(f"cannot import {spec}: {type(error).__name__}: "
                            f"{_one_line(error)}{_where(error)}") from error
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as error:
        if error.name and spec.startswith(error.name):
            raise LoadError(f"cannot import {spec}: no module named {error.name!r} (run "
                            f"from the project's directory, or give a file path such as "
                            f"{spec.replace('.', '/')}.py)") from error
        raise LoadError(f"cannot import {spec}: ModuleNotFoundError: {_one_line(error)}"
                        f"{_where(error)}") from error
    except Exception as error:
        raise LoadError(f"cannot import {spec}: {type(error).__name__}: {_one_line(error)}"
                        f"{_where(error)}") from error


def _import_in_package(spec: str, path: str) -> ModuleType | None:
    """Import a file that sits inside a package under its dotted name, so that its relative
    imports (``from .base import Base``) work; None when it is not in a package, or when
    that name leads to another file (the plain file import is used then)."""
    parts = [os.path.splitext(os.path.basename(path))[0]]
    if parts[0] == "__init__":
        parts = []
    directory = os.path.dirname(path)
    while os.path.exists(os.path.join(directory, "__init__.py")):
        parts.insert(0, os.path.basename(directory))
        directory = os.path.dirname(directory)
    if len(parts) < 2 or not all(p.isidentifier() for p in parts):
        return None
    dotted = ".".join(parts)
    existing = sys.modules.get(dotted)
    if existing is not None and os.path.abspath(getattr(existing, "__file__", "") or "") != path:
        return None
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as error:
        if error.name and dotted.startswith(error.name):
            return None  # the package name is taken by something else on sys.path
        raise LoadError(f"cannot import {spec}: ModuleNotFoundError: {_one_line(error)}"
                        f"{_where(error)}") from error
    except Exception as error:
        raise LoadError(f"cannot import {spec}: {type(error).__name__}: {_one_line(error)}"
                        f"{_where(error)}") from error
    if os.path.abspath(getattr(module, "__file__", "") or "") != path:
        return None
    return module


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def load(target: str) -> Models:
    """Import TARGET and collect its declarative Bases and MetaData.

    Raises :class:`LoadError` (one line) when the import fails, the ``:Name`` is missing,
    or the module holds no models.
    """
    spec, _, attr = target.partition(":")
    if len(spec) == 1 and attr[:1] in ("\\", "/"):  # a Windows drive letter, not ":Name"
        spec, attr = target, ""
    if not spec:
        raise LoadError(f"{target!r}: give a module path, a file path, or module:Base")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = _import(spec)
    found = Models(target, module=module)
    found.warnings = [w for w in caught
                      if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                                     ImportWarning))]
    if attr:
        obj: Any = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                names = sorted(n for n, v in vars(module).items() if _is_model_holder(v))
                hint = f"; it has {', '.join(names)}" if names else ""
                raise LoadError(f"{spec} has no attribute {attr!r}{hint}")
            obj = getattr(obj, part)
        if not _add(found, obj):
            raise LoadError(f"{target}: {attr} is not a declarative Base, registry or MetaData")
    else:
        for value in list(vars(module).values()):
            if _is_model_holder(value):
                _add(found, value)
    if not found.tables:
        raise LoadError(f"no models found in {spec}: it defines no declarative Base with "
                        f"mapped classes and no MetaData with tables")
    return found


def _is_model_holder(value: Any) -> bool:
    if isinstance(value, MetaData):
        return True
    reg_cls = _registry_class()
    if reg_cls is None:
        return False
    if isinstance(value, reg_cls):
        return True
    return isinstance(value, type) and isinstance(getattr(value, "registry", None), reg_cls)


def configure(models: Models) -> None:
    """Configure the mappers of ``models`` only; raises what ``configure_mappers()`` raises.

    ``tether.orm.configure_mappers()`` configures every registry in the process, so one
    broken model loaded earlier (another test, another TARGET) would be reported against
    this one. Until the ORM offers a per-registry configure, the registry set it walks is
    narrowed to ours for the call.
    """
    if not models.registries:
        return
    from tether.orm import configure_mappers
    from tether.orm import mapper as mapper_module

    saved = getattr(mapper_module, "_registries", None)
    if saved is None or not hasattr(mapper_module, "_new_mappers"):
        configure_mappers()
        return
    with mapper_module._configure_lock:
        mapper_module._registries = type(saved)(models.registries)
        mapper_module._new_mappers = True
        try:
            configure_mappers()
        finally:
            mapper_module._registries = saved
            mapper_module._new_mappers = any(
                not m.configured for reg in list(saved) for m in reg.mappers)
