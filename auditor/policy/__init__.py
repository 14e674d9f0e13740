"""Rules that turn facts into Findings.

Until rule packs land, the built-in registry (policy/builtin.py) is the single source of
rule ids, default severities and actions; collectors and resolvers emit findings through it.
"""
