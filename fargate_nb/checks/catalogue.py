"""The check catalogue: every check's metadata, declared once, as data.

A check function (`fargate_nb.checks.registry.check`) only decides; the registry attaches this
metadata (title, severity, documentation URL, step) to every finding it returns, so no finding
repeats it and none can drift from it. `docs/findings.md` and `fargate-nb checks` are generated
from this table, and a test keeps the catalogue and the registered checks one to one.
"""

from __future__ import annotations

from dataclasses import dataclass

from fargate_nb.model import STEPS


@dataclass(frozen=True)
class CheckSpec:
    id: str  # the finding id (public contract, see DESIGN.md)
    steps: tuple[str, ...]  # the steps its findings may carry; () for task-definition checks
    title: str  # what the check asks, phrased as the passing condition
    severity: str  # high | medium | low: how much it matters when it fails
    description: str  # what it checks and why, for the docs and `fargate-nb checks`
    doc_url: str  # the AWS page that states the rule
    per_target: bool = False  # network checks: one finding per destination, at the destination's step
    evidence: tuple[str, ...] = ()  # the snapshot fields it reads
    calls: tuple[str, ...] = ()  # the pull's calls it decides (sequence kinds); () = every call of its step
    network_column: str | None = None  # the column of the network table it decides
    advice: bool = False  # advice that does not affect the pull (its problems are `info`): decides no call

    @property
    def step(self) -> str | None:
        """The one step of a single-step check (None for per-target and multi-step checks)."""
        return self.steps[0] if len(self.steps) == 1 and not self.per_target else None


CATALOGUE: dict[str, CheckSpec] = {spec.id: spec for spec in (
    CheckSpec(
        id='ecr.image-missing',
        steps=('manifest',),
        title='The image tag or digest exists',
        severity='high',
        description='The image tag or digest exists',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html',
        calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.lifecycle-policy',
        steps=('manifest',),
        title='The repository has a lifecycle policy',
        severity='low',
        description='The repository has a lifecycle policy',
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html',
        advice=True,
    ),
    CheckSpec(
        id='ecr.mutable-tag',
        steps=('manifest',),
        title='The image is pinned (immutable tag or digest)',
        severity='low',
        description='The image is pinned (immutable tag or digest)',
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html',
        advice=True,
    ),
    CheckSpec(
        id='ecr.platform-mismatch',
        steps=('manifest',),
        title="The image has a manifest for the task's platform",
        severity='high',
        description="The image has a manifest for the task's platform",
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#runtime-platform',
        calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.repo-missing',
        steps=('manifest',),
        title='The ECR repository exists',
        severity='high',
        description='The ECR repository exists',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html',
        calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.repo-policy',
        steps=('manifest',),
        title='The repository policy lets the execution role pull',
        severity='high',
        description='The repository policy lets the execution role pull',
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html',
        calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.scan-on-push',
        steps=('manifest',),
        title='Images are scanned on push',
        severity='low',
        description='Images are scanned on push',
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html',
        advice=True,
    ),
    CheckSpec(
        id='exec-role.missing',
        steps=('assume-role',),
        title='The task has an execution role',
        severity='high',
        description='The task has an execution role',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        calls=('assume',),
    ),
    CheckSpec(
        id='exec-role.not-found',
        steps=('assume-role',),
        title='The execution role exists',
        severity='high',
        description='The execution role exists',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        calls=('assume',),
    ),
    CheckSpec(
        id='exec-role.trust',
        steps=('assume-role',),
        title='The execution role trusts ecs-tasks.amazonaws.com',
        severity='high',
        description='The execution role trusts ecs-tasks.amazonaws.com',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        calls=('assume',),
    ),
    CheckSpec(
        id='iam.ecr-auth',
        steps=('registry-auth',),
        title='The execution role may get an ECR authorization token',
        severity='high',
        description='The execution role may get an ECR authorization token',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        calls=('ecr-auth',),
    ),
    CheckSpec(
        id='iam.ecr-pull',
        steps=('manifest',),
        title='The execution role may pull from the ECR repository',
        severity='high',
        description='The execution role may pull from the ECR repository',
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/ECR_on_ECS.html',
        calls=('ecr-manifest', 'layer-url'),
    ),
    CheckSpec(
        id='iam.kms-decrypt',
        steps=('registry-auth', 'secrets'),
        title="The execution role may decrypt the secrets' KMS keys",
        severity='high',
        description="The execution role may decrypt the secrets' KMS keys",
        doc_url='https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html',
        calls=('kms',),
    ),
    CheckSpec(
        id='iam.logs',
        steps=('logs',),
        title='The execution role may write the awslogs stream',
        severity='high',
        description='The execution role may write the awslogs stream',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html',
        calls=('logs-group', 'logs-stream', 'logs-events'),
    ),
    CheckSpec(
        id='iam.registry-secret',
        steps=('registry-auth',),
        title='The execution role may read the registry credentials secret',
        severity='high',
        description='The execution role may read the registry credentials secret',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html',
        calls=('creds-secret',),
    ),
    CheckSpec(
        id='iam.secrets',
        steps=('secrets',),
        title='The execution role may read the container secrets',
        severity='high',
        description='The execution role may read the container secrets',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html',
        calls=('secret-fetch',),
    ),
    CheckSpec(
        id='iam.simulator-agreement',
        steps=(),
        title='The IAM policy simulator agrees with the local evaluator',
        severity='low',
        description='The IAM policy simulator agrees with the local evaluator',
        doc_url='https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html',
    ),
    CheckSpec(
        id='logs.group-missing',
        steps=('logs',),
        title='The awslogs log group exists or will be created',
        severity='high',
        description='The awslogs log group exists or will be created',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html',
        calls=('logs-group', 'logs-stream'),
    ),
    CheckSpec(
        id='net.endpoint-policy',
        steps=(),
        per_target=True,
        title='Endpoint policies allow what the pull needs through them',
        severity='high',
        description='Endpoint policies allow what the pull needs through them',
        doc_url='https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html',
        network_column='endpoint policy',
    ),
    CheckSpec(
        id='net.endpoint-private-dns',
        steps=(),
        per_target=True,
        title='Interface endpoints relied on have private DNS on',
        severity='high',
        description='Interface endpoints relied on have private DNS on',
        doc_url='https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html',
        network_column='DNS',
    ),
    CheckSpec(
        id='net.endpoint-sg',
        steps=(),
        per_target=True,
        title="The interface endpoint's security groups admit HTTPS from the task",
        severity='high',
        description="The interface endpoint's security groups admit HTTPS from the task",
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html',
        network_column='SG in',
    ),
    CheckSpec(
        id='net.nacl',
        steps=(),
        per_target=True,
        title='Network ACLs let HTTPS out and the replies back in',
        severity='high',
        description='Network ACLs let HTTPS out and the replies back in',
        doc_url='https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html',
        network_column='NACL',
    ),
    CheckSpec(
        id='net.no-route',
        steps=(),
        per_target=True,
        title='The task has a way out to the destination',
        severity='high',
        description='The task has a way out to the destination',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html',
        network_column='route',
    ),
    CheckSpec(
        id='net.public-ip',
        steps=(),
        per_target=True,
        title='A task routed to the internet gateway has a public IP',
        severity='high',
        description='A task routed to the internet gateway has a public IP',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html',
        network_column='route',
    ),
    CheckSpec(
        id='net.s3-gateway-route',
        steps=(),
        per_target=True,
        title="The S3 gateway endpoint is on the task subnet's route table",
        severity='high',
        description="The S3 gateway endpoint is on the task subnet's route table",
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html',
        network_column='route',
    ),
    CheckSpec(
        id='net.task-sg-egress',
        steps=(),
        per_target=True,
        title="The task's security groups let HTTPS out to the destination",
        severity='high',
        description="The task's security groups let HTTPS out to the destination",
        doc_url='https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html',
        network_column='SG out',
    ),
    CheckSpec(
        id='net.vpc-dns',
        steps=(),
        per_target=True,
        title='The VPC resolves the private DNS names of its interface endpoints',
        severity='high',
        description='The VPC resolves the private DNS names of its interface endpoints',
        doc_url='https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html',
        network_column='DNS',
    ),
    CheckSpec(
        id='registry.credentials-missing',
        steps=('registry-auth',),
        title='A private registry image has repositoryCredentials',
        severity='high',
        description='A private registry image has repositoryCredentials',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html',
        calls=('creds-secret', 'registry-manifest'),
    ),
    CheckSpec(
        id='registry.secret-missing',
        steps=('registry-auth',),
        title='The registry credentials secret exists',
        severity='high',
        description='The registry credentials secret exists',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html',
        calls=('creds-secret',),
    ),
    CheckSpec(
        id='role.confusion',
        steps=STEPS,
        title="The pull's permissions are on the execution role, not the task role",
        severity='high',
        description="The pull's permissions are on the execution role, not the task role",
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html',
    ),
    CheckSpec(
        id='secrets.missing',
        steps=('secrets',),
        title='The container secrets exist',
        severity='high',
        description='The container secrets exist',
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html',
        calls=('secret-fetch',),
    ),
    CheckSpec(
        id='taskdef.invalid',
        steps=(),
        title="The task definition matches the ECS API and Fargate's rules",
        severity='high',
        description="The task definition matches the ECS API and Fargate's rules",
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html',
    ),
)}


def spec(check_id: str) -> CheckSpec:
    """The catalogue entry of a finding id (KeyError for an id that is not a check)."""
    return CATALOGUE[check_id]
