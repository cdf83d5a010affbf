"""Settings from files: `[tool.autoinvoke]` in pyproject.toml, `.autoinvoke.toml`, and samconfig.toml.

Keys: region, account, parameters (a table), ignore, mode, format, and as the account's
CloudFormation Hook takes them: require_transform (true/false) and fail_on (codes, severities).

Precedence, weakest first (the README's "Configuration" section):
the built-in defaults, the AWS environment variables, pyproject.toml's
`[tool.autoinvoke]`, `.autoinvoke.toml`, then the command line. Template
parameters: the template's Defaults, then the project file's `parameters`, then
samconfig.toml's `parameter_overrides` (`--config-file`), then
`--parameter-overrides`, then `--parameter`.

The project files are looked for in the current directory and its parents; the
first directory that has either one wins (both are read when it has both).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence

from ..records import EMPTY_MAPPING, Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PROJECT_FILE = ".autoinvoke.toml"
PYPROJECT = "pyproject.toml"
SETTINGS = ("region", "account", "parameters", "ignore", "mode", "format", "require_transform", "fail_on")

# samconfig.toml: `sam deploy` reads [<env>.deploy.parameters] over [<env>.global.parameters].
SAMCONFIG_DEFAULT_ENV = "default"
SAMCONFIG_COMMAND = "deploy"
SAMCONFIG_GLOBAL = "global"

# The SAM CLI's two string forms of parameter overrides (samcli/cli/types.py, CfnParameterOverridesType):
# `ParameterKey=K,ParameterValue=V ...` and `K=V K2=V2`; values may be quoted, `\ ` escapes a space.
_KEY = r"""([A-Za-z0-9"']+)"""
_VALUE = r"""("(?:\\.|[^"\\]+)*"|'(?:\\.|[^'\\]+)*'|(?:\\.|[^ "\\]+)+)"""
# Compiled when first used (re caches them): most runs give no override.
_LONG_FORM = rf"(?:ParameterKey={_KEY},ParameterValue={_VALUE})"
_SHORT_FORM = rf"(?:(?: ){_KEY}={_VALUE})"


class ConfigError(Exception):
    """A configuration file or an override cannot be read. One line, naming the file or the value."""


class ProjectSettings(Record):
    """What a project file says; None (or empty) where it says nothing."""

    source: str | None = None  # the file(s) read, for messages
    region: str | None = None
    account: str | None = None
    parameters: Mapping[str, str] = EMPTY_MAPPING
    ignore: tuple[str, ...] = ()
    mode: str | None = None
    format: str | None = None
    require_transform: bool | None = None  # `check` fails as the account's hook would (RequireTransform)
    fail_on: tuple[str, ...] = ()  # the hook's FailOn: codes and severities


def find_project_settings(start: str | os.PathLike[str]) -> ProjectSettings:
    """The settings of the nearest directory (start, then its parents) with a project file."""
    for directory in _directories(os.fspath(start)):
        pyproject, own = os.path.join(directory, PYPROJECT), os.path.join(directory, PROJECT_FILE)
        table = _tool_table(pyproject) if os.path.isfile(pyproject) else None
        mine = _read_toml(own) if os.path.isfile(own) else None
        if table is None and mine is None:
            continue
        merged = {**(table or {}), **(mine or {})}
        if isinstance((table or {}).get("parameters"), Mapping) and isinstance(
            (mine or {}).get("parameters"), Mapping
        ):
            merged["parameters"] = {
                **(table or {})["parameters"],
                **(mine or {})["parameters"],
            }  # name by name
        sources = [p for p, t in ((pyproject, table), (own, mine)) if t is not None]
        return _settings(merged, " and ".join(sources))
    return ProjectSettings()


def _directories(start: str) -> Iterator[str]:
    """`start`, then its parents up to the root (os.path rather than pathlib, slow to import)."""
    directory = start
    while True:
        yield directory
        parent = os.path.dirname(directory) or os.curdir
        if parent == directory:
            return
        directory = parent


def _tool_table(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            if "autoinvoke" not in handle.read():
                return None  # most pyproject.toml files say nothing to us: no need to parse them
    except OSError as err:
        raise ConfigError(f"{path}: cannot read it: {err.strerror or err}") from err
    tool = _read_toml(path).get("tool")
    table = tool.get("autoinvoke") if isinstance(tool, Mapping) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.autoinvoke] must be a table")
    return table


def _read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    import tomllib  # only when there is a file to read

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from err
    except OSError as err:
        raise ConfigError(f"{path}: cannot read it: {err.strerror or err}") from err


def _settings(table: Mapping[str, Any], source: str) -> ProjectSettings:
    unknown = sorted(set(table) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"{source}: unknown setting {', '.join(unknown)} (known: {', '.join(SETTINGS)})")
    for key in ("region", "account", "mode", "format"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{source}: {key} must be a string")
    parameters = table.get("parameters", {})
    if not isinstance(parameters, Mapping):
        raise ConfigError(f"{source}: parameters must be a table of NAME = VALUE")
    ignore = _string_list(table, "ignore", source, "finding codes")
    fail_on = _string_list(table, "fail_on", source, "finding codes or severities")
    require_transform = table.get("require_transform")
    if require_transform is not None and not isinstance(require_transform, bool):
        raise ConfigError(f"{source}: require_transform must be true or false")
    return ProjectSettings(
        source=source,
        region=table.get("region"),
        account=table.get("account"),
        parameters={str(k): _parameter_text(v) for k, v in parameters.items()},
        ignore=ignore,
        mode=table.get("mode"),
        format=table.get("format"),
        require_transform=require_transform,
        fail_on=fail_on,
    )


def _string_list(table: Mapping[str, Any], key: str, source: str, what: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
        raise ConfigError(f"{source}: {key} must be a list of {what}")
    return tuple(value)


def _parameter_text(value: Any) -> str:
    # As the SAM CLI flattens TOML values: lists joined with commas, booleans and numbers as text.
    if isinstance(value, list):
        return ",".join(str(v).strip() for v in value if v not in (None, ""))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_parameter_overrides(values: Sequence[Any], source: str) -> dict[str, str]:
    """`--parameter-overrides` / samconfig `parameter_overrides` as `sam deploy` reads them.

    Strings in either SAM CLI form, mappings of NAME to value, and lists of those.
    """
    out: dict[str, str] = {}
    for value in _flatten(values):
        if isinstance(value, str):
            out.update(_override_string(value, source))
        elif isinstance(value, Mapping):
            out.update({str(k): "" if v is None else _parameter_text(v) for k, v in value.items()})
        elif value is not None:
            raise ConfigError(f"{source}: {value!r} is not a parameter override")
    return {_unquote(k): _unquote(v) for k, v in out.items()}


def _flatten(values: Sequence[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple):
            flat.extend(_flatten(value))
        else:
            flat.append(value)
    return flat


def _override_string(value: str, source: str) -> dict[str, str]:
    if value.startswith("file://"):
        raise ConfigError(f"{source}: {value}: file:// parameter files are not supported; give NAME=VALUE")
    normalized = " " + value.strip()
    for pattern in (_LONG_FORM, _SHORT_FORM):
        found = re.findall(pattern, normalized)
        if found:
            return dict(found)
    raise ConfigError(
        f"{source}: {value!r} is not a parameter override "
        "(NAME=VALUE NAME2=VALUE2, or ParameterKey=NAME,ParameterValue=VALUE)"
    )


def _unquote(value: str) -> str:
    """The SAM CLI's `_unquote_wrapped_quotes`: wrapping quotes removed, `\\ `, `\\"`, `\\'` unescaped."""
    if value and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value.replace("\\ ", " ").replace('\\"', '"').replace("\\'", "'")


def samconfig_overrides(path: str | os.PathLike[str], env: str | None) -> dict[str, str]:
    """`parameter_overrides` of samconfig.toml for `sam deploy` in `env` (default: "default")."""
    document = _read_toml(path)
    env = env or SAMCONFIG_DEFAULT_ENV
    section = document.get(env)
    if not isinstance(section, Mapping):
        known = ", ".join(k for k, v in document.items() if isinstance(v, Mapping)) or "none"
        raise ConfigError(f"{path}: no environment [{env}] (environments: {known})")
    params: dict[str, Any] = {}
    for command in (SAMCONFIG_GLOBAL, SAMCONFIG_COMMAND):  # the command's own table wins
        table = section.get(command)
        parameters = table.get("parameters") if isinstance(table, Mapping) else None
        if isinstance(parameters, Mapping):
            params.update(parameters)
    if "parameter_overrides" not in params:
        return {}
    return parse_parameter_overrides([params["parameter_overrides"]], f"{path} [{env}]")
