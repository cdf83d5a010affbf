"""Invokes ProcessorFunction with this function's execution role credentials."""

import json
import os

import boto3

_lambda = boto3.client("lambda")


def lambda_handler(event, context):
    response = _lambda.invoke(
        FunctionName=os.environ["PROCESSOR_FUNCTION"],
        Payload=json.dumps({"body": event.get("body") if isinstance(event, dict) else None}),
    )
    result = json.loads(response["Payload"].read())
    return {"statusCode": 200, "body": json.dumps({"processed": result})}
