"""SBOMs as input: one reader per document format turns a vendor's SBOM into an `SbomDocument`
(`document.py`), which the SBOM parsers hand to the pipeline as components with `declared`
evidence. The readers live in `auditor/collectors/parsers/` like every other file format."""
