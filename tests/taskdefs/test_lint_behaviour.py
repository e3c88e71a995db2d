"""Templates, task sizes with units, links without networkMode, null members and the text output of the lint.

Sources: RegisterTaskDefinition ``cpu``/``memory`` (units converted at registration, EC2 range 128-196608 CPU
units), ContainerDefinition ``links`` (bridge only) and ``memory`` (one of memory/memoryReservation without a
task memory), CodePipeline's image definitions file reference (``<IMAGE1_NAME>``).
"""

from __future__ import annotations

import copy
import json

import botocore.session
import pytest

from fargate_nb.cli import main
from fargate_nb.taskdef import lint_task_definition
from fargate_nb.taskdef.placeholders import find_placeholders, has_placeholder
from fargate_nb.taskdef.rules import parse_cpu, parse_memory
from fargate_nb.taskdef.shape import ecs_shapes

FARGATE = {
    "family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
    "executionRoleArn": "arn:aws:iam::111122223333:role/exec",
    "containerDefinitions": [{"name": "api", "image": "<IMAGE1_NAME>", "essential": True}],
}
EC2 = {"family": "web", "containerDefinitions": [
    {"name": "web", "image": "wordpress:6.5", "memory": 256, "links": ["db"]},
    {"name": "db", "image": "mysql:8.4", "memory": 256}]}


def fails(doc, **kw):
    return [f for f in lint_task_definition(doc, **kw) if f.status == "fail"]


def with_(doc, **changes):
    out = copy.deepcopy(doc)
    out.update(changes)
    return out


# -- placeholders ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("image", ["<IMAGE1_NAME>", "${ECR_REGISTRY}/${ECR_REPOSITORY}:${IMAGE_TAG}", "{{ image }}",
                                   "#{Octopus.Action.Package.Image}", "REPLACE_ME_IMAGE", "<ACCOUNT_ID>.dkr.ecr.us-east-1"
                                   ".amazonaws.com/App:$(Build.BuildId)", "%REPOSITORY_URI%:v_%BUILD_NUMBER%"])
def test_a_placeholder_image_is_never_an_error(image):
    doc = copy.deepcopy(FARGATE)
    doc["containerDefinitions"][0]["image"] = image
    findings = lint_task_definition(doc)
    assert [f.status for f in findings if f.status in ("fail", "warn")] == []
    info = [f for f in findings if f.message.startswith("The task definition is a template")]
    assert len(info) == 1 and info[0].evidence == ["containerDefinitions[0].image"]


def test_placeholders_in_enums_sizes_and_roles_are_not_judged_but_listed_once():
    doc = with_(FARGATE, networkMode="${NETWORK_MODE}", cpu="${TASK_CPU}", memory="{{ memory }}",
                executionRoleArn="arn:aws:iam::<ACCOUNT_ID>:role/exec", family="${FAMILY}")
    findings = lint_task_definition(doc)
    assert [f for f in findings if f.status in ("fail", "warn")] == []
    listed = [f for f in findings if f.status == "info" and "template" in f.message]
    assert len(listed) == 1
    assert {"${NETWORK_MODE}", "${TASK_CPU}", "{{ memory }}", "<ACCOUNT_ID>", "<IMAGE1_NAME>"} <= \
        set(listed[0].message.split(": ", 1)[1].split(", "))


def test_a_templated_launch_type_is_not_told_to_add_fargate():
    findings = lint_task_definition(with_(FARGATE, requiresCompatibilities=["${LAUNCH_TYPE}"]))
    assert [f.status for f in findings] == ["pass", "info"]


def test_a_quoted_placeholder_where_an_integer_belongs_is_a_warning_not_an_error():
    doc = copy.deepcopy(FARGATE)
    doc["containerDefinitions"][0]["portMappings"] = [{"containerPort": "${PORT}"}]
    found = [f for f in lint_task_definition(doc) if f.evidence == ["containerDefinitions[0].portMappings[0].containerPort"]]
    assert [f.status for f in found] == ["warn"] and "unquoted" in found[0].remediation.summary


def test_shell_variables_in_a_command_are_not_template_placeholders():
    doc = copy.deepcopy(FARGATE)
    doc["containerDefinitions"][0]["command"] = ["sh", "-c", "echo $HOME ${PATH}"]
    assert [p for p, _ in find_placeholders(doc)] == ["containerDefinitions[0].image"]
    assert not has_placeholder("nginx:1.25") and not has_placeholder("arn:aws:iam::123456789012:role/x")


def test_an_empty_enum_string_is_a_warning_with_its_removal():
    found = [f for f in lint_task_definition(with_(FARGATE, ipcMode="", pidMode="")) if f.status != "info"]
    assert [(f.status, f.evidence) for f in found[1:]] == [("warn", ["ipcMode"]), ("warn", ["pidMode"])]
    assert found[0].status == "pass" and found[1].remediation.commands[0].startswith("jq 'del(.ipcMode)'")


# -- cpu and memory with units ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("cpu", "units"), [("256", 256), ("0.25 vcpu", 256), (".25 vCPU", 256), ("1 vCPU", 1024),
                                            ("2vcpu", 2048), (" 4 VCPU ", 4096), ("0.3 vCPU", None), ("1 core", None)])
def test_cpu_is_read_as_ecs_converts_it(cpu, units):
    assert parse_cpu(cpu) == units


@pytest.mark.parametrize(("memory", "mib"), [("512", 512), ("0.5 GB", 512), (".5GB", 512), ("2GB", 2048),
                                             ("30 gb", 30720), ("1.2 GB", None), ("lots", None)])
def test_memory_is_read_as_ecs_converts_it(memory, mib):
    assert parse_memory(memory) == mib


@pytest.mark.parametrize(("cpu", "memory"), [("0.25 vCPU", "0.5 GB"), ("0.5 vcpu", "4GB"), ("1 vCPU", "2 GB"),
                                             ("16 vCPU", "120 GB"), ("8 vCPU", "60GB")])
def test_fargate_sizes_with_units_are_valid(cpu, memory):
    assert fails(with_(FARGATE, cpu=cpu, memory=memory)) == []


def test_an_invalid_pair_shows_what_was_written_and_what_ecs_reads():
    [f] = fails(with_(FARGATE, cpu="2 vCPU", memory="1 GB"))
    assert f.message == 'memory "1 GB" (1024 MiB) is not valid with cpu "2 vCPU" (2048 CPU units) on Fargate'
    assert "4096" in f.remediation.summary  # memory that fits this cpu


def test_ec2_task_cpu_range_and_unreadable_sizes():
    ec2 = with_(EC2, cpu="0.125 vCPU", memory="1 GB")
    assert fails(ec2, fargate=False) == []
    assert [f.evidence for f in fails(with_(EC2, cpu="64"), fargate=False)] == [["cpu"]]
    assert "cannot be read" in fails(with_(EC2, memory="1 TB"), fargate=False)[0].message


# -- links and the default network mode ------------------------------------------------------------------------
def test_links_without_network_mode_are_valid_on_ec2():
    assert fails(EC2, fargate=False) == []


@pytest.mark.parametrize("mode", ["awsvpc", "host", "none"])
def test_links_in_another_mode_name_that_mode(mode):
    [f] = fails(with_(EC2, networkMode=mode), fargate=False)
    assert f.evidence == ["containerDefinitions[0].links"]
    assert f'networkMode is "{mode}"' in f.detail and "(here: " not in f.detail


def test_links_on_fargate_say_fargate_once():
    doc = copy.deepcopy(FARGATE)
    doc["containerDefinitions"][0]["links"] = ["db"]
    [f] = [f for f in fails(doc) if "links" in f.evidence[0]]
    assert f.message.endswith("links are not valid on Fargate") and "awsvpc" in f.detail


def test_without_task_memory_each_container_needs_memory_or_a_reservation():
    doc = copy.deepcopy(EC2)
    del doc["containerDefinitions"][1]["memory"]
    assert [f.evidence for f in fails(doc, fargate=False)] == [["containerDefinitions[1].memory"]]
    assert fails(with_(doc, memory="512"), fargate=False) == []


def test_containers_within_the_task_size_on_any_launch_type():
    """"The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'"."""
    doc = with_(EC2, memory="0.5 GB", cpu="0.25 vcpu")
    assert fails(doc, fargate=False) == []
    doc["containerDefinitions"][1]["memory"] = 300
    [f] = fails(doc, fargate=False)
    assert f.message == "The containers reserve more memory than the task has" and '"0.5 GB" (512 MiB)' in f.detail
    doc["containerDefinitions"][1].update(memory=256, cpu=512)
    assert "CPU" in fails(doc, fargate=False)[0].message


def test_memory_equal_to_the_reservation_is_accepted_below_it_is_not():
    doc = copy.deepcopy(EC2)
    doc["containerDefinitions"][0]["memoryReservation"] = 256
    assert fails(doc, fargate=False) == []
    doc["containerDefinitions"][0]["memoryReservation"] = 300
    assert "below memoryReservation" in fails(doc, fargate=False)[0].message


# -- describe output, console exports, the text output ---------------------------------------------------------
def test_dozens_of_null_members_are_one_warning():
    doc = copy.deepcopy(FARGATE)
    doc["containerDefinitions"][0].update({k: None for k in ("links", "hostname", "user", "command", "entryPoint")})
    doc.update(ipcMode=None, pidMode=None, taskRoleArn=None)
    nulls = [f for f in lint_task_definition(doc) if "null" in f.message.lower()]
    assert len(nulls) == 1 and nulls[0].status == "warn" and nulls[0].message.endswith(": 8")
    assert len(nulls[0].evidence) == 8


def test_a_described_task_definition_with_nulls_gets_the_jq_command_for_its_inner_object():
    doc = {"taskDefinition": with_(FARGATE, taskRoleArn=None), "tags": []}
    [f] = [f for f in lint_task_definition(doc) if f.status == "warn"]
    assert f.evidence == ["taskDefinition.taskRoleArn"]
    assert f.remediation.commands == ["jq '.taskDefinition |= del(..|nulls)' taskdef.json > taskdef.fixed.json"]


def test_empty_object_prints_the_size_table_once_and_wraps(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    path = tmp_path / "empty.json"
    path.write_text("{}")
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.count("Valid sizes") == 1 and out.count("cpu 16384") == 1
    body = out.splitlines()[1:]  # under the summary line; a URL or a command is never broken
    assert all(len(line) <= 80 for line in body if not line.lstrip().startswith(("$", "https://")))
    assert len(body) > 12


def test_the_ecs_model_is_loaded_once_without_a_botocore_session(monkeypatch):
    ecs_shapes.cache_clear()

    def no_session(*args, **kwargs):
        raise AssertionError("a botocore session was created")

    monkeypatch.setattr(botocore.session, "get_session", no_session)
    monkeypatch.setattr(botocore.session.Session, "__init__", no_session)
    first = ecs_shapes()
    assert ecs_shapes() is first
    assert lint_task_definition(json.loads(json.dumps(FARGATE)))[0].status == "pass"


# -- a registered task definition is no template ----------------------------------------------------------------
def test_the_check_judges_a_registered_placeholder_literally():
    """A task definition registered with "<IMAGE1_NAME>" still in it pulls that literal reference and fails."""
    from fargate_nb.checks import load_all
    from fargate_nb.model import Snapshot

    snap = Snapshot(region="us-east-1", task_definition=copy.deepcopy(FARGATE), task={"launchType": "FARGATE"})
    found = load_all()["taskdef.invalid"].func(snap, None)
    assert [f.evidence for f in found if f.status == "fail"] == [["containerDefinitions[0].image"]]
    assert not any("template" in f.message for f in found)


def test_rendered_flag_judges_placeholders_as_literal_values(tmp_path, capsys):
    path = tmp_path / "taskdef.json"
    path.write_text(json.dumps(FARGATE))
    assert main(["lint", str(path)]) == 0
    text = " ".join(capsys.readouterr().out.split())  # wrapped to the terminal's width: compare words
    assert "i containerDefinitions[0].image: The task definition is a template: <IMAGE1_NAME>" in text
    assert main(["lint", str(path), "--rendered"]) == 1
    assert "upper-case" in capsys.readouterr().out


def test_a_container_name_that_is_not_a_string_does_not_crash_the_link_rule():
    findings = lint_task_definition({"containerDefinitions": [{"links": ["db"], "name": []}, {"name": {"a": 1}}]})
    assert any(f.status == "fail" for f in findings)
