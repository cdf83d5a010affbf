"""The CloudFormation macro event, read-only, one property per field (docs/design/aws-facts.md section 4)."""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class MacroEvent:
    def __init__(self, raw: Any) -> None:
        self._raw: Mapping[str, Any] = raw if isinstance(raw, dict) else {}

    @property
    def request_id(self) -> Any:
        return self._raw.get("requestId")

    @property
    def fragment(self) -> Any:
        return self._raw.get("fragment")

    @property
    def region(self) -> str | None:
        value = self._raw.get("region")
        return value if isinstance(value, str) and value else None

    @property
    def account_id(self) -> str | None:
        value = self._raw.get("accountId")
        return str(value) if isinstance(value, str | int) and str(value) else None

    @property
    def transform_id(self) -> str:
        value = self._raw.get("transformId")
        return value if isinstance(value, str) else ""

    @property
    def params(self) -> Mapping[str, Any]:
        value = self._raw.get("params")
        return value if isinstance(value, dict) else {}

    @property
    def template_parameter_values(self) -> dict[str, Any]:
        value = self._raw.get("templateParameterValues")
        return dict(value) if isinstance(value, dict) else {}
