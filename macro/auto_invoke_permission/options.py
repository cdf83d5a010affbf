"""Options and their precedence (docs/design/behaviour.md section 7).

Weakest first: the macro stack's defaults (environment of the function), the
template's root `Metadata.AutoInvokePermission`, then `Fn::Transform`
`Parameters`. The macro stack's `MinimumMode` cannot be lowered by a template.
`Ignore` lists finding codes to accept: the lists of the template's sources add up (the README's
"Suppressing findings"); the macro stack's `NeverIgnore` names codes no `Ignore` may accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from .findings import CODES, FindingCode, is_finding_code
from .records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MACRO_KEY = "AutoInvokePermission"  # the key of the macro's options in Metadata


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


class Options(Record):
    mode: Mode = Mode.INJECT
    wildcards: Wildcards = Wildcards.REPORT
    report: bool = True
    minimum_mode: Mode = Mode.AUDIT
    # set when the macro stack's minimum raised the requested mode: the mode requested
    raised_from: Mode | None = None
    # template-level `Ignore` (root Metadata, Fn::Transform Parameters): the codes to accept
    ignore: frozenset[FindingCode] = frozenset()
    # codes accepted outside the template (the CLI's --ignore and project file), said as `--ignore`
    ignore_external: frozenset[FindingCode] = frozenset()
    # the macro stack's NeverIgnore: codes no Ignore may accept
    never_ignore: frozenset[FindingCode] = frozenset()


# Option names a template may set, with their allowed values.
TEMPLATE_OPTIONS: dict[str, tuple[str, ...]] = {
    "Mode": tuple(m.value for m in Mode),
    "Wildcards": tuple(w.value for w in Wildcards),
    "Report": ("true", "false"),
    "Ignore": (),  # a list of finding codes: `parse_codes`
}

# Environment variables of the macro function (set from template.yaml parameters).
ENV_MODE = "AUTOINVOKE_MODE"
ENV_WILDCARDS = "AUTOINVOKE_WILDCARDS"
ENV_REPORT = "AUTOINVOKE_REPORT"
ENV_MINIMUM_MODE = "AUTOINVOKE_MINIMUM_MODE"
ENV_NEVER_IGNORE = "AUTOINVOKE_NEVER_IGNORE"


def parse_codes(raw: Any, source: str, *, to_ignore: bool = True) -> frozenset[FindingCode]:
    """Finding codes from a list of strings or one comma- or space-separated string (any case).
    `to_ignore`: the codes are to be suppressed, so codes that cannot be (hard limits) are refused.
    Raises OptionError naming the first code that is not one."""
    items = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(item, str) for item in items):
        raise OptionError(f"{source} must be a list of finding codes (like AIP113), not {raw!r}")
    out: set[FindingCode] = set()
    for word in (w for item in items for w in item.replace(",", " ").split()):
        upper = word.upper()
        code = CODES[upper] if is_finding_code(upper) else None
        if code is None:
            raise OptionError(f"{source}: {word!r} is not a finding code of this macro (README: Findings)")
        if to_ignore and not code.suppressible:
            raise OptionError(f"{source}: {code.code} ({code.title}) cannot be ignored")
        out.add(code.code)
    return frozenset(out)


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
        if name == "Ignore":  # the sources' lists add up: each accepts what it names
            out = out._replace(ignore=out.ignore | parse_codes(values[name], f"{source} option Ignore"))
            continue
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
    never = environ.get(ENV_NEVER_IGNORE)
    if never:
        out = out._replace(never_ignore=parse_codes(never, "macro stack NeverIgnore", to_ignore=False))
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
