/*
 * monitor.c: one monitor per container started by `cell` (what conmon is
 * for podman; RUNTIME.md, "The monitor").
 *
 * `cell run` forks it and returns once it says the container is created;
 * from then on `cell` is gone (no daemon) and the monitor is:
 *   - the container's parent, and a subreaper: the init's exit status is
 *     its to collect;
 *   - the holder of the container's stdio: pipes (or, with -t, the
 *     terminal's master end) whose output goes, line by line, into the
 *     log file in conmon's k8s-file format (time, stream, F or P for a
 *     full or partial line, the text), and to every `cell` attached to
 *     the attach socket; their input goes to the container;
 *   - the recorder of the end: exit status, time, whether the kernel's
 *     OOM killer struck (the cgroup's own count), then everything freed,
 *     --rm honoured, --restart applied.
 * It also owns the root file system's overlay: the monitor makes a mount
 * namespace of its own, private, and mounts the overlay there, so the
 * container's namespace (a copy of the monitor's) has it and the host's
 * never does. When the monitor and the container end, it ends with them:
 * a kill -9 leaves no mount behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup.h"
#include "container.h"
#include "monitor.h"
#include "mount.h"
#include "net.h"
#include "rootless.h"
#include "state.h"
#include "term.h"

#define MAX_CLIENTS	     16
/* how long a network's bridge outlives its last container (the monitor
 * waits, after the exit is reported: nobody waits for it) */
#define MON_BRIDGE_LINGER_MS 1000
#define LOG_NAME	     "ctr.log"
#define TRACER_WAIT	     5	/* seconds cell-trace has to print its counts at the end */
#define TRACER_READY	     60 /* seconds it has to compile and attach its program */

void mon_bundle(const struct places *p, const char *id, char *out, size_t size)
{
	snprintf(out, size, "%s/containers/%s", p->lib, id);
}

void mon_core_root(const struct places *p, char *out, size_t size)
{
	snprintf(out, size, "%s/core", p->run);
}

void mon_run_dir(const struct places *p, const char *id, char *out, size_t size)
{
	snprintf(out, size, "%s/containers/%s", p->run, id);
}

int mon_attach(const struct places *p, const char *id, struct error *err)
{
	char path[PATH_MAX + 8];

	mon_run_dir(p, id, path, sizeof(path) - 8);
	strcat(path, "/attach");
	return st_unix_connect(path, SOCK_SEQPACKET, err);
}

bool mon_alive(const struct record *r)
{
	return r->monitor > 0 && r->monitor_start != 0 &&
	       st_start_time(r->monitor) == r->monitor_start;
}

/* Removes the runtime's empty parents, so that no trace of cell stays in
 * /run once its last container is gone. */
static void remove_empty_parents(const struct places *p)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/containers", p->run);
	rmdir(dir);
	mon_core_root(p, dir, sizeof(dir));
	rmdir(dir);
}

int mon_free(const struct places *p, const char *id, bool bundle, struct error *err)
{
	char core[PATH_MAX], dir[PATH_MAX];
	int ret = 0;

	mon_core_root(p, core, sizeof(core));
	/* the init and everything in its cgroup, the poststop hooks, the
	 * cgroup, the core's state; then what a create cut short leaves */
	if (ctr_delete(core, id, true, err) < 0)
		ret = -1;
	if (ctr_remove_leftovers(core, id, MON_CG_BASE, ret < 0 ? &(struct error){ 0 } : err) < 0)
		ret = -1;
	mon_run_dir(p, id, dir, sizeof(dir));
	if (st_remove_tree(dir, ret < 0 ? &(struct error){ 0 } : err) < 0)
		ret = -1;
	if (bundle) {
		char work[PATH_MAX + 16], target[PATH_MAX];
		ssize_t n;

		mon_bundle(p, id, dir, sizeof(dir));
		/* --upper: the work directory beside the user's DIR is cell's */
		snprintf(work, sizeof(work), "%s/work", dir);
		n = readlink(work, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (st_remove_tree(target, ret < 0 ? &(struct error){ 0 } : err) < 0)
				ret = -1;
		}
		if (st_remove_tree(dir, ret < 0 ? &(struct error){ 0 } : err) < 0)
			ret = -1;
	}
	remove_empty_parents(p);
	return ret;
}

int mon_settle(sqlite3 *db, const struct places *p, struct record *r, struct error *err)
{
	char now[40];
	int n;

	if (strcmp(r->state, "stopped") == 0 || mon_alive(r))
		return 0;
	st_now(now, sizeof(now));
	/* the claim: only one command settles it, and only if the monitor
	 * is still the one found dead */
	n = store_change(db, err,
			 "UPDATE containers SET state = 'stopped', pid = 0, pid_start = 0,"
			 " monitor = 0, monitor_start = 0, has_exit = 1, exit_code = -1,"
			 " finished = ?2 WHERE id = ?1 AND monitor = ?3 AND monitor_start = ?4"
			 " AND state != 'stopped'",
			 "ssii", r->id, now, (long long)r->monitor, (long long)r->monitor_start);
	if (n < 0)
		return -1;
	if (n == 0)
		return store_reload(db, r, err) < 0 ? -1 : 0;
	if (mon_leave_network(db, p, r->id, 0, err) < 0 || mon_release_shares(db, r->id, err) < 0 ||
	    mon_free(p, r->id, r->rm, err) < 0)
		return -1;
	if (r->rm && store_delete(db, r->id, err) < 0)
		return -1;
	return store_reload(db, r, err) < 0 ? -1 : 1;
}

/*
 * A command killed between a change and its record (a start whose
 * `running` was never written) leaves the store behind the kernel: the
 * core's status (the init's start time, the exec fifo, the freezer) is
 * the truth, and the record follows it.
 */
static int follow_kernel(sqlite3 *db, const struct places *p, struct record *r, struct error *err)
{
	char core[PATH_MAX], *json = NULL;
	const char *status;
	json_t *doc;

	if (strcmp(r->state, "created") != 0 && strcmp(r->state, "running") != 0 &&
	    strcmp(r->state, "paused") != 0)
		return 0;
	mon_core_root(p, core, sizeof(core));
	if (ctr_state_json(core, r->id, &json, &(struct error){ 0 }) < 0)
		return 0; /* the monitor is recording its end */
	doc = json_loads(json, 0, NULL);
	free(json);
	status = json_string_value(json_object_get(doc, "status"));
	if (status != NULL && strcmp(status, r->state) != 0 &&
	    (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) &&
	    store_change(db, err, "UPDATE containers SET state = ?2 WHERE id = ?1 AND state = ?3",
			 "sss", r->id, status, r->state) < 0) {
		json_decref(doc);
		return -1;
	}
	json_decref(doc);
	return store_reload(db, r, err) < 0 ? -1 : 0;
}

int mon_refresh(sqlite3 *db, const struct places *p, struct record *r, struct error *err)
{
	int gone;

	if (mon_settle(db, p, r, err) < 0)
		return -1;
	gone = store_reload(db, r, err);
	if (gone != 0)
		return gone;
	return mon_alive(r) ? follow_kernel(db, p, r, err) : 0;
}

/* ---- the monitor process ---- */

struct client {
	int fd;
	char pending[1 + ATTACH_MAX]; /* a message the client could not take yet */
	size_t n_pending;
};

struct mon {
	const struct places *p;
	struct record r;
	sqlite3 *db;
	char bundle[PLACE_MAX + 128], core[PLACE_MAX + 16], dir[PLACE_MAX + 128], rootfs[PATH_MAX];
	FILE *trace;
	int log_fd, sig_fd, listen_fd;
	int out_fd, err_fd; /* the container's output (out_fd: the master with -t) */
	int in_fd;	    /* its input: a pipe's end or the master; -1 for none */
	pid_t pid;
	int host_mnt;			 /* the host's mount namespace (shared volumes) */
	const struct mon_tracer *tracer; /* --trace, or NULL */
	pid_t tracer_pid;		 /* cell-trace while it runs, else 0 */
	struct net_slirp slirp;		 /* slirp4netns while it runs (pid 0: none) */
	struct mnt_overlay overlay;	 /* the root file system's */
	struct client clients[MAX_CLIENTS];
	int n_clients;
};

static void trace_step(struct mon *m, const char *step, const char *stage)
{
	if (m->trace != NULL) {
		fprintf(m->trace, "=> %s (%s) ... done\n", step, stage);
		fflush(m->trace);
	}
}

/* step: overlay (04): in a private mount namespace of the monitor's own
 * (fuse-overlayfs, where mnt_overlay chooses it, runs in it as well) */
static int mount_rootfs(struct mon *m, struct error *err)
{
	char upper[sizeof(m->bundle) + 8], work[sizeof(m->bundle) + 8];

	if (unshare(CLONE_NEWNS) < 0)
		return err_sys(err, "unshare a mount namespace for the monitor");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(err, "make the monitor's mounts private");
	snprintf(upper, sizeof(upper), "%s/upper", m->bundle);
	snprintf(work, sizeof(work), "%s/work", m->bundle);
	snprintf(m->rootfs, sizeof(m->rootfs), "%s/rootfs", m->bundle);
	if (mnt_overlay(m->r.rootfs, upper, work, m->rootfs, rl_in_user_ns(), &m->overlay, err) < 0)
		return -1;
	trace_step(m, m->overlay.fuse_pid > 0 ? "overlay: fuse-overlayfs" : "overlay", "04");
	return 0;
}

static int listen_on(const char *dir, const char *name, int type, struct error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return st_unix_listen(path, type, MAX_CLIENTS, err);
}

/* Accepts the init's connection on the console socket and takes the
 * terminal's master end it sends. */
static int receive_fd(int listen_fd, struct error *err)
{
	int conn, fd;

	conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return err_sys(err, "accept on the console socket");
	fd = term_receive_fd(conn, err);
	close(conn);
	return fd;
}

/* step: the container's stdio: pipes, or a terminal; CHILD gets what
 * becomes its fds 0-2 */
static int open_stdio(struct mon *m, int child[3], bool *console, struct error *err)
{
	int out[2], errp[2], in[2];

	*console = m->r.tty;
	child[0] = child[1] = child[2] = -1;
	if (m->r.tty)
		return 0;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	m->out_fd = out[0];
	m->err_fd = errp[0];
	child[1] = out[1];
	child[2] = errp[1];
	if (m->r.interactive) {
		if (pipe2(in, O_CLOEXEC) < 0)
			return err_sys(err, "pipe");
		m->in_fd = in[1];
		child[0] = in[0];
	}
	return 0;
}

/* Makes FDS 0-2 (or /dev/null where one is -1) this process's 0-2. */
static int set_stdio(const int fds[3], struct error *err)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return err_sys(err, "open /dev/null");
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i] >= 0 ? fds[i] : null, i) < 0) {
			close(null);
			return err_sys(err, "dup2");
		}
	close(null);
	return 0;
}

/* LIB/networks/NAME/hosts */
void mon_hosts_path(const struct places *p, const char *network, char *out, size_t size)
{
	snprintf(out, size, "%s/networks/%s/hosts", p->lib, network);
}

/*
 * The network's /etc/hosts, written again from its leases. Every
 * container on the network has this one file bound read-only on its
 * /etc/hosts: a bind mount holds the file itself (its inode), so the file
 * is rewritten in place, never replaced, and a container started earlier
 * sees the names of those started after it. flock(2) keeps two writers
 * apart; each writes what the store holds once it has the lock.
 */
int mon_write_hosts(sqlite3 *db, const struct places *p, const char *network, struct error *err)
{
	char path[PATH_MAX], text[65536];
	int fd, ret = -1;
	ssize_t n;

	mon_hosts_path(p, network, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (flock(fd, LOCK_EX) < 0) {
		err_sys(err, "lock %s", path);
		goto out;
	}
	if (store_hosts(db, network, text, sizeof(text), err) < 0)
		goto out;
	n = pwrite(fd, text, strlen(text), 0);
	if (n != (ssize_t)strlen(text) || ftruncate(fd, n) < 0) {
		err_sys(err, "write %s", path);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/* The ports of config.json's annotation (-p), each in turn to FN. */
static int each_port(json_t *config, int (*fn)(const struct net_port *pt, void *arg), void *arg,
		     struct error *err)
{
	const char *text = json_string_value(
		json_object_get(json_object_get(config, "annotations"), MON_PORTS_ANNOTATION));
	char *copy, *save = NULL;
	struct net_port pt;
	int ret = 0;

	if (text == NULL)
		return 0;
	copy = strdup(text);
	for (char *t = strtok_r(copy, ",", &save); t != NULL && ret == 0;
	     t = strtok_r(NULL, ",", &save))
		ret = net_parse_port(t, &pt, err) < 0 ? -1 : fn(&pt, arg);
	free(copy);
	return ret;
}

struct port_change {
	uint32_t addr;
	bool add;
	const char *bridge;
	const char *nat; /* the network's subnet with --nat, or NULL */
	struct error *err;
};

static int change_port(const struct net_port *pt, void *arg)
{
	struct port_change *c = arg;

	if (net_fw_port(pt, c->addr, c->add, c->err) == 0 || !c->add)
		return 0;
	/* the table went (make clean-host) while the bridge stayed: again */
	*c->err = (struct error){ 0 };
	if (net_fw_network(c->bridge, c->nat, true, c->err) < 0)
		return -1;
	return net_fw_port(pt, c->addr, c->add, c->err);
}

static json_t *load_config(const struct places *p, const char *id, struct error *err)
{
	char bundle[PATH_MAX], path[PATH_MAX + 16];
	json_t *config;

	mon_bundle(p, id, bundle, sizeof(bundle));
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	config = json_load_file(path, 0, NULL);
	if (config == NULL)
		err_set(err, "%s: cannot read it", path);
	return config;
}

/* The bridge of network OLD, and its rules, unless a container joined
 * it meanwhile; under the store's write lock, so that none joins a
 * bridge that is going. */
static int drop_bridge(sqlite3 *db, const char *owner, const struct store_network *old,
		       struct error *err)
{
	struct store_network n;
	int mine;

	if (store_begin(db, err) < 0)
		return -1;
	if (store_network_get(db, old->name, &n, &(struct error){ 0 }) == 0 && n.leases > 0) {
		store_rollback(db);
		return 0;
	}
	/* not another store's bridge, nor its rules (cell --root) */
	mine = net_bridge_delete(old->bridge, owner, err);
	if (mine < 0 ||
	    (mine == 1 && net_fw_network(old->bridge, old->nat ? old->subnet : NULL, false,
					 &(struct error){ 0 }) < 0) ||
	    net_fw_remove(err) < 0) {
		store_rollback(db);
		return -1;
	}
	return store_commit(db, err);
}

/*
 * step: ip-forward
 * A --nat network needs the host to route (net.ipv4.ip_forward): the
 * first one records the value the host had in the store and sets 1; the
 * last one to go writes the recorded value back, whatever it was. Under
 * the store's write lock, so that two of them never both record.
 */
int mon_nat_forward(sqlite3 *db, bool on, struct error *err)
{
	int saved, had, now;

	if (store_begin(db, err) < 0)
		return -1;
	had = store_host_get(db, "ip_forward", &saved, err);
	if (had < 0)
		goto fail;
	if (on) {
		if (net_ip_forward(&now, err) < 0 ||
		    (had == 0 && store_host_set(db, "ip_forward", now, err) < 0) ||
		    (now != 1 && net_set_ip_forward(1, err) < 0))
			goto fail;
	} else if (had == 1 && store_nat_networks(db) == 0) {
		if (net_set_ip_forward(saved, err) < 0 ||
		    store_host_forget(db, "ip_forward", err) < 0)
			goto fail;
	}
	return store_commit(db, err);
fail:
	store_rollback(db);
	return -1;
}

/*
 * step: leave-network
 * The container's host end is deleted (the kernel would, once the
 * namespace is gone; this makes it now), outside the store's lock:
 * deleting a link waits for the kernel, and no other container should
 * wait with it. Then its address goes back to its network and its ports
 * leave the maps, in one transaction. The last container of a network takes
 * the bridge with it, and the last of all the nftables table, LINGER_MS
 * later: a container started meanwhile (one run after another) finds the
 * bridge and its rules still there.
 */
int mon_leave_network(sqlite3 *db, const struct places *p, const char *id, int linger_ms,
		      struct error *err)
{
	struct store_network n;
	struct port_change c = { .add = false, .err = &(struct error){ 0 } };
	char link[IFNAMSIZ];
	json_t *config;
	int had;

	/* the host end first, the address still held: no other container
	 * can have it while this one's eth0 may still answer for it */
	net_link_name(id, link, sizeof(link));
	if (net_link_delete(link, err) < 0)
		return -1;
	if (store_begin(db, err) < 0)
		return -1;
	had = store_release(db, id, &n, err);
	if (had <= 0) {
		store_rollback(db);
		return had;
	}
	config = load_config(p, id, &(struct error){ 0 });
	each_port(config, change_port, &c, &(struct error){ 0 });
	json_decref(config);
	if (store_commit(db, err) < 0 || mon_write_hosts(db, p, n.name, err) < 0)
		return -1;
	if (n.leases > 0)
		return 0;
	if (linger_ms > 0)
		usleep((useconds_t)linger_ms * 1000);
	return drop_bridge(db, p->lib, &n, err);
}

/*
 * step: network (10)
 * An address leased from the network, the network's bridge (made by the
 * first container on it), the veth pair with its host end on the bridge,
 * the ports in cell's nftables maps, the name in the network's hosts
 * file.
 */
static int join_network(struct mon *m, const char *network, json_t *config, struct error *err)
{
	struct store_network n;
	struct net_addr a;
	struct port_change c = { .add = true, .err = err };
	char link[IFNAMSIZ];
	uint32_t addr;
	int made;

	if (store_begin(m->db, err) < 0)
		return -1;
	if (store_lease(m->db, network, m->r.id, m->r.name, &n, &addr, err) < 0) {
		store_rollback(m->db);
		return -1;
	}
	a = (struct net_addr){ .addr = addr, .host = n.net + 1, .prefix = n.prefix };
	/* on a failure, the lease is kept (committed) for the undoing below,
	 * which removes the bridge too if it is the network's only one */
	/* the rules are written with the bridge (nft's library parses and
	 * sends the whole table: milliseconds that a container joining an
	 * existing bridge does not spend) */
	made = net_bridge(n.bridge, &a, m->p->lib, err);
	if (made < 0 ||
	    (made == 1 && net_fw_network(n.bridge, n.nat ? n.subnet : NULL, true, err) < 0)) {
		store_commit(m->db, &(struct error){ 0 });
		goto undo;
	}
	if (store_commit(m->db, err) < 0)
		goto undo;
	trace_step(m, "bridge", "10");
	/* after a restart, the last run's host end may not be gone yet */
	net_link_name(m->r.id, link, sizeof(link));
	if (net_link_delete(link, err) < 0 || net_veth(m->pid, m->r.id, &a, n.bridge, err) < 0)
		goto undo;
	trace_step(m, "veth", "05");
	c.addr = addr;
	c.bridge = n.bridge;
	c.nat = n.nat ? n.subnet : NULL;
	if (each_port(config, change_port, &c, err) < 0 ||
	    mon_write_hosts(m->db, m->p, network, err) < 0)
		goto undo;
	trace_step(m, "network", "10");
	return 0;
undo:
	mon_leave_network(m->db, m->p, m->r.id, 0, &(struct error){ 0 });
	return -1;
}

struct forward {
	const char *api;
	struct error *err;
};

static int forward_port(const struct net_port *pt, void *arg)
{
	const struct forward *f = arg;

	return net_slirp_forward(f->api, pt, f->err);
}

/* slirp4netns on the init's network namespace, and -p's ports through it */
static int connect_slirp(struct mon *m, json_t *config, const char *opts, struct error *err)
{
	char api[sizeof(m->dir) + 8];

	snprintf(api, sizeof(api), "%s/slirp", m->dir);
	if (net_slirp_start(m->pid, api, strcmp(opts, "allow_host_loopback=true") == 0, &m->slirp,
			    err) < 0)
		return -1;
	trace_step(m, "slirp4netns", "10");
	if (each_port(config, forward_port, &(struct forward){ api, err }, err) < 0) {
		net_slirp_stop(&m->slirp);
		return -1;
	}
	return 0;
}

/* step: veth (05): the annotation --ip or --network wrote, made real once
 * the init's network namespace exists and before the program starts */
static int connect_network(struct mon *m, struct error *err)
{
	const char *cidr, *network, *rate, *slirp;
	long long bytes;
	struct net_addr a;
	json_t *config, *notes;
	int ret = 0;

	config = load_config(m->p, m->r.id, err);
	if (config == NULL)
		return -1;
	notes = json_object_get(config, "annotations");
	cidr = json_string_value(json_object_get(notes, MON_IP_ANNOTATION));
	network = json_string_value(json_object_get(notes, MON_NET_ANNOTATION));
	slirp = json_string_value(json_object_get(notes, MON_SLIRP_ANNOTATION));
	if (slirp != NULL) {
		ret = connect_slirp(m, config, slirp, err);
	} else if (cidr != NULL) {
		ret = net_parse_cidr(cidr, &a, err) < 0 ||
				      net_veth(m->pid, m->r.id, &a, NULL, err) < 0
			      ? -1
			      : 0;
		if (ret == 0)
			trace_step(m, "veth", "05");
	} else if (network != NULL) {
		ret = join_network(m, network, config, err);
	}
	rate = json_string_value(json_object_get(notes, MON_RATE_ANNOTATION));
	if (ret == 0 && rate != NULL) {
		ret = net_parse_rate(rate, &bytes, err) < 0 || net_rate(m->pid, bytes, err) < 0 ? -1
												: 0;
		if (ret == 0)
			trace_step(m, "rate", "06");
		else if (network != NULL)
			mon_leave_network(m->db, m->p, m->r.id, 0, &(struct error){ 0 });
	}
	json_decref(config);
	return ret;
}

/* The [SRC, DST, RO] of each -v SRC:DST:rshared[,ro], from config.json's
 * annotation (a JSON array in a string). */
static json_t *shared_volumes(const struct places *p, const char *id)
{
	json_t *config = load_config(p, id, &(struct error){ 0 }), *list = NULL;
	const char *text = json_string_value(
		json_object_get(json_object_get(config, "annotations"), MON_SHARED_ANNOTATION));

	if (text != NULL)
		list = json_loads(text, 0, NULL);
	json_decref(config);
	return list != NULL ? list : json_array();
}

/* In the host's mount namespace, before the monitor makes its own: each
 * shared volume's host path made a shared mount, and recorded. */
static int share_volumes(struct mon *m, struct error *err)
{
	json_t *list = shared_volumes(m->p, m->r.id), *v;
	int ret = 0;
	size_t i;

	json_array_foreach(list, i, v)
	{
		const char *src = json_string_value(json_array_get(v, 0));
		bool made;

		if (mnt_share_host(src, &made, err) < 0 ||
		    store_share_add(m->db, src, m->r.id, made, err) < 0) {
			if (err->msg[0] && made)
				umount2(src, MNT_DETACH);
			ret = -1;
			break;
		}
	}
	json_decref(list);
	return ret;
}

static int attach_shared(struct mon *m, struct error *err)
{
	json_t *list = shared_volumes(m->p, m->r.id), *v;
	int ret = 0;
	size_t i;

	json_array_foreach(list, i, v)
	{
		ret = mnt_attach_shared(
			m->pid, m->host_mnt, json_string_value(json_array_get(v, 0)),
			json_string_value(json_array_get(v, 1)),
			json_array_size(v) > 2 && json_is_true(json_array_get(v, 2)), err);
		if (ret < 0)
			break;
	}
	if (ret == 0 && json_array_size(list) > 0)
		trace_step(m, "shared-volumes", "10");
	json_decref(list);
	return ret;
}

static int unmount_share(const char *path, void *arg)
{
	(void)arg;
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return -1;
	return 0;
}

int mon_release_shares(sqlite3 *db, const char *id, struct error *err)
{
	return store_share_release(db, id, unmount_share, NULL, err);
}

/*
 * step: trace (09): cell run --trace. cell-trace, a program of its own (it
 * links libbcc, which cell does not), is started on the created init,
 * whose PID namespace it follows, and the start waits until its BPF
 * program is attached: it says "ready" on a pipe, or why it cannot trace.
 * So the first system call of the container's program, its execve, is
 * seen. Its output and its messages go to the file; it ends by itself
 * when the init does, and is killed with the monitor (PR_SET_PDEATHSIG).
 */
static int start_tracer(struct mon *m, struct error *err)
{
	char text[ERR_MSG_MAX], pid[16];
	int ready[2], null;
	pid_t monitor = getpid();
	struct pollfd p;
	ssize_t n = 0;

	if (m->tracer == NULL)
		return 0;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	m->tracer_pid = fork();
	if (m->tracer_pid < 0) {
		m->tracer_pid = 0;
		close(ready[0]);
		close(ready[1]);
		return err_sys(err, "--trace: fork");
	}
	if (m->tracer_pid == 0) {
		sigset_t none;

		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != monitor)
			_exit(EXIT_FAILURE);
		null = open("/dev/null", O_RDONLY);
		/* 0-2 of the monitor are /dev/null: the file and the pipe are above */
		if (null < 0 || dup2(null, 0) < 0 || dup2(m->tracer->fd, 1) < 0 ||
		    dup2(m->tracer->fd, 2) < 0 ||
		    (ready[1] == 3 ? fcntl(3, F_SETFD, 0) : dup2(ready[1], 3)) < 0)
			_exit(EXIT_FAILURE);
		syscall(SYS_close_range, 4, ~0U, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		snprintf(pid, sizeof(pid), "%d", m->pid);
		execl(m->tracer->path, "cell-trace", "--ready-fd", "3", pid, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	p = (struct pollfd){ .fd = ready[0], .events = POLLIN };
	if (poll(&p, 1, TRACER_READY * 1000) == 1)
		n = read(ready[0], text, sizeof(text) - 1);
	close(ready[0]);
	if (n == 5 && memcmp(text, "ready", 5) == 0) {
		trace_step(m, "trace", "09");
		return 0;
	}
	kill(m->tracer_pid, SIGKILL);
	waitpid(m->tracer_pid, NULL, 0);
	m->tracer_pid = 0;
	if (n <= 0)
		return err_set(err, "--trace: %s ended before it was ready", m->tracer->path);
	text[n] = '\0';
	return err_set(err, "--trace: %s", text);
}

/* After the init's end: cell-trace drains its events and prints its
 * counts, then ends; a tracer that hangs is killed after TRACER_WAIT. */
static void stop_tracer(struct mon *m)
{
	for (int i = 0; m->tracer_pid > 0 && i < TRACER_WAIT * 20; i++) {
		if (waitpid(m->tracer_pid, NULL, WNOHANG) != 0)
			m->tracer_pid = 0;
		else
			usleep(50000);
	}
	if (m->tracer_pid > 0) {
		kill(m->tracer_pid, SIGKILL);
		waitpid(m->tracer_pid, NULL, 0);
		m->tracer_pid = 0;
	}
}

/* Creates the container once (and again for each restart). */
static int create_container(struct mon *m, struct error *err)
{
	struct ctr_create_opts o = { .root = m->core,
				     .id = m->r.id,
				     .bundle = m->bundle,
				     .trace = m->trace,
				     .cgroup_base = MON_CG_BASE };
	int child[3], console_fd = -1, ret = -1, none[3] = { -1, -1, -1 };
	char sock[PATH_MAX];
	bool console;

	m->out_fd = m->err_fd = m->in_fd = -1;
	if (open_stdio(m, child, &console, err) < 0)
		goto out;
	if (console) {
		console_fd = listen_on(m->dir, "console", SOCK_STREAM, err);
		if (console_fd < 0)
			goto out;
		snprintf(sock, sizeof(sock), "%s/console", m->dir);
		o.console_socket = sock;
	}
	if (set_stdio(child, err) < 0 || ctr_create(&o, &m->pid, err) < 0)
		goto out;
	if (connect_network(m, err) < 0 || attach_shared(m, err) < 0 || start_tracer(m, err) < 0) {
		net_slirp_stop(&m->slirp);
		ctr_delete(m->core, m->r.id, true, &(struct error){ 0 });
		goto out;
	}
	if (console) {
		m->out_fd = receive_fd(console_fd, err);
		if (m->out_fd < 0)
			goto out;
		m->in_fd = m->out_fd;
		unlink(sock);
	}
	ret = 0;
out:
	set_stdio(none, &(struct error){ 0 });
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0)
			close(child[i]);
	if (console_fd >= 0)
		close(console_fd);
	return ret;
}

/* conmon's k8s-file lines: "TIME STREAM F|P TEXT\n" */
static void log_output(struct mon *m, const char *stream, const char *buf, size_t n)
{
	char when[40], line[64 + ATTACH_MAX];

	st_now(when, sizeof(when));
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t len = nl != NULL ? (size_t)(nl - buf) : n;
		int head = snprintf(line, sizeof(line), "%s %s %c ", when, stream,
				    nl != NULL ? 'F' : 'P');

		memcpy(line + head, buf, len);
		line[head + len] = '\n';
		if (write(m->log_fd, line, (size_t)head + len + 1) < 0)
			break;
		len += nl != NULL;
		buf += len;
		n -= len;
	}
}

static void drop_client(struct mon *m, int i)
{
	close(m->clients[i].fd);
	m->clients[i] = m->clients[--m->n_clients];
}

/* Sends a message to every client; one that cannot take it now keeps it
 * pending, and the monitor stops reading the container until it can (the
 * container waits, as a pipe would make it). */
static void broadcast(struct mon *m, char type, const char *buf, size_t n)
{
	for (int i = 0; i < m->n_clients; i++) {
		struct client *c = &m->clients[i];
		ssize_t sent;

		c->pending[0] = type;
		memcpy(c->pending + 1, buf, n);
		sent = send(c->fd, c->pending, n + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent >= 0)
			continue;
		if (errno == EAGAIN) {
			c->n_pending = n + 1;
		} else {
			drop_client(m, i);
			i--;
		}
	}
}

static bool any_pending(const struct mon *m)
{
	for (int i = 0; i < m->n_clients; i++)
		if (m->clients[i].n_pending > 0)
			return true;
	return false;
}

enum pumped { PUMP_DATA, PUMP_EMPTY, PUMP_END };

/* Reads what the container wrote on FD. A terminal's master reads EIO
 * once no process holds the other end: its end, as EOF is a pipe's. */
static enum pumped pump_output(struct mon *m, int fd, char type)
{
	char buf[ATTACH_MAX];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return PUMP_EMPTY;
	if (n <= 0)
		return PUMP_END;
	log_output(m, type == ATTACH_STDERR ? "stderr" : "stdout", buf, (size_t)n);
	broadcast(m, type, buf, (size_t)n);
	return PUMP_DATA;
}

static void client_input(struct mon *m, int i)
{
	char buf[1 + ATTACH_MAX];
	ssize_t n = recv(m->clients[i].fd, buf, sizeof(buf), 0);
	unsigned short rows, cols;

	if (n <= 0) {
		drop_client(m, i);
		return;
	}
	switch (buf[0]) {
	case ATTACH_STDIN:
		if (m->in_fd >= 0 && write(m->in_fd, buf + 1, (size_t)n - 1) < 0 && !m->r.tty) {
			close(m->in_fd);
			m->in_fd = -1;
		}
		break;
	case ATTACH_CLOSE:
		/* a terminal has no end of input but its ^D, which came as input */
		if (m->in_fd >= 0 && !m->r.tty) {
			close(m->in_fd);
			m->in_fd = -1;
		}
		break;
	case ATTACH_RESIZE:
		buf[n] = '\0';
		if (m->r.tty && sscanf(buf + 1, "%hu %hu", &rows, &cols) == 2)
			ioctl(m->out_fd, TIOCSWINSZ,
			      &(struct winsize){ .ws_row = rows, .ws_col = cols });
		break;
	}
}

static void accept_client(struct mon *m)
{
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (m->n_clients == MAX_CLIENTS) {
		close(fd);
		return;
	}
	m->clients[m->n_clients++] = (struct client){ .fd = fd };
}

/* Whether the init is gone; its wait status in *STATUS. Every other child
 * (an orphan the subreaper inherited) is reaped on the way. */
static bool reap(struct mon *m, int *status)
{
	struct signalfd_siginfo info;
	bool gone = false;
	pid_t w;
	int s;

	while (read(m->sig_fd, &info, sizeof(info)) == sizeof(info))
		;
	while ((w = waitpid(-1, &s, WNOHANG)) > 0)
		if (w == m->pid) {
			*status = s;
			gone = true;
		} else if (w == m->tracer_pid) {
			m->tracer_pid = 0;
		} else if (w == m->overlay.fuse_pid) {
			m->overlay.fuse_pid = 0;
		}
	return gone;
}

/* The monitor's loop while the container lives; its wait status. */
static int watch(struct mon *m)
{
	struct pollfd fds[4 + MAX_CLIENTS];
	int status = 0;

	for (;;) {
		int n = 0, out_at = -1, err_at = -1;
		bool pending = any_pending(m);

		fds[n++] = (struct pollfd){ .fd = m->sig_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
		if (m->out_fd >= 0 && !pending) {
			out_at = n;
			fds[n++] = (struct pollfd){ .fd = m->out_fd, .events = POLLIN };
		}
		if (m->err_fd >= 0 && !pending) {
			err_at = n;
			fds[n++] = (struct pollfd){ .fd = m->err_fd, .events = POLLIN };
		}
		for (int i = 0; i < m->n_clients; i++)
			fds[n++] = (struct pollfd){
				.fd = m->clients[i].fd,
				.events = POLLIN | (m->clients[i].n_pending ? POLLOUT : 0)
			};
		if (poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* a client that attached before the start must see all output:
		 * new clients first */
		if (fds[1].revents & POLLIN)
			accept_client(m);
		if (out_at >= 0 && fds[out_at].revents &&
		    pump_output(m, m->out_fd, ATTACH_STDOUT) == PUMP_END) {
			close(m->out_fd);
			m->out_fd = -1;
		}
		if (err_at >= 0 && fds[err_at].revents &&
		    pump_output(m, m->err_fd, ATTACH_STDERR) == PUMP_END) {
			close(m->err_fd);
			m->err_fd = -1;
		}
		for (int i = m->n_clients - 1, at = n - 1; i >= 0; i--, at--) {
			struct client *c = &m->clients[i];

			if (i >= m->n_clients)
				continue;
			if ((fds[at].revents & POLLOUT) && c->n_pending > 0 &&
			    send(c->fd, c->pending, c->n_pending, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
				c->n_pending = 0;
			if (fds[at].revents & (POLLIN | POLLHUP | POLLERR))
				client_input(m, i);
		}
		if ((fds[0].revents & POLLIN) && reap(m, &status))
			break;
	}
	/* what the container wrote before it ended is still in the pipes */
	for (int *fd = &m->out_fd; fd <= &m->err_fd; fd++)
		if (*fd >= 0) {
			fcntl(*fd, F_SETFL, O_NONBLOCK);
			while (pump_output(m, *fd,
					   fd == &m->out_fd ? ATTACH_STDOUT : ATTACH_STDERR) ==
			       PUMP_DATA)
				;
		}
	return status;
}

static void close_stdio(struct mon *m)
{
	if (m->in_fd >= 0 && m->in_fd != m->out_fd)
		close(m->in_fd);
	if (m->out_fd >= 0)
		close(m->out_fd);
	if (m->err_fd >= 0)
		close(m->err_fd);
	m->in_fd = m->out_fd = m->err_fd = -1;
}

/* Whether the restart policy wants the container again after CODE. */
static bool wants_restart(struct mon *m, int code)
{
	if (store_reload(m->db, &m->r, &(struct error){ 0 }) != 0 || m->r.stopping)
		return false;
	if (strcmp(m->r.restart, "always") == 0)
		return true;
	return strcmp(m->r.restart, "on-failure") == 0 && code != 0 &&
	       (m->r.restart_max == 0 || m->r.restarts < m->r.restart_max);
}

/* The end of the init: its exit status, and whether the kernel's OOM
 * killer struck (the cgroup's own count, read before the cgroup goes);
 * the core's part of the container is freed. */
static int ended(struct mon *m, int status, bool *oom)
{
	struct cgroup cg = { 0 };

	*oom = false;
	if (ctr_cgroup(m->core, m->r.id, &cg, &(struct error){ 0 }) == 0)
		*oom = cg_oom_kills(&cg) > 0;
	ctr_delete(m->core, m->r.id, true, &(struct error){ 0 });
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Records the end: stopped, unless AGAIN (a restart follows: the
 * container stays running in the store, with its last exit status). */
static int record_exit(struct mon *m, int code, bool oom, bool again, struct error *err)
{
	char now[40];

	st_now(now, sizeof(now));
	return store_change(
		m->db, err,
		again ? "UPDATE containers SET exit_code = ?2, oom = ?3, finished = ?4"
			" WHERE id = ?1"
		      : "UPDATE containers SET state = 'stopped', pid = 0, pid_start = 0,"
			" has_exit = 1, exit_code = ?2, oom = ?3, finished = ?4 WHERE id = ?1",
		"siis", m->r.id, (long long)code, (long long)oom, now);
}

static int mark_created(struct mon *m, struct error *err)
{
	return store_change(m->db, err,
			    "UPDATE containers SET state = 'created', pid = ?2, pid_start = ?3,"
			    " has_exit = 0, oom = 0 WHERE id = ?1",
			    "sii", m->r.id, (long long)m->pid, (long long)st_start_time(m->pid));
}

/* A restart: the container again, from the same bundle, started at once. */
static int restart(struct mon *m, struct error *err)
{
	char now[40];

	if (create_container(m, err) < 0 || ctr_start(m->core, m->r.id, err) < 0)
		return -1;
	st_now(now, sizeof(now));
	return store_change(m->db, err,
			    "UPDATE containers SET state = 'running', pid = ?2, pid_start = ?3,"
			    " started = ?4, restarts = restarts + 1 WHERE id = ?1",
			    "siis", m->r.id, (long long)m->pid, (long long)st_start_time(m->pid),
			    now);
}

/* The monitor's first steps, up to the container created. */
static int setup(struct mon *m, struct error *err)
{
	char log[PATH_MAX];
	sigset_t set;
	int n;

	if (store_open(m->p->lib, &m->db, err) < 0)
		return -1;
	/* the record is the monitor's from now on: a cell that finds it dead
	 * settles it; if the record changed (settled already), stop here */
	n = store_change(m->db, err,
			 "UPDATE containers SET monitor = ?2, monitor_start = ?3 WHERE id = ?1 AND"
			 " state = 'creating'",
			 "sii", m->r.id, (long long)getpid(), (long long)st_start_time(getpid()));
	if (n < 0)
		return -1;
	if (n == 0)
		return err_set(err, "container %s: its record changed while it was created",
			       m->r.id);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sig_fd < 0)
		return err_sys(err, "signalfd");
	m->host_mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (m->host_mnt < 0)
		return err_sys(err, "open /proc/self/ns/mnt");
	if (share_volumes(m, err) < 0 || mount_rootfs(m, err) < 0)
		return -1;
	if (mkdir(m->dir, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", m->dir);
	m->listen_fd = listen_on(m->dir, "attach", SOCK_SEQPACKET, err);
	if (m->listen_fd < 0)
		return -1;
	snprintf(log, sizeof(log), "%s/" LOG_NAME, m->bundle);
	m->log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (m->log_fd < 0)
		return err_sys(err, "open %s", log);
	if (create_container(m, err) < 0)
		return -1;
	trace_step(m, "monitor", "10");
	return mark_created(m, err);
}

/* What the container held on the host outside the core: its shared
 * volumes' mount points (unmounted in the host's namespace, which the
 * monitor joins again: its own is of no more use) and its network. */
static void leave_host(struct mon *m)
{
	if (m->host_mnt >= 0 && setns(m->host_mnt, CLONE_NEWNS) == 0)
		mon_release_shares(m->db, m->r.id, &(struct error){ 0 });
	mon_leave_network(m->db, m->p, m->r.id, MON_BRIDGE_LINGER_MS, &(struct error){ 0 });
}

static void run_dir_parents(const struct places *p)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/containers", p->run);
	mkdir(p->run, 0755);
	mkdir(dir, 0700);
}

static void monitor_main(const struct places *p, const struct record *r, FILE *trace,
			 const struct mon_tracer *tracer, int report)
{
	struct mon m = { .p = p,
			 .r = *r,
			 .trace = trace,
			 .tracer = tracer,
			 .log_fd = -1,
			 .listen_fd = -1,
			 .host_mnt = -1,
			 .slirp = { .exit_fd = -1 },
			 .overlay = { .fuse_err = -1 } };
	int keep[] = { report, trace != NULL ? fileno(trace) : -1,
		       tracer != NULL ? tracer->fd : -1 };
	struct error err = { 0 };
	int status, code, none[3] = { -1, -1, -1 };
	char text[ERR_MSG_MAX + 128];
	bool again;

	setsid();
	prctl(PR_SET_NAME, "cell-monitor", 0, 0, 0);
	/* the caller's store, its files: the monitor opens its own */
	ctr_close_fds_except(3, keep, sizeof(keep) / sizeof(keep[0]));
	/* nothing of the caller's but the report pipe, the steps' trace and
	 * --trace's file: its
	 * stdout must not wait for the monitor to end ($(cell run -d ...)) */
	set_stdio(none, &err);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	mon_bundle(p, r->id, m.bundle, sizeof(m.bundle));
	mon_core_root(p, m.core, sizeof(m.core));
	mon_run_dir(p, r->id, m.dir, sizeof(m.dir));
	run_dir_parents(p);
	if (setup(&m, &err) < 0) {
		err_text(&err, text, sizeof(text));
		if (write(report, text, strlen(text)) < 0)
			_exit(1);
		if (m.db != NULL)
			store_change(m.db, &err,
				     "UPDATE containers SET state = 'stopped', monitor = 0,"
				     " has_exit = 1, exit_code = -1 WHERE id = ?1",
				     "s", m.r.id);
		mnt_overlay_release(&m.overlay);
		mon_free(p, m.r.id, false, &err);
		if (m.db != NULL)
			leave_host(&m);
		_exit(1);
	}
	if (write(report, "", 1) < 0)
		_exit(1);
	close(report);
	if (m.trace != NULL)
		fclose(m.trace);
	m.trace = NULL;

	do {
		bool oom;

		status = watch(&m);
		stop_tracer(&m);
		net_slirp_stop(&m.slirp);
		close_stdio(&m);
		code = ended(&m, status, &oom);
		again = wants_restart(&m, code);
		record_exit(&m, code, oom, again, &err);
		if (again && restart(&m, &err) < 0) {
			record_exit(&m, code, oom, false, &err);
			again = false;
		}
	} while (again);

	mnt_overlay_release(&m.overlay);
	store_reload(m.db, &m.r, &err);
	if (m.r.rm) {
		/* the record last, and only once the rest is gone */
		if (mon_free(p, m.r.id, true, &err) == 0)
			store_delete(m.db, m.r.id, &err);
	} else {
		mon_free(p, m.r.id, false, &err);
	}
	/* the attached learn the status once the container is truly gone */
	snprintf(text, sizeof(text), "%c%d", ATTACH_EXIT, code);
	for (int i = 0; i < m.n_clients; i++)
		send(m.clients[i].fd, text, strlen(text), MSG_NOSIGNAL);
	/* the network last: its veth costs the kernel tens of milliseconds
	 * to delete (an RCU grace period, and more), which nobody waits for */
	leave_host(&m);
	store_close(m.db);
	_exit(0);
}

int mon_start(const struct places *p, const struct record *r, FILE *trace,
	      const struct mon_tracer *tracer, struct error *err)
{
	char text[ERR_MSG_MAX + 128];
	int report[2];
	ssize_t n;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(report[0]);
		close(report[1]);
		return err_sys(err, "fork the monitor");
	}
	if (pid == 0) {
		close(report[0]);
		monitor_main(p, r, trace, tracer, report[1]);
	}
	close(report[1]);
	do
		n = read(report[0], text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n == 1 && text[0] == '\0')
		return 0;
	if (n <= 0)
		return err_set(err, "container %s: its monitor ended before it was created", r->id);
	text[n] = '\0';
	return err_set(err, "%s", text);
}
