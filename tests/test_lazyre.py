"""Patterns compiled on first use (runledger/recording/capture/lazyre.py)."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runledger.recording.capture import lazyre, metrics, output_formats


def test_a_pattern_is_compiled_on_first_use_and_then_is_the_real_pattern() -> None:
    namespace: dict[str, Any] = {"WORD": lazyre.compile_later(r"(\w+)=(\d+)", re.IGNORECASE)}
    lazyre.bind(namespace)
    assert not isinstance(namespace["WORD"], re.Pattern)
    assert lazyre.pending(namespace) == ["WORD"]
    stand_in = namespace["WORD"]
    found = stand_in.search("LR=3")
    assert found is not None and found.groups() == ("LR", "3")
    assert isinstance(namespace["WORD"], re.Pattern)  # replaced: later uses cost nothing
    assert namespace["WORD"].flags & re.IGNORECASE
    assert lazyre.pending(namespace) == []
    assert stand_in.findall("a=1 b=2") == [("a", "1"), ("b", "2")]  # a kept stand-in works


def test_a_bytes_pattern_and_an_unbound_stand_in_work() -> None:
    pattern = lazyre.compile_later(rb"[\r\n]")
    assert pattern.split(b"a\nb\rc") == [b"a", b"b", b"c"]


def test_a_broken_pattern_fails_when_used() -> None:
    namespace: dict[str, Any] = {"BAD": lazyre.compile_later(r"(unclosed")}
    lazyre.bind(namespace)
    with pytest.raises(re.error):
        lazyre.compile_all(namespace)


@pytest.mark.parametrize("module", [output_formats, metrics])
def test_the_parsers_patterns_are_deferred_and_all_compile(module: Any) -> None:
    """Every pattern of the output parsers is a stand-in until used, and each compiles (a
    broken one must not wait for the first program that prints its format)."""
    source = Path(module.__file__).read_text()
    assert "re.compile(" not in source
    namespace = vars(module)
    lazyre.compile_all(namespace)
    assert lazyre.pending(namespace) == []


def test_two_threads_using_a_stand_in_at_once_get_the_same_answers() -> None:
    namespace: dict[str, Any] = {"NUM": lazyre.compile_later(r"[0-9]+(?:\.[0-9]+)?")}
    lazyre.bind(namespace)
    stand_in = namespace["NUM"]
    answers: list[list[str]] = []

    def use() -> None:
        time.sleep(0.001)
        answers.append(stand_in.findall("1 2.5 x 30"))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [["1", "2.5", "30"]] * 8
    assert isinstance(namespace["NUM"], re.Pattern)
