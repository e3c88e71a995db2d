"""The manifest step for ECR images: permissions, the repository (and its policy), the image, its platforms.

Also advice that does not break today's pull but may break tomorrow's (info findings): no lifecycle
policy, scan on push off, a mutable tag. Findings are per repository (permissions, repository) or
per container (image, platform). Importing this package registers every ECR check.
"""

from fargate_nb.checks.ecr.access import ecr_pull_permission, repository_policy
from fargate_nb.checks.ecr.advice import lifecycle_policy, mutable_tag, scan_on_push, tag_is_mutable
from fargate_nb.checks.ecr.cache import created_by_cache, pull_through_cache
from fargate_nb.checks.ecr.common import ecr_images, image_entry
from fargate_nb.checks.ecr.images import image_missing, platform_mismatch, repository_missing, wanted_platform

__all__ = ["created_by_cache", "pull_through_cache", "ecr_images", "ecr_pull_permission", "image_entry", "image_missing", "lifecycle_policy", "mutable_tag",
           "platform_mismatch", "repository_missing", "repository_policy", "scan_on_push", "tag_is_mutable",
           "wanted_platform"]
