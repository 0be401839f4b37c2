/*
 * net.h: a container's network (stage 05): a veth pair whose host end is
 * cell-<first 8 digits of the id>, eth0 inside. With `cell run --ip CIDR`
 * the host end has the subnet's first address; on a network (--network,
 * the default) it is a port of the network's bridge, which has it. Ports
 * are published through nftables.
 */
#ifndef CELL_NET_H
#define CELL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct net_addr {
	uint32_t addr; /* the container's, host byte order */
	uint32_t host; /* the host end's: the subnet's first address */
	int prefix;
};

/* "10.200.7.2/24" -> the container's address, the host end's, the prefix. */
int net_parse_cidr(const char *text, struct net_addr *a, struct error *err);
/* Refuses a subnet the host already routes (its LAN, another veth) but
 * through the link OWN (NULL: none): a second route to it would take the
 * host's traffic away. */
int net_check_subnet(const struct net_addr *a, const char *own, struct error *err);
/* An address as text. */
void net_text(uint32_t addr, char *buf, size_t size);
/* The host end's name for container ID. */
void net_link_name(const char *id, char *out, size_t size);
/* The pair, up, eth0 in PID's network namespace with A's address and a
 * default route through the host end's address: the host end has it
 * itself, or, with BRIDGE, is a port of that bridge, which has it. */
int net_veth(pid_t pid, const char *id, const struct net_addr *a, const char *bridge,
	     struct error *err);
/* The bridge BRIDGE with A's host address, up, made unless it exists:
 * 1 when made, 0 when it was there; its alias OWNER (the store's
 * directory), refused when another store's. */
int net_bridge(const char *bridge, const struct net_addr *a, const char *owner, struct error *err);
/* Deletes BRIDGE unless another store than OWNER has it: 1 if deleted,
 * 0 if gone already or another's. */
int net_bridge_delete(const char *bridge, const char *owner, struct error *err);
/* Deletes a link; one already gone is no error. */
int net_link_delete(const char *name, struct error *err);

/* --network-rate: "10mbit" -> bytes per second */
int net_parse_rate(const char *text, long long *bytes_per_second, struct error *err);
/* An egress limit on eth0 in PID's network namespace: tc's tbf. */
int net_rate(pid_t pid, long long bytes_per_second, struct error *err);

/* A published port: -p [IP:]HOSTPORT:PORT[/tcp|udp]. */
struct net_port {
	uint32_t host_ip; /* 0: every address of the host */
	uint16_t host_port, port;
	char proto[4];
};
int net_parse_port(const char *text, struct net_port *p, struct error *err);
void net_port_text(const struct net_port *p, char *buf, size_t size);

/* cell's nftables table (nft list table ip cell) */
#define NET_TABLE "cell"
/* Writes the table's rules (again) and puts BRIDGE in its sets, or takes
 * it out (ADD false); NAT is the subnet of a network made with --nat
 * (masqueraded on its way out), NULL for one closed to the outside. */
int net_fw_network(const char *bridge, const char *nat, bool add, struct error *err);
/* The map entry that sends P to ADDR's port, or its removal. */
int net_fw_port(const struct net_port *p, uint32_t addr, bool add, struct error *err);
/* Deletes the table once no bridge is left in it (of any store). */
int net_fw_remove(struct error *err);

/* net.ipv4.ip_forward: 0 or 1. */
int net_ip_forward(int *value, struct error *err);
int net_set_ip_forward(int value, struct error *err);

/*
 * slirp4netns, the network of a rootless container: a user-mode TCP/IP
 * stack behind a tap device in the container's namespace, its sockets the
 * user's own on the host. It lives while EXIT_FD (the write end of a pipe
 * it watches) is open.
 */
struct net_slirp {
	pid_t pid; /* 0: none */
	int exit_fd;
};
/* Starts it on PID's network namespace (tap0, 10.0.2.100/24 through
 * 10.0.2.2) with its API on the socket API; HOST_LOOPBACK lets 10.0.2.2
 * reach the host's 127.0.0.1. Returns once it is ready. */
int net_slirp_start(pid_t pid, const char *api, bool host_loopback, struct net_slirp *s,
		    struct error *err);
/* -p: P's host port forwarded to the container, through the API. */
int net_slirp_forward(const char *api, const struct net_port *p, struct error *err);
/* Ends it (closes EXIT_FD and waits). */
void net_slirp_stop(struct net_slirp *s);

#endif
