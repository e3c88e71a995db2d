"""The tables: the Diagnosis' permission rows per role, its network rows, its findings, escaped.

The permission answers are recorded by the permission checks as they decide (the tables evaluate
nothing), so these tests run the real `diagnose` on snapshots with role evidence.
"""

from __future__ import annotations

import re

import pytest

from fargate_nb.diagnose import diagnose
from fargate_nb.diagnose.policy import minimal_execution_policy
from fargate_nb.iam import Request, evaluate
from fargate_nb.model import Finding, Remediation
from fargate_nb.pullflow import plan
from fargate_nb.views.tables import (
    css_string,
    endpoints_table,
    findings_table,
    network_table,
    permissions_table,
)
from tests.support.diagnoses import ecr_auth_denied, make_diagnosis, passing
from tests.support.view_scenarios import ACCT, DB_SECRET, EXEC_ROLE, KEY_ARN, REGION, TASK_ROLE, make_snapshot

REPO_ARN = f"arn:aws:ecr:{REGION}:{ACCT}:repository/payments-api"
ECR_AND_LOGS = {"Version": "2012-10-17", "Statement": [{
    "Sid": "PullAndLog", "Effect": "Allow", "Resource": "*",
    "Action": ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
               "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"]}]}


def _role(arn, inline=None, attached=None):
    return {"Role": {"RoleName": arn.rsplit("/", 1)[-1], "Arn": arn,
                     "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                         "Action": "sts:AssumeRole"}]}},
            "InlinePolicies": inline or {}, "AttachedPolicies": attached or [], "PermissionsBoundary": None}


def _snapshot_with_roles(exec_inline=None, task_inline=None, **kwargs):
    snap = make_snapshot(**kwargs)
    snap.roles[EXEC_ROLE] = _role(EXEC_ROLE, attached=[{
        "PolicyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        "PolicyName": "AmazonECSTaskExecutionRolePolicy", "Document": ECR_AND_LOGS}], inline=exec_inline)
    snap.roles[TASK_ROLE] = _role(TASK_ROLE, inline=task_inline)
    return snap


def _row(df, action, resource_part=""):
    rows = df[(df["action"] == action) & df["resource"].str.contains(resource_part, regex=False)]
    assert len(rows) == 1, f"{action} {resource_part}: {len(rows)} rows"
    return rows.iloc[0]


def _status(df, action, role="execution role", resource_part=""):
    rows = df[(df["action"] == action) & df["resource"].str.contains(resource_part, regex=False)]
    assert len(rows) == 1
    return df.attrs["statuses"][role][rows.index[0]]


def test_permissions_are_decided_for_both_roles_with_the_deciding_statement():
    snap = _snapshot_with_roles(task_inline={"app": {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadDb", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": DB_SECRET}]}})
    diag = diagnose(snap)
    df = permissions_table(diag)
    needed = [(n.action, n.resource) for n in plan(snap).needs]
    assert list(zip(df["action"], df["resource"], strict=True)) == needed
    auth = _row(df, "ecr:GetAuthorizationToken")
    assert (auth["execution role"], auth["task role"]) == ("allowed", "denied")
    assert "AmazonECSTaskExecutionRolePolicy" in auth["execution role by"]
    assert _status(df, "ecr:GetAuthorizationToken") == "pass"
    assert _status(df, "ecr:GetAuthorizationToken", "task role") == "info"  # neutral: Fargate never asks it
    secret = _row(df, "secretsmanager:GetSecretValue")
    assert (secret["execution role"], secret["task role"]) == ("denied", "allowed")
    assert "ReadDb" in secret["task role by"]
    # The permission sits on the task role: role.confusion fails, and that row of the task role says so.
    assert [f.status for f in diag.finding("role.confusion")] == ["fail"]
    assert _status(df, "secretsmanager:GetSecretValue") == "fail"
    assert _status(df, "secretsmanager:GetSecretValue", "task role") == "fail"
    assert _row(df, "ssm:GetParameters")["execution role"] == "denied"
    assert _status(df, "ssm:GetParameters", "task role") == "info"


def test_the_table_agrees_with_the_findings():
    """Each execution-role status is the status of the finding that recorded the answer."""
    snap = _snapshot_with_roles(task_inline={"app": {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadDb", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": DB_SECRET}]}})
    diag = diagnose(snap)
    for row in diag.permissions:
        if row.role != "execution" or not row.finding_refs:
            continue
        statuses = {f.status for f in diag.findings_at(row.finding_refs)}
        assert row.status in statuses, (row.action, row.status, statuses)
    df = permissions_table(diag)
    assert df.attrs["statuses"]["execution role"] == [r.status for r in diag.permissions if r.role == "execution"]


def test_an_explicit_deny_is_named():
    deny = {"guard": {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoImagesFromOutside", "Effect": "Deny", "Action": "ecr:BatchGetImage", "Resource": "*"}]}}
    diag = diagnose(_snapshot_with_roles(exec_inline=deny, secrets=False))
    df = permissions_table(diag)
    row = _row(df, "ecr:BatchGetImage")
    assert row["execution role"] == "explicit deny" and _status(df, "ecr:BatchGetImage") == "fail"
    assert "NoImagesFromOutside" in row["execution role by"]
    assert _row(df, "ecr:GetDownloadUrlForLayer")["execution role"] == "allowed"
    assert [f.status for f in diag.finding("iam.ecr-pull")] == ["fail"]
    # role.confusion does not fail: the whole task-role column is neutral, whatever it decides
    assert set(df.attrs["statuses"]["task role"]) == {"info"}
    html = permissions_table(diag, styled=True).to_html()
    column = list(df.columns).index("task role")
    neutral = _styled_cells(html, "color: #607d8b")
    assert {f"row{i}_col{column}" for i in range(len(df))} <= neutral
    assert not any(cell.endswith(f"_col{column}") for cell in _styled_cells(html, "color: #c62828"))


def _styled_cells(html, css):
    """The ``rowN_colM`` cells a Styler's CSS rules give ``css``."""
    cells = set()
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", html):
        if css in body:
            cells |= set(re.findall(r"_(row\d+_col\d+)", selectors))
    return cells


def test_missing_unread_and_absent_roles():
    snap = make_snapshot(secrets=False, logs=False)
    snap.roles[EXEC_ROLE] = None  # looked up: does not exist
    diag = diagnose(snap)
    df = permissions_table(diag)
    assert "allowed" not in set(df["execution role"])
    assert not {"pass", "info"} & set(df.attrs["statuses"]["execution role"])  # never a false "healthy"
    auth = _row(df, "ecr:GetAuthorizationToken")
    assert auth["execution role"] == "not evaluated" and "does not exist" in auth["execution role by"]
    assert _status(df, "ecr:GetAuthorizationToken") == "fail"
    assert set(df["task role"]) == {"not evaluated"}  # never read
    assert set(df.attrs["statuses"]["task role"]) == {"info"}
    snap.task_definition.pop("taskRoleArn")
    assert set(permissions_table(diagnose(snap))["task role"]) == {"no role"}


def test_customer_managed_keys_add_a_kms_row():
    snap = _snapshot_with_roles(cmk=True, logs=False)
    df = permissions_table(diagnose(snap))
    assert _row(df, "kms:Decrypt", KEY_ARN)["execution role"] != "allowed"  # no key policy read
    assert _status(df, "kms:Decrypt", resource_part=KEY_ARN) != "pass"
    snap.kms_keys[KEY_ARN]["Policy"] = {"Version": "2012-10-17", "Statement": [{  # the default key policy
        "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
        "Action": "kms:*", "Resource": "*"}]}
    df = permissions_table(diagnose(snap))
    row = _row(df, "kms:Decrypt", KEY_ARN)
    assert row["step"] == "secrets" and row["execution role"] == "denied"
    assert _status(df, "kms:Decrypt", resource_part=KEY_ARN) == "fail"
    assert "kms:Decrypt" not in set(permissions_table(diagnose(_snapshot_with_roles(logs=False)))["action"])


def test_styled_permissions_escape_hostile_policy_text():
    evil = '"</style><script>alert(1)</script>'
    snap = _snapshot_with_roles(exec_inline={"x": {"Version": "2012-10-17", "Statement": [
        {"Sid": evil, "Effect": "Deny", "Action": "ssm:GetParameters", "Resource": "*"}]}})
    html = permissions_table(diagnose(snap), styled=True).to_html()
    assert "<script>" not in html and "</style><script" not in html
    assert 'class="fargate-nb-permissions"' in html
    assert css_string(evil) in html  # the tooltip still carries the Sid, CSS-escaped
    assert re.search(r"color: #c62828", html)  # denied cells are red


def test_css_string_cannot_end_the_string_or_the_style_block():
    text = css_string('a"b\\c</style>\nnext')
    assert '"' not in text and "<" not in text and "\n" not in text
    assert text.startswith("a\\22 b\\5c c\\3c /style\\3e ")
    assert "\\a next" in text


def test_network_table_columns_come_from_the_findings():
    snap = make_snapshot()
    findings = passing(snap) + [
        Finding("net.endpoint-sg", "fail", "manifest", "the endpoint SG does not admit 443", target="ecr.dkr"),
        Finding("net.task-sg-egress", "pass", "manifest", "443 out allowed", target="ecr.dkr"),
        Finding("net.endpoint-private-dns", "warn", "logs", "private DNS off", target="logs"),
    ]
    diag = make_diagnosis(snap, findings)
    df = network_table(diag).set_index("destination")
    assert list(df.index) == ["ecr.api", "ecr.dkr", "s3", "secretsmanager", "ssm", "logs"]
    assert (df.loc["ecr.dkr", "SG in"], df.loc["ecr.dkr", "SG out"], df.loc["ecr.dkr", "status"]) == ("fail", "pass", "fail")
    assert df.loc["ecr.dkr", "findings"] == "net.endpoint-sg"
    assert (df.loc["logs", "DNS"], df.loc["logs", "status"]) == ("warn", "warn")
    assert df.loc["ssm", "SG in"] == "—"
    assert df.loc["ecr.api", "path"] == "no VPC"  # no network evidence in this snapshot
    assert list(df["status"]) == [r.status for r in diag.network]
    styled = network_table(diag, styled=True).to_html()
    assert "the endpoint SG does not admit 443" in styled  # tooltip
    assert 'class="fargate-nb-network"' in styled


def test_findings_table_filters_and_shows_fixes_only_for_problems():
    snap = make_snapshot(secrets=False)
    ok = Finding("iam.logs", "pass", "logs", "ok", remediation=Remediation("should not show"))
    diag = make_diagnosis(snap, [ecr_auth_denied(), ok, Finding("taskdef.invalid", "fail", None, "<b>bad</b> field")])
    assert list(findings_table(diag, problems_first=False)["id"]) == ["iam.ecr-auth", "iam.logs", "taskdef.invalid"]
    df = findings_table(diag)
    assert list(df["id"]) == ["iam.ecr-auth", "taskdef.invalid", "iam.logs"]
    assert df.set_index("id").loc["iam.logs", "fix"] == ""
    assert df.set_index("id").loc["iam.ecr-auth", "fix"].startswith("Allow ecr:GetAuthorizationToken")
    assert df.set_index("id").loc["taskdef.invalid", "step"] == "task definition"
    assert list(findings_table(diag, statuses=["fail"])["id"]) == ["iam.ecr-auth", "taskdef.invalid"]
    html = findings_table(diag, styled=True).to_html()
    assert "<b>bad</b>" not in html and "&lt;b&gt;bad&lt;/b&gt;" in html
    assert findings_table(make_diagnosis(snap, [])).empty


def test_the_minimal_policy_allows_exactly_what_the_pull_needs():
    snap = make_snapshot(cmk=True)
    policy = minimal_execution_policy(snap)
    label = [("minimal", policy)]

    def decide(action, resource):
        return evaluate(Request(action, resource, principal=EXEC_ROLE), identity_policies=label).decision

    from fargate_nb.investigation import investigate

    assert investigate(snap).minimal_policy() == policy
    for need in plan(snap).needs:
        assert decide(need.action, need.resource) == "allowed", need
    assert decide("kms:Decrypt", KEY_ARN) == "allowed"
    auth = next(s for s in policy["Statement"] if s["Action"] == "ecr:GetAuthorizationToken")
    assert auth["Resource"] == "*"
    assert decide("ecr:BatchGetImage", f"arn:aws:ecr:{REGION}:{ACCT}:repository/other") == "implicit_deny"
    assert decide("secretsmanager:GetSecretValue", DB_SECRET.replace("db-", "other-")) == "implicit_deny"
    assert decide("s3:GetObject", "*") == "implicit_deny"


@pytest.mark.parametrize("image, expected", [
    (None, ["ecr.api", "ecr.dkr", "s3", "secretsmanager", "ssm", "logs"]),
    ("nginx:1.27", ["registry-1.docker.io", "secretsmanager", "ssm", "logs"]),
])
def test_endpoints_table_lists_what_a_private_subnet_needs(image, expected):
    snap = make_snapshot(image) if image else make_snapshot()
    diag = make_diagnosis(snap, passing(snap))
    df = endpoints_table(diag).set_index("destination")
    assert list(df.index) == expected
    assert list(df.index) == [r.target for r in diag.network]
    assert set(df["path now"]) == {"no VPC"}
    if "s3" in df.index:
        assert df.loc["s3", "step"] == "layers" and "starport" in df.loc["s3", "why"]


def test_endpoints_table_names_the_endpoint_service_and_its_type():
    snap = make_snapshot()
    df = endpoints_table(make_diagnosis(snap, passing(snap))).set_index("destination")
    assert df.loc["ecr.dkr", "endpoint service"] == f"com.amazonaws.{REGION}.ecr.dkr"
    assert df.loc["ecr.dkr", "type"].startswith("interface")
    assert df.loc["s3", "type"].startswith("gateway")


def test_long_arns_wrap_inside_a_bounded_cell():
    snap = make_snapshot()
    diag = make_diagnosis(snap, passing(snap))
    page = permissions_table(diag, styled=True).to_html()
    assert "overflow-wrap: break-word" in page and "max-width: 28em" in page and "overflow-wrap: anywhere" in page
    assert "word-break: break-all" in page  # the resource column: ARNs have no spaces to break at
    assert "word-break: break-all" in network_table(diag, styled=True).to_html()


def test_the_findings_bundle_folds_passing_checks_away(auth_broken):
    from fargate_nb.views.notebook import findings_bundle

    _, diag = auth_broken
    page = findings_bundle(diag)["data"]["text/html"]
    shown, folded = page.split("<details", 1)
    assert "iam.ecr-auth" in shown and ">pass<" not in shown
    passing_count = sum(f.status in ("pass", "skipped") for f in diag.findings)
    assert f"<summary>{passing_count} passing or skipped checks</summary>" in folded
    assert ">fail<" not in folded
    assert list(findings_table(diag, statuses=("pass", "skipped"))["status"].unique()) == ["pass"]
