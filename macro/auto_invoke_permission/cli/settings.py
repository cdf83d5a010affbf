"""One run's settings: the command line over the project files over the environment.

`TemplateArguments.of(args)` is the typed form of the shared arguments (templates, place,
parameters, config); `resolve_settings` merges it with the project files and the environment
(the precedence is cli/config.py's). Commands build these at their top and pass them down,
never the argparse Namespace.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence

from ..api import Gate, Place
from ..findings import FindingCode
from ..model import DEFAULT_ACCOUNT_ID, DEFAULT_REGION
from ..options import Mode
from ..records import EMPTY_MAPPING, Record
from .common import Streams, UsageError
from .config import ConfigError, ProjectSettings, find_project_settings, parse_parameter_overrides

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULT_SAMCONFIG = "samconfig.toml"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


class TemplateArguments(Record):
    """The shared arguments of a template-reading command, read once from the command line."""

    templates: tuple[str, ...]
    region: str | None = None
    account_id: str | None = None
    parameter: tuple[str, ...] = ()  # --parameter KEY=VALUE
    parameter_overrides: tuple[str, ...] = ()  # --parameter-overrides, the SAM CLI's forms
    config_file: str | None = None
    config_env: str | None = None
    mode: str | None = None
    ignore: tuple[str, ...] = ()
    quiet: bool = False

    @classmethod
    def of(cls, args: argparse.Namespace) -> TemplateArguments:
        """The arguments as given. `--parameter-overrides` takes several values: those without `=`
        are the templates that followed it, not overrides."""
        overrides = tuple(getattr(args, "parameter_overrides", None) or ())
        return cls(
            templates=(
                *args.templates,
                *getattr(args, "template_files", ()),
                *(a for a in overrides if "=" not in a),
            ),
            region=args.region,
            account_id=args.account_id,
            parameter=tuple(getattr(args, "parameter", ())),
            parameter_overrides=tuple(a for a in overrides if "=" in a),
            config_file=getattr(args, "config_file", None),
            config_env=getattr(args, "config_env", None),
            mode=getattr(args, "mode", None),
            ignore=tuple(getattr(args, "ignore", None) or ()),
            quiet=bool(getattr(args, "quiet", False)),
        )


class Settings(Record):
    """One run's settings, from the command line over the project files over the environment."""

    place: Place
    overrides: Mapping[str, str] = EMPTY_MAPPING  # template parameter values given
    given: frozenset[str] = frozenset()  # the parameters named on the command line itself
    ignore: frozenset[FindingCode] = frozenset()  # --ignore and the project file's: Options.ignore_external
    mode: str | None = None
    format: str | None = None
    gate: Gate = Gate()  # the project file's require_transform and fail_on


def resolve_place(
    region: str | None,
    account_id: str | None,
    environ: Mapping[str, str],
    streams: Streams,
    project: ProjectSettings | None = None,
) -> Place:
    """--region / --account-id, else the project file, else the environment, else the defaults (said once)."""
    project = project or ProjectSettings()
    region = region or project.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    account = account_id or project.account or environ.get("AWS_ACCOUNT_ID")
    defaulted = []
    if not region:
        region = DEFAULT_REGION
        defaulted.append(f"region {DEFAULT_REGION} (set --region or AWS_REGION)")
    if not account:
        account = DEFAULT_ACCOUNT_ID
        defaulted.append(f"account {DEFAULT_ACCOUNT_ID} (set --account-id or AWS_ACCOUNT_ID)")
    if not _REGION.match(region):
        raise UsageError(f"{region!r} is not an AWS region name (like us-east-1)")
    if not _ACCOUNT_ID.match(account):
        raise UsageError(f"{account!r} is not an AWS account ID (12 digits)")
    if defaulted:
        streams.note("using the default " + " and ".join(defaulted))
    return Place(region, account)


def parse_parameter_arguments(items: Sequence[str]) -> dict[str, str]:
    """`--parameter KEY=VALUE`, each one pair (the value may hold `=` and spaces)."""
    overrides: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--parameter {item!r} is not KEY=VALUE")
        overrides[key] = value
    return overrides


def resolve_settings(
    arguments: TemplateArguments, streams: Streams, cwd: str | os.PathLike[str] | None = None
) -> Settings:
    """Every source of settings merged, weakest first (cli/config.py's precedence)."""
    try:
        project = find_project_settings(cwd or os.getcwd())
        overrides = dict(project.parameters)
        given = _given_overrides(arguments)
        overrides.update(_samconfig_overrides(arguments))
        overrides.update(given)
        gate = _project_gate(project)
    except ConfigError as err:
        raise UsageError(str(err)) from err
    return Settings(
        place=resolve_place(arguments.region, arguments.account_id, os.environ, streams, project),
        overrides=overrides,
        given=frozenset(given),
        ignore=_ignored(project, arguments.ignore),
        mode=_mode(project, arguments.mode),
        format=project.format,
        gate=gate,
    )


def _given_overrides(arguments: TemplateArguments) -> dict[str, str]:
    """--parameter-overrides, then --parameter over them."""
    given: dict[str, str] = {}
    if arguments.parameter_overrides:
        given.update(parse_parameter_overrides(list(arguments.parameter_overrides), "--parameter-overrides"))
    given.update(parse_parameter_arguments(arguments.parameter))
    return given


def _samconfig_overrides(arguments: TemplateArguments) -> dict[str, str]:
    config_file = arguments.config_file or (DEFAULT_SAMCONFIG if arguments.config_env else None)
    if config_file is None:
        return {}
    if not os.path.isfile(config_file):
        raise UsageError(f"--config-file {config_file}: no such file")
    from pathlib import Path  # as samconfig's messages have always named the file

    from .config import samconfig_overrides

    return samconfig_overrides(Path(config_file), arguments.config_env)


def _ignored(project: ProjectSettings, given: Sequence[str]) -> frozenset[FindingCode]:
    from ..options import OptionError, parse_codes

    try:
        return parse_codes(list(project.ignore), f"{project.source}: ignore") | parse_codes(
            list(given), "--ignore"
        )
    except OptionError as err:
        raise UsageError(str(err)) from err


def _mode(project: ProjectSettings, given: str | None) -> str | None:
    mode = given or project.mode
    if mode is not None and mode not in {m.value for m in Mode}:
        raise UsageError(f"{project.source}: mode {mode!r} is not one of {', '.join(m.value for m in Mode)}")
    return mode


def _project_gate(project: ProjectSettings) -> Gate:
    return Gate(
        require_transform=bool(project.require_transform),
        fail_on=parse_fail_on_values(project.fail_on, f"{project.source}: fail_on"),
    )


def parse_fail_on_values(values: Sequence[str], source: str) -> frozenset[str]:
    """Codes and severities as the hook reads FailOn (its own parser). Raises UsageError."""
    if not values:
        return frozenset()
    from ..hook.policy import PolicyError, parse_fail_on

    try:
        return parse_fail_on(values)
    except PolicyError as err:
        raise UsageError(f"{source}: {err}") from err


def undeclared_notes(name: str, data: Mapping[str, Any], settings: Settings, streams: Streams) -> None:
    """A note for each parameter named on the command line that the template does not declare.

    Parameters from the project file apply to every template of a repository: no note for them.
    """
    from ..template_inputs import declared_parameters

    declared = declared_parameters(data)
    for key in sorted(settings.given):
        if key not in declared:
            streams.note(f"{name}: parameter {key} is not declared in Parameters; ignored")
