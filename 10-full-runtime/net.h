/*
 * net.h: a container's network (stage 05): `cell run --ip CIDR` joins it
 * to the host by a veth pair, the host's end cell-<first 8 digits of the
 * id> with the subnet's first address, eth0 inside with the one given.
 */
#ifndef CELL_NET_H
#define CELL_NET_H

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
/* Refuses a subnet the host already routes (its LAN, another veth): a
 * second route to it would take the host's traffic away. */
int net_check_subnet(const struct net_addr *a, struct error *err);
/* An address as text. */
void net_text(uint32_t addr, char *buf, size_t size);
/* The host end's name for container ID. */
void net_link_name(const char *id, char *out, size_t size);
/* The pair, addressed and up, eth0 in PID's network namespace with a
 * default route through the host end. */
int net_veth(pid_t pid, const char *id, const struct net_addr *a, struct error *err);

#endif
