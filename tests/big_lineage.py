"""A 1,000-model scan with Hub-style lineage, for the every-view test and its bench.

100 families: a base (named only by the Hub walk: not in the inventory), its instruct
fine-tune (cached: in the inventory, with its own origin) and nine re-packagers'
quantisations of the instruct model, each edge as the Hub resolver records it (the cached
revision's purl derives from the unversioned base id). Families rotate through labs in CN,
US and FR and one namespace the knowledge base does not know. `expected` is the answer
each component must get, computed from the families, not from the code under test.
"""

from __future__ import annotations

import hashlib

from auditor.model import (
    Claim,
    Component,
    ComponentKind,
    Dependency,
    DependencyKind,
    Evidence,
    Location,
    Origin,
    OriginStatus,
    Root,
    Scan,
    ScanStatus,
    Strength,
)

LABS = (
    ("Qwen", "Alibaba Group Holding Limited", "CN"),
    ("meta-llama", "Meta Platforms, Inc.", "US"),
    ("mistralai", "Mistral AI", "FR"),
    ("unknown-lab", None, None),
)
FETCHED = "2026-12-01T09:00:00+00:00"


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def big_model_scan(families: int = 100, quants: int = 9) -> tuple[Scan, dict[str, set[object]]]:
    """The scan and, per component purl, its expected {(organisation, country)}."""
    components: list[Component] = []
    origins: list[Origin] = []
    deps: list[Dependency] = []
    expected: dict[str, set[object]] = {}
    for g in range(families):
        namespace, organisation, country = LABS[g % len(LABS)]
        base = f"{namespace}/base-{g}"
        instruct = f"{base}-Instruct"
        answer = {(organisation, country)}
        known = organisation is not None
        root = Root(f"pkg:huggingface/{base}", "finetune", organisation, country,
                    Strength.REGISTRY if known else None, FETCHED if known else None)  # fmt: skip
        ipurl = f"pkg:huggingface/{instruct}@{_sha(instruct)}"
        components.append(_model(ipurl, instruct))
        origins.append(
            Origin(
                ipurl,
                OriginStatus.RESOLVED,
                publisher=Claim(namespace, Strength.REGISTRY),
                organisation=Claim(organisation, Strength.REGISTRY) if organisation else None,
                country=Claim(country, Strength.REGISTRY) if country else None,
                roots=(root,),
                evidence=(_edge(instruct, "finetune", base),),
            )
        )
        deps.append(Dependency(ipurl, f"pkg:huggingface/{base}", DependencyKind.DERIVED_FROM,
                               "finetune"))  # fmt: skip
        expected[ipurl] = answer
        for k in range(quants):
            quant = f"repack{k}/{instruct.partition('/')[2]}-GGUF"
            qpurl = f"pkg:huggingface/{quant}@{_sha(quant)}"
            components.append(_model(qpurl, quant))
            edges = (_edge(quant, "quantized", instruct), _edge(instruct, "finetune", base))
            origins.append(
                Origin(
                    qpurl,
                    OriginStatus.RESOLVED,
                    publisher=Claim(f"repack{k}", Strength.REGISTRY),
                    roots=(replace_relation(root, "quantized"),),
                    evidence=edges,
                )
            )
            deps.append(Dependency(qpurl, f"pkg:huggingface/{instruct}",
                                   DependencyKind.DERIVED_FROM, "quantized"))  # fmt: skip
            deps.append(Dependency(f"pkg:huggingface/{instruct}", f"pkg:huggingface/{base}",
                                   DependencyKind.DERIVED_FROM, "finetune"))  # fmt: skip
            expected[qpurl] = answer
    scan = Scan(
        id="big-lineage",
        started_at="2026-12-07T10:00:00Z",
        finished_at="2026-12-07T10:00:05Z",
        status=ScanStatus.COMPLETE,
        tool_version="0",
        targets=(),
        components=tuple(components),
        origins=tuple(origins),
        dependencies=tuple(dict.fromkeys(deps)),
    )
    return scan, expected


def replace_relation(root: Root, relation: str) -> Root:
    from dataclasses import replace

    return replace(root, relation=relation)


def _model(purl: str, repo_id: str) -> Component:
    return Component(
        purl=purl,
        kind=ComponentKind.MODEL,
        name=repo_id,
        version=purl.rpartition("@")[2],
        locations=(Location("hub", f"models--{repo_id.replace('/', '--')}"),),
        found_by="hf-cache",
    )


def _edge(child: str, relation: str, parent: str) -> Evidence:
    where = f"huggingface:/api/models/{child}"
    return Evidence("huggingface", "lineage.edge", f"{child} -{relation}-> {parent}", where,
                    Strength.REGISTRY, FETCHED)  # fmt: skip
