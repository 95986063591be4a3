"""Tests leave nothing behind: each test's temporary files go to its own folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from runledger.crash import report_bug


def test_a_crash_log_lands_in_the_tests_own_temp_folder(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path_factory.getbasetemp().resolve()
    assert Path(os.environ["TMPDIR"]).resolve().is_relative_to(base)
    assert report_bug(ValueError("boom")) == 3
    message = capsys.readouterr().err
    log = Path(message.split("details in ", 1)[1].split(";", 1)[0])
    assert log.resolve().is_relative_to(base)
    assert Path(tempfile.gettempdir()).resolve().is_relative_to(base)
