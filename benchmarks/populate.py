"""Fill a git repository with N realistic runs, through the code path ``exec`` records with.

Usage:  python benchmarks/populate.py --runs 10000 DIR

Each run is a ``runledger.model.record.Run`` written by ``Ledger.write_many`` (the objects, then one
create-only ref transaction per batch, refs packed as ``exec`` packs them): params that vary
(learning rate, batch size, optimizer, a nested model table, seed), three metrics with a
100-step series each, a full environment (interpreter, ~150 packages, OS, CPU, variables),
two inputs and two artifacts as pointers (path, size, sha256), and a short output log.
Runs spread over a year and over a few code commits and branches; most end ok, some fail,
a few are interrupted. The same --seed gives the same params and metrics.

DIR is created and made a git repository with one commit when it is not one already.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runledger import __version__, ids  # noqa: E402
from runledger.model.record import GitInfo, MetricSummary, Run  # noqa: E402
from runledger.store import git
from runledger.store.ledger import Ledger  # noqa: E402

BATCH = 1_000
STEPS = 100
YEAR_S = 365 * 24 * 3600
CODE_COMMITS = 8
IDENT = "runledger benchmark <bench@example.com>"

# Names of packages an ML environment typically holds; versions are made up but plausible.
PACKAGE_NAMES = """
absl-py accelerate aiohttp aiosignal alembic annotated-types anyio appdirs argon2-cffi arrow
asttokens astunparse async-timeout attrs babel beautifulsoup4 black bleach blinker boto3
botocore cachetools certifi cffi charset-normalizer click cloudpickle colorama comm contourpy
cryptography cycler datasets debugpy decorator defusedxml dill distlib docker docstring-parser
einops entrypoints evaluate exceptiongroup executing fastjsonschema filelock flask flatbuffers
fonttools frozenlist fsspec gast gitdb gitpython google-auth google-auth-oauthlib google-pasta
greenlet grpcio h11 h5py httpcore httpx huggingface-hub hydra-core idna imageio
importlib-metadata iniconfig ipykernel ipython ipywidgets isort itsdangerous jedi jinja2
jmespath joblib jsonschema jupyter-client jupyter-core keras kiwisolver lightning
lightning-utilities llvmlite markdown markdown-it-py markupsafe matplotlib matplotlib-inline
mdurl mlflow-skinny mpmath msgpack multidict multiprocess mypy-extensions nest-asyncio
networkx nltk numba numpy nvidia-cublas-cu12 nvidia-cuda-runtime-cu12 nvidia-cudnn-cu12
nvidia-ml-py oauthlib omegaconf onnx opencv-python opt-einsum optuna orjson packaging pandas
parso pathspec pexpect pillow pip platformdirs pluggy prometheus-client prompt-toolkit
protobuf psutil ptyprocess pure-eval pyarrow pyasn1 pycparser pydantic pydantic-core pygments
pyparsing pytest python-dateutil pytorch-lightning pytz pyyaml pyzmq regex requests
requests-oauthlib rich rsa s3transfer safetensors scikit-learn scipy seaborn sentencepiece
sentry-sdk setuptools six smmap sniffio soupsieve sqlalchemy stack-data sympy tabulate
tensorboard tensorboard-data-server termcolor threadpoolctl tokenizers tomli torch
torchmetrics torchvision tornado tqdm traitlets transformers triton typer typing-extensions
tzdata urllib3 wandb wcwidth werkzeug wheel wrapt xxhash yarl zipp
""".split()


def package_versions(rng: random.Random) -> dict[str, str]:
    return {
        name: f"{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"
        for name in sorted(PACKAGE_NAMES)
    }


def environment(packages: dict[str, str]) -> dict[str, Any]:
    return {
        "os": {
            "system": "Linux",
            "release": "6.1.0-18-amd64",
            "version": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
            "platform": "Linux-6.1.0-18-amd64-x86_64-with-glibc2.36",
            "machine": "x86_64",
        },
        "cpu": {"model": "AMD EPYC 7B13", "count": 16},
        "hostname": "gpu-node-07",
        "memory_total_bytes": 135_088_521_216,
        "python": {
            "version": "3.11.7",
            "implementation": "CPython",
            "executable": "/opt/venv/bin/python",
            "prefix": "/opt/venv",
        },
        "packages": packages,
        "gpus": [],
        "variables": {
            "CUDA_VISIBLE_DEVICES": "0",
            "LANG": "C.UTF-8",
            "PATH": "/opt/venv/bin:/usr/local/bin:/usr/bin:/bin",
            "VIRTUAL_ENV": "/opt/venv",
        },
    }


def curve(rng: random.Random, start: float, end: float, noise: float) -> list[float]:
    rate = rng.uniform(2.0, 6.0)
    return [
        round(end + (start - end) * math.exp(-rate * step / STEPS) + rng.gauss(0, noise), 5)
        for step in range(STEPS)
    ]


def summary(steps: list[float], values: list[float]) -> MetricSummary:
    low = min(range(len(values)), key=values.__getitem__)
    high = max(range(len(values)), key=values.__getitem__)
    return MetricSummary(
        last=values[-1],
        min=values[low],
        max=values[high],
        last_step=steps[-1],
        min_step=steps[low],
        max_step=steps[high],
        count=len(values),
    )


def pointer(rng: random.Random, path: str, size: int) -> dict[str, Any]:
    digest = hashlib.sha256(f"{path}:{size}:{rng.random()}".encode()).hexdigest()
    return {"path": path, "size": size, "sha256": digest}


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp)) + ".000Z"


def make_run(
    rng: random.Random, started: float, commit: str, branch: str, env: dict[str, Any]
) -> Run:
    lr = round(10 ** rng.uniform(-5, -1), 6)
    batch_size = rng.choice([16, 32, 64, 128, 256])
    optimizer = rng.choice(["adam", "adamw", "sgd"])
    depth = rng.choice([2, 4, 8, 12])
    width = rng.choice([128, 256, 512])
    dropout = round(rng.uniform(0.0, 0.5), 2)
    seed = rng.randrange(10_000)
    epochs = rng.choice([10, 20, 50])
    params = {
        "lr": lr,
        "batch_size": batch_size,
        "optimizer": optimizer,
        "epochs": epochs,
        "seed": seed,
        "model": {"depth": depth, "width": width, "dropout": dropout},
    }
    quality = 1.0 / (1.0 + abs(math.log10(lr) + 3.0)) * (0.7 + 0.03 * depth)
    steps: list[float] = list(range(STEPS))
    series = {
        "loss": (steps, curve(rng, 2.3, 2.3 * (1 - quality) + 0.05, 0.02)),
        "acc": (steps, curve(rng, 0.1, min(0.99, 0.5 + 0.45 * quality), 0.01)),
        "val_loss": (steps, curve(rng, 2.4, 2.4 * (1 - quality) + 0.1, 0.03)),
    }
    roll = rng.random()
    status, exit_code, signal = "ok", 0, None
    if roll > 0.97:
        status, exit_code, signal = "interrupted", 130, 2
    elif roll > 0.88:
        status, exit_code = "failed", 1
    duration = round(rng.uniform(30, 7200), 3)
    command = [
        "python",
        "train.py",
        "--lr",
        str(lr),
        "--batch-size",
        str(batch_size),
        "--optimizer",
        optimizer,
        "--depth",
        str(depth),
    ]
    log_lines = [
        f"step={step} loss={series['loss'][1][step]} acc={series['acc'][1][step]}"
        for step in range(0, STEPS, 5)
    ]
    if status == "failed":
        log_lines.append("RuntimeError: CUDA out of memory.")
    return Run(
        id=ids.new_run_id(started),
        name=rng.choice([None, None, f"{optimizer}-d{depth}"]),
        status=status,
        exit_code=exit_code,
        signal=signal,
        started_at=_iso(started),
        ended_at=_iso(started + duration),
        duration_s=duration,
        command=tuple(command),
        cwd=".",
        user=rng.choice(["ada", "grace", "alan", "edsger"]),
        host=rng.choice(["gpu-node-07", "gpu-node-11", "laptop"]),
        git=GitInfo(
            commit=commit,
            branch=branch,
            remotes={"origin": "https://git.example.com/team/model.git"},
        ),
        params=params,
        param_sources={key: "argv" for key in ("lr", "batch_size", "optimizer")},
        metrics={name: summary(*points) for name, points in series.items()},
        tags=tuple(rng.sample(["baseline", "sweep", "ablation", "candidate"], rng.randint(0, 2))),
        runledger_version=__version__,
        system={"cpu_time_s": round(duration * 1.7, 2), "max_process_rss_bytes": 3 << 30},
        series=series,
        system_series={"rss_mib": ([0.0, 1.0, 2.0], [512.0, 2048.0, 3072.0])},
        environment=env,
        inputs=[
            pointer(rng, "data/train.parquet", 734_003_200),
            pointer(rng, "data/valid.parquet", 81_788_928),
        ],
        artifacts=[
            pointer(rng, f"checkpoints/{optimizer}-{seed}.ckpt", rng.randint(10, 900) << 20),
            pointer(rng, "outputs/metrics.json", rng.randint(500, 4000)),
        ],
        log=("\n".join(log_lines) + "\n").encode(),
    )


def ensure_repo(path: Path) -> git.Repo:
    path.mkdir(parents=True, exist_ok=True)
    if git.run_git(["rev-parse", "--git-dir"], path, check=False).returncode != 0:
        git.run_git(["init", "-q", "-b", "main"], path)
    repo = git.discover(path)
    if git.head_state(repo).commit is None:
        (path / "train.py").write_text("print('step=0 loss=1.0')\n")
        git.run_git(["add", "train.py"], path)
        git.run_git(
            ["-c", "user.name=runledger", "-c", "user.email=bench@example.com"]
            + ["commit", "-q", "-m", "initial"],
            path,
        )
    return repo


def code_commits(repo: git.Repo, count: int) -> list[tuple[str, str]]:
    """(commit, branch) pairs the runs ran on: HEAD and a chain of commits on top of it."""
    head = git.head_state(repo)
    assert head.commit is not None
    writer = git.ObjectWriter(repo)
    tree = repo.git("rev-parse", f"{head.commit}^{{tree}}").stdout.decode().strip()
    commits = [(head.commit, head.branch or "main")]
    parent = head.commit
    for index in range(1, count):
        # Commits reachable from the runs only (no branch ref): the user's branches stay as
        # they are; the run commits keep them alive as their parents.
        parent = writer.commit(tree, [parent], IDENT, 1_700_000_000 + index, f"change {index}\n")
        commits.append((parent, "main" if index % 3 else f"exp-{index}"))
    return commits


def write_runs(
    path: Path,
    indexes: range,
    count: int,
    seed: int,
    now: float,
    commits: list[tuple[str, str]],
    env: dict[str, Any],
    progress: bool,
) -> None:
    """Write the runs numbered ``indexes`` (of ``count``), a batch per ref transaction."""
    ledger = Ledger(git.discover(path))
    rng = random.Random(f"{seed}:{indexes.start}:{indexes.step}")
    begin = time.perf_counter()
    todo = list(indexes)
    for start in range(0, len(todo), BATCH):
        runs = []
        for index in todo[start : start + BATCH]:
            # Oldest first, spread over the year before now, on ever newer code commits.
            started = now - YEAR_S + YEAR_S * (index + rng.random()) / count
            commit, branch = commits[index * len(commits) // count]
            runs.append(make_run(rng, started, commit, branch, env))
        ledger.write_many(runs, IDENT, int(now))
        if progress:
            done = min(start + BATCH, len(todo)) * indexes.step
            rate = done / (time.perf_counter() - begin)
            print(f"\r~{done}/{count} runs ({rate:.0f}/s)", end="", file=sys.stderr, flush=True)


def populate(path: Path, count: int, seed: int = 0, jobs: int = 1, quiet: bool = False) -> float:
    """Write ``count`` runs into the repository at ``path``; return the seconds it took."""
    begin = time.perf_counter()
    repo = ensure_repo(path)
    env = environment(package_versions(random.Random(seed)))
    commits = code_commits(repo, CODE_COMMITS)
    now = time.time()
    jobs = max(1, min(jobs, count // BATCH or 1))
    slices = [range(worker, count, jobs) for worker in range(jobs)]
    if jobs == 1:
        write_runs(path, slices[0], count, seed, now, commits, env, not quiet)
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            futures = [
                pool.submit(
                    write_runs, path, part, count, seed, now, commits, env, not quiet and i == 0
                )
                for i, part in enumerate(slices)
            ]
            for future in futures:
                future.result()
    git.pack_refs(repo)
    if not quiet:
        print(file=sys.stderr)
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="the git repository to write into")
    parser.add_argument("--runs", type=int, required=True, help="how many runs to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of params and metrics")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes writing (default: cores)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    arguments = parser.parse_args()
    if arguments.runs < 0:
        parser.error("--runs must be 0 or more")
    seconds = populate(
        arguments.dir, arguments.runs, arguments.seed, arguments.jobs, arguments.quiet
    )
    print(f"wrote {arguments.runs} runs into {arguments.dir} in {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
