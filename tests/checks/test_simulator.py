"""The simulator-agreement check compares stored simulator answers with the local evaluator."""

from fargate_nb.checks.simulator import simulator_agreement
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import plan

ROLE = "arn:aws:iam::111122223333:role/exec"
ALLOW_AUTH = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                                                      "Resource": "*"}]}


def _snap(simulations):
    return Snapshot(region="us-east-1", account="111122223333", simulations=simulations,
                    roles={ROLE: {"Role": {"RoleName": "exec"}, "InlinePolicies": {"p": ALLOW_AUTH},
                                  "AttachedPolicies": [], "PermissionsBoundary": None}})


def _run(snap):
    return simulator_agreement(snap, plan(snap))


def test_skipped_without_simulations():
    assert _run(_snap([]))[0].status == "skipped"


def test_pass_when_answers_match():
    f = _run(_snap([{"principal": ROLE, "action": "ecr:GetAuthorizationToken", "resource": "*", "decision": "allowed"},
                    {"principal": ROLE, "action": "ecr:BatchGetImage", "resource": "arn:aws:ecr:us-east-1:111122223333:repository/a",
                     "decision": "implicitDeny"}]))[0]
    assert f.status == "pass" and len(f.evidence) == 2


def test_info_names_each_disagreement():
    f = _run(_snap([{"principal": ROLE, "action": "ecr:GetAuthorizationToken", "resource": "*",
                     "decision": "implicitDeny"}]))[0]
    assert f.status == "info"
    assert f.evidence == ["ecr:GetAuthorizationToken on *: simulator implicit_deny, local evaluator allowed"]
