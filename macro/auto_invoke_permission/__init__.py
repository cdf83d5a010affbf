"""AutoInvokePermission: mirror Lambda-to-Lambda invoke grants as AWS::Lambda::Permission resources.

Kept empty on purpose: the Lambda handler imports only what it needs (fast cold start).
"""

__version__ = "0.1.0"
