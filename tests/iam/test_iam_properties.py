"""Property tests: deny monotonicity, order independence, and wildcard matching against a regex twin."""

from __future__ import annotations

import random
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iam_helpers import ACCOUNT, KEY, REPO, ROLE, SESSION

from fargate_nb.iam import Request, evaluate
from fargate_nb.iam.patterns import Pattern

LOG_GROUP = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/app"
ACTIONS = ["ecr:BatchGetImage", "ecr:GetAuthorizationToken", "logs:PutLogEvents", "kms:Decrypt"]
ACTION_PATTERNS = [*ACTIONS, "ecr:*", "ecr:Get*", "*", "logs:*", "kms:De?rypt", "s3:*", "ECR:batchgetimage"]
RESOURCES = [REPO, "*", LOG_GROUP, KEY]
RESOURCE_PATTERNS = ["*", REPO, f"arn:aws:ecr:*:{ACCOUNT}:repository/*", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/ecs/*",
                     "arn:aws:kms:*", "arn:aws:s3:::bucket/*", f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/${{aws:username}}"]
KEYS = ["aws:SourceVpce", "aws:SecureTransport", "aws:SourceIp", "aws:PrincipalTag/team"]
CONDITIONS = [
    {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
    {"StringNotEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}},
    {"StringLike": {"aws:PrincipalTag/team": "b*"}},
    {"StringEqualsIfExists": {"aws:PrincipalTag/team": "blue"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"Null": {"aws:SourceVpce": "true"}},
    {"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": ["blue", "red"]}},
    {"ForAllValues:StringLike": {"aws:PrincipalTag/team": "*e*"}},
    {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
]
VALUES = {
    "aws:SourceVpce": ["vpce-1", "vpce-2", "vpce-3"],
    "aws:SecureTransport": [True, False, "true"],
    "aws:SourceIp": ["10.1.2.3", "192.0.2.1", "2001:db8::1"],
    "aws:PrincipalTag/team": ["blue", "red", "green", ["blue", "green"]],
}


# Scenarios are built from one drawn seed: hypothesis stays cheap (one integer per example) and a
# failing example is reproducible from the seed it prints.
def make_statement(rnd: random.Random, effect: str | None = None, principal: bool = False) -> dict:
    s = {"Effect": effect or ("Allow" if rnd.random() < 0.75 else "Deny")}
    actions = rnd.sample(ACTION_PATTERNS, rnd.randint(1, 3))
    s["NotAction" if rnd.randint(0, 5) == 0 else "Action"] = actions
    resources = rnd.sample(RESOURCE_PATTERNS, rnd.randint(1, 2))
    if principal:
        if rnd.random() < 0.5:
            s["Resource"] = resources
        s["Principal"] = rnd.choice(["*", {"AWS": ROLE}, {"AWS": ACCOUNT}, {"AWS": SESSION}, {"AWS": "444455556666"}])
    else:
        s["NotResource" if rnd.randint(0, 5) == 0 else "Resource"] = resources
    block: dict = {}
    for c in rnd.sample(CONDITIONS, rnd.choice([0, 0, 1, 2])):
        for op, body in c.items():
            block.setdefault(op, {}).update(body)
    if block:
        s["Condition"] = block
    if rnd.random() < 0.5:
        s["Sid"] = f"S{rnd.randint(0, 99)}"
    return s


def make_document(rnd: random.Random, principal: bool = False) -> dict:
    version = rnd.choice(["2012-10-17", "2012-10-17", "2008-10-17"])
    return {"Version": version, "Statement": [make_statement(rnd, principal=principal)
                                               for _ in range(rnd.randint(1, 4))]}


def make_scenario(rnd: random.Random) -> tuple[Request, dict]:
    context = {k: rnd.choice(VALUES[k]) for k in rnd.sample(KEYS, rnd.randint(0, len(KEYS)))}
    free = [k for k in KEYS if k not in context]
    unknown = frozenset(rnd.sample(free, rnd.randint(0, min(2, len(free)))))
    request = Request(rnd.choice(ACTIONS), rnd.choice(RESOURCES), rnd.choice([ROLE, SESSION]), context, unknown)
    kwargs: dict = {"identity_policies": [(f"p{i}", make_document(rnd)) for i in range(rnd.randint(0, 3))]}
    if rnd.random() < 0.5:
        kwargs["permissions_boundary"] = make_document(rnd)
    if rnd.random() < 0.5:
        kwargs["resource_policy"] = make_document(rnd, principal=True)
    if rnd.random() < 0.25:
        kwargs["scps"] = [make_document(rnd) for _ in range(rnd.randint(1, 2))]
    if rnd.random() < 0.25:
        kwargs["endpoint_policy"] = make_document(rnd, principal=True)
    if rnd.random() < 0.2:
        kwargs["resource_account"] = "444455556666"
    if rnd.random() < 0.2 and "resource_policy" in kwargs:
        kwargs["resource_kind"] = "kms"
    return request, kwargs


scenarios = st.integers(0, 2**32).map(lambda seed: make_scenario(random.Random(seed)))
seeds = st.integers(0, 2**32).map(random.Random)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TWIN_SETTINGS = settings(max_examples=200, deadline=None)


@SETTINGS
@given(scenarios, seeds)
def test_adding_a_deny_never_grants(scenario, rnd: random.Random) -> None:
    request, kwargs = scenario
    before = evaluate(request, **kwargs)
    extra = make_statement(rnd, effect="Deny")
    where = rnd.choice(["identity", "boundary", "scp", "resource", "endpoint"])
    patched = dict(kwargs)
    if where == "identity":
        patched["identity_policies"] = [*kwargs["identity_policies"], ("extra", {"Version": "2012-10-17",
                                                                                 "Statement": [extra]})]
    elif where in ("boundary", "scp") and kwargs.get("permissions_boundary" if where == "boundary" else "scps"):
        if where == "boundary":
            b = kwargs["permissions_boundary"]
            patched["permissions_boundary"] = {**b, "Statement": [*b["Statement"], extra]}
        else:
            patched["scps"] = [{**s, "Statement": [*s["Statement"], extra]} for s in kwargs["scps"]]
    elif where in ("resource", "endpoint"):
        key = f"{where}_policy"
        extra = {**extra, "Principal": "*"}
        extra.pop("NotResource", None) if where == "resource" else None
        current = kwargs.get(key) or {"Version": "2012-10-17", "Statement": []}
        patched[key] = {**current, "Statement": [*current["Statement"], extra]}
    after = evaluate(request, **patched)
    if after.decision == "allowed":
        assert before.decision == "allowed"
    if "allowed" in after.possible:
        assert "allowed" in before.possible
    if before.decision in ("explicit_deny", "implicit_deny"):
        assert after.decision != "allowed" and "allowed" not in after.possible


@SETTINGS
@given(scenarios, seeds)
def test_statement_and_policy_order_never_matters(scenario, rnd: random.Random) -> None:
    request, kwargs = scenario
    before = evaluate(request, **kwargs)

    def shuffled(doc):
        statements_ = list(doc["Statement"])
        rnd.shuffle(statements_)
        return {**doc, "Statement": statements_}

    patched = dict(kwargs)
    ids = [(label, shuffled(doc)) for label, doc in kwargs["identity_policies"]]
    rnd.shuffle(ids)
    patched["identity_policies"] = ids
    for key in ("permissions_boundary", "resource_policy", "endpoint_policy"):
        if kwargs.get(key):
            patched[key] = shuffled(kwargs[key])
    if kwargs.get("scps"):
        patched["scps"] = [shuffled(s) for s in kwargs["scps"]]
    after = evaluate(request, **patched)
    assert (after.decision, after.possible, after.missing_context) == \
           (before.decision, before.possible, before.missing_context)
    assert sorted((m.policy, m.sid or "", m.effect) for m in after.matched) == \
           sorted((m.policy, m.sid or "", m.effect) for m in before.matched)


@SETTINGS
@given(st.sampled_from(ACTIONS), seeds)
def test_action_case_never_matters(action, rnd: random.Random) -> None:
    doc = make_document(rnd)
    flipped = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in action)
    a = evaluate(Request(action, "*", ROLE), [doc])
    b = evaluate(Request(flipped, "*", ROLE), [doc])
    assert a.decision == b.decision


# -- wildcard patterns against regular-expression twins written here, from the documentation --------
def twin_glob(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """StringLike / Action: '*' any run, '?' one character, everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def twin_resource(pattern: str, text: str) -> bool:
    """Resource: wildcards stay within a colon-separated segment, except a '*' that ends one of the
    first five segments, which may run on; in the resource part (after the fifth colon) anything goes."""
    if pattern == "*":
        return True
    out, seen = [], 0
    for i, c in enumerate(pattern):
        in_resource_part = seen >= 5
        if c == ":" and not in_resource_part:
            seen += 1
            out.append(":")
        elif c == "*":
            at_end = i == len(pattern) - 1 or pattern[i + 1] == ":"
            out.append(".*" if in_resource_part or at_end else "[^:]*")
        elif c == "?":
            out.append("." if in_resource_part else "[^:]")
        else:
            out.append(re.escape(c))
    return re.fullmatch("".join(out), text, re.DOTALL) is not None


def twin_arn(pattern: str, text: str) -> bool:
    """ArnLike: six colon-delimited components, each matched on its own."""
    p, t = pattern.split(":", 5), text.split(":", 5)
    if len(p) != 6 or len(t) != 6 or p[0] != "arn" or t[0] != "arn":
        return False
    return all(twin_glob(a, b) for a, b in zip(p, t, strict=True))


ALPHABET = st.sampled_from(list("ab:/*?") + ["aa", "arn:", "*:"])
TEXT = st.text(alphabet="ab:/", max_size=16)


@TWIN_SETTINGS
@given(st.lists(ALPHABET, max_size=10).map("".join), TEXT, st.booleans())
def test_glob_pattern_matches_like_its_twin(pattern, text, ignore_case) -> None:
    if ignore_case:
        text = text.upper() if len(text) % 2 else text
    assert Pattern(pattern, "glob", ignore_case=ignore_case).matches(text) == twin_glob(pattern, text, ignore_case)


@TWIN_SETTINGS
@given(st.lists(ALPHABET, max_size=12).map("".join), TEXT)
def test_resource_pattern_matches_like_its_twin(pattern, text) -> None:
    assert Pattern(pattern, "resource").matches(text) == twin_resource(pattern, text)


@TWIN_SETTINGS
@given(st.lists(ALPHABET, max_size=12).map(lambda p: "arn:" + "".join(p)), TEXT.map(lambda t: "arn:" + t))
def test_arn_pattern_matches_like_its_twin(pattern, text) -> None:
    assert Pattern(pattern, "arn").matches(text) == twin_arn(pattern, text)


@TWIN_SETTINGS
@given(st.lists(st.sampled_from(list("ab*?")), min_size=3, max_size=12).map("".join), TEXT)
def test_many_star_patterns_use_the_linear_matcher_correctly(pattern, text) -> None:
    many = pattern + "*a*b*"  # more stars than the regex path accepts
    assert Pattern(many, "glob").matches(text) == twin_glob(many, text)
    assert Pattern("arn:aws:s3:::" + many, "resource").matches("arn:aws:s3:::" + text) == \
        twin_resource("arn:aws:s3:::" + many, "arn:aws:s3:::" + text)


# -- broken input: only PolicyError, never another exception ------------------------------------------
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(
    ["*", "Allow", "Deny", "ecr:*", "ecr:BatchGetImage", REPO, "2012-10-17", "2008-10-17", "aws:SourceVpce",
     "StringEquals", "ForAnyValue:StringLike", "Null", "10.0.0.0/8", "${aws:username}", "arn:aws:iam::1:root",
     ACCOUNT, "true", ""]))
ELEMENT_NAMES = st.sampled_from(["Version", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource",
                                 "NotResource", "Principal", "NotPrincipal", "Condition", "AWS", "Service",
                                 "StringEquals", "IpAddress", "DateLessThan", "aws:SourceVpce", "Bogus"])
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(ELEMENT_NAMES, inner, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.one_of(JSON_VALUES, st.text(max_size=30)), st.sampled_from(
    ["identity_policies", "permissions_boundary", "resource_policy", "endpoint_policy", "scps"]))
def test_garbage_documents_raise_policy_error_or_evaluate(doc, where) -> None:
    from fargate_nb.iam import PolicyError

    kwargs = {where: [doc] if where in ("identity_policies", "scps") else doc}
    if where == "resource_policy" and doc is None:
        return
    try:
        d = evaluate(Request("ecr:BatchGetImage", REPO, ROLE, {"aws:SourceVpce": "vpce-1"}), **kwargs)
    except PolicyError as exc:
        assert str(exc)
    else:
        assert d.decision in ("allowed", "explicit_deny", "implicit_deny", "unknown")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(ELEMENT_NAMES, JSON_VALUES, max_size=6), st.booleans())
def test_garbage_statements_raise_policy_error_or_evaluate(statement, as_resource_policy) -> None:
    from fargate_nb.iam import PolicyError

    base = {"Effect": "Allow", "Action": "ecr:*"} | ({"Principal": "*"} if as_resource_policy else {"Resource": "*"})
    doc = {"Version": "2012-10-17", "Statement": [{**base, **statement}]}
    kwargs = {"resource_policy": doc} if as_resource_policy else {"identity_policies": [doc]}
    try:
        d = evaluate(Request("ecr:BatchGetImage", REPO, ROLE, {"aws:SourceVpce": "vpce-1", "aws:SourceIp": "10.0.0.1"}),
                     **kwargs)
    except PolicyError as exc:
        assert str(exc)
    else:
        assert d.decision in ("allowed", "explicit_deny", "implicit_deny", "unknown")
