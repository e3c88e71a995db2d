"""A local IAM policy evaluator: AWS's documented evaluation logic, offline and explainable.

    from fargate_nb.iam import Request, evaluate
    decision = evaluate(Request(action="ecr:BatchGetImage", resource=repo_arn, principal=role_arn),
                        identity_policies=[("AmazonECSTaskExecutionRolePolicy", doc)])
    decision.decision  # "allowed" | "explicit_deny" | "implicit_deny" | "unknown"

It knows nothing about ECS: checks build the requests. See docs/iam.md for the rules and sources.
"""

from fargate_nb.iam.compile import clear_cache, compile_policy
from fargate_nb.iam.evaluate import evaluate, evaluate_trust
from fargate_nb.iam.model import Decision, MatchedStatement, PolicyError, Problem, Request
from fargate_nb.iam.validate import validate_policy

__all__ = [
    "Decision",
    "MatchedStatement",
    "PolicyError",
    "Problem",
    "Request",
    "clear_cache",
    "compile_policy",
    "evaluate",
    "evaluate_trust",
    "validate_policy",
]
