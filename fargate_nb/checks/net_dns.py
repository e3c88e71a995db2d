"""Network check, part 4: can the task resolve the name of each destination (`net.vpc-dns`)?

Every destination of the pull is reached by name (ECR, S3, CloudWatch Logs, a registry host), so DNS
matters on every path, not only through interface endpoints:

* ``enableDnsSupport`` off: "the Amazon provided DNS service in the VPC that resolves public DNS
  hostnames to IP addresses is not enabled" (EC2 API, ModifyVpcAttribute,
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html; VPC user guide,
  "DNS attributes for your VPC", https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html). Names do
  not resolve through NAT or the internet gateway either: fail for every destination.
* ``enableDnsHostnames`` off (support on): public names still resolve, but an interface endpoint's private
  DNS needs both attributes on, so the endpoint is bypassed.
* The VPC's DHCP option set names the DNS servers the task asks
  (https://docs.aws.amazon.com/vpc/latest/userguide/DHCPOptionSetConcepts.html). An endpoint's private DNS
  name lives in a private hosted zone that only the Amazon DNS server answers
  (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-access-aws-services.html): custom servers
  must forward to it, which the kit cannot see. So an endpoint behind custom servers is never a pass.
"""

from __future__ import annotations

from typing import Any

from fargate_nb import netpath
from fargate_nb.checks.net_findings import interface_endpoints, make, network_findings, q
from fargate_nb.checks.registry import check
from fargate_nb.model import Finding, Remediation, Snapshot
from fargate_nb.pullflow import Destination, PullPlan


@check("net.vpc-dns")
def vpc_dns(snapshot: Snapshot, plan: PullPlan) -> list[Finding]:
    dests, early = network_findings(snapshot, plan, "net.vpc-dns", ("vpc_endpoints",))
    return early + [_vpc_dns(snapshot, d) for d in dests]


def _vpc_dns(snapshot: Snapshot, dest: Destination) -> Finding:
    support, hostnames = netpath.vpc_dns(snapshot)
    vpc = netpath.vpc_id(snapshot) or "VPC_ID"
    relied = interface_endpoints(snapshot, dest)
    ids = ", ".join(e.get("VpcEndpointId", "?") for e in relied)
    servers = netpath.dns_servers(snapshot)
    custom = [s for s in servers or [] if s != netpath.AMAZON_DNS]
    ev = [f"{vpc}: enableDnsSupport={support}, enableDnsHostnames={hostnames}",
          f"DHCP option set domain-name-servers: {', '.join(servers) if servers else 'not read'}"]
    ev += [f"interface endpoints: {ids}"] if relied else []
    if support is None or (relied and hostnames is None):
        return _unreadable(snapshot, dest, vpc, ev)
    if support is False:
        if custom and netpath.AMAZON_DNS not in (servers or []):
            return make("net.vpc-dns", "warn", dest, f"{vpc} has enableDnsSupport off; {dest.key} depends on custom "
                        "DNS servers", f"the Amazon DNS server is off in {vpc}; the DHCP option set sends queries to "
                        f"{', '.join(custom)}, which may resolve public names but never an endpoint's private DNS "
                        "name: verify they resolve " + _name(dest), evidence=ev,
                        remediation=_dns_fix(vpc, support, hostnames if relied else True))
        return make("net.vpc-dns", "fail", dest, f"{vpc} has enableDnsSupport off: {dest.key} cannot be resolved",
                    f"with enableDnsSupport off the Amazon DNS server does not answer, so the task cannot resolve "
                    f"{_name(dest)} on any path (NAT and internet gateway included)", evidence=ev,
                    remediation=_dns_fix(vpc, support, hostnames if relied else True))
    if relied and not hostnames:
        path = netpath.resolve(snapshot, dest)
        status = "warn" if path.works else "fail"
        tail = (f"traffic goes {path.kind} instead ({path.detail})" if path.works else
                f"and there is no other way out ({path.detail})")
        return make("net.vpc-dns", status, dest, f"{vpc} has enableDnsHostnames off, so {ids} is not used",
                    f"private DNS of interface endpoints needs both VPC DNS attributes on; {tail}", evidence=ev,
                    remediation=_dns_fix(vpc, support, hostnames))
    if relied:
        return _endpoint_servers(snapshot, dest, vpc, ids, servers, custom, ev)
    note = f" (DHCP servers {', '.join(custom)})" if custom else ""
    return make("net.vpc-dns", "pass", dest, f"{dest.key}'s public name resolves in {vpc}",
                f"{vpc} has enableDnsSupport on; {dest.key} is not reached through an interface endpoint, so its "
                f"public name is what the task resolves{note}", evidence=ev)


def _endpoint_servers(snapshot: Snapshot, dest: Destination, vpc: str, ids: str, servers: list[str] | None,
                      custom: list[str], ev: list[str]) -> Finding:
    """Both attributes on: the endpoint answers when the task asks the Amazon DNS server."""
    if servers is None:  # not read: which servers answer the task cannot be said, so neither can a pass
        perm = netpath.missing_evidence(snapshot, "dhcp_options").get("dhcp_options", "ec2:DescribeDhcpOptions")
        gap = next(iter(snapshot.gaps_for(perm)), None)
        why = f"it could not be read ({gap.error})" if gap else "it is not in this snapshot"
        return make("net.vpc-dns", "unknown", dest, f"DHCP option set of {vpc} not read ({dest.key})",
                    f"which DNS servers the task asks is unknown: {why}; an endpoint's private DNS answers only "
                    "through the Amazon DNS server", evidence=ev, missing_permission=perm)
    elif custom:
        return make("net.vpc-dns", "warn", dest, f"Custom DNS servers may not resolve {dest.key}'s endpoint {ids}",
                    f"the DHCP option set of {vpc} sends queries to {', '.join(custom)}; the private DNS name of {ids} "
                    "is answered only by the Amazon DNS server (the VPC base address plus two, or 169.254.169.253), "
                    "and whether these servers forward to it cannot be seen from here: verify they resolve "
                    + _name(dest), evidence=ev,
                    remediation=Remediation(
                        summary=f"Forward {_name(dest)} to the Amazon DNS server from the custom servers (a Route 53 "
                                "Resolver inbound endpoint), or use AmazonProvidedDNS in the DHCP option set",
                        commands=["aws ec2 create-dhcp-options --dhcp-configurations "
                                  "'Key=domain-name-servers,Values=AmazonProvidedDNS'  # note DHCP_OPTIONS_ID",
                                  f"aws ec2 associate-dhcp-options --dhcp-options-id DHCP_OPTIONS_ID --vpc-id {q(vpc)}"]))
    return make("net.vpc-dns", "pass", dest, f"VPC DNS serves the {dest.key} endpoint",
                f"{vpc} has enableDnsSupport and enableDnsHostnames on, and the task asks the Amazon DNS server",
                evidence=ev)


def _unreadable(snapshot: Snapshot, dest: Destination, vpc: str, ev: list[str]) -> Finding:
    missing = netpath.missing_evidence(snapshot, "vpc", "vpc_attributes")  # the VPC first: the call that failed
    perm = missing.get("vpc") or missing.get("vpc_attributes") or "ec2:DescribeVpcAttribute"
    gap = next(iter(snapshot.gaps_for(perm)), None)
    return make("net.vpc-dns", "unknown", dest, f"VPC DNS attributes not readable ({dest.key})",
                f"{vpc}'s DNS attributes could not be read: {perm} failed" + (f" ({gap.error})" if gap else ""),
                evidence=ev, missing_permission=perm)


def _name(dest: Destination) -> str:
    """The name the task resolves for ``dest`` (the endpoint service, or the host)."""
    return dest.endpoint_service or dest.target


def _dns_fix(vpc: str, support: Any, hostnames: Any) -> Remediation:
    cmds = [c for c, on in ((f"aws ec2 modify-vpc-attribute --vpc-id {q(vpc)} --enable-dns-support "
                             "'{\"Value\":true}'", support),
                            (f"aws ec2 modify-vpc-attribute --vpc-id {q(vpc)} --enable-dns-hostnames "
                             "'{\"Value\":true}'", hostnames)) if not on]
    off = " and ".join(n for n, v in (("enableDnsSupport", support), ("enableDnsHostnames", hostnames)) if not v)
    return Remediation(summary=f"Turn on {off} for {vpc} (one attribute per call)", commands=cmds,
                       fix={"op": "set_vpc_dns", "support": True, "hostnames": True})
