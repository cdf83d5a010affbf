"""What CloudFormation hands the macro for a template, built in one place.

* `fragment_of`: the template without its `Transform` key, as a macro event carries it.
* `parameter_values`: `templateParameterValues`, the given values over each parameter's Default:
  strings, and lists for list-typed parameters (`is_list_parameter`, the one test of that).
* `lists_macro`: whether the template lists the macro (its Transform, or `Fn::Transform`).
* `own_options`: the template's `Metadata.AutoInvokePermission`, the one reader of it, and
  `template_options`: the options it asks for.

Used by the macro's resolver, the hook, the CLI and the library face alike. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping

from .options import MACRO_KEY, Mode, Options, resolve_options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TRANSFORM_KEY = "Transform"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def fragment_of(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as a macro event carries it: every key but Transform."""
    return {key: value for key, value in template.items() if key != TRANSFORM_KEY}


def own_options(template: Mapping[str, Any]) -> Any:
    """The template's `Metadata.AutoInvokePermission` as written; None when there is none."""
    metadata = template.get("Metadata")
    return metadata.get(MACRO_KEY) if isinstance(metadata, Mapping) else None


def template_options(template: Mapping[str, Any], mode: Mode | None = None) -> Options:
    """The template's own options (its Metadata), `mode` over them when given. Raises OptionError."""
    options = resolve_options(Options(), own_options(template), None)
    return options if mode is None else options._replace(mode=mode, raised_from=None)


def is_list_parameter(declaration: Any) -> bool:
    """A parameter CloudFormation hands over as a list: `CommaDelimitedList` or `List<...>`."""
    kind = declaration.get("Type") if isinstance(declaration, Mapping) else None
    return isinstance(kind, str) and (
        kind == "CommaDelimitedList" or (kind.startswith("List<") and kind.endswith(">"))
    )


def declared_parameters(template: Mapping[str, Any]) -> Mapping[str, Any]:
    declared = template.get("Parameters")
    return declared if isinstance(declared, Mapping) else {}


def parameter_values(template: Mapping[str, Any], given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """templateParameterValues as CloudFormation passes them: the given values, else the Defaults.

    A parameter with neither is left out (it has no value at transform time, which the core
    reports); given values for parameters the template does not declare are left out too.
    """
    given = given or {}
    values: dict[str, Any] = {}
    for name, declaration in declared_parameters(template).items():
        spec = declaration if isinstance(declaration, Mapping) else {}
        if name in given:
            raw: Any = given[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            continue
        values[name] = parameter_value(raw, is_list_parameter(spec))
    return values


def parameter_value(raw: Any, is_list: bool) -> Any:
    """One value as CloudFormation passes it: a string, or a list of strings for a list type."""
    if isinstance(raw, list):
        items = [_scalar_text(item) for item in raw]
        return items if is_list else ",".join(items)
    text = _scalar_text(raw)
    return [part.strip() for part in text.split(",")] if is_list else text


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def lists_macro(template: Mapping[str, Any], macro_name: str) -> bool:
    """Whether the template lists the macro `macro_name`: in its Transform section (a name or a list),
    or as an `Fn::Transform` directly under Resources. The hook and `check` read it alike."""
    transform = template.get(TRANSFORM_KEY)
    names = transform if isinstance(transform, list) else [transform]
    if macro_name in names:
        return True
    resources = template.get("Resources")
    inline = resources.get("Fn::Transform") if isinstance(resources, Mapping) else None
    items = inline if isinstance(inline, list) else [inline]
    return any(isinstance(item, Mapping) and item.get("Name") == macro_name for item in items)
