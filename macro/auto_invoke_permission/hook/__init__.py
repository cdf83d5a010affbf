"""The CloudFormation Lambda Hook: the same core as the macro, as a guard on every stack operation.

Not on the macro's Lambda path: the hook's build adds PyYAML (raw templates arrive as YAML with
short-form tags), and the macro's artifact leaves this package out (macro/Makefile).
"""
