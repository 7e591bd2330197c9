"""speedscope export (engine/exports.py)."""

import json

import jsonschema
import pytest

from spyder_callgrind.engine.exports import (
    OTHER_ENTRY_POINTS, speedscope_document, write_speedscope)
from spyder_callgrind.engine.stacks import build_stack_tree
from tests.helpers_profiles import MIXED_PROGRAM, profile_source, synthetic

# The parts of speedscope's file-format-schema.json (draft 06) that a sampled profile must
# satisfy: required keys, types and enums of the file, frame and sampled-profile objects.
NUMBERS = {"type": "array", "items": {"type": "number"}}
SAMPLED_FILE_SCHEMA = {
    "type": "object",
    "required": ["$schema", "profiles", "shared"],
    "properties": {
        "$schema": {"enum": ["https://www.speedscope.app/file-format-schema.json"]},
        "name": {"type": "string"},
        "exporter": {"type": "string"},
        "activeProfileIndex": {"type": "number"},
        "shared": {
            "type": "object", "required": ["frames"],
            "properties": {"frames": {"type": "array", "items": {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "file": {"type": "string"},
                               "line": {"type": "number"}, "col": {"type": "number"}}}}}},
        "profiles": {"type": "array", "items": {
            "type": "object",
            "required": ["endValue", "name", "samples", "startValue", "type", "unit",
                         "weights"],
            "properties": {
                "type": {"enum": ["sampled"]},
                "name": {"type": "string"},
                "unit": {"enum": ["bytes", "microseconds", "milliseconds", "nanoseconds",
                                  "none", "seconds"]},
                "startValue": {"type": "number"},
                "endValue": {"type": "number"},
                "samples": {"type": "array", "items": NUMBERS},
                "weights": NUMBERS}}},
    },
}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return profile_source(MIXED_PROGRAM, tmp_path_factory.mktemp("mixed"))


def test_written_file_follows_the_schema(mixed, tmp_path):
    path = tmp_path / "run.speedscope.json"
    write_speedscope(mixed, str(path), "program.py")
    document = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(document, SAMPLED_FILE_SCHEMA)
    (profile,) = document["profiles"]
    assert profile["name"] == "program.py"
    assert profile["unit"] == "nanoseconds"
    assert len(profile["samples"]) == len(profile["weights"])
    frames = document["shared"]["frames"]
    assert all(0 <= i < len(frames) for stack in profile["samples"] for i in stack)
    assert [p.name for p in tmp_path.iterdir()] == ["run.speedscope.json"]


def test_total_weight_is_the_root_inclusive_time(mixed):
    profile = speedscope_document(mixed, "x")["profiles"][0]
    root = build_stack_tree(mixed)
    assert sum(profile["weights"]) == root.inclusive_ns
    assert profile["endValue"] - profile["startValue"] == root.inclusive_ns


def test_stacks_follow_the_calls_and_never_repeat_a_recursive_function(mixed):
    document = speedscope_document(mixed, "x")
    names = [f["name"] for f in document["shared"]["frames"]]
    stacks = [[names[i] for i in stack] for stack in document["profiles"][0]["samples"]]
    assert ["<built-in method builtins.exec>", "<module>", "main", "heavy", "spin"] in stacks
    assert ["<built-in method builtins.exec>", "<module>", "main", "fib"] in stacks
    assert all(len(stack) == len(set(stack)) for stack in stacks)
    fib = next(f for f in document["shared"]["frames"] if f["name"] == "fib")
    assert fib["file"].endswith("program.py") and fib["line"] == 8
    builtin = next(f for f in document["shared"]["frames"] if f["name"].startswith("<built"))
    assert "file" not in builtin


def test_small_entry_points_keep_their_time():
    data = synthetic([("big", 1, 1_000_000, 1_000_000), ("tiny", 1, 10, 10)], [])
    document = speedscope_document(data, "x", min_fraction=0.01)
    names = [f["name"] for f in document["shared"]["frames"]]
    assert OTHER_ENTRY_POINTS in names
    assert sum(document["profiles"][0]["weights"]) == 1_000_010
