/*
 * 05-net-veth: a network stack of its own, joined to the host by a cable.
 *
 * Stage 04 plus a network namespace. The child starts in a new one
 * (CLONE_NEWNET): devices, addresses, routes and ports of its own, and at
 * first nothing but a loopback device that is down. The tool then makes a
 * veth pair, two virtual Ethernet devices joined like the two ends of a
 * cable: one end, cell<id>, stays on the host; the other is created
 * directly in the child's namespace, as eth0. Both ends get an address in
 * one small subnet (--ip, or the first free 10.200.N.0/24): the container
 * the one given (.2 when picked), the host end the subnet's first (.1). The
 * container's default route points at the host end. Nothing else on the
 * host changes: no forwarding, no NAT, so the host and the container reach
 * each other, and the container reaches nothing further.
 *
 * The network is configured through rtnetlink, the socket interface ip(8)
 * itself uses, by way of libnl-route rather than messages built by hand.
 * Each request is a binary message of nested type-length-value attributes,
 * and the veth's peer is a whole link description nested three levels deep
 * inside the request for the host end. Building those by hand is a page of
 * length and alignment arithmetic that teaches netlink's framing, not
 * containers; libnl builds and parses them, pairs each request with the
 * kernel's acknowledgement, and its objects (link, address, route) are the
 * ones ip(8) prints.
 *
 * Order matters here. The pair can only be made once the child exists (its
 * pid names the namespace the peer goes to), and the child must not
 * configure eth0, or start the command, before the pair exists. A pipe
 * orders the two: the child waits on it until the tool has made the pair
 * and configured the host end. From here on, main() also deletes the host
 * end on every way out.
 *
 * The file reads in the order the program runs, as main() at the end lists
 * it: the command line, the tool before the child exists, the child, the
 * tool after clone, waiting, undoing (a part a stage has no use for yet is
 * left out). Checking option values and the help text come after main().
 *
 * Read alongside: network_namespaces(7), veth(4), rtnetlink(7), netlink(7),
 * pipe(7), flock(2), ip-link(8) and ip-address(8) for the same steps by
 * hand, and stage 04's pages.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

/* Exit statuses, as docker run gives them. */
#define EXIT_TOOL	 125 /* the tool itself failed: bad option, a setup step */
#define EXIT_CANNOT_EXEC 126 /* the command exists but cannot be executed */
#define EXIT_NOT_FOUND	 127 /* the command does not exist */
#define EXIT_SIGNAL	 128 /* plus N: signal N killed the command */

#define STACK_SIZE   (1024 * 1024)
#define HOSTNAME_MAX 64 /* HOST_NAME_MAX on Linux, see sethostname(2) */
#define LABEL_MAX    63 /* a hostname's label, between dots (RFC 1123) */

#ifndef CELL_ROOTFS /* the Makefile passes the tree `make rootfs` builds */
#define CELL_ROOTFS "../labs/rootfs"
#endif

/* Every container's directories on the host live below this one. */
#define STATE_ROOT "/run/cell"
#define ID_BYTES   4 /* random bytes that name a container: 8 hex digits */

/*
 * Without --ip, the container takes .2 of the first 10.200.N.0/24 that no
 * route of the host overlaps, and the host end .1: private addresses
 * (RFC 1918), from a corner that home and office networks rarely use.
 */
#define AUTO_NET     0x0ac80000u /* 10.200.0.0, in host byte order */
#define AUTO_PREFIX  24
#define AUTO_SUBNETS 256 /* 10.200.0.0/24 to 10.200.255.0/24 */

/* Held from choosing a subnet until the host end's route to it exists. */
#define NET_LOCK STATE_ROOT "/net.lock"

/*
 * The devices a container gets: harmless ones only. Each is a new node on
 * the container's own /dev; binding the host's nodes would carry over their
 * owners and modes, and a mistake there would open a real disk.
 */
static const struct device {
	const char *name;
	unsigned int major, minor;
} devices[] = {
	{ "null", 1, 3 },   { "zero", 1, 5 },	 { "full", 1, 7 },
	{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* The options, checked: what the command line asked for. */
struct config {
	const char *hostname;
	char rootfs[PATH_MAX]; /* absolute path of the root file system */
	const char *upper;     /* --upper DIR, or NULL */
	char **argv;	       /* the command and its arguments */
	bool verbose;
	bool init;     /* --init: a minimal init is PID 1, the command PID 2 */
	bool ipc_host; /* --ipc host: share the host's IPC namespace */

	/* The network: --net none, or --ip, or a subnet the tool picks. */
	bool net_none;	    /* --net none: loopback only, no veth pair */
	const char *ip;	    /* --ip CIDR as given, or NULL: pick a subnet */
	uint32_t addr;	    /* --ip's address, in host byte order */
	uint32_t host_addr; /* its subnet's first address, for the host end */
	int prefix;	    /* its prefix length */
};

/*
 * What the tool holds while the container runs: what it made, and the
 * handles to it. The options come along: clone() passes the child one
 * pointer, and every step after the command line takes this one.
 */
struct run {
	const struct config *cfg; /* the options */
	pid_t pid;		  /* the child, once cloned */
	sigset_t blocked;	  /* the signals the tool (and our init) wait for */
	sigset_t child_mask;	  /* the signal mask the command starts with */

	/* The container's directories on the host (state-dir). */
	char id[2 * ID_BYTES + 1]; /* hex digits naming this container */
	char state[PATH_MAX];	   /* /run/cell/<id> */
	char upperdir[PATH_MAX], workdir[PATH_MAX], merged[PATH_MAX];

	/* The network: the subnet in use (net-addr), the veth, the pipe. */
	int lock;	      /* NET_LOCK, held from net-addr to host-end, or -1 */
	uint32_t addr;	      /* the container's address, in host byte order */
	uint32_t host_addr;   /* the host end's: the subnet's first address */
	int prefix;	      /* the subnet's prefix length */
	char veth[IFNAMSIZ];  /* cell<id>, the host end, once it exists */
	struct stat host_net; /* the host's network namespace, to tell ours apart */
	int sync[2];	      /* the pipe the child waits on: read end, write end, or -1 */
};

/* The child's first function, which clone() starts. */
static int child_main(void *arg);

/* After main(): checking the options' values, and small helpers. */
static void usage(void) __attribute__((noreturn));
static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void parse_hostname(const char *arg, struct config *cfg);
static bool valid_hostname(const char *name);
static void parse_ipc(const char *arg, struct config *cfg);
static void parse_ip(const char *arg, struct config *cfg);
static bool parse_cidr(const char *arg, uint32_t *addr, int *prefix);
static void parse_net(const char *arg, struct config *cfg);
static void check_rootfs(const char *rootfs, struct config *cfg);
static void trace(const struct config *cfg, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int make_path(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int make_dir(const char *path);
static const char *ip_text(uint32_t addr, char *buf);
static int exit_status(int status);

/* ========================================================================
 * The command line: the options, and what this run may do
 * ======================================================================== */

/*
 * The options are named as docker run and unshare(1) name them. Each value
 * is checked as it is read (after main()), so that a mistake stops the
 * tool before anything is made.
 */
static void parse_args(int argc, char **argv, struct config *cfg)
{
	static const struct option options[] = {
		{ "hostname", required_argument, NULL, 'n' },
		{ "rootfs", required_argument, NULL, 'r' },
		{ "upper", required_argument, NULL, 'O' },
		{ "init", no_argument, NULL, 'I' },
		{ "ipc", required_argument, NULL, 'P' },
		{ "ip", required_argument, NULL, 'A' },
		{ "net", required_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }, /* getopt_long stops at the all-zero entry */
	};
	static char *default_argv[] = { "/bin/sh", NULL };
	const char *rootfs = CELL_ROOTFS;
	int opt;

	/* The leading '+' stops at the first non-option: the command's own
	 * options are left for the command. The ':' after it lets us word the
	 * errors ourselves. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:n:r:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			parse_hostname(optarg, cfg);
			break;
		case 'r':
			rootfs = optarg;
			break;
		case 'O':
			cfg->upper = optarg;
			break;
		case 'I':
			cfg->init = true;
			break;
		case 'P':
			parse_ipc(optarg, cfg);
			break;
		case 'A':
			parse_ip(optarg, cfg);
			break;
		case 'N':
			parse_net(optarg, cfg);
			break;
		case 'v':
			cfg->verbose = true;
			break;
		case 'h':
			usage();
		case ':':
			usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("invalid option -- '%c'", optopt);
			usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	cfg->argv = optind < argc ? &argv[optind] : default_argv;
	if (cfg->net_none && cfg->ip != NULL)
		usage_error("--ip and --net none exclude each other");
	check_rootfs(rootfs, cfg);
}

/*
 * Creating namespaces other than user namespaces needs CAP_SYS_ADMIN.
 * Saying so once, up front, is kinder than an EPERM from clone().
 */
static void require_root(void)
{
	if (geteuid() != 0)
		errx(EXIT_TOOL, "this stage needs root: run it with sudo");
}

/* ========================================================================
 * The tool, before the child exists
 * ======================================================================== */

/*
 * The parent handles signals synchronously: it blocks them here and later
 * collects them one at a time with sigwaitinfo(). No handler can then run
 * in the middle of a step. The child gets the original mask back just
 * before exec, so the command starts with the signals its parent had.
 */
static void block_signals(struct run *run)
{
	sigemptyset(&run->blocked);
	sigaddset(&run->blocked, SIGCHLD);
	sigaddset(&run->blocked, SIGINT);
	sigaddset(&run->blocked, SIGTERM);
	sigaddset(&run->blocked, SIGHUP);
	sigaddset(&run->blocked, SIGQUIT);
	sigaddset(&run->blocked, SIGUSR1);
	sigaddset(&run->blocked, SIGUSR2);
	/* A SIGCHLD ignored by whoever started us would make the kernel reap
	 * the child itself, and waitpid() would never see its status. */
	signal(SIGCHLD, SIG_DFL);
	/* A reader of the tool's output that goes away (a pipe into head)
	 * would end it with SIGPIPE before its cleanup; ignored, the write
	 * fails with EPIPE instead. The command gets SIGPIPE back at exec. */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &run->blocked, &run->child_mask) == -1)
		err(EXIT_TOOL, "sigprocmask");
}

/*
 * step: state-dir
 * The container's directories on the host: /run/cell/<id> holds the
 * overlay's upper, work and merged directories. With --upper DIR the upper
 * layer is DIR, and the work directory must then sit on DIR's file system
 * (overlayfs renames between the two), so it is made beside DIR, as
 * .cell-work-<id>. /run is a tmpfs on most distributions, emptied at boot.
 */
static int make_state_dir(struct run *run)
{
	const struct config *cfg = run->cfg;
	unsigned char rnd[ID_BYTES];
	char parent[PATH_MAX];
	struct stat st;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		warn("getrandom");
		return -1;
	}
	snprintf(run->id, sizeof(run->id), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	if (mkdir(STATE_ROOT, 0700) == -1 && errno != EEXIST) {
		warn("mkdir %s", STATE_ROOT);
		return -1;
	}
	if (make_path(run->state, sizeof(run->state), STATE_ROOT "/%s", run->id) < 0 ||
	    make_dir(run->state) < 0)
		return -1;
	if (make_path(run->merged, sizeof(run->merged), "%s/merged", run->state) < 0 ||
	    make_dir(run->merged) < 0)
		return -1;
	if (cfg->upper == NULL) {
		if (make_path(run->upperdir, sizeof(run->upperdir), "%s/upper", run->state) < 0 ||
		    make_dir(run->upperdir) < 0)
			return -1;
		if (make_path(run->workdir, sizeof(run->workdir), "%s/work", run->state) < 0 ||
		    make_dir(run->workdir) < 0)
			return -1;
	} else {
		/* DIR may be new; it is the user's and stays after exit. */
		if (mkdir(cfg->upper, 0755) == -1 && errno != EEXIST) {
			warn("--upper: mkdir %s", cfg->upper);
			return -1;
		}
		if (realpath(cfg->upper, run->upperdir) == NULL) {
			warn("--upper %s", cfg->upper);
			return -1;
		}
		if (stat(run->upperdir, &st) == -1) {
			warn("--upper: stat %s", run->upperdir);
			run->upperdir[0] = '\0';
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			warnx("--upper %s: not a directory", cfg->upper);
			run->upperdir[0] = '\0';
			return -1;
		}
		if (strpbrk(run->upperdir, ",:") != NULL) {
			warnx("--upper %s: overlayfs cannot take a path with ',' or ':'",
			      run->upperdir);
			return -1;
		}
		snprintf(parent, sizeof(parent), "%s", run->upperdir);
		*strrchr(parent, '/') = '\0';
		if (make_path(run->workdir, sizeof(run->workdir), "%s/.cell-work-%s", parent,
			      run->id) < 0)
			return -1;
		if (make_dir(run->workdir) < 0) {
			run->workdir[0] = '\0';
			return -1;
		}
	}
	trace(cfg, "state-dir", "%s", run->state);
	return 0;
}

/* The requests ip(8) makes, through libnl: for net-addr here, later for
 * host-end, and for the child's net-config. */

/*
 * rtnetlink answers a request it refuses with an NLMSG_ERROR message that
 * carries an errno (netlink(7)). libnl turns that into a code of its own,
 * a coarser one ("Object exists"); this handler, set on every socket, keeps
 * the errno itself, so that the messages read like all the others here
 * ("File exists"). Returning NL_STOP lets libnl fail the call as usual.
 */
static int kernel_errno;

static int keep_errno(struct sockaddr_nl *from, struct nlmsgerr *e, void *arg)
{
	(void)from, (void)arg;
	kernel_errno = -e->error;
	return NL_STOP;
}

/* Why a libnl call failed: the kernel's errno if it sent one, else libnl's reason. */
static const char *nl_reason(int ret)
{
	int e = kernel_errno;

	kernel_errno = 0;
	return e != 0 ? strerror(e) : nl_geterror(ret);
}

/*
 * A socket for rtnetlink requests. It belongs to the network namespace its
 * opener is in when opening it, for its whole life (network_namespaces(7)):
 * opened by the tool, it configures the host; by the child, the container.
 */
static struct nl_sock *nl_open(void)
{
	struct nl_sock *sock;
	int ret;

	sock = nl_socket_alloc();
	if (sock == NULL) {
		warnx("nl_socket_alloc: out of memory");
		return NULL;
	}
	nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, keep_errno, NULL);
	ret = nl_connect(sock, NETLINK_ROUTE);
	if (ret < 0) {
		warnx("connect to rtnetlink: %s", nl_reason(ret));
		nl_socket_free(sock);
		return NULL;
	}
	return sock;
}

/* An IPv4 address and prefix length as libnl takes them; NULL if out of memory. */
static struct nl_addr *nl_ipv4(uint32_t addr, int prefix)
{
	uint32_t be = htonl(addr);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

	if (a != NULL)
		nl_addr_set_prefixlen(a, prefix);
	return a;
}

/* The kernel's record of a link, found by name: what ip link show NAME prints. */
static struct rtnl_link *get_link(struct nl_sock *sock, const char *name)
{
	struct rtnl_link *link;
	int ret;

	ret = rtnl_link_get_kernel(sock, 0, name, &link);
	if (ret < 0) {
		warnx("get link %s: %s", name, nl_reason(ret));
		return NULL;
	}
	return link;
}

/* ip link set NAME up: a change that sets IFF_UP and leaves the other flags. */
static int link_up(struct nl_sock *sock, struct rtnl_link *link)
{
	struct rtnl_link *change = rtnl_link_alloc();
	int ret = -NLE_NOMEM;

	if (change != NULL) {
		rtnl_link_set_flags(change, IFF_UP);
		ret = rtnl_link_change(sock, link, change, 0);
		rtnl_link_put(change);
	}
	if (ret < 0) {
		warnx("set link %s up: %s", rtnl_link_get_name(link), nl_reason(ret));
		return -1;
	}
	return 0;
}

/* ip address add ADDR/PREFIX dev NAME. */
static int add_address(struct nl_sock *sock, struct rtnl_link *link, uint32_t addr, int prefix)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_ipv4(addr, prefix);
	char text[INET_ADDRSTRLEN];
	int ret = -NLE_NOMEM;

	if (ra != NULL && local != NULL) {
		rtnl_addr_set_ifindex(ra, rtnl_link_get_ifindex(link));
		ret = rtnl_addr_set_local(ra, local);
		if (ret == 0)
			ret = rtnl_addr_add(sock, ra, NLM_F_EXCL);
	}
	nl_addr_put(local);
	rtnl_addr_put(ra);
	if (ret < 0) {
		warnx("add address %s/%d to %s: %s", ip_text(addr, text), prefix,
		      rtnl_link_get_name(link), nl_reason(ret));
		return -1;
	}
	return 0;
}

/* ip route add default via GATEWAY dev NAME. */
static int add_default_route(struct nl_sock *sock, struct rtnl_link *link, uint32_t gateway)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *hop = rtnl_route_nh_alloc();
	struct nl_addr *any = nl_ipv4(0, 0), *via = nl_ipv4(gateway, 32);
	char text[INET_ADDRSTRLEN];
	int ret = -NLE_NOMEM;

	if (route != NULL && hop != NULL && any != NULL && via != NULL) {
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
	nl_addr_put(via);
	nl_addr_put(any);
	rtnl_route_put(route);
	if (ret < 0) {
		warnx("add default route via %s dev %s: %s", ip_text(gateway, text),
		      rtnl_link_get_name(link), nl_reason(ret));
		return -1;
	}
	return 0;
}

/*
 * Two containers started at the same moment must not choose the same
 * subnet, so each holds this lock from reading the host's routes until its
 * own route is there for the next one to see. A flock(2) lock belongs to
 * the open file and goes when that is closed, also when the tool is
 * killed. The file is removed on release, so nothing stays in /run/cell;
 * a tool that was waiting meanwhile then holds the lock on a file no
 * longer there, so after taking it, it checks that the path still names
 * that file, and starts again on the new one if not.
 */
static int lock_net(void)
{
	struct stat held, now;
	int fd;

	for (;;) {
		fd = open(NET_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			warn("open %s", NET_LOCK);
			return -1;
		}
		if (flock(fd, LOCK_EX) == -1) {
			warn("flock %s", NET_LOCK);
			close(fd);
			return -1;
		}
		if (fstat(fd, &held) == -1) {
			warn("fstat %s", NET_LOCK);
			close(fd);
			return -1;
		}
		if (stat(NET_LOCK, &now) == 0 && now.st_ino == held.st_ino)
			return fd;
		if (stat(NET_LOCK, &now) == -1 && errno != ENOENT) {
			warn("stat %s", NET_LOCK);
			close(fd);
			return -1;
		}
		close(fd);
	}
}

/* Two subnets share addresses when one contains the other, that is, when
 * they agree on the bits of the shorter prefix. */
static bool overlap(uint32_t a, int alen, uint32_t b, int blen)
{
	int len = alen < blen ? alen : blen;
	uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);

	return ((a ^ b) & mask) == 0;
}

/* An IPv4 nl_addr as a number in host byte order. */
static uint32_t ipv4_of(struct nl_addr *a)
{
	uint32_t be;

	memcpy(&be, nl_addr_get_binary_addr(a), sizeof(be));
	return ntohl(be);
}

/*
 * Whether the host already uses the run's subnet, and if so, why, in why[].
 * A route of the main table that overlaps it would take part of the
 * traffic meant for the container, or the container's route part of the
 * host's (the longest prefix wins, see ip-route(8)). The default route, of
 * prefix 0, covers everything by definition and is the one exception. A
 * running container's host end has a route to its subnet, so this also
 * keeps two containers apart. Last, neither address may be in use already.
 */
static bool subnet_taken(const struct run *run, struct nl_cache *routes, struct nl_cache *addrs,
			 char *why, size_t size)
{
	char text[INET_ADDRSTRLEN], dev[IF_NAMESIZE];
	struct nl_object *obj;

	for (obj = nl_cache_get_first(routes); obj != NULL; obj = nl_cache_get_next(obj)) {
		struct rtnl_route *route = (struct rtnl_route *)obj;
		struct rtnl_nexthop *hop = rtnl_route_nexthop_n(route, 0);
		struct nl_addr *dst = rtnl_route_get_dst(route);

		if (rtnl_route_get_table(route) != RT_TABLE_MAIN || dst == NULL ||
		    nl_addr_get_prefixlen(dst) == 0 || nl_addr_get_len(dst) != 4)
			continue;
		if (!overlap(ipv4_of(dst), nl_addr_get_prefixlen(dst), run->addr, run->prefix))
			continue;
		if (hop == NULL || if_indextoname(rtnl_route_nh_get_ifindex(hop), dev) == NULL)
			dev[0] = '\0';
		snprintf(why, size, "the subnet overlaps the host's route %s/%d%s%s",
			 ip_text(ipv4_of(dst), text), nl_addr_get_prefixlen(dst),
			 dev[0] != '\0' ? " dev " : "", dev);
		return true;
	}
	for (obj = nl_cache_get_first(addrs); obj != NULL; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)obj;
		struct nl_addr *local = rtnl_addr_get_local(ra);

		if (rtnl_addr_get_family(ra) != AF_INET || local == NULL ||
		    nl_addr_get_len(local) != 4)
			continue;
		if (ipv4_of(local) != run->addr && ipv4_of(local) != run->host_addr)
			continue;
		if (if_indextoname(rtnl_addr_get_ifindex(ra), dev) == NULL)
			snprintf(dev, sizeof(dev), "?");
		snprintf(why, size, "%s is already an address of the host (dev %s)",
			 ip_text(ipv4_of(local), text), dev);
		return true;
	}
	return false;
}

/*
 * step: net-addr
 * Check the subnet --ip gave, or choose one, against the host's routes and
 * addresses, read from the kernel as ip route and ip address read them
 * (RTM_GETROUTE and RTM_GETADDR dumps, rtnetlink(7)). The lock taken here
 * is released once the host end's route exists.
 */
static int choose_addr(struct run *run)
{
	const struct config *cfg = run->cfg;
	struct nl_cache *routes = NULL, *addrs = NULL;
	char why[128], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct nl_sock *sock;
	int ret, result = -1;
	uint32_t n;

	run->lock = lock_net();
	if (run->lock < 0)
		return -1;
	sock = nl_open();
	if (sock == NULL)
		return -1;
	ret = rtnl_route_alloc_cache(sock, AF_INET, 0, &routes);
	if (ret < 0) {
		warnx("read the host's routes: %s", nl_reason(ret));
		goto out;
	}
	ret = rtnl_addr_alloc_cache(sock, &addrs);
	if (ret < 0) {
		warnx("read the host's addresses: %s", nl_reason(ret));
		goto out;
	}
	if (cfg->ip != NULL) {
		run->addr = cfg->addr;
		run->host_addr = cfg->host_addr;
		run->prefix = cfg->prefix;
		if (subnet_taken(run, routes, addrs, why, sizeof(why))) {
			warnx("--ip %s: %s", cfg->ip, why);
			goto out;
		}
	} else {
		for (n = 0; n < AUTO_SUBNETS; n++) {
			run->prefix = AUTO_PREFIX;
			run->host_addr = AUTO_NET | n << (32 - AUTO_PREFIX) | 1;
			run->addr = run->host_addr + 1;
			if (!subnet_taken(run, routes, addrs, why, sizeof(why)))
				break;
		}
		if (n == AUTO_SUBNETS) {
			warnx("no free subnet: every 10.200.N.0/24 is taken on the host "
			      "(give one with --ip)");
			goto out;
		}
	}
	trace(cfg, "net-addr", "%s/%d for eth0, %s for the host end; %s held",
	      ip_text(run->addr, a), run->prefix, ip_text(run->host_addr, b), NET_LOCK);
	result = 0;
out:
	nl_cache_free(addrs);
	nl_cache_free(routes);
	nl_socket_free(sock);
	return result;
}

/* ========================================================================
 * The child: what clone() starts, from its first step to exec
 * ======================================================================== */

/*
 * step: clone
 * clone(2) starts the child directly in the new namespaces. Without CLONE_VM
 * the child gets a copy of our memory, like fork(), so it may read the run
 * and its options; it only needs a stack of its own to start on. It
 * starts in child_main(), at the end of this part; the functions between
 * are its steps, in the order it takes them.
 */
static int spawn_child(struct run *run)
{
	const struct config *cfg = run->cfg;
	int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | SIGCHLD;
	void *stack;

	if (!cfg->ipc_host)
		flags |= CLONE_NEWIPC;
	if (stat("/proc/self/ns/net", &run->host_net) == -1) {
		warn("stat /proc/self/ns/net");
		return -1;
	}

	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		warn("mmap child stack");
		return -1;
	}
	run->pid = clone(child_main, (char *)stack + STACK_SIZE, flags, run);
	if (run->pid == -1)
		warn("clone");
	munmap(stack, STACK_SIZE);
	return run->pid == -1 ? -1 : 0;
}

/*
 * step: net-config
 * In the child, in its new network namespace. A new namespace has its own
 * loopback device, down (network_namespaces(7)): until it is up, not even
 * 127.0.0.1 answers. eth0 gets the container's address, and once eth0 is
 * up the kernel adds the route to the subnet by itself; the default route
 * sends everything else to the host end. The child exits on any failure:
 * the tool then cleans up what it made.
 */
static void configure_net(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 05 begin: net-config, keep cfg add_default_route */
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct rtnl_link *lo, *eth0;
	struct nl_sock *sock;
	struct stat net;

	/* A build without CLONE_NEWNET (one of the "Break it" exercises) gets
	 * here in the host's namespace, and would take over the host's own
	 * lo and eth0. Two namespaces are the same one when their files in
	 * /proc/PID/ns have the same device and inode (namespaces(7)). */
	if (stat("/proc/self/ns/net", &net) == -1)
		err(EXIT_TOOL, "stat /proc/self/ns/net");
	if (net.st_dev == run->host_net.st_dev && net.st_ino == run->host_net.st_ino)
		errx(EXIT_TOOL, "the child is in the host's network namespace: not configuring it");

	sock = nl_open();
	if (sock == NULL)
		exit(EXIT_TOOL);
	lo = get_link(sock, "lo");
	if (lo == NULL)
		exit(EXIT_TOOL);
	if (link_up(sock, lo) < 0)
		exit(EXIT_TOOL);
	rtnl_link_put(lo);
	if (cfg->net_none) {
		nl_socket_free(sock);
		trace(cfg, "net-config", "lo up; no other link");
		return;
	}
	eth0 = get_link(sock, "eth0");
	if (eth0 == NULL)
		exit(EXIT_TOOL);
	if (add_address(sock, eth0, run->addr, run->prefix) < 0)
		exit(EXIT_TOOL);
	if (link_up(sock, eth0) < 0)
		exit(EXIT_TOOL);
	if (add_default_route(sock, eth0, run->host_addr) < 0)
		exit(EXIT_TOOL);
	rtnl_link_put(eth0);
	nl_socket_free(sock);
	trace(cfg, "net-config", "lo up; eth0 %s/%d up; default via %s", ip_text(run->addr, a),
	      run->prefix, ip_text(run->host_addr, b));
	/* solution 05 end */
}

/* A path inside the container's root (the overlay), for the steps that run
 * before pivot_root. */
static void in_rootfs(const struct run *run, const char *path, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s%s", run->merged, path) >= size)
		errx(EXIT_TOOL, "%s%s: path too long", run->merged, path);
}

/* mount(2) onto a path inside the root file system, or fail with a message
 * that names both. */
static void mount_in(const struct run *run, const char *source, const char *target,
		     const char *fstype, unsigned long flags, const char *data)
{
	char path[PATH_MAX];

	in_rootfs(run, target, path, sizeof(path));
	if (mount(source, path, fstype, flags, data) == -1)
		err(EXIT_TOOL, "mount %s on %s", fstype, path);
}

/*
 * step: mount-dev
 * /dev is a small tmpfs of the container's own, holding the harmless
 * devices of the table above, a private devpts instance for terminals
 * (newinstance: the container's ptys are not the host's) and a tmpfs for
 * POSIX shared memory. Without MS_NODEV here, as the device nodes must work.
 */
static void setup_dev(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 03 begin: mount-dev, keep cfg devices */
	static const char *const links[][2] = {
		{ "/dev/ptmx", "pts/ptmx" },	      { "/dev/fd", "/proc/self/fd" },
		{ "/dev/stdin", "/proc/self/fd/0" },  { "/dev/stdout", "/proc/self/fd/1" },
		{ "/dev/stderr", "/proc/self/fd/2" },
	};
	char path[PATH_MAX];

	mount_in(run, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "/dev/%s", devices[i].name);
		in_rootfs(run, name, path, sizeof(path));
		if (mknod(path, S_IFCHR, makedev(devices[i].major, devices[i].minor)) == -1)
			err(EXIT_TOOL, "mknod %s", path);
		/* chmod, not mknod's mode: the umask would trim that. */
		if (chmod(path, 0666) == -1)
			err(EXIT_TOOL, "chmod %s", path);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		in_rootfs(run, links[i][0], path, sizeof(path));
		if (symlink(links[i][1], path) == -1)
			err(EXIT_TOOL, "symlink %s", path);
	}
	in_rootfs(run, "/dev/pts", path, sizeof(path));
	if (mkdir(path, 0755) == -1)
		err(EXIT_TOOL, "mkdir %s", path);
	mount_in(run, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "newinstance,ptmxmode=0666,mode=0620");
	in_rootfs(run, "/dev/shm", path, sizeof(path));
	if (mkdir(path, 01777) == -1)
		err(EXIT_TOOL, "mkdir %s", path);
	mount_in(run, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777");
	trace(cfg, "mount-dev", "%s/dev", run->merged);
	/* solution 03 end */
}

/*
 * step: close-fds
 * Only stdin, stdout and stderr may reach the command. Anything else the
 * caller had open came through clone() and would survive exec: a
 * descriptor of a host directory (a shell's exec 7</etc, a careless
 * parent) reads the host's files through /proc/self/fd/7/..., however
 * well the root is shut. runc's CVE-2024-21626 was that door, a leaked
 * descriptor of the host's /sys/fs/cgroup. The tool's own descriptors are
 * close-on-exec already, but nobody set that flag on what the caller
 * left. So every descriptor from 3 up is closed here, and not merely
 * marked CLOSE_RANGE_CLOEXEC for exec to close: with --init, PID 1 never
 * execs, and the command could take them from /proc/1/fd. close_range(2)
 * came in Linux 5.9; before, the container's own /proc/self/fd lists them.
 */
static void close_fds(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 04 begin: close-fds, keep cfg */
	struct dirent *entry;
	DIR *dir;

	if (close_range(STDERR_FILENO + 1, ~0U, 0) == -1) {
		if (errno != ENOSYS)
			err(EXIT_TOOL, "close_range 3 and up");
		dir = opendir("/proc/self/fd");
		if (dir == NULL)
			err(EXIT_TOOL, "opendir /proc/self/fd");
		while ((entry = readdir(dir)) != NULL) {
			int fd = atoi(entry->d_name);

			/* "." and ".." read as 0; the listing's own stays */
			if (fd > STDERR_FILENO && fd != dirfd(dir) && close(fd) == -1)
				err(EXIT_TOOL, "close %d", fd);
		}
		closedir(dir);
	}
	trace(cfg, "close-fds", "only stdin, stdout and stderr are open");
	/* solution 04 end */
}

/* step: exec
 * execvp() returns only on failure; the status tells the parent why, with
 * the numbers docker run uses. */
static void exec_command(const struct run *run)
{
	const struct config *cfg = run->cfg;
	int saved;

	if (cfg->verbose)
		fprintf(stderr, "=> exec %s\n", cfg->argv[0]);
	/* The command starts with every signal at its default action. Run by
	 * nohup, or in the background of a script, the tool inherits SIGINT
	 * and SIGQUIT ignored, and an ignored signal stays ignored across
	 * execve(2) (signal(7)): a Ctrl-C passed on would be lost. signal()
	 * refuses only SIGKILL, SIGSTOP and the C library's own, no matter. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (sigprocmask(SIG_SETMASK, &run->child_mask, NULL) == -1)
		err(EXIT_TOOL, "sigprocmask");
	execvp(cfg->argv[0], cfg->argv);
	saved = errno; /* warn() may change errno when stderr is unusable */
	warn("exec %s", cfg->argv[0]);
	_exit(saved == ENOENT || saved == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC);
}

/*
 * step: init
 * With --init, PID 1 is this loop and the command is its child. Signals
 * stay blocked, and the kernel never drops a blocked signal as unwanted,
 * not even for PID 1 (see sig_ignored() in kernel/signal.c), so every
 * signal the tool passes on arrives here and goes on to the command.
 * Every orphan of the namespace is re-parented to PID 1; each SIGCHLD
 * reaps all children that have ended, so none lingers as a zombie. When
 * the command ends, init ends with its status, and the kernel kills
 * whatever is left in the namespace.
 */
static int run_init(const struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 02 begin: init, keep cfg */
	siginfo_t info;
	pid_t cmd, pid;
	int status;

	cmd = fork();
	if (cmd == -1)
		err(EXIT_TOOL, "fork command");
	if (cmd == 0)
		exec_command(run);
	trace(cfg, "init", "init is PID 1, the command PID %d", cmd);
	for (;;) {
		if (sigwaitinfo(&run->blocked, &info) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_TOOL, "init: sigwaitinfo");
		}
		if (info.si_signo != SIGCHLD) {
			if (kill(cmd, info.si_signo) == -1 && errno != ESRCH)
				warn("init: kill %d %s", cmd, strsignal(info.si_signo));
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				return exit_status(status);
	}
	/* solution 02 end */
}

/* Runs in the child, inside the new namespaces, until exec. */
static int child_main(void *arg)
{
	struct run *run = arg;
	const struct config *cfg = run->cfg;
	char opts[3 * PATH_MAX + 64], oldroot[PATH_MAX];
	ssize_t n;
	char go;

	/*
	 * If the tool dies (even by SIGKILL), the kernel sends this child
	 * SIGKILL, and the whole PID namespace goes with it. Nothing inside
	 * can outlive the tool that is meant to clean up after it.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		err(EXIT_TOOL, "prctl PR_SET_PDEATHSIG");

	/* The child reports the clone step itself, so that the trace lines
	 * come out in the order the steps happen. */
	trace(cfg, "clone", "pid %d in the new PID namespace", getpid());

	/* step: sync
	 * Wait until the tool has made the veth pair and configured its end.
	 * Our copy of the write end goes first: a pipe shows end of file only
	 * once every write end is closed (pipe(7)), and this one would keep
	 * the child waiting on itself. End of file without a byte means that
	 * the tool's part failed; it has said why, and cleans up. */
	if (close(run->sync[1]) == -1)
		err(EXIT_TOOL, "close the sync pipe's write end");
	n = read(run->sync[0], &go, 1);
	if (n == -1)
		err(EXIT_TOOL, "read from the sync pipe");
	if (n == 0)
		exit(EXIT_TOOL);
	close(run->sync[0]);
	trace(cfg, "sync", "the host side is ready");

	configure_net(run);

	/* step: hostname
	 * This child is the only process in the new UTS namespace, so the
	 * change is seen by it and its descendants only. */
	/* solution 01 begin: hostname */
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) == -1)
		err(EXIT_TOOL, "sethostname %s", cfg->hostname);
	trace(cfg, "hostname", "%s", cfg->hostname);
	/* solution 01 end */

	/* step: mount-private
	 * The new mount namespace starts as a copy of the host's, and where
	 * the host's mounts are shared (systemd makes / shared) a mount made
	 * here would propagate back to the host. Making every mount private
	 * first cuts that link (mount_namespaces(7), "Shared subtrees"). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(EXIT_TOOL, "mount --make-rprivate /");
	trace(cfg, "mount-private", "/ and everything below it");

	/* step: mount-overlay
	 * The rootfs is the lower layer, which overlayfs only reads; a file
	 * the container changes is first copied up into the upper directory,
	 * and a deleted one is hidden there by a whiteout. The work directory
	 * is overlayfs's scratch space on the upper layer's file system. The
	 * mount lives in this namespace only: the host sees three directories. */
	/* solution 04 begin: mount-overlay, keep opts */
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", cfg->rootfs,
			     run->upperdir, run->workdir) >= sizeof(opts))
		errx(EXIT_TOOL, "overlay options too long");
	if (mount("overlay", run->merged, "overlay", 0, opts) == -1)
		err(EXIT_TOOL, "mount overlay on %s (%s)", run->merged, opts);
	trace(cfg, "mount-overlay", "%s", run->merged);
	/* solution 04 end */

	/* step: mount-proc
	 * A proc file system shows the PID namespace of the process that
	 * mounted it: mounted here, it lists the container's processes only. */
	/* solution 02 begin: mount-proc */
	mount_in(run, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	trace(cfg, "mount-proc", "%s/proc", run->merged);
	/* solution 02 end */

	/* step: mount-sys
	 * Read-only: /sys holds knobs for the whole machine, and root inside
	 * is still root. */
	mount_in(run, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	trace(cfg, "mount-sys", "%s/sys, read-only", run->merged);

	setup_dev(run);

	/* step: pivot-root
	 * pivot_root(2) makes the overlay the root of this mount namespace
	 * and moves the old root (the host's tree) to /.oldroot inside it.
	 * Unmounting that, with MNT_DETACH because the host's mounts below it
	 * are busy, leaves no mount in this namespace that reaches the host:
	 * unlike after chroot, there is no "outside" left to walk to. */
	/* solution 04 begin: pivot-root, keep oldroot */
	in_rootfs(run, "/.oldroot", oldroot, sizeof(oldroot));
	if (mkdir(oldroot, 0700) == -1)
		err(EXIT_TOOL, "mkdir %s", oldroot);
	if (syscall(SYS_pivot_root, run->merged, oldroot) == -1)
		err(EXIT_TOOL, "pivot_root %s %s", run->merged, oldroot);
	if (chdir("/") == -1)
		err(EXIT_TOOL, "chdir / after pivot_root");
	if (umount2("/.oldroot", MNT_DETACH) == -1)
		err(EXIT_TOOL, "umount /.oldroot");
	if (rmdir("/.oldroot") == -1)
		err(EXIT_TOOL, "rmdir /.oldroot");
	trace(cfg, "pivot-root", "%s is /, the old root unmounted", run->merged);
	/* solution 04 end */

	close_fds(run);

	if (cfg->init)
		return run_init(run);
	exec_command(run);
	return EXIT_TOOL;
}

/* ========================================================================
 * The tool, after clone: the host's side, while the child waits on the pipe
 * ======================================================================== */

/*
 * step: veth
 * One RTM_NEWLINK request makes both ends of the pair (veth(4)): the host
 * end, cell<id>, here in the tool's namespace, and its peer, eth0, in the
 * network namespace of the child's pid (IFLA_NET_NS_PID in the peer's
 * part of the request, rtnetlink(7)). Made there directly, the peer never
 * exists on the host, so its name cannot clash with the host's own eth0.
 * NLM_F_EXCL turns an existing cell<id> into an error (EEXIST) instead of
 * a change to it.
 */
static int make_veth(struct run *run)
{
	const struct config *cfg = run->cfg;

	/* solution 05 begin: veth, return -1, keep cfg */
	struct rtnl_link *veth, *peer;
	struct nl_sock *sock;
	int ret = -NLE_NOMEM;

	sock = nl_open();
	if (sock == NULL)
		return -1;
	snprintf(run->veth, sizeof(run->veth), "cell%s", run->id);
	veth = rtnl_link_veth_alloc();
	if (veth != NULL) {
		rtnl_link_set_name(veth, run->veth);
		peer = rtnl_link_veth_get_peer(veth);
		rtnl_link_set_name(peer, "eth0");
		rtnl_link_set_ns_pid(peer, run->pid);
		rtnl_link_put(peer);
		ret = rtnl_link_add(sock, veth, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(veth);
	}
	nl_socket_free(sock);
	if (ret < 0) {
		warnx("add veth %s: %s", run->veth, nl_reason(ret));
		run->veth[0] = '\0'; /* none of ours to delete */
		return -1;
	}
	trace(cfg, "veth", "%s on the host, its peer eth0 in the namespace of pid %d", run->veth,
	      run->pid);
	return 0;
	/* solution 05 end */
}

/*
 * step: host-end
 * The host end's address, then the link up: from then on the kernel routes
 * the subnet through cell<id> (the "proto kernel scope link" line of ip
 * route), which is what the next container's net-addr step sees.
 */
static int configure_host_end(const struct run *run)
{
	const struct config *cfg = run->cfg;
	char text[INET_ADDRSTRLEN];
	struct rtnl_link *link;
	struct nl_sock *sock;
	int result = -1;

	sock = nl_open();
	if (sock == NULL)
		return -1;
	link = get_link(sock, run->veth);
	if (link == NULL)
		goto out;
	if (add_address(sock, link, run->host_addr, run->prefix) < 0)
		goto out;
	if (link_up(sock, link) < 0)
		goto out;
	trace(cfg, "host-end", "%s %s/%d, up", run->veth, ip_text(run->host_addr, text),
	      run->prefix);
	result = 0;
out:
	rtnl_link_put(link);
	nl_socket_free(sock);
	return result;
}

/* Release the lock, if held: remove the file while it is still ours. */
static void unlock_net(struct run *run)
{
	if (run->lock < 0)
		return;
	if (unlink(NET_LOCK) == -1)
		warn("unlink %s", NET_LOCK);
	/* LOCK_UN, not just close(): the child holds a copy of the file
	 * descriptor until it execs, and the lock lasts while any is open. */
	if (flock(run->lock, LOCK_UN) == -1)
		warn("flock -u %s", NET_LOCK);
	close(run->lock);
	run->lock = -1;
}

/*
 * step: sync
 * The tool's side: one byte down the pipe tells the child that the host
 * side is ready. The tool has kept its copy of the read end open until
 * now, so the pipe still has a reader even if the child has died: the
 * write cannot raise SIGPIPE, whose default action would end the tool
 * before it cleans up (pipe(7)).
 */
static void release_child(struct run *run)
{
	if (write(run->sync[1], "1", 1) != 1)
		warn("write to the sync pipe");
	close(run->sync[1]);
	close(run->sync[0]);
	run->sync[0] = run->sync[1] = -1;
}

/* ========================================================================
 * Waiting: signals passed on, and the command's end as an exit status
 * ======================================================================== */

/*
 * step: wait
 * Wait for the child, passing on every signal the tool receives, and turn
 * its end into an exit status: its own status, or 128+N for signal N.
 */
static int wait_child(struct run *run)
{
	siginfo_t info;
	int status;

	for (;;) {
		if (sigwaitinfo(&run->blocked, &info) == -1) {
			if (errno == EINTR)
				continue;
			/* Cannot wait properly: end the container, so that
			 * main() can still clean up after it. */
			warn("sigwaitinfo");
			kill(run->pid, SIGKILL);
			waitpid(run->pid, NULL, 0);
			return EXIT_TOOL;
		}
		if (info.si_signo != SIGCHLD) {
			if (kill(run->pid, info.si_signo) == -1 && errno != ESRCH)
				warn("kill %d %s", run->pid, strsignal(info.si_signo));
			continue;
		}
		if (waitpid(run->pid, &status, WNOHANG) == run->pid)
			return exit_status(status);
	}
}

/* ========================================================================
 * Undoing: in the reverse order of making, on every way out
 * ======================================================================== */

/*
 * A step of the tool's after clone failed, and the child still waits on
 * the pipe: closing the write end gives it end of file, on which it exits
 * with 125 (step sync). Waiting for it means that nothing of it is left
 * when the rest is undone.
 */
static void stop_child(struct run *run)
{
	if (run->sync[1] < 0) /* no pipe, or the child was released */
		return;
	close(run->sync[1]);
	close(run->sync[0]);
	run->sync[0] = run->sync[1] = -1;
	if (run->pid > 0)
		waitpid(run->pid, NULL, 0);
}

/*
 * step: veth-delete
 * Undo the veth step. Deleting either end of a pair deletes both (veth(4)).
 * The container's network namespace goes with its last process, and the
 * kernel then deletes eth0, and so the pair, by itself: the link may be
 * gone already (ENODEV), which is no error here.
 */
static void delete_veth(const struct run *run)
{
	const struct config *cfg = run->cfg;
	struct rtnl_link *link;
	struct nl_sock *sock;
	int ret = -NLE_NOMEM;

	if (run->veth[0] == '\0')
		return;
	sock = nl_open();
	if (sock == NULL)
		return;
	link = rtnl_link_alloc();
	if (link != NULL) {
		rtnl_link_set_name(link, run->veth);
		ret = rtnl_link_delete(sock, link);
		rtnl_link_put(link);
	}
	nl_socket_free(sock);
	if (ret == 0)
		trace(cfg, "veth-delete", "%s and its peer", run->veth);
	else if (kernel_errno == ENODEV)
		trace(cfg, "veth-delete", "%s was gone already", run->veth);
	else
		warnx("delete veth %s: %s", run->veth, nl_reason(ret));
	kernel_errno = 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	if (remove(path) == -1)
		warn("remove %s", path);
	return 0;
}

/* rm -rf, without following symbolic links or crossing into mounts. */
static void remove_tree(const char *path)
{
	if (path[0] == '\0')
		return;
	if (access(path, F_OK) == -1) {
		if (errno != ENOENT)
			warn("access %s", path);
		return;
	}
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) == -1)
		warn("remove %s", path);
}

/*
 * step: cleanup
 * Undo the state-dir step. The overlay was mounted in the container's
 * mount namespace only, which the kernel tore down with its last process,
 * so these are plain directories by now. An --upper DIR is the user's and
 * stays; its work directory does not.
 */
static void remove_state(const struct run *run)
{
	const struct config *cfg = run->cfg;

	if (cfg->upper != NULL)
		remove_tree(run->workdir);
	remove_tree(run->state);
	trace(cfg, "cleanup", "%s removed", run->state[0] ? run->state : "nothing");
}

int main(int argc, char **argv)
{
	struct config cfg = { .hostname = "cell" };
	struct run run = {
		.cfg = &cfg,
		.lock = -1,
		.sync = { -1, -1 },
	};
	int status = EXIT_TOOL;

	/* The command line */
	parse_args(argc, argv, &cfg);
	require_root();

	/* The tool, before the child exists */
	block_signals(&run);
	if (make_state_dir(&run) < 0)
		goto out;
	if (!cfg.net_none && choose_addr(&run) < 0)
		goto out;
	if (pipe2(run.sync, O_CLOEXEC) == -1) {
		warn("pipe");
		goto out;
	}

	/* The child */
	if (spawn_child(&run) < 0)
		goto out;

	/* The tool, after clone */
	if (!cfg.net_none && make_veth(&run) < 0)
		goto out;
	if (!cfg.net_none && configure_host_end(&run) < 0)
		goto out;
	unlock_net(&run);
	release_child(&run);

	/* Waiting */
	status = wait_child(&run);

	/* Undoing, on every way out */
out:
	stop_child(&run);
	delete_veth(&run);
	unlock_net(&run);
	remove_state(&run);
	return status;
}

/* ========================================================================
 * After main(): checking the options' values, and the help text
 * ======================================================================== */

/* --help: the usage, on stdout. */
static const char usage_text[] =
	"Usage: container [OPTIONS] [--] [COMMAND [ARG...]]\n"
	"\n"
	"Run COMMAND (default /bin/sh) as PID 1 of a new PID namespace, with a\n"
	"hostname, a mount table, IPC objects and a network stack of its own, in a\n"
	"root file system entered with pivot_root. The root file system is the\n"
	"read-only lower layer of an overlay; the container's writes go to\n"
	"/run/cell/<id>/upper, removed at exit, or to --upper DIR.\n"
	"\n"
	"A veth pair joins the container to the host: eth0 inside, cell<id> on the\n"
	"host. The container's address is --ip, or .2 of the first 10.200.N.0/24\n"
	"that no host route overlaps; the host end takes the subnet's first address\n"
	"(.1) and is the container's default route. No NAT, no forwarding: the\n"
	"container reaches the host, and nothing beyond it.\n"
	"\n"
	"Options:\n"
	"  -n, --hostname NAME   hostname inside (default: cell); 1-64 characters,\n"
	"                        dot-separated labels of letters, digits and '-'\n"
	"  -r, --rootfs DIR      root file system (default: the one `make rootfs`\n"
	"                        builds, " CELL_ROOTFS ")\n"
	"      --upper DIR       keep the container's writes (the overlay's upper\n"
	"                        layer) in DIR; a deleted file shows there as a\n"
	"                        whiteout (a 0:0 character device)\n"
	"      --init            run a minimal init as PID 1: it reaps orphans and\n"
	"                        passes signals on to the command\n"
	"      --ipc host        share the host's IPC namespace (default: private,\n"
	"                        a new one)\n"
	"      --ip CIDR         the container's address and subnet, e.g. 10.200.7.2/24\n"
	"                        (prefix 8-30); the host end gets the subnet's first\n"
	"                        address; the subnet must not overlap a host route\n"
	"      --net none        loopback only: a network namespace with no veth\n"
	"  -v, --verbose         print one line per setup step on stderr\n"
	"  -h, --help            show this help and exit\n"
	"\n"
	"Exit status: the command's own; 128+N if signal N killed it; 125 if the tool\n"
	"failed; 126 if the command cannot be executed; 127 if it is not found.\n"
	"\n"
	"Example: sudo ./container --rootfs ../labs/rootfs ls /\n";

static void usage(void)
{
	fputs(usage_text, stdout);
	exit(0);
}

/* A usage error: one line, then where to look, on stderr; exit 125. */
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'container --help' for more information.\n");
	exit(EXIT_TOOL);
}

/* --hostname NAME */
static void parse_hostname(const char *arg, struct config *cfg)
{
	if (!valid_hostname(arg))
		usage_error("--hostname: \"%s\" is not a valid hostname "
			    "(1-64 characters: letters, digits, '-' and '.')",
			    arg);
	cfg->hostname = arg;
}

/*
 * A hostname is what RFC 1123 allows: labels of letters, digits and hyphens,
 * 1-63 characters each, not starting or ending with a hyphen, joined by dots.
 * The kernel itself accepts any bytes up to 64; checking here turns a typo
 * into a clear message instead of a surprising prompt.
 */
static bool valid_hostname(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
		    c != '-')
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > LABEL_MAX)
			return false;
	}
	return label > 0 && name[len - 1] != '-';
}

/* --ipc host|private */
static void parse_ipc(const char *arg, struct config *cfg)
{
	if (strcmp(arg, "host") != 0 && strcmp(arg, "private") != 0)
		usage_error("--ipc: \"%s\" is not host or private", arg);
	cfg->ipc_host = strcmp(arg, "host") == 0;
}

/*
 * --ip CIDR: the container's address and its subnet. The host end takes the
 * subnet's first address, so the container's must be another host address:
 * not that one, not the network address (host bits all 0) and not the
 * broadcast address (all 1). The prefix stays within 8-30: a /31 or /32
 * leaves no room for two hosts beside those two, and a subnet wider than a
 * /8 would cover a good part of all addresses.
 */
static void parse_ip(const char *arg, struct config *cfg)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t mask, net;

	if (!parse_cidr(arg, &cfg->addr, &cfg->prefix))
		usage_error("--ip: \"%s\" is not an IPv4 address with a prefix (try 10.200.7.2/24)",
			    arg);
	if (cfg->prefix < 8 || cfg->prefix > 30)
		usage_error("--ip %s: the prefix length must be 8 to 30 (try /24)", arg);
	mask = ~0u << (32 - cfg->prefix);
	net = cfg->addr & mask;
	cfg->host_addr = net + 1;
	if (cfg->addr == net)
		usage_error("--ip %s: %s is the subnet's network address, not a host's (try %s/%d)",
			    arg, ip_text(net, a), ip_text(net + 2, b), cfg->prefix);
	if (cfg->addr == (net | ~mask))
		usage_error("--ip %s: %s is the subnet's broadcast address (try %s/%d)", arg,
			    ip_text(cfg->addr, a), ip_text(net + 2, b), cfg->prefix);
	if (cfg->addr == cfg->host_addr)
		usage_error(
			"--ip %s: %s, the subnet's first address, is the host end's (try %s/%d)",
			arg, ip_text(cfg->addr, a), ip_text(net + 2, b), cfg->prefix);
	cfg->ip = arg;
}

/*
 * "10.200.7.2/24" as an address (in host byte order) and a prefix length;
 * false for anything else. inet_pton(3) takes exactly four decimal numbers,
 * where inet_aton(3) would also take "10.1" or hexadecimal.
 */
static bool parse_cidr(const char *arg, uint32_t *addr, int *prefix)
{
	const char *slash = strchr(arg, '/');
	char text[INET_ADDRSTRLEN];
	struct in_addr in;
	char *end;
	long len;

	if (slash == NULL || (size_t)(slash - arg) >= sizeof(text) ||
	    !isdigit((unsigned char)slash[1]))
		return false;
	memcpy(text, arg, (size_t)(slash - arg));
	text[slash - arg] = '\0';
	if (inet_pton(AF_INET, text, &in) != 1)
		return false;
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len > 32)
		return false;
	*addr = ntohl(in.s_addr);
	*prefix = (int)len;
	return true;
}

/* --net none */
static void parse_net(const char *arg, struct config *cfg)
{
	if (strcmp(arg, "none") != 0)
		usage_error("--net: \"%s\": this stage knows only none", arg);
	cfg->net_none = true;
}

/* --rootfs DIR: mount targets are built from this path, so make it
 * absolute, and check it now rather than from deep inside the child. */
static void check_rootfs(const char *rootfs, struct config *cfg)
{
	struct stat st;

	if (realpath(rootfs, cfg->rootfs) == NULL) {
		if (errno == ENOENT && strcmp(rootfs, CELL_ROOTFS) == 0)
			errx(EXIT_TOOL,
			     "the default root file system %s is missing: "
			     "build it with make rootfs, or give --rootfs DIR",
			     rootfs);
		err(EXIT_TOOL, "--rootfs %s", rootfs);
	}
	if (stat(cfg->rootfs, &st) == -1)
		err(EXIT_TOOL, "stat %s", cfg->rootfs);
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_TOOL, "--rootfs %s: not a directory", rootfs);
	if (strcmp(cfg->rootfs, "/") == 0)
		errx(EXIT_TOOL, "--rootfs /: the host's own root is not a container's");
	/* overlayfs separates its options with ',' and its layers with ':'. */
	if (strpbrk(cfg->rootfs, ",:") != NULL)
		errx(EXIT_TOOL, "--rootfs %s: overlayfs cannot take a path with ',' or ':'",
		     cfg->rootfs);
}

/* ========================================================================
 * Helpers
 * ======================================================================== */

/* With -v, one line per completed step: "=> STEP ... done (DETAIL)". */
static void trace(const struct config *cfg, const char *step, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (!cfg->verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fprintf(stderr, "=> %s ... done (%s)\n", step, detail);
}

/* A wait status as an exit status: the command's own, or 128+N for signal N. */
static int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return EXIT_SIGNAL + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* snprintf() a path, or say that it is too long. */
static int make_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		warnx("path too long: %s...", buf);
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

/* mkdir(2), or say which directory could not be made. */
static int make_dir(const char *path)
{
	if (mkdir(path, 0700) == -1) {
		warn("mkdir %s", path);
		return -1;
	}
	return 0;
}

/* An IPv4 address as text, in buf (INET_ADDRSTRLEN bytes), for messages. */
static const char *ip_text(uint32_t addr, char *buf)
{
	struct in_addr in = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}
