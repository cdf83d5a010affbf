"""CloudFormation's generated names, matched against logical IDs (diagnose/physical_names.py).

The names are real deployed names from public threads and workshop pages (their sources are in
tests/data/denials/corpus.yaml); the logical IDs are the ones their templates give.
"""

from __future__ import annotations

import string

import pytest
from auto_invoke_permission.diagnose.physical_names import NAME_LIMIT, candidates, matches, read
from hypothesis import given, settings
from hypothesis import strategies as st

CDK_IDS = [
    "HelloHandler2E4FBA4D",
    "HelloHandlerServiceRole11EF7C63",
    "HelloHitCounterHitCounterHandlerDAEA7B37",
    "HelloHitCounterHitCounterHandlerServiceRoleD45002B8",
    "HelloHitCounterHits7AAEBF80",
]


@pytest.mark.parametrize(
    ("name", "logical_ids", "stack", "expected"),
    [
        # CDK workshop: the stack whole, the role's logical ID cut (old 12-letter suffix)
        (
            "CdkWorkshopStack-HelloHitCounterHitCounterHandlerS-TU5M09L1UBID",
            CDK_IDS,
            "CdkWorkshopStack",
            ["HelloHitCounterHitCounterHandlerServiceRoleD45002B8"],
        ),
        # the same role deployed later: 12 mixed-case letters, one character more of the logical ID
        (
            "CdkWorkshopStack-HelloHitCounterHitCounterHandlerSe-6m8GE1KfO4P6",
            CDK_IDS,
            None,
            ["HelloHitCounterHitCounterHandlerServiceRoleD45002B8"],
        ),
        # a 13-letter suffix
        (
            "CdkWorkshopStack-HelloHitCounterHitCounterHandlerS-1M9KFL06AAJWX",
            CDK_IDS,
            None,
            ["HelloHitCounterHitCounterHandlerServiceRoleD45002B8"],
        ),
        (
            "InfraStack-HelloHitCounterHitCounterHandlerService-R2LN05SZLLRA",
            CDK_IDS,
            "InfraStack",
            ["HelloHitCounterHitCounterHandlerServiceRoleD45002B8"],
        ),
        # functions: the logical ID whole, and cut by one character
        ("CdkWorkshopStack-HelloHandler2E4FBA4D-149MVAO4969O7", CDK_IDS, None, ["HelloHandler2E4FBA4D"]),
        (
            "CdkWorkshopStack-HelloHitCounterHitCounterHandlerD-144HVUNEWRWEO",
            CDK_IDS,
            None,
            ["HelloHitCounterHitCounterHandlerDAEA7B37"],
        ),
        (
            "InfraStack-HelloHitCounterHitCounterHandlerDAEA7B3-PNDo0RR8Idee",
            CDK_IDS,
            None,
            ["HelloHitCounterHitCounterHandlerDAEA7B37"],
        ),
        # the stack name cut, the logical ID whole (SAR's aws-lambda-power-tuning)
        (
            "serverlessrepo-aws-lambda-power-tu-initializerRole-KBWW5V1IY08N",
            ["initializer", "initializerRole", "executorRole"],
            "serverlessrepo-aws-lambda-power-tuning",
            ["initializerRole"],
        ),
        # both cut (SAR's aws-deployment-framework)
        (
            "serverlessrepo-aws-deploy-StateMachineExecutionRol-YYXZKF1DNVEG",
            ["StateMachineExecutionRole", "AccountAliasConfigFunction", "AccountAliasConfigFunctionRole"],
            "serverlessrepo-aws-deployment-framework",
            ["StateMachineExecutionRole"],
        ),
        # a nested stack's own generated name as the stack part
        (
            "QnABot2-ExamplesStack-PJB77ZTHUM-ExampleLambdaRole-L1RE5HHNPSU2",
            ["ExampleLambdaRole", "ExamplePYTHONLambdaNext"],
            None,
            ["ExampleLambdaRole"],
        ),
        ("QnABot2-ESQidLambda-M9LBJLAZJB9N", ["ESQidLambda", "ESProxyLambda"], "QnABot2", ["ESQidLambda"]),
        # a cut that fits two logical IDs: both are candidates
        (
            "TestDenyList-AWSCDKTriggerCustomResourceProviderCu-BPOZATDX25JW",
            [
                "AWSCDKTriggerCustomResourceProviderCustomResourceProviderHandler97BECD91",
                "AWSCDKTriggerCustomResourceProviderCustomResourceProviderRole89B8E8A9",
                "PruneTest66C7D9FC",
            ],
            "TestDenyList",
            [
                "AWSCDKTriggerCustomResourceProviderCustomResourceProviderHandler97BECD91",
                "AWSCDKTriggerCustomResourceProviderCustomResourceProviderRole89B8E8A9",
            ],
        ),
        # SAM's generated role of a function, without a stack part
        (
            "RequestFunctionRole-AbC",
            ["RequestFunction", "RequestFunctionRole"],
            None,
            ["RequestFunctionRole"],
        ),
        # a short name is never cut: a prefix is not enough
        ("CdkWorkshopStack-HelloHandler-149MVAO4969O7", CDK_IDS, None, []),
        # another stack
        ("OtherStack-HelloHandler2E4FBA4D-149MVAO4969O7", CDK_IDS, "CdkWorkshopStack", []),
        # not a generated name
        ("processor", ["processor"], None, []),
        ("meal-management-app-dev-daily-summary", ["DailySummary"], None, []),
    ],
)
def test_real_names(name: str, logical_ids: list[str], stack: str | None, expected: list[str]) -> None:
    assert len(name) <= NAME_LIMIT
    assert candidates(name, logical_ids, stack) == expected
    assert all(matches(i, name, stack) for i in expected)


def test_read_splits_stack_logical_id_and_suffix() -> None:
    generated = read("serverlessrepo-aws-deploy-StateMachineExecutionRol-YYXZKF1DNVEG")
    assert generated is not None
    assert (generated.stack, generated.logical, generated.suffix, generated.may_be_cut) == (
        "serverlessrepo-aws-deploy",
        "StateMachineExecutionRol",
        "YYXZKF1DNVEG",
        True,
    )


def deployed_name(stack: str, logical_id: str, suffix: str, budget: int = 49) -> str:
    """CloudFormation's cut as the real names above show it: stack and logical ID keep 49 characters
    together (50 in some newer role names); a part shorter than half leaves the rest to the other,
    else the stack keeps the larger half."""
    if len(stack) + len(logical_id) > budget:
        if len(stack) <= budget // 2:
            logical_id = logical_id[: budget - len(stack)]
        elif len(logical_id) <= budget // 2:
            stack = stack[: budget - len(logical_id)]
        else:
            stack, logical_id = stack[: budget - budget // 2], logical_id[: budget // 2]
    return f"{stack}-{logical_id}-{suffix}"


def test_the_cut_reproduces_the_real_names() -> None:
    assert deployed_name(
        "serverlessrepo-aws-deployment-framework", "StateMachineExecutionRole", "YYXZKF1DNVEG"
    ) == ("serverlessrepo-aws-deploy-StateMachineExecutionRol-YYXZKF1DNVEG")
    assert deployed_name("serverlessrepo-aws-lambda-power-tuning", "initializerRole", "KBWW5V1IY08N") == (
        "serverlessrepo-aws-lambda-power-tu-initializerRole-KBWW5V1IY08N"
    )
    assert deployed_name(
        "CdkWorkshopStack", "HelloHitCounterHitCounterHandlerServiceRoleD45002B8", "1M9KFL06AAJWX"
    ) == ("CdkWorkshopStack-HelloHitCounterHitCounterHandlerS-1M9KFL06AAJWX")
    assert deployed_name(
        "CdkWorkshopStack", "HelloHitCounterHitCounterHandlerServiceRoleD45002B8", "6m8GE1KfO4P6", budget=50
    ) == ("CdkWorkshopStack-HelloHitCounterHitCounterHandlerSe-6m8GE1KfO4P6")
    assert deployed_name("InfraStack", "HelloHitCounterHitCounterHandlerDAEA7B37", "PNDo0RR8Idee") == (
        "InfraStack-HelloHitCounterHitCounterHandlerDAEA7B3-PNDo0RR8Idee"
    )


STACK = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,60}[A-Za-z0-9]", fullmatch=True).filter(
    lambda s: "--" not in s
)
LOGICAL_ID = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=80)
SUFFIX = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=12, max_size=13)


@settings(max_examples=300, derandomize=True)
@given(stack=STACK, logical_id=LOGICAL_ID, suffix=SUFFIX, budget=st.sampled_from([49, 50]))
def test_every_deployed_name_leads_back_to_its_logical_id(
    stack: str, logical_id: str, suffix: str, budget: int
) -> None:
    name = deployed_name(stack, logical_id, suffix, budget)
    assert logical_id in candidates(name, [logical_id, "Unrelated"], stack)
    assert "Unrelated" not in candidates(name, ["Unrelated"], stack) or logical_id.startswith("Unrelated")
