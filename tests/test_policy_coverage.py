"""The shipped policy (`fargate_nb/data/diagnose-policy.json`) allows every call the kit makes, and nothing more.

Every lab scenario is provisioned in one sandbox (reset between scenarios) and diagnosed through
the task path (`open_scenario`) and the service path (`open_live(cluster=..., service=...)`); the
discovery listings the task picker uses run once at the end. Two recorders watch:

* `Caller.call` (the collector's one read-only wrapper) is wrapped to record ``service:Operation``,
  the resource the call is about, and its parameters;
* a ``before-call`` hook on every client an `AwsContext` creates records what reaches botocore,
  so a call that bypassed the wrapper would show up.

Each recorded call is then decided by the kit's own IAM evaluator (`fargate_nb.iam.evaluate`)
with the shipped policy as the caller's only identity policy.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from fargate_nb.aws.calls import Caller, iam_action
from fargate_nb.aws.session import AwsContext
from fargate_nb.iam import Request, evaluate, validate_policy
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.scenarios import scenario_ids
from tests.aws.envs import build_private_env

pytestmark = pytest.mark.xdist_group("policy")

AWS_DIR = Path(__file__).resolve().parents[1] / "fargate_nb" / "aws"
ACCOUNT = "123456789012"
#: Who runs the kit: a user of the account the evidence lives in (resources in other accounts are
#: decided on the identity side only: their owners' resource policies are theirs to grant).
CALLER = f"arn:aws:iam::{ACCOUNT}:user/on-call"

#: Actions the collector calls only in conditions the sandbox cannot produce (each with the reason).
#: Checked below to be granted by the policy, made at a call site, and never seen in the sandbox.
#: Empty today: every granted action is made in the sandbox. Add an entry only with its reason.
CONDITIONAL_ONLY: dict[str, str] = {}

#: Call sites whose operation is a variable: (file, service) -> the operations passed there.
DYNAMIC_SITES: dict[tuple[str, str], set[str]] = {
    ("collect_network.py", "ec2"): {"DescribeRouteTables", "DescribeInternetGateways", "DescribeNatGateways",
                                    "DescribeNetworkAcls"},
}

#: DESIGN.md, "Read-only": the only verbs the diagnosis path calls.
READ_ONLY = re.compile(r"^(Describe\w*|Get\w*|List\w*|BatchGetImage|Simulate\w*)$")
#: Reads that return secret values or registry credentials.
SECRET_READS = {"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "ssm:GetParameter",
                "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory", "kms:Decrypt",
                "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"}


@dataclass(frozen=True)
class Call:
    service: str  # the boto3 client name
    operation: str
    resource: str | None  # the collector's own label (an ARN, an id, a name or a few words)
    region: str | None
    params: str  # the parameters, as JSON (only inspected for decryption flags)
    key_arn: str | None = None  # kms: the key ARN DescribeKey resolved an alias or id to

    @property
    def action(self) -> str:
        return iam_action(self.service, self.operation)


@dataclass
class Recording:
    calls: list[Call] = field(default_factory=list)
    sent: set[tuple[str, str]] = field(default_factory=set)  # what reached botocore (before-call)
    runs: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _shipped_policy() -> dict[str, Any]:
    return json.loads(resources.files("fargate_nb").joinpath("data/diagnose-policy.json").read_text())


@pytest.fixture(scope="module")
def recording(moto_server: Sandbox) -> Iterator[Recording]:
    from fargate_nb.aws import make_context
    from fargate_nb.aws.discover import list_clusters, list_services, list_stopped_tasks
    from fargate_nb.investigation import open_live, open_scenario

    rec = Recording()
    original_call = Caller.call
    original_recorder = AwsContext._recorder

    def call(self: Caller, service: str, operation: str, *, resource: str | None = None,
             region: str | None = None, **params: Any) -> Any:
        out = original_call(self, service, operation, resource=resource, region=region, **params)
        key_arn = None
        if (service, operation) == ("kms", "DescribeKey") and out.ok:
            key_arn = (out.data.get("KeyMetadata") or {}).get("Arn")
        with rec.lock:
            rec.calls.append(Call(service, operation, resource, region or self.ctx.region,
                                  json.dumps(params, default=str, sort_keys=True), key_arn))
        return out

    def recorder(self: AwsContext, service: str) -> Any:
        inner = original_recorder(self, service)

        def record(model: Any = None, **kwargs: Any) -> None:
            inner(model=model, **kwargs)
            with rec.lock:
                rec.sent.add((service, getattr(model, "name", "?")))

        return record

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Caller, "call", call)
        mp.setattr(AwsContext, "_recorder", recorder)
        for scenario_id in scenario_ids():
            found = open_scenario(scenario_id, sandbox=moto_server, activate=False)  # resets the sandbox
            rec.runs.append(f"{scenario_id} (task)")
            env = found.lab.env
            if env.service_name:
                with moto_server.activated():
                    open_live(cluster=env.cluster, service=env.service_name, region=moto_server.region,
                              endpoint_url=moto_server.endpoint_url)
                rec.runs.append(f"{scenario_id} (service)")
        # The representative environment of tests/aws (boundary, customer-managed key, Parameter Store
        # secrets in its "worker" service, which no lab scenario has), then the task picker's listings.
        moto_server.reset()
        with moto_server.activated():
            rep = build_private_env(moto_server)
            live = {"region": moto_server.region, "endpoint_url": moto_server.endpoint_url}
            open_live(cluster=rep.cluster, task=rep.task_arn, **live)
            open_live(cluster=rep.cluster, service=rep.service, **live)
            open_live(cluster=rep.cluster, service="worker", **live)
            rec.runs.append("representative (task, service, worker)")
            ctx = make_context(**live)
            assert list_clusters(ctx)
            assert list_services(ctx, rep.cluster)
            assert list_stopped_tasks(ctx, rep.cluster) is not None
            rec.runs.append("discovery")
    moto_server.reset()
    yield rec


#: Actions IAM authorizes on "*" only (no resource types in the Service Authorization Reference).
NO_RESOURCE_TYPES = frozenset({"ecr:DescribePullThroughCacheRules"})


def _iam_resource(call: Call) -> str:
    """The resource IAM authorizes the call on, for the services the policy scopes by resource."""
    label = (call.resource or "").split(" ")[0]  # "ARN inline policy NAME", "REPO_ARN IMAGE_REF"
    if call.action in NO_RESOURCE_TYPES:
        return "*"
    if call.service in ("iam", "ecr", "secretsmanager"):
        assert label.startswith("arn:"), f"{call.action}: no ARN to authorize on ({call.resource!r})"
        return label
    if call.service == "kms":
        if call.key_arn:
            return call.key_arn
        if label.startswith("arn:") and ":key/" in label:
            return label
        assert "alias/" not in label, f"{call.action} on an alias that did not resolve: {label!r}"
        return f"arn:aws:kms:{call.region}:{ACCOUNT}:key/{label}"
    return "*"  # ecs, ec2, ssm:DescribeParameters, logs, sts: granted on "*"


def _policy_actions(policy: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow", statement.get("Sid")
        assert "NotAction" not in statement and "NotResource" not in statement, statement.get("Sid")
        listed = statement["Action"]
        listed = [listed] if isinstance(listed, str) else listed
        assert all("*" not in a and "?" not in a for a in listed), f"wildcard action in {statement.get('Sid')}"
        actions.update(listed)
    return actions


def _call_sites() -> set[str]:
    """Every ``service:Operation`` a ``.call("service", ...)`` site in fargate_nb/aws/ can make."""
    actions: set[str] = set()
    dynamic_seen: set[tuple[str, str]] = set()
    for path in sorted(AWS_DIR.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for service, operation in re.findall(r'\.call\(\s*"([a-z0-9-]+)",\s*"(\w+)"', text):
            actions.add(iam_action(service, operation))
        for service in re.findall(r'\.call\(\s*"([a-z0-9-]+)",\s*[a-z_]\w*\s*,', text):
            key = (path.name, service)
            assert key in DYNAMIC_SITES, f"{path.name}: a {service} call with a variable operation: list it"
            dynamic_seen.add(key)
            for operation in DYNAMIC_SITES[key]:
                assert f'"{operation}"' in text, f"{operation} is not named in {path.name}"
                actions.add(iam_action(service, operation))
    assert dynamic_seen == set(DYNAMIC_SITES), "DYNAMIC_SITES names a call site that is gone"
    return actions


def _recorded_actions(rec: Recording) -> set[str]:
    return {c.action for c in rec.calls}


# -- the tests --------------------------------------------------------------------------------------------
def test_every_scenario_ran_through_both_paths(recording: Recording) -> None:
    ids = scenario_ids()
    assert [r for r in recording.runs if r.endswith("(task)")] == [f"{i} (task)" for i in ids]
    assert any(r.endswith("(service)") for r in recording.runs)
    assert recording.runs[-1] == "discovery"


def test_every_call_went_through_the_read_only_wrapper(recording: Recording) -> None:
    wrapped = {(c.service, c.operation) for c in recording.calls}
    assert recording.sent == wrapped, "a call reached botocore without the collector's wrapper (or never left it)"


def test_the_shipped_policy_is_valid() -> None:
    problems = [str(p) for p in validate_policy(_shipped_policy(), kind="identity")]
    assert problems == []


def test_every_recorded_call_is_allowed_by_the_shipped_policy(recording: Recording) -> None:
    policy = _shipped_policy()
    denied: dict[tuple[str, str], str] = {}
    for call in recording.calls:
        request = Request(action=call.action, resource=_iam_resource(call), principal=CALLER)
        decision = evaluate(request, identity_policies=[("diagnose-policy", policy)], resource_account=ACCOUNT)
        if decision.decision != "allowed":
            denied[(request.action, request.resource)] = f"{decision.decision}: {decision.reason}"
    assert denied == {}


def test_the_policy_allows_only_calls_the_collector_makes(recording: Recording) -> None:
    allowed = _policy_actions(_shipped_policy())
    recorded = _recorded_actions(recording)
    conditional = set(CONDITIONAL_ONLY)
    assert not conditional & recorded, "the sandbox made this call after all: drop it from CONDITIONAL_ONLY"
    assert recorded - allowed == set(), "calls the policy does not allow"
    assert allowed - recorded - conditional == set(), "the policy grants actions the kit never calls"
    assert conditional - allowed == set(), "CONDITIONAL_ONLY names an action the policy does not grant"


def test_every_call_site_is_covered_and_nothing_else(recording: Recording) -> None:
    """The policy, the recorded calls plus the documented exceptions, and the source's call sites agree."""
    sites = _call_sites()
    allowed = _policy_actions(_shipped_policy())
    assert sites == allowed, (f"call sites the policy misses: {sorted(sites - allowed)}; "
                              f"granted without a call site: {sorted(allowed - sites)}")
    assert sites == _recorded_actions(recording) | set(CONDITIONAL_ONLY)


def test_no_recorded_call_mutates_anything(recording: Recording) -> None:
    mutating = sorted({c.action for c in recording.calls if not READ_ONLY.match(c.operation)})
    assert mutating == []
    assert {c.action for c in recording.calls if c.service == "sts"} <= {"sts:GetCallerIdentity"}


def test_no_secret_value_is_ever_read(recording: Recording) -> None:
    recorded = _recorded_actions(recording)
    assert recorded & SECRET_READS == set()
    assert not [c for c in recording.calls if "decrypt" in c.params.lower()], "a call asked for decryption"
    policy = _shipped_policy()
    samples = {
        "secretsmanager:GetSecretValue": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf",
        "secretsmanager:BatchGetSecretValue": "*",
        "ssm:GetParameter": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/db",
        "ssm:GetParameters": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/db",
        "ssm:GetParametersByPath": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app",
        "ssm:GetParameterHistory": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/db",
        "kms:Decrypt": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "ecr:GetAuthorizationToken": "*",
        "ecr:GetDownloadUrlForLayer": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/app",
    }
    assert set(samples) == SECRET_READS
    for action, resource in samples.items():
        decision = evaluate(Request(action=action, resource=resource, principal=CALLER),
                            identity_policies=[("diagnose-policy", policy)], resource_account=ACCOUNT)
        assert decision.decision == "implicit_deny", action


def test_the_collector_doc_lists_every_granted_action() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "collector.md").read_text(encoding="utf-8")
    missing = sorted(a for a in _policy_actions(_shipped_policy()) if a.split(":")[1] not in doc)
    assert missing == []
