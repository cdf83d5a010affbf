"""Diagnosis of denials: `autoinvoke explain`, its `--live` reading of an account, the denial-text parser
and the cross-stack view (`check --together`), on the readers of the core."""
