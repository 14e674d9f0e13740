"""The origin the collected files alone support (see auditor.declared, where it lives so an
inventory with `--no-resolve` imports no resolver)."""

from __future__ import annotations

from auditor.declared import local_origin as local_origin
