"""Secrets never reach the ledger (issue 8): every kind, through every path, grepped in git.

One run is fed a dozen kinds of (fake) secrets through every way a value reaches a record:
the environment, the command line, ``-p``, ``--name``/``--tag``/``--note``, a config file,
Hydra's config, ``runledger.log_params``, the metrics file, metric names, the output and the
remote URL. Then every object reachable from ``refs/runledger/`` (run commits, their trees
and blobs, and the code commits they point at) is read back with ``git cat-file --batch`` and
searched for each secret.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Repo

PY = sys.executable
SRC = str(Path(__file__).resolve().parents[1])

AWS_KEY_ID = "AKIAQYLPMN5HHHFPZAM2"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"
GITHUB = "ghp_" + "R2d2C3poBb8Leia0Luke1Han2Solo3Yoda4"
GITLAB = "glpat-" + "Xw3rTy7uIoP9aSdFgH1j"
HUGGING_FACE = "hf_" + "ZyXwVuTsRqPoNmLkJiHgFeDcBa98765432"
OPENAI = "sk-proj-" + "Qm9Zx8Wv7Ut6Sr5Qp4On3Ml2"
SLACK = "xoxb-2048204820-4096409640-QwErTyUiOpAs"
STRIPE = "sk_live_" + "51HgTyRfEdWsQaZx9Pl0"
GOOGLE = "AIza" + "SyB-9876543210zyxwvutsrqponmlkjihgf"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyIjoiYW5uIiwicm9sZSI6ImFkbWluIn0."
    "s3cr3tSignatureValue_QwErTy-12345"
)
PEM_BODY = "MIIEpAIBAAKCAQEAx7Y9nS3cr3tK3yB0dyLineOne+abcdefghijklmnopqrstuv"
PEM = (
    f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\nQm9keUxpbmVUd28=\n-----END RSA PRIVATE KEY-----"
)
DB_PASSWORD = "Tr0ub4dor&3-horse"  # no recognisable shape: masked because of where it comes from
PLAIN_PASSWORD = "correct-horse-battery-staple"
WANDB_KEY = "0123456789abcdef0123456789abcdef01234567"
URL_PASSWORD = "urlPa55w0rdValue"
VAULT = "vault-value-98765"  # only secret because of runledger.secretPattern
BEARER = "bEaReRtOkEnVaLuE0123456789"
LOGGED_PARAM = "loggedParamSecret-42424242"
HYDRA_PASSWORD = "hydraDbPassw0rd-777"

SECRETS = {
    "aws access key id": AWS_KEY_ID,
    "aws secret access key": AWS_SECRET,
    "github token": GITHUB,
    "gitlab token": GITLAB,
    "hugging face token": HUGGING_FACE,
    "openai key": OPENAI,
    "slack token": SLACK,
    "stripe key": STRIPE,
    "google api key": GOOGLE,
    "jwt": JWT,
    "private key block": PEM_BODY,
    "password from the environment": DB_PASSWORD,
    "password on the command line": PLAIN_PASSWORD,
    "wandb login key": WANDB_KEY,
    "password in a url": URL_PASSWORD,
    "configured secret variable": VAULT,
    "bearer token": BEARER,
    "logged param": LOGGED_PARAM,
    "hydra config password": HYDRA_PASSWORD,
}

TRAIN = """\
import json, os, sys
from pathlib import Path
import runledger

print("args:", " ".join(sys.argv[1:]))
# a careless script echoes the secrets of its environment, with no name=value around them
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD", "MYCORP_VAULT"):
    print("connecting with", os.environ[name])
print(Path("data/leaks.txt").read_text())
print(json.dumps({"step": 1, "loss": 0.5, os.environ["METRIC_NAME"]: 0.25}))
runledger.log({"acc": 0.9, "file/" + os.environ["METRIC_NAME"]: 1.0}, step=1)
runledger.log_params({"slack": os.environ["SLACK"], "wandb_api_key": os.environ["LOGGED"]})
hydra = Path("outputs/2026-01-01/10-00-00/.hydra")
hydra.mkdir(parents=True, exist_ok=True)
(hydra / "config.yaml").write_text(
    "db:\\n  password: " + os.environ["HYDRA_PW"] + "\\n  host: db.local\\n"
    "comment: uses " + os.environ["GITLAB"] + "\\n"
)
print("loss=0.125")
"""

WANDB = """\
import sys
print("logged in as", sys.argv[-1][:4] + "...")
"""


def _objects_reachable_from_the_ledger(repo: Repo) -> list[bytes]:
    listing = repo.git("rev-list", "--objects", "--glob=refs/runledger/*")
    oids = [line.split(" ", 1)[0] for line in listing.splitlines() if line.strip()]
    assert oids, "nothing reachable from refs/runledger/"
    proc = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo.path,
        input=("\n".join(oids) + "\n").encode(),
        capture_output=True,
        check=True,
    )
    out, objects, position = proc.stdout, [], 0
    for _ in oids:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        objects.append(out[header_end + 1 : header_end + 1 + size])
        position = header_end + 1 + size + 1
    return objects


def test_no_secret_reaches_any_object_of_the_ledger(repo: Repo) -> None:
    repo.write(".gitignore", "data/\noutputs/\n")
    repo.write("train.py", TRAIN)
    repo.write("bin/wandb", "#!" + PY + "\n" + WANDB)
    (repo.path / "bin" / "wandb").chmod(0o755)
    repo.commit_all("scripts")
    repo.write(
        "data/config.yaml",
        f"api_key: {OPENAI}\nendpoint: https://ann:{URL_PASSWORD}@models.example.com/v1\n"
        f"notes: deploy with {GITLAB}\nsigning: |\n  " + PEM.replace("\n", "\n  ") + "\n",
    )
    repo.write(
        "data/leaks.txt",
        f"Authorization: Bearer {BEARER}\ntoken {JWT}\n{PEM}\n"
        f"fetching https://ann:{URL_PASSWORD}@data.example.com/set\nstripe {STRIPE}\n",
    )
    repo.git("remote", "add", "origin", f"https://ann:{URL_PASSWORD}@github.com/team/proj.git")
    repo.git("config", "runledger.secretPattern", "MYCORP_*")
    env = {
        "PYTHONPATH": SRC,
        "AWS_ACCESS_KEY_ID": AWS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "DB_PASSWORD": DB_PASSWORD,
        "MYCORP_VAULT": VAULT,
        "SLACK": SLACK,
        "LOGGED": LOGGED_PARAM,
        "HYDRA_PW": HYDRA_PASSWORD,
        "GITLAB": GITLAB,
        "METRIC_NAME": GOOGLE,
        "SEED": DB_PASSWORD,  # an allow-listed variable holding a secret's value
    }
    proc = repo.run(
        "exec",
        "-p",
        f"api_key={STRIPE}",
        "-p",
        f"payment={STRIPE}",
        "--name",
        f"try {HUGGING_FACE}",
        "--tag",
        f"t-{GITHUB}",
        "--note",
        f"db pass is {DB_PASSWORD}, key {AWS_KEY_ID}",
        "--",
        PY,
        "train.py",
        "--config",
        "data/config.yaml",
        "--api-key",
        OPENAI,
        f"--token={GITHUB}",
        f"password={PLAIN_PASSWORD}",
        "--hf-token",
        HUGGING_FACE,
        f"{GITHUB}=1",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert repo.run("exec", "bin/wandb", "login", WANDB_KEY, env=env).returncode == 0

    # The terminal shows the user's own output unmasked.
    terminal = proc.stdout.decode()
    for value in (AWS_SECRET, DB_PASSWORD, VAULT, BEARER, JWT, PLAIN_PASSWORD):
        assert value in terminal

    # Both runs are recorded, and what they hold is useful, not blanked.
    runs = {run["command"][1]: run for run in repo.runs_json()}
    train = repo.cli("show", runs["train.py"]["id"], "--json").json()
    assert train["metrics"]["loss"] == 0.125 and train["metrics"]["acc"] == 0.9
    assert train["params"]["db"]["host"] == "db.local"  # from Hydra's config
    # A Hydra app's params are its composed config (argv is not read again); flags that do
    # reach the params are masked.
    assert all(train["params"].get(key, "***") == "***" for key in ("password", "api_key"))
    assert train["git"]["remotes"] == {"origin": "https://github.com/team/proj.git"}
    assert runs["login"]["command"][-1] == "***"
    assert b"connecting with ***" in repo.show_bytes(
        f"refs/runledger/runs/{train['id']}:output.log"
    )

    objects = _objects_reachable_from_the_ledger(repo)
    leaks = {
        kind: value
        for kind, value in SECRETS.items()
        for probe in {value, value[len(value) // 3 : len(value) // 3 + 12]}
        if any(probe.encode() in content for content in objects)
    }
    assert leaks == {}


def test_crash_line_on_screen_and_crash_log_are_masked(capsys) -> None:  # type: ignore[no-untyped-def]
    # A bug's message can quote user data, and crash logs get pasted into public reports.
    from runledger.crash import report_bug

    assert report_bug(ValueError(f"bad value {GITHUB}\nin --token")) == 3
    line = capsys.readouterr().err
    assert line.count("\n") == 1
    assert GITHUB not in line and "bad value *** in --token" in line
    log_path = Path(line.split("details in ")[1].split(";")[0])
    assert GITHUB not in log_path.read_text() and "ValueError" in log_path.read_text()
    log_path.unlink()


def test_configured_patterns_that_do_not_compile_are_reported_and_the_rest_apply(
    repo: Repo,
) -> None:
    repo.git("config", "--add", "runledger.secretPattern", "re:(")
    repo.git("config", "--add", "runledger.secretPattern", "MYCORP_*")
    proc = repo.run(
        "exec", PY, "-c", "import os; print(os.environ['MYCORP_X'])", env={"MYCORP_X": VAULT}
    )
    assert proc.returncode == 0
    assert "runledger: warning: ignoring runledger.secretPattern 're:('" in proc.stderr.decode()
    [run_id] = repo.run_ids()
    assert repo.show_bytes(f"refs/runledger/runs/{run_id}:output.log") == b"***\n"
    json.dumps(repo.runs_json())  # and the run lists
