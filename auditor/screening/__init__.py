"""Restricted-party screening: official lists of named entities (`rules/screening/*.yaml`),
matched by hand to knowledge-base organisations, checked against each component's
organisation, its ownership chain and its lineage roots."""
