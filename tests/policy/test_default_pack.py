"""Every rule of the default pack, made to fire and not to fire."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from auditor.config import Config
from auditor.http import HttpSettings
from auditor.model import (
    Action,
    ComponentKind,
    Finding,
    OriginStatus,
    Root,
    Severity,
    Strength,
)
from auditor.pipeline import run_scan
from auditor.policy.builtin import finding
from tests.conftest import write_files
from tests.policy.helpers import (
    SHA,
    TODAY,
    claim,
    component,
    judge,
    origin,
    policy_from,
    rules_on,
    scan,
    upload,
)
from tests.servers.pypi import PyPIState

FAST = HttpSettings(backoff=0.01, connect_timeout=1, read_timeout=2, attempts=2)


def _lockfile_scan(tmp_path: Path, text: str, **config: object):  # type: ignore[no-untyped-def]
    write_files(tmp_path / "app", {"requirements.txt": text})
    base = Config(store=False, http=FAST, concurrency=4, today=TODAY)
    return run_scan([str(tmp_path / "app")], replace(base, **config))  # type: ignore[arg-type]


# --- origin.unknown --------------------------------------------------------------------


def test_origin_unknown_on_real_resolution(pypi: tuple[PyPIState, str], tmp_path: Path) -> None:
    _, base = pypi
    result = _lockfile_scan(tmp_path, "click==8.5.1\nno-such-project-x==1.0\n", pypi_url=base)
    assert "origin.unknown" in rules_on(result, "pkg:pypi/no-such-project-x@1.0")
    assert "origin.unknown" not in rules_on(result, "pkg:pypi/click@8.5.1")
    # skipped (--no-resolve) is not unknown
    skipped = _lockfile_scan(tmp_path, "no-such-project-x==1.0\n", no_resolve=True)
    assert "origin.unknown" not in rules_on(skipped, "pkg:pypi/no-such-project-x@1.0")


# --- origin.repository-unattested / conflict -------------------------------------------


def test_repository_claimed_but_not_attested() -> None:
    p1, p2, p3 = "pkg:pypi/a@1", "pkg:pypi/b@1", "pkg:pypi/c@1"
    result = judge(
        scan(
            [component(p1), component(p2), component(p3)],
            [
                origin(p1, repository=claim("https://github.com/a/a", Strength.DECLARED)),
                origin(p2, repository=claim("https://github.com/b/b", Strength.ATTESTED)),
                origin(p3),
            ],
        )
    )
    assert "origin.repository-unattested" in rules_on(result, p1)
    assert "origin.repository-unattested" not in rules_on(result, p2)
    assert "origin.repository-unattested" not in rules_on(result, p3)


def test_repository_conflict() -> None:
    p1, p2 = "pkg:npm/a@1", "pkg:npm/b@1"
    result = judge(
        scan(
            [component(p1), component(p2)],
            [
                origin(p1, conflicts=("metadata says github.com/x/a, attestation github.com/y/a",)),
                origin(p2),
            ],
        )
    )
    hit = [f for f in result.findings if f.rule == "origin.conflict"]
    assert [f.purl for f in hit] == [p1]
    assert "attestation github.com/y/a" in hit[0].message


def test_a_disagreement_among_declared_links_is_info(tmp_path: Path) -> None:
    """A real shape: the package's own Source and Homepage name two repositories (a moved
    project). Without a registry fact to say which is right, it is info, not high."""
    write_files(
        tmp_path / "site-packages" / "moved-1.0.dist-info",
        {
            "METADATA": "Metadata-Version: 2.1\nName: moved\nVersion: 1.0\n"
            "Project-URL: Source, https://github.com/old-home/moved\n"
            "Project-URL: Repository, https://gitlab.com/new-home/moved\n",
            "RECORD": "",
        },
    )
    result = run_scan([f"env:{tmp_path}"], Config(store=False, no_resolve=True, today=TODAY))
    rules = {f.rule: f for f in result.findings if f.purl.startswith("pkg:pypi/moved")}
    assert "origin.conflict" not in rules
    declared = rules["origin.declared-conflict"]
    assert declared.severity is Severity.INFO and declared.action is Action.REPORT
    assert "github.com/old-home/moved" in declared.message


# --- origin.changed ----------------------------------------------------------------------


@pytest.mark.parametrize("facet", ["publisher", "repository", "organisation", "country"])
def test_changed_since_previous_scan(facet: str) -> None:
    old_purl, new_purl = "pkg:pypi/lib@1.0", "pkg:pypi/lib@1.1"
    before = scan([component(old_purl)], [origin(old_purl, **{facet: claim("alpha")})])
    after = scan([component(new_purl)], [origin(new_purl, **{facet: claim("beta")})])
    same = scan([component(new_purl)], [origin(new_purl, **{facet: claim("ALPHA")})])
    fired = [f for f in judge(after, previous=before).findings if f.rule == "origin.changed"]
    assert len(fired) == 1 and "alpha" in fired[0].message and "beta" in fired[0].message
    assert "origin.changed" not in rules_on(judge(same, previous=before), new_purl)
    assert "origin.changed" not in rules_on(judge(after, previous=None), new_purl)


def test_changed_uses_the_stores_previous_scan(pypi: tuple[PyPIState, str], tmp_path: Path) -> None:
    from auditor.store import open_store

    state, base = pypi
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    write_files(tmp_path / "app", {"requirements.txt": "click==8.5.1\n"})
    config = Config(pypi_url=base, http=FAST, concurrency=2, today=TODAY)

    def history(identity: str):  # type: ignore[no-untyped-def]
        found = store.latest_scan(identity)
        return store.load_scan(found, detail=False) if found else None

    first = run_scan([str(tmp_path / "app")], config, None, None, history)
    store.save_scan(first)
    assert "origin.changed" not in rules_on(first, "pkg:pypi/click@8.5.1")
    doc = state.projects["click"]
    doc["ownership"] = {"organization": "someone-else", "roles": []}  # a takeover
    second = run_scan([str(tmp_path / "app")], config, None, None, history)
    assert "origin.changed" in rules_on(second, "pkg:pypi/click@8.5.1")
    store.close()


# --- model.unvetted ------------------------------------------------------------------------


MODEL = f"pkg:huggingface/acme/tuned@{SHA}"


def _model_scan(roots: tuple[Root, ...] = (), publisher: str = "acme"):  # type: ignore[no-untyped-def]
    return scan(
        [component(MODEL, ComponentKind.MODEL)],
        [origin(MODEL, publisher=claim(publisher), roots=roots)],
    )


def test_unvetted_model_reports_only_while_lists_are_empty(tmp_path: Path) -> None:
    result = judge(_model_scan())
    (hit,) = [f for f in result.findings if f.rule == "model.unvetted"]
    assert hit.action is Action.REPORT


def test_unvetted_publisher_blocks_once_a_list_exists(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, 'vetted_publishers = ["meta-llama"]\n')
    (hit,) = [f for f in judge(_model_scan(), policy).findings if f.rule == "model.unvetted"]
    assert hit.action is Action.BLOCK
    vetted = policy_from(tmp_path, 'vetted_publishers = ["ACME"]\n')
    assert "model.unvetted" not in rules_on(judge(_model_scan(), vetted), MODEL)


def test_unvetted_root_organisation(tmp_path: Path) -> None:
    root = Root(f"pkg:huggingface/other-lab/base@{SHA}", "finetune", "Other Lab Inc.", "XX")
    policy = policy_from(tmp_path, 'vetted_publishers = ["acme"]\n')
    assert "model.unvetted" in rules_on(judge(_model_scan((root,)), policy), MODEL)
    both = policy_from(tmp_path, 'vetted_publishers = ["acme", "Other Lab Inc."]\n')
    assert "model.unvetted" not in rules_on(judge(_model_scan((root,)), both), MODEL)
    listed = policy_from(tmp_path, 'vetted_models = ["acme/tuned"]\n')
    assert "model.unvetted" not in rules_on(judge(_model_scan((root,)), listed), MODEL)


def test_unvetted_applies_to_models_only(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, 'vetted_publishers = ["meta-llama"]\n')
    lib = "pkg:pypi/acme@1"
    result = judge(scan([component(lib)], [origin(lib, publisher=claim("acme"))]), policy)
    assert "model.unvetted" not in rules_on(result, lib)


# --- model.unpinned-revision --------------------------------------------------------------


def test_unpinned_model_revision() -> None:
    pinned = f"pkg:huggingface/acme/m@{SHA}"
    branch = "pkg:huggingface/acme/m@main"
    ds = "pkg:huggingface/acme/d@v1?repository_type=dataset"
    lib = "pkg:pypi/torch@2.5.0"
    result = judge(
        scan(
            [
                component(pinned, ComponentKind.MODEL),
                component(branch, ComponentKind.MODEL),
                component(ds, ComponentKind.DATASET),
                component(lib),
            ]
        )
    )
    assert "model.unpinned-revision" in rules_on(result, branch)
    assert "model.unpinned-revision" in rules_on(result, ds)
    assert "model.unpinned-revision" not in rules_on(result, pinned)
    assert "model.unpinned-revision" not in rules_on(result, lib)


# --- licence.restrictive -----------------------------------------------------------------


def test_restrictive_licence() -> None:
    llama = f"pkg:huggingface/meta-llama/Llama-3.1-8B@{SHA}"
    qwen = f"pkg:huggingface/Qwen/Qwen2.5-7B@{SHA}"
    result = judge(
        scan(
            [
                component(llama, ComponentKind.MODEL, license="LLaMA3.1"),
                component(qwen, ComponentKind.MODEL, license="apache-2.0"),
            ]
        )
    )
    assert "licence.restrictive" in rules_on(result, llama)
    assert "licence.restrictive" not in rules_on(result, qwen)


def test_restrictive_licence_of_a_lineage_root_and_as_licence_ref() -> None:
    """A re-upload labelled apache-2.0 of a Llama-licensed root carries the root's terms; a
    Hub licence written as SPDX (`LicenseRef-llama3.2`) matches like the bare id."""
    quant = f"pkg:huggingface/someone/Llama-3.2-1B-GGUF@{SHA}"
    ref = f"pkg:huggingface/meta-llama/Llama-3.2-1B@{SHA}"
    root = Root(f"pkg:huggingface/meta-llama/Llama-3.2-1B@{SHA}", "quantized", license="llama3.2")
    result = judge(
        scan(
            [
                component(quant, ComponentKind.MODEL, license="apache-2.0"),
                component(ref, ComponentKind.MODEL, license="LicenseRef-llama3.2"),
            ],
            [origin(quant, roots=(root,))],
        )
    )
    assert "licence.restrictive" in rules_on(result, quant)
    assert "licence.restrictive" in rules_on(result, ref)
    [found] = [f for f in result.findings if f.purl == quant and f.rule == "licence.restrictive"]
    assert "lineage roots: llama3.2" in found.message


# --- origin.review-country ---------------------------------------------------------------


def test_review_countries_empty_by_default() -> None:
    p = "pkg:pypi/a@1"
    result = judge(scan([component(p)], [origin(p, country=claim("XX", Strength.INFERRED))]))
    assert "origin.review-country" not in rules_on(result, p)


def test_review_country_on_own_origin_and_on_lineage_roots(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, 'review_countries = ["AQ"]\n')
    own = "pkg:pypi/a@1"
    quant = f"pkg:huggingface/someone/base-GGUF@{SHA}"
    clean = f"pkg:huggingface/someone/other-GGUF@{SHA}"
    root = Root(f"pkg:huggingface/lab/base@{SHA}", "quantized", "Lab", "AQ")
    other = Root(f"pkg:huggingface/lab2/base@{SHA}", "quantized", "Lab 2", "BV")
    result = judge(
        scan(
            [
                component(own),
                component(quant, ComponentKind.MODEL),
                component(clean, ComponentKind.MODEL),
            ],
            [
                origin(own, country=claim("aq", Strength.INFERRED)),
                # the uploader is elsewhere; the lineage root is what is judged
                origin(quant, country=claim("BV", Strength.INFERRED), roots=(root,)),
                origin(clean, country=claim("BV", Strength.INFERRED), roots=(other,)),
            ],
        ),
        policy,
    )
    assert "origin.review-country" in rules_on(result, own)
    assert "origin.review-country" in rules_on(result, quant)
    assert "origin.review-country" not in rules_on(result, clean)


# --- built-in: unsafe pickle, hash mismatch, yanked -----------------------------------------


def test_code_emitted_findings_are_restamped_by_the_pack(tmp_path: Path) -> None:
    weights = "pkg:generic/model.bin?checksum=sha256:" + "0" * 64
    lib = "pkg:pypi/click@8.5.1"
    pickle = Finding(
        "weights.unsafe-pickle", Severity.MEDIUM, Action.WARN, weights, "GLOBAL os.system"
    )
    mismatch = finding("pypi.hash-mismatch", lib, "no file matches")
    yanked = finding("pypi.yanked", lib, "yanked: broken")
    result = judge(scan([component(lib)], findings=[pickle, mismatch, yanked]))
    by_rule = {f.rule: f for f in result.findings}
    assert (by_rule["weights.unsafe-pickle"].severity, by_rule["weights.unsafe-pickle"].action) == (
        Severity.CRITICAL,
        Action.BLOCK,
    )
    assert by_rule["pypi.hash-mismatch"].action is Action.BLOCK
    assert by_rule["pypi.yanked"].action is Action.WARN
    # configurable: severity/action overrides and disable, by id or glob
    policy = policy_from(
        tmp_path,
        'disable = ["pypi.yanked"]\n[severity]\n"*.unsafe-pickle" = "medium"\n'
        '[action]\n"pypi.hash-mismatch" = "warn"\n',
    )
    result = judge(scan([component(lib)], findings=[pickle, mismatch, yanked]), policy)
    by_rule = {f.rule: f for f in result.findings}
    assert "pypi.yanked" not in by_rule
    assert by_rule["weights.unsafe-pickle"].severity is Severity.MEDIUM
    assert by_rule["pypi.hash-mismatch"].action is Action.WARN


def test_no_code_findings_no_builtin_output() -> None:
    lib = "pkg:pypi/click@8.5.1"
    result = judge(scan([component(lib)], [origin(lib)]))
    assert not {f.rule for f in result.findings} & {
        "pypi.yanked",
        "pypi.hash-mismatch",
        "weights.unsafe-pickle",
    }


# --- package.typosquat ---------------------------------------------------------------------


def test_typosquat_on_a_real_lockfile(tmp_path: Path) -> None:
    result = _lockfile_scan(
        tmp_path, "reqeusts==2.32.3\nrequests==2.32.3\nnumpyy==2.0\n", no_resolve=True
    )
    hit = {f.purl: f for f in result.findings if f.rule == "package.typosquat"}
    assert set(hit) == {"pkg:pypi/reqeusts@2.32.3", "pkg:pypi/numpyy@2.0"}
    assert "requests" in hit["pkg:pypi/reqeusts@2.32.3"].message


def test_typosquat_npm_and_distance(tmp_path: Path) -> None:
    squat, fine = "pkg:npm/loadsh@4.17.21", "pkg:npm/lodash@4.17.21"
    result = judge(scan([component(squat), component(fine)]))
    assert "package.typosquat" in rules_on(result, squat)
    assert "package.typosquat" not in rules_on(result, fine)
    far = "pkg:pypi/reqqueests@1"
    assert "package.typosquat" not in rules_on(judge(scan([component(far)])), far)
    wide = policy_from(tmp_path, "typosquat_distance = 3\n")
    assert "package.typosquat" in rules_on(judge(scan([component(far)]), wide), far)


# --- release.young -------------------------------------------------------------------------


def test_young_release_on_real_registry_answer(pypi: tuple[PyPIState, str], tmp_path: Path) -> None:
    _, base = pypi  # click 8.5.1 was uploaded on 2026-11-06 in the recorded document
    early = _lockfile_scan(tmp_path, "click==8.5.1\n", pypi_url=base, today=date(2026, 11, 8))
    assert "release.young" in rules_on(early, "pkg:pypi/click@8.5.1")
    late = _lockfile_scan(tmp_path, "click==8.5.1\n", pypi_url=base, today=date(2026, 12, 30))
    assert "release.young" not in rules_on(late, "pkg:pypi/click@8.5.1")


def test_young_release_threshold_is_configurable(tmp_path: Path) -> None:
    p = "pkg:pypi/a@1"
    s = scan([component(p)], [origin(p, evidence=(upload("2026-11-20T10:00:00Z"),))])
    assert "release.young" not in rules_on(judge(s), p)  # 8 days >= 7
    policy = policy_from(tmp_path, "young_release_days = 30\n")
    assert "release.young" in rules_on(judge(s, policy), p)
    unknown = scan([component(p)], [origin(p, status=OriginStatus.UNKNOWN)])
    assert "release.young" not in rules_on(judge(unknown, policy), p)


# --- one cause, one finding; messages a person can act on ---------------------------------


def test_an_unpinned_reference_is_one_finding(tmp_path: Path) -> None:
    write_files(
        tmp_path / "app",
        {"train.py": 'from transformers import AutoModel\n\n'
                     'm = AutoModel.from_pretrained("Qwen/Qwen2.5-7B-Instruct")\n'},
    )  # fmt: skip
    result = run_scan([str(tmp_path / "app")], Config(store=False, no_resolve=True, today=TODAY))
    rules = [f.rule for f in result.findings if f.purl.startswith("pkg:huggingface/Qwen/")]
    assert "model.unpinned-reference" in rules
    assert "model.unpinned-revision" not in rules


def test_the_unvetted_message_names_who_and_where_from(tmp_path: Path) -> None:
    purl = f"pkg:huggingface/Qwen/Qwen2.5-7B-Instruct@{SHA}"
    model = replace(component(purl, ComponentKind.MODEL), name="Qwen/Qwen2.5-7B-Instruct")
    qwen = origin(purl, publisher=claim("Qwen"), organisation=claim("Alibaba Group"),
                  country=claim("CN"))  # fmt: skip
    policy = policy_from(tmp_path, 'vetted_publishers = ["meta-llama"]\n')
    (hit,) = [f for f in judge(scan([model], [qwen]), policy).findings
              if f.rule == "model.unvetted"]  # fmt: skip
    assert hit.message == (
        "model Qwen/Qwen2.5-7B-Instruct (publisher Qwen; Alibaba Group, CN) is not on the "
        "vetted list (vetted_publishers / vetted_models)"
    )
    unknown = origin(purl)
    (bare,) = [f for f in judge(scan([model], [unknown]), policy).findings
               if f.rule == "model.unvetted"]  # fmt: skip
    assert "unknown" not in bare.message and "publisher not known" in bare.message
