"""A template's Transform list, run offline in CloudFormation's order.

CloudFormation runs the template-level transforms in the order listed, each on
the previous one's output; a macro therefore receives what the transforms
before it produced. `transform` and `event` run what precedes the macro, so
what they print is what CloudFormation would send and receive; `expand` runs
the whole list. Offline, `AWS::Serverless-2016-10-31` goes through the SAM
translator (the offline toolbox), `AWS::LanguageExtensions` through cfn-lint's
implementation, this macro through the core. `AWS::Include` fetches its snippet
from S3, and any other macro is a Lambda function of some account: both are
refused with one line naming them.

The Transform section takes a name, a `{Name, Parameters}` mapping, or a list of
either. `Fn::Transform` directly under `Resources` hands the macro the sibling
resources and its `Parameters` as `params`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .. import core
from ..model import TransformContext
from ..options import Options, resolve_options
from ..records import EMPTY_MAPPING, Record
from ..template_inputs import SAM_TRANSFORM, fragment_of, own_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
INCLUDE = "AWS::Include"
FN_TRANSFORM = "Fn::Transform"
# What AWS::LanguageExtensions resolves that cfn-lint's implementation leaves as written.
_UNRESOLVED_EXTENSIONS = ("Fn::Length", "Fn::ToJsonString")


class ExpandError(Exception):
    """A transform cannot be run offline, or it rejects the template. One line."""


class TransformEntry(Record):
    """One entry of the Transform section: a name, with Parameters in the mapping form."""

    name: str
    parameters: Any = None

    def as_written(self) -> Any:
        return self.name if self.parameters is None else {"Name": self.name, "Parameters": self.parameters}


def transform_entries(template: Mapping[str, Any]) -> list[TransformEntry]:
    """The template's Transform entries in order: a name, a {Name, Parameters} mapping, or a list."""
    value = template.get("Transform")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    entries = []
    for item in items:
        if isinstance(item, str):
            entries.append(TransformEntry(item))
        elif isinstance(item, Mapping) and isinstance(item.get("Name"), str):
            entries.append(TransformEntry(item["Name"], item.get("Parameters")))
        else:
            raise ExpandError(
                "Transform must be a transform name, a {Name, Parameters} mapping, or a list of them"
            )
    return entries


def transform_names(template: Mapping[str, Any]) -> list[str]:
    return [entry.name for entry in transform_entries(template)]


def transform_value(entries: Sequence[TransformEntry], source: Any) -> Any:
    """The Transform section for `entries`, in the shape the source wrote it (a list stays a list)."""
    written = [entry.as_written() for entry in entries]
    return written if isinstance(source, list) or len(written) != 1 else written[0]


class MacroInput(Record):
    """What CloudFormation sends the macro, and how its answer goes back into the template."""

    fragment: dict[str, Any]
    params: Mapping[str, Any]
    snippet: bool  # Fn::Transform under Resources: the fragment is the sibling resources
    listed: bool  # the macro is in the Transform section (or in Fn::Transform)
    after: Sequence[TransformEntry] = ()  # what CloudFormation runs next
    base: Mapping[str, Any] = EMPTY_MAPPING  # the template the answer goes back into

    def options(self, own: Options | None = None) -> Options:
        """The options the handler would resolve, with no stack defaults. Raises OptionError."""
        if own is not None:
            return own
        mine = None if self.snippet else own_options(self.fragment)
        return resolve_options(Options(), mine, self.params if self.snippet else None)

    def output(self, fragment: Mapping[str, Any]) -> dict[str, Any]:
        """The template after the macro: its answer, plus the transforms CloudFormation runs next."""
        if self.snippet:  # the Transform section stays: CloudFormation runs it next
            return {k: (dict(fragment) if k == "Resources" else v) for k, v in self.base.items()}
        if not self.after:
            return dict(fragment)
        out: dict[str, Any] = {}
        for key in self.base:  # the source's key order, the Transform where it was
            if key == "Transform":
                out[key] = transform_value(self.after, self.base["Transform"])
            elif key in fragment:
                out[key] = fragment[key]
        for key, item in fragment.items():
            out.setdefault(key, item)
        return out


def macro_input(
    template: Mapping[str, Any],
    macro_name: str,
    context: TransformContext,
    note: Callable[[str], None],
    run_sam: bool = True,
) -> MacroInput:
    """The macro's input as CloudFormation would build it. Raises ExpandError.

    The transforms listed before the macro run first (`run_sam=False` leaves SAM's
    part to the core, which reads raw SAM, so that positions stay the file's). A
    template that does not list the macro gets it run on the template as written.
    """
    entries = transform_entries(template)
    names = [entry.name for entry in entries]
    if macro_name in names:
        at = names.index(macro_name)
        current = fragment_of(template)
        for entry in entries[:at]:
            if entry.name != SAM_TRANSFORM or run_sam:
                current = run_transform(entry, current, context, note)
        params = entries[at].parameters
        return MacroInput(
            current,
            params if isinstance(params, Mapping) else {},
            False,
            True,
            entries[at + 1 :],
            dict(template),
        )
    resources = template.get("Resources")
    call = resources.get(FN_TRANSFORM) if isinstance(resources, Mapping) else None
    if isinstance(call, Mapping) and call.get("Name") == macro_name:
        assert isinstance(resources, Mapping)
        siblings = {k: v for k, v in resources.items() if k != FN_TRANSFORM}
        params = call.get("Parameters")
        # the template-level list runs after the snippet's macro (it stays in the answer)
        return MacroInput(
            siblings, params if isinstance(params, Mapping) else {}, True, True, entries, dict(template)
        )
    return MacroInput(fragment_of(template), {}, False, False, entries, dict(template))


def run_transform(
    entry: TransformEntry,
    template: dict[str, Any],
    context: TransformContext,
    note: Callable[[str], None],
) -> dict[str, Any]:
    """One transform other than the macro, offline. Raises ExpandError naming what cannot run."""
    if entry.name == SAM_TRANSFORM:
        from .toolbox import SamError, sam_translate  # lazy: `check` reads raw SAM and never runs it

        try:
            return sam_translate(template, context.region, context.parameter_values, note=note)
        except SamError as err:
            raise ExpandError(str(err)) from err
    if entry.name == LANGUAGE_EXTENSIONS:
        return _language_extensions(template, context)
    if entry.name == INCLUDE:
        raise ExpandError(
            f"Transform {INCLUDE} fetches its snippet from S3 and cannot be run offline; "
            "run autoinvoke on the template with the snippet inlined"
        )
    raise ExpandError(
        f"Transform {entry.name} cannot be run offline; autoinvoke runs only {SAM_TRANSFORM}, "
        f"{LANGUAGE_EXTENSIONS} and the macro itself"
    )


def _language_extensions(template: dict[str, Any], context: TransformContext) -> dict[str, Any]:
    """cfn-lint's AWS::LanguageExtensions (Fn::ForEach, Fn::FindInMap defaults), with our parameter values.

    cfn-lint resolves parameters from their Default, so the values given on the
    command line become the Defaults of a private copy. What it leaves unresolved
    (Fn::Length, Fn::ToJsonString) is refused rather than passed on as if resolved.
    """
    import json

    from cfnlint.template import Template
    from cfnlint.template.transforms._language_extensions import language_extension

    private = json.loads(json.dumps(template))
    declared = private.get("Parameters")
    for name, value in context.parameter_values.items():
        if isinstance(declared, dict) and isinstance(declared.get(name), dict):
            declared[name]["Default"] = ",".join(value) if isinstance(value, list) else value
    matches, output = language_extension(Template("template", private, [context.region]))
    if matches:
        raise ExpandError(f"{LANGUAGE_EXTENSIONS}: {matches[0].message}")
    text = json.dumps(output)
    left = [name for name in _UNRESOLVED_EXTENSIONS if f'"{name}"' in text]
    if left:
        raise ExpandError(f"{LANGUAGE_EXTENSIONS}: {', '.join(left)} cannot be resolved offline")
    result: dict[str, Any] = json.loads(text)
    if declared is not None:
        result["Parameters"] = template["Parameters"]  # the Defaults as written
    return result


def expand(
    template: Mapping[str, Any],
    macro_name: str,
    options: Options | None,
    context: TransformContext,
    note: Callable[[str], None],
) -> dict[str, Any]:
    """Plain CloudFormation: every transform of the list applied, in order. Raises ExpandError.

    `options` overrides what the template's Metadata asks for (None: the template's own).
    """
    entries = transform_entries(template)
    unrunnable = [e.name for e in entries if e.name not in (SAM_TRANSFORM, LANGUAGE_EXTENSIONS, macro_name)]
    if unrunnable:  # said before anything runs
        run_transform(TransformEntry(unrunnable[0]), {}, context, note)
    macro = macro_input(template, macro_name, context, note)
    current = macro.fragment
    rest: Sequence[TransformEntry] = entries
    if macro.listed:
        current = macro.output(core.transform(current, macro.options(options), context).fragment)
        rest = macro.after
    for entry in rest:
        current = run_transform(entry, fragment_of(current), context, note)
    return fragment_of(current)
