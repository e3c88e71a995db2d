"""Shared helpers for the permission checks: the role's evidence, the request, the evaluator's answer.

A permission check asks one question per needed action: may the execution role call ACTION on
RESOURCE, given its identity policies, its permissions boundary, the resource's policy and the
request context Fargate's call would carry? The local evaluator (`fargate_nb.iam`) answers; the
modules here turn its `Decision` into evidence lines (the deciding statement, with its policy label
and Sid) and into a remediation whose what-if fix makes the decision `allowed`.

- `evidence`: ARNs, a role's policies (`RoleView`), recorded gaps;
- `evaluate`: the request context and the evaluator call (`Outcome`), evidence lines;
- `remedy`: remediation built by changing a copy of the evidence until the evaluator allows;
- `execrole`: the task's execution role, and a role that would do;
- `findings`: findings from outcomes (status, detail, evidence, remediation);
- `secrets`: the secrets and parameters a task names, and the KMS keys that protect them.
"""

from fargate_nb.checks.permissions.evaluate import (
    Outcome,
    build_context,
    compact,
    evaluate_role,
    outcome_evidence,
    resource_policy_grants,
    statement_line,
)
from fargate_nb.checks.permissions.evidence import (
    RoleView,
    account_of,
    arn_parts,
    gap_for,
    role_arn_for,
    role_name,
    role_view,
    statements,
    unread_detail,
)
from fargate_nb.checks.permissions.execrole import (
    ECS_TASKS,
    ExecRole,
    create_role_remediation,
    execution_role,
    new_execution_role,
    register_td_cmd,
    trust_policy,
)
from fargate_nb.checks.permissions.findings import (
    decision_of,
    no_role_finding,
    outcome_status,
    permission_finding,
    resource_remedy,
)
from fargate_nb.checks.permissions.remedy import (
    Ask,
    policy_doc,
    policy_name,
    put_role_policy_cmd,
    q,
    remediate,
    resource_policy_cmd,
)
from fargate_nb.checks.permissions.secrets import (
    KeyLookup,
    SecretLookup,
    describe_ref,
    find_key,
    key_for_secret,
    lookup_secret,
    referenced_secret,
    secret_kind,
)

__all__ = [
    "decision_of", "no_role_finding", "outcome_status", "permission_finding", "resource_remedy",
    "ECS_TASKS", "Ask", "ExecRole", "KeyLookup", "Outcome", "RoleView", "SecretLookup", "account_of", "arn_parts",
    "build_context", "compact", "create_role_remediation", "describe_ref", "evaluate_role", "execution_role", "find_key",
    "gap_for", "key_for_secret", "lookup_secret", "new_execution_role", "outcome_evidence", "policy_doc", "policy_name",
    "put_role_policy_cmd", "q", "register_td_cmd", "remediate", "resource_policy_cmd", "resource_policy_grants",
    "referenced_secret", "role_arn_for", "secret_kind", "role_name", "role_view", "statement_line", "statements", "trust_policy", "unread_detail",
]
