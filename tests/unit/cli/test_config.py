"""Project settings files and parameter overrides, read in-process: each value type and each refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from auto_invoke_permission.cli.config import (
    ConfigError,
    ProjectSettings,
    find_project_settings,
    parse_parameter_overrides,
    samconfig_overrides,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_project_file_anywhere_is_the_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'other'\n")  # says nothing to us
    assert find_project_settings(tmp_path / "a" / "b") == ProjectSettings()


def test_pyproject_mentioning_us_without_the_table_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\ndescription = 'uses autoinvoke'\n")
    assert find_project_settings(tmp_path) == ProjectSettings()


def test_nearest_directory_wins_and_both_files_merge_parameters_by_name(tmp_path: Path) -> None:
    write(tmp_path / ".autoinvoke.toml", "region = 'far-away-1'\n")
    inner = tmp_path / "inner"
    write(
        inner / "pyproject.toml",
        "[tool.autoinvoke]\nregion = 'eu-west-1'\nignore = ['AIP113']\n"
        "parameters = {Stage = 'pyproject', Size = 'small'}\n",
    )
    write(inner / ".autoinvoke.toml", "format = 'json'\nparameters = {Stage = 'own'}\n")
    settings = find_project_settings(inner / "deeper")
    assert settings == ProjectSettings(
        source=f"{inner / 'pyproject.toml'} and {inner / '.autoinvoke.toml'}",
        region="eu-west-1",
        parameters={"Stage": "own", "Size": "small"},
        ignore=("AIP113",),
        format="json",
    )


@pytest.mark.parametrize(
    ("toml_value", "text"),
    [
        ("'plain'", "plain"),
        ("8", "8"),
        ("1.5", "1.5"),
        ("true", "true"),
        ("false", "false"),
        ("['a', ' b ', '', 'c']", "a,b,c"),  # as the SAM CLI flattens a list
        ("[1, 2]", "1,2"),
    ],
)
def test_parameter_values_as_text(tmp_path: Path, toml_value: str, text: str) -> None:
    write(tmp_path / ".autoinvoke.toml", f"parameters = {{P = {toml_value}}}\n")
    assert find_project_settings(tmp_path).parameters == {"P": text}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("pyproject.toml", "[tool]\nautoinvoke = 1\n", "pyproject.toml: [tool.autoinvoke] must be a table"),
        (".autoinvoke.toml", "region = 1\n", ".autoinvoke.toml: region must be a string"),
        (".autoinvoke.toml", "account = 123456789012\n", ".autoinvoke.toml: account must be a string"),
        (".autoinvoke.toml", "format = ['json']\n", ".autoinvoke.toml: format must be a string"),
        (
            ".autoinvoke.toml",
            "parameters = 'Stage=prod'\n",
            ".autoinvoke.toml: parameters must be a table of NAME = VALUE",
        ),
        (".autoinvoke.toml", "ignore = [1]\n", ".autoinvoke.toml: ignore must be a list of finding codes"),
        (".autoinvoke.toml", "region = \n", ".autoinvoke.toml: Invalid value"),
    ],
)
def test_bad_settings_name_the_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    write(tmp_path / name, text)
    with pytest.raises(ConfigError) as caught:
        find_project_settings(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / name))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            [{"Stage": "prod", "Count": 3, "On": True, "Empty": None}],
            {"Stage": "prod", "Count": "3", "On": "true", "Empty": ""},
        ),
        ([["A=1", ("B=2", None)], {"C": ["x", "y"]}], {"A": "1", "B": "2", "C": "x,y"}),
        (["A='quoted value'", 'B="x\\"y"'], {"A": "quoted value", "B": 'x"y'}),
        ([None], {}),
    ],
)
def test_parameter_overrides_of_every_shape(values: list[Any], expected: dict[str, str]) -> None:
    assert parse_parameter_overrides(values, "test") == expected


@pytest.mark.parametrize("value", [3, 1.5, True])
def test_a_scalar_is_no_parameter_override(value: object) -> None:
    with pytest.raises(ConfigError, match=rf"^samconfig\.toml: {value!r} is not a parameter override$"):
        parse_parameter_overrides([value], "samconfig.toml")


def test_samconfig_without_overrides_or_with_a_bad_file(tmp_path: Path) -> None:
    path = write(tmp_path / "samconfig.toml", "version = 0.1\n[default.deploy]\nparameters = 'x'\n")
    assert samconfig_overrides(path, None) == {}
    bad = write(tmp_path / "bad.toml", "version = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml: "):
        samconfig_overrides(bad, None)
    none = write(tmp_path / "none.toml", "version = 0.1\n")
    with pytest.raises(ConfigError, match=r"no environment \[default\] \(environments: none\)$"):
        samconfig_overrides(none, None)
