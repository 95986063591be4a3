"""How one environment differs from another, what matters first.

The order is the one a user needs when a re-run may fail or compute something else:

1. packages the run used (environment.toml ``[used]``) that the other side lacks;
2. packages the run used, at other versions;
3. Python, CUDA (the driver's and torch's), the GPU and its driver;
4. everything else (packages the run did not import), collapsed with a count.

When a record has no ``[used]`` (a non-Python program, an older record), every package might
have been used: its differences come in 4, ordered missing first, then other versions, then
packages only the other side has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runledger.analysis.diff import PLATFORM_FACT, Change, diff_environment, package_key

# runledger's own version is not part of what the command computes.
NOT_DRIFT_PACKAGES = frozenset({"runledger"})
_GPU_FIELD_LABEL = {"name": "", "driver_version": " driver", "cuda_driver_version": " CUDA"}
_FACT_LABEL = {
    "python.version": "Python",
    "python.implementation": "Python implementation",
    "torch.cuda": "torch CUDA",
    "torch.cudnn": "torch cuDNN",
    "gpus.count": "GPUs",
}


def used_packages(environment: Mapping[str, Any]) -> dict[str, str] | None:
    """environment.toml ``[used]``: the distributions the program imported, or None."""
    used = environment.get("used")
    if not isinstance(used, Mapping):
        return None
    return {str(name): str(version) for name, version in used.items()}


@dataclass(frozen=True)
class EnvironmentDrift:
    """The differences of ``current`` from ``recorded``, in the order that matters."""

    missing_used: tuple[Change, ...] = ()  # key: name, a: recorded version, b: None
    used_versions: tuple[Change, ...] = ()  # key: name, a: recorded, b: current version
    platform: tuple[str, ...] = ()  # Python, CUDA, GPU, driver: one line each
    other: tuple[str, ...] = ()  # everything else, one line each
    used_recorded: bool = False  # the original said which packages it used

    def __bool__(self) -> bool:
        return bool(self.missing_used or self.used_versions or self.platform or self.other)

    def leading(self) -> list[str]:
        """Lines 1 to 3: what matters, in order."""
        lines = [
            f"{change.key} {change.a} (used by the run; not installed here)"
            for change in self.missing_used
        ]
        lines += [
            f"{change.key} {change.a} -> {change.b} (used by the run)"
            for change in self.used_versions
        ]
        return lines + list(self.platform)

    def collapsed(self) -> str | None:
        """Line 4: the rest as a count, naming the first few."""
        if not self.other:
            return None
        count = len(self.other)
        what = "packages the run did not import" if self.used_recorded else "packages"
        shown = ", ".join(self.other[:3]) + (", …" if count > 3 else "")
        return f"{count} other difference{'s' * (count != 1)} ({what}): {shown}"

    def lines(self) -> list[str]:
        """Every line in order, the rest collapsed into one."""
        collapsed = self.collapsed()
        return self.leading() + ([collapsed] if collapsed else [])

    def count(self) -> int:
        return (
            len(self.missing_used) + len(self.used_versions) + len(self.platform) + len(self.other)
        )


def environment_drift(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> EnvironmentDrift:
    """How ``current`` (here, now, or another run) differs from the ``recorded`` environment."""
    used = used_packages(recorded)
    current_packages = _installed(current)
    missing: list[Change] = []
    versions: list[Change] = []
    used_keys: set[str] = set()
    if used is not None and current_packages is not None:
        for name, version in used.items():
            key = package_key(name)
            used_keys.add(key)
            if key in NOT_DRIFT_PACKAGES:
                continue
            found = current_packages.get(key)
            if found is None:
                missing.append(Change(name, version, None))
            elif found[1] != version:
                versions.append(Change(name, version, found[1]))

    changes = diff_environment(recorded, current)
    platform: list[str] = []
    for change in changes.system:
        match = PLATFORM_FACT.match(change.key)
        if match is None or change.a is None:
            continue  # not recorded then: nothing to compare with
        if match["gpu"] is not None:
            label = f"GPU {match['gpu']}{_GPU_FIELD_LABEL[match['field']]}"
        else:
            label = _FACT_LABEL.get(change.key, change.key)
        platform.append(f"{label} {change.a} -> {change.b if change.b is not None else 'none'}")

    removed, changed, added = [], [], []
    for change in changes.packages:
        key = package_key(change.key)
        if key in NOT_DRIFT_PACKAGES or key in used_keys:
            continue
        if change.kind == "removed":
            removed.append(f"{change.key} {change.a} (not installed here)")
        elif change.kind == "added":
            added.append(f"{change.key} {change.b} (not in the original)")
        else:
            changed.append(f"{change.key} {change.a} -> {change.b}")
    return EnvironmentDrift(
        missing_used=tuple(missing),
        used_versions=tuple(versions),
        platform=tuple(platform),
        other=tuple(removed + changed + added),
        used_recorded=used is not None,
    )


def _installed(environment: Mapping[str, Any]) -> dict[str, tuple[str, str]] | None:
    """Normalized name -> (name, version) of what is installed (with what was used)."""
    packages = environment.get("packages")
    used = environment.get("used")
    if not isinstance(packages, Mapping) and not isinstance(used, Mapping):
        return None
    found: dict[str, tuple[str, str]] = {}
    for table in (packages, used):
        if isinstance(table, Mapping):
            found.update(
                (package_key(str(name)), (str(name), str(version)))
                for name, version in table.items()
            )
    return found
