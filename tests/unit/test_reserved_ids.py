"""The logical IDs SAM generates, checked structurally (`permissions.ReservedIds`): the same answers as
the whole-ID regular expressions of samtranslator's naming, on IDs built to sit near each family."""

from __future__ import annotations

import re
from typing import Any

import pytest
from auto_invoke_permission.permissions import ReservedIds
from hypothesis import given, settings
from hypothesis import strategies as st

# samtranslator's naming, as regular expressions: the oracle
_HASH = "[0-9a-f]{10}"
_CONNECTOR = r"(?:Policy|TopicPolicy|QueuePolicy|[A-Za-z0-9]*LambdaPermission)(?:Destination[0-9]+)?"
_FUNCTION = "(?:Url|UrlPublicPermissions|URLInvokeAllowPublicAccess|EventInvokeConfig)"


def oracle(versioned: list[str], events: list[str], connectors: list[str]) -> re.Pattern[str] | None:
    patterns = [re.escape(fid) + "(?:Version" + _HASH + "|" + _FUNCTION + ")" for fid in versioned]
    patterns += [re.escape(prefix) + "(?:Permission[A-Za-z0-9]*|Role" + _HASH + ")" for prefix in events]
    patterns += [re.escape(cid) + _CONNECTOR for cid in connectors]
    return re.compile("(?:" + "|".join(patterns) + ")") if patterns else None


def expected(lid: str, versioned: list[str], events: list[str], connectors: list[str]) -> bool:
    pattern = oracle(versioned, events, connectors)
    return pattern is not None and pattern.fullmatch(lid) is not None


IDS = st.text(alphabet="AbFnVersionRole0", min_size=1, max_size=6)
PIECES = st.sampled_from(
    [
        "",
        "Version",
        "Role",
        "Permission",
        "Prod",
        "Policy",
        "TopicPolicy",
        "QueuePolicy",
        "LambdaPermission",
        "Destination",
        "0",
        "12",
        "0123456789",
        "abcdef0123",
        "abcdef012",
        "ABCDEF0123",
        "Url",
        "UrlPublicPermissions",
        "URLInvokeAllowPublicAccess",
        "EventInvokeConfig",
        "x-y",
        "é",
        "²",
    ]
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, list[str], list[str], list[str]]:
    versioned = draw(st.lists(IDS, max_size=3))
    events = draw(st.lists(IDS, max_size=3))
    connectors = draw(st.lists(IDS, max_size=3))
    heads = versioned + events + connectors + [""]
    lid = draw(st.sampled_from(heads)) + "".join(draw(st.lists(PIECES, max_size=4)))
    return lid, versioned, events, connectors


@settings(max_examples=3000, deadline=None)
@given(cases())
def test_structural_check_agrees_with_the_regular_expressions(
    case: tuple[str, list[str], list[str], list[str]],
) -> None:
    lid, versioned, events, connectors = case
    reserved = ReservedIds((), versioned, events, connectors)
    assert (lid in reserved) == expected(lid, versioned, events, connectors)


@pytest.mark.parametrize(
    ("lid", "reserved"),
    [
        ("FnVersion0123456789", True),
        ("FnVersionabcdef0123", True),
        ("FnVersionABCDEF0123", False),  # SHA-1 hex digits are lower case
        ("FnVersion012345678", False),  # nine digits
        ("FnNightlyRole0123456789", True),
        ("FnNightlyPermission", True),
        ("FnNightlyPermissionProd", True),
        ("FnNightlyPermissionProd-1", False),
        ("FnOtherPermission", False),
        ("ConnPolicy", True),
        ("ConnTopicPolicyDestination2", True),
        ("ConnWriteLambdaPermissionDestination0", True),
        ("ConnWriteLambdaPermissionDestination", False),
        ("ConnPolicyX", False),
        ("WorkerInvokeFromCallerRole", False),
        ("FnUrl", True),
        ("FnUrlPublicPermissions", True),
        ("FnURLInvokeAllowPublicAccess", True),
        ("FnEventInvokeConfig", True),
        ("FnUrlX", False),
        ("OtherUrl", False),
        ("Fn", True),  # a name
    ],
)
def test_each_family(lid: str, reserved: bool) -> None:
    ids = ReservedIds({"Fn"}, versioned=["Fn"], events=["FnNightly"], connectors=["Conn"])
    assert (lid in ids) is reserved
    assert expected(lid, ["Fn"], ["FnNightly"], ["Conn"]) is (reserved and lid != "Fn")


def test_the_template_and_implicit_names_are_taken_where_they_are() -> None:
    resources: dict[str, Any] = {"Worker": {}}
    implicit = frozenset({"WorkerRole"})
    ids = ReservedIds((), resources=resources, implicit=implicit)
    assert "Worker" in ids
    assert "WorkerRole" in ids
    assert "WorkerInvokeFromCallerRole" not in ids
    ids.add("WorkerInvokeFromCallerRole")
    assert "WorkerInvokeFromCallerRole" in ids
    assert resources == {"Worker": {}}
    assert implicit == {"WorkerRole"}


def test_added_ids_are_taken() -> None:
    ids = ReservedIds(())
    assert "WorkerInvokeFromCallerRole" not in ids
    ids.add("WorkerInvokeFromCallerRole")
    assert "WorkerInvokeFromCallerRole" in ids
    assert 3 not in ids
