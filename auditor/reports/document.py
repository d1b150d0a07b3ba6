"""The report document, rendered by this package; built in ``auditor.audit.report``."""

from __future__ import annotations

from auditor.audit.document import SCHEMA, Report

__all__ = ["SCHEMA", "Report"]
