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
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "net.h"

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

int net_veth(pid_t pid, const char *id, const struct net_addr *a, struct error *err)
{
	struct rtnl_link *veth = NULL, *peer;
	struct nl_sock *host = NULL, *inside = NULL;
	char name[IFNAMSIZ];
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
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_ns_pid(peer, pid);
	nl = rtnl_link_add(host, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (nl < 0) {
		nl_fail(err, nl, "add the veth pair");
		goto out;
	}
	if (add_address(host, name, a->host, a->prefix, err) < 0 || link_up(host, name, err) < 0)
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
	nl_socket_free(host);
	return ret;
}

int net_check_subnet(const struct net_addr *a, struct error *err)
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
		if (m == 0)
			continue; /* the default route overlaps everything */
		common = m & mask;
		if ((d & common) == (a->addr & common)) {
			fclose(f);
			net_text(d, text, sizeof(text));
			return err_set(err,
				       "--ip: the host already routes %s/%d through %s: take a "
				       "subnet of its own",
				       text, __builtin_popcount(m), dev);
		}
	}
	fclose(f);
	return 0;
}
