"""A store whose puts are not atomic (sftp, ftp, webdav, a mounted share through fsspec): each
upload goes to ``<url>/tmp/`` and is renamed to its object's name once complete, and a get
copies the object and hashes it afterwards. fsspec's own in-memory filesystem (``memory://``)
is such a store; it lives in this process, so push and get run in-process, through the CLI."""

from __future__ import annotations

import sys
import uuid

import fsspec

from tests.conftest import Repo
from tests.test_store import MODEL_CODE, sha

PY = sys.executable


def test_push_and_get_through_a_store_that_renames_its_uploads(repo: Repo) -> None:
    url = f"memory://team-{uuid.uuid4().hex[:12]}/ledger"
    repo.git("config", "runledger.store", url)
    result = repo.cli("exec", "--output", "models", "--", PY, "-c", MODEL_CODE, "m")
    assert result.exit_code == 0, result.stderr
    run_id = repo.run_ids()[0]
    model = (repo.path / "models" / "model.joblib").read_bytes()
    fs, root = fsspec.core.url_to_fs(url)
    fs.pipe_file(f"{root}/tmp/0123456789abcdef", b"another push, in flight")

    pushed = repo.cli("store", "push", run_id, "--json")

    assert pushed.exit_code == 0, pushed.stderr
    assert pushed.json()["uploaded"] == 2
    assert fs.cat_file(f"{root}/sha256/{sha(model)[:2]}/{sha(model)[2:]}") == model
    # the uploads' temporaries are gone; another push's (no age this store can tell) is kept
    assert [path.rsplit("/", 1)[1] for path in fs.ls(f"{root}/tmp", detail=False)] == [
        "0123456789abcdef"
    ]

    got = repo.cli("get", run_id, "model.joblib", "-o", "deploy")
    assert got.exit_code == 0, got.stderr
    assert (repo.path / "deploy" / "model.joblib").read_bytes() == model
    assert "1 file written" in got.stdout and "sha256-checked" in got.stdout

    fs.pipe_file(f"{root}/sha256/{sha(model)[:2]}/{sha(model)[2:]}", b"x" * len(model))
    refused = repo.cli("get", run_id, "model.joblib", "-o", "again")
    assert refused.exit_code != 0
    assert not (repo.path / "again" / "model.joblib").exists()
    assert "Traceback" not in refused.stderr
