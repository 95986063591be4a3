import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runledger.errors import UserError
from runledger.model import tomlcodec
from runledger.recording.capture.params import (
    MAX_CONFIG_BYTES,
    ConfigFile,
    config_files_from_argv,
    flatten,
    hydra_config,
    merge_params,
    normalize_key,
    params_from_argv,
    parse_param_assignment,
    parse_value,
    unflatten,
)
from tests.fuzzing import examples

# ---------------------------------------------------------------- argv


def test_the_issue_example_is_read_into_typed_nested_params() -> None:
    argv = [
        "python", "train.py", "--lr", "0.01", "--batch-size", "64", "--amp",
        "model.depth=12", "+trainer.precision=16", "--opt=adam",
    ]  # fmt: skip
    assert params_from_argv(argv) == {
        "lr": 0.01,
        "batch-size": 64,
        "amp": True,
        "model": {"depth": 12},
        "trainer": {"precision": 16},
        "opt": "adam",
    }


def test_normalize_key_finds_dashed_names_the_argparse_way() -> None:
    params = params_from_argv(["python", "train.py", "--batch-size", "64"])
    assert {normalize_key(k): v for k, v in params.items()} == {"batch_size": 64}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("-3", -3),
        ("+4", 4),
        ("0.01", 0.01),
        ("-0.5", -0.5),
        ("1e-4", 1e-4),
        ("-1E5", -1e5),
        (".5", 0.5),
        ("3.", 3.0),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("007", "007"),
        ("0x10", "0x10"),
        ("inf", "inf"),
        ("nan", "nan"),
        ("1e", "1e"),
        ("yes", "yes"),
        ("", ""),
        ("9" * 5000, "9" * 5000),
        ("98765432109876543210", 98765432109876543210),
    ],
)
def test_values_are_typed_only_when_unambiguous(text: str, value: Any) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_negative_numbers_and_scientific_notation_are_values_not_flags() -> None:
    argv = ["python", "t.py", "--lr", "-0.5", "--wd", "-1e-4", "--shift", "-3", "--x", "1e3"]
    assert params_from_argv(argv) == {"lr": -0.5, "wd": -1e-4, "shift": -3, "x": 1000.0}


def test_bare_flags_are_true_whether_followed_by_a_flag_an_override_or_nothing() -> None:
    argv = ["python", "t.py", "--amp", "--fast", "model.depth=2", "--last"]
    assert params_from_argv(argv) == {
        "amp": True,
        "fast": True,
        "model": {"depth": 2},
        "last": True,
    }


def test_no_prefixed_flags_are_the_flag_set_false() -> None:
    assert params_from_argv(["python", "t.py", "--no-amp"]) == {"amp": False}
    argv = ["python", "t.py", "--no-early-stopping", "--no_shuffle", "--notes", "x"]
    assert params_from_argv(argv) == {"early-stopping": False, "shuffle": False, "notes": "x"}
    assert params_from_argv(["python", "t.py", "--no-x", "3"]) == {"no-x": 3}  # takes a value


def test_empty_inline_value_and_equals_inside_values_are_kept() -> None:
    argv = ["python", "t.py", "--flag=", "--prompt=a=b", "--q", "what is 2+2?"]
    assert params_from_argv(argv) == {"flag": "", "prompt": "a=b", "q": "what is 2+2?"}


def test_a_key_value_token_after_a_flag_is_an_override_not_its_value() -> None:
    argv = ["python", "t.py", "--multirun", "lr=0.1", "--prompt", "a=b"]
    assert params_from_argv(argv) == {"multirun": True, "lr": 0.1, "prompt": True, "a": "b"}


def test_repeated_flags_give_the_list_of_values_in_order() -> None:
    argv = ["python", "t.py", "--tag", "a", "--tag=b", "--tag", "c"]
    assert params_from_argv(argv) == {"tag": ["a", "b", "c"]}


def test_several_values_of_one_kind_after_a_flag_form_a_list() -> None:
    argv = ["python", "t.py", "--milestones", "30", "60", "90", "--epochs", "3", "data/"]
    assert params_from_argv(argv) == {"milestones": [30, 60, 90], "epochs": 3}


def test_short_and_single_dash_flags_use_their_name() -> None:
    argv = ["python", "t.py", "-n", "5", "-epochs", "10", "-v"]
    assert params_from_argv(argv) == {"n": 5, "epochs": 10, "v": True}


def test_unicode_names_and_values_are_kept() -> None:
    argv = ["python", "t.py", "--taux", "0.1", "--modèle=résnet", "größe=3", "--名前", "値"]
    assert params_from_argv(argv) == {"taux": 0.1, "modèle": "résnet", "größe": 3, "名前": "値"}


def test_double_dash_ends_options() -> None:
    argv = ["python", "t.py", "--lr", "1", "--", "--not-a-param", "2", "x=1"]
    assert params_from_argv(argv) == {"lr": 1}


def test_positional_arguments_are_not_params() -> None:
    argv = ["python", "t.py", "data/train.csv", "out", "--lr", "1"]
    assert params_from_argv(argv) == {"lr": 1}


@pytest.mark.parametrize(
    "argv",
    [
        ["python", "-m", "pkg.mod", "--x", "1"],
        ["python3", "-u", "-m", "pkg.mod", "--x", "1"],
        ["/usr/bin/python3.11", "-mpkg.mod", "--x", "1"],
        ["python", "-W", "ignore", "-X", "dev", "t.py", "--x", "1"],
        ["python", "-uWignore", "t.py", "--x", "1"],
        ["python", "-c", "import sys", "--x", "1"],
        ["python", "--", "t.py", "--x", "1"],
        ["./train.sh", "--x", "1"],
    ],
)
def test_interpreter_options_script_and_module_names_are_skipped(argv: list[str]) -> None:
    assert params_from_argv(argv) == {"x": 1}


def test_launcher_flags_are_params_and_the_script_is_never_a_flag_value() -> None:
    torchrun = ["torchrun", "--nproc_per_node", "2", "train.py", "--lr", "1"]
    assert params_from_argv(torchrun) == {"nproc_per_node": 2, "lr": 1}
    accelerate = ["accelerate", "launch", "--multi_gpu", "train.py", "--lr", "1"]
    assert params_from_argv(accelerate) == {"multi_gpu": True, "lr": 1}


def test_hydra_overrides_nest_type_and_skip_deletions() -> None:
    argv = [
        "python", "app.py", "db.host=localhost", "+db.port=5432", "++db.pool=null",
        "~db.password", "~trainer", "tags=[a,1,true]", "name='007'", "empty=[]",
    ]  # fmt: skip
    assert params_from_argv(argv) == {
        "db": {"host": "localhost", "port": 5432, "pool": None},
        "tags": ["a", 1, True],
        "name": "007",
        "empty": [],
    }


def test_a_group_choice_and_its_fields_both_survive() -> None:
    argv = ["python", "app.py", "model=resnet", "model.depth=50"]
    assert params_from_argv(argv) == {"model": "resnet", "model.depth": 50}
    reversed_order = ["python", "app.py", "model.depth=50", "model=resnet"]
    assert params_from_argv(reversed_order) == {"model.depth": 50, "model": "resnet"}


def test_dotted_long_flags_nest_like_overrides() -> None:
    argv = ["python", "t.py", "--trainer.max_epochs", "3", "--trainer.devices=2"]
    assert params_from_argv(argv) == {"trainer": {"max_epochs": 3, "devices": 2}}


def test_a_very_long_argument_is_kept_whole() -> None:
    prompt = "word " * 50_000
    assert params_from_argv(["python", "t.py", "--prompt", prompt]) == {"prompt": prompt}


def test_binary_noise_gives_storable_params() -> None:
    undecodable = b"--\xff\xfe=\xff".decode("utf-8", "surrogateescape")
    noise = ["\x00", "--\x00=\x01", undecodable, "--=x", "---", "=", "~", "\x1b[31m=1"]
    params = params_from_argv(["python", "t.py", *noise])
    assert params == {
        "\x00": "\x01",
        "\ufffd\ufffd": "\udcff",
        "-": ["=", "~", "\x1b[31m=1"],
    }
    assert tomlcodec.loads(tomlcodec.dumps(params)) == params


@settings(deadline=None, max_examples=examples(300))
@given(
    st.lists(
        st.one_of(
            st.text(),
            st.text(alphabet=st.characters(categories=["Cs", "Ll", "Pd", "Sm"]), max_size=6),
            st.sampled_from(["--", "-", "--x", "a.b=1", "a=1", "-1", "python", "-m", "x.py"]),
        )
    )
)
def test_params_from_argv_never_raises_and_gives_storable_params(argv: list[str]) -> None:
    params = params_from_argv(argv)
    assert tomlcodec.loads(tomlcodec.dumps(params)) == params


# ---------------------------------------------------------------- -p KEY=VALUE


def test_param_assignment_is_typed_and_may_be_dotted() -> None:
    assert parse_param_assignment("lr=0.01") == ("lr", 0.01)
    assert parse_param_assignment("model.depth=12") == ("model.depth", 12)
    assert parse_param_assignment("prompt=a=b") == ("prompt", "a=b")
    assert parse_param_assignment("note=") == ("note", "")


@pytest.mark.parametrize(
    ("text", "problem"), [("lr", "has no '='"), ("=3", "empty key"), ("  =3", "empty key")]
)
def test_bad_param_assignment_says_what_to_write(text: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem) as info:
        parse_param_assignment(text)
    assert "KEY=VALUE" in str(info.value)


# ---------------------------------------------------------------- config files


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_config_files_of_each_format_are_hashed_and_parsed(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "conf.yaml").write_text("lr: 0.01\nmodel:\n  depth: 12\nwhen: 2024-05-01\n")
    (tmp_path / "configs" / "exp1.toml").write_text('opt = "adam"\n[data]\nbatch = 64\n')
    (tmp_path / "extra.json").write_text(json.dumps({"seed": 7, "tags": ["a", None]}))
    (tmp_path / "more.yml").write_text("1: one\nnull: nothing\n")
    argv = [
        "python", "train.py", "--config", "conf.yaml", "configs/exp1.toml",
        "--extra=extra.json", "cfg=more.yml", "--missing", "absent.yaml",
    ]  # fmt: skip
    files = config_files_from_argv(argv, tmp_path)
    assert files == [
        ConfigFile(
            "conf.yaml",
            sha256(tmp_path / "conf.yaml"),
            {"lr": 0.01, "model": {"depth": 12}, "when": "2024-05-01"},
        ),
        ConfigFile(
            "configs/exp1.toml",
            sha256(tmp_path / "configs" / "exp1.toml"),
            {"opt": "adam", "data": {"batch": 64}},
        ),
        ConfigFile("extra.json", sha256(tmp_path / "extra.json"), {"seed": 7, "tags": ["a", None]}),
        ConfigFile("more.yml", sha256(tmp_path / "more.yml"), {"1": "one", "null": "nothing"}),
    ]
    for config in files:
        assert tomlcodec.loads(tomlcodec.dumps(config.params)) == config.params


def test_the_same_file_named_twice_is_recorded_once(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text("{}")
    argv = ["python", "t.py", "c.json", "--config", "./c.json"]
    assert [f.path for f in config_files_from_argv(argv, tmp_path)] == ["c.json"]


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("bad.yaml", "a: [1, 2\nb: c\n", "ParserError: while parsing a flow sequence"),
        ("bad.toml", "a = \n", "TOMLDecodeError: Invalid value (at line 1, column 5)"),
        ("bad.json", "{not json", "JSONDecodeError"),
        ("list.yaml", "- 1\n- 2\n", "top level is a list, not a mapping"),
        ("bomb.yaml", "a: &a [1, *a]\n", "refers to itself"),
    ],
)
def test_a_broken_config_file_is_recorded_with_its_error(
    tmp_path: Path, name: str, content: str, error: str
) -> None:
    (tmp_path / name).write_text(content)
    [config] = config_files_from_argv(["python", "t.py", "--config", name], tmp_path)
    assert config.params == {}
    assert config.sha256 == sha256(tmp_path / name)
    assert config.error is not None and error in config.error


def test_an_alias_bomb_stops_at_the_value_limit(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    (tmp_path / "lol.yaml").write_text("\n".join(lines) + "\n")
    [config] = config_files_from_argv(["python", "t.py", "lol.yaml"], tmp_path)
    assert config.params == {} and config.error is not None and "values" in config.error


def test_an_empty_yaml_file_has_no_params_and_no_error(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    [config] = config_files_from_argv(["python", "t.py", "empty.yaml"], tmp_path)
    assert config.params == {} and config.error is None


def test_files_over_the_size_cap_are_skipped(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)
    assert config_files_from_argv(["python", "t.py", "big.json"], tmp_path) == []


def test_folders_and_weird_names_with_config_suffixes_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    argv = ["python", "t.py", "dir.yaml", "nul\x00.yaml", "x" * 5000 + ".json"]
    assert config_files_from_argv(argv, tmp_path) == []


def test_importing_params_loads_no_heavy_or_yaml_module() -> None:
    code = (
        "import sys, runledger.recording.capture.params; "
        "print([m for m in ('yaml', 'pandas', 'rich', 'typer') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- Hydra


def write_hydra_run(folder: Path, config: str, mtime: float) -> Path:
    (folder / ".hydra").mkdir(parents=True)
    path = folder / ".hydra" / "config.yaml"
    path.write_text(config)
    os.utime(path, (mtime, mtime))
    return path


STARTED = 1_700_000_000.0


def test_the_newest_fresh_hydra_config_in_the_default_folders_is_found(tmp_path: Path) -> None:
    write_hydra_run(tmp_path / "outputs/2023-11-14/21-00-00", "lr: 0.5\n", STARTED - 3600)
    write_hydra_run(tmp_path / "outputs/2023-11-14/22-13-20", "lr: 0.1\n", STARTED + 1)
    write_hydra_run(tmp_path / "outputs/2023-11-14/22-13-25", "lr: 0.2\n", STARTED + 5)
    assert hydra_config(tmp_path, None, STARTED) == {"lr": 0.2}


def test_a_multirun_gives_its_last_job(tmp_path: Path) -> None:
    base = tmp_path / "multirun/2023-11-14/22-13-20"
    write_hydra_run(base / "0", "lr: 0.1\n", STARTED + 1)
    write_hydra_run(base / "1", "lr: 0.2\n", STARTED + 2)
    assert hydra_config(tmp_path, "", STARTED) == {"lr": 0.2}


def test_only_configs_written_after_the_start_count(tmp_path: Path) -> None:
    write_hydra_run(tmp_path / "outputs/2023-11-14/21-00-00", "lr: 0.5\n", STARTED - 3600)
    assert hydra_config(tmp_path, None, STARTED) is None
    assert hydra_config(tmp_path / "nowhere", None, STARTED) is None


def test_a_custom_output_folder_named_in_the_output_is_found(tmp_path: Path) -> None:
    custom = tmp_path / "runs" / "exp-7"
    write_hydra_run(custom, "model:\n  depth: 12\n", STARTED + 1)
    output = f"epoch=1 loss=0.5\nSaved checkpoint to {custom}/ckpt/model.pt.\n"
    assert hydra_config(tmp_path, output, STARTED) == {"model": {"depth": 12}}
    relative = "Working directory: runs/exp-7\n"
    assert hydra_config(tmp_path, relative, STARTED) == {"model": {"depth": 12}}


def test_a_broken_hydra_config_gives_none(tmp_path: Path) -> None:
    write_hydra_run(tmp_path / "outputs/d/t", "a: [1\n", STARTED + 1)
    assert hydra_config(tmp_path, None, STARTED) is None


# ---------------------------------------------------------------- merging


def test_merge_later_sources_win_and_each_key_names_its_source() -> None:
    merged, sources = merge_params(
        [
            ("config:conf.yaml", {"lr": 0.1, "model": {"depth": 12, "width": 64}, "seed": 1}),
            ("hydra", {"model": {"depth": 24}}),
            ("argv", {"lr": 0.01}),
            ("log_params", {"model": {"dropout": 0.1}}),
            ("cli", {"seed": 2}),
        ]
    )
    assert merged == {
        "lr": 0.01,
        "model": {"depth": 24, "width": 64, "dropout": 0.1},
        "seed": 2,
    }
    assert sources == {
        "lr": "argv",
        "model.depth": "hydra",
        "model.width": "config:conf.yaml",
        "model.dropout": "log_params",
        "seed": "cli",
    }


def test_torch_settings_rank_below_the_command_line_and_config_files() -> None:
    from runledger.recording.capture.inprocess import argv_and_inprocess_sources

    reported = {"torch": {"optimizer": "SGD", "lr": 0.4, "momentum": 0.9, "batch_size": 64}}
    # argv's --lr stays (a script reading sys.argv itself): torch's own name does not hide it
    sources = argv_and_inprocess_sources({"lr": 0.1}, reported)
    assert sources == [("argv", {"lr": 0.1}), *reported.items()]
    merged, origin = merge_params(
        [
            ("default:train.py", {"batch_size": 32, "epochs": 5}),
            ("config:conf.yaml", {"momentum": 0.5}),
            *sources,
        ]
    )
    assert merged == {
        "lr": 0.1, "momentum": 0.5, "optimizer": "SGD", "batch_size": 64, "epochs": 5
    }  # fmt: skip
    assert origin == {
        "lr": "argv",
        "momentum": "config:conf.yaml",
        "optimizer": "torch",
        "batch_size": "torch",  # what the program used over a literal later changed
        "epochs": "default:train.py",
    }


def test_a_plain_value_replaces_a_table_and_forgets_its_keys() -> None:
    merged, sources = merge_params([("a", {"model": {"depth": 1}}), ("b", {"model": "resnet"})])
    assert merged == {"model": "resnet"}
    assert sources == {"model": "b"}
    merged, sources = merge_params([("b", {"model": "resnet"}), ("c", {"model": {"depth": 2}})])
    assert merged == {"model": {"depth": 2}}
    assert sources == {"model.depth": "c"}


def test_merge_does_not_change_its_inputs() -> None:
    first: dict[str, Any] = {"model": {"depth": 1}}
    merge_params([("a", first), ("b", {"model": {"depth": 2}})])
    assert first == {"model": {"depth": 1}}


def test_flatten_and_unflatten_are_inverse_for_plain_keys() -> None:
    nested = {"a": {"b": {"c": 1}, "d": [1, {"e": 2}]}, "f": {}, "g": None}
    flat = flatten(nested)
    assert flat == {"a.b.c": 1, "a.d": [1, {"e": 2}], "f": {}, "g": None}
    assert unflatten(flat) == nested


def test_unflatten_keeps_keys_flat_rather_than_losing_a_value() -> None:
    assert unflatten({"model": "a", "model.depth": 1, "x..y": 2, ".z": 3}) == {
        "model": "a",
        "model.depth": 1,
        "x..y": 2,
        ".z": 3,
    }


keys = st.text(alphabet="abc.", min_size=1, max_size=4)


@settings(deadline=None, max_examples=examples(200))
@given(st.dictionaries(keys, st.integers(), max_size=8))
def test_unflatten_never_loses_a_value(flat: dict[str, int]) -> None:
    nested = unflatten(flat)
    assert sorted(flatten(nested).values()) == sorted(flat.values())


# ---------------------------------------------------------------- one name per param (issue 15)


def test_sources_merge_by_precedence_whatever_their_order() -> None:
    from runledger.recording.capture.params import PRECEDENCE

    sources = [
        ("cli", {"a": 1}),
        ("inprocess:argparse", {"a": 4, "b": 4, "c": 4}),
        ("argv", {"a": 2, "b": 2, "d": 2}),
        ("config:conf.yaml", {"a": 3, "b": 3, "c": 3, "d": 3, "e": 3}),
    ]
    merged, origin = merge_params(sources)
    assert merged == {"a": 1, "b": 4, "c": 4, "d": 2, "e": 3}
    assert origin == {
        "a": "cli",
        "b": "inprocess:argparse",
        "c": "inprocess:argparse",
        "d": "argv",
        "e": "config:conf.yaml",
    }
    assert PRECEDENCE.index("inprocess") > PRECEDENCE.index("argv") > PRECEDENCE.index("config")


def test_dash_and_underscore_are_one_name_in_every_source_and_depth() -> None:
    merged, origin = merge_params(
        [
            ("config:c.yaml", {"split_seed": 42, "model": {"hidden-size": 8, "depth": 2}}),
            ("argv", {"split-seed": 7, "model": {"hidden_size": 16}}),
        ]
    )
    assert merged == {"split_seed": 7, "model": {"hidden_size": 16, "depth": 2}}
    assert origin["split_seed"] == "argv" and origin["model.depth"] == "config:c.yaml"


@given(st.lists(st.sampled_from(["a", "b", "-", "_"]), min_size=1, max_size=6).map("".join))
def test_any_spelling_of_a_name_merges_into_one(name: str) -> None:
    dashed, underscored = name.replace("_", "-"), name.replace("-", "_")
    merged, _ = merge_params([("config:x", {dashed: 1}), ("argv", {underscored: 2})])
    assert merged == {underscored: 2}


@pytest.mark.parametrize(
    "argv",
    [
        ["python", "t.py", "--config", "conf.yaml", "--lr", "1"],
        ["python", "t.py", "-c", "conf.yaml", "--lr", "1"],
        ["python", "t.py", "--cfg=conf.toml", "--lr", "1"],
        ["python", "t.py", "--config-file", "conf.json", "--lr", "1"],
        ["python", "app.py", "--config-name", "train", "--lr", "1"],
    ],
)
def test_flags_that_only_name_a_config_file_are_not_params(argv: list[str]) -> None:
    assert params_from_argv(argv) == {"lr": 1}


def test_a_config_flag_with_a_number_is_a_param() -> None:
    assert params_from_argv(["python", "t.py", "-c", "3"]) == {"c": 3}


def test_python_config_files_give_their_literal_assignments_and_never_run(
    tmp_path: Path,
) -> None:
    from runledger.recording.capture.params import python_literal_assignments

    marker = tmp_path / "ran"
    source = (
        f"import os\nos.system('touch {marker}')\n"
        "batch_size = 12\nlearning_rate: float = 6e-4\nbetas = (0.9, 0.95)\n"
        "dataset = 'shakespeare_char'\nn = batch_size * 2\nbatch_size = 64\n"
        "__all__ = ['x']\na, b = 1, 2\nsteps = 5 * 8\nmin_lr = -learning_rate / 10\n"
        "huge = 10 ** 10 ** 10\nfrom_elsewhere = os.cpu_count() * 2\nunknown = x * 2\n"
        "run_name = 'gpt2'\nrun_name = 'ft-' + str(n)\ndivided = 1 / 0\n"
    )
    assert python_literal_assignments(source) == {
        "batch_size": 64,
        "learning_rate": 6e-4,
        "betas": [0.9, 0.95],
        "dataset": "shakespeare_char",
        "n": 24,  # arithmetic on a name assigned above, as Python saw it then
        "steps": 40,
        "min_lr": -6e-4 / 10,
    }  # computed otherwise: skipped, and a literal it replaces (run_name) with it
    assert not marker.exists()
    (tmp_path / "train.py").write_text("print(1)\n")
    (tmp_path / "cfg.py").write_text(source)
    argv = ["python", "train.py", "cfg.py", "--batch_size=32"]
    [config] = config_files_from_argv(argv, tmp_path)
    assert config.path == "cfg.py" and config.params["batch_size"] == 64
    assert config.sha256 == hashlib.sha256(source.encode()).hexdigest()
    assert not marker.exists()


def test_a_parsers_unset_option_does_not_hide_a_config_value() -> None:
    merged, origin = merge_params(
        [
            ("config:conf.yaml", {"batch_size": 32, "lr": 0.1}),
            ("argv", {"lr": 0.5}),
            ("argparse", {"batch_size": None, "lr": 0.5, "config": "conf.yaml", "resume": None}),
        ]
    )
    assert merged == {"batch_size": 32, "lr": 0.5, "resume": None}
    assert origin["lr"] == "argparse" and origin["batch_size"] == "config:conf.yaml"


def test_the_composed_hydra_config_outranks_argvs_text_of_a_group_override() -> None:
    db = {"driver": "postgresql", "user": "postgres"}
    merged, origin = merge_params([("hydra", {"db": db}), ("argv", {"db": "postgresql"})])
    assert merged == {"db": db} and origin["db.user"] == "hydra"
