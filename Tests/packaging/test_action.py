"""action.yml's steps run as a script, as a runner would run them (make test-wheel): inputs
and step outputs substituted into each step's env, `if:` conditions evaluated, GITHUB_* files
in a temporary directory, the wheel installed from dist/ with no index."""
import json
import os
import re
import shutil
import subprocess

import yaml

from conftest import ROOT

ACTION = yaml.safe_load(open(os.path.join(ROOT, "action.yml")))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(expression, inputs, outputs):
    """The few expression forms action.yml uses: always(), inputs.X, steps.ID.outputs.X,
    '' literals, == / != and &&."""
    def value(term):
        term = term.strip()
        if term == "always()":
            return True
        if term.startswith("inputs."):
            return inputs[term[len("inputs."):]]
        if term.startswith("steps."):
            step, _, name = term[len("steps."):].partition(".outputs.")
            return outputs.get(step, {}).get(name, "")
        if term.startswith("'") and term.endswith("'"):
            return term[1:-1]
        raise AssertionError("expression not understood: %r" % term)

    def comparison(part):
        for operator in ("!=", "=="):
            if operator in part:
                left, right = part.split(operator)
                return (value(left) != value(right)) if operator == "!=" else (value(left) == value(right))
        return value(part)
    parts = [comparison(part) for part in expression.split("&&")]
    return parts[0] if len(parts) == 1 else all(parts)


def run_action(tmp_path, **given):
    inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, unknown
    inputs.update(given)
    files = {name: tmp_path / name.lower() for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_PATH")}
    for path in files.values():
        path.write_text("")
    path_entries = []
    outputs, log, uploads, failed = {}, [], [], None
    for step in ACTION["runs"]["steps"]:
        condition = step.get("if")
        # Without always() a step runs only while everything before it succeeded, as on a runner.
        if failed and "always()" not in (condition or ""):
            continue
        if condition is not None and not bool(evaluate(condition, inputs, outputs)):
            continue
        if "uses" in step:
            uploads.append((step["uses"], {k: EXPRESSION.sub(lambda m: str(evaluate(m.group(1), inputs, outputs)), str(v))
                                           for k, v in step["with"].items()}))
            continue
        env = dict(os.environ, GITHUB_ACTION_PATH=ROOT, RUNNER_TEMP=str(tmp_path),
                   PATH=os.pathsep.join(path_entries + [os.environ["PATH"]]),
                   PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1",
                   **{name: str(path) for name, path in files.items()})
        for name, template in (step.get("env") or {}).items():
            env[name] = EXPRESSION.sub(lambda m: str(evaluate(m.group(1), inputs, outputs)), str(template))
        files["GITHUB_OUTPUT"].write_text("")
        result = subprocess.run(["bash", "-c", step["run"]], cwd=tmp_path / "workspace", env=env, capture_output=True, text=True)
        log.append((step["name"], result))
        if step.get("id"):
            outputs[step["id"]] = dict(line.split("=", 1) for line in files["GITHUB_OUTPUT"].read_text().splitlines() if "=" in line)
        path_entries = [line for line in files["GITHUB_PATH"].read_text().splitlines() if line][::-1]
        if result.returncode != 0 and failed is None:
            failed = step["name"]
    return {"failed": failed, "log": log, "outputs": outputs, "uploads": uploads,
            "summary": files["GITHUB_STEP_SUMMARY"].read_text()}


def workspace(tmp_path, *fixtures):
    root = tmp_path / "workspace"
    (root / "models").mkdir(parents=True)
    for fixture in fixtures:
        shutil.copy(os.path.join(ROOT, fixture), root / "models")
    return root


def test_findings_give_sarif_a_summary_and_a_failed_job(tmp_path, wheel):
    workspace(tmp_path, "fixtures/check/findings/main_pipeline.pkl")
    run = run_action(tmp_path, paths="models/main_pipeline.pkl", limit="1KB", wheel=os.path.dirname(wheel))
    assert run["failed"] == "Fail on findings", [(n, r.stdout, r.stderr) for n, r in run["log"]]
    assert run["outputs"]["check"]["check-exit-code"] == "1"
    assert run["outputs"]["budget"]["budget-exit-code"] == "1"
    sarif = json.loads((tmp_path / "workspace" / "brine.sarif").read_text())
    codes = {result["ruleId"] for result in sarif["runs"][0]["results"]}
    assert "BR101" in codes, codes
    assert run["uploads"] == [("github/codeql-action/upload-sarif@v3", {"sarif_file": "brine.sarif", "category": "brine"})]
    summary = run["summary"]
    assert summary.startswith("## brine check\n") and "BR101" in summary and "## brine budget" in summary
    # The summary holds the markdown reports the installed binary writes.
    brine = os.path.join(str(tmp_path), "brine-action-venv", "bin", "brine")
    markdown = subprocess.run([brine, "check", "--format", "markdown", "models/main_pipeline.pkl"],
                              cwd=tmp_path / "workspace", capture_output=True, text=True).stdout
    assert markdown and markdown in summary


def test_a_clean_artifact_within_the_limit_passes(tmp_path, wheel):
    workspace(tmp_path, "fixtures/pickle/containers_p4.pkl")
    run = run_action(tmp_path, paths="models", limit="100MB", wheel=os.path.dirname(wheel), **{"sarif-file": "out/brine.sarif"})
    assert run["failed"] is None, [(n, r.stdout, r.stderr) for n, r in run["log"]]
    assert run["outputs"]["check"]["check-exit-code"] == "0" and run["outputs"]["budget"]["budget-exit-code"] == "0"
    assert json.loads((tmp_path / "workspace" / "out" / "brine.sarif").read_text())["runs"][0]["results"] == []


def test_no_limit_skips_the_budget_and_never_reports_only(tmp_path, wheel):
    workspace(tmp_path, "fixtures/check/findings/main_pipeline.pkl")
    run = run_action(tmp_path, paths="models", wheel=os.path.dirname(wheel), **{"fail-on": "never", "upload-sarif": "false"})
    assert run["failed"] is None, [(n, r.stdout, r.stderr) for n, r in run["log"]]
    assert "budget" not in run["outputs"] and "## brine budget" not in run["summary"]
    assert "BR101" in run["summary"] and run["uploads"] == []


def test_bad_inputs_stop_the_action_before_anything_is_installed(tmp_path):
    workspace(tmp_path, "fixtures/pickle/containers_p4.pkl")
    cases = [
        ({"fail-on": "critical"}, "fail-on: 'critical' is not one of info, warning, error, never"),
        ({"limit": "300 parsecs"}, "limit: '300 parsecs' is neither a size"),
        ({"paths": "models/missing.pkl"}, "paths: 'models/missing.pkl' does not exist"),
        ({"sarif-file": ""}, "sarif-file: empty"),
        ({"upload-sarif": "yes"}, "upload-sarif: 'yes' is not true or false"),
        ({"wheel": "nowhere/brine.whl"}, "wheel: 'nowhere/brine.whl' is no file or directory"),
        ({"paths": ""}, "paths: empty and no brine.toml"),
    ]
    for given, message in cases:
        run = run_action(tmp_path, **{"paths": "models", **given})
        assert run["failed"] == "Validate the inputs", given
        name, result = run["log"][0]
        assert result.returncode == 64 and message in result.stderr, (given, result.stderr)
        assert len(run["log"]) == 1, given  # nothing after validation ran
        assert not (tmp_path / "brine-action-venv").exists()
