"""Template snippets several test files share: write one here once instead of retyping it.

Values are read-only by convention: a test that changes a template copies it first (`conftest.variant`).
The builders of whole resources (`sam_function`, `role`, `statement`, `variant`...) are in conftest.py."""

from __future__ import annotations

from typing import Any

# ------------------------------------------------------------ intrinsic values (dict templates)
WORKER_ARN: dict[str, Any] = {"Fn::GetAtt": ["Worker", "Arn"]}
OTHER_ARN: dict[str, Any] = {"Fn::GetAtt": ["Other", "Arn"]}
CALLER_ROLE_ARN: dict[str, Any] = {"Fn::GetAtt": ["CallerRole", "Arn"]}
NO_VALUE: dict[str, Any] = {"Ref": "AWS::NoValue"}

# ------------------------------------------------------------ YAML texts (CLI tests)
# the command-line place of the CLI tests: region and account
PLACE = ("--region", "us-east-1", "--account-id", "123456789012")

# A SAM caller `Caller` whose policy statements follow (each line indented by 12 spaces), and its callee.
SAM_CALLER_STATEMENTS = """\
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: src/
      Policies:
        - Statement:
"""
SAM_CALLEE = """\
  Callee:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.13, Handler: app.handler, CodeUri: src/}
"""

# RequestFunction may invoke ProcessorFunction: one permission to add, no finding.
CLEAN = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: [AutoInvokePermission, AWS::Serverless-2016-10-31]
Parameters:
  Stage: {Type: String, Default: prod}
  Subnets: {Type: CommaDelimitedList, Default: 'a, b'}
  Secret: {Type: String}
Globals:
  Function: {Runtime: python3.13, Handler: app.handler, CodeUri: src/}
Resources:
  RequestFunction:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          TARGET: !Ref ProcessorFunction
      Policies:
        - Statement:
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !GetAtt ProcessorFunction.Arn
  ProcessorFunction:
    Type: AWS::Serverless::Function
"""

# The same plus a wildcard grant (line 23): a warning that blocks enforce mode.
WILDCARD = CLEAN.replace(
    "              Resource: !GetAtt ProcessorFunction.Arn\n",
    "              Resource: !GetAtt ProcessorFunction.Arn\n"
    "            - Effect: Allow\n"
    "              Action: lambda:InvokeFunction\n"
    "              Resource: '*'\n",
)
