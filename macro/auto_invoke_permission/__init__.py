"""AutoInvokePermission: mirror Lambda-to-Lambda invoke grants as AWS::Lambda::Permission resources.

Kept empty on purpose: the Lambda handler imports only what it needs (fast cold start).
"""

__version__ = "0.1.0"
# Where the project lives: SARIF help links, the SAR metadata (template.yaml) and the docs use it.
PROJECT_URL = "https://github.com/auto-invoke-permission/auto-invoke-permission"
