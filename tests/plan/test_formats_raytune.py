"""Ray Tune source out: valid Python whose domains have hpdesk's types and bounds (upper
bounds exclusive where Ray Tune's are), conditions as sample_from, grids as grid_search."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings

from hpdesk.plan import parse_plan
from hpdesk.plan.formats import write_space
from tests.plan.format_spaces import script_plan, spaces

#: Runs the written source with Ray Tune's own sampling functions and prints each domain. Where
#: `ray.tune` cannot be imported (it needs pyarrow), Ray's sampling module is loaded on its own.
PROBE = textwrap.dedent("""\
    import importlib.util, json, sys, types
    try:
        from ray import tune
    except ImportError:
        import ray
        spec = importlib.util.spec_from_file_location(
            "raysample", ray.__path__[0] + "/tune/search/sample.py")
        tune = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(tune)
        tune.grid_search = lambda values: {"grid_search": values}
        shim = types.ModuleType("ray.tune")
        shim.__dict__.update(tune.__dict__)
        sys.modules["ray.tune"] = shim
        ray.tune = shim
    source = sys.stdin.read()
    scope = {}
    exec(compile(source, "space.py", "exec"), scope)
    out = {}
    for name, dom in scope["param_space"].items():
        kind = type(dom).__name__
        entry = {"kind": kind}
        if hasattr(dom, "lower"):
            entry.update(lower=dom.lower, upper=dom.upper,
                         sampler=type(dom.get_sampler()).__name__.lstrip("_"),
                         q=getattr(dom.get_sampler(), "q", None))
        elif hasattr(dom, "categories"):
            entry["categories"] = list(dom.categories)
        elif isinstance(dom, dict):
            entry["grid"] = dom["grid_search"]
        elif kind == "Function":
            entry["sample"] = dom.sample(config={"opt": "sgd"})
            entry["other"] = dom.sample(config={"opt": "adam"})
        else:
            entry["value"] = dom
        out[name] = entry
    print(json.dumps(out))
""")


def _ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def _probe(source: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE], input=source, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


PLAN = {"hpdesk": 1, "task": "script", "command": ["python", "t.py"],
        "objective": {"metric": "acc", "direction": "maximize"}, "strategy": "tpe",
        "space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "log": True},
                  "drop": {"type": "float", "low": 0.0, "high": 0.5},
                  "wd": {"type": "float", "low": 0.0, "high": 0.01, "step": 0.001},
                  "width": {"type": "int", "low": 16, "high": 256, "log": True},
                  "layers": {"type": "int", "low": 1, "high": 4},
                  "every": {"type": "int", "low": 0, "high": 12, "step": 3},
                  "opt": ["sgd", "adam"], "epochs": 5,
                  "mom": {"type": "float", "low": 0.5, "high": 0.9,
                          "when": {"opt": ["sgd"]}}}}


@pytest.mark.skipif(not _ray_available(), reason="ray is not installed")
def test_ray_reads_the_domains_with_hpdesk_bounds() -> None:
    text = write_space(parse_plan(PLAN), "raytune", "space.py").text
    got = _probe(text)
    assert got["lr"] == {"kind": "Float", "lower": 0.001, "upper": 0.1, "sampler": "LogUniform",
                         "q": None}
    assert got["drop"]["sampler"] == "Uniform" and got["drop"]["upper"] == 0.5
    assert got["wd"]["sampler"] == "Quantized" and got["wd"]["q"] == 0.001
    assert got["width"]["kind"] == "Integer" and got["width"]["sampler"] == "LogUniform"
    assert (got["width"]["lower"], got["width"]["upper"]) == (16, 257)  # upper exclusive
    assert (got["layers"]["lower"], got["layers"]["upper"]) == (1, 5)
    assert (got["every"]["lower"], got["every"]["upper"], got["every"]["q"]) == (0, 12, 3)
    assert got["opt"] == {"kind": "Categorical", "categories": ["sgd", "adam"]}
    assert got["epochs"] == {"kind": "int", "value": 5}
    assert got["mom"]["kind"] == "Function" and got["mom"]["other"] is None
    assert 0.5 <= got["mom"]["sample"] <= 0.9


@pytest.mark.skipif(not _ray_available(), reason="ray is not installed")
def test_a_grid_plan_is_a_grid_search() -> None:
    plan = parse_plan({**PLAN, "strategy": {"name": "grid", "grid_points": 3},
                       "space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "log": True},
                                 "opt": ["sgd", "adam"]}})
    got = _probe(write_space(plan, "raytune", "space.py").text)
    assert got["lr"]["grid"] == [0.001, 0.01, 0.1] and got["opt"]["grid"] == ["sgd", "adam"]


def test_what_ray_tune_cannot_hold_is_said() -> None:
    done = write_space(parse_plan({**PLAN, "pruner": "asha", "concurrency": 2}), "raytune",
                       "space.py")
    starts = [line.split(":")[0] for line in done.losses]
    assert starts.count("strategy") == 1 and starts.count("pruner") == 1
    assert starts.count("command") == 1 and starts.count("concurrency") == 1
    assert "search_alg=OptunaSearch()" in done.text and "ASHAScheduler" in done.text


@settings(max_examples=60, deadline=None)
@given(spaces(conditions=True))
def test_every_space_is_valid_python(space) -> None:
    text = write_space(script_plan(space, name='a "quoted"\nname'), "raytune", "x.py").text
    compile(text, "x.py", "exec")
    assert text.count("param_space = {") == 1
