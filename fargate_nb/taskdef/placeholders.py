"""Template placeholders that CI and deploy tools fill in before a task definition is registered.

A task definition in a repository is often a template: CodePipeline's ECS deploy actions replace
``<IMAGE1_NAME>`` (the "Amazon ECS" and "Amazon ECS and CodeDeploy blue/green" actions,
https://docs.aws.amazon.com/codepipeline/latest/userguide/file-reference.html), envsubst and Terraform's
``templatefile`` fill ``${VAR}``, ecspresso, Jinja and Handlebars ``{{ VAR }}``, Octopus Deploy ``#{Var}``,
Azure Pipelines ``$(Var)`` and token-replace tasks ``__VAR__``, and hand-written samples say
``REPLACE_ME_...``, ``<ACCOUNT_ID>`` or ``xxxxxxxxxxxx``. A placeholder is never a problem by itself: the rules
that judge a value's content (image reference, role ARN, enum, task size) leave a value that holds one alone,
and the linter lists them in one ``info`` finding. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

#: One alternative per template convention; a value holding any of them is a template value.
PLACEHOLDER = re.compile(
    r"<[A-Za-z_][A-Za-z0-9_.:-]*>"  # <IMAGE1_NAME>, <ACCOUNT_ID>, <region>
    r"|\$\{[^{}]+\}"  # ${VAR}, ${var.image}, ${AWS::AccountId}
    r"|\{\{[^{}]*\}\}"  # {{VAR}}, {{ must_env `AWS_ACCOUNT_ID` }}
    r"|#\{[^{}]+\}"  # #{Octopus.Var}
    r"|%\{[^{}]+\}"  # %{ for c in containers ~}
    r"|\$\([A-Za-z_][\w.]*\)"  # $(Build.BuildId)
    r"|\$[A-Z_][A-Z0-9_]{2,}\b"  # $IMAGE_TAG
    r"|__[A-Za-z][A-Za-z0-9_]*__"  # __IMAGE__
    r"|@@[A-Za-z][A-Za-z0-9_]*@@"  # @@IMAGE@@
    r"|%[A-Z_][A-Z0-9_]*%"  # %BUILD_NUMBER%
    r"|\b(?:REPLACE|CHANGE)_?ME\w*|\bREPLACE_\w+|\bYOUR_[A-Z0-9_]+"  # REPLACE_ME_ACCOUNT, YOUR_ACCOUNT_ID
    r"|\b[A-Z0-9_]*PLACEHOLDER[A-Z0-9_]*\b"  # PLACEHOLDER_IMAGE, DATABASE_URL_PLACEHOLDER
    r"|(?<![A-Za-z0-9])[xX]{12}(?![A-Za-z0-9])"  # arn:aws:iam::xxxxxxxxxxxx:role/...
    # sed-style bare words, only where an account, a region or a tag belongs (an env var may be named REGION):
    r"|(?<=:)(?:AWS_)?ACCOUNT_?ID(?=:)|\b(?:AWS_)?ACCOUNT_?ID(?=\.dkr\.)"  # arn:aws:iam::ACCOUNT_ID:role/x
    r"|(?<=\.dkr\.ecr\.)(?:AWS_)?REGION(?=\.)|(?<=:)IMAGE_TAG\b"  # ACCOUNT_ID.dkr.ecr.REGION.amazonaws.com/app:IMAGE_TAG
)
#: Shell variables in a container's command are the container's own business, not a template's.
_SHELL_PATH = re.compile(r"\.(?:command|entryPoint)\[\d+\]$")


#: Off for a registered (or rendered) task definition: there "<IMAGE1_NAME>" is the literal image ECS pulls.
_RECOGNISED: ContextVar[bool] = ContextVar("taskdef_placeholders_recognised", default=True)


@contextmanager
def placeholders_recognised(on: bool) -> Iterator[None]:
    """Within the block, template placeholders are recognised (``on``) or judged as literal values."""
    token = _RECOGNISED.set(on)
    try:
        yield
    finally:
        _RECOGNISED.reset(token)


def placeholders_in(text: str) -> list[str]:
    """The placeholders a string holds, in order (empty for a plain value, or when they are not recognised)."""
    return [m.group(0) for m in PLACEHOLDER.finditer(text)] if _RECOGNISED.get() else []


def has_placeholder(value: Any) -> bool:
    """Whether ``value`` is a string that holds a template placeholder (and placeholders are recognised)."""
    return _RECOGNISED.get() and isinstance(value, str) and PLACEHOLDER.search(value) is not None


def find_placeholders(doc: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(JSON path, placeholder) for every placeholder in the document's string values, depth first."""
    from fargate_nb.taskdef.shape import join  # shape imports this module for its type and enum checks

    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from find_placeholders(value, join(path, str(key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from find_placeholders(value, join(path, i))
    elif isinstance(doc, str) and not _SHELL_PATH.search(path):
        for token in placeholders_in(doc):
            yield path, token
