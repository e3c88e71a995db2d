"""The task-definition linter: botocore's ECS model (members, types, required, enums) and Fargate's rules.

Rules and their sources are listed in fargate_nb/taskdef/rules.py; the task-size table is the one of
"Amazon ECS task definition parameters" (Task size), also in botocore's documentation of `memory`.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fargate_nb.checks import load_all
from fargate_nb.diagnose import diagnose
from fargate_nb.model import Snapshot
from fargate_nb.taskdef import MAX_FINDINGS, READ_ONLY_MESSAGE, lint_task_definition
from fargate_nb.taskdef.rules import FARGATE_SIZES, parse_cpu, parse_memory
from fargate_nb.taskdef.shape import ecs_shapes

ACCT = "111122223333"
GOOD = {
    "family": "api",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": f"arn:aws:iam::{ACCT}:role/ecsTaskExecutionRole",
    "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
    "containerDefinitions": [{
        "name": "api",
        "image": f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2",
        "essential": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:ssm:us-east-1:{ACCT}:parameter/api/db"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": "/ecs/api", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api"}},
    }],
}
DESCRIBED = {**copy.deepcopy(GOOD), "taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCT}:task-definition/api:7",
             "revision": 7, "status": "ACTIVE", "registeredAt": "2024-06-01T10:00:00.000000+00:00",
             "registeredBy": f"arn:aws:iam::{ACCT}:user/ci", "compatibilities": ["EC2", "FARGATE"],
             "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.ecr-auth"}]}


def td(**changes):
    """GOOD with top-level changes; a value of ... removes the member."""
    doc = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is ...:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def container(**changes):
    doc = td()
    for key, value in changes.items():
        if value is ...:
            doc["containerDefinitions"][0].pop(key, None)
        else:
            doc["containerDefinitions"][0][key] = value
    return doc


def problems(doc, **kw):
    return [f for f in lint_task_definition(doc, **kw) if f.status in ("fail", "warn")]


def only(doc, status="fail", **kw):
    found = [f for f in problems(doc, **kw) if f.status == status]
    assert len(found) == 1, [(f.message, f.evidence) for f in found]
    return found[0]


def test_a_good_task_definition_passes_once():
    findings = lint_task_definition(td())
    assert [(f.id, f.status, f.step) for f in findings] == [("taskdef.invalid", "pass", None)]


@pytest.mark.parametrize("doc, prefix", [(DESCRIBED, ""), ({"taskDefinition": DESCRIBED, "tags": []}, "taskDefinition.")])
def test_describe_task_definition_output_is_accepted(doc, prefix):
    findings = lint_task_definition(doc)
    assert [f.status for f in findings] == ["pass", "info"]
    info = findings[1]
    assert info.message == READ_ONLY_MESSAGE and f"{prefix}revision" in info.evidence
    assert "del(.compatibilities" in info.remediation.commands[0]


def test_read_only_members_come_from_the_output_shape():
    inp, out = ecs_shapes()
    assert {"revision", "taskDefinitionArn", "status", "registeredAt"} <= set(out.members) - set(inp.members)


@pytest.mark.parametrize("where", ["container", "top", "logConfiguration"])
def test_image_pull_behavior_is_not_an_ecs_field_anywhere(where):
    doc = td()
    if where == "container":
        doc["containerDefinitions"][0]["imagePullBehavior"] = "always"
        path = "containerDefinitions[0].imagePullBehavior"
    elif where == "top":
        doc["imagePullBehavior"] = "once"
        path = "imagePullBehavior"
    else:
        doc["containerDefinitions"][0]["logConfiguration"]["imagePullBehavior"] = "default"
        path = "containerDefinitions[0].logConfiguration.imagePullBehavior"
    f = only(doc)
    assert f.evidence == [path] and f.step is None and f.id == "taskdef.invalid"
    assert "ECS_IMAGE_PULL_BEHAVIOR" in f.detail and "Fargate does not cache" in f.detail
    assert "digest" in f.detail and f.remediation.commands == [f"jq 'del(.{path})' taskdef.json > taskdef.fixed.json"]


def test_image_pull_behavior_path_in_a_described_wrapper():
    doc = {"taskDefinition": container(imagePullBehavior="always")}
    f = only(doc)
    assert f.evidence == ["taskDefinition.containerDefinitions[0].imagePullBehavior"]
    assert "del(.taskDefinition.containerDefinitions[0].imagePullBehavior)" in f.remediation.commands[0]


@pytest.mark.parametrize("key, hint", [
    ("ContainerDefinitions", 'use "containerDefinitions"'),  # CloudFormation spelling
    ("executionRoleARN", 'use "executionRoleArn"'),
    ("taskRole", 'Did you mean "taskRoleArn"?'),
    ("somethingElse", "not a member"),
])
def test_unknown_members_name_the_likely_intended_one(key, hint):
    doc = td()
    doc[key] = doc.get(key[0].lower() + key[1:], "x")
    f = next(f for f in problems(doc) if f.evidence == [key])
    assert f.status == "fail" and hint in f.detail


def _set(doc, path, value):
    """Set a member by a path of keys and indexes, creating objects on the way."""
    *head, last = path
    node = doc
    for key in head:
        node = node[key] if isinstance(key, int) else node.setdefault(key, {})
    node[last] = value
    return doc


@pytest.mark.parametrize("where, path", [
    (("bogus",), "bogus"),
    (("containerDefinitions", 0, "bogus"), "containerDefinitions[0].bogus"),
    (("containerDefinitions", 0, "portMappings", 0, "bogus"), "containerDefinitions[0].portMappings[0].bogus"),
    (("containerDefinitions", 0, "logConfiguration", "bogus"), "containerDefinitions[0].logConfiguration.bogus"),
    (("containerDefinitions", 0, "secrets", 0, "bogus"), "containerDefinitions[0].secrets[0].bogus"),
    (("containerDefinitions", 0, "healthCheck", "bogus"), "containerDefinitions[0].healthCheck.bogus"),
    (("containerDefinitions", 0, "linuxParameters", "capabilities", "bogus"),
     "containerDefinitions[0].linuxParameters.capabilities.bogus"),
    (("runtimePlatform", "bogus"), "runtimePlatform.bogus"),
    (("ephemeralStorage", "bogus"), "ephemeralStorage.bogus"),
])
def test_unknown_members_at_every_level(where, path):
    doc = _set(td(), where, "x")
    if where[0] == "ephemeralStorage":
        doc["ephemeralStorage"]["sizeInGiB"] = 30
    if "healthCheck" in where:
        doc["containerDefinitions"][0]["healthCheck"]["command"] = ["CMD-SHELL", "true"]
    f = only(doc)
    assert f.evidence == [path] and f.message == "bogus is not an ECS task definition field"
    assert f.remediation.commands == [f"jq 'del(.{path})' taskdef.json > taskdef.fixed.json"]


def test_unknown_member_inside_a_volume_configuration():
    doc = td(volumes=[{"name": "data", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/",
                                                                  "transitEncryption": "ENABLED", "encrypted": True}}])
    f = only(doc)
    assert f.evidence == ["volumes[0].efsVolumeConfiguration.encrypted"]
    doc["volumes"][0]["efsVolumeConfiguration"] = {"fileSystemId": "fs-1", "rootDir": "/"}
    assert 'Did you mean "rootDirectory"?' in only(doc).detail  # an abbreviation of a real member


def test_maps_take_any_key():
    options = {"awslogs-group": "/ecs/api", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api",
               "mode": "non-blocking", "max-buffer-size": "25m", "any-key.at/all": "x"}
    doc = container(logConfiguration={"logDriver": "awslogs", "options": options},
                    dockerLabels={"com.example/Label Name": "v", "": "empty key"})
    assert [f.status for f in lint_task_definition(doc)] == ["pass"]
    # a map's values keep their type: options are string to string
    f = only(container(dockerLabels={"a": 1}))
    assert f.evidence == ['containerDefinitions[0].dockerLabels.a'] and "must be a string" in f.message


@pytest.mark.parametrize("change, path, hint", [
    ({"containerDefinitions": [{**GOOD["containerDefinitions"][0], "executionRoleArn": "arn"}]},
     "containerDefinitions[0].executionRoleArn", "task-level member"),
    ({"image": "nginx:1.27"}, "image", "belongs in each container definition"),
    ({"portMappings": []}, "portMappings", "belongs in each container definition"),
])
def test_members_at_the_wrong_level_say_where_they_belong(change, path, hint):
    f = next(f for f in problems(td(**change)) if f.evidence == [path])
    assert f.status == "fail" and hint in f.detail


@pytest.mark.parametrize("change, path, words", [
    ({"cpu": 256}, "cpu", 'Write it as a string: "256"'),
    ({"memory": 512}, "memory", "must be a string"),
    ({"containerDefinitions": {"name": "x"}}, "containerDefinitions", "Wrap it in [ ]"),
    ({"requiresCompatibilities": "FARGATE"}, "requiresCompatibilities", "must be a list"),
])
def test_wrong_top_level_types(change, path, words):
    f = next(f for f in problems(td(**change)) if f.evidence == [path])
    assert f.status == "fail" and (words in f.detail or words in f.message)


@pytest.mark.parametrize("change, path, words", [
    ({"memory": "512"}, "containerDefinitions[0].memory", "Write it as a number: 512"),
    ({"essential": "true"}, "containerDefinitions[0].essential", "must be true or false"),
    ({"portMappings": [{"containerPort": "8080"}]}, "containerDefinitions[0].portMappings[0].containerPort",
     "must be an integer"),
    ({"environment": [{"name": "A", "value": 1}]}, "containerDefinitions[0].environment[0].value", "must be a string"),
    ({"portMappings": [{"containerPort": 8080, "hostPort": "8080"}]}, "containerDefinitions[0].portMappings[0].hostPort",
     "Write it as a number: 8080"),
    ({"portMappings": [{"containerPort": 8080, "hostPort": True}]}, "containerDefinitions[0].portMappings[0].hostPort",
     "must be an integer"),
    ({"portMappings": [{"containerPort": 8080.5}]}, "containerDefinitions[0].portMappings[0].containerPort",
     "must be an integer"),
    ({"command": "npm start"}, "containerDefinitions[0].command", "Wrap it in [ ]"),
    ({"secrets": {"DB": "arn"}}, "containerDefinitions[0].secrets", "must be a list"),
    ({"logConfiguration": ["awslogs"]}, "containerDefinitions[0].logConfiguration", "must be an object"),
])
def test_wrong_container_types(change, path, words):
    f = next(f for f in problems(container(**change)) if f.evidence == [path])
    assert f.status == "fail" and (words in f.detail or words in f.message)


def test_required_members_and_enums():
    assert {"family", "containerDefinitions"} <= {f.evidence[0] for f in problems({"cpu": "256"})}
    f = next(f for f in problems(container(secrets=[{"name": "X"}])) if "valueFrom" in f.evidence[0])
    assert f.evidence == ["containerDefinitions[0].secrets[0].valueFrom"] and "required" in f.message
    f = next(f for f in problems(td(networkMode="AWSVPC")) if f.evidence == ["networkMode"] and "allowed" in f.message)
    assert 'use "awsvpc"' in f.detail
    f = next(f for f in problems(container(portMappings=[{"containerPort": 80, "protocol": "TCP"}])))
    assert f.evidence == ["containerDefinitions[0].portMappings[0].protocol"] and 'use "tcp"' in f.detail
    f = next(f for f in problems(container(logConfiguration={"options": {}})) if "logDriver" in f.evidence[0])
    assert f.status == "fail"


@pytest.mark.parametrize("doc, path", [
    (td(networkMode="vpc"), "networkMode"),
    (td(requiresCompatibilities=["FARGATE", "LAMBDA"]), "requiresCompatibilities[1]"),
    (td(pidMode="container"), "pidMode"),
    (td(runtimePlatform={"cpuArchitecture": "AMD64", "operatingSystemFamily": "LINUX"}), "runtimePlatform.cpuArchitecture"),
    (container(logConfiguration={"logDriver": "docker", "options": {}}), "containerDefinitions[0].logConfiguration.logDriver"),
    (container(versionConsistency="off"), "containerDefinitions[0].versionConsistency"),
    (container(dependsOn=[{"containerName": "init", "condition": "DONE"}]), "containerDefinitions[0].dependsOn[0].condition"),
])
def test_enum_errors(doc, path):
    f = next(f for f in problems(doc) if f.evidence == [path] and "allowed values" in f.message)
    assert f.status == "fail" and "allowed:" in f.detail


@pytest.mark.parametrize("missing", ["family", "containerDefinitions"])
def test_missing_required_members(missing):
    found = [f for f in problems(td(**{missing: ...})) if f.evidence == [missing]]
    assert [f.message for f in found] == [f"{missing} is required"]


def test_enum_values_come_from_botocore():
    inp, _ = ecs_shapes()
    assert set(inp.members["networkMode"].enum) == {"bridge", "host", "awsvpc", "none"}
    for mode in inp.members["networkMode"].enum:
        assert not [f for f in problems(td(networkMode=mode), fargate=False) if "allowed" in f.message]


def test_every_model_member_is_known():
    inp, _ = ecs_shapes()
    doc = td()
    for name in inp.members:
        doc.setdefault(name, None)  # nulls are warnings, never "unknown member"
    assert not [f for f in problems(doc) if "not an ECS task definition field" in f.message]


def test_nulls_are_one_summary_warning():
    f = only(td(taskRoleArn=None, pidMode=None), "warn")
    assert f.evidence == ["taskRoleArn", "pidMode"] and "Null members" in f.message and f.message.endswith(": 2")
    assert f.remediation.commands == ["jq 'del(..|nulls)' taskdef.json > taskdef.fixed.json"]


# -- Fargate ----------------------------------------------------------------------------------------------------
def test_fargate_requires_awsvpc():
    f = only(td(networkMode="bridge"))
    assert f.evidence == ["networkMode"] and "awsvpc" in f.message
    f = only(td(networkMode=...))
    assert "not set" in f.detail


@pytest.mark.parametrize("cpu, memory, ok", [
    ("256", "512", True), ("256", "2048", True), ("256", "4096", False), ("512", "512", False),
    ("1024", "8192", True), ("2048", "16384", True), ("4096", "30720", True), ("4096", "31744", False),
    ("8192", "16384", True), ("8192", "61440", True), ("8192", "20480", True), ("8192", "18432", False),
    ("16384", "32768", True), ("16384", "122880", True), ("16384", "40960", True), ("16384", "36864", False),
    ("1 vCPU", "2GB", True), ("0.25 vcpu", "0.5GB", True), ("2 vCPU", "3 GB", False), ("3000", "4096", False),
])
def test_fargate_task_sizes(cpu, memory, ok):
    fails = [f for f in problems(td(cpu=cpu, memory=memory)) if f.status == "fail"]
    assert (not fails) == ok, [f.message for f in fails]
    if not ok:
        assert fails[0].evidence[0] in ("cpu", "memory") and "task_size" in fails[0].detail


def test_size_table_matches_the_documented_ranges():
    assert FARGATE_SIZES[8192][0] == 16 * 1024 and FARGATE_SIZES[8192][-1] == 60 * 1024
    assert FARGATE_SIZES[16384][0] == 32 * 1024 and FARGATE_SIZES[16384][-1] == 120 * 1024
    assert FARGATE_SIZES[16384][1] - FARGATE_SIZES[16384][0] == 8 * 1024
    assert (parse_cpu("1 vCPU"), parse_cpu(" 512 "), parse_cpu("abc"), parse_cpu("0.3 vcpu")) == (1024, 512, None, None)
    assert (parse_memory("2GB"), parse_memory("1 gb"), parse_memory("x")) == (2048, 1024, None)


def test_fargate_requires_task_cpu_and_memory():
    both = [f for f in problems(td(cpu=..., memory=...)) if "task-level" in f.message]
    assert [f.message for f in both] == ["Fargate requires task-level cpu and memory"]  # the size table once
    assert "memory" in only(td(memory=...)).message
    f = only(td(cpu="lots"))
    assert "cannot be read" in f.message


def test_windows_on_fargate_needs_one_vcpu():
    doc = td(cpu="512", memory="1024", runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE",
                                                        "cpuArchitecture": "X86_64"})
    assert "Windows" in only(doc).message


@pytest.mark.parametrize("change, path", [
    ({"privileged": True}, "containerDefinitions[0].privileged"),
    ({"stopTimeout": 300}, "containerDefinitions[0].stopTimeout"),
    ({"links": ["db"]}, "containerDefinitions[0].links"),
    ({"hostname": "api"}, "containerDefinitions[0].hostname"),
    ({"portMappings": [{"containerPort": 8080, "hostPort": 80}]}, "containerDefinitions[0].portMappings[0].hostPort"),
    ({"linuxParameters": {"sharedMemorySize": 64}}, "containerDefinitions[0].linuxParameters.sharedMemorySize"),
    ({"linuxParameters": {"capabilities": {"add": ["SYS_PTRACE", "NET_ADMIN"]}}},
     "containerDefinitions[0].linuxParameters.capabilities.add"),
    ({"logConfiguration": {"logDriver": "json-file"}}, "containerDefinitions[0].logConfiguration.logDriver"),
    ({"logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-region": "us-east-1",
                                                               "awslogs-stream-prefix": "x"}}},
     'containerDefinitions[0].logConfiguration.options["awslogs-group"]'),
])
def test_fargate_container_rules(change, path):
    f = only(container(**change))
    assert f.evidence == [path] and "See https://docs.aws.amazon.com/" in f.detail
    assert f.remediation and f.remediation.summary


@pytest.mark.parametrize("change, path", [
    ({"disableNetworking": True}, "containerDefinitions[0].disableNetworking"),
    ({"dnsServers": ["10.0.0.2"]}, "containerDefinitions[0].dnsServers"),
    ({"dnsSearchDomains": ["corp.example"]}, "containerDefinitions[0].dnsSearchDomains"),
    ({"dockerSecurityOptions": ["no-new-privileges"]}, "containerDefinitions[0].dockerSecurityOptions"),
    ({"extraHosts": [{"hostname": "db", "ipAddress": "10.0.0.9"}]}, "containerDefinitions[0].extraHosts"),
    ({"resourceRequirements": [{"type": "GPU", "value": "1"}]}, "containerDefinitions[0].resourceRequirements[0].type"),
    ({"linuxParameters": {"tmpfs": [{"containerPath": "/tmp", "size": 64}]}}, "containerDefinitions[0].linuxParameters.tmpfs"),
    ({"linuxParameters": {"maxSwap": 0}}, "containerDefinitions[0].linuxParameters.maxSwap"),
    ({"linuxParameters": {"swappiness": 10}}, "containerDefinitions[0].linuxParameters.swappiness"),
    ({"linuxParameters": {"devices": [{"hostPath": "/dev/fuse"}]}}, "containerDefinitions[0].linuxParameters.devices"),
    ({"startTimeout": 600}, "containerDefinitions[0].startTimeout"),
    ({"stopTimeout": 1}, "containerDefinitions[0].stopTimeout"),
])
def test_parameters_not_valid_on_fargate(change, path):
    f = only(container(**change))
    assert f.evidence == [path] and "See https://docs.aws.amazon.com/AmazonECS/" in f.detail
    doc = container(**change)
    doc.update(networkMode="bridge", requiresCompatibilities=["EC2"])
    assert not [f for f in problems(doc, fargate=False) if f.evidence == [path]]  # fine off Fargate


def test_fargate_allows_what_the_documentation_allows():
    doc = container(linuxParameters={"capabilities": {"add": ["SYS_PTRACE"], "drop": ["ALL"]}, "initProcessEnabled": True},
                    stopTimeout=120, startTimeout=2, privileged=False, disableNetworking=False,
                    portMappings=[{"containerPort": 8080, "hostPort": 8080}])
    doc.update(placementConstraints=[], ephemeralStorage={"sizeInGiB": 200}, pidMode="task")
    assert [f.status for f in lint_task_definition(doc)] == ["pass"]


@pytest.mark.parametrize("change, path", [
    ({"placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.os-type == linux"}]},
     "placementConstraints"),
    ({"ipcMode": "host"}, "ipcMode"), ({"pidMode": "host"}, "pidMode"),
    ({"volumes": [{"name": "d", "host": {"sourcePath": "/var/data"}}]}, "volumes[0].host.sourcePath"),
    ({"volumes": [{"name": "d", "dockerVolumeConfiguration": {"scope": "task"}}]}, "volumes[0].dockerVolumeConfiguration"),
    ({"ephemeralStorage": {"sizeInGiB": 10}}, "ephemeralStorage.sizeInGiB"),
])
def test_fargate_task_rules(change, path):
    assert only(td(**change)).evidence == [path]


def test_awslogs_stream_prefix_is_a_warning():
    doc = td()
    del doc["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-stream-prefix"]
    f = only(doc, "warn")
    assert f.evidence == ['containerDefinitions[0].logConfiguration.options["awslogs-stream-prefix"]']


def test_execution_role_is_required_for_ecr_awslogs_and_secrets():
    f = only(td(executionRoleArn=...))
    assert f.evidence == ["executionRoleArn"]
    assert "private ECR" in f.detail and "awslogs" in f.detail and "secrets" in f.detail
    # without secrets, on EC2 the instance role pulls ECR images and writes logs: no finding
    doc = td(executionRoleArn=..., requiresCompatibilities=["EC2"], networkMode="bridge")
    del doc["containerDefinitions"][0]["secrets"]
    assert not problems(doc, fargate=False)
    doc["containerDefinitions"][0]["repositoryCredentials"] = {"credentialsParameter": "arn:aws:secretsmanager:x"}
    assert "repositoryCredentials" in only(doc, fargate=False).detail


def test_role_arns_that_are_not_arns_warn():
    assert only(td(executionRoleArn="ecsTaskExecutionRole"), "warn").evidence == ["executionRoleArn"]


def test_no_fargate_skips_fargate_rules_unless_the_document_requires_fargate():
    ec2 = container(portMappings=[{"containerPort": 80, "hostPort": 8080}])
    ec2.update(networkMode="bridge", requiresCompatibilities=["EC2"])
    ec2["containerDefinitions"][0]["memoryReservation"] = 256  # no task memory: each container needs one
    del ec2["cpu"], ec2["memory"]
    assert [f.status for f in lint_task_definition(ec2, fargate=False)] == ["pass"]
    assert "requiresCompatibilities does not include FARGATE" in [f.message for f in problems(ec2)]
    declared = td(networkMode="bridge")
    assert only(declared, fargate=False).evidence == ["networkMode"]


# -- general rules ---------------------------------------------------------------------------------------------
def test_container_rules_for_any_launch_type():
    assert "memoryReservation" in only(container(memory=256, memoryReservation=512)).message
    assert "essential" in only(container(essential=False)).message
    f = only(container(image=...))
    assert f.evidence == ["containerDefinitions[0].image"]
    doc = container(cpu=512)
    assert "more CPU" in only(doc).message
    doc = container(memory=1024)
    assert "more memory" in only(doc).message


@pytest.mark.parametrize("image, status, words", [
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api :1", "fail", "whitespace"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/MyApi:1", "fail", "upper-case"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api@sha256:1234", "fail", "digest"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api:latest", "warn", "latest"),
    (f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api", "warn", "latest"),
])
def test_image_references(image, status, words):
    f = only(container(image=image), status)
    assert f.evidence == ["containerDefinitions[0].image"] and words in f.message.lower() + f.detail.lower()


def test_a_digest_pinned_image_is_clean():
    digest = "sha256:" + "a" * 64
    assert [f.status for f in lint_task_definition(container(image=f"{ACCT}.dkr.ecr.us-east-1.amazonaws.com/api@{digest}"))] \
        == ["pass"]


# -- bad input --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("doc", [[], "text", None, 42, {"taskDefinition": "x"}])
def test_documents_that_are_not_objects(doc):
    findings = lint_task_definition(doc)
    assert all(f.status == "fail" for f in findings) and findings


def test_hostile_keys_are_shown_safely_and_findings_are_capped():
    doc = td()
    doc["\x1b[31mevil\nkey"] = 1
    doc["containerDefinitions"][0]["<script>alert(1)</script>"] = "x"
    found = problems(doc)
    paths = [f.evidence[0] for f in found]
    assert not any(re.search(r"[\x00-\x1f]", p) for p in paths)
    assert 'containerDefinitions[0]["<script>alert(1)</script>"]' in paths
    many = td(**{f"junk{i}": i for i in range(500)})
    findings = lint_task_definition(many)
    assert [f.evidence[0] for f in findings[:25]] == [f"junk{i}" for i in range(25)]
    assert "475 more unknown member(s) in the document" in [f.message for f in findings]
    crowd = td(containerDefinitions=[{**GOOD["containerDefinitions"][0], "name": f"c{i}", "privileged": True}
                                     for i in range(300)])
    findings = lint_task_definition(crowd)
    assert len(findings) == MAX_FINDINGS + 1 and "more problem" in findings[-1].message


@pytest.mark.parametrize("key", [
    "it's", "a'b; rm -rf ~", "$(reboot)", "`id`", "x\"y", "\u202eevil", "\x1b]0;title\x07", "k" * 500, "",
])
def test_hostile_keys_give_safe_paths_and_shell_safe_commands(key):
    doc = container()
    doc["containerDefinitions"][0][key] = "x"
    f = only(doc)
    path = f.evidence[0]
    assert path.startswith("containerDefinitions[0]") and not re.search(r"[\x00-\x1f\x7f\u202a-\u202e]", path)
    assert len(path) < 120 and not re.search(r"[\x00-\x1f\x7f\u202a-\u202e]", f.message + f.detail)
    assert f.remediation.summary.startswith("Remove it")
    if len(key) > 60 or re.search(r"[\x00-\x1f\x7f\u202a-\u202e]", key):
        assert f.remediation.commands == []  # the shown path is not the key's real name: no command that misses it
        return
    argv = shlex.split(f.remediation.commands[0])
    assert argv[0] == "jq" and argv[1] == f"del(.containerDefinitions[0][{json.dumps(key, ensure_ascii=False)}])"
    assert argv[2:] == ["taskdef.json", ">", "taskdef.fixed.json"]


def test_hostile_container_names_and_values_are_shown_safely():
    doc = container(name="\x1b[31mapi\nX" + "n" * 300, privileged=True,
                    logConfiguration={"logDriver": "\x1b[2Jjson-file\u202e", "options": {}})
    doc["containerDefinitions"][0]["image"] = "nginx:\x00latest"
    for f in lint_task_definition(doc):
        text = f.message + f.detail + " ".join(f.evidence)
        assert not re.search(r"[\x00-\x1f\x7f\u202a-\u202e]", text), f.message
        assert len(f.message) < 200


def test_read_only_members_are_type_checked_and_boto3_datetimes_are_accepted():
    described = copy.deepcopy(DESCRIBED)
    described["registeredAt"] = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)  # straight from boto3, not JSON
    described["deregisteredAt"] = datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert [f.status for f in lint_task_definition({"taskDefinition": described, "ResponseMetadata": {}})] \
        == ["pass", "info"]
    described["revision"] = "7"
    f = only(described)
    assert f.evidence == ["revision"] and "Write it as a number: 7" in f.detail
    described["revison"] = 7
    assert 'Did you mean "revision"?' in next(f for f in problems(described) if f.evidence == ["revison"]).detail


def test_findings_are_well_formed_and_json_ready():
    doc = container(imagePullBehavior="always", privileged=True, memory="1")
    for f in lint_task_definition(doc):
        assert f.id == "taskdef.invalid" and f.step is None and f.evidence and f.message
        # title, severity and doc URL are the catalogue's, attached by whoever runs the lint
        assert (f.title, f.severity, f.doc_url) == ("", "", None)
        if f.status == "fail":
            assert f.remediation and f.remediation.summary
    from dataclasses import asdict

    json.dumps([asdict(f) for f in lint_task_definition(doc)])


def test_a_rules_own_aws_page_ends_the_detail():
    f = only(container(imagePullBehavior="always"))
    assert f.detail.endswith("See https://docs.aws.amazon.com/AmazonECS/latest/developerguide/pull-behavior.html")
    passing = lint_task_definition(td())[0]
    assert passing.message == "The task definition is valid for Fargate" and "See http" not in passing.detail


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids,
                                                                                     max_size=4), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([*GOOD, "volumes", "pidMode", "ephemeralStorage", "zzz"]), json_values,
                       max_size=8))
def test_arbitrary_documents_never_crash(doc):
    findings = lint_task_definition(doc)
    assert findings and all(f.id == "taskdef.invalid" for f in findings)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(list(GOOD["containerDefinitions"][0]) + ["links", "linuxParameters",
                                                                                "memoryReservation", "cpu"]),
                       json_values, max_size=6))
def test_arbitrary_containers_never_crash(fields):
    lint_task_definition(td(containerDefinitions=[fields]))


# -- the check ------------------------------------------------------------------------------------------------
def _snapshot(taskdef, launch="FARGATE"):
    return Snapshot(region="us-east-1", account=ACCT, subject={"kind": "taskdef"}, task_definition=taskdef,
                    task={"launchType": launch, "lastStatus": "STOPPED"} if launch else None)


def test_the_check_is_registered_and_runs_on_the_snapshot():
    check = load_all()["taskdef.invalid"]
    assert check.spec.step is None and check.spec.doc_url.startswith("https://docs.aws.amazon.com/")
    assert check.spec.title == "The task definition matches the ECS API and Fargate's rules"
    assert [f.status for f in check.func(_snapshot(None), None)] == ["skipped"]
    assert [f.status for f in check.func(_snapshot(copy.deepcopy(DESCRIBED)), None)] == ["pass"]  # no read-only advice
    bad = container(imagePullBehavior="always")
    assert "fail" in [f.status for f in check.func(_snapshot(bad), None)]
    ec2 = td(networkMode="bridge", requiresCompatibilities=["EC2"])
    assert [f.status for f in check.func(_snapshot(ec2, "EC2"), None)] == ["pass"]


@pytest.mark.parametrize("task, service, fargate", [
    (None, None, True),
    ({"launchType": "FARGATE"}, None, True),
    ({"launchType": "EC2"}, None, False),
    ({"capacityProviderName": "FARGATE_SPOT"}, None, True),
    ({"capacityProviderName": "my-asg-provider"}, None, False),
    (None, {"launchType": "EXTERNAL"}, False),
    (None, {"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]}, True),
    (None, {"capacityProviderStrategy": [{"capacityProvider": "asg", "weight": 1}]}, False),
])
def test_the_check_lints_for_the_launch_type_the_evidence_shows(task, service, fargate):
    ec2_only = td(networkMode="bridge", requiresCompatibilities=["EC2"])
    snap = Snapshot(region="us-east-1", task_definition=ec2_only, task=task, service=service)
    statuses = {f.status for f in load_all()["taskdef.invalid"].func(snap, None)}
    assert ("fail" in statuses) == fargate  # bridge mode only fails for Fargate


def test_diagnose_reports_an_invalid_task_definition():
    diagnosis = diagnose(_snapshot(container(imagePullBehavior="always")))
    failing = diagnosis.finding("taskdef.invalid")
    assert any(f.status == "fail" for f in failing)
    assert "imagePullBehavior" in diagnosis.verdict or "task definition" in diagnosis.verdict.lower()


def test_a_task_definition_described_by_the_ecs_api_lints_clean(aws):
    """Registered and described over HTTP (moto): the shape the collector stores in a snapshot."""
    import boto3

    from fargate_nb.aws.calls import jsonable

    acct = "123456789012"
    ecs = boto3.client("ecs", region_name="us-east-1")
    ecs.register_task_definition(
        family="api", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="0.5 vCPU", memory="1 GB",
        executionRoleArn=f"arn:aws:iam::{acct}:role/exec", taskRoleArn=f"arn:aws:iam::{acct}:role/task",
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        containerDefinitions=[{
            "name": "api", "image": f"{acct}.dkr.ecr.us-east-1.amazonaws.com/api:1.2.3", "essential": True,
            "portMappings": [{"containerPort": 8080, "protocol": "tcp", "name": "http", "appProtocol": "http"}],
            "secrets": [{"name": "DB", "valueFrom": f"arn:aws:ssm:us-east-1:{acct}:parameter/db"}],
            "environment": [{"name": "MODE", "value": "prod"}],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"], "interval": 30},
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/api", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api",
                "mode": "non-blocking"}}}],
        tags=[{"key": "team", "value": "payments"}])
    raw = ecs.describe_task_definition(taskDefinition="api", include=["TAGS"])
    for doc in (raw, jsonable(raw), jsonable(raw)["taskDefinition"]):
        assert [f.status for f in lint_task_definition(doc)] == ["pass", "info"]
    check = load_all()["taskdef.invalid"]
    assert [f.status for f in check.func(_snapshot(jsonable(raw)["taskDefinition"]), None)] == ["pass"]
