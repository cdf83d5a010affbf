"""CloudFormation's physical names for roles and functions deployed without RoleName/FunctionName.

CloudFormation names such a resource `<stack name>-<logical ID>-<random suffix>` and keeps the whole
within the name limit (64 characters for IAM role names and for Lambda function names): the stack
name and the logical ID are cut, the suffix never. Real names show the cut (docs/guide/explain.md):

    CdkWorkshopStack-HelloHitCounterHitCounterHandlerS-TU5M09L1UBID   (stack whole, logical ID cut)
    serverlessrepo-aws-lambda-power-tu-initializerRole-KBWW5V1IY08N   (logical ID whole, stack cut)
    serverlessrepo-aws-deploy-StateMachineExecutionRol-YYXZKF1DNVEG   (both cut)

Stack name and logical ID together keep 49 characters (50 in some newer role names): a part shorter
than half leaves the rest to the other, else the stack keeps the larger half. The suffix is 12 or 13
letters and digits. A logical ID holds letters and digits only, so the part between the last two dashes is the
(possibly cut) logical ID, and everything before it the (possibly cut) stack name. A cut logical ID
may fit more than one logical ID of the templates: `candidates` returns all of them.

Names from nested stacks carry the nested stack's own generated name as the stack part; SAM's
generated role `<FunctionId>Role` is named the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

NAME_LIMIT = 64  # IAM role names and Lambda function names
_SUFFIX = re.compile(r"^[A-Za-z0-9]{1,20}$")
_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]+$")
# a name this long may have been cut: 64 minus two dashes and a 12-13 character suffix leaves 49-50
_CUT_FROM = NAME_LIMIT - 2


@dataclass(frozen=True)
class GeneratedName:
    """A deployed name read as `<stack>-<logical ID>-<suffix>`; the first two possibly cut."""

    stack: str  # "" when the name has no stack part
    logical: str
    suffix: str
    may_be_cut: bool  # the name is at the length limit, so its parts may be cut


def read(name: str) -> GeneratedName | None:
    """The parts of a generated name, or None when `name` cannot be one."""
    parts = name.rsplit("-", 2)
    if len(parts) < 2:
        return None
    suffix = parts[-1]
    logical = parts[-2]
    stack = parts[0] if len(parts) == 3 else ""
    if not _SUFFIX.match(suffix) or not _LOGICAL_ID.match(logical):
        return None
    return GeneratedName(stack, logical, suffix, len(name) >= _CUT_FROM)


def candidates(name: str, logical_ids: Iterable[str], stack_name: str | None = None) -> list[str]:
    """The logical IDs whose generated name `name` can be, sorted; more than one when a cut is ambiguous.

    With `stack_name`, the stack part must be that name (or, at the limit, its beginning)."""
    generated = read(name)
    if generated is None:
        return []
    if stack_name is not None and not _stack_fits(generated, stack_name):
        return []
    exact = sorted(i for i in set(logical_ids) if i == generated.logical)
    if exact:
        return exact
    if not generated.may_be_cut:
        return []
    return sorted(i for i in set(logical_ids) if i.startswith(generated.logical))


def matches(logical_id: str, name: str, stack_name: str | None = None) -> bool:
    """Whether `name` can be CloudFormation's generated name of `logical_id`."""
    return bool(candidates(name, [logical_id], stack_name))


def _stack_fits(generated: GeneratedName, stack_name: str) -> bool:
    if generated.stack == stack_name:
        return True
    return generated.may_be_cut and bool(generated.stack) and stack_name.startswith(generated.stack)
