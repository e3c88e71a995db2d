"""Where the pull goes: registry hosts, image references, regions, partitions, endpoint service names
and the layer bucket. Facts from AWS documentation, cited where they are declared."""

from __future__ import annotations

import re
from dataclasses import dataclass

ECR_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr(?:-fips)?\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov)$"
)
#: ECR's dual-stack (IPv4 and IPv6) registry host, ``<registry-id>.dkr-ecr.<region>.on.aws`` ("Making requests to
#: Amazon ECR registries", https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-requests.html). The same page:
#: "Amazon ECR does not support AWS PrivateLink traffic over dual-stack endpoints", so no VPC endpoint serves it.
ECR_DUAL_STACK_HOST = re.compile(r"^(?P<account>\d{12})\.dkr-ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.on\.aws$")
DOCKER_HUB = "registry-1.docker.io"
ECR_PUBLIC = "public.ecr.aws"

#: Network services a pull can need, as VPC endpoint service names (commercial and GovCloud partitions).
SERVICE_ENDPOINTS = {
    "ecr.api": "com.amazonaws.{region}.ecr.api",
    "ecr.dkr": "com.amazonaws.{region}.ecr.dkr",
    "s3": "com.amazonaws.{region}.s3",
    "logs": "com.amazonaws.{region}.logs",
    "secretsmanager": "com.amazonaws.{region}.secretsmanager",
    "ssm": "com.amazonaws.{region}.ssm",
}
#: In the China regions some endpoint services carry a ``cn.`` prefix, ECR's among them
#: ("cn.com.amazonaws.region.ecr.api" / ".ecr.dkr", https://docs.amazonaws.cn/en_us/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html);
#: others do not, and the prefix is not consistent across services. Matching therefore prefers each endpoint's own
#: ``ServiceName`` (DescribeVpcEndpoints) and accepts either form (`fargate_nb.reach.endpoints.same_service`).
CN_PREFIXED_SERVICES = frozenset({"ecr.api", "ecr.dkr"})


def partition_of(region: str | None) -> str:
    """The partition a region belongs to (``aws-cn`` for cn-*, ``aws-us-gov`` for us-gov-*, else ``aws``)."""
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def endpoint_service(target: str, region: str) -> str | None:
    """The VPC endpoint service name of ``target`` in ``region`` (None for a host no endpoint serves).

    Interface endpoints, their private DNS and the S3 gateway endpoint serve only their own region
    (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html): a
    resource in another region needs *that* region's service, hence the region in the name.
    """
    template = SERVICE_ENDPOINTS.get(target)
    if template is None:
        return None
    name = template.format(region=region)
    return f"cn.{name}" if partition_of(region) == "aws-cn" and target in CN_PREFIXED_SERVICES else name


def destination_key(target: str, region: str | None, home_region: str | None) -> str:
    """How findings and the sequence name a destination: the service alone in the task's own region,
    ``service@region`` in another region (a different endpoint, a different path)."""
    if region and home_region and region != home_region and target in SERVICE_ENDPOINTS:
        return f"{target}@{region}"
    return target


def split_key(key: str) -> tuple[str, str | None]:
    """(service, region or None) of a destination key (`destination_key`)."""
    target, _, region = key.partition("@")
    return target, region or None



def layer_bucket(region: str) -> str:
    """The S3 bucket ECR serves image layers from in a region (ECR user guide, VPC endpoints): the
    *repository's* region, so a cross-region pull downloads from that region's bucket."""
    return f"prod-{region}-starport-layer-bucket"


def layer_bucket_arn(region: str, partition: str | None = None) -> str:
    """The objects of the layer bucket, as an S3 gateway endpoint policy must allow them (``s3:GetObject``);
    the partition follows the region unless given."""
    return f"arn:{partition or partition_of(region)}:s3:::{layer_bucket(region)}/*"


@dataclass(frozen=True)
class ImageRef:
    """A container image reference, split the way a registry client would split it."""

    raw: str
    registry: str  # host, e.g. 111122223333.dkr.ecr.us-east-1.amazonaws.com or registry-1.docker.io
    repository: str  # e.g. "app" or "library/nginx"
    tag: str | None
    digest: str | None
    ecr: bool = False
    registry_id: str | None = None  # ECR: the account that owns the repository
    region: str | None = None  # ECR: the repository's region
    dual_stack: bool = False  # ECR: the dual-stack host (*.dkr-ecr.REGION.on.aws), which PrivateLink does not serve

    @property
    def public(self) -> bool:
        """Docker Hub and ECR Public images can be pulled anonymously (rate limits aside)."""
        return self.registry in (DOCKER_HUB, ECR_PUBLIC)

    def repository_arn(self, partition: str | None = None) -> str | None:
        """The repository's ARN, in the partition of its region unless given."""
        if not self.ecr:
            return None
        return f"arn:{partition or partition_of(self.region)}:ecr:{self.region}:{self.registry_id}:repository/{self.repository}"


def parse_image(image: str) -> ImageRef:
    """Split an image reference (``[host[:port]/]path[:tag][@digest]``) following Docker's rules."""
    raw = image.strip()
    rest, digest = (raw.split("@", 1) + [None])[:2] if "@" in raw else (raw, None)
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        host, path = first, remainder
    else:
        host, path = DOCKER_HUB, rest
    tag = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
    if host in ("docker.io", "index.docker.io"):
        host = DOCKER_HUB
    if host == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if tag is None and digest is None:
        tag = "latest"
    m = ECR_HOST.match(host)
    if m:
        return ImageRef(raw, host, path, tag, digest, ecr=True, registry_id=m["account"], region=m["region"])
    m = ECR_DUAL_STACK_HOST.match(host)
    if m:
        return ImageRef(raw, host, path, tag, digest, ecr=True, registry_id=m["account"], region=m["region"],
                        dual_stack=True)
    return ImageRef(raw, host, path, tag, digest)




def arn_region(arn: str) -> str | None:
    """The region field of an ARN (None when it has none, or it is not an ARN)."""
    parts = arn.split(":") if isinstance(arn, str) and arn.startswith("arn:") else []
    return parts[3] or None if len(parts) > 3 else None

