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
        title='The image tag or digest exists', severity='high',
        description=("The image's tag or digest must exist in the repository. ECS resolves a tag to a digest per "
                     'deployment, so a deleted or re-pushed tag (or one expired by a lifecycle policy) breaks later '
                     'task launches.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html',
        evidence=('task_definition', 'repositories', 'images'), calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.lifecycle-policy',
        steps=('manifest',),
        title='The repository has a lifecycle policy', severity='low',
        description=('Advice: a repository without a lifecycle policy keeps every image forever. When one is added, '
                     'it must not expire the tags that task definitions deploy, or the next task launch fails to '
                     'resolve them.'),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html',
        evidence=('task_definition', 'repositories'), advice=True,
    ),
    CheckSpec(
        id='ecr.mutable-tag',
        steps=('manifest',),
        title='The image is pinned (immutable tag or digest)', severity='low',
        description=('Advice: a mutable tag can point at another image tomorrow. Immutable tags (or pinning by '
                     'digest) keep every task of a deployment on the same image and prevent an accidental overwrite '
                     'from breaking later launches.'),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html',
        evidence=('task_definition', 'repositories'), advice=True,
    ),
    CheckSpec(
        id='ecr.platform-mismatch',
        steps=('manifest',),
        title="The image has a manifest for the task's platform", severity='high',
        description=("The image must have a manifest for the task's runtimePlatform (operatingSystemFamily and "
                     "cpuArchitecture, LINUX/X86_64 by default); otherwise the pull fails with 'image Manifest does "
                     "not contain descriptor matching platform' or the container exits with 'exec format error'."),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#runtime-platform',
        evidence=('task_definition', 'repositories', 'images', 'task'), calls=('ecr-manifest', 'registry-manifest'),
    ),
    CheckSpec(
        id='iam.org-policies',
        steps=(),
        title='Organisation policies were evaluated', severity='low',
        description=('The kit does not read AWS Organizations service control policies (SCPs) or resource control '
                     'policies (RCPs), which can deny what every policy it read allows. Said once per diagnosis, as '
                     'info, whenever an execution role was evaluated: a pass of the permission checks does not rule '
                     'out a denial by the organisation.'),
        doc_url='https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html',
        evidence=('task_definition', 'roles'), advice=True,
    ),
    CheckSpec(
        id='iam.environment-files',
        steps=('secrets',),
        title='The execution role may download the environment files', severity='high',
        description=('Environment files in S3 (containerDefinitions[].environmentFiles) are downloaded with the task '
                     'execution role before the container starts: s3:GetObject on each object and '
                     's3:GetBucketLocation on its bucket. A bucket policy, which the kit does not read, may also '
                     'grant them, so only an explicit deny fails; the path to S3 is judged by the network checks.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/taskdef-envfiles.html',
        evidence=('task_definition', 'roles'), calls=('env-file',),
    ),
    CheckSpec(
        id='ecr.pull-through-cache',
        steps=('manifest',),
        title='A pull-through cache can create the missing repository', severity='high',
        description=('An image under a pull-through cache rule whose repository does not exist yet is fetched from the '
                     'upstream registry and its repository created on the first pull: the execution role needs '
                     'ecr:BatchImportUpstreamImage and ecr:CreateRepository (or the registry permissions policy must '
                     "grant them), and the rule's upstream credentials secret must exist. The path to the upstream "
                     'registry (PrivateLink does not reach it) is judged by the network checks.'),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html',
        evidence=('task_definition', 'repositories', 'images', 'roles', 'secrets'), calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.repo-missing',
        steps=('manifest',),
        title='The ECR repository exists', severity='high',
        description=('The repository named by the image URI must exist in that registry (account) and Region; a typo '
                     "in the name, account or Region fails the pull with 'repository ... not found'."),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_cannot_pull_image.html',
        evidence=('task_definition', 'repositories'), calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.repo-policy',
        steps=('manifest',),
        title='The repository policy lets the execution role pull', severity='high',
        description=('A repository in another account can only be pulled if its repository policy grants the '
                     "execution role (or its account) the pull actions; in the task's own account only an explicit "
                     'deny in the repository policy can block the pull.'),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html',
        evidence=('task_definition', 'roles', 'repositories'), calls=('ecr-manifest',),
    ),
    CheckSpec(
        id='ecr.scan-on-push',
        steps=('manifest',),
        title='Images are scanned on push', severity='low',
        description=('Advice: with scan on push off, pushed images are not checked for known vulnerabilities (a '
                     'registry-level scanning configuration, which the kit does not read, may still scan them).'),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html',
        evidence=('task_definition', 'repositories'), advice=True,
    ),
    CheckSpec(
        id='exec-role.missing',
        steps=('assume-role',),
        title='The task has an execution role', severity='high',
        description=('Fargate pulls a private ECR image, reads registry credentials and container secrets, and sends '
                     'awslogs output with the task execution role, so a task that needs any of them must name one in '
                     'executionRoleArn. The check passes when a role is named and is skipped when the task needs none '
                     '(public images, no secrets, no awslogs).'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        evidence=('task_definition',), calls=('assume',),
    ),
    CheckSpec(
        id='exec-role.not-found',
        steps=('assume-role',),
        title='The execution role exists', severity='high',
        description=('The role named by executionRoleArn must be an IAM role ARN that exists in IAM; a deleted, '
                     "renamed or mistyped role stops the task with 'ECS was unable to assume the role'."),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        evidence=('task_definition', 'roles'), calls=('assume',),
    ),
    CheckSpec(
        id='exec-role.trust',
        steps=('assume-role',),
        title='The execution role trusts ecs-tasks.amazonaws.com', severity='high',
        description=("The execution role's trust policy must let the ecs-tasks.amazonaws.com service principal call "
                     'sts:AssumeRole; the check evaluates the trust policy, including aws:SourceAccount and '
                     'aws:SourceArn conditions, the way ECS documents them for confused-deputy protection.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        evidence=('task_definition', 'roles', 'task', 'account'), calls=('assume',),
    ),
    CheckSpec(
        id='iam.ecr-auth',
        steps=('registry-auth',),
        title='The execution role may get an ECR authorization token', severity='high',
        description=('Before a private ECR pull Fargate asks ecr.api for an authorization token with the execution '
                     'role. ecr:GetAuthorizationToken takes no resource ("*") and is called through a Fargate-owned '
                     'interface, so aws:SourceVpc and aws:SourceVpce conditions never match it; identity policies, '
                     'the permissions boundary and explicit denies are evaluated.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html',
        evidence=('task_definition', 'roles'), calls=('ecr-auth',),
    ),
    CheckSpec(
        id='iam.ecr-pull',
        steps=('manifest',),
        title='The execution role may pull from the ECR repository', severity='high',
        description=('Pulling from a private ECR repository needs ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on '
                     "the repository for the execution role (ECR user guide, 'Using Amazon ECR images with Amazon "
                     "ECS'). This check judges the role's side: identity policies, permissions boundary and, in the "
                     "same account, the repository policy's grants."),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/ECR_on_ECS.html',
        evidence=('task_definition', 'roles', 'repositories'), calls=('ecr-manifest', 'layer-url'),
    ),
    CheckSpec(
        id='iam.kms-decrypt',
        steps=('registry-auth', 'secrets'),
        title="The execution role may decrypt the secrets' KMS keys", severity='high',
        description=('A secret or SecureString parameter encrypted with a customer managed KMS key can only be read '
                     'if the execution role may call kms:Decrypt on that key through the service (kms:ViaService); '
                     "AWS managed keys need no permission. The key policy and the role's policies are evaluated, at "
                     'the step that reads the secret.'),
        doc_url='https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html',
        evidence=('task_definition', 'roles', 'secrets', 'parameters', 'kms_keys'), calls=('kms',),
    ),
    CheckSpec(
        id='iam.logs',
        steps=('logs',),
        title='The execution role may write the awslogs stream', severity='high',
        description=('The awslogs driver creates the log stream (logs:CreateLogStream) and sends events '
                     '(logs:PutLogEvents) with the execution role; with awslogs-create-group=true it also calls '
                     'logs:CreateLogGroup, which the AWS managed execution policy does not grant.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html',
        evidence=('task_definition', 'roles'), calls=('logs-group', 'logs-stream', 'logs-events'),
    ),
    CheckSpec(
        id='iam.registry-secret',
        steps=('registry-auth',),
        title='The execution role may read the registry credentials secret', severity='high',
        description=('Private registry authentication reads the Secrets Manager secret named by '
                     'repositoryCredentials.credentialsParameter with the execution role, which needs '
                     "secretsmanager:GetSecretValue on it (and the secret's resource policy must not deny it; another "
                     "account's secret must grant it)."),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html',
        evidence=('task_definition', 'roles', 'secrets'), calls=('creds-secret',),
    ),
    CheckSpec(
        id='iam.secrets',
        steps=('secrets',),
        title='The execution role may read the container secrets', severity='high',
        description=('Container secrets are injected by Fargate with the execution role: '
                     'secretsmanager:GetSecretValue for Secrets Manager secrets and ssm:GetParameters for Parameter '
                     "Store parameters, allowed by the role's policies and not denied by a secret's resource policy."),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html',
        evidence=('task_definition', 'roles', 'secrets', 'parameters'), calls=('secret-fetch',),
    ),
    CheckSpec(
        id='iam.simulator-agreement',
        steps=(),
        title='The IAM policy simulator agrees with the local evaluator', severity='low',
        description=("Compares the IAM policy simulator's answers (when the collector could call "
                     "iam:SimulatePrincipalPolicy) with the local evaluator's. The simulator sees identity policies "
                     'and the permissions boundary only, so a disagreement is shown as information; the verdict '
                     'always uses the local evaluator.'),
        doc_url='https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html',
        evidence=('simulations', 'roles'),
    ),
    CheckSpec(
        id='logs.group-missing',
        steps=('logs',),
        title='The awslogs log group exists or will be created', severity='high',
        description=('The awslogs-group must exist in the awslogs-region, or awslogs-create-group must be true; '
                     "otherwise the container fails to start with 'ResourceNotFoundException: The specified log group "
                     "does not exist'."),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html',
        evidence=('task_definition', 'log_groups'), calls=('logs-group', 'logs-stream'),
    ),
    CheckSpec(
        id='net.endpoint-policy',
        steps=(), per_target=True,
        title='Endpoint policies allow what the pull needs through them', severity='high',
        description=('An endpoint policy must allow what the pull sends through it, including s3:GetObject on the '
                     "Region's starport layer bucket (arn:aws:s3:::prod-REGION-starport-layer-bucket/*) for the S3 "
                     'gateway endpoint.'),
        doc_url='https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html',
        evidence=('task_definition', 'network'), network_column='endpoint policy',
    ),
    CheckSpec(
        id='net.endpoint-private-dns',
        steps=(), per_target=True,
        title='Interface endpoints relied on have private DNS on', severity='high',
        description=("An interface endpoint the task relies on must have private DNS enabled, or the service's "
                     'regional name keeps resolving to public addresses the task cannot reach.'),
        doc_url='https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html',
        evidence=('task_definition', 'network'), network_column='DNS',
    ),
    CheckSpec(
        id='net.endpoint-sg',
        steps=(), per_target=True,
        title="The interface endpoint's security groups admit HTTPS from the task", severity='high',
        description=("The security groups of an interface endpoint must admit HTTPS (TCP 443) from the task's subnet "
                     'or security groups.'),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html',
        evidence=('task_definition', 'network'), network_column='SG in',
    ),
    CheckSpec(
        id='net.nacl',
        steps=(), per_target=True,
        title='Network ACLs let HTTPS out and the replies back in', severity='high',
        description=("Network ACLs are stateless: the task subnet's ACL must allow 443 out and the ephemeral return "
                     "ports (1024-65535) back in, and the endpoint subnet's ACL the reverse."),
        doc_url='https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html',
        evidence=('task_definition', 'network'), network_column='NACL',
    ),
    CheckSpec(
        id='net.no-route',
        steps=(), per_target=True,
        title='The task has a way out to the destination', severity='high',
        description=('Each destination of the pull (ecr.api, ecr.dkr, S3, logs, secretsmanager, ssm or a registry '
                     "host) needs a path from the task's subnet: a public IP and an internet gateway, a NAT gateway, "
                     "or a VPC endpoint for the service in the destination's region (endpoints serve their own region "
                     'only; ECR dual-stack hosts have no PrivateLink).'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html',
        evidence=('task_definition', 'network'), network_column='route',
    ),
    CheckSpec(
        id='net.public-ip',
        steps=(), per_target=True,
        title='A task routed to the internet gateway has a public IP', severity='high',
        description=('A task in a subnet whose default route is an internet gateway reaches the internet only with a '
                     'public IP (assignPublicIp ENABLED); without one, and without endpoints, every call of the pull '
                     'times out.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html',
        evidence=('task_definition', 'network'), network_column='route',
    ),
    CheckSpec(
        id='net.s3-gateway-route',
        steps=(), per_target=True,
        title="The S3 gateway endpoint is on the task subnet's route table", severity='high',
        description=('ECR serves image layers from S3, so in private subnets the S3 gateway endpoint must be '
                     "associated with the route table of the task's subnet."),
        doc_url='https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html',
        evidence=('task_definition', 'network'), network_column='route',
    ),
    CheckSpec(
        id='net.task-sg-egress',
        steps=(), per_target=True,
        title="The task's security groups let HTTPS out to the destination", severity='high',
        description=("The task's security groups must let HTTPS (TCP 443) out to each destination, including the S3 "
                     'prefix list when layers come through the gateway endpoint.'),
        doc_url='https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html',
        evidence=('task_definition', 'network'), network_column='SG out',
    ),
    CheckSpec(
        id='net.vpc-dns',
        steps=(), per_target=True,
        title="The task can resolve each destination's name", severity='high',
        description=('With enableDnsSupport off the Amazon DNS server does not answer, so no name resolves on any path '
                     '(NAT and internet gateway included). Interface endpoints with private DNS only answer under the '
                     "service's normal name when enableDnsHostnames is on too, and only through the Amazon DNS server: "
                     'custom DNS servers in the DHCP option set cannot be proven to resolve them (warn).'),
        doc_url='https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html',
        evidence=('task_definition', 'network'), network_column='DNS',
    ),
    CheckSpec(
        id='registry.credentials-missing',
        steps=('registry-auth',),
        title='A private registry image has repositoryCredentials', severity='high',
        description=('An image from a private registry other than ECR needs repositoryCredentials naming a Secrets '
                     'Manager secret with the username and password; anonymous pulls only work for public images (and '
                     'Docker Hub rate-limits them). An authentication error in the stopped reason turns the warning '
                     'into a failure.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html',
        evidence=('task_definition', 'task'), calls=('creds-secret', 'registry-manifest'),
    ),
    CheckSpec(
        id='registry.secret-missing',
        steps=('registry-auth',),
        title='The registry credentials secret exists', severity='high',
        description=('The registry credentials secret must exist in Secrets Manager and not be scheduled for '
                     "deletion. ECS accepts the secret's name only for a secret in the task's own Region (and "
                     'account); elsewhere the full ARN is required.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/private-auth.html',
        evidence=('task_definition', 'secrets'), calls=('creds-secret',),
    ),
    CheckSpec(
        id='role.confusion',
        steps=STEPS,
        title="The pull's permissions are on the execution role, not the task role", severity='high',
        description=('The task role is only for the application inside the container; Fargate pulls the image, '
                     'fetches secrets and writes logs with the execution role. This check fails at the earliest pull '
                     'step whose permission only the task role grants; its other answers (pass, skipped, unknown) sit '
                     "on assume-role, where the task's roles are resolved."),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html',
        evidence=('task_definition', 'roles'),
    ),
    CheckSpec(
        id='secrets.missing',
        steps=('secrets',),
        title='The container secrets exist', severity='high',
        description=("Every valueFrom of a container's secrets must name a parameter or secret that exists (a secret "
                     'scheduled for deletion cannot be read); otherwise the task stops with '
                     'ResourceInitializationError before the container starts.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data.html',
        evidence=('task_definition', 'secrets', 'parameters'), calls=('secret-fetch',),
    ),
    CheckSpec(
        id='taskdef.invalid',
        steps=(),
        title="The task definition matches the ECS API and Fargate's rules", severity='high',
        description=('The task definition must be what RegisterTaskDefinition accepts: known members with the right '
                     'types (an unknown field such as imagePullBehavior is rejected), and on Fargate the documented '
                     'rules such as awsvpc network mode and a valid task cpu/memory combination.'),
        doc_url='https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html',
        evidence=('task_definition', 'task', 'service'),
    ),
)}


def spec(check_id: str) -> CheckSpec:
    """The catalogue entry of a finding id (KeyError for an id that is not a check)."""
    return CATALOGUE[check_id]


def in_order() -> list[CheckSpec]:
    """The catalogue by pull step (a check's first step), then id; network, then task-definition checks last."""
    order = {s: i for i, s in enumerate(STEPS)}

    def key(c: CheckSpec) -> tuple[int, str]:
        first = len(STEPS) if c.per_target else min((order[s] for s in c.steps), default=len(STEPS) + 1)
        return first, c.id

    return sorted(CATALOGUE.values(), key=key)
