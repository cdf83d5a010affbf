"""Options and their precedence (behaviour.md section 7).

Weakest first: the macro stack's defaults (environment of the function), the
template's root `Metadata.AutoInvokePermission`, then `Fn::Transform`
`Parameters`. The macro stack's `MinimumMode` cannot be lowered by a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, NamedTuple


class Mode(StrEnum):
    AUDIT = "audit"
    INJECT = "inject"
    ENFORCE = "enforce"

    @property
    def rank(self) -> int:
        return _MODE_RANK[self]


_MODE_RANK = {Mode.AUDIT: 0, Mode.INJECT: 1, Mode.ENFORCE: 2}


class Wildcards(StrEnum):
    REPORT = "report"
    EXPAND = "expand"


class OptionError(ValueError):
    """An unknown option name or value; the message names it and the allowed values."""


class Options(NamedTuple):
    mode: Mode = Mode.INJECT
    wildcards: Wildcards = Wildcards.REPORT
    report: bool = True
    minimum_mode: Mode = Mode.AUDIT
    # set when the macro stack's minimum raised the requested mode: the mode requested
    raised_from: Mode | None = None


# Option names a template may set, with their allowed values.
TEMPLATE_OPTIONS: dict[str, tuple[str, ...]] = {
    "Mode": tuple(m.value for m in Mode),
    "Wildcards": tuple(w.value for w in Wildcards),
    "Report": ("true", "false"),
}

# Environment variables of the macro function (set from template.yaml parameters).
ENV_MODE = "AUTOINVOKE_MODE"
ENV_WILDCARDS = "AUTOINVOKE_WILDCARDS"
ENV_REPORT = "AUTOINVOKE_REPORT"
ENV_MINIMUM_MODE = "AUTOINVOKE_MINIMUM_MODE"


def _value(name: str, raw: Any, source: str) -> str:
    allowed = TEMPLATE_OPTIONS[name]
    text = str(raw).lower() if isinstance(raw, bool | str) else None
    if text is None or text not in allowed:
        raise OptionError(f"{source}: option {name} has value {raw!r}; allowed values: {', '.join(allowed)}")
    return text


def _apply(base: Options, values: Mapping[str, Any], source: str) -> Options:
    out = base
    for name in sorted(values, key=str):
        if name == "Report" and isinstance(values[name], dict):
            continue  # the report of an earlier run, not the Report option
        if name not in TEMPLATE_OPTIONS:
            raise OptionError(
                f"{source}: unknown option {name!r}; allowed options: {', '.join(TEMPLATE_OPTIONS)}"
            )
        text = _value(name, values[name], source)
        if name == "Mode":
            out = out._replace(mode=Mode(text))
        elif name == "Wildcards":
            out = out._replace(wildcards=Wildcards(text))
        else:
            out = out._replace(report=text == "true")
    return out


def defaults_from_environment(environ: Mapping[str, str]) -> Options:
    """The macro stack's defaults. Empty variables mean 'not set'."""
    values: dict[str, str] = {}
    for name, var in (("Mode", ENV_MODE), ("Wildcards", ENV_WILDCARDS), ("Report", ENV_REPORT)):
        if environ.get(var):
            values[name] = environ[var]
    out = _apply(Options(), values, "macro stack")
    minimum = environ.get(ENV_MINIMUM_MODE)
    if minimum:
        out = out._replace(minimum_mode=Mode(_value("Mode", minimum, "macro stack MinimumMode")))
    return out


def resolve_options(
    defaults: Options,
    template_metadata: Any,
    transform_params: Mapping[str, Any] | None,
) -> Options:
    """Apply template Metadata then Fn::Transform Parameters over the macro stack defaults."""
    out = defaults
    if template_metadata is not None:
        if not isinstance(template_metadata, dict):
            raise OptionError("Metadata.AutoInvokePermission must be a mapping of options")
        out = _apply(out, template_metadata, "Metadata.AutoInvokePermission")
    if transform_params:
        out = _apply(out, transform_params, "Fn::Transform Parameters")
    if out.mode.rank < out.minimum_mode.rank:
        out = out._replace(raised_from=out.mode, mode=out.minimum_mode)
    return out
