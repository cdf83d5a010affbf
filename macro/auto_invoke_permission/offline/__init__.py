"""Templates offline: reading YAML and JSON with positions, writing YAML over the source text, the
Transform list run in CloudFormation's order (SAM translator, LanguageExtensions) and the macro event.
Used by the CLI, the library face (api.py), diagnose/ and cfnlint.py; not in the Lambda artifact."""
