/*
 * net.c: a container's network (stage 05): a veth pair made through
 * rtnetlink with libnl, one end on the host, the other the container's
 * eth0.
 *
 * libnl builds and parses the netlink messages (route(7) and
 * rtnetlink(7) describe them): a request, the kernel's answer, its errno.
 * The container's end is configured from a netlink socket opened inside
 * its network namespace: a socket stays with the namespace it was made
 * in, so the monitor joins the namespace only for the socket() call.
 * Nothing needs removing at the end: when the container's namespace goes,
 * the kernel deletes its eth0, and a veth's two ends go together.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <linux/pkt_sched.h>
#include <nftables/libnftables.h>

#include "net.h"
#include "state.h"

int net_parse_cidr(const char *text, struct net_addr *a, struct error *err)
{
	char addr[INET_ADDRSTRLEN + 4], *slash, *end;
	struct in_addr in;
	uint32_t mask;
	long prefix;

	if (strlen(text) >= sizeof(addr))
		return err_set(err, "--ip %s: not an IPv4 address/prefix (try 10.200.7.2/24)",
			       text);
	strcpy(addr, text);
	slash = strchr(addr, '/');
	if (slash == NULL)
		return err_set(err, "--ip %s: the prefix is missing (try %s/24)", text, text);
	*slash = '\0';
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &in) != 1 || *end != '\0' || end == slash + 1 || prefix < 8 ||
	    prefix > 30)
		return err_set(err, "--ip %s: not an IPv4 address with a prefix of 8 to 30", text);
	a->addr = ntohl(in.s_addr);
	a->prefix = (int)prefix;
	mask = ~0u << (32 - prefix);
	/* the host end takes the subnet's first address, as stage 05 */
	a->host = (a->addr & mask) | 1;
	if (a->addr == a->host || (a->addr & ~mask) == 0 || (a->addr | mask) == ~0u)
		return err_set(err,
			       "--ip %s: the subnet's first address is the host's, and its "
			       "first and last are not a host's: take another",
			       text);
	return 0;
}

void net_text(uint32_t addr, char *buf, size_t size)
{
	struct in_addr in = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &in, buf, (socklen_t)size);
}

static int nl_fail(struct error *err, int ret, const char *what)
{
	return err_set(err, "%s: %s", what, nl_geterror(ret));
}

static struct nl_addr *ipv4(uint32_t addr, int prefix)
{
	uint32_t be = htonl(addr);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

	if (a != NULL)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

static int link_up(struct nl_sock *sock, const char *name, struct error *err)
{
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "set %s up", name);
	ret = rtnl_link_get_kernel(sock, 0, name, &link);
	if (ret == 0 && change != NULL) {
		rtnl_link_set_flags(change, IFF_UP);
		ret = rtnl_link_change(sock, link, change, 0);
	}
	rtnl_link_put(change);
	rtnl_link_put(link);
	return ret < 0 ? nl_fail(err, ret, what) : 0;
}

static int add_address(struct nl_sock *sock, const char *name, uint32_t addr, int prefix,
		       struct error *err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = ipv4(addr, prefix);
	char what[96], text[INET_ADDRSTRLEN];
	int ifindex = 0, ret = -NLE_NOMEM;
	struct rtnl_link *link = NULL;

	if (rtnl_link_get_kernel(sock, 0, name, &link) == 0)
		ifindex = rtnl_link_get_ifindex(link);
	if (ra != NULL && local != NULL) {
		rtnl_addr_set_ifindex(ra, ifindex);
		ret = rtnl_addr_set_local(ra, local);
		if (ret == 0)
			ret = rtnl_addr_add(sock, ra, NLM_F_EXCL);
	}
	rtnl_link_put(link);
	nl_addr_put(local);
	rtnl_addr_put(ra);
	net_text(addr, text, sizeof(text));
	snprintf(what, sizeof(what), "add address %s/%d to %s", text, prefix, name);
	return ret < 0 ? nl_fail(err, ret, what) : 0;
}

static int add_default_route(struct nl_sock *sock, const char *name, uint32_t gateway,
			     struct error *err)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *hop = rtnl_route_nh_alloc();
	struct nl_addr *any = ipv4(0, 0), *via = ipv4(gateway, 32);
	struct rtnl_link *link = NULL;
	int ret = -NLE_NOMEM;

	if (route != NULL && hop != NULL && any != NULL && via != NULL &&
	    (ret = rtnl_link_get_kernel(sock, 0, name, &link)) == 0) {
		rtnl_route_nh_set_ifindex(hop, rtnl_link_get_ifindex(link));
		rtnl_route_nh_set_gateway(hop, via);
		rtnl_route_add_nexthop(route, hop);
		hop = NULL; /* the route owns it now */
		ret = rtnl_route_set_dst(route, any);
		if (ret == 0)
			ret = rtnl_route_add(sock, route, NLM_F_EXCL);
	}
	if (hop != NULL)
		rtnl_route_nh_free(hop);
	rtnl_link_put(link);
	nl_addr_put(via);
	nl_addr_put(any);
	rtnl_route_put(route);
	return ret < 0 ? nl_fail(err, ret, "add the default route") : 0;
}

static struct nl_sock *open_route(struct error *err)
{
	struct nl_sock *sock = nl_socket_alloc();
	int ret;

	if (sock == NULL) {
		err_set(err, "nl_socket_alloc: out of memory");
		return NULL;
	}
	ret = nl_connect(sock, NETLINK_ROUTE);
	if (ret < 0) {
		nl_fail(err, ret, "connect to rtnetlink");
		nl_socket_free(sock);
		return NULL;
	}
	return sock;
}

/* A netlink socket in PID's network namespace. */
static struct nl_sock *open_route_in(pid_t pid, struct error *err)
{
	char path[64];
	struct nl_sock *sock = NULL;
	int self, target;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		err_sys(err, "open %s", self < 0 ? "/proc/self/ns/net" : path);
	} else if (setns(target, CLONE_NEWNET) < 0) {
		err_sys(err, "join the network namespace of %d", pid);
	} else {
		sock = open_route(err);
		if (setns(self, CLONE_NEWNET) < 0) {
			/* a monitor left in the container's namespace must not go on */
			perror("cell: return to the host's network namespace");
			_exit(1);
		}
	}
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return sock;
}

void net_link_name(const char *id, char *out, size_t size)
{
	snprintf(out, size, "cell-%.8s", id);
}

int net_veth(pid_t pid, const char *id, const struct net_addr *a, const char *bridge,
	     struct error *err)
{
	struct rtnl_link *veth = NULL, *peer, *master = NULL;
	struct nl_sock *host = NULL, *inside = NULL;
	char name[IFNAMSIZ], what[64];
	unsigned char mac[6];
	struct nl_addr *lladdr = NULL;
	int ret = -1, nl;

	net_link_name(id, name, sizeof(name));
	host = open_route(err);
	if (host == NULL)
		return -1;
	veth = rtnl_link_veth_alloc();
	if (veth == NULL) {
		err_set(err, "rtnl_link_veth_alloc: out of memory");
		goto out;
	}
	rtnl_link_set_name(veth, name);
	/* on a bridge, the host end is one of its ports and has no address:
	 * the bridge holds the subnet's first one for every container */
	if (bridge != NULL) {
		snprintf(what, sizeof(what), "find the bridge %s", bridge);
		nl = rtnl_link_get_kernel(host, 0, bridge, &master);
		if (nl < 0) {
			nl_fail(err, nl, what);
			goto out;
		}
		rtnl_link_set_master(veth, rtnl_link_get_ifindex(master));
	}
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "eth0");
	/*
	 * eth0's MAC address is made from its IPv4 address, as docker does
	 * (02: locally administered): a container that gets an address that
	 * another had a moment ago also has its MAC, and the ARP caches of
	 * its neighbours, which still map the address to it, stay right.
	 */
	mac[0] = 0x02;
	mac[1] = 0x42;
	for (int i = 0; i < 4; i++)
		mac[2 + i] = (unsigned char)(a->addr >> (24 - 8 * i));
	lladdr = nl_addr_build(AF_LLC, mac, sizeof(mac));
	if (lladdr != NULL)
		rtnl_link_set_addr(peer, lladdr);
	rtnl_link_set_ns_pid(peer, pid);
	nl = rtnl_link_add(host, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (nl < 0) {
		nl_fail(err, nl, "add the veth pair");
		goto out;
	}
	if ((bridge == NULL && add_address(host, name, a->host, a->prefix, err) < 0) ||
	    link_up(host, name, err) < 0)
		goto out;
	inside = open_route_in(pid, err);
	if (inside == NULL || add_address(inside, "eth0", a->addr, a->prefix, err) < 0 ||
	    link_up(inside, "eth0", err) < 0 || add_default_route(inside, "eth0", a->host, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0 && veth != NULL)
		rtnl_link_delete(host, veth); /* both ends go */
	if (inside != NULL)
		nl_socket_free(inside);
	rtnl_link_put(veth);
	rtnl_link_put(master);
	nl_addr_put(lladdr);
	nl_socket_free(host);
	return ret;
}

/* step: bridge (10) */
/*
 * A bridge's alias (IFLA_IFALIAS, `ip link show` prints it) names the
 * store whose network it is: two stores on one host (cell --root) each
 * have a network cell on cell0, whose addresses each leases on its own;
 * the second one finds the bridge another's, and is refused rather than
 * handing out the same addresses on it.
 */
static int bridge_owner(struct nl_sock *sock, struct rtnl_link *link, const char *bridge,
			const char *owner, struct error *err)
{
	struct rtnl_link *change;
	const char *alias = rtnl_link_get_ifalias(link);
	char what[64];
	int nl;

	if (alias != NULL && alias[0] != '\0') {
		if (strcmp(alias, owner) == 0)
			return 0;
		return err_set(err,
			       "the bridge %s is the network of another store (%s): one store "
			       "at a time on it; give this one a network of its own "
			       "(cell network create --subnet CIDR)",
			       bridge, alias);
	}
	change = rtnl_link_alloc();
	if (change == NULL)
		return err_set(err, "rtnl_link_alloc: out of memory");
	rtnl_link_set_ifalias(change, owner);
	nl = rtnl_link_change(sock, link, change, 0);
	rtnl_link_put(change);
	snprintf(what, sizeof(what), "set the alias of %s", bridge);
	return nl < 0 ? nl_fail(err, nl, what) : 0;
}

int net_bridge(const char *bridge, const struct net_addr *a, const char *owner, struct error *err)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sock;
	char path[96], what[64];
	int ret = -1, nl, fd;

	sock = open_route(err);
	if (sock == NULL)
		return -1;
	if (rtnl_link_get_kernel(sock, 0, bridge, &link) == 0) {
		/* made for a container before this one: 0 */
		ret = bridge_owner(sock, link, bridge, owner, err);
		goto out;
	}
	/* a new bridge routes its subnet on the host: not one the host
	 * already routes elsewhere */
	if (net_check_subnet(a, bridge, err) < 0)
		goto out;
	link = rtnl_link_bridge_alloc();
	if (link == NULL) {
		err_set(err, "rtnl_link_bridge_alloc: out of memory");
		goto out;
	}
	rtnl_link_set_name(link, bridge);
	snprintf(what, sizeof(what), "add the bridge %s", bridge);
	nl = rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL);
	if (nl < 0 && nl != -NLE_EXIST) {
		nl_fail(err, nl, what);
		goto out;
	}
	rtnl_link_put(link);
	link = NULL;
	nl = rtnl_link_get_kernel(sock, 0, bridge, &link);
	if (nl < 0) {
		nl_fail(err, nl, what);
		goto out;
	}
	if (bridge_owner(sock, link, bridge, owner, err) < 0)
		goto out;
	if (add_address(sock, bridge, a->host, a->prefix, err) < 0) {
		if (err->msg[0] != '\0' && strstr(err->msg, "exists") == NULL)
			goto out;
		*err = (struct error){ 0 };
	}
	/*
	 * route_localnet: a connection to a published port on 127.0.0.1 is
	 * sent, once its destination is rewritten, out of this bridge with
	 * its source still 127.0.0.1, which the kernel drops as a martian
	 * unless this bridge allows it (ip-sysctl.rst). It is the bridge's
	 * own setting, and goes with it.
	 */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		err_sys(err, "write %s", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (link_up(sock, bridge, err) < 0)
		goto out;
	ret = 1;
out:
	rtnl_link_put(link);
	nl_socket_free(sock);
	return ret;
}

int net_bridge_delete(const char *bridge, const char *owner, struct error *err)
{
	struct rtnl_link *link = NULL;
	struct nl_sock *sock = open_route(err);
	const char *alias;
	char what[64];
	int nl;

	if (sock == NULL)
		return -1;
	nl = rtnl_link_get_kernel(sock, 0, bridge, &link);
	if (nl < 0) {
		nl_socket_free(sock);
		return 0; /* gone already */
	}
	alias = rtnl_link_get_ifalias(link);
	if (alias != NULL && alias[0] != '\0' && strcmp(alias, owner) != 0) {
		nl = 0; /* another store's */
	} else {
		nl = rtnl_link_delete(sock, link);
		nl = nl < 0 && nl != -NLE_NODEV && nl != -NLE_OBJ_NOTFOUND ? nl : 1;
	}
	rtnl_link_put(link);
	nl_socket_free(sock);
	if (nl < 0) {
		snprintf(what, sizeof(what), "delete the bridge %s", bridge);
		return nl_fail(err, nl, what);
	}
	return nl;
}

int net_link_delete(const char *name, struct error *err)
{
	struct rtnl_link *link;
	struct nl_sock *sock;
	char what[64];
	int nl = -NLE_NOMEM;

	/* none by that name: nothing to ask of the kernel (which would
	 * refuse a rootless cell the question itself) */
	if (if_nametoindex(name) == 0 && errno == ENODEV)
		return 0;
	link = rtnl_link_alloc();
	sock = open_route(err);
	if (sock != NULL && link != NULL) {
		rtnl_link_set_name(link, name);
		nl = rtnl_link_delete(sock, link);
	}
	rtnl_link_put(link);
	if (sock == NULL)
		return -1;
	nl_socket_free(sock);
	/* gone already: the kernel deletes a veth with its namespace */
	if (nl < 0 && nl != -NLE_NODEV && nl != -NLE_OBJ_NOTFOUND) {
		snprintf(what, sizeof(what), "delete the link %s", name);
		return nl_fail(err, nl, what);
	}
	return 0;
}

int net_check_subnet(const struct net_addr *a, const char *own, struct error *err)
{
	uint32_t mask = ~0u << (32 - a->prefix);
	char line[256], dev[IFNAMSIZ + 1], text[INET_ADDRSTRLEN];
	unsigned int dest, gateway, flags, route_mask;
	FILE *f = fopen("/proc/net/route", "re");

	if (f == NULL)
		return err_sys(err, "open /proc/net/route");
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...: the
	 * addresses in hex, in the kernel's (little-endian) order */
	while (fgets(line, sizeof(line), f) != NULL) {
		uint32_t d, m, common;

		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", dev, &dest, &gateway, &flags,
			   &route_mask) != 5)
			continue;
		d = ntohl(dest);
		m = ntohl(route_mask);
		if (m == 0 || (own != NULL && strcmp(dev, own) == 0))
			continue; /* the default route overlaps everything */
		common = m & mask;
		if ((d & common) == (a->addr & common)) {
			fclose(f);
			net_text(d, text, sizeof(text));
			return err_set(err,
				       "the host already routes %s/%d through %s: take a "
				       "subnet of its own",
				       text, __builtin_popcount(m), dev);
		}
	}
	fclose(f);
	return 0;
}

/*
 * step: rate (06's limits, for the network)
 * A token bucket filter (tc-tbf(8)) as the root queueing discipline of
 * the container's eth0: what the container sends leaves at RATE at most,
 * after a burst of a tenth of a second's worth; packets wait in the
 * queue up to 50 ms, then are dropped (TCP slows down to the rate).
 * libnl builds the RTM_NEWQDISC message that `tc qdisc add dev eth0 root
 * tbf` sends.
 */
int net_rate(pid_t pid, long long bytes_per_second, struct error *err)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct rtnl_link *link = NULL;
	struct nl_sock *sock = open_route_in(pid, err);
	int burst = (int)(bytes_per_second / 10), nl = -NLE_NOMEM;

	if (sock == NULL) {
		rtnl_qdisc_put(q);
		return -1;
	}
	if (burst < 4096)
		burst = 4096; /* above eth0's MTU: a packet must fit in the bucket */
	if (q != NULL && (nl = rtnl_link_get_kernel(sock, 0, "eth0", &link)) == 0) {
		rtnl_tc_set_link(TC_CAST(q), link);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
		nl = rtnl_tc_set_kind(TC_CAST(q), "tbf");
		if (nl == 0) {
			rtnl_qdisc_tbf_set_rate(q, (int)bytes_per_second, burst, 0);
			nl = rtnl_qdisc_tbf_set_limit_by_latency(q, 50000);
		}
		if (nl == 0)
			nl = rtnl_qdisc_add(sock, q, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_link_put(link);
	rtnl_qdisc_put(q);
	nl_socket_free(sock);
	return nl < 0 ? nl_fail(err, nl, "add a tbf qdisc on eth0 (--network-rate)") : 0;
}

/* "10mbit", "512kbit", "1gbit", "800bit": bits per second, as tc(8) */
int net_parse_rate(const char *text, long long *bytes_per_second, struct error *err)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = { { "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 } };
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end != text && errno == 0 && v > 0)
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcasecmp(end, units[i].unit) == 0 && v * units[i].mult >= 8000 &&
			    v * units[i].mult / 8 < 2147483647.0) {
				*bytes_per_second = (long long)(v * units[i].mult / 8);
				return 0;
			}
	return err_set(err,
		       "--network-rate %s: give bits per second from 8kbit to 16gbit, e.g. "
		       "10mbit or 512kbit",
		       text);
}

/*
 * ---- published ports and the bridges' walls: nftables ----
 *
 * Every rule cell makes is in one table, "ip cell", written in nft(8)'s
 * own language and handed to the kernel through libnftables (the library
 * nft itself is built on: it parses, checks and sends the batch, all of
 * it or none). The rules are fixed; what changes from container to
 * container is the content of two maps and two sets:
 *   ports   PROTO . HOST-PORT          -> ADDRESS . PORT (-p HOSTPORT:PORT)
 *   ipports HOST-IP . PROTO . HOST-PORT -> ADDRESS . PORT (-p IP:HOSTPORT:PORT)
 *   bridges every network's bridge: what arrives on one is never routed
 *           to another (the host may forward: ip_forward)
 *   same    BRIDGE . BRIDGE for each: what stays on one bridge passes
 *   closed  the bridges of networks without --nat: nothing they send is
 *           routed out, but the answers of published ports
 *   natnets the subnets of networks made with --nat: what they send out of
 *           the host through any link but a cell bridge leaves with the
 *           address of that link (masquerade)
 */
#define NFT_TABLE "ip " NET_TABLE

static const char nft_setup[] =
	"add table " NFT_TABLE "\n"
	"add map " NFT_TABLE
	" ports { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
	"add map " NFT_TABLE " ipports { type ipv4_addr . inet_proto . inet_service :"
	" ipv4_addr . inet_service; }\n"
	"add set " NFT_TABLE " bridges { type ifname; }\n"
	"add set " NFT_TABLE " closed { type ifname; }\n"
	"add set " NFT_TABLE " same { type ifname . ifname; }\n"
	"add set " NFT_TABLE " natnets { type ipv4_addr; flags interval; }\n"
	"add chain " NFT_TABLE " prerouting { type nat hook prerouting priority dstnat; }\n"
	"add chain " NFT_TABLE " output { type nat hook output priority -100; }\n"
	"add chain " NFT_TABLE " postrouting { type nat hook postrouting priority srcnat; }\n"
	"add chain " NFT_TABLE " forward { type filter hook forward priority filter; }\n"
	/* flushed and written again in the same batch: the same rules once,
	 * however many containers run this at the same moment */
	"flush chain " NFT_TABLE " prerouting\n"
	"flush chain " NFT_TABLE " output\n"
	"flush chain " NFT_TABLE " postrouting\n"
	"flush chain " NFT_TABLE " forward\n"
	/* from outside (prerouting) and from the host itself (output): to any
	 * of the host's own addresses, or to the one given */
	"add rule " NFT_TABLE " prerouting meta l4proto { tcp, udp } fib daddr type local"
	" dnat ip to meta l4proto . th dport map @ports\n"
	"add rule " NFT_TABLE " prerouting meta l4proto { tcp, udp }"
	" dnat ip to ip daddr . meta l4proto . th dport map @ipports\n"
	"add rule " NFT_TABLE " output meta l4proto { tcp, udp } fib daddr type local"
	" dnat ip to meta l4proto . th dport map @ports\n"
	"add rule " NFT_TABLE " output meta l4proto { tcp, udp }"
	" dnat ip to ip daddr . meta l4proto . th dport map @ipports\n"
	/* a connection from 127.0.0.1 leaves with the bridge's address: the
	 * container could not answer 127.0.0.1, its own loopback */
	"add rule " NFT_TABLE " postrouting ip saddr 127.0.0.0/8 oifname @bridges masquerade\n"
	/* step: nat (10) */
	"add rule " NFT_TABLE " postrouting ip saddr @natnets oifname != @bridges masquerade\n"
	/* a host that loads br_netfilter (docker does) shows these hooks
	 * the packets a bridge passes between its own ports: in and out
	 * the same bridge, they stay */
	"add rule " NFT_TABLE " forward iifname . oifname @same accept\n"
	"add rule " NFT_TABLE " forward iifname @bridges oifname @bridges drop\n"
	"add rule " NFT_TABLE " forward iifname @closed ct status != dnat drop\n";

static int nft_run(const char *cmd, struct error *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *why;
	int ret = 0;

	if (nft == NULL)
		return err_set(err, "nftables: nft_ctx_new failed");
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, cmd) != 0) {
		why = nft_ctx_get_error_buffer(nft);
		ret = err_set(err, "nftables: %.*s", (int)strcspn(why, "\n"), why);
	}
	nft_ctx_free(nft);
	return ret;
}

int net_fw_network(const char *bridge, const char *nat, bool add, struct error *err)
{
	char cmd[sizeof(nft_setup) + 384], element[96];
	const char *verb = add ? "add" : "delete";

	/* a network with --nat: its subnet in natnets; without: its bridge
	 * in closed */
	if (nat != NULL)
		snprintf(element, sizeof(element), "natnets { %s }", nat);
	else
		snprintf(element, sizeof(element), "closed { \"%s\" }", bridge);
	snprintf(cmd, sizeof(cmd),
		 "%s%s element " NFT_TABLE " bridges { \"%s\" }\n"
		 "%s element " NFT_TABLE " %s\n"
		 "%s element " NFT_TABLE " same { \"%s\" . \"%s\" }\n",
		 add ? nft_setup : "", verb, bridge, verb, element, verb, bridge, bridge);
	return nft_run(cmd, err);
}

int net_fw_port(const struct net_port *p, uint32_t addr, bool add, struct error *err)
{
	char cmd[512], host[INET_ADDRSTRLEN], to[INET_ADDRSTRLEN], key[64];

	net_text(addr, to, sizeof(to));
	net_text(p->host_ip, host, sizeof(host));
	if (p->host_ip == 0)
		snprintf(key, sizeof(key), "%s . %u", p->proto, p->host_port);
	else
		snprintf(key, sizeof(key), "%s . %s . %u", host, p->proto, p->host_port);
	if (add)
		snprintf(cmd, sizeof(cmd), "add element " NFT_TABLE " %s { %s : %s . %u }\n",
			 p->host_ip == 0 ? "ports" : "ipports", key, to, p->port);
	else
		snprintf(cmd, sizeof(cmd), "delete element " NFT_TABLE " %s { %s }\n",
			 p->host_ip == 0 ? "ports" : "ipports", key);
	return nft_run(cmd, err);
}

int net_fw_remove(struct error *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	bool empty;

	if (nft == NULL)
		return err_set(err, "nftables: nft_ctx_new failed");
	/* "list" fails when there is no table: nothing to remove; the table
	 * stays while a bridge is in it, another store's too (cell --root) */
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, "list set " NFT_TABLE " bridges\n") != 0) {
		nft_ctx_free(nft);
		return 0;
	}
	empty = strstr(nft_ctx_get_output_buffer(nft), "elements") == NULL;
	nft_ctx_free(nft);
	return empty ? nft_run("delete table " NFT_TABLE "\n", err) : 0;
}

/* [IP:]HOSTPORT:PORT[/tcp|udp] */
int net_parse_port(const char *text, struct net_port *p, struct error *err)
{
	char copy[128], *parts[3], *slash, *end;
	long v[2];
	int n = 0;

	*p = (struct net_port){ .proto = "tcp" };
	if (strlen(text) >= sizeof(copy))
		return err_set(err, "-p %s: give [IP:]HOSTPORT:PORT[/tcp|udp]", text);
	strcpy(copy, text);
	slash = strchr(copy, '/');
	if (slash != NULL) {
		*slash++ = '\0';
		if (strcmp(slash, "tcp") != 0 && strcmp(slash, "udp") != 0)
			return err_set(err, "-p %s: the protocol is tcp or udp", text);
		snprintf(p->proto, sizeof(p->proto), "%s", slash);
	}
	for (char *save = NULL, *t = strtok_r(copy, ":", &save); t != NULL;
	     t = strtok_r(NULL, ":", &save)) {
		if (n == 3)
			return err_set(err, "-p %s: give [IP:]HOSTPORT:PORT[/tcp|udp]", text);
		parts[n++] = t;
	}
	if (n < 2)
		return err_set(err, "-p %s: give [IP:]HOSTPORT:PORT[/tcp|udp]", text);
	if (n == 3) {
		struct in_addr in;

		if (inet_pton(AF_INET, parts[0], &in) != 1)
			return err_set(err, "-p %s: %s is not an IPv4 address", text, parts[0]);
		p->host_ip = ntohl(in.s_addr);
	}
	for (int i = 0; i < 2; i++) {
		errno = 0;
		v[i] = strtol(parts[n - 2 + i], &end, 10);
		if (*end != '\0' || end == parts[n - 2 + i] || v[i] < 1 || v[i] > 65535)
			return err_set(err, "-p %s: %s is not a port (1-65535)", text,
				       parts[n - 2 + i]);
	}
	p->host_port = (uint16_t)v[0];
	p->port = (uint16_t)v[1];
	return 0;
}

void net_port_text(const struct net_port *p, char *buf, size_t size)
{
	char ip[INET_ADDRSTRLEN];

	net_text(p->host_ip, ip, sizeof(ip));
	snprintf(buf, size, "%s%s%u:%u/%s", p->host_ip ? ip : "", p->host_ip ? ":" : "",
		 p->host_port, p->port, p->proto);
}

/*
 * net.ipv4.ip_forward (ip-sysctl.rst), read and written for --nat (step
 * ip-forward, monitor.c): whether the host routes packets
 * between its interfaces at all. Off, what a --nat network sends towards
 * another link of the host is dropped before any rule sees it.
 */
#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

int net_ip_forward(int *value, struct error *err)
{
	char c = 0;
	int fd = open(IP_FORWARD, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, "open " IP_FORWARD);
	if (read(fd, &c, 1) != 1) {
		close(fd);
		return err_sys(err, "read " IP_FORWARD);
	}
	close(fd);
	*value = c == '1';
	return 0;
}

int net_set_ip_forward(int value, struct error *err)
{
	int fd = open(IP_FORWARD, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, "open " IP_FORWARD);
	if (write(fd, value ? "1" : "0", 1) != 1) {
		close(fd);
		return err_sys(err, "write %d to " IP_FORWARD, value);
	}
	if (close(fd) < 0)
		return err_sys(err, "write %d to " IP_FORWARD, value);
	return 0;
}

/* ---- slirp4netns: a rootless container's network ---- */

#define SLIRP_READY_MS 5000

/*
 * step: slirp4netns (10)
 * A rootless cell may make no veth on the host: the host's network
 * namespace is not its user namespace's. slirp4netns (Debian's package,
 * podman's rootless network before pasta) gives the container a tap
 * device whose frames it turns into ordinary socket calls of the user's on
 * the host: the container reaches what the user reaches, and nothing
 * reaches the container but the ports forwarded through its API socket.
 * Its options, from slirp4netns(1): --configure sets tap0's address and
 * route in the namespace itself, --enable-sandbox and --enable-seccomp
 * confine slirp4netns, --disable-host-loopback keeps the host's 127.0.0.1
 * out of reach (10.0.2.2 would lead there), --ready-fd writes "1" once it
 * runs, --exit-fd makes it end when the pipe's other end closes: with the
 * monitor, even a killed one.
 */
int net_slirp_start(pid_t pid, const char *api, bool host_loopback, struct net_slirp *s,
		    struct error *err)
{
	char target[16], text[8], dir[PATH_MAX], *argv[16];
	const char *name = strrchr(api, '/');
	struct pollfd p;
	int exit_pipe[2], ready[2], argc = 0;
	ssize_t n = 0;
	/* a unix address holds 108 bytes: a longer path is bound from its
	 * directory, by its name alone */
	bool from_dir = strlen(api) >= sizeof(((struct sockaddr_un *)NULL)->sun_path) &&
			name != NULL && (size_t)(name - api) < sizeof(dir);

	*s = (struct net_slirp){ .exit_fd = -1 };
	/* udev makes it 0666; a host without udev may leave it root's alone */
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		return err_sys(err, "slirp4netns needs /dev/net/tun, which you may not open (udev "
				    "makes it mode 0666: chmod 0666 /dev/net/tun as root), or "
				    "--network none");
	argv[argc++] = "slirp4netns";
	argv[argc++] = "--configure";
	argv[argc++] = "--mtu=65520";
	if (!host_loopback)
		argv[argc++] = "--disable-host-loopback";
	argv[argc++] = "--enable-sandbox";
	argv[argc++] = "--enable-seccomp";
	argv[argc++] = "--exit-fd=3";
	argv[argc++] = "--ready-fd=4";
	argv[argc++] = "--api-socket";
	argv[argc++] = (char *)(from_dir ? name + 1 : api);
	if (from_dir)
		snprintf(dir, sizeof(dir), "%.*s", (int)(name - api), api);
	argv[argc++] = target;
	argv[argc++] = "tap0";
	argv[argc] = NULL;
	snprintf(target, sizeof(target), "%d", (int)pid);
	if (pipe2(exit_pipe, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	if (pipe2(ready, O_CLOEXEC) < 0) {
		close(exit_pipe[0]);
		close(exit_pipe[1]);
		return err_sys(err, "pipe");
	}
	unlink(api);
	s->pid = fork();
	if (s->pid == 0) {
		/* its two ends on 3 and 4, nothing else of the monitor's: not
		 * even 0-2, which may be the container's output pipes while it
		 * is created (the monitor waits for their end) */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int exit_fd = fcntl(exit_pipe[0], F_DUPFD, 10);
		int ready_fd = fcntl(ready[1], F_DUPFD, 10);

		null = null < 0 ? -1 : fcntl(null, F_DUPFD, 10);
		if (exit_fd < 0 || ready_fd < 0 || null < 0 || dup2(exit_fd, 3) < 0 ||
		    dup2(ready_fd, 4) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0 || (from_dir && chdir(dir) < 0))
			_exit(126);
		syscall(SYS_close_range, 5, ~0U, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(exit_pipe[0]);
	close(ready[1]);
	if (s->pid < 0) {
		close(exit_pipe[1]);
		close(ready[0]);
		s->pid = 0;
		return err_sys(err, "fork slirp4netns");
	}
	s->exit_fd = exit_pipe[1];
	p = (struct pollfd){ .fd = ready[0], .events = POLLIN };
	if (poll(&p, 1, SLIRP_READY_MS) == 1)
		n = read(ready[0], text, sizeof(text));
	close(ready[0]);
	if (n > 0 && text[0] == '1')
		return 0;
	net_slirp_stop(s);
	return err_set(err, "slirp4netns did not come up (is Debian's slirp4netns installed? "
			    "cell runs it from PATH)");
}

int net_slirp_forward(const char *api, const struct net_port *p, struct error *err)
{
	char host[INET_ADDRSTRLEN] = "0.0.0.0", answer[1024], what[64], *request;
	json_t *reply, *error;
	size_t len = 0;
	ssize_t n;
	int fd = -1, ret = -1;

	net_port_text(p, what, sizeof(what));
	if (p->host_ip != 0)
		net_text(p->host_ip, host, sizeof(host));
	/* one request per connection, answered in JSON (slirp4netns(1), "API") */
	reply = json_pack("{s:s, s:{s:s, s:s, s:i, s:i}}", "execute", "add_hostfwd", "arguments",
			  "proto", p->proto, "host_addr", host, "host_port", (int)p->host_port,
			  "guest_port", (int)p->port);
	request = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (request == NULL) {
		err_sys(err, "-p %s: the request to slirp4netns", what);
		goto out;
	}
	fd = st_unix_connect(api, SOCK_STREAM, err);
	if (fd < 0) {
		err_prefix(err, "-p %s: slirp4netns's API", what);
		goto out;
	}
	if (write(fd, request, strlen(request)) != (ssize_t)strlen(request) ||
	    shutdown(fd, SHUT_WR) < 0) {
		err_sys(err, "-p %s: slirp4netns's API %s", what, api);
		goto out;
	}
	while (len < sizeof(answer) - 1 &&
	       (n = read(fd, answer + len, sizeof(answer) - 1 - len)) > 0)
		len += (size_t)n;
	answer[len] = '\0';
	reply = json_loads(answer, 0, NULL);
	error = json_object_get(reply, "error");
	if (reply == NULL)
		err_set(err, "-p %s: slirp4netns answered \"%s\"", what, answer);
	else if (error != NULL)
		err_set(err, "-p %s: slirp4netns: %s", what,
			json_string_value(json_object_get(error, "desc")) ?: "refused");
	else
		ret = 0;
	json_decref(reply);
out:
	if (fd >= 0)
		close(fd);
	free(request);
	return ret;
}

void net_slirp_stop(struct net_slirp *s)
{
	if (s->pid <= 0)
		return;
	close(s->exit_fd);
	/* it ends within milliseconds of the pipe's end; the monitor may
	 * have reaped it already (ECHILD) */
	for (int i = 0; i < 100 && waitpid(s->pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	if (waitpid(s->pid, NULL, WNOHANG) == 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	*s = (struct net_slirp){ .exit_fd = -1 };
}
