"""Plain-language reports of pydantic validation errors in settings files (TOML configs, scenarios).

Every problem names the key (dotted path), the value found and what was
expected, in one line, so an installer or a lab tester can fix a file
without reading a traceback.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

_PYDANTIC_PREFIXES = ("Value error, ", "Input should be ", "Input should ")


def describe(value: Any) -> str:  # noqa: ANN401 - any value of a settings file can be wrong
    """A short rendering of a bad value with its type, e.g. ``'abc' (str)``."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the section of ``model`` at ``loc``, for 'unknown key' messages."""
    current: Any = model
    for part in loc:
        field = current.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            break
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            break
        current = nested[0]
    return sorted(current.model_fields)


def problem(error: Any, model: type[BaseModel]) -> str:  # noqa: ANN401 - pydantic's ErrorDetails
    """One line for one pydantic error: key, value and what was expected."""
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "missing":
        return f"{key}: missing; expected a value (this key is required)"
    if kind == "extra_forbidden":
        allowed = ", ".join(allowed_keys(model, error["loc"][:-1]))
        return f"{key} = {describe(error['input'])}: unknown key; expected one of: {allowed}"
    message = str(error["msg"])
    for prefix in _PYDANTIC_PREFIXES:
        if message.startswith(prefix):
            message = message[len(prefix) :]
            break
    if message.startswith("String should "):
        message = "a string to " + message[len("String should ") :]
    shown = error["input"]
    if isinstance(shown, dict):
        return f"{key}: {message}"
    return f"{key} = {describe(shown)}: expected {message}"


def problems(exc: ValidationError, model: type[BaseModel]) -> list[str]:
    """Every problem of a failed validation of ``model``, one line each."""
    return [problem(e, model) for e in exc.errors()]
