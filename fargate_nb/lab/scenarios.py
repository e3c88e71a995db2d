"""The workshop catalogue: broken (and healthy) Fargate set-ups, each with its story and its fix.

A scenario is provisioned into the sandbox with `fargate_nb.lab.build.provision`; the kit then
diagnoses it through the live-state collector (`fargate_nb.investigation.open_scenario`), exactly
as a real account would be. ``expected`` lists the failing findings the kit must report;
`Scenario.repair` applies the reference fix and re-runs the task definition, after which the
diagnosis must come back clean. The lab itself never diagnoses.
"""

from __future__ import annotations

from dataclasses import dataclass

from fargate_nb.lab import fixes
from fargate_nb.lab.build import provision, run_task
from fargate_nb.lab.sandbox import Sandbox
from fargate_nb.lab.spec import EnvSpec, Provisioned

_LOG_STATEMENT = {"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                  "Resource": "${log_group_arn}"}
_PULL_STATEMENT = {"Sid": "PullPaymentsApi", "Effect": "Allow",
                   "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                   "Resource": "${repository_arn}"}

# Stopped reasons as ECS words them (placeholders are filled in by the builder).
_ECR_AUTH_DENIED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
    "unable to retrieve ecr registry auth: service call has been retried 1 time(s): operation error ECR: "
    "GetAuthorizationToken, https response error StatusCode: 400, RequestID: 5f0d1c2e-8a7b-4c3d-9e1f-2a3b4c5d6e7f, "
    "api error AccessDeniedException: User: arn:aws:sts::{account}:assumed-role/{execution_role_name}/{task_id} "
    "is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy "
    "allows the ecr:GetAuthorizationToken action"
)
_ECR_API_TIMEOUT = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
    "unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request "
    "failed caused by: Post \"https://api.ecr.{region}.amazonaws.com/\": dial tcp {address}:443: i/o timeout. "
    "Please check your task network configuration."
)
_LAYER_TIMEOUT = (
    "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: httpReadSeeker: failed open: "
    "failed to do request: Get \"https://prod-{region}-starport-layer-bucket.s3.{region}.amazonaws.com/"
    "a1b2-4c3d8e9f0a1b2c3d-5e6f7a8b/8d2c4e6f-1a3b-4c5d-9e7f-0a1b2c3d4e5f?X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE"
    "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260301T031522Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600"
    "&X-Amz-Credential=ASIAEXAMPLEEXAMPLE%2F20260301%2F{region}%2Fs3%2Faws4_request"
    "&X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\": "
    "dial tcp 52.217.161.201:443: i/o timeout"
)
_SECRET_DENIED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
    "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
    "{registry_secret_arn} from secrets manager: operation error Secrets Manager: GetSecretValue, https response "
    "error StatusCode: 400, RequestID: 0c4d2b1a-9e8f-4a7b-8c6d-5e4f3a2b1c0d, api error AccessDeniedException: "
    "User: arn:aws:sts::{account}:assumed-role/{execution_role_name}/{task_id} is not authorized to perform: "
    "secretsmanager:GetSecretValue on resource: {registry_secret_arn} because no identity-based policy allows "
    "the secretsmanager:GetSecretValue action"
)
_SECRET_KMS_DENIED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
    "unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret "
    "{registry_secret_arn} from secrets manager: operation error Secrets Manager: GetSecretValue, https response "
    "error StatusCode: 400, RequestID: 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d, api error AccessDeniedException: "
    "Access to KMS is not allowed"
)


@dataclass(frozen=True)
class Scenario:
    """One workshop exercise: a set-up, what went wrong in the incident's words, and the way out."""

    id: str  # kebab-case, stable
    title: str
    story: str  # what the on-call engineer saw
    teaches: str
    expected: tuple[tuple[str, str | None], ...]  # failing findings: (finding id, target or None)
    hint: str
    spec: EnvSpec
    fix: fixes.Fix = fixes.no_fix

    @property
    def healthy(self) -> bool:
        return not self.expected

    def provision(self, sandbox: Sandbox) -> Provisioned:
        return provision(sandbox, self.spec)

    def repair(self, sandbox: Sandbox, env: Provisioned) -> str:
        """Apply the reference fix, then re-run the task definition; returns the new task's ARN."""
        self.fix(sandbox, env)
        env.task_arn = run_task(sandbox, env)
        return env.task_arn


_PRIVATE = EnvSpec(subnet="private-endpoints")

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        id="healthy-public",
        title="Healthy: public subnet with a public IP",
        story="The api service runs in a public subnet with auto-assign public IP on. Deploys just work.",
        teaches="What a passing diagnosis looks like: every step green, the internet gateway as the path.",
        expected=(),
        hint="Nothing is broken here. Read the pull diagram from left to right.",
        spec=EnvSpec(),
    ),
    Scenario(
        id="healthy-private-endpoints",
        title="Healthy: private subnets with VPC endpoints",
        story="The api service runs in private subnets with no internet route. ECR, Logs, Secrets Manager and "
              "SSM are reached through interface endpoints, and image layers through the S3 gateway endpoint.",
        teaches="The full PrivateLink set a Fargate pull needs: ecr.api, ecr.dkr, the S3 gateway, logs.",
        expected=(),
        hint="Nothing is broken. Note which endpoint serves which step of the pull.",
        spec=_PRIVATE,
    ),
    Scenario(
        id="healthy-nat",
        title="Healthy: private subnets behind a NAT gateway",
        story="The api service runs in private subnets whose default route goes to a NAT gateway.",
        teaches="A NAT gateway is a complete path: no endpoints are needed.",
        expected=(),
        hint="Nothing is broken. Compare the network path with the public-subnet set-up.",
        spec=EnvSpec(subnet="private-nat"),
    ),
    Scenario(
        id="missing-ecr-auth",
        title="The execution role cannot get an ECR token",
        story="Someone replaced the managed execution policy with a 'least-privilege' inline policy scoped to the "
              "payments-api repository. Since the 02:10 deploy every api task stops within seconds with "
              "ResourceInitializationError ... AccessDeniedException ... ecr:GetAuthorizationToken.",
        teaches="ecr:GetAuthorizationToken is account-wide: it only works with Resource \"*\", so scoping every "
                "ECR action to one repository silently drops it.",
        expected=(("iam.ecr-auth", None),),
        hint="Which ECR action cannot be scoped to a repository ARN?",
        spec=EnvSpec(execution_role_policy="custom", execution_role_statements=(_PULL_STATEMENT, _LOG_STATEMENT),
                     stopped_reason=_ECR_AUTH_DENIED),
        fix=fixes.allow_ecr_auth,
    ),
    Scenario(
        id="role-confusion",
        title="ECR permissions on the task role instead of the execution role",
        story="The team gave 'the task' ECR read access, and the tasks still fail with AccessDeniedException on "
              "ecr:GetAuthorizationToken. The policy is right there on payments-api-task.",
        teaches="Fargate pulls the image (and fetches secrets and sets up logs) with the execution role; the task "
                "role is only for the application's own AWS calls.",
        expected=(("iam.ecr-auth", None), ("iam.ecr-pull", None), ("role.confusion", None)),
        hint="Two roles are attached to the task definition. Which one does the agent use before your code starts?",
        spec=EnvSpec(execution_role_policy="custom", execution_role_statements=(_LOG_STATEMENT,),
                     task_role_statements=(
                         {"Sid": "EcrToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                          "Resource": "*"}, _PULL_STATEMENT),
                     stopped_reason=_ECR_AUTH_DENIED),
        fix=fixes.move_pull_permissions_to_execution_role,
    ),
    Scenario(
        id="private-no-route",
        title="Private subnets with no way out",
        story="For the PCI audit the api service moved to new private subnets with no NAT gateway. Every task now "
              "stops after a minute: ResourceInitializationError ... Post \"https://api.ecr...\": i/o timeout.",
        teaches="A task without a public IP needs a NAT gateway or VPC endpoints for every service the pull touches.",
        expected=(("net.no-route", "ecr.api"), ("net.no-route", "ecr.dkr"), ("net.no-route", "s3"),
                  ("net.no-route", "logs")),
        hint="Look at the route table of the task subnets: where does 0.0.0.0/0 go?",
        spec=EnvSpec(subnet="private-isolated", stopped_reason=_ECR_API_TIMEOUT.replace("{address}", "52.46.145.142")),
        fix=fixes.create_private_endpoints,
    ),
    Scenario(
        id="no-s3-gateway",
        title="ECR endpoints without the S3 gateway endpoint",
        story="The network team added the ecr.api and ecr.dkr interface endpoints and removed the NAT gateway to save "
              "money. Authentication works, the manifest resolves, then the pull times out on a "
              "prod-...-starport-layer-bucket URL.",
        teaches="ECR serves image layers from S3: private subnets need the S3 gateway endpoint on their route "
                "table. An S3 interface endpoint does not serve the layers.",
        expected=(("net.no-route", "s3"),),
        hint="The manifest came through. Where do the layers come from?",
        spec=EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "ecr.dkr", "logs"), s3_gateway=False,
                     stopped_reason=_LAYER_TIMEOUT),
        fix=fixes.create_s3_gateway,
    ),
    Scenario(
        id="endpoint-sg-no-443",
        title="The endpoint security group does not admit the tasks",
        story="The interface endpoints were created with a security group copied from the old VPC. Tasks in the new "
              "VPC time out talking to api.ecr even though `nslookup` resolves it to private addresses.",
        teaches="Interface endpoints are ENIs in your subnets: their security group must admit 443 from the tasks.",
        expected=(("net.endpoint-sg", "ecr.api"), ("net.endpoint-sg", "ecr.dkr"), ("net.endpoint-sg", "logs")),
        hint="DNS works. What stands between the task ENI and the endpoint ENI on port 443?",
        spec=EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "ecr.dkr", "logs"),
                     endpoint_sg_allows_task=False,
                     stopped_reason=_ECR_API_TIMEOUT.replace("{address}", "10.40.10.37")),
        fix=fixes.admit_https_from_tasks,
    ),
    Scenario(
        id="dockerhub-secret-denied",
        title="Docker Hub credentials the execution role may not read",
        story="The api image moved to a private Docker Hub repository. The pull token is stored in Secrets Manager "
              "and named in repositoryCredentials, but tasks stop with AccessDeniedException on "
              "secretsmanager:GetSecretValue.",
        teaches="Private registry authentication reads the credentials secret with the execution role.",
        expected=(("iam.registry-secret", None),),
        hint="Which role reads repositoryCredentials.credentialsParameter?",
        spec=EnvSpec(image_source="dockerhub-private", grant_registry_secret=False, stopped_reason=_SECRET_DENIED),
        fix=fixes.allow_registry_secret,
    ),
    Scenario(
        id="dockerhub-secret-kms",
        title="Docker Hub credentials encrypted with a key the role cannot use",
        story="Security re-encrypted every secret with the new payments customer-managed KMS key. The execution "
              "role can still call GetSecretValue, yet tasks stop with 'Access to KMS is not allowed'.",
        teaches="A secret encrypted with a customer-managed key also needs kms:Decrypt on that key.",
        expected=(("iam.kms-decrypt", None),),
        hint="GetSecretValue is allowed. What does Secrets Manager need to do with the ciphertext?",
        spec=EnvSpec(image_source="dockerhub-private", registry_secret_kms=True, grant_kms_decrypt=False,
                     stopped_reason=_SECRET_KMS_DENIED),
        fix=fixes.allow_kms_decrypt,
    ),
    Scenario(
        id="dockerhub-no-credentials",
        title="A private Docker Hub image without repositoryCredentials",
        story="The secret and its IAM policy were created, but the new task definition revision was written by "
              "hand and left out repositoryCredentials. Tasks stop with 'pull access denied ... may require "
              "authorization'.",
        teaches="Private non-ECR images need repositoryCredentials in the container definition; nothing else "
                "makes Fargate log in.",
        expected=(("registry.credentials-missing", None),),
        hint="Compare the container definition with the previous revision.",
        spec=EnvSpec(image_source="dockerhub-private", registry_credentials=False, stopped_reason=(
            "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
            "docker.io/acme/payments-api:1.4.2: pull access denied, repository does not exist or may require "
            "authorization: server message: insufficient_scope: authorization failed")),
        fix=fixes.add_repository_credentials,
    ),
    Scenario(
        id="cross-account-repo-policy",
        title="A shared-artifacts repository that does not grant this account",
        story="Images now live in the shared artifacts account 210987654321. Staging pulls fine; production tasks "
              "fail with 403 Forbidden on the manifest.",
        teaches="A cross-account pull needs both the pulling role's identity policy and the repository policy "
                "naming the pulling account (or role).",
        expected=(("ecr.repo-policy", None),),
        hint="Read the repository policy in the artifacts account. Who is the principal?",
        spec=EnvSpec(image_source="ecr-cross-account", repository_policy={"Version": "2012-10-17", "Statement": [{
            "Sid": "AllowPullFromStaging", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]},
            stopped_reason=(
                "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
                "210987654321.dkr.ecr.{region}.amazonaws.com/payments-api:1.4.2: pulling from host "
                "210987654321.dkr.ecr.{region}.amazonaws.com failed with status code [manifests 1.4.2]: "
                "403 Forbidden")),
        fix=fixes.grant_pulling_account,
    ),
    Scenario(
        id="missing-log-group",
        title="The awslogs log group does not exist",
        story="A clean-up script deleted log groups without recent events, including /ecs/payments-api. New tasks "
              "stop with ResourceInitializationError: failed to validate logger args ... log group does not exist.",
        teaches="awslogs does not create the group unless awslogs-create-group is true (and then the role needs "
                "logs:CreateLogGroup).",
        expected=(("logs.group-missing", None),),
        hint="The image pulled fine. What else happens before the container starts?",
        spec=EnvSpec(awslogs="missing", stopped_reason=(
            "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: "
            "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not "
            "exist. : exit status 1")),
        fix=fixes.create_log_group,
    ),
    Scenario(
        id="bad-trust",
        title="An execution role that does not trust ecs-tasks.amazonaws.com",
        story="The execution role was cloned from the old ECS service role and trusts ecs.amazonaws.com. Deploys "
              "fail before any container is created.",
        teaches="Fargate assumes the execution role as ecs-tasks.amazonaws.com; the trust policy must name it.",
        expected=(("exec-role.trust", None),),
        hint="Read the role's trust relationship, not its permissions.",
        spec=EnvSpec(execution_role_trust="ecs.amazonaws.com", stopped_reason=(
            "ECS was unable to assume the role '{execution_role_arn}' that was provided for this task. Please verify "
            "that the role being passed has the proper trust relationship and permissions and that your IAM user "
            "has permissions to pass this role.")),
        fix=fixes.trust_ecs_tasks,
    ),
    Scenario(
        id="s3-gateway-not-on-route-table",
        title="The S3 gateway endpoint is on the wrong route table",
        story="The S3 gateway endpoint exists, but it was attached to the VPC's main route table; the task subnets "
              "have their own table. Layer downloads time out exactly as if the endpoint did not exist.",
        teaches="A gateway endpoint only works for subnets whose route table carries its prefix-list route.",
        expected=(("net.s3-gateway-route", "s3"),),
        hint="Which route table are the task subnets associated with?",
        spec=EnvSpec(subnet="private-endpoints", s3_gateway_on_task_route_table=False, stopped_reason=_LAYER_TIMEOUT),
        fix=fixes.route_s3_gateway_to_task_subnets,
    ),
    Scenario(
        id="vpc-dns-off",
        title="VPC DNS hostnames off with interface endpoints",
        story="The VPC was created by an old template with DNS hostnames disabled. The endpoints exist with private "
              "DNS on, yet api.ecr resolves to public addresses and the tasks time out.",
        teaches="Endpoint private DNS only takes effect when the VPC has both enableDnsSupport and "
                "enableDnsHostnames on.",
        expected=(("net.vpc-dns", "ecr.api"), ("net.vpc-dns", "ecr.dkr"), ("net.vpc-dns", "logs")),
        hint="Check the VPC's DNS attributes.",
        spec=EnvSpec(subnet="private-endpoints", endpoints=("ecr.api", "ecr.dkr", "logs"), vpc_dns_hostnames=False,
                     stopped_reason=_ECR_API_TIMEOUT.replace("{address}", "52.46.145.142")),
        fix=fixes.enable_vpc_dns,
    ),
    Scenario(
        id="image-tag-missing",
        title="The task definition names a tag that was never pushed",
        story="The pipeline registered the 1.4.2 task definition although the image build failed; the repository "
              "holds only 1.4.1.",
        teaches="A tag is resolved to a digest at deploy time; a missing tag fails with 'not found'.",
        expected=(("ecr.image-missing", None),),
        hint="List the repository's image tags.",
        spec=EnvSpec(image_pushed=False, stopped_reason=(
            "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
            "{account}.dkr.ecr.{region}.amazonaws.com/payments-api:1.4.2: "
            "{account}.dkr.ecr.{region}.amazonaws.com/payments-api:1.4.2: not found")),
        fix=fixes.push_missing_tag,
    ),
    Scenario(
        id="platform-mismatch",
        title="An amd64-only image on an ARM64 task",
        story="To save cost the task definition switched to runtimePlatform ARM64 (Graviton). The image was built "
              "on an x86 laptop and pushed as linux/amd64 only.",
        teaches="The image (or its index) must have a manifest for the task's runtimePlatform.",
        expected=(("ecr.platform-mismatch", None),),
        hint="Which platforms does the pushed manifest list?",
        spec=EnvSpec(runtime_platform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
                     stopped_reason=(
                         "CannotPullContainerError: ref pull has been retried 1 time(s): failed to unpack image on "
                         "snapshotter overlayfs: no match for platform in manifest: not found")),
        fix=fixes.push_multi_arch_image,
    ),
)

#: A representative broken scenario for `make demo`.
DEFAULT_SCENARIO = "no-s3-gateway"
_BY_ID = {s.id: s for s in SCENARIOS}


def get_scenario(scenario_id: str) -> Scenario:
    """The scenario with this id; a KeyError that lists the valid ids otherwise."""
    try:
        return _BY_ID[scenario_id]
    except (KeyError, TypeError):
        raise KeyError(f"unknown scenario {scenario_id!r}; valid ids: {', '.join(_BY_ID)}") from None


def scenario_ids() -> list[str]:
    return list(_BY_ID)
