"""Questions across every target (issue 35): over the latest scan of each target, or the
latest as of a date.

- `index`: each scan's origin roll-up, counted once by `auditor.graph.queries.origin_groups`
  (the one answer every view gives) and kept in the store's `portfolio_rollups`;
- `queries`: the SQL behind `portfolio origins|where|findings|trend`;
- `render`: their table, Markdown and JSON forms.
"""

from __future__ import annotations

FACETS = ("country", "organisation", "lineage-root-organisation")
"""What `portfolio origins --by` groups by."""
ULTIMATE = "ultimate-organisation"
"""The organisation facet with each organisation rolled up to the top of its `parent` chain
(`portfolio origins|trend --by organisation --ultimate`)."""
TOTAL = "components"
"""The roll-up facet holding a scan's component count; its presence marks the scan indexed."""
