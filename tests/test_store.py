"""The object store through the real CLI: against a real S3 API (moto's server on localhost)
and a ``file://`` store; real git remotes, real clones, real subprocesses."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo, git
from tests.team import Clone, clone, make_remote

PY = sys.executable
MODEL_CODE = (
    "import os, sys; os.makedirs('models', exist_ok=True); "
    "open('models/model.joblib', 'wb').write(sys.argv[1].encode() * 1000); "
    "open('models/config.json', 'w').write('{}'); print('acc=0.9')"
)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3_client(moto_endpoint: str) -> Any:
    """One boto3 client for the module's server (a client costs 0.1 s of CPU to make)."""
    import boto3

    env = s3_env(moto_endpoint)
    return boto3.client(
        "s3",
        region_name=env["AWS_DEFAULT_REGION"],
        endpoint_url=moto_endpoint,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def s3_env(endpoint: str) -> dict[str, str]:
    """What a user's provider chain would hold: credentials and (for moto) the endpoint."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }


@pytest.fixture
def s3_url(moto_endpoint: str, s3_client: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    for key, value in s3_env(moto_endpoint).items():
        monkeypatch.setenv(key, value)
    bucket = f"team-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    return f"s3://{bucket}/ledger"


@pytest.fixture(params=["file", "s3"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "s3":
        return str(request.getfixturevalue("s3_url"))
    return (tmp_path / "shared-drive" / "runledger").as_uri()


_OPENED: dict[tuple[str, str], tuple[Any, str]] = {}


def filesystem(url: str) -> tuple[Any, str]:
    """The test's own fsspec filesystem for ``url`` (not runledger's), made once per URL and
    endpoint (an S3 one costs 0.25 s of CPU to make), its listing cache emptied at each use."""
    import fsspec

    key = (url, os.environ.get("AWS_ENDPOINT_URL", ""))
    if key not in _OPENED:
        _OPENED[key] = fsspec.core.url_to_fs(url, skip_instance_cache=True)
    fs, root = _OPENED[key]
    fs.invalidate_cache()
    return fs, root


def list_objects(url: str) -> dict[str, bytes]:
    """Every object under <url>/sha256/, read with fsspec directly (not through runledger)."""
    fs, root = filesystem(url)
    found = fs.find(f"{root}/sha256") if fs.exists(f"{root}/sha256") else []
    return {path[len(root) + 1 :]: fs.cat_file(path) for path in found}


def put_object(url: str, key: str, content: bytes) -> None:
    fs, root = filesystem(url)
    fs.makedirs(f"{root}/{key}".rsplit("/", 1)[0], exist_ok=True)  # a folder, on file://
    fs.pipe_file(f"{root}/{key}", content)


@pytest.fixture
def team(tmp_path: Path, store_url: str) -> tuple[Clone, Clone, str]:
    """Alice and Bob share a git remote and a store (configured in .runledger.toml)."""
    remote = make_remote(tmp_path)
    alice = clone(tmp_path, remote, "alice")
    alice.write(".runledger.toml", f'[store]\nurl = "{store_url}"\n')
    alice.write(".gitignore", "data/\nmodels/\ndeploy/\n")
    alice.commit_all("store")
    alice.git("push", "-q", "origin", "HEAD:main")
    bob = clone(tmp_path, remote, "bob")
    return alice, bob, store_url


def train(repo: Repo, seed: str = "a", *extra: str) -> str:
    result = repo.cli("exec", "--output", "models", *extra, "--", PY, "-c", MODEL_CODE, seed)
    assert result.exit_code == 0, result.stderr
    return str(repo.runs_json()[0]["id"])


def test_push_uploads_artifacts_and_a_clone_gets_them_checked(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, bob, url = team
    run_id = train(alice)
    model = (alice.path / "models/model.joblib").read_bytes()

    pushed = alice.cli("push")

    assert pushed.exit_code == 0, pushed.stderr
    assert "pushed to origin: 1 run" in pushed.stdout
    assert "uploaded 2 objects" in pushed.stderr
    objects = list_objects(url)
    key = f"sha256/{sha(model)[:2]}/{sha(model)[2:]}"
    assert objects[key] == model
    assert all(sha(content) == name.replace("/", "")[6:] for name, content in objects.items())

    bob.ok("pull")
    got = bob.cli("get", run_id, "model.joblib", "-o", "deploy")
    assert got.exit_code == 0, got.stderr
    assert (bob.path / "deploy/model.joblib").read_bytes() == model
    assert not (bob.path / "deploy/config.json").exists()
    assert "1 file written" in got.stdout and "sha256-checked" in got.stdout


def test_get_by_tag_restores_every_artifact_at_its_recorded_path(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, bob, _ = team
    run_id = train(alice, "first")
    alice.ok("tag", run_id, "production")
    alice.ok("push")
    train(alice, "second")  # overwrites models/model.joblib: the tagged bytes are gone here
    alice.ok("push")

    bob.ok("pull")
    got = bob.cli("get", "production")
    assert got.exit_code == 0, got.stderr
    assert (bob.path / "models/model.joblib").read_bytes() == b"first" * 1000
    assert bob.cli("verify", "production").exit_code == 0

    again = bob.cli("get", "production", "--json")
    assert again.exit_code == 0
    assert again.json()["written"] == [] and len(again.json()["already_there"]) == 2


def test_bytes_overwritten_before_the_push_are_named_as_not_uploaded(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, _, _ = team
    first = train(alice, "first")
    train(alice, "second")

    pushed = alice.cli("push")

    assert pushed.exit_code == 0, pushed.stderr
    assert (
        f"not uploaded: {first[:10]} models/model.joblib: changed here since the run"
        in pushed.stderr
    )


def test_a_reproduction_makes_overwritten_bytes_storable_again(repo: Repo, tmp_path: Path) -> None:
    """The re-run's outputs are kept under .git/runledger/reproductions/RUN/: push uploads
    them from there, though the work tree's file has since been overwritten."""
    store_root = tmp_path / "store"
    repo.git("config", "runledger.store", store_root.as_uri())
    repo.write(".gitignore", "models/\n")
    repo.commit_all("ignore models")
    first = train(repo, "first")
    train(repo, "second")  # overwrites models/model.joblib: first's bytes are gone here
    assert "changed here since the run" in repo.cli("store", "push", first).stderr

    proc = repo.run("reproduce", first, "--yes")
    assert proc.returncode == 0, proc.stderr.decode()
    [again] = [run["id"] for run in repo.runs_json() if run["reproduces"] == first]
    pushed = repo.cli("store", "push", again, "--json")

    assert pushed.exit_code == 0, pushed.stderr
    assert "not uploaded" not in pushed.stderr
    assert pushed.json()["runs_stored"] == [again]
    stored = store_root / "sha256" / sha(b"first" * 1000)[:2] / sha(b"first" * 1000)[2:]
    assert stored.read_bytes() == b"first" * 1000
    assert (repo.path / "models/model.joblib").read_bytes() == b"second" * 1000  # untouched
    got = repo.cli("get", first, "model.joblib", "-o", str(tmp_path / "deploy"))
    assert got.exit_code == 0, got.stderr
    assert (tmp_path / "deploy/model.joblib").read_bytes() == b"first" * 1000


def test_get_never_replaces_a_different_local_file_without_force(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, _, _ = team
    run_id = train(alice, "good")
    alice.ok("push")
    (alice.path / "deploy").mkdir()
    (alice.path / "deploy/model.joblib").write_bytes(b"someone else's model")

    refused = alice.cli("get", run_id, "model.joblib", "-o", "deploy")
    assert refused.exit_code == 1
    assert "already exists with other content" in refused.stderr
    assert "--force" in refused.stderr
    assert (alice.path / "deploy/model.joblib").read_bytes() == b"someone else's model"

    forced = alice.cli("get", run_id, "model.joblib", "-o", "deploy", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert (alice.path / "deploy/model.joblib").read_bytes() == b"good" * 1000


def test_identical_bytes_are_stored_once(team: tuple[Clone, Clone, str]) -> None:
    alice, _, url = team
    train(alice, "same")
    alice.ok("push")
    before = list_objects(url)
    train(alice, "same")  # the same model bytes from a second run

    pushed = alice.cli("push", "--json")

    assert pushed.exit_code == 0, pushed.stderr
    store = pushed.json()["store"]
    assert store["uploaded"] == 0 and store["already_stored"] == 2
    assert list_objects(url) == before


def test_a_corrupt_object_is_refused_and_nothing_is_written(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, bob, url = team
    run_id = train(alice, "intact")
    alice.ok("push")
    model = sha(b"intact" * 1000)
    put_object(url, f"sha256/{model[:2]}/{model[2:]}", b"bit rot" * 1000)

    bob.ok("pull")
    got = bob.cli("get", run_id, "-o", "deploy")

    assert got.exit_code == 1
    assert "does not match its name" in got.stderr and "refused" in got.stderr
    assert "Traceback" not in got.stderr
    assert not (bob.path / "deploy/models/model.joblib").exists()
    leftovers = [p.name for p in (bob.path / "deploy").rglob("*") if p.is_file()]
    assert leftovers == ["config.json"]  # the intact one is there, no temporary file


MANY_SIZES = (
    "import os; os.makedirs('models'); "
    "[open(f'models/part-{i:02d}.bin', 'wb').write(os.urandom(3000 + i)) for i in range(24)]; "
    "open('models/weights.bin', 'wb').write(os.urandom(3 << 20))"
)


def test_a_get_of_small_and_large_objects_checks_each_and_refuses_only_the_corrupt_one(
    repo: Repo, store_url: str
) -> None:
    repo.git("config", "runledger.store", store_url)
    run_id = train_with(repo, MANY_SIZES)
    assert repo.cli("store", "push", run_id).exit_code == 0
    originals = {p.name: p.read_bytes() for p in (repo.path / "models").iterdir()}
    broken = sha(originals["part-07.bin"])
    put_object(store_url, f"sha256/{broken[:2]}/{broken[2:]}", b"bit rot" * 400)

    got = repo.cli("get", run_id, "-o", "back")

    assert got.exit_code == 1
    assert "does not match its name" in got.stderr and "part-07.bin not written" in got.stderr
    assert "Traceback" not in got.stderr
    written = {p.name: p.read_bytes() for p in (repo.path / "back/models").iterdir()}
    del originals["part-07.bin"]
    assert written == originals  # the 23 small ones and the 3 MiB one, no temporary file


def test_a_large_object_wrong_only_in_its_last_byte_is_refused_and_nothing_is_written(
    repo: Repo, store_url: str
) -> None:
    repo.git("config", "runledger.store", store_url)
    run_id = train_with(repo, MANY_SIZES)
    assert repo.cli("store", "push", run_id).exit_code == 0
    weights = (repo.path / "models/weights.bin").read_bytes()  # 3 MiB: many copy buffers
    digest = sha(weights)
    damaged = weights[:-1] + bytes([weights[-1] ^ 1])
    put_object(store_url, f"sha256/{digest[:2]}/{digest[2:]}", damaged)

    got = repo.cli("get", run_id, "weights.bin", "-o", "back")

    assert got.exit_code == 1, got.stdout
    assert "does not match its name" in got.stderr and "weights.bin not written" in got.stderr
    assert "Traceback" not in got.stderr
    assert not (repo.path / "back").exists() or not any((repo.path / "back").rglob("*.*"))


def test_a_get_that_cannot_write_a_small_object_from_s3_is_one_line_naming_it(
    repo: Repo, s3_url: str
) -> None:
    repo.git("config", "runledger.store", s3_url)
    run_id = train(repo, "small")
    assert repo.cli("store", "push", run_id).exit_code == 0
    (repo.path / "back").mkdir()
    (repo.path / "back/models").write_text("a file where the folder goes\n")

    got = repo.cli("get", run_id, "-o", "back", "--force")

    assert got.exit_code == 1
    assert got.stderr.count("\n") == 1 and "Traceback" not in got.stderr
    assert "models is a file, not a folder" in got.stderr
    assert (repo.path / "back/models").read_text() == "a file where the folder goes\n"


def test_an_object_gone_from_s3_during_a_get_is_one_error_naming_its_file(
    s3_url: str, tmp_path: Path
) -> None:
    from runledger.store import artifacts

    store = artifacts.ObjectStore.open(s3_url)
    kept, gone = b"kept" * 100, b"gone" * 100  # gone: deleted after get found it listed
    put_object(s3_url, f"sha256/{sha(kept)[:2]}/{sha(kept)[2:]}", kept)
    wanted = [
        (sha(kept), len(kept), tmp_path / "out/kept.bin"),
        (sha(gone), len(gone), tmp_path / "out/gone.bin"),
    ]

    with pytest.raises(artifacts.StoreError) as raised:
        store.download_small(wanted, lambda _: None, jobs=1)

    assert "failed while downloading gone.bin" in str(raised.value)
    assert (tmp_path / "out/kept.bin").read_bytes() == kept
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["kept.bin"]  # no temporary


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_an_object_larger_than_its_record_is_refused_without_reading_it_on_s3(
    repo: Repo, s3_url: str, tmp_path: Path
) -> None:
    repo.git("config", "runledger.store", s3_url)
    run_id = train(repo, "small")
    assert repo.cli("store", "push", run_id).exit_code == 0
    model = sha(b"small" * 1000)
    # the key of a 5,000-byte model now holds 96 MiB (a pulled record may name any object)
    put_object(s3_url, f"sha256/{model[:2]}/{model[2:]}", os.urandom(96 << 20))

    got = repo.cli("get", run_id, "model.joblib", "-o", "deploy")
    status, peak = peak_rss_mib(repo, tmp_path, "get", run_id, "model.joblib", "-o", "again")
    status_nothing, baseline = peak_rss_mib(repo, tmp_path, "get", run_id, "config.json", "-o", "c")

    assert got.exit_code == 1 and status == 1 and status_nothing == 0
    assert "more than the 5000 bytes recorded" in got.stderr and "refused" in got.stderr
    assert not (repo.path / "deploy").exists() or not any((repo.path / "deploy").rglob("*.*"))
    # 5,001 bytes were asked for, not the 96 MiB held in memory or written to a file
    assert peak - baseline < 24, (baseline, peak)


def test_no_store_configured_is_one_line_and_push_still_works(repo: Repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    repo.git("remote", "add", "origin", str(remote))
    run_id = train(repo)
    assert repo.cli("push").exit_code == 0

    got = repo.cli("get", run_id)
    assert got.exit_code == 1
    assert got.stderr.count("\n") == 1 and "no store is configured" in got.stderr


def test_a_missing_provider_package_names_the_extra(repo: Repo) -> None:
    pytest.importorskip("fsspec")
    if __import__("importlib").util.find_spec("gcsfs") is not None:
        pytest.skip("gcsfs is installed here")
    run_id = train(repo)
    repo.git("config", "runledger.store", "gs://team-bucket/runs")

    pushed = repo.cli("store", "push", run_id)

    assert pushed.exit_code == 1
    assert "pip install 'runledger[gcs]'" in pushed.stderr
    assert pushed.stderr.count("\n") == 1


def test_git_config_overrides_the_shared_store(
    team: tuple[Clone, Clone, str], tmp_path: Path
) -> None:
    alice, _, url = team
    personal = (tmp_path / "my-store").as_uri()
    alice.git("config", "runledger.store", personal)
    train(alice)
    alice.ok("push")
    assert len(list_objects(personal)) == 2
    assert list_objects(url) == {}


def test_an_unreachable_store_fails_in_one_line_after_the_runs_reached_git(
    team: tuple[Clone, Clone, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, url = team
    if not url.startswith("s3://"):
        pytest.skip("a file store is always reachable")
    good = os.environ["AWS_ENDPOINT_URL"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    run_id = train(alice)

    pushed = alice.cli("push")

    assert pushed.exit_code == 1
    errors = [line for line in pushed.stderr.splitlines() if line.startswith("runledger:")]
    assert len(errors) == 1 and "the store s3://" in errors[0], pushed.stderr
    assert "Traceback" not in pushed.stderr
    bob.ok("pull")
    assert run_id in bob.ids()  # the run reached git all the same

    # Once the store is back, the next push uploads what the failed one could not.
    monkeypatch.setenv("AWS_ENDPOINT_URL", good)
    again = alice.cli("push")
    assert again.exit_code == 0, again.stderr
    assert "uploaded 2 objects" in again.stderr
    assert len(list_objects(url)) == 2


def test_store_push_of_chosen_runs_writes_their_manifest(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, _, url = team
    run_id = train(alice)

    pushed = alice.cli("store", "push", run_id, "--json")

    assert pushed.exit_code == 0, pushed.stderr
    assert pushed.json()["runs_stored"] == [run_id]
    fs, root = filesystem(url)
    manifest = fs.cat_file(f"{root}/runs/{run_id}.toml").decode()
    assert 'path = "models/model.joblib"' in manifest
    assert sha(b"a" * 1000) in manifest
    assert alice.git("ls-remote", "origin", "refs/runledger/*") == ""  # git untouched


def test_resume_after_a_killed_upload_skips_what_finished(repo: Repo, tmp_path: Path) -> None:
    store_root = tmp_path / "store"
    repo.git("config", "runledger.store", store_root.as_uri())
    code = (
        "import os\n"
        "os.makedirs('models', exist_ok=True)\n"
        "for i in range(24):\n"
        "    open(f'models/shard-{i:02d}.bin', 'wb').write(os.urandom(6 * 1024 * 1024))\n"
    )
    run_id = train_with(repo, code)
    objects_dir = store_root / "sha256"

    upload = subprocess.Popen(
        [PY, "-m", "runledger", "store", "push", run_id, "--jobs", "1"],
        cwd=repo.path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stored_objects(objects_dir):
        time.sleep(0.005)
    upload.send_signal(signal.SIGKILL)
    upload.wait()
    finished = stored_objects(objects_dir)
    assert 0 < len(finished) < 24, "the upload was not caught midway"
    for path in finished:  # a partial upload never leaves a visible object
        assert sha(path.read_bytes()) == path.parent.name + path.name

    resumed = repo.cli("store", "push", run_id, "--json")

    assert resumed.exit_code == 0, resumed.stderr
    report = resumed.json()
    assert report["already_stored"] == len(finished)
    assert report["uploaded"] == 24 - len(finished)
    assert len(stored_objects(objects_dir)) == 24


def test_a_push_removes_what_a_killed_push_left_in_the_stores_tmp(
    repo: Repo, tmp_path: Path
) -> None:
    store_root = tmp_path / "store"
    repo.git("config", "runledger.store", store_root.as_uri())
    run_id = train(repo)
    (store_root / "tmp").mkdir(parents=True)
    left = store_root / "tmp" / "0123456789abcdef"  # a killed push's partial copy
    left.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(left, (two_hours_ago, two_hours_ago))
    running = store_root / "tmp" / "fedcba9876543210"  # another push's upload, in flight
    running.write_bytes(b"in flight")

    pushed = repo.cli("store", "push", run_id, "--json")

    assert pushed.exit_code == 0, pushed.stderr
    assert pushed.json()["uploaded"] == 2
    assert not left.exists()
    assert running.read_bytes() == b"in flight"
    assert sorted(path.name for path in (store_root / "tmp").iterdir()) == [running.name]


def stored_objects(objects_dir: Path) -> list[Path]:
    return sorted(path for path in objects_dir.rglob("*") if path.is_file())


def train_with(repo: Repo, code: str) -> str:
    result = repo.cli("exec", "--output", "models", "--", PY, "-c", code)
    assert result.exit_code == 0, result.stderr
    return str(repo.runs_json()[0]["id"])


READ_DATA = (
    "import pathlib; total = sum(len(p.read_bytes()) for p in sorted(pathlib.Path('data')"
    ".iterdir())); print(f'size={total}')"
)


def test_reproduce_fetches_missing_and_changed_inputs_from_the_store(
    repo: Repo, tmp_path: Path
) -> None:
    repo.git("config", "runledger.store", (tmp_path / "store").as_uri())
    repo.write("data/a.csv", "x,y\n" * 100)
    repo.write("data/b.csv", "x,y\n" * 300)
    result = repo.cli("exec", "--input", "data", "--", PY, "-c", READ_DATA)
    assert result.exit_code == 0, result.stderr
    run_id = repo.runs_json()[0]["id"]
    assert repo.cli("store", "push", run_id, "--inputs").exit_code == 0
    (repo.path / "data/b.csv").write_text("changed\n")  # b changed here
    before = repo.state()

    proc = repo.run("reproduce", run_id, "--yes")

    stderr = proc.stderr.decode()
    assert proc.returncode == 0, stderr
    assert "data/b.csv missing or changed here: fetched from the store" in stderr
    assert stderr.index("fetched from the store") < stderr.index("fetched 1 input")
    assert repo.state() == before  # the user's changed file stays as it is
    rerun = repo.cli("show", repo.runs_json()[0]["id"], "--json").json()
    assert rerun["reproduces"] == run_id
    assert rerun["metrics"]["size"] == 1600


def test_reproduce_without_the_input_in_the_store_still_refuses(repo: Repo, tmp_path: Path) -> None:
    repo.git("config", "runledger.store", (tmp_path / "store").as_uri())
    repo.write("data/a.csv", "x,y\n" * 100)
    assert repo.cli("exec", "--input", "data", "--", PY, "-c", READ_DATA).exit_code == 0
    run_id = repo.runs_json()[0]["id"]
    (repo.path / "data/a.csv").unlink()

    proc = repo.run("reproduce", run_id, "--yes")

    assert proc.returncode != 0
    assert "data/a.csv (missing)" in proc.stderr.decode()


def test_reproduce_fetches_a_declared_file_that_is_gone_here(repo: Repo, tmp_path: Path) -> None:
    repo.git("config", "runledger.store", (tmp_path / "store").as_uri())
    repo.write("data/a.csv", "x,y\n" * 100)
    code = "print(f\"size={len(open('data/a.csv').read())}\")"
    assert repo.cli("exec", "--input", "data/a.csv", "--", PY, "-c", code).exit_code == 0
    run_id = repo.runs_json()[0]["id"]
    assert repo.cli("store", "push", run_id, "--inputs").exit_code == 0
    (repo.path / "data/a.csv").unlink()

    proc = repo.run("reproduce", run_id, "--yes")

    assert proc.returncode == 0, proc.stderr.decode()
    assert not (repo.path / "data/a.csv").exists()
    rerun = repo.cli("show", repo.runs_json()[0]["id"], "--json").json()
    assert [item["path"] for item in rerun["inputs"]] == ["data/a.csv"]


def test_which_and_verify_say_whether_the_bytes_are_in_the_store(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, _, _ = team
    stored = train(alice, "kept")
    alice.ok("push")
    unstored = train(alice, "kept", "--name", "local-only")

    found = alice.cli("which", "models/model.joblib", "--json")
    assert found.exit_code == 0, found.stderr
    by_run = {match["run"]: match["store"] for match in found.json()["matches"]}
    assert by_run == {stored: "stored", unstored: "stored"}  # the same bytes: deduplicated

    table = alice.cli("which", "models/model.joblib")
    assert "store" in table.stdout and "stored" in table.stdout

    assert alice.cli("verify", stored, "--store").exit_code == 0
    checked = alice.cli("verify", stored, "--store", "--json").json()
    assert {item["verdict"] for item in checked["files"]} == {"stored"}


def test_verify_store_names_what_is_not_stored(team: tuple[Clone, Clone, str]) -> None:
    alice, _, _ = team
    run_id = train(alice, "never pushed")

    result = alice.cli("verify", run_id, "--store")

    assert result.exit_code == 1
    assert "not stored" in result.stdout
    assert "in the store" in result.stdout


def test_a_terminal_gets_a_progress_bar_and_a_pipe_one_summary_line(
    repo: Repo, tmp_path: Path
) -> None:
    import pty

    repo.git("config", "runledger.store", (tmp_path / "store").as_uri())
    code = "import os; os.makedirs('models'); open('models/w.bin', 'wb').write(os.urandom(1 << 22))"
    run_id = train_with(repo, code)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("COLUMNS", None)

    main, secondary = pty.openpty()
    upload = subprocess.Popen(
        [PY, "-m", "runledger", "store", "push", run_id],
        cwd=repo.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=secondary,
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = upload.communicate(timeout=60)
    os.close(main)

    assert upload.returncode == 0
    assert b"uploading 1 file" in shown  # the bar, drawn on the terminal (stderr)
    assert b"4.2/4.2 MB" in shown  # bytes done of bytes to do (and a rate column)
    assert stdout.decode().startswith(f"store {(tmp_path / 'store').as_uri()}: uploaded 1 object")

    piped = repo.run("store", "push", run_id)
    assert piped.returncode == 0
    assert piped.stderr == b""
    assert piped.stdout.decode().count("\n") == 1 and "0 objects" in piped.stdout.decode()


def test_a_multipart_upload_killed_midway_leaves_no_object_on_s3(
    repo: Repo, s3_url: str, s3_client: Any
) -> None:
    repo.git("config", "runledger.store", s3_url)
    # above SINGLE_PUT_LIMIT (100 MiB), so sent in parts (a smaller file is one put)
    code = (
        "import os; os.makedirs('models'); open('models/big.bin','wb').write(os.urandom(13 << 23))"
    )
    run_id = train_with(repo, code)
    bucket = s3_url.split("/")[2]
    s3 = s3_client

    upload = subprocess.Popen(
        [PY, "-m", "runledger", "store", "push", run_id],
        cwd=repo.path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not s3.list_multipart_uploads(Bucket=bucket).get(
        "Uploads"
    ):
        time.sleep(0.01)
    upload.send_signal(signal.SIGKILL)
    upload.wait()

    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads"), "not caught midway"
    assert list_objects(s3_url) == {}  # the incomplete upload is invisible
    resumed = repo.cli("store", "push", run_id, "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.json()["uploaded"] == 1
    [(name, content)] = list_objects(s3_url).items()
    assert sha(content) == name.replace("/", "")[6:]


def test_a_pulled_record_cannot_make_get_write_outside_the_folder(
    tmp_path: Path, store_url: str
) -> None:
    remote = make_remote(tmp_path)
    mallory = clone(tmp_path, remote, "mallory")
    content = b"payload"
    run_id = mallory.record(
        artifacts=[{"path": "../../escaped.txt", "size": len(content), "sha256": sha(content)}]
    )
    mallory.git("config", "runledger.store", store_url)
    put_object(store_url, f"sha256/{sha(content)[:2]}/{sha(content)[2:]}", content)

    got = mallory.cli("get", run_id, "-o", "out")

    assert got.exit_code != 0
    assert "leaves its folder" in got.stderr and got.stderr.count("\n") == 1
    assert (
        not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()
    )


SMALL_FILES = (
    "import os\n"
    "os.makedirs('models', exist_ok=True)\n"
    "for i in range(40):\n"
    "    open(f'models/part-{i:02d}.bin', 'wb').write(os.urandom(2000 + i))\n"
)


class Spy:
    """The store's real fsspec filesystem, counting the calls made through it."""

    def __init__(self, fs: object) -> None:
        self.fs = fs
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> object:
        self.calls[name] = self.calls.get(name, 0) + 1
        return getattr(self.fs, name)


def test_push_and_get_ask_the_store_with_listings_not_a_request_per_object(
    repo: Repo, s3_url: str, tmp_path: Path
) -> None:
    from runledger.analysis.transfers import get_files, plan_get, push_runs
    from runledger.store.artifacts import ObjectStore
    from runledger.store.git import discover
    from runledger.store.ledger import Ledger

    run_id = train_with(repo, SMALL_FILES)
    ledger_repo = discover(repo.path)
    store = ObjectStore.open(s3_url)
    spy = Spy(store.fs)
    store.fs = spy

    report = push_runs(ledger_repo, store, [run_id])

    assert report.uploaded == 40
    # an empty store: one listing of a folder, then one of everything; no HEAD per object
    assert spy.calls.get("find") == 2
    assert "exists" not in spy.calls and "info" not in spy.calls
    spy.calls.clear()
    wanted = plan_get(Ledger(ledger_repo).read(run_id), [], tmp_path / "out", False)
    got = get_files(ledger_repo, store, wanted)
    assert len(got.written) == 40
    assert spy.calls.get("find") == 2 and "info" not in spy.calls
    for i in range(40):
        name = f"models/part-{i:02d}.bin"
        assert (tmp_path / "out" / name).read_bytes() == (repo.path / name).read_bytes()


def test_a_folder_store_is_listed_once_and_asked_only_where_an_objects_folder_exists(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from runledger.analysis import transfers
    from runledger.store.artifacts import ObjectStore
    from runledger.store.git import discover

    run_id = train_with(repo, SMALL_FILES)
    url = (tmp_path / "store").as_uri()
    asked: list[str] = []
    size_of = ObjectStore.size_of
    monkeypatch.setattr(
        ObjectStore, "size_of", lambda self, digest: asked.append(digest) or size_of(self, digest)
    )

    report = transfers.push_runs(discover(repo.path), ObjectStore.open(url), [run_id])

    assert report.uploaded == 40 and report.present == 0
    assert asked == []  # an empty store: one listing, no question per object (before: 40)
    objects = list_objects(url)
    stored = {name.replace("/", "")[6:]: len(content) for name, content in objects.items()}
    assert len(stored) == 40
    present = sorted(stored)[:5]
    beside = present[0][:2] + "0" * 62  # absent, in a folder that exists
    folders = {digest[:2] for digest in stored}
    elsewhere = next(f"{i:02x}" for i in range(256) if f"{i:02x}" not in folders) + "0" * 62
    store = ObjectStore.open(url)

    sizes = transfers.stored_sizes(store, [*present, beside, elsewhere])

    assert sizes == {digest: stored[digest] for digest in present} | {beside: None, elsewhere: None}
    assert sorted(asked) == sorted([*present, beside])  # not the one whose folder is absent
    # the store emptied after it was listed: the upload makes the folders again
    shutil.rmtree(tmp_path / "store" / "sha256")
    source = repo.path / "models" / "part-00.bin"
    store.upload(source, sha(source.read_bytes()), lambda _: None)
    assert list(list_objects(url).values()) == [source.read_bytes()]


def test_stored_sizes_is_right_whichever_way_it_asks(
    repo: Repo, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runledger.analysis import transfers
    from runledger.store.artifacts import ObjectStore

    store = ObjectStore.open(s3_url)
    stored = {sha(bytes([i]) * 100): 100 + i for i in range(30)}
    for digest, size in stored.items():
        put_object(s3_url, f"sha256/{digest[:2]}/{digest[2:]}", b"x" * size)
    put_object(s3_url, "sha256/zz/not-an-object", b"x")  # not a name runledger writes
    put_object(s3_url, "tmp/0123abcd", b"x")  # an upload in flight
    absent = [sha(f"absent {i}".encode()) for i in range(30)]
    asked = [*list(stored)[:20], *absent]
    truth = {digest: stored.get(digest) for digest in asked}

    assert transfers.stored_sizes(store, asked) == truth  # a small store: listed whole
    monkeypatch.setattr(transfers, "PREFIXES", 10**6)  # as if the store held many more
    assert transfers.stored_sizes(store, asked) == truth  # by folder
    monkeypatch.setattr(transfers, "LIST_PAGE", 1)  # and each folder took many pages
    assert transfers.stored_sizes(store, asked) == truth  # one request per object
    assert transfers.stored_sizes(store, []) == {}


def test_the_upload_memory_budget_never_lends_more_than_it_has() -> None:
    import threading

    from runledger.analysis.transfers import _Budget

    budget = _Budget(100)
    held = [0]
    peak = [0]
    lock = threading.Lock()

    def take(amount: int) -> None:
        with budget.hold(amount):
            with lock:
                held[0] += min(amount, 100)
                peak[0] = max(peak[0], held[0])
            time.sleep(0.01)
            with lock:
                held[0] -= min(amount, 100)

    threads = [threading.Thread(target=take, args=(n,)) for n in [60, 30, 30, 250, 10, 0] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert not any(thread.is_alive() for thread in threads)  # one above the total still ran
    assert 0 < peak[0] <= 100 and held[0] == 0 and budget.left == 100


PEAK_RSS = (
    "import atexit, runpy, sys\n"
    "def report(out=sys.argv[1]):\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            open(out, 'w').write(line.split()[1])\n"
    "atexit.register(report)\n"
    "sys.argv = ['runledger', *sys.argv[2:]]\n"
    "runpy.run_module('runledger', run_name='__main__', alter_sys=True)\n"
)


def peak_rss_mib(repo: Repo, tmp_path: Path, *args: str) -> tuple[int, float]:
    """Run runledger ARGS in a process of its own; its exit status and its peak resident
    memory (its own VmHWM: ru_maxrss would count the memory of the process that forked it)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    report = tmp_path / f"peak-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [PY, "-c", PEAK_RSS, str(report), *args],
        cwd=repo.path,
        env=env,
        capture_output=True,
        check=False,
    )
    return done.returncode, int(report.read_text()) / 1024  # kB


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_memory_stays_bounded_for_a_large_object_on_s3(
    repo: Repo, s3_url: str, tmp_path: Path
) -> None:
    repo.git("config", "runledger.store", s3_url)
    code = "import os; os.makedirs('models'); open('models/big.bin','wb').write(os.urandom(15<<23))"
    run_id = train_with(repo, code)

    status, pushing = peak_rss_mib(repo, tmp_path, "store", "push", run_id)
    assert status == 0
    status, getting = peak_rss_mib(repo, tmp_path, "get", run_id, "-o", "back")
    assert status == 0
    # the same process with the store and nothing to transfer
    status, baseline = peak_rss_mib(repo, tmp_path, "store", "push", run_id)
    assert status == 0

    assert (repo.path / "back/models/big.bin").stat().st_size == 15 << 23  # 120 MiB
    # above SINGLE_PUT_LIMIT: two 16 MiB parts at a time (and the copy the HTTP client makes
    # of them: 64 MiB measured), not ten parts or ten 50 MiB ranges of the file at once
    assert pushing - baseline < 80, (baseline, pushing)
    assert getting - baseline < 80, (baseline, getting)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_a_single_put_streams_the_file_instead_of_holding_it_on_s3(
    repo: Repo, s3_url: str, tmp_path: Path
) -> None:
    repo.git("config", "runledger.store", s3_url)
    code = "import os; os.makedirs('models'); open('models/mid.bin','wb').write(os.urandom(6<<23))"
    run_id = train_with(repo, code)

    status, pushing = peak_rss_mib(repo, tmp_path, "store", "push", run_id)
    assert status == 0
    status, baseline = peak_rss_mib(repo, tmp_path, "store", "push", run_id)  # nothing to send
    assert status == 0

    [(name, content)] = list_objects(s3_url).items()
    assert len(content) == 6 << 23 and sha(content) == name.replace("/", "")[6:]
    # 48 MiB, below SINGLE_PUT_LIMIT: one put whose body is read from the file as it is
    # sent, not the file read whole and copied again by the HTTP client (+96 MiB)
    assert pushing - baseline < 24, (baseline, pushing)


def test_a_file_changed_after_push_checked_it_never_becomes_an_object(
    repo: Repo, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runledger.analysis import transfers
    from runledger.errors import UserError
    from runledger.store.artifacts import ObjectStore
    from runledger.store.git import discover

    code = "import os; os.makedirs('models'); open('models/m.bin', 'wb').write(b'A' * 5000)"
    run_id = train_with(repo, code)
    checked = transfers._local_sources

    def then_overwritten(*args: Any) -> Any:
        found = checked(*args)
        # another process rewrites the file between push's check and its upload
        (repo.path / "models/m.bin").write_bytes(b"B" * 5000)
        return found

    monkeypatch.setattr(transfers, "_local_sources", then_overwritten)
    store = ObjectStore.open(store_url)
    with pytest.raises(UserError, match="changed while it was uploaded"):
        transfers.push_runs(discover(repo.path), store, [run_id])

    # nothing stored under the name of bytes it does not hold (before: B's bytes as A's name)
    assert all(
        sha(content) == name.replace("/", "")[6:]
        for name, content in list_objects(store_url).items()
    )
    assert list_objects(store_url) == {}


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed-file", "named-temporary"])
def test_a_folder_store_copies_without_sendfile_where_the_kernel_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unnamed: bool
) -> None:
    import errno

    from runledger.store import artifacts

    def refuse(*_: object) -> int:
        raise OSError(errno.EINVAL, "sendfile not supported here")

    monkeypatch.setattr(artifacts, "READ_SIZE", 1000)  # several chunks
    monkeypatch.setattr(os, "sendfile", refuse)
    if not unnamed:  # a filesystem without O_TMPFILE
        monkeypatch.setattr(artifacts, "_open_unnamed", lambda folder: None)
    store = artifacts.ObjectStore.open((tmp_path / "store").as_uri())
    content = os.urandom(4321)
    source = tmp_path / "model.bin"
    source.write_bytes(content)

    store.upload(source, sha(content), lambda _: None)

    assert Path(store.path_of(sha(content))).read_bytes() == content
    temporaries = tmp_path / "store" / "tmp"  # the temporary name was moved (or never made)
    assert not temporaries.exists() or not any(temporaries.iterdir())


def test_a_manifest_reads_back_as_written_whatever_its_paths() -> None:
    from runledger.analysis.transfers import manifest_text
    from runledger.model import tomlcodec

    def document(*paths: str) -> dict[str, object]:
        objects = [
            {
                "role": "artifact",
                "path": path,
                "size": 10**12 + i,
                "sha256": sha(path.encode(errors="surrogateescape")),
            }
            for i, path in enumerate(paths)
        ]
        return {
            "version": 1,
            "run": "0" * 26,
            "pushed_at": "2026-12-06T22:00:00Z",
            "pushed_by": "Ann <ann@example.com>",
            "objects": objects,
        }

    plain = document("models/model.joblib", "models/é ü/∂.bin", "a b/c.d")
    assert tomlcodec.loads(manifest_text(plain)) == plain
    assert manifest_text(plain).count("[[objects]]") == 3
    odd = ['say "hi".txt', "back\\slash", "tab\there", "bad\udcff.pt", "new\nline"]
    for path in odd:  # written through the general writer, read back the same
        each = document("models/model.joblib", path)
        assert tomlcodec.loads(manifest_text(each)) == each
    missing = {**document("a"), "not_stored": ["b", 'c "quoted"']}
    assert tomlcodec.loads(manifest_text(missing)) == missing
    assert tomlcodec.loads(manifest_text(document())) == document()


def test_parallel_keeps_order_and_stops_at_the_first_error() -> None:
    import threading

    from runledger.analysis.transfers import _parallel

    assert _parallel(4, list(range(50)), lambda n: n * n) == [n * n for n in range(50)]
    assert _parallel(4, [], lambda n: n) == []
    started: list[int] = []
    lock = threading.Lock()

    def task(n: int) -> int:
        with lock:
            started.append(n)
        if n == 3:
            raise ValueError("three")
        time.sleep(0.001)
        return n

    with pytest.raises(ValueError, match="three"):
        _parallel(2, list(range(200)), task)
    assert 3 in started and len(started) < 200  # what was not started is not run


def test_a_get_removes_what_a_killed_get_left_beside_its_files(
    team: tuple[Clone, Clone, str],
) -> None:
    alice, bob, _ = team
    run_id = train(alice, "first")
    alice.ok("push")
    bob.ok("pull")
    models = bob.path / "models"
    models.mkdir()
    left = models / ".model.joblib.k1ll3d.runledger-part"  # a killed get's partial download
    left.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(left, (two_hours_ago, two_hours_ago))
    running = models / ".model.joblib.4ct1ve.runledger-part"  # another get, in flight
    running.write_bytes(b"in flight")
    own = models / ".notes.runledger-part.bak"  # not runledger's: never touched
    own.write_bytes(b"mine")
    os.utime(own, (two_hours_ago, two_hours_ago))

    got = bob.cli("get", run_id)

    assert got.exit_code == 0, got.stderr
    assert (models / "model.joblib").read_bytes() == b"first" * 1000
    assert not left.exists()
    assert running.read_bytes() == b"in flight"
    assert own.read_bytes() == b"mine"


def test_a_get_removes_no_part_file_that_its_rename_already_took(
    team: tuple[Clone, Clone, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, _ = team
    run_id = train(alice, "first")
    alice.ok("push")
    bob.ok("pull")
    removed: list[str] = []
    unlink = os.unlink

    def spying(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith(".runledger-part"):
            removed.append(os.path.basename(path))
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", spying)

    got = bob.cli("get", run_id)

    assert got.exit_code == 0, got.stderr
    assert (bob.path / "models" / "model.joblib").read_bytes() == b"first" * 1000
    assert sorted(path.name for path in (bob.path / "models").iterdir()) == [
        "config.json",
        "model.joblib",
    ]
    assert removed == []  # before: one failing unlink a file, after its rename


def test_a_push_with_nothing_new_leaves_the_manifest_unwritten(repo: Repo, tmp_path: Path) -> None:
    store_root = tmp_path / "store"
    repo.git("config", "runledger.store", store_root.as_uri())
    run_id = train(repo)
    assert repo.cli("store", "push", run_id).exit_code == 0
    manifest = store_root / "runs" / f"{run_id}.toml"
    first = manifest.stat()
    written = manifest.read_bytes()

    again = repo.cli("store", "push", run_id, "--json")

    assert again.exit_code == 0, again.stderr
    assert again.json()["already_stored"] == 2 and again.json()["runs_stored"] == [run_id]
    assert manifest.read_bytes() == written
    assert (manifest.stat().st_ino, manifest.stat().st_mtime_ns) == (
        first.st_ino,
        first.st_mtime_ns,
    )

    # A manifest that says less than the store holds (an object stored by another run's push
    # since) is still completed.
    manifest.write_text(written.decode().split("\n[[objects]]")[0] + "\n")
    completed = repo.cli("store", "push", run_id)
    assert completed.exit_code == 0, completed.stderr
    assert manifest.read_text().count("[[objects]]") == 2


def test_s3_puts_carry_the_objects_sha256_for_the_store_to_check(
    repo: Repo, s3_url: str, s3_client: Any
) -> None:
    import base64

    repo.git("config", "runledger.store", s3_url)
    code = (
        "import os; os.makedirs('models'); open('models/small.bin','wb').write(os.urandom(5000));"
        " open('models/mid.bin','wb').write(os.urandom(3 << 20))"  # a streamed single put
    )
    run_id = train_with(repo, code)

    pushed = repo.cli("store", "push", run_id, "--json")

    assert pushed.exit_code == 0, pushed.stderr
    assert pushed.json()["uploaded"] == 2
    bucket, _, prefix = s3_url.removeprefix("s3://").partition("/")
    for name in ("small.bin", "mid.bin"):
        digest = hashlib.sha256((repo.path / "models" / name).read_bytes()).digest()
        key = f"{prefix}/sha256/{digest.hex()[:2]}/{digest.hex()[2:]}"
        head = s3_client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        # sent with the put (S3 checks the body against it and refuses a mismatch)
        assert head.get("ChecksumSHA256") == base64.b64encode(digest).decode(), name


@pytest.mark.parametrize("unnamed", [True, False], ids=["unnamed-file", "named-temporary"])
def test_a_folder_store_never_overwrites_an_object_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unnamed: bool
) -> None:
    from runledger.store import artifacts

    if unnamed and not hasattr(os, "O_TMPFILE"):
        pytest.skip("no O_TMPFILE on this system")
    if not unnamed:
        monkeypatch.setattr(artifacts, "_open_unnamed", lambda folder: None)
    store = artifacts.ObjectStore.open((tmp_path / "store").as_uri())
    content = os.urandom(5000)
    source = tmp_path / "model.bin"
    source.write_bytes(content)
    fresh = tmp_path / "fresh.bin"
    fresh.write_bytes(content[::-1])

    store.upload(fresh, sha(content[::-1]), lambda _: None)
    made = Path(store.path_of(sha(content[::-1])))
    assert made.read_bytes() == content[::-1]
    umask = os.umask(0)
    os.umask(umask)
    assert made.stat().st_mode & 0o777 == 0o666 & ~umask  # data, not a program
    # an object that appeared since the store was asked (another push's, same name)
    theirs = Path(store.path_of(sha(content)))
    theirs.parent.mkdir(parents=True, exist_ok=True)
    theirs.write_bytes(content)
    before = theirs.stat()

    store.upload(source, sha(content), lambda _: None)

    after = theirs.stat()
    if unnamed:  # linked, never replaced
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert theirs.read_bytes() == content
    temporaries = tmp_path / "store" / "tmp"
    assert not temporaries.exists() or not any(temporaries.iterdir())
    objects = sorted(p.relative_to(tmp_path / "store") for p in (tmp_path / "store").rglob("*"))
    assert [p for p in objects if p.parts[0] == "sha256" and len(p.parts) == 3] == sorted(
        Path(store.path_of(digest)).relative_to(tmp_path / "store")
        for digest in (sha(content), sha(content[::-1]))
    )


def test_an_s3_download_is_hashed_once_not_also_by_botocore(s3_url: str) -> None:
    import fsspec

    from runledger.store import artifacts

    store = artifacts.ObjectStore.open(s3_url)
    # runledger's sha256 of every byte is the check; botocore's CRC32/SHA-256 of the body
    # as it arrives would be a second pass over it
    assert store.fs.config_kwargs.get("response_checksum_validation") == "when_required"
    # a user's own setting is theirs
    fs, _ = fsspec.core.url_to_fs(
        s3_url,
        skip_instance_cache=True,
        config_kwargs={"response_checksum_validation": "when_supported"},
    )
    artifacts._skip_response_checksums(fs)
    assert fs.config_kwargs["response_checksum_validation"] == "when_supported"
