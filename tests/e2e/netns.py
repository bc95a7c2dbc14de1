"""Two "hosts" on one machine: network namespaces joined to the root namespace by veth pairs.

    root namespace                      namespace <tag>a ("hostA")
      veth <tag>a   10.213.N.1/24  <->    eth0  10.213.N.2/24
      veth <tag>b   10.213.M.1/24  <->    eth0  10.213.M.2/24   10.213.N.1 via 10.213.M.1
                                        namespace <tag>b ("hostB")

Servers (the database, Redis) listen in the root namespace on `server_address` (10.213.N.1),
and both hosts reach it: host A on its own link, host B through a route to that one address
(Linux answers for any of its addresses on any interface). Nothing else is routed. A host's processes run with `Host.command(...)`: `ip netns exec`,
plus `unshare --uts` so that `socket.gethostname()` (in worker ids) names the host.

Only for tests: needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN). `TwoHosts.create()` raises
NetnsUnavailable when namespaces cannot be made; `close()` always undoes everything.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.processes import process_running

NETNS_DIR = Path("/run/netns")
PREFIX = "vip2h"  # the namespaces this module makes: vip2h<pid>a and vip2h<pid>b (links alike)


class NetnsUnavailable(RuntimeError):
    """Network namespaces cannot be made here (not root, no CAP_NET_ADMIN, no iproute2)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip() or result.returncode}")
    return result


def _netns_inode(name: str) -> int | None:
    try:
        return os.stat(NETNS_DIR / name).st_ino
    except OSError:
        return None


def _pids_in_netns(inode: int) -> list[int]:
    """Every process whose network namespace is `inode` (what `ip netns pids` prints)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}/ns/net").st_ino == inode:
                pids.append(int(entry))
        except OSError:
            continue  # exited, or a kernel thread
    return pids


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


@dataclass
class Host:
    """One "machine": a network namespace with its own address and hostname."""

    netns: str
    hostname: str
    address: str
    uts: bool  # run commands in their own UTS namespace (own hostname)

    def command(self, argv: list[str]) -> list[str]:
        """`argv` run on this host."""
        wrapped = ["ip", "netns", "exec", self.netns]
        if self.uts:
            wrapped += ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', self.hostname]
        return wrapped + argv

    def pids(self) -> list[int]:
        inode = _netns_inode(self.netns)
        return [] if inode is None else _pids_in_netns(inode)

    def freeze(self) -> list[int]:
        """SIGSTOP every process on this host (repeated until no new one appears: a supervisor
        may be starting a child at that moment); return them."""
        stopped: set[int] = set()
        for _ in range(20):
            new = [p for p in self.pids() if p not in stopped]
            if not new:
                break
            _signal_all(new, signal.SIGSTOP)
            stopped.update(new)
            time.sleep(0.05)
        return sorted(stopped)

    def thaw(self) -> None:
        _signal_all(self.pids(), signal.SIGCONT)

    def kill_all(self, timeout: float = 10.0) -> list[int]:
        """SIGKILL every process on this host, as a power cut would: frozen first, so none can
        act on another's death (a worker's PR_SET_PDEATHSIG SIGTERM, a supervisor's restart)."""
        killed = self.freeze()
        deadline = time.monotonic() + timeout
        while True:
            left = self.pids()
            if not left:
                return killed
            _signal_all(left, signal.SIGKILL)
            killed = sorted(set(killed) | set(left))
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes on {self.hostname} survived SIGKILL: {left}")
            time.sleep(0.05)


@dataclass
class TwoHosts:
    """Two namespaces, `a` and `b`, and the address in the root namespace both reach."""

    tag: str
    a: Host
    b: Host
    server_address: str
    links: list[str] = field(default_factory=list)

    @classmethod
    def create(cls) -> TwoHosts:
        if shutil.which("ip") is None:
            raise NetnsUnavailable("iproute2's `ip` is not installed (`apt-get install iproute2`)")
        remove_leftovers()
        tag = f"{PREFIX}{os.getpid()}"
        probe = _ip("netns", "add", f"{tag}a", check=False)
        if probe.returncode != 0:
            raise NetnsUnavailable(f"`ip netns add` failed ({probe.stderr.strip() or probe.returncode}): "
                                   "network namespaces need root or CAP_NET_ADMIN + CAP_SYS_ADMIN")
        try:
            subnet_a, subnet_b = _free_subnets()
            uts = subprocess.run(["ip", "netns", "exec", f"{tag}a", "unshare", "--uts", "true"],
                                 capture_output=True, timeout=30).returncode == 0
        except BaseException:
            _ip("netns", "del", f"{tag}a", check=False)
            raise
        hosts = cls(tag, Host(f"{tag}a", "hostA", str(subnet_a[2]), uts),
                    Host(f"{tag}b", "hostB", str(subnet_b[2]), uts), str(subnet_a[1]))
        try:
            _ip("netns", "add", hosts.b.netns)
            for host, subnet in ((hosts.a, subnet_a), (hosts.b, subnet_b)):
                outer = host.netns  # the root end of the pair is named like the namespace
                hosts.links.append(outer)
                _ip("link", "add", outer, "type", "veth", "peer", "name", f"{outer}p")
                _ip("link", "set", f"{outer}p", "netns", host.netns)
                _ip("addr", "add", f"{subnet[1]}/{subnet.prefixlen}", "dev", outer)
                _ip("link", "set", outer, "up")
                for args in (["link", "set", "lo", "up"],
                             ["link", "set", f"{outer}p", "name", "eth0"],
                             ["addr", "add", f"{subnet[2]}/{subnet.prefixlen}", "dev", "eth0"],
                             ["link", "set", "eth0", "up"]):
                    _ip("-n", host.netns, *args)
            _ip("-n", hosts.b.netns, "route", "add", f"{hosts.server_address}/32", "via", str(subnet_b[1]))
        except BaseException:
            hosts.close()
            raise
        return hosts

    def close(self) -> None:
        """Kill every process left on either host, then remove the links and namespaces."""
        for host in (self.a, self.b):
            try:
                host.kill_all()
            except RuntimeError:
                pass
        for link in self.links:
            _ip("link", "del", link, check=False)
        for host in (self.a, self.b):
            _ip("netns", "del", host.netns, check=False)


def _free_subnets() -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]:
    """Two /24s of 10.213.0.0/16 that no address or route here uses yet."""
    used = _ip("-4", "addr", "show").stdout + _ip("-4", "route", "show", "table", "all").stdout
    start = os.getpid() % 120 * 2
    free = []
    for i in range(256):
        third = (start + i) % 250 + 1
        net = ipaddress.IPv4Network(f"10.213.{third}.0/24")
        if f"10.213.{third}." not in used:
            free.append(net)
        if len(free) == 2:
            return free[0], free[1]
    raise NetnsUnavailable("no free /24 left in 10.213.0.0/16 for the test's hosts")


def remove_leftovers() -> None:
    """Remove namespaces and links an earlier run left behind (its process gone: killed)."""
    names = [p.name for p in NETNS_DIR.glob(f"{PREFIX}*")] if NETNS_DIR.is_dir() else []
    for name in names:
        pid = name[len(PREFIX):-1]
        if pid.isdigit() and process_running(int(pid)):
            continue  # another test run, still going
        inode = _netns_inode(name)
        if inode is not None:
            _signal_all(_pids_in_netns(inode), signal.SIGKILL)
        _ip("link", "del", name, check=False)
        _ip("netns", "del", name, check=False)
