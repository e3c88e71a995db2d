"""Batched reads before an audit collects its services one by one, seeding the run cache.

Each service's collection reads its subnets, its task definition and its images one request at a
time. Before those collections start, an audit that knows its services (from the batched
``DescribeServices``) reads them in batches instead and seeds the run cache under each exact
per-service request, so the collections find them there:

- subnets: one ``ec2:DescribeSubnets`` for every subnet of the region's services (a ``subnet-id``
  filter takes a list; a subnet that is gone is simply absent, as in the per-service read);
- task definitions: one ``DescribeTaskDefinition`` per distinct revision (there is no batch API),
  made through the cache so no collection repeats it;
- images: per ECR repository, ``BatchGetImage`` and ``DescribeImages`` with up to 100 image ids
  (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html,
  https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html).
  ``BatchGetImage`` answers image by image (a missing one is a failure); ``DescribeImages`` fails
  as a whole when one id does not exist, so it is asked only for the images that exist, and a
  missing image is seeded as "not found", as its own ``DescribeImages`` would answer.

Nothing here decides anything or raises for AWS errors: a batch that fails seeds nothing.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fargate_nb.aws.calls import Caller, cache_key, jsonable
from fargate_nb.aws.collect import describe_task_definition_params
from fargate_nb.aws.collect_ecr import ACCEPTED_MEDIA_TYPES, image_id
from fargate_nb.aws.session import AwsContext
from fargate_nb.model import Snapshot
from fargate_nb.pullflow import ImageRef
from fargate_nb.pullflow import plan as pull_plan

IMAGE_BATCH = 100  # DescribeImages and BatchGetImage take at most 100 image ids
SUBNET_BATCH = 200  # values in one EC2 filter (kept well under the documented 1,000)


def _awsvpc(service: dict[str, Any]) -> dict[str, Any]:
    primary = next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), {})
    config = primary.get("networkConfiguration") or service.get("networkConfiguration") or {}
    return config.get("awsvpcConfiguration") or {}


def _task_definition_arn(service: dict[str, Any]) -> str | None:
    primary = next((d for d in service.get("deployments") or [] if d.get("status") == "PRIMARY"), {})
    return primary.get("taskDefinition") or service.get("taskDefinition")


def prefetch(ctx: AwsContext, services: list[dict[str, Any]], *, max_workers: int = 8) -> None:
    """Seed ``ctx.cache`` with the subnets, task definitions and images of ``services`` (DescribeServices entries)."""
    if ctx.cache is None or not services:
        return
    subnet_sets = [list(_awsvpc(s).get("subnets") or []) for s in services]
    _subnets(ctx, [ids for ids in subnet_sets if ids])
    arns = sorted({a for a in map(_task_definition_arn, services) if a})
    caller = Caller(ctx)
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(arns) or 1))) as pool:
        answers = list(pool.map(lambda arn: caller.call("ecs", "DescribeTaskDefinition", resource=arn,
                                                         **describe_task_definition_params(arn)), arns))
    refs: dict[str, ImageRef] = {}
    for out in answers:
        td = (out.data or {}).get("taskDefinition") if out.ok else None
        if td:
            snap = Snapshot(region=ctx.region, partition=ctx.partition, task_definition=jsonable(td))
            refs.update({r.raw: r for r in pull_plan(snap).images.values() if r.ecr and r.repository})
    _images(ctx, list(refs.values()))


def _subnets(ctx: AwsContext, sets: list[list[str]]) -> None:
    """One read for every subnet the services use, seeded under each service's own subnet filter."""
    wanted = sorted({s for ids in sets for s in ids if isinstance(s, str) and s})
    if len({tuple(ids) for ids in sets}) < 2 or not wanted:
        return  # one set of subnets: the first collection's own read is the only one
    found: dict[str, dict[str, Any]] = {}
    caller = Caller(ctx)
    for i in range(0, len(wanted), SUBNET_BATCH):
        batch = wanted[i:i + SUBNET_BATCH]
        out = caller.call("ec2", "DescribeSubnets", resource=",".join(batch), paginate=True,
                          Filters=[{"Name": "subnet-id", "Values": batch}])
        if not out.ok:
            return
        found.update({s["SubnetId"]: s for s in out.data.get("Subnets") or [] if s.get("SubnetId")})
    for ids in {tuple(ids) for ids in sets}:
        key = cache_key(ctx, "ec2", "DescribeSubnets", None, {"Filters": [{"Name": "subnet-id", "Values": list(ids)}]},
                        paginate=True)
        ctx.cache.seed(key, {"Subnets": [found[s] for s in ids if s in found]})


def _matches(ref: ImageRef, image_id: dict[str, Any], tags: list[str] | None = None,
             digests: dict[str, str] | None = None) -> bool:
    """Whether an answer's image is the reference's: by digest (a tag through ``digests``, tag -> digest,
    as DescribeImages lists every tag of an image; answers may name another tag of the same image)."""
    if ref.digest:
        return image_id.get("imageDigest") == ref.digest
    tag = ref.tag or "latest"
    if digests and tag in digests:
        return image_id.get("imageDigest") == digests[tag]
    return image_id.get("imageTag") == tag or tag in (tags or [])


def _images(ctx: AwsContext, refs: list[ImageRef]) -> None:
    by_repo: dict[tuple[str | None, str | None, str], list[ImageRef]] = defaultdict(list)
    for ref in refs:
        by_repo[(ref.region, ref.registry_id, ref.repository)].append(ref)
    caller = Caller(ctx)
    for (region, registry_id, repository), group in by_repo.items():
        if len(group) < 2:
            continue  # the collection's own two reads cost the same
        for i in range(0, len(group), IMAGE_BATCH):
            _image_batch(ctx, caller, region, {"registryId": registry_id, "repositoryName": repository},
                         group[i:i + IMAGE_BATCH])


def _image_batch(ctx: AwsContext, caller: Caller, region: str | None, common: dict[str, Any],
                 batch: list[ImageRef]) -> None:
    """``BatchGetImage`` first (it answers image by image, missing ones as failures), then
    ``DescribeImages`` of the images that exist (it fails as a whole on a missing one): no image is
    asked for twice, and a missing image is seeded as "not found" for both reads."""
    cache = ctx.cache
    if cache is None:
        return
    manifests = caller.call("ecr", "BatchGetImage", region=region, resource=common["repositoryName"],
                            imageIds=[image_id(r) for r in batch], acceptedMediaTypes=ACCEPTED_MEDIA_TYPES, **common)
    missing: list[ImageRef] = []
    present = list(batch)
    if manifests.ok:
        failures = [f for f in manifests.data.get("failures") or [] if isinstance(f, dict)]
        missing = [r for r in batch if any(f.get("failureCode") == "ImageNotFound"
                                           and _matches(r, f.get("imageId") or {}) for f in failures)]
        present = [r for r in batch if r not in missing]
    digests: dict[str, str] = {}
    details = None
    if present:
        details = caller.call("ecr", "DescribeImages", region=region, resource=common["repositoryName"],
                              imageIds=[image_id(r) for r in present], **common)
        if details.ok:
            listed = details.data.get("imageDetails") or []
            digests = {tag: d["imageDigest"] for d in listed for tag in d.get("imageTags") or [] if d.get("imageDigest")}
            for ref in present:
                match = [d for d in listed if _matches(ref, d, d.get("imageTags"))]
                cache.seed(cache_key(ctx, "ecr", "DescribeImages", region, {**common, "imageIds": [image_id(ref)]}),
                           {"imageDetails": match[:1]})
    for ref in missing:  # what the per-image DescribeImages answers for an image that is not there
        cache.seed_missing(cache_key(ctx, "ecr", "DescribeImages", region, {**common, "imageIds": [image_id(ref)]}),
                           "ImageNotFoundException")
    if not manifests.ok:
        return
    for ref in batch:
        images = [m for m in manifests.data.get("images") or []
                  if _matches(ref, m.get("imageId") or {}, digests=digests)]
        failures = [f for f in manifests.data.get("failures") or [] if _matches(ref, f.get("imageId") or {})]
        if not images and not failures:
            continue  # not told apart in the answer: the collection asks for it alone
        cache.seed(cache_key(ctx, "ecr", "BatchGetImage", region,
                             {**common, "imageIds": [image_id(ref)], "acceptedMediaTypes": ACCEPTED_MEDIA_TYPES}),
                   {"images": images[:1], "failures": failures[:1]})
