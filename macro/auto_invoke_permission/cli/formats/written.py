"""Intrinsics in the CLI's text as the template writes them: `${F.Arn}`, not `{F.Arn}`.

The core names an opaque part of a string (a Ref, a GetAtt, a pseudo parameter) `{F.Arn}`: its
text lands in the template's Metadata too, where cfn-lint would read `${F.Arn}` as a misplaced
Fn::Sub. On a terminal and in the CLI's reports, the template's own spelling reads better.
"""

from __future__ import annotations

import re

# `{Name}`, `{Name.Attr}`, `{AWS::Region}`: what resolver.Token writes; not `${...}` already, nor
# prose in braces (which has spaces or commas). Compiled on first use (re caches it): a check without
# findings never needs it.
_TOKEN = r"(?<!\$)\{((?:AWS::)?[A-Za-z0-9]+(?:\.[A-Za-z0-9.]+)?)\}"


def as_written(text: str) -> str:
    """`{F.Arn}:*` -> `${F.Arn}:*`."""
    return re.sub(_TOKEN, r"${\1}", text) if "{" in text else text
