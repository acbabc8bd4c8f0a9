"""Evidence bundles: export -> verify OK -> one flipped byte -> verify fails naming the file;
the documented sha256sum/jq recipe agrees; the store check finds an edited post."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from sqlalchemy import text

from marsad.cli import main
from marsad.report import evidence
from marsad.review import audit
from marsad.store.db import connect
from tests.refer import seed


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evidence")
    engine = connect(seed.store(f"sqlite:///{tmp / 'm.db'}"))
    with engine.begin() as conn:   # a non-ASCII entry too, so the recipe is checked on UTF-8
        audit.append(conn, "user:ريم", "note", "post:telegram/tg-1", {"reason": "خبر وليس إعلانا"})
    manifest = evidence.export(engine, tmp / "bundle", actor="user:rev")
    return tmp / "bundle", manifest, engine


def test_export_then_verify(bundle):
    path, manifest, _ = bundle
    assert manifest["items"] == len(seed.POSTS) and manifest["sealed_now"] == len(seed.POSTS)
    result = evidence.verify_bundle(path)
    assert result["ok"], result["problems"]
    assert result["items"] == len(seed.POSTS) and result["head"] == manifest["audit"]["head"]
    items = [json.loads(line) for line in (path / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {i["id"] for i in items} == {p[1] for p in seed.POSTS}
    assert all(len(i["sha256"]) == 64 and i["captured_at"].endswith("Z") for i in items)


@pytest.mark.parametrize("name", ["items.jsonl", "evidence.jsonl", "audit_log.jsonl", "findings.jsonl",
                                  "manifest.json", "SHA256SUMS", "README.txt"])
def test_one_flipped_byte_is_found_and_named(bundle, tmp_path, name):
    path, _, _ = bundle
    copy = tmp_path / "bundle"
    shutil.copytree(path, copy)
    data = bytearray((copy / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (copy / name).write_bytes(bytes(data))
    result = evidence.verify_bundle(copy)
    assert not result["ok"]
    assert result["problems"][0]["file"] == name, result["problems"]
    assert main(["evidence", "verify", str(copy)]) == 1


def test_a_rewritten_item_with_fixed_up_sums_is_still_caught(bundle, tmp_path):
    """Someone edits an item and recomputes SHA256SUMS and the manifest: the sealed hash differs."""
    path, _, _ = bundle
    copy = tmp_path / "bundle"
    shutil.copytree(path, copy)
    lines = (copy / "items.jsonl").read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[0])
    rec["text"] = "edited"
    lines[0] = audit.canonical(rec)
    (copy / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["items.jsonl"]["sha256"] = evidence.file_sha256(copy / "items.jsonl")
    (copy / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    (copy / "SHA256SUMS").write_text("".join(f"{evidence.file_sha256(copy / n)}  {n}\n" for n in evidence.FILES))
    result = evidence.verify_bundle(copy)
    assert not result["ok"]
    assert result["problems"] == [{"file": "items.jsonl", "line": 1, "error": result["problems"][0]["error"]}]
    assert "sealed hash" in result["problems"][0]["error"]


def test_cli_verify_ok(bundle, capsys):
    path, manifest, _ = bundle
    assert main(["evidence", "verify", str(path)]) == 0
    assert manifest["audit"]["head"] in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("sha256sum") is None, reason="needs jq and sha256sum")
def test_the_documented_shell_recipe_agrees(bundle):
    path, manifest, _ = bundle
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=path).returncode == 0
    readme = (path / "README.txt").read_text(encoding="utf-8")
    script = readme.split("(the first names 64 zeros):")[1].split("The last hash")[0]
    out = subprocess.run(["bash", "-c", script + '\necho "HEAD $prev"'], cwd=path, capture_output=True,
                         text=True, check=True).stdout
    assert "BROKEN" not in out and out.strip().endswith(manifest["audit"]["head"])
    docs = (evidence.Path(evidence.__file__).parents[2] / "docs" / "evidence.md").read_text(encoding="utf-8")
    assert "sha256sum -c SHA256SUMS" in docs and script.strip().splitlines()[0].strip() in docs


def test_store_check_finds_an_edited_post(tmp_path):
    engine = connect(seed.store(f"sqlite:///{tmp_path / 'm.db'}"))
    assert evidence.seal(engine, actor="user:rev")["sealed"] == len(seed.POSTS)
    assert evidence.seal(engine, actor="user:rev")["sealed"] == 0         # sealing is once per item
    with engine.connect() as conn:
        assert evidence.check_store(conn)["ok"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE posts SET text = 'nothing to see' WHERE id = 'fb-1'"))
    with engine.connect() as conn:
        result = evidence.check_store(conn)
    assert not result["ok"] and result["problems"] == [
        {"table": "posts", "post": "facebook/fb-1", "error": "stored post differs from what was sealed"}]


def test_scoped_export_still_verifies(tmp_path):
    engine = connect(seed.store(f"sqlite:///{tmp_path / 'm.db'}"))
    evidence.seal(engine, actor="user:rev", batch=2)                 # several seals
    manifest = evidence.export(engine, tmp_path / "b", actor="user:rev", platform="facebook")
    assert manifest["items"] == 2
    result = evidence.verify_bundle(tmp_path / "b")
    assert result["ok"], result["problems"]


def test_bundle_goes_into_a_new_folder(bundle, tmp_path):
    _, _, engine = bundle
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("x")
    from marsad.errors import InputError
    with pytest.raises(InputError):
        evidence.export(engine, tmp_path / "b", actor="user:rev")
