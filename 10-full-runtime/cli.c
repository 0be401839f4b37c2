/*
 * cli.c: the people's command line, podman's names and flags (RUNTIME.md,
 * "Two command lines"): cell run, ps, exec, logs, stats, stop, rm...
 *
 * `cell run` turns its flags into an OCI bundle (config.json, and the
 * root file system as an overlay whose lower layer is --rootfs) under
 * /var/lib/cell/containers/ID, records the container in the store, and
 * starts its monitor, which creates it with the same core that runc's
 * command line drives. Every later command finds the container in the
 * store; a record whose monitor was killed is settled first (monitor.c).
 *
 * Exit status, as podman's: a foreground run's own status, 125 when cell
 * failed (one line on stderr naming the container, flag or state), 126
 * and 127 from the core when the program cannot be run or found.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "defaults.h"
#include "cgroup.h"
#include "container.h"
#include "image.h"
#include "images.h"
#include "monitor.h"
#include "mount.h"
#include "net.h"
#include "probe.h"
#include "rootless.h"
#include "spec.h"
#include "state.h"
#include "store.h"
#include "term.h"
#include "web.h"

#define EXIT_CELL      125 /* cell itself failed (podman's) */
#define STOP_TIMEOUT   10  /* seconds between SIGTERM and SIGKILL */
#define MONITOR_WAIT   10  /* seconds a monitor has to record an end */
#define CFS_PERIOD     100000
#define STATS_INTERVAL 500 /* ms between the two CPU samples of stats */

static struct places places;
static sqlite3 *db;
static bool verbose;
static bool rootless; /* an ordinary user's cell, root of the user's namespace */

/* ---- errors and small helpers ---- */

static int fail(const struct error *err)
{
	char text[ERR_MSG_MAX + 128];

	fprintf(stderr, "cell: %s\n", err_text(err, text, sizeof(text)));
	return EXIT_CELL;
}

/* One line on stderr; -1, for a step whose caller goes on or stops. */
__attribute__((format(printf, 1, 2))) static int refuse(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cell: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* The same, ending a command: cell's exit status. */
#define failf(...) (refuse(__VA_ARGS__), EXIT_CELL)

static int fail_err(const struct error *err)
{
	fail(err);
	return -1;
}

static int usage_error(const char *cmd)
{
	fprintf(stderr, "Try 'cell %s --help'.\n", cmd);
	return EXIT_CELL;
}

static void core_root(char *out, size_t size)
{
	mon_core_root(&places, out, size);
}

/* getopt_long over a command's own arguments, with --help as 'h'. */
static int next_opt(int argc, char **argv, const char *shorts, const struct option *longs)
{
	return getopt_long(argc, argv, shorts, longs, NULL);
}

/* Brings R up to date (monitor.c): 1 when the record is gone. */
static int settle(struct record *r, struct error *err)
{
	return mon_refresh(db, &places, r, err);
}

/* The container REF, brought up to date. A failure to settle it (a
 * cgroup that will not go yet) is not the command's: the record stays,
 * and the next command, or rm, tries again. */
static int find(const char *ref, struct record *r, struct error *err)
{
	if (store_find(db, ref, r, err) < 0)
		return -1;
	if (settle(r, &(struct error){ 0 }) == 1)
		return err_set(err, "no such container: %s", ref);
	if (store_reload(db, r, err) != 0)
		return err->msg[0] ? -1 : err_set(err, "no such container: %s", ref);
	return 0;
}

static bool is(const struct record *r, const char *state)
{
	return strcmp(r->state, state) == 0;
}

static bool alive(const struct record *r)
{
	return is(r, "running") || is(r, "paused") || is(r, "created");
}

/* Waits up to SECONDS for COND(R) to turn false, re-reading R. */
static bool wait_while(struct record *r, bool (*cond)(const struct record *), int seconds)
{
	for (int i = 0; i < seconds * 20; i++) {
		if (store_reload(db, r, &(struct error){ 0 }) != 0 || !cond(r))
			return true;
		usleep(50000);
	}
	return false;
}

static bool init_lives(const struct record *r)
{
	return probe_init_lives(r);
}

static bool monitor_lives(const struct record *r)
{
	return mon_alive(r);
}

/* ---- building the bundle from flags ---- */

struct run_opts {
	const char *name, *rootfs, *hostname, *workdir, *user, *restart, *seccomp;
	const char *network, *ipc, *pid, *uts, *sched, *ip, *upper, *trace;
	const char *net_name; /* the network it joins: bridge's, or a created one */
	json_t *ports;	      /* -p, as given */
	json_t *shared;	      /* -v SRC:DST:rshared[,ro], as [SRC, DST, RO] */
	const char *rate;     /* --network-rate */
	const char *slirp;    /* --network slirp4netns[:OPTIONS]: its options, or NULL */
	bool detach, interactive, tty, rm, init, userns;
	json_t *env, *mounts, *cap_add, *cap_drop;
	json_t *resources; /* linux.resources */
	json_t *read_bps, *write_bps;
	const char *image;    /* IMAGE, when no --rootfs */
	json_t *image_config; /* its config's "config": Cmd, Entrypoint, Env... */
	char image_id[STORE_IMAGE_LEN + 1];
};

/* "64m", "1g", "512k", "100" -> bytes */
static int parse_size(const char *flag, const char *text, long long *out)
{
	char *end;
	double v;
	long long mult = 1;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno != 0 || v < 0)
		return refuse("%s: \"%s\" is not a size (try 64m or 1g)", flag, text);
	switch (tolower((unsigned char)*end)) {
	case 'k':
		mult = 1LL << 10;
		break;
	case 'm':
		mult = 1LL << 20;
		break;
	case 'g':
		mult = 1LL << 30;
		break;
	case 'b':
	case '\0':
		break;
	default:
		return refuse("%s: \"%s\" is not a size (try 64m or 1g)", flag, text);
	}
	if (*end != '\0' && end[1] != '\0' &&
	    !(tolower((unsigned char)end[1]) == 'b' && end[2] == '\0'))
		return refuse("%s: \"%s\" is not a size (try 64m or 1g)", flag, text);
	*out = (long long)(v * (double)mult);
	return 0;
}

static int parse_int(const char *flag, const char *text, long long min, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || *out < min)
		return refuse("%s: \"%s\" is not a whole number of at least %lld", flag, text, min);
	return 0;
}

static json_t *object_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (o == NULL) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

/* DEV:RATE, e.g. /dev/vda:1mb -> {"major", "minor", "rate"} */
static int device_rate(const char *flag, const char *text, json_t *list)
{
	char dev[PATH_MAX];
	const char *colon = strrchr(text, ':');
	struct stat st;
	long long rate;

	if (colon == NULL || (size_t)(colon - text) >= sizeof(dev))
		return refuse("%s: \"%s\" is not DEVICE:RATE (try /dev/vda:1mb)", flag, text);
	memcpy(dev, text, (size_t)(colon - text));
	dev[colon - text] = '\0';
	if (stat(dev, &st) < 0)
		return refuse("%s: %s: %s", flag, dev, strerror(errno));
	if (!S_ISBLK(st.st_mode))
		return refuse("%s: %s is not a block device", flag, dev);
	if (parse_size(flag, colon + 1, &rate) < 0)
		return -1;
	json_array_append_new(
		list, json_pack("{s:I, s:I, s:I}", "major", (json_int_t)major(st.st_rdev), "minor",
				(json_int_t)minor(st.st_rdev), "rate", (json_int_t)rate));
	return 0;
}

static bool valid_name(const char *name);

/* LIB/volumes/NAME/_data: a named volume's files */
static void volume_path(const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/volumes/%s/_data", places.lib, name);
}

/* A named volume, made on first use (cell volume create, or -v NAME:DST). */
static int volume_make(const char *name, char *path, size_t size, struct error *err)
{
	char now[40], dir[PATH_MAX];

	if (!valid_name(name) || strlen(name) > 64)
		return err_set(err,
			       "volume %s: letters, digits and _.- only, starting with a "
			       "letter or digit",
			       name);
	snprintf(dir, sizeof(dir), "%s/volumes", places.lib);
	if (mkdir(dir, 0711) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", dir);
	snprintf(dir, sizeof(dir), "%s/volumes/%s", places.lib, name);
	if (mkdir(dir, 0711) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", dir);
	volume_path(name, path, size);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", path);
	st_now(now, sizeof(now));
	return store_volume_add(db, name, now, err);
}

/*
 * -v SRC:DST[:MODE[,MODE]]: SRC a host path, or the name of a volume;
 * MODE ro or rw, and rshared.
 * ro and rw: a bind in config.json, private (rprivate): what either side
 * mounts below it later stays on that side. rshared: a peer of the host's
 * mount of SRC, attached by the monitor (the core's bind would be a copy
 * of a private one): what the host mounts below SRC appears in every such
 * container at once, and what they mount below DST on the host; with ro
 * too, that peer is made read-only (its own flag: the host's stays rw).
 */
static int volume(const char *text, json_t *mounts, json_t *shared)
{
	char *copy = strdup(text), *dst, *mode, src[PATH_MAX];
	struct error err = { 0 };
	bool is_mount, is_shared, ro = false, rw = false, rshared = false;
	int ret = -1;

	dst = strchr(copy, ':');
	if (dst == NULL) {
		refuse("-v %s: give HOST-PATH:CONTAINER-PATH[:MODE] or "
		       "VOLUME:CONTAINER-PATH[:MODE]",
		       text);
		goto out;
	}
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode != NULL)
		*mode++ = '\0';
	for (char *save = NULL, *m = mode != NULL ? strtok_r(mode, ",", &save) : NULL; m != NULL;
	     m = strtok_r(NULL, ",", &save)) {
		bool *flag = strcmp(m, "ro") == 0	 ? &ro
			     : strcmp(m, "rw") == 0	 ? &rw
			     : strcmp(m, "rshared") == 0 ? &rshared
							 : NULL;

		if (flag == NULL || *flag) {
			refuse("-v %s: \"%s\": the mode is ro, rw or rshared, or "
			       "rshared,ro",
			       text, m);
			goto out;
		}
		*flag = true;
	}
	if (ro && rw) {
		refuse("-v %s: ro or rw, not both", text);
		goto out;
	}
	if (dst[0] != '/' || strchr(dst, '\n') != NULL) {
		refuse("-v %s: the container's path must be absolute", text);
		goto out;
	}
	if (strchr(copy, '/') == NULL) {
		if (volume_make(copy, src, sizeof(src), &err) < 0) {
			refuse("-v %s: %s", text, err.msg);
			goto out;
		}
	} else if (realpath(copy, src) == NULL) {
		refuse("-v %s: %s: %s", text, copy, strerror(errno));
		goto out;
	}
	if (rshared) {
		mnt_point_info(src, &is_mount, &is_shared);
		if (is_mount && !is_shared) {
			refuse("-v %s: %s is a mount point whose propagation is private: "
			       "mount --make-shared %s first",
			       text, src, src);
			goto out;
		}
		if (strchr(src, '\n') != NULL) {
			refuse("-v %s: no newline in the path", text);
			goto out;
		}
		json_array_append_new(shared, json_pack("[s,s,b]", src, dst, ro));
		ret = 0;
		goto out;
	}
	json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "destination", dst,
						"type", "bind", "source", src, "options", "rbind",
						"rprivate", ro ? "ro" : "rw"));
	ret = 0;
out:
	free(copy);
	return ret;
}

/* Removes the namespace TYPE from linux.namespaces, or gives it a path. */
static void set_namespace(json_t *config, const char *type, const char *path)
{
	json_t *list = json_object_get(json_object_get(config, "linux"), "namespaces"), *ns;
	size_t i;

	json_array_foreach(
		list, i, ns) if (strcmp(json_string_value(json_object_get(ns, "type")), type) == 0)
	{
		if (path == NULL)
			json_array_remove(list, i);
		else
			json_object_set_new(ns, "path", json_string(path));
		return;
	}
}

/* --ipc/--pid/--network/--uts: "host", "container:NAME", or the default */
static int namespace_flag(json_t *config, const char *flag, const char *type, const char *proc_name,
			  const char *value, bool allow_none)
{
	struct record other;
	struct error err = { 0 };
	char path[64];

	if (value == NULL || (allow_none && strcmp(value, "none") == 0) ||
	    strcmp(value, "private") == 0)
		return 0;
	if (strcmp(value, "host") == 0) {
		set_namespace(config, type, NULL);
		return 0;
	}
	if (strncmp(value, "container:", 10) != 0)
		return refuse("%s: \"%s\": give host, container:NAME%s", flag, value,
			      allow_none ? " or none" : "");
	if (find(value + 10, &other, &err) < 0)
		return refuse("%s: %s", flag, err.msg);
	if (!init_lives(&other))
		return refuse("%s: container %s is not running", flag, other.name);
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", other.pid, proc_name);
	set_namespace(config, type, path);
	return 0;
}

static int change_caps(json_t *config, json_t *add, json_t *drop)
{
	json_t *caps = json_object_get(json_object_get(config, "process"), "capabilities");
	static const char *const sets[] = { "bounding", "effective", "permitted" };
	json_t *v, *c;
	size_t i, j;

	for (size_t s = 0; s < 3; s++) {
		json_t *list = json_object_get(caps, sets[s]);

		json_array_foreach(drop, i, v)
		{
			const char *name = json_string_value(v);

			if (strcmp(name, "ALL") == 0) {
				json_array_clear(list);
				continue;
			}
			json_array_foreach(list, j, c) if (strcmp(json_string_value(c), name) == 0)
			{
				json_array_remove(list, j);
				break;
			}
		}
		json_array_foreach(add, i, v)
		{
			bool have = false;

			json_array_foreach(list, j, c) have =
				have || strcmp(json_string_value(c), json_string_value(v)) == 0;
			if (!have)
				json_array_append(list, v);
		}
	}
	return 0;
}

/* "chown", "CAP_CHOWN", "ALL" -> "CAP_CHOWN" or "ALL" */
static int cap_flag(const char *flag, const char *text, json_t *list)
{
	char name[64];

	if (strcasecmp(text, "ALL") == 0) {
		json_array_append_new(list, json_string("ALL"));
		return 0;
	}
	snprintf(name, sizeof(name), "%s%s", strncasecmp(text, "CAP_", 4) == 0 ? "" : "CAP_", text);
	for (char *c = name; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	if (spec_cap_number(name) < 0)
		return refuse("%s: %s is not a capability (see capabilities(7))", flag, text);
	json_array_append_new(list, json_string(name));
	return 0;
}

/* --sched other|batch|idle|fifo:PRIO|rr:PRIO -> process.scheduler */
static int sched_flag(const char *text, json_t *process)
{
	static const char *const names[] = { "other", "batch", "idle", "fifo", "rr" };
	const char *colon = strchr(text, ':');
	size_t len = colon != NULL ? (size_t)(colon - text) : strlen(text);
	char policy[16];
	long long prio = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) != len || strncmp(text, names[i], len) != 0)
			continue;
		if ((i >= 3) != (colon != NULL))
			return refuse(
				"--sched %s: give fifo:PRIO or rr:PRIO (1-99), or other, batch, "
				"idle",
				text);
		if (colon != NULL && (parse_int("--sched", colon + 1, 1, &prio) < 0 || prio > 99))
			return prio > 99 ? refuse("--sched %s: the priority is 1 to 99", text) : -1;
		snprintf(policy, sizeof(policy), "SCHED_%s", names[i]);
		for (char *c = policy; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		json_object_set_new(
			process, "scheduler",
			json_pack("{s:s, s:I}", "policy", policy, "priority", (json_int_t)prio));
		return 0;
	}
	return refuse("--sched %s: give other, batch, idle, fifo:PRIO or rr:PRIO", text);
}

#define INIT_IN_CONTAINER "/run/cell-init"

/* -U: root inside is this host range (stage 07's default, the start of
 * the range systemd-nspawn picks from is below it). Every -U container
 * shares it, as docker's userns-remap does. */
#define USERNS_BASE  1879048192
#define USERNS_COUNT 65536

/* A program of cell's (cell-init, cell-trace): $ENV, the build's BUILT,
 * or NAME on PATH (installed); FLAG names what wants it in the error. */
static int find_program(const char *name, const char *env, const char *built, const char *flag,
			char *out, size_t size)
{
	const char *given = getenv(env), *path = getenv("PATH");
	char *dirs, *save = NULL;

	snprintf(out, size, "%s", given != NULL ? given : built);
	if (access(out, X_OK) == 0)
		return 0;
	dirs = strdup(path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = dirs != NULL ? strtok_r(dirs, ":", &save) : NULL; d != NULL;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", d, name);
		if (access(out, X_OK) == 0) {
			free(dirs);
			return 0;
		}
	}
	free(dirs);
	return refuse("%s: %s is not found (%s, PATH): run make in 10-full-runtime, or set %s",
		      flag, name, given != NULL ? given : built, env);
}

/* --init: a copy of cell-init in the bundle, bound read-only into the
 * container, runs the command as its child. */
static void add_init(json_t *config, const char *id)
{
	json_t *process = json_object_get(config, "process"), *args = json_array(), *old;
	char bundle[PATH_MAX], source[PATH_MAX + 16];
	size_t i;

	mon_bundle(&places, id, bundle, sizeof(bundle));
	snprintf(source, sizeof(source), "%s/cell-init", bundle);
	json_array_append_new(json_object_get(config, "mounts"),
			      json_pack("{s:s, s:s, s:s, s:[s,s]}", "destination",
					INIT_IN_CONTAINER, "type", "bind", "source", source,
					"options", "bind", "ro"));
	json_array_append_new(args, json_string(INIT_IN_CONTAINER));
	json_array_append_new(args, json_string("--"));
	json_array_foreach(json_object_get(process, "args"), i, old) json_array_append(args, old);
	json_object_set_new(process, "args", args);
}

/* LIB/networks/NAME, where its hosts file is */
static int make_network_dir(const char *name, struct error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/networks", places.lib);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", path);
	snprintf(path, sizeof(path), "%s/networks/%s", places.lib, name);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", path);
	return 0;
}

/* -p's ports, for the monitor, as one annotation: "P1,P2..." */
static int ports_note(struct run_opts *o, json_t *notes)
{
	char *ports = NULL, *grown;
	size_t i, len = 0;
	json_t *v;

	json_array_foreach(o->ports, i, v)
	{
		const char *t = json_string_value(v);

		grown = realloc(ports, len + strlen(t) + 2);
		if (grown == NULL) {
			free(ports);
			return refuse("-p: out of memory");
		}
		ports = grown;
		len += (size_t)sprintf(ports + len, "%s%s", len ? "," : "", t);
	}
	if (ports != NULL)
		json_object_set_new(notes, MON_PORTS_ANNOTATION, json_string(ports));
	free(ports);
	return 0;
}

/* --network bridge|NAME: the network's name and ports for the monitor,
 * and the network's hosts file on /etc/hosts (read-only: the network's,
 * written by cell alone). */
static int join_config(struct run_opts *o, json_t *config)
{
	json_t *notes = object_at(config, "annotations");
	struct store_network n;
	struct error err = { 0 };
	char hosts[PATH_MAX];

	if (store_network_get(db, o->net_name, &n, &err) < 0)
		return refuse("--network %s: %s", o->net_name, err.msg);
	mon_hosts_path(&places, o->net_name, hosts, sizeof(hosts));
	if (make_network_dir(o->net_name, &err) < 0 ||
	    mon_write_hosts(db, &places, o->net_name, &err) < 0)
		return fail_err(&err);
	json_array_append_new(json_object_get(config, "mounts"),
			      json_pack("{s:s, s:s, s:s, s:[s,s]}", "destination", "/etc/hosts",
					"type", "bind", "source", hosts, "options", "bind", "ro"));
	json_object_set_new(notes, MON_NET_ANNOTATION, json_string(o->net_name));
	return ports_note(o, notes);
}

/* --network slirp4netns[:allow_host_loopback=true|false] (rootless's
 * default, podman's name and option): its options and ports for the
 * monitor, which starts it. */
static int slirp_config(struct run_opts *o, json_t *config)
{
	const char *opts = o->slirp;

	if (opts[0] != '\0' && strcmp(opts, "allow_host_loopback=true") != 0 &&
	    strcmp(opts, "allow_host_loopback=false") != 0)
		return refuse("--network slirp4netns:%s: the option cell knows is "
			      "allow_host_loopback=true|false",
			      opts);
	json_object_set_new(object_at(config, "annotations"), MON_SLIRP_ANNOTATION,
			    json_string(opts));
	return ports_note(o, object_at(config, "annotations"));
}

/* Sets ENV's KEY=VALUE (KV), in place of one with the same KEY. */
static void set_env(json_t *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t i, k = eq ? (size_t)(eq - kv) + 1 : strlen(kv);
	json_t *x;

	json_array_foreach(env, i, x) if (strncmp(json_string_value(x), kv, k) == 0)
	{
		json_array_set_new(env, i, json_string(kv));
		return;
	}
	json_array_append_new(env, json_string(kv));
}

/*
 * The image's defaults, as podman takes them: the program is its
 * Entrypoint followed by the command given, or by its Cmd; its Env over
 * the default environment; its WorkingDir and User (numbers; -w and -u
 * come after and win).
 */
static int image_defaults(struct run_opts *o, char **args, json_t *process)
{
	json_t *entry = json_object_get(o->image_config, "Entrypoint");
	json_t *cmd = json_object_get(o->image_config, "Cmd"), *a = json_array(), *x;
	const char *cwd = json_string_value(json_object_get(o->image_config, "WorkingDir"));
	const char *user = json_string_value(json_object_get(o->image_config, "User"));
	size_t i;

	if (json_is_array(entry))
		json_array_extend(a, entry);
	if (args[0] != NULL)
		for (i = 0; args[i] != NULL; i++)
			json_array_append_new(a, json_string(args[i]));
	else if (json_is_array(cmd))
		json_array_extend(a, cmd);
	if (json_array_size(a) == 0) {
		json_decref(a);
		return refuse("%s: the image has no Cmd or Entrypoint: give a command", o->image);
	}
	json_array_foreach(a, i, x) if (!json_is_string(x))
	{
		json_decref(a);
		return refuse("%s: the image's Cmd or Entrypoint holds a non-string", o->image);
	}
	json_object_set_new(process, "args", a);
	json_array_foreach(json_object_get(o->image_config, "Env"), i, x) if (json_is_string(x))
		set_env(json_object_get(process, "env"), json_string_value(x));
	if (cwd != NULL && cwd[0] == '/')
		json_object_set_new(process, "cwd", json_string(cwd));
	if (user != NULL && user[0] != '\0' && o->user == NULL) {
		if (strspn(user, "0123456789:") != strlen(user))
			return refuse("%s: the image's User %s: cell takes numbers (UID[:GID]) "
				      "only; give -u",
				      o->image, user);
		o->user = user;
	}
	return 0;
}

/* The config.json of `cell run`'s flags. */
static json_t *build_config(struct run_opts *o, char **args, const char *id)
{
	char *text = spec_default_json("rootfs"), host[13];
	json_t *config = text != NULL ? json_loads(text, 0, NULL) : NULL;
	json_t *process, *root, *a, *env, *linux_, *mounts;
	json_t *res;

	free(text);
	if (config == NULL) {
		refuse("the default configuration: out of memory");
		return NULL;
	}
	process = json_object_get(config, "process");
	linux_ = json_object_get(config, "linux");
	root = json_object_get(config, "root");
	json_object_set_new(root, "readonly", json_false()); /* the overlay takes the writes */
	env = json_object_get(process, "env");
	if (o->image_config != NULL && image_defaults(o, args, process) < 0)
		goto bad;
	if (args[0] != NULL && o->image_config == NULL) {
		a = json_array();
		for (size_t i = 0; args[i] != NULL; i++)
			json_array_append_new(a, json_string(args[i]));
		json_object_set_new(process, "args", a);
	}
	json_object_set_new(process, "terminal", json_boolean(o->tty));
	json_array_extend(env, o->env);
	if (o->workdir != NULL)
		json_object_set_new(process, "cwd", json_string(o->workdir));
	if (o->user != NULL) {
		unsigned long uid, gid = 0;
		char *end;

		uid = strtoul(o->user, &end, 10);
		if (*end == ':')
			gid = strtoul(end + 1, &end, 10);
		else
			gid = uid;
		if (end == o->user || *end != '\0') {
			refuse("--user %s: give UID or UID:GID (numbers)", o->user);
			goto bad;
		}
		json_object_set_new(json_object_get(process, "user"), "uid",
				    json_integer((json_int_t)uid));
		json_object_set_new(json_object_get(process, "user"), "gid",
				    json_integer((json_int_t)gid));
	}
	snprintf(host, sizeof(host), "%.12s", id);
	json_object_set_new(config, "hostname", json_string(o->hostname ? o->hostname : host));
	mounts = json_object_get(config, "mounts");
	json_array_extend(mounts, o->mounts);
	if (namespace_flag(config, "--network", "network", "net",
			   o->net_name || o->slirp ? NULL : o->network, true) < 0 ||
	    namespace_flag(config, "--ipc", "ipc", "ipc", o->ipc, false) < 0 ||
	    namespace_flag(config, "--pid", "pid", "pid", o->pid, false) < 0 ||
	    namespace_flag(config, "--uts", "uts", "uts", o->uts, false) < 0)
		goto bad;
	if (o->uts != NULL && strcmp(o->uts, "host") == 0)
		json_object_del(config, "hostname");
	change_caps(config, o->cap_add, o->cap_drop);
	if (o->seccomp != NULL && strcmp(o->seccomp, "unconfined") == 0) {
		json_object_del(linux_, "seccomp");
	} else if (o->seccomp != NULL && strcmp(o->seccomp, "default") != 0) {
		json_error_t jerr;
		json_t *profile = json_load_file(o->seccomp, 0, &jerr);

		if (profile == NULL) {
			refuse("--seccomp %s: %s (line %d)", o->seccomp, jerr.text, jerr.line);
			goto bad;
		}
		json_object_set_new(linux_, "seccomp", profile);
	}
	if (o->sched != NULL && sched_flag(o->sched, process) < 0)
		goto bad;
	if (o->init)
		add_init(config, id);
	if (o->ip != NULL)
		json_object_set_new(object_at(config, "annotations"), MON_IP_ANNOTATION,
				    json_string(o->ip));
	if ((o->net_name != NULL && join_config(o, config) < 0) ||
	    (o->slirp != NULL && slirp_config(o, config) < 0))
		goto bad;
	if (o->rate != NULL)
		json_object_set_new(object_at(config, "annotations"), MON_RATE_ANNOTATION,
				    json_string(o->rate));
	if (json_array_size(o->shared) > 0) {
		char *list = json_dumps(o->shared, JSON_COMPACT);

		json_object_set_new(object_at(config, "annotations"), MON_SHARED_ANNOTATION,
				    json_string(list));
		free(list);
	}
	if (o->userns) {
		json_t *map = json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
					(json_int_t)USERNS_BASE, "size", USERNS_COUNT);

		json_array_append_new(json_object_get(linux_, "namespaces"),
				      json_pack("{s:s}", "type", "user"));
		json_object_set(linux_, "uidMappings", map);
		json_object_set_new(linux_, "gidMappings", map);
	}
	res = json_object_get(linux_, "resources");
	json_object_update(res, o->resources);
	if (json_array_size(o->read_bps) > 0)
		json_object_set(object_at(res, "blockIO"), "throttleReadBpsDevice", o->read_bps);
	if (json_array_size(o->write_bps) > 0)
		json_object_set(object_at(res, "blockIO"), "throttleWriteBpsDevice", o->write_bps);
	return config;
bad:
	json_decref(config);
	return NULL;
}

/* ---- names and ids ---- */

static void new_id(char *id)
{
	unsigned char bytes[STORE_ID_LEN / 2];

	if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = (unsigned char)random();
	for (size_t i = 0; i < sizeof(bytes); i++)
		sprintf(id + 2 * i, "%02x", bytes[i]);
}

/* A name for a container run without --name: two words, as podman's. */
static void new_name(char *name, size_t size)
{
	static const char *const first[] = { "brave",  "calm",	"eager", "fond",  "gentle",
					     "happy",  "jolly", "keen",	 "lucid", "merry",
					     "nimble", "proud", "quiet", "sharp", "tidy",
					     "vivid",  "wise",	"zesty", "bold",  "clever" };
	static const char *const second[] = { "chroot", "clone",   "cgroup", "veth",	"overlay",
					      "pivot",	"seccomp", "setns",  "unshare", "bpf",
					      "mount",	"procfs",  "tmpfs",  "netlink", "freezer",
					      "caps",	"uts",	   "ipc",    "userns",	"bundle" };
	unsigned int r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned int)random();
	snprintf(name, size, "%s_%s", first[r % 20], second[(r / 20) % 20]);
}

static bool valid_name(const char *name)
{
	if (!isalnum((unsigned char)name[0]) || strlen(name) >= sizeof(((struct record *)0)->name))
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
			return false;
	return true;
}

static void join_args(char **args, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; args[i] != NULL && n + 1 < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? " " : "", args[i]);
}

/* ---- attaching: a cell in the foreground ---- */

static void send_size(int fd)
{
	struct winsize ws;
	char msg[32];
	int n;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	n = snprintf(msg, sizeof(msg), "%c%u %u", ATTACH_RESIZE, ws.ws_row, ws.ws_col);
	send(fd, msg, (size_t)n, MSG_NOSIGNAL);
}

/*
 * Relays between this terminal (or these pipes) and the container, through
 * its monitor, until the monitor sends the exit status. With a terminal,
 * ours goes raw: every key, ^C included, is the container's to read.
 * Without one, the signals we get are passed on to the container's init,
 * as podman's --sig-proxy does.
 */
static int relay(int fd, const struct record *r, bool input)
{
	static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	char buf[1 + ATTACH_MAX];
	struct signalfd_siginfo info;
	sigset_t set;
	int sig_fd, code = -1;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(proxied) / sizeof(proxied[0]); i++)
		sigaddset(&set, proxied[i]);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (r->tty && isatty(STDIN_FILENO)) {
		term_raw();
		send_size(fd);
	}
	for (;;) {
		struct pollfd p[3] = { { .fd = fd, .events = POLLIN },
				       { .fd = sig_fd, .events = POLLIN },
				       { .fd = input ? STDIN_FILENO : -1, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents & POLLIN && read(sig_fd, &info, sizeof(info)) == sizeof(info)) {
			if (info.ssi_signo == SIGWINCH)
				send_size(fd);
			else if (r->pid > 0)
				kill(r->pid, (int)info.ssi_signo);
		}
		if (p[2].revents) {
			buf[0] = ATTACH_STDIN;
			n = read(STDIN_FILENO, buf + 1, ATTACH_MAX);
			if (n > 0) {
				send(fd, buf, (size_t)n + 1, MSG_NOSIGNAL);
			} else {
				send(fd, (char[]){ ATTACH_CLOSE }, 1, MSG_NOSIGNAL);
				input = false;
			}
		}
		if (p[0].revents) {
			n = recv(fd, buf, sizeof(buf) - 1, 0);
			if (n <= 0)
				break;
			if (buf[0] == ATTACH_STDOUT)
				term_write(STDOUT_FILENO, buf + 1, (size_t)n - 1);
			else if (buf[0] == ATTACH_STDERR)
				term_write(STDERR_FILENO, buf + 1, (size_t)n - 1);
			else if (buf[0] == ATTACH_EXIT) {
				buf[n] = '\0';
				code = atoi(buf + 1);
				break;
			}
		}
	}
	term_restore();
	close(sig_fd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	if (code < 0) {
		fprintf(stderr, "cell: %s: its monitor ended without its exit status\n", r->name);
		return EXIT_CELL;
	}
	return code;
}

/* ---- create, start, run ---- */

/* Starts container R (created) and marks it running. */
static int start_created(struct record *r, struct error *err)
{
	char core[PATH_MAX], now[40];

	core_root(core, sizeof(core));
	if (ctr_start(core, r->id, err) < 0)
		return -1;
	st_now(now, sizeof(now));
	if (store_change(db, err,
			 "UPDATE containers SET state = 'running', started = ?2 WHERE id = ?1 AND"
			 " state = 'created'",
			 "ss", r->id, now) < 0)
		return -1;
	return store_reload(db, r, err) < 0 ? -1 : 0;
}

/*
 * The monitor of R. SQLite's connections must not cross a fork (its
 * locks are the process's, and the child would share them): the store is
 * closed before the monitor is forked, and opened again after.
 */
static int start_monitor(const struct record *r, FILE *trace, const struct mon_tracer *tracer,
			 struct error *err)
{
	int ret;

	store_close(db);
	db = NULL;
	ret = mon_start(&places, r, trace, tracer, err);
	if (store_open(places.lib, &db, ret < 0 ? &(struct error){ 0 } : err) < 0)
		return -1;
	return ret;
}

static FILE *trace_stream(void)
{
	int fd;

	if (!verbose)
		return NULL;
	fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	return fd < 0 ? NULL : fdopen(fd, "w");
}

/* The mode of R's root file system's top directory: its top layer's
 * (lowerdir= lists it first), or --rootfs's. */
static mode_t root_mode(const struct record *r)
{
	char top[PATH_MAX];
	struct stat st;

	snprintf(top, sizeof(top), "%s", r->rootfs);
	top[strcspn(top, ":")] = '\0';
	return stat(top, &st) == 0 ? st.st_mode & 07777 : 0755;
}

/* R's bundle from the store: its saved configuration and the overlay's
 * directories (kept from the last run, or made again). The bundle is the
 * host's root's alone (-U opens its way: own_upper). A new upper directory
 * takes the image's root's mode, since overlayfs shows the upper's root as
 * the container's /: 0700 there would shut every user but root out. */
static int write_bundle(const struct record *r, struct error *err)
{
	static const struct {
		const char *name;
		mode_t mode;
	} dirs[] = { { "", 0700 }, { "/upper", 0700 }, { "/work", 0700 }, { "/rootfs", 0711 } };
	char bundle[PATH_MAX], path[PATH_MAX + 32], *config = NULL;
	int ret;

	snprintf(path, sizeof(path), "%s/containers", places.lib);
	if (mkdir(path, 0711) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", path);
	mon_bundle(&places, r->id, bundle, sizeof(bundle));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", bundle, dirs[i].name);
		if (mkdir(path, dirs[i].mode) == 0) {
			if (strcmp(dirs[i].name, "/upper") == 0 && chmod(path, root_mode(r)) < 0)
				return err_sys(err, "chmod %s", path);
		} else if (errno != EEXIST) {
			return err_sys(err, "mkdir %s", path);
		}
	}
	if (store_config(db, r->id, &config, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	ret = st_write_atomic(path, config, strlen(config), 0600, err);
	free(config);
	return ret;
}

/* LIB/containers/ID itself, before its links (--upper). */
static int make_bundle_dir(const struct record *r, struct error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/containers", places.lib);
	if (mkdir(path, 0711) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", path);
	mon_bundle(&places, r->id, path, sizeof(path));
	if (mkdir(path, 0700) < 0)
		return err_sys(err, "mkdir %s", path);
	return 0;
}

/* A new monitor for R (created or stopped): the container created again
 * from its bundle. */
static int create_again(struct record *r, struct error *err)
{
	FILE *trace = trace_stream();
	int ret;

	if (store_change(db, err,
			 "UPDATE containers SET state = 'creating', stopping = 0, monitor = ?2,"
			 " monitor_start = ?3 WHERE id = ?1 AND state = 'stopped'",
			 "sii", r->id, (long long)getpid(),
			 (long long)st_start_time(getpid())) < 1) {
		if (trace != NULL)
			fclose(trace);
		return err->msg[0] ? -1 : err_set(err, "container %s is not stopped", r->name);
	}
	store_reload(db, r, err);
	if (write_bundle(r, err) < 0) {
		if (trace != NULL)
			fclose(trace);
		return -1;
	}
	ret = start_monitor(r, trace, NULL, err);
	if (trace != NULL)
		fclose(trace);
	if (ret == 0)
		store_reload(db, r, err);
	return ret;
}

/* A copy of cell-init in R's bundle: the container's own, so that nothing
 * it does reaches the one other containers use. */
static int copy_init(const struct record *r, struct error *err)
{
	char from[PATH_MAX], to[PATH_MAX + 16], buf[65536];
	int in, out;
	ssize_t n;

	if (find_program("cell-init", "CELL_INIT", CELL_INIT, "--init", from, sizeof(from)) < 0)
		return err_set(err, "--init: no cell-init");
	mon_bundle(&places, r->id, to, sizeof(to));
	strcat(to, "/cell-init");
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_sys(err, "open %s", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0555);
	if (out < 0) {
		close(in);
		return err_sys(err, "create %s", to);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	if (n < 0 || close(out) < 0)
		return err_sys(err, "copy %s to %s", from, to);
	return 0;
}

/* -U: the overlay's upper and work directories belong to root inside,
 * so that the container can write its own files; and every directory on
 * the way to its root must let others pass (x), since that root is nobody
 * special on the host: the bundle is opened to 0711 (no listing). */
static int own_upper(const struct record *r, struct error *err)
{
	static const char *const dirs[] = { "/upper", "/work" };
	char path[PATH_MAX + 16], *slash;
	struct stat st;

	mon_bundle(&places, r->id, path, sizeof(path) - 16);
	while ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (stat(path, &st) == 0 && !(st.st_mode & S_IXOTH))
			return err_set(err,
				       "-U: %s is closed to others (mode %03o): root inside "
				       "cannot reach its root there (chmod o+x, or another "
				       "--root)",
				       path, st.st_mode & 0777);
	}

	for (size_t i = 0; i < 2; i++) {
		mon_bundle(&places, r->id, path, sizeof(path) - 16);
		strcat(path, dirs[i]);
		if (chown(path, USERNS_BASE, USERNS_BASE) < 0)
			return err_sys(err, "chown %s", path);
	}
	mon_bundle(&places, r->id, path, sizeof(path) - 16);
	if (chmod(path, 0711) < 0)
		return err_sys(err, "chmod %s", path);
	return 0;
}

/* --ip: its subnet is this container's alone (its host end routes it). */
static int claim_subnet(const struct record *r, const char *cidr, struct error *err)
{
	struct net_addr a;
	char net[INET_ADDRSTRLEN], subnet[INET_ADDRSTRLEN + 4];

	if (net_parse_cidr(cidr, &a, err) < 0)
		return -1;
	if (net_check_subnet(&a, NULL, err) < 0)
		return err_prefix(err, "--ip");
	net_text(a.addr & (~0u << (32 - a.prefix)), net, sizeof(net));
	snprintf(subnet, sizeof(subnet), "%s/%d", net, a.prefix);
	return store_claim_subnet(db, r->id, subnet, err);
}

/*
 * --upper DIR: the container's writes go to DIR, which outlives it (stage
 * 04). The bundle's upper is a link to DIR, and its work a link to
 * .cell-work-ID beside DIR: overlayfs wants both on one file system, and
 * never one inside the other. rm removes the work directory, not DIR.
 */
static int link_upper(const struct record *r, const char *dir, struct error *err)
{
	char upper[PATH_MAX], work[PATH_MAX + 32], bundle[PATH_MAX], at[PATH_MAX + 16], *slash;
	struct stat st;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "--upper: mkdir %s", dir);
	if (realpath(dir, upper) == NULL || stat(upper, &st) < 0)
		return err_sys(err, "--upper %s", dir);
	if (!S_ISDIR(st.st_mode))
		return err_set(err, "--upper %s: not a directory", dir);
	if (strncmp(upper, r->rootfs, strlen(r->rootfs)) == 0 &&
	    (upper[strlen(r->rootfs)] == '/' || upper[strlen(r->rootfs)] == '\0'))
		return err_set(err, "--upper %s: inside the root file system it would cover", dir);
	snprintf(work, sizeof(work), "%s", upper);
	slash = strrchr(work, '/');
	snprintf(slash + 1, sizeof(work) - (size_t)(slash + 1 - work), ".cell-work-%.12s", r->id);
	if (mkdir(work, 0700) < 0)
		return err_sys(err, "--upper: mkdir %s", work);
	mon_bundle(&places, r->id, bundle, sizeof(bundle));
	snprintf(at, sizeof(at), "%s/upper", bundle);
	if (symlink(upper, at) < 0)
		return err_sys(err, "symlink %s", at);
	snprintf(at, sizeof(at), "%s/work", bundle);
	if (symlink(work, at) < 0)
		return err_sys(err, "symlink %s", at);
	return 0;
}

/* Removes a container whose create failed: record, bundle, anything made.
 * The record goes last, and only once the rest is gone: while anything
 * is left, the record is how a later rm finds it. */
static void undo_create(const struct record *r)
{
	if (mon_free(&places, r->id, true, &(struct error){ 0 }) == 0)
		store_delete(db, r->id, &(struct error){ 0 });
}

/* IMAGE: its layers become the overlay's lower directories (LOWER), its
 * config the defaults of the container's. */
static int use_image(struct run_opts *o, char *lower, size_t size)
{
	struct img_store s = { .db = db, .lib = places.lib };
	struct error err = { 0 };
	json_t *config;
	char *text;

	if (store_image_find(db, o->image, o->image_id, sizeof(o->image_id), &err) < 0 ||
	    img_lowerdirs(&s, o->image_id, lower, size, &err) < 0 ||
	    store_image_config(db, o->image_id, &text, &err) < 0)
		return fail_err(&err);
	config = json_loads(text, 0, NULL);
	free(text);
	if (config == NULL)
		return refuse("%s: the image's config is not JSON", o->image);
	o->image_config = json_incref(json_object_get(config, "config"));
	json_decref(config);
	if (o->image_config == NULL)
		o->image_config = json_object();
	return 0;
}

/* Writes the bundle and the record of a new container. */
static int make_container(struct run_opts *o, char **args, struct record *r)
{
	char rootfs[PATH_MAX], *text;
	struct error err = { 0 };
	json_t *config;
	struct stat st;
	bool named = o->name != NULL;

	if (o->image != NULL) {
		if (use_image(o, rootfs, sizeof(rootfs)) < 0)
			return -1;
	} else if (realpath(o->rootfs, rootfs) == NULL || stat(rootfs, &st) < 0) {
		return refuse("--rootfs %s: %s", o->rootfs, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		return refuse("--rootfs %s: not a directory", o->rootfs);
	}
	if (named && !valid_name(o->name))
		return refuse("--name %s: letters, digits and _.- only, starting with a letter or "
			      "digit",
			      o->name);
	*r = (struct record){ .monitor = getpid(), .monitor_start = st_start_time(getpid()) };
	new_id(r->id);
	snprintf(r->state, sizeof(r->state), "creating");
	snprintf(r->rootfs, sizeof(r->rootfs), "%s", rootfs);
	join_args(args[0] != NULL ? args : (char *[]){ "sh", NULL }, r->command,
		  sizeof(r->command));
	r->rm = o->rm;
	r->tty = o->tty;
	r->interactive = o->interactive;
	snprintf(r->restart, sizeof(r->restart), "no");
	if (o->restart != NULL) {
		char *end;

		if (strcmp(o->restart, "no") == 0 || strcmp(o->restart, "always") == 0) {
			snprintf(r->restart, sizeof(r->restart), "%s", o->restart);
		} else if (strncmp(o->restart, "on-failure", 10) == 0 &&
			   (o->restart[10] == '\0' || o->restart[10] == ':')) {
			snprintf(r->restart, sizeof(r->restart), "on-failure");
			if (o->restart[10] == ':') {
				r->restart_max = (int)strtol(o->restart + 11, &end, 10);
				if (end == o->restart + 11 || *end != '\0' || r->restart_max < 1)
					return refuse(
						"--restart %s: on-failure:N wants N of 1 or more",
						o->restart);
			}
		} else {
			return refuse("--restart %s: give no, on-failure[:N] or always",
				      o->restart);
		}
		if (o->rm && strcmp(r->restart, "no") != 0)
			return refuse("--restart %s: not with --rm", o->restart);
	}
	st_now(r->created, sizeof(r->created));
	config = build_config(o, args, r->id);
	if (config == NULL)
		return -1;
	text = json_dumps(config, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(config);
	/* the record first: a cell killed from here on leaves a record in
	 * state creating, which the next command settles, bundle and all */
	for (int tries = 0;; tries++) {
		if (!named)
			new_name(r->name, sizeof(r->name));
		else
			snprintf(r->name, sizeof(r->name), "%s", o->name);
		if (store_insert(db, r, text, &err) == 0)
			break;
		/* a drawn name in use: draw again, then add the id */
		if (named || tries > 20 || strstr(err.msg, "already in use") == NULL) {
			free(text);
			return fail_err(&err);
		}
		if (tries == 20)
			snprintf(r->name, sizeof(r->name), "cell_%.12s", r->id);
		err = (struct error){ 0 };
	}
	/* the image cannot go while the container is there */
	if (o->image != NULL && store_image_use(db, r->id, o->image_id, &err) < 0)
		goto bad;
	if (o->upper != NULL && (make_bundle_dir(r, &err) < 0 || link_upper(r, o->upper, &err) < 0))
		goto bad;
	if (write_bundle(r, &err) < 0)
		goto bad;
	if (o->init && copy_init(r, &err) < 0)
		goto bad;
	if (o->userns && own_upper(r, &err) < 0)
		goto bad;
	if (o->ip != NULL && claim_subnet(r, o->ip, &err) < 0)
		goto bad;
	for (size_t i = 0; i < json_array_size(o->ports); i++) {
		struct net_port pt;

		net_parse_port(json_string_value(json_array_get(o->ports, i)), &pt, &err);
		if (store_claim_port(db, r->id, pt.proto, pt.host_port, &err) < 0)
			goto bad;
	}
	free(text);
	if (verbose)
		fprintf(stderr, "=> bundle (10) ... done\n");
	return 0;
bad:
	free(text);
	undo_create(r);
	return fail_err(&err);
}

/*
 * The status of a run whose program could not be started, by the words
 * of the error, as podman reads them from runc and crun (its
 * oci_util.go): 127 when it is not found, 126 when it cannot be run, and
 * 125 for every other failure of cell's.
 */
static int create_status(const struct error *err)
{
	if (strncmp(err->msg, "exec: ", 6) != 0)
		return EXIT_CELL;
	if (strstr(err->msg, "permission denied") != NULL)
		return 126;
	if (strstr(err->msg, "executable file not found") != NULL ||
	    strstr(err->msg, "no such file or directory") != NULL)
		return 127;
	return EXIT_CELL;
}

/* eBPF is the host root's: bpf(2) checks the capabilities in the host's
 * user namespace, whatever a rootless cell is root of. */
#define NO_ROOTLESS_TRACE                                                                   \
	"a rootless container cannot be traced: loading an eBPF program takes CAP_BPF and " \
	"CAP_PERFMON on the host (run cell as root for that)"

/*
 * --trace FILE: stage 09's log, from the container's first system call.
 * cell-trace is found now, and FILE opened in the caller's directory
 * ("-": a copy of stderr), so that a wrong one fails before anything is
 * made; the monitor gets the descriptor and starts cell-trace with it.
 * *MADE: FILE did not exist (a run that fails removes it again).
 */
static int open_trace(const char *file, struct mon_tracer *t, bool *made)
{
	*made = false;
	if (rootless)
		return refuse("--trace: " NO_ROOTLESS_TRACE);
	if (find_program("cell-trace", "CELL_TRACE", CELL_TRACE, "--trace", t->path,
			 sizeof(t->path)) < 0)
		return -1;
	if (strcmp(file, "-") == 0) {
		t->fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	} else {
		t->fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		*made = t->fd >= 0;
		if (t->fd < 0 && errno == EEXIST)
			t->fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
	}
	if (t->fd < 0)
		return refuse("--trace %s: %s", file, strerror(errno));
	return 0;
}

static const char run_help[] =
	"Usage: cell run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	"       cell run [OPTIONS] --rootfs DIR [COMMAND [ARG...]]\n"
	"       cell create ... (the same)\n"
	"\n"
	"Runs COMMAND in a new container whose root is an overlay: IMAGE's layers\n"
	"(cell image ls) are its read-only lower layers, and its config gives the\n"
	"defaults (Entrypoint, Cmd, Env, WorkingDir, User); or --rootfs DIR is the\n"
	"one lower layer, and COMMAND defaults to sh. The container's writes are\n"
	"kept in /var/lib/cell/containers/ID/upper until `cell rm`. The flags become the\n"
	"container's config.json (an OCI bundle beside it; `cell inspect` shows\n"
	"it), created by the same core as `cell-runc create`. A monitor process\n"
	"stays with each container: it keeps the logs and records the end.\n"
	"\n"
	"  -d, --detach             print the id and leave it running\n"
	"  -i, --interactive        keep its stdin open (from this terminal)\n"
	"  -t, --tty                give it a terminal\n"
	"      --rm                 remove it when it ends\n"
	"      --name NAME          its name (default: two random words)\n"
	"  -e, --env KEY=VALUE      an environment variable (repeat)\n"
	"  -w, --workdir DIR        its working directory\n"
	"  -u, --user UID[:GID]     run as this user (numbers)\n"
	"  -v, --volume SRC:DST[:ro|rshared|rshared,ro]  bind a host path, or the\n"
	"                           volume SRC (cell volume), into it (repeat); ro:\n"
	"                           read-only inside; rshared: what the host mounts\n"
	"                           below SRC later appears in it, and what it mounts\n"
	"                           below DST on the host\n"
	"      --restart POLICY     no, on-failure[:N] or always: the monitor restarts it\n"
	"  -r, --rootfs DIR         the root file system, instead of an IMAGE\n"
	"      --upper DIR          keep its writes in DIR (made if missing), which\n"
	"                           outlives it, rather than in its bundle\n"
	"  -n, --hostname NAME      its hostname (default: the id's first 12 digits)\n"
	"  -U, --userns             a user namespace: root inside is an unprivileged\n"
	"                           host range (stage 07)\n"
	"      --init               PID 1 is cell-init, which reaps orphans and passes\n"
	"                           signals on; the command is its child\n"
	"      --network MODE       bridge (default: the network cell, bridge cell0,\n"
	"                           10.88.0.0/16), NAME (cell network create), none\n"
	"                           (loopback only), host, container:NAME,\n"
	"                           slirp4netns[:allow_host_loopback=true] (the default\n"
	"                           of an ordinary user's cell: tap0 10.0.2.100/24, the\n"
	"                           user's own sockets outside; 10.0.2.2 leads to the\n"
	"                           host's 127.0.0.1 only when allowed)\n"
	"  -p, --publish [IP:]HOSTPORT:PORT[/tcp|udp]  the host's port (on every\n"
	"                           address, 127.0.0.1 too, or on IP) to the container's\n"
	"      --network-rate RATE  what it sends leaves at RATE at most (tc's tbf on\n"
	"                           its eth0), e.g. 10mbit, 512kbit\n"
	"      --ip CIDR            a veth pair to the host (stage 05): eth0 inside with\n"
	"                           this address, e.g. 10.200.7.2/24; the host end cell-ID\n"
	"                           gets the subnet's first, .1\n"
	"      --ipc MODE           private (default), host, container:NAME\n"
	"      --pid MODE           private (default), host, container:NAME\n"
	"      --uts MODE           private (default), host\n"
	"  -m, --memory SIZE        e.g. 64m, 1g\n"
	"      --memory-swap SIZE   memory and swap together\n"
	"      --cpus DECIMAL       e.g. 0.5: half of one CPU\n"
	"      --cpu-shares N       relative weight\n"
	"      --pids-limit N\n"
	"      --cpuset-cpus LIST   e.g. 0 or 0-1\n"
	"      --device-read-bps DEV:RATE, --device-write-bps DEV:RATE\n"
	"      --cap-add CAP, --cap-drop CAP|ALL   (docker's set is the default)\n"
	"      --seccomp default|unconfined|FILE  (FILE: an OCI linux.seccomp object)\n"
	"      --sched POLICY       other, batch, idle, fifo:PRIO or rr:PRIO: sched(7)'s\n"
	"                           policy for its processes (pair it with --cpuset-cpus)\n"
	"      --cpu-rt-runtime US, --cpu-rt-period US   real-time time for fifo and rr,\n"
	"                           where the kernel groups it (cgroup v1's cpu.rt_*)\n"
	"      --trace FILE         its system calls, from the first (- = stderr): the\n"
	"                           runtime's calls (clone, unshare, setns, mount,\n"
	"                           pivot_root, execve...) with their arguments, then\n"
	"                           the count of every call; `cell trace` tells more\n"
	"\n"
	"With -v before the command (cell -v run ...), each step is traced with the\n"
	"stage that teaches it: => pivot-root (04) ... done\n";

/* `cell run` and `cell create`. */
static int cmd_run(int argc, char **argv, bool run)
{
	enum {
		O_RM = 256,
		O_NAME,
		O_RESTART,
		O_NETWORK,
		O_IPC,
		O_PID,
		O_UTS,
		O_SWAP,
		O_CPUS,
		O_SHARES,
		O_PIDS,
		O_CPUSET,
		O_RBPS,
		O_WBPS,
		O_CAPADD,
		O_CAPDROP,
		O_SECCOMP,
		O_SCHED,
		O_RT_RUNTIME,
		O_RT_PERIOD,
		O_INIT,
		O_IP,
		O_UPPER,
		O_RATE,
		O_TRACE
	};
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "rm", no_argument, NULL, O_RM },
		{ "name", required_argument, NULL, O_NAME },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "volume", required_argument, NULL, 'v' },
		{ "restart", required_argument, NULL, O_RESTART },
		{ "rootfs", required_argument, NULL, 'r' },
		{ "hostname", required_argument, NULL, 'n' },
		{ "network", required_argument, NULL, O_NETWORK },
		{ "net", required_argument, NULL, O_NETWORK },
		{ "ipc", required_argument, NULL, O_IPC },
		{ "pid", required_argument, NULL, O_PID },
		{ "uts", required_argument, NULL, O_UTS },
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-swap", required_argument, NULL, O_SWAP },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "cpu-shares", required_argument, NULL, O_SHARES },
		{ "pids-limit", required_argument, NULL, O_PIDS },
		{ "cpuset-cpus", required_argument, NULL, O_CPUSET },
		{ "device-read-bps", required_argument, NULL, O_RBPS },
		{ "device-write-bps", required_argument, NULL, O_WBPS },
		{ "cap-add", required_argument, NULL, O_CAPADD },
		{ "cap-drop", required_argument, NULL, O_CAPDROP },
		{ "seccomp", required_argument, NULL, O_SECCOMP },
		{ "sched", required_argument, NULL, O_SCHED },
		{ "cpu-rt-runtime", required_argument, NULL, O_RT_RUNTIME },
		{ "cpu-rt-period", required_argument, NULL, O_RT_PERIOD },
		{ "init", no_argument, NULL, O_INIT },
		{ "userns", no_argument, NULL, 'U' },
		{ "ip", required_argument, NULL, O_IP },
		{ "upper", required_argument, NULL, O_UPPER },
		{ "publish", required_argument, NULL, 'p' },
		{ "network-rate", required_argument, NULL, O_RATE },
		{ "trace", required_argument, NULL, O_TRACE },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = run ? "run" : "create";
	struct run_opts o = { 0 };
	struct mon_tracer tracer = { .fd = -1 };
	bool trace_made = false;
	struct record r;
	struct error err = { 0 };
	long long n;
	double cpus;
	char *end;
	int c, ret = EXIT_CELL, attach = -1;
	FILE *trace;

	o.env = json_array();
	o.mounts = json_array();
	o.cap_add = json_array();
	o.cap_drop = json_array();
	o.resources = json_object();
	o.read_bps = json_array();
	o.write_bps = json_array();
	o.ports = json_array();
	o.shared = json_array();
	while ((c = next_opt(argc, argv, "+hditre:w:u:v:r:n:m:Up:", longs)) != -1) {
		switch (c) {
		case 'h':
			fputs(run_help, stdout);
			ret = 0;
			goto out;
		case 'd':
			o.detach = true;
			break;
		case 'i':
			o.interactive = true;
			break;
		case 't':
			o.tty = true;
			break;
		case O_RM:
			o.rm = true;
			break;
		case O_NAME:
			o.name = optarg;
			break;
		case 'e':
			if (strchr(optarg, '=') == NULL) {
				const char *v = getenv(optarg);
				char *kv;

				/* -e KEY passes the caller's value, as docker does */
				if (v == NULL)
					continue;
				if (asprintf(&kv, "%s=%s", optarg, v) < 0)
					goto out;
				json_array_append_new(o.env, json_string(kv));
				free(kv);
			} else {
				json_array_append_new(o.env, json_string(optarg));
			}
			break;
		case 'w':
			if (optarg[0] != '/') {
				refuse("--workdir %s: give an absolute path", optarg);
				goto out;
			}
			o.workdir = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'v':
			if (volume(optarg, o.mounts, o.shared) < 0)
				goto out;
			break;
		case O_RESTART:
			o.restart = optarg;
			break;
		case 'r':
			o.rootfs = optarg;
			break;
		case 'n':
			o.hostname = optarg;
			break;
		case O_NETWORK:
			o.network = optarg;
			break;
		case O_IPC:
			o.ipc = optarg;
			break;
		case O_PID:
			o.pid = optarg;
			break;
		case O_UTS:
			o.uts = optarg;
			break;
		case 'm':
		case O_SWAP:
			if (parse_size(c == 'm' ? "--memory" : "--memory-swap", optarg, &n) < 0)
				goto out;
			json_object_set_new(object_at(o.resources, "memory"),
					    c == 'm' ? "limit" : "swap", json_integer(n));
			break;
		case O_CPUS:
			errno = 0;
			cpus = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || errno != 0 || cpus <= 0) {
				refuse("--cpus: \"%s\" is not a number of CPUs (try 0.5)", optarg);
				goto out;
			}
			json_object_set_new(object_at(o.resources, "cpu"), "period",
					    json_integer(CFS_PERIOD));
			json_object_set_new(object_at(o.resources, "cpu"), "quota",
					    json_integer((json_int_t)(cpus * CFS_PERIOD)));
			break;
		case O_SHARES:
			if (parse_int("--cpu-shares", optarg, 2, &n) < 0)
				goto out;
			json_object_set_new(object_at(o.resources, "cpu"), "shares",
					    json_integer(n));
			break;
		case O_RT_RUNTIME:
		case O_RT_PERIOD:
			if (parse_int(c == O_RT_RUNTIME ? "--cpu-rt-runtime" : "--cpu-rt-period",
				      optarg, 1, &n) < 0)
				goto out;
			json_object_set_new(object_at(o.resources, "cpu"),
					    c == O_RT_RUNTIME ? "realtimeRuntime"
							      : "realtimePeriod",
					    json_integer(n));
			break;
		case O_PIDS:
			if (parse_int("--pids-limit", optarg, 1, &n) < 0)
				goto out;
			json_object_set_new(object_at(o.resources, "pids"), "limit",
					    json_integer(n));
			break;
		case O_CPUSET:
			json_object_set_new(object_at(o.resources, "cpu"), "cpus",
					    json_string(optarg));
			break;
		case O_RBPS:
		case O_WBPS:
			if (device_rate(c == O_RBPS ? "--device-read-bps" : "--device-write-bps",
					optarg, c == O_RBPS ? o.read_bps : o.write_bps) < 0)
				goto out;
			break;
		case O_CAPADD:
		case O_CAPDROP:
			if (cap_flag(c == O_CAPADD ? "--cap-add" : "--cap-drop", optarg,
				     c == O_CAPADD ? o.cap_add : o.cap_drop) < 0)
				goto out;
			break;
		case O_SECCOMP:
			o.seccomp = optarg;
			break;
		case O_SCHED:
			o.sched = optarg;
			break;
		case O_INIT:
			o.init = true;
			break;
		case 'U':
			o.userns = true;
			break;
		case O_UPPER:
			o.upper = optarg;
			break;
		case O_RATE:
			if (net_parse_rate(optarg, &(long long){ 0 }, &err) < 0) {
				fail(&err);
				goto out;
			}
			o.rate = optarg;
			break;
		case 'p':
			if (net_parse_port(optarg, &(struct net_port){ 0 }, &err) < 0) {
				fail(&err);
				goto out;
			}
			json_array_append_new(o.ports, json_string(optarg));
			break;
		case O_TRACE:
			o.trace = optarg;
			break;
		case O_IP:
			if (net_parse_cidr(optarg, &(struct net_addr){ 0 }, &err) < 0) {
				fail(&err);
				goto out;
			}
			o.ip = optarg;
			break;
		default:
			usage_error(cmd);
			goto out;
		}
	}
	if (o.ip != NULL && o.network != NULL) {
		refuse("--ip: a veth of the container's own; not with --network %s", o.network);
		goto out;
	}
	/* podman's form: IMAGE [COMMAND...], or --rootfs DIR [COMMAND...] */
	if (o.rootfs == NULL) {
		if (optind >= argc) {
			refuse("%s: give an IMAGE (cell image ls), or --rootfs DIR", cmd);
			goto out;
		}
		o.image = argv[optind++];
	}
	/* rootless: slirp4netns, the default (a bridge and a veth on the host
	 * need root there) */
	if (rootless && o.network == NULL && o.ip == NULL)
		o.network = "slirp4netns";
	if (o.network != NULL && strncmp(o.network, "slirp4netns", 11) == 0 &&
	    (o.network[11] == '\0' || o.network[11] == ':'))
		o.slirp = o.network[11] == ':' ? o.network + 12 : "";
	/* bridge, the default: the network cell, on the bridge cell0 */
	else if (o.ip == NULL && (o.network == NULL || strcmp(o.network, "bridge") == 0))
		o.net_name = STORE_DEFAULT_NET;
	else if (o.network != NULL && strcmp(o.network, "none") != 0 &&
		 strcmp(o.network, "host") != 0 && strncmp(o.network, "container:", 10) != 0)
		o.net_name = o.network;
	if (rootless && (o.net_name != NULL || o.ip != NULL || o.rate != NULL || o.userns)) {
		const char *flag = o.network;

		if (o.ip != NULL)
			flag = "--ip";
		else if (o.rate != NULL)
			flag = "--network-rate";
		else if (o.userns)
			flag = "-U (rootless cell is a user namespace already)";
		refuse("%s: not for a rootless container (it needs root on the host); its "
		       "network is slirp4netns (the default), none, host or container:NAME",
		       flag);
		goto out;
	}
	if (o.rate != NULL && o.net_name == NULL && o.ip == NULL) {
		refuse("--network-rate %s: limits a container's eth0; not with --network %s",
		       o.rate, o.network);
		goto out;
	}
	if (json_array_size(o.ports) > 0 && o.net_name == NULL && o.slirp == NULL) {
		refuse("-p %s: a port is published to a container on a network, not with %s",
		       json_string_value(json_array_get(o.ports, 0)), o.ip ? "--ip" : o.network);
		goto out;
	}
	if (o.trace != NULL && open_trace(o.trace, &tracer, &trace_made) < 0)
		goto out;
	if (make_container(&o, argv + optind, &r) < 0)
		goto out;
	trace = trace_stream();
	if (start_monitor(&r, trace, o.trace != NULL ? &tracer : NULL, &err) < 0) {
		if (trace != NULL)
			fclose(trace);
		undo_create(&r);
		fail(&err);
		ret = create_status(&err);
		goto out;
	}
	trace_made = false; /* the monitor writes it from now on */
	if (trace != NULL)
		fclose(trace);
	store_reload(db, &r, &err);
	if (!run) {
		printf("%s\n", r.id);
		ret = 0;
		goto out;
	}
	/* attached before the start, so that no output is missed */
	if (!o.detach) {
		attach = mon_attach(&places, r.id, &err);
		if (attach < 0) {
			fail(&err);
			goto out;
		}
	}
	if (start_created(&r, &err) < 0) {
		fail(&err);
		goto out;
	}
	if (o.detach) {
		printf("%s\n", r.id);
		ret = 0;
	} else {
		ret = relay(attach, &r, o.interactive);
	}
out:
	if (attach >= 0)
		close(attach);
	if (tracer.fd >= 0)
		close(tracer.fd);
	if (trace_made)
		unlink(o.trace);
	json_decref(o.env);
	json_decref(o.mounts);
	json_decref(o.cap_add);
	json_decref(o.cap_drop);
	json_decref(o.resources);
	json_decref(o.read_bps);
	json_decref(o.write_bps);
	json_decref(o.ports);
	json_decref(o.shared);
	json_decref(o.image_config);
	return ret;
}

/* ---- commands on one or more containers ---- */

/* Runs FN on each container named after the options; 125 if any failed. */
static int each_container(int argc, char **argv, const char *cmd,
			  int (*fn)(struct record *r, const char *ref, void *arg), void *arg)
{
	struct record r;
	struct error err;
	int ret = 0;

	if (optind >= argc) {
		refuse("%s: name a container", cmd);
		return usage_error(cmd);
	}
	for (int i = optind; i < argc; i++) {
		err = (struct error){ 0 };
		if (find(argv[i], &r, &err) < 0 || fn(&r, argv[i], arg) < 0) {
			if (err.msg[0] != '\0')
				fail(&err);
			ret = EXIT_CELL;
		}
	}
	return ret;
}

/* The options of a command that takes only --help; -1 to go on. */
static int help_only(int argc, char **argv, const char *help)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { NULL, 0, NULL, 0 } };
	int c;

	while ((c = next_opt(argc, argv, "+h", longs)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return 0;
		}
		return usage_error(argv[0]);
	}
	return -1;
}

/*
 * The options of a command that takes one besides --help (start -a, rm -f,
 * kill -s, stop and restart -t): its value in *VALUE ("" for a flag, NULL
 * when it is not given). -1 to go on, else the exit status.
 */
static int one_option(int argc, char **argv, const char *cmd, const char *help,
		      const struct option *opt, const char **value)
{
	const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					*opt,
					{ NULL, 0, NULL, 0 } };
	char shorts[8];
	int c;

	snprintf(shorts, sizeof(shorts), "+h%c%s", opt->val, opt->has_arg ? ":" : "");
	*value = NULL;
	while ((c = next_opt(argc, argv, shorts, longs)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return 0;
		}
		if (c != opt->val)
			return usage_error(cmd);
		*value = opt->has_arg ? optarg : "";
	}
	return -1;
}

static int do_start(struct record *r, const char *ref, void *arg)
{
	bool attach_out = *(bool *)arg;
	struct error err = { 0 };
	int fd = -1, ret;

	if (is(r, "running") || is(r, "paused"))
		return refuse("container %s is already %s", ref, r->state);
	if (is(r, "stopped") && create_again(r, &err) < 0)
		return fail_err(&err);
	if (attach_out) {
		fd = mon_attach(&places, r->id, &err);
		if (fd < 0)
			return fail_err(&err);
	}
	if (start_created(r, &err) < 0) {
		if (fd >= 0)
			close(fd);
		return fail_err(&err);
	}
	if (fd < 0) {
		printf("%s\n", ref);
		return 0;
	}
	ret = relay(fd, r, r->interactive);
	close(fd);
	exit(ret);
}

static const char start_help[] =
	"Usage: cell start [-a] CONTAINER...\n\n"
	"Starts a created container (its init, waiting, runs the program), or a\n"
	"stopped one again from its saved configuration. -a, --attach: stay with\n"
	"it, its output here, and end with its status.\n";

static int cmd_start(int argc, char **argv)
{
	const char *attach;
	int ret = one_option(argc, argv, "start", start_help,
			     &(struct option){ "attach", no_argument, NULL, 'a' }, &attach);
	bool attach_out = attach != NULL;

	return ret >= 0 ? ret : each_container(argc, argv, "start", do_start, &attach_out);
}

/* Waits for the monitor to record the end (and be gone), up to SECONDS. */
static void wait_recorded(struct record *r, int seconds)
{
	struct error err = { 0 };

	if (!wait_while(r, monitor_lives, seconds) && r->monitor > 0)
		kill(r->monitor, SIGKILL); /* a monitor that hangs: settled below */
	wait_while(r, monitor_lives, 1);
	if (store_reload(db, r, &err) == 0)
		mon_settle(db, &places, r, &err);
}

/* SIGTERM, up to TIMEOUT seconds, then SIGKILL to every process; R stays
 * (stopped) unless --rm. */
static int stop_container(struct record *r, int timeout, struct error *err)
{
	char core[PATH_MAX];

	if (!alive(r))
		return 0;
	core_root(core, sizeof(core));
	if (store_change(db, err, "UPDATE containers SET stopping = 1 WHERE id = ?1", "s", r->id) <
	    0)
		return -1;
	if (is(r, "paused"))
		ctr_pause(core, r->id, false, &(struct error){ 0 });
	if (is(r, "created"))
		timeout = 0; /* its init waits in the runtime's code: nothing to end cleanly */
	else
		ctr_kill(core, r->id, SIGTERM, false, &(struct error){ 0 });
	if (!wait_while(r, init_lives, timeout))
		ctr_kill(core, r->id, SIGKILL, true, &(struct error){ 0 });
	if (timeout == 0)
		ctr_kill(core, r->id, SIGKILL, true, &(struct error){ 0 });
	wait_recorded(r, MONITOR_WAIT);
	return 0;
}

static int do_stop(struct record *r, const char *ref, void *arg)
{
	struct error err = { 0 };

	if (stop_container(r, *(int *)arg, &err) < 0)
		return fail_err(&err);
	printf("%s\n", ref);
	return 0;
}

#define STR_(x) #x
#define STR(x)	STR_(x)

/* -t SECONDS of stop and restart; -1 to go on, else the exit status. */
static int time_option(int argc, char **argv, const char *cmd, const char *help, int *timeout)
{
	const char *value;
	int ret = one_option(argc, argv, cmd, help,
			     &(struct option){ "time", required_argument, NULL, 't' }, &value);
	long long n = STOP_TIMEOUT;

	if (ret < 0 && value != NULL && parse_int("--time", value, 0, &n) < 0)
		return usage_error(cmd);
	*timeout = (int)n;
	return ret;
}

static const char stop_help[] =
	"Usage: cell stop [-t SECONDS] CONTAINER...\n\n"
	"Sends SIGTERM to the container's init, waits up to SECONDS (" STR(
		STOP_TIMEOUT) ") for\n"
			      "it to end, then SIGKILL to every process in its cgroup. The "
			      "container\n"
			      "stays, stopped, with its exit status (cell ps -a).\n";

static int cmd_stop(int argc, char **argv)
{
	int timeout, ret = time_option(argc, argv, "stop", stop_help, &timeout);

	return ret >= 0 ? ret : each_container(argc, argv, "stop", do_stop, &timeout);
}

static int do_kill(struct record *r, const char *ref, void *arg)
{
	struct error err = { 0 };
	char core[PATH_MAX];

	if (!is(r, "running") && !is(r, "paused"))
		return refuse("container %s is not running (%s)", ref, r->state);
	core_root(core, sizeof(core));
	if (ctr_kill(core, r->id, *(int *)arg, false, &err) < 0)
		return fail_err(&err);
	printf("%s\n", ref);
	return 0;
}

static const char kill_help[] =
	"Usage: cell kill [-s SIGNAL] CONTAINER...\n\n"
	"Sends SIGNAL (default KILL; a name or a number) to the container's init.\n"
	"What happens next is the program's choice, and its monitor records the\n"
	"end.\n";

static int cmd_kill(int argc, char **argv)
{
	const char *name;
	int sig = SIGKILL,
	    ret = one_option(argc, argv, "kill", kill_help,
			     &(struct option){ "signal", required_argument, NULL, 's' }, &name);

	if (ret >= 0)
		return ret;
	if (name != NULL && (sig = spec_signal_number(name)) <= 0)
		return failf("--signal %s: not a signal (try TERM, KILL or 9)", name);
	return each_container(argc, argv, "kill", do_kill, &sig);
}

static int do_rm(struct record *r, const char *ref, void *arg)
{
	struct error err = { 0 };

	if ((is(r, "running") || is(r, "paused")) && !*(bool *)arg)
		return refuse("container %s is %s: stop it first, or use cell rm -f", ref,
			      r->state);
	if (store_change(db, &err, "UPDATE containers SET stopping = 1, rm = 0 WHERE id = ?1", "s",
			 r->id) < 0 ||
	    stop_container(r, 0, &err) < 0)
		return fail_err(&err);
	/* what a monitor killed after the end left of the network and shared
	 * volumes (its own leaving, done or under way, makes this a no-op) */
	if (mon_leave_network(db, &places, r->id, 0, &err) < 0 ||
	    mon_release_shares(db, r->id, &err) < 0 || mon_free(&places, r->id, true, &err) < 0 ||
	    store_delete(db, r->id, &err) < 0)
		return fail_err(&err);
	printf("%s\n", ref);
	return 0;
}

static const char rm_help[] =
	"Usage: cell rm [-f] CONTAINER...\n\n"
	"Removes a container that is not running: its record, bundle, upper layer\n"
	"and log. -f, --force: kill it first if it runs.\n";

static int cmd_rm(int argc, char **argv)
{
	const char *flag;
	int ret = one_option(argc, argv, "rm", rm_help,
			     &(struct option){ "force", no_argument, NULL, 'f' }, &flag);
	bool force = flag != NULL;

	return ret >= 0 ? ret : each_container(argc, argv, "rm", do_rm, &force);
}

static int do_pause(struct record *r, const char *ref, void *arg)
{
	bool pause = *(bool *)arg;
	struct error err = { 0 };
	char core[PATH_MAX];

	if (!is(r, pause ? "running" : "paused"))
		return refuse("container %s is %s, not %s", ref, r->state,
			      pause ? "running" : "paused");
	core_root(core, sizeof(core));
	if (ctr_pause(core, r->id, pause, &err) < 0 ||
	    store_change(db, &err, "UPDATE containers SET state = ?2 WHERE id = ?1 AND state = ?3",
			 "sss", r->id, pause ? "paused" : "running",
			 pause ? "running" : "paused") < 0)
		return fail_err(&err);
	printf("%s\n", ref);
	return 0;
}

static int cmd_pause(int argc, char **argv, bool pause)
{
	int ret =
		help_only(argc, argv,
			  pause ? "Usage: cell pause CONTAINER...   (also: cell freeze)\n\n"
				  "Freezes every process of the container with the cgroup freezer\n"
				  "(stage 06): they stay, but are not scheduled until unpaused.\n"
				: "Usage: cell unpause CONTAINER...   (also: cell thaw)\n\n"
				  "Thaws a paused container's processes.\n");

	if (ret >= 0)
		return ret;
	return each_container(argc, argv, pause ? "pause" : "unpause", do_pause, &pause);
}

static int do_restart(struct record *r, const char *ref, void *arg)
{
	struct error err = { 0 };

	if (stop_container(r, *(int *)arg, &err) < 0 || store_reload(db, r, &err) != 0 ||
	    create_again(r, &err) < 0 || start_created(r, &err) < 0)
		return fail_err(&err);
	printf("%s\n", ref);
	return 0;
}

static const char restart_help[] =
	"Usage: cell restart [-t SECONDS] CONTAINER...\n\n"
	"Stops the container if it runs (as cell stop), then creates and starts it\n"
	"again from its saved configuration and upper layer: a new init, the same\n"
	"id, name and files. Works after a reboot too.\n";

static int cmd_restart(int argc, char **argv)
{
	int timeout, ret = time_option(argc, argv, "restart", restart_help, &timeout);

	return ret >= 0 ? ret : each_container(argc, argv, "restart", do_restart, &timeout);
}

/* ---- ps, status, inspect ---- */

static void ago(const char *when, char *out, size_t size)
{
	struct tm tm = { 0 };
	long long s;

	if (when[0] == '\0' || strptime(when, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(out, size, "?");
		return;
	}
	s = (long long)(time(NULL) - timegm(&tm));
	if (s < 120)
		snprintf(out, size, "%lld seconds", s);
	else if (s < 7200)
		snprintf(out, size, "%lld minutes", s / 60);
	else if (s < 2 * 86400)
		snprintf(out, size, "%lld hours", s / 3600);
	else
		snprintf(out, size, "%lld days", s / 86400);
}

static void status_text(const struct record *r, char *out, size_t size)
{
	char t[32];

	if (is(r, "running") || is(r, "paused")) {
		ago(r->started, t, sizeof(t));
		snprintf(out, size, "Up %s%s", t, is(r, "paused") ? " (paused)" : "");
	} else if (is(r, "stopped") && r->has_exit) {
		ago(r->finished, t, sizeof(t));
		if (r->exit_code < 0)
			snprintf(out, size, "Exited (unknown: its monitor was killed) %s ago", t);
		else
			snprintf(out, size, "Exited (%d)%s %s ago", r->exit_code,
				 r->oom ? " OOM-killed" : "", t);
	} else {
		snprintf(out, size, "%s", is(r, "stopped") ? "Created, never started" : "Created");
	}
}

struct ps_opts {
	bool all, quiet, json;
	json_t *list;
};

static int ps_one(struct record *r, void *arg)
{
	struct ps_opts *o = arg;
	char status[96];

	/* listed even when it could not be settled now: it exists */
	if (settle(r, &(struct error){ 0 }) == 1 || store_reload(db, r, &(struct error){ 0 }) != 0)
		return 0;
	if (!o->all && !alive(r))
		return 0;
	if (o->quiet) {
		printf("%.*s\n", STORE_SHORT, r->id);
	} else if (o->json) {
		json_array_append_new(
			o->list, json_pack("{s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:s, s:s}", "Id",
					   r->id, "Name", r->name, "State", r->state, "Pid",
					   (int)r->pid, "ExitCode", r->has_exit ? r->exit_code : 0,
					   "Exited", is(r, "stopped"), "Command", r->command,
					   "Created", r->created, "StartedAt", r->started));
	} else {
		status_text(r, status, sizeof(status));
		printf("%-12.12s  %-20s  %-8s  %-34s  %s\n", r->id, r->name, r->state, status,
		       r->command);
	}
	return 0;
}

static int cmd_ps(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "all", no_argument, NULL, 'a' },
					       { "quiet", no_argument, NULL, 'q' },
					       { "format", required_argument, NULL, 'f' },
					       { NULL, 0, NULL, 0 } };
	struct ps_opts o = { 0 };
	struct error err = { 0 };
	int c;

	while ((c = next_opt(argc, argv, "+haqf:", longs)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: cell ps [-a] [-q] [--format json]   (also: cell list)\n\n"
			       "The containers that are created, running or paused; -a, --all:\n"
			       "the stopped ones too; -q: the short ids only. A query of the "
			       "store\n"
			       "(/var/lib/cell/cell.db); a container whose monitor was killed is\n"
			       "settled first (stopped, exit status unknown).\n");
			return 0;
		case 'a':
			o.all = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
				return failf("--format %s: give json or table", optarg);
			o.json = strcmp(optarg, "json") == 0;
			break;
		default:
			return usage_error("ps");
		}
	}
	if (optind < argc)
		return failf("ps: takes no container (try cell inspect %s)", argv[optind]);
	if (o.json)
		o.list = json_array();
	else if (!o.quiet)
		printf("%-12s  %-20s  %-8s  %-34s  %s\n", "CONTAINER ID", "NAME", "STATE", "STATUS",
		       "COMMAND");
	if (store_each(db, ps_one, &o, &err) < 0)
		return fail(&err);
	if (o.json) {
		char *text = json_dumps(o.list, JSON_INDENT(2));

		printf("%s\n", text);
		free(text);
		json_decref(o.list);
	}
	return 0;
}

static int do_status(struct record *r, const char *ref, void *arg)
{
	(void)ref;
	(void)arg;
	printf("%s\n", r->state);
	return 0;
}

static int add_name(const char *name, void *arg)
{
	json_array_append_new(arg, json_string(name));
	return 0;
}

/* "ImageID" and "ImageNames" of R's image (none with --rootfs). */
static void image_of(const struct record *r, json_t *o)
{
	char id[STORE_IMAGE_LEN + 1];
	json_t *names = json_array();

	if (store_container_image(db, r->id, id, sizeof(id), &(struct error){ 0 }) != 1) {
		json_decref(names);
		return;
	}
	store_image_names(db, id, add_name, names, &(struct error){ 0 });
	json_object_set_new(o, "ImageID", json_string(id));
	json_object_set_new(o, "ImageNames", names);
}

static int do_inspect(struct record *r, const char *ref, void *arg)
{
	json_t *o = probe_inspect(db, &places, r);

	(void)ref;
	image_of(r, o);
	json_array_append_new(arg, o);
	return 0;
}

static const char inspect_help[] =
	"Usage: cell inspect CONTAINER...\n"
	"       cell inspect --graph [-o FILE] CONTAINER\n\n"
	"Everything cell knows of a container, as JSON (podman's names):\n"
	"its state, exit status and OOM, times, its config.json, and while it\n"
	"runs what the kernel shows: its namespaces (inodes of /proc/PID/ns)\n"
	"beside the host's, cgroup directories and use, processes with their\n"
	"PIDs on the host and inside, mounts; its addresses (Addresses: eth0's,\n"
	"the host end's; on a network, the network, its bridge and the ports\n"
	"published).\n\n"
	"  --graph        the same as a picture, in Graphviz's DOT language:\n"
	"                 processes, namespaces, cgroup, mounts, the veth\n"
	"  -o, --output FILE  write it to FILE: .dot as it is, .svg or .png\n"
	"                 drawn by Graphviz's dot (apt-get install graphviz)\n";

/* --graph: the DOT text on stdout, or FILE in the format its name says. */
static int inspect_graph(const char *ref, const char *file)
{
	const char *ext = file != NULL ? strrchr(file, '.') : NULL, *format = NULL;
	struct error err = { 0 };
	char *dot, *picture = NULL;
	struct record r;
	size_t len;
	json_t *o;
	FILE *f;

	if (file != NULL) {
		if (ext != NULL && (strcmp(ext, ".svg") == 0 || strcmp(ext, ".png") == 0))
			format = ext + 1;
		else if (ext == NULL || strcmp(ext, ".dot") != 0)
			return failf("--output %s: give a .dot, .svg or .png file", file);
	}
	if (find(ref, &r, &err) < 0)
		return fail(&err);
	o = probe_inspect(db, &places, &r);
	dot = probe_dot(o);
	json_decref(o);
	if (dot == NULL)
		return failf("inspect --graph: out of memory");
	if (format != NULL && probe_render(dot, format, &picture, &len, &err) < 0) {
		free(dot);
		return fail(&err);
	}
	if (format == NULL) {
		picture = dot;
		len = strlen(dot);
		dot = NULL;
	}
	free(dot);
	f = file != NULL ? fopen(file, "we") : stdout;
	if (f == NULL) {
		free(picture);
		return failf("--output %s: %s", file, strerror(errno));
	}
	if (fwrite(picture, 1, len, f) != len || (file != NULL ? fclose(f) : fflush(f)) != 0) {
		free(picture);
		return failf("write %s: %s", file != NULL ? file : "stdout", strerror(errno));
	}
	free(picture);
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "graph", no_argument, NULL, 'g' },
					       { "output", required_argument, NULL, 'o' },
					       { NULL, 0, NULL, 0 } };
	const char *output = NULL;
	bool graph = false;
	json_t *list;
	char *text;
	int c, ret;

	while ((c = next_opt(argc, argv, "+ho:", longs)) != -1) {
		switch (c) {
		case 'h':
			fputs(inspect_help, stdout);
			return 0;
		case 'g':
			graph = true;
			break;
		case 'o':
			output = optarg;
			break;
		default:
			return usage_error("inspect");
		}
	}
	if (output != NULL && !graph)
		return failf("--output: goes with --graph");
	if (graph) {
		if (optind + 1 != argc) {
			refuse("inspect --graph: name one container");
			return usage_error("inspect");
		}
		return inspect_graph(argv[optind], output);
	}
	list = json_array();
	ret = each_container(argc, argv, "inspect", do_inspect, list);
	text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(list);
	return ret;
}

/* ---- exec ---- */

static int cmd_exec(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "detach", no_argument, NULL, 'd' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_exec_opts o = { 0 };
	struct process_spec process;
	const char *cwd = NULL, *user = NULL;
	char *env[64], core[PATH_MAX];
	size_t n_env = 0;
	struct error err = { 0 };
	struct record r;
	bool tty = false;
	int c, status;

	while ((c = next_opt(argc, argv, "+hdite:w:u:", longs)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: cell exec [-d] [-i] [-t] [-e KEY=VALUE] [-w DIR] [-u "
			       "UID[:GID]]"
			       " CONTAINER COMMAND [ARG...]\n\n"
			       "Runs COMMAND in a running container: it joins every namespace of\n"
			       "the container's init (setns, as nsenter does), its cgroup, and "
			       "takes\n"
			       "the same capabilities, seccomp filter and no_new_privs. Its exit\n"
			       "status is cell's; -d: leave it running in the background; -t: a\n"
			       "terminal of its own in the container, this one relayed to it.\n");
			return 0;
		case 'd':
			o.detach = true;
			break;
		case 'i':
			break; /* stdin passes through as it is */
		case 't':
			tty = true;
			break;
		case 'e':
			if (n_env == sizeof(env) / sizeof(env[0]))
				return failf("--env: at most %zu", n_env);
			env[n_env++] = optarg;
			break;
		case 'w':
			cwd = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		default:
			return usage_error("exec");
		}
	}
	if (argc - optind < 2) {
		refuse("exec: give a container and a command");
		return usage_error("exec");
	}
	if (find(argv[optind], &r, &err) < 0)
		return fail(&err);
	if (!is(&r, "running"))
		return failf("container %s is %s: exec needs it running", argv[optind], r.state);
	core_root(core, sizeof(core));
	if (ctr_process_from_args(core, r.id, argv + optind + 1, env, n_env, cwd, user,
				  tty && !o.detach, &process, &err) < 0)
		return fail(&err);
	o.root = core;
	o.id = r.id;
	o.process = &process;
	/* -t: a terminal in the container, ours copied to and from it */
	if ((tty && !o.detach ? ctr_exec_attached(&o, &status, &err)
			      : ctr_exec(&o, &status, &err)) < 0) {
		spec_free_process(&process);
		return fail(&err);
	}
	spec_free_process(&process);
	return status;
}

/* ---- logs ---- */

struct log_opts {
	bool follow, times;
	long long tail; /* -1: all */
};

/* Prints the k8s-file lines of BUF (whole lines only); what it used. */
static size_t print_log(const char *buf, size_t n, const struct log_opts *o)
{
	size_t used = 0;

	while (used < n) {
		const char *line = buf + used, *nl = memchr(line, '\n', n - used);
		const char *sp1, *sp2, *text;
		FILE *out;

		if (nl == NULL)
			break;
		used = (size_t)(nl - buf) + 1;
		sp1 = memchr(line, ' ', (size_t)(nl - line));
		sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', (size_t)(nl - sp1 - 1)) : NULL;
		if (sp2 == NULL || nl - sp2 < 3)
			continue;
		text = sp2 + 3;
		out = strncmp(sp1 + 1, "stderr", 6) == 0 ? stderr : stdout;
		if (o->times)
			fprintf(out, "%.*s ", (int)(sp1 - line), line);
		fwrite(text, 1, (size_t)(nl - text), out);
		if (sp2[1] == 'F')
			fputc('\n', out);
		fflush(out);
	}
	return used;
}

static int cmd_logs(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "follow", no_argument, NULL, 'f' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "tail", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct log_opts o = { .tail = -1 };
	char path[PATH_MAX], *buf = NULL;
	struct error err = { 0 };
	struct record r;
	size_t len = 0, done = 0, start = 0;
	int c, fd;

	while ((c = next_opt(argc, argv, "+hftn:", longs)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: cell logs [-f] [-t] [--tail N] CONTAINER\n\n"
			       "What the container wrote, from the log its monitor keeps\n"
			       "(/var/lib/cell/containers/ID/ctr.log, conmon's k8s-file lines: "
			       "time,\n"
			       "stream, F for a full line or P for a part, the text). Its stdout\n"
			       "comes here on stdout, its stderr on stderr. -t: with the times;\n"
			       "--tail N: the last N lines; -f: follow it until it stops.\n");
			return 0;
		case 'f':
			o.follow = true;
			break;
		case 't':
			o.times = true;
			break;
		case 'n':
			if (parse_int("--tail", optarg, 0, &o.tail) < 0)
				return EXIT_CELL;
			break;
		default:
			return usage_error("logs");
		}
	}
	if (optind + 1 != argc) {
		refuse("logs: name one container");
		return usage_error("logs");
	}
	if (find(argv[optind], &r, &err) < 0)
		return fail(&err);
	mon_bundle(&places, r.id, path, sizeof(path));
	strcat(path, "/ctr.log");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	for (;;) {
		char chunk[65536];
		ssize_t n = fd >= 0 ? read(fd, chunk, sizeof(chunk)) : 0;

		if (n > 0) {
			char *grown = realloc(buf, len + (size_t)n);

			if (grown == NULL)
				break;
			buf = grown;
			memcpy(buf + len, chunk, (size_t)n);
			len += (size_t)n;
			continue;
		}
		if (o.tail >= 0 && done == 0 && start == 0 && len > 0) {
			/* the start of the last N lines */
			long long lines = 0;

			start = len;
			while (start > 0 && lines <= o.tail)
				if (buf[--start] == '\n' && ++lines > o.tail)
					start++;
			done = start;
			o.tail = -1;
		}
		done += print_log(buf + done, len - done, &o);
		if (!o.follow)
			break;
		if (store_reload(db, &r, &err) != 0 || !monitor_lives(&r)) {
			if (fd >= 0 && read(fd, chunk, 0) == 0 && done == len)
				break;
		}
		if (fd < 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		usleep(100000);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return 0;
}

/* ---- stats, top ---- */

static void human(long long bytes, char *out, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	if (bytes < 0) {
		snprintf(out, size, "-");
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

struct sample {
	struct record r;
	struct cgroup cg;
	struct cg_usage u;
	struct timespec at;
};

static double elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e9 + (double)(b->tv_nsec - a->tv_nsec);
}

struct stats_opts {
	bool json;
	struct sample *s;
	size_t n;
};

static int stats_collect(struct record *r, void *arg)
{
	struct stats_opts *o = arg;
	struct sample *grown, *s;
	char core[PATH_MAX];

	if (!init_lives(r))
		return 0;
	grown = realloc(o->s, (o->n + 1) * sizeof(*o->s));
	if (grown == NULL)
		return -1;
	o->s = grown;
	s = &o->s[o->n];
	memset(s, 0, sizeof(*s));
	s->r = *r;
	core_root(core, sizeof(core));
	if (ctr_cgroup(core, r->id, &s->cg, &(struct error){ 0 }) < 0 ||
	    cg_usage(&s->cg, &s->u, &(struct error){ 0 }) < 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	o->n++;
	return 0;
}

static int stats_collect_named(struct record *r, const char *ref, void *arg)
{
	struct stats_opts *o = arg;
	size_t before = o->n;

	if (!init_lives(r))
		return refuse("container %s is not running", ref);
	stats_collect(r, arg);
	return o->n > before ? 0 : -1;
}

static void stats_print(struct stats_opts *o)
{
	json_t *list = json_array();

	if (!o->json)
		printf("%-12s  %-20s  %7s  %-22s  %-6s  %-19s  %-19s\n", "ID", "NAME", "CPU %",
		       "MEM USAGE / LIMIT", "PIDS", "NET I/O", "BLOCK I/O");
	for (size_t i = 0; i < o->n; i++) {
		struct sample *s = &o->s[i];
		struct cg_usage now;
		struct timespec at;
		unsigned long long rx, tx;
		double cpu;
		char mem[16], lim[16], r1[16], r2[16], b1[16], b2[16];

		if (cg_usage(&s->cg, &now, &(struct error){ 0 }) < 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &at);
		cpu = 100.0 * (double)(now.cpu_ns - s->u.cpu_ns) / elapsed_ns(&s->at, &at);
		probe_net_bytes(s->r.pid, &rx, &tx);
		if (o->json) {
			json_array_append_new(
				list,
				json_pack("{s:s, s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
					  "Id", s->r.id, "Name", s->r.name, "CPU", cpu, "MemUsage",
					  (json_int_t)now.memory, "MemLimit",
					  (json_int_t)now.memory_limit, "Pids",
					  (json_int_t)now.pids, "PidsLimit",
					  (json_int_t)now.pids_limit, "NetInput", (json_int_t)rx,
					  "NetOutput", (json_int_t)tx, "BlockInput",
					  (json_int_t)now.io_read, "BlockOutput",
					  (json_int_t)now.io_write));
			continue;
		}
		human(now.memory, mem, sizeof(mem));
		human(now.memory_limit, lim, sizeof(lim));
		human((long long)rx, r1, sizeof(r1));
		human((long long)tx, r2, sizeof(r2));
		human((long long)now.io_read, b1, sizeof(b1));
		human((long long)now.io_write, b2, sizeof(b2));
		printf("%-12.12s  %-20s  %6.2f%%  %9s / %-10s  %-6lld  %8s / %-8s  %8s / %-8s\n",
		       s->r.id, s->r.name, cpu, mem, lim, now.pids, r1, r2, b1, b2);
	}
	if (o->json) {
		char *text = json_dumps(list, JSON_INDENT(2));

		printf("%s\n", text);
		free(text);
	}
	json_decref(list);
	fflush(stdout);
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "no-stream", no_argument, NULL, 'n' },
					       { "format", required_argument, NULL, 'f' },
					       { NULL, 0, NULL, 0 } };
	struct stats_opts o = { 0 };
	struct error err = { 0 };
	bool stream = true;
	int c, ret = 0, first = optind;

	while ((c = next_opt(argc, argv, "+hf:", longs)) != -1) {
		switch (c) {
		case 'h':
			printf("Usage: cell stats [--no-stream] [--format json] [CONTAINER...]\n\n"
			       "What the running containers use, from their cgroup files (stage\n"
			       "06): CPU %% over %d ms (cpuacct.usage, or cpu.stat on v2), memory\n"
			       "and its limit, processes, block I/O; network bytes from the\n"
			       "container's own /proc/PID/net/dev. Refreshed each second until "
			       "^C;\n"
			       "--no-stream: once.\n",
			       STATS_INTERVAL);
			return 0;
		case 'n':
			stream = false;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0)
				return failf("--format %s: give json or table", optarg);
			o.json = strcmp(optarg, "json") == 0;
			break;
		default:
			return usage_error("stats");
		}
	}
	first = optind;
	do {
		o.n = 0;
		optind = first;
		if (optind < argc)
			ret = each_container(argc, argv, "stats", stats_collect_named, &o);
		else if (store_each(db, stats_collect, &o, &err) < 0)
			return fail(&err);
		usleep(STATS_INTERVAL * 1000);
		if (stream && !o.json)
			printf("\033[H\033[J");
		stats_print(&o);
		if (stream)
			usleep((1000 - STATS_INTERVAL) * 1000);
	} while (stream && ret == 0);
	free(o.s);
	return ret;
}

static int do_top(struct record *r, const char *ref, void *arg)
{
	struct probe_proc *procs;
	struct error err = { 0 };
	size_t n;

	(void)arg;
	if (!init_lives(r))
		return refuse("container %s is not running", ref);
	if (probe_procs(&places, r, &procs, &n, &err) < 0)
		return fail_err(&err);
	printf("%-8s  %-8s  %-6s  %s\n", "HOST PID", "PID", "UID", "COMMAND");
	for (size_t i = 0; i < n; i++)
		printf("%-8d  %-8d  %-6u  %s\n", procs[i].host_pid, procs[i].pid, procs[i].uid,
		       procs[i].command);
	free(procs);
	return 0;
}

static int cmd_top(int argc, char **argv)
{
	int ret = help_only(argc, argv,
			    "Usage: cell top CONTAINER\n\n"
			    "The container's processes (its cgroup's cgroup.procs) with their\n"
			    "PID on the host and inside (NSpid of /proc/PID/status), uid and\n"
			    "command line.\n");

	if (ret >= 0)
		return ret;
	return each_container(argc, argv, "top", do_top, NULL);
}

/* ---- mount: a host path into running containers ---- */

struct mount_opts {
	const char *src, *dst;
	bool ro;
};

/*
 * open_tree(2) copies the host's mount of SRC into a detached tree (a
 * mount that belongs to no namespace yet); a child joins the container's
 * mount namespace (setns, which also moves its root and working directory
 * to the container's) and move_mount(2) attaches the tree at DST. Nothing
 * is restarted: the running processes see the new mount at once.
 */
static int do_mount(struct record *r, const char *ref, void *arg)
{
	const struct mount_opts *o = arg;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	char path[64];
	int tree, ns, status;
	pid_t pid;

	if (!init_lives(r))
		return refuse("container %s is not running", ref);
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, o->src,
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return refuse("mount: open_tree %s: %s", o->src, strerror(errno));
	if (o->ro && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
			     sizeof(attr)) < 0) {
		close(tree);
		return refuse("mount: make %s read-only: %s", o->src, strerror(errno));
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", r->pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		close(tree);
		return refuse("mount: open %s: %s", path, strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		if (setns(ns, CLONE_NEWNS) < 0) {
			fprintf(stderr, "cell: mount: join %s's mount namespace: %s\n", ref,
				strerror(errno));
			_exit(1);
		}
		if (syscall(SYS_move_mount, tree, "", AT_FDCWD, o->dst, MOVE_MOUNT_F_EMPTY_PATH) <
		    0) {
			fprintf(stderr, "cell: mount: %s in %s: %s%s\n", o->dst, ref,
				strerror(errno),
				errno == ENOENT ? " (make the directory first)" : "");
			_exit(1);
		}
		_exit(0);
	}
	close(tree);
	close(ns);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	printf("%s\n", ref);
	return 0;
}

static int cmd_mount(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "ro", no_argument, NULL, 'r' },
					       { NULL, 0, NULL, 0 } };
	struct mount_opts o = { 0 };
	int c;

	while ((c = next_opt(argc, argv, "+h", longs)) != -1) {
		if (c == 'h') {
			printf("Usage: cell mount [--ro] SRC DST CONTAINER...\n\n"
			       "Binds the host's SRC (a directory, a file, a device node) at DST\n"
			       "in each running CONTAINER, at once and without a restart: a copy\n"
			       "of the mount made with open_tree(2), attached inside the\n"
			       "container's mount namespace with move_mount(2). DST must exist.\n");
			return 0;
		}
		if (c != 'r')
			return usage_error("mount");
		o.ro = true;
	}
	if (argc - optind < 3) {
		refuse("mount: give SRC, DST and at least one container");
		return usage_error("mount");
	}
	o.src = argv[optind++];
	o.dst = argv[optind++];
	if (o.dst[0] != '/')
		return failf("mount: %s: give an absolute path in the container", o.dst);
	return each_container(argc, argv, "mount", do_mount, &o);
}

/* ---- trace ---- */

static const char trace_help[] =
	"Usage: cell trace [--calls LIST] [--duration S] CONTAINER\n"
	"\n"
	"Follows the system calls of a running CONTAINER from the kernel, until\n"
	"Ctrl-C, its end, or S seconds: an eBPF program on the sys_enter\n"
	"tracepoint, filtered by the container's PID namespace, counts every call\n"
	"in a kernel map, and sends a line, with the arguments, for each call\n"
	"named in LIST. Then the count of each call. It is cell-trace, a program\n"
	"of its own that links libbcc ($CELL_TRACE, the build's, or on PATH).\n"
	"\n"
	"  --calls LIST     names separated by commas, or `all` (default: clone,\n"
	"                   clone3,unshare,setns,mount,umount2,pivot_root,execve)\n"
	"  --duration S     stop after S seconds\n";

/*
 * cell trace: the container's init's PID, then cell-trace in this
 * process's place (exec), so that Ctrl-C, its output and its exit status
 * are the user's own. Its argv[0], "cell trace", names it in its errors.
 */
static int cmd_trace(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "calls", required_argument, NULL, 'c' },
					       { "duration", required_argument, NULL, 'd' },
					       { NULL, 0, NULL, 0 } };
	char path[PATH_MAX], pid[16], *calls = NULL, *duration = NULL;
	char *args[8] = { "cell trace" };
	struct error err = { 0 };
	struct record r;
	int c, n = 1;

	while ((c = next_opt(argc, argv, "+h", longs)) != -1) {
		switch (c) {
		case 'h':
			fputs(trace_help, stdout);
			return 0;
		case 'c':
			calls = optarg;
			break;
		case 'd':
			duration = optarg;
			break;
		default:
			return usage_error("trace");
		}
	}
	if (optind != argc - 1) {
		refuse("trace: give one container");
		return usage_error("trace");
	}
	if (rootless)
		return failf("trace: " NO_ROOTLESS_TRACE);
	if (find(argv[optind], &r, &err) < 0)
		return fail(&err);
	if (!alive(&r) || !init_lives(&r))
		return failf("container %s is not running (%s)", argv[optind], r.state);
	if (find_program("cell-trace", "CELL_TRACE", CELL_TRACE, "trace", path, sizeof(path)) < 0)
		return EXIT_CELL;
	if (calls != NULL) {
		args[n++] = "--calls";
		args[n++] = calls;
	}
	if (duration != NULL) {
		args[n++] = "--duration";
		args[n++] = duration;
	}
	snprintf(pid, sizeof(pid), "%d", r.pid);
	args[n++] = pid;
	args[n] = NULL;
	store_close(db);
	db = NULL;
	execv(path, args);
	return failf("trace: exec %s: %s", path, strerror(errno));
}

/* ---- commit ---- */

static const char commit_help[] =
	"Usage: cell commit [-c CHANGE]... [-q] CONTAINER NAME[:TAG]\n"
	"\n"
	"A new image: CONTAINER's image and one layer more, made of its overlay's\n"
	"upper directory, where its writes are (stage 04). A file it deleted is a\n"
	"whiteout there, a character device 0:0, and becomes OCI's .wh.NAME; a\n"
	"directory it replaced is opaque (xattr trusted.overlay.opaque) and gets a\n"
	".wh..wh..opq. Stop the container first for a consistent copy.\n"
	"\n"
	"  -c, --change CHANGE   CMD, ENTRYPOINT, ENV, WORKDIR or USER, as podman's\n"
	"  -q, --quiet           print the id only\n";

static int cmd_commit(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "change", required_argument, NULL, 'c' },
					       { "quiet", no_argument, NULL, 'q' },
					       { NULL, 0, NULL, 0 } };
	struct img_store s = { .db = db, .lib = places.lib, .progress = stderr };
	char base[STORE_IMAGE_LEN + 1], id[STORE_IMAGE_LEN + 1], upper[PATH_MAX + 16];
	char dir[PATH_MAX];
	json_t *changes = json_array();
	struct error err = { 0 };
	struct record r;
	int c, ret = EXIT_CELL;

	while ((c = next_opt(argc, argv, "+hc:q", longs)) != -1) {
		switch (c) {
		case 'h':
			fputs(commit_help, stdout);
			ret = 0;
			goto out;
		case 'c':
			json_array_append_new(changes, json_string(optarg));
			break;
		case 'q':
			s.progress = NULL;
			break;
		default:
			usage_error("commit");
			goto out;
		}
	}
	if (argc - optind != 2) {
		refuse("commit: give a CONTAINER and a NAME[:TAG]");
		usage_error("commit");
		goto out;
	}
	if (find(argv[optind], &r, &err) < 0) {
		fail(&err);
		goto out;
	}
	if (store_container_image(db, r.id, base, sizeof(base), &err) != 1) {
		if (err.msg[0] == '\0')
			refuse("commit: container %s was made with --rootfs, not from an image",
			       r.name);
		else
			fail(&err);
		goto out;
	}
	mon_bundle(&places, r.id, dir, sizeof(dir));
	snprintf(upper, sizeof(upper), "%s/upper", dir);
	if (realpath(upper, dir) == NULL) {
		refuse("commit: %s: %s", upper, strerror(errno));
		goto out;
	}
	images_catch_signals();
	if (img_commit(&s, dir, base, argv[optind + 1], changes, id, &err) < 0) {
		fail(&err);
		goto out;
	}
	printf("%s\n", id + 7);
	ret = 0;
out:
	json_decref(changes);
	return ret;
}

/* ---- the command table ---- */

/* ---- networks ---- */

static const char network_help[] =
	"Usage: cell network create [--subnet CIDR] [--nat] NAME\n"
	"       cell network ls [-q] [--format json]\n"
	"       cell network rm NAME...\n"
	"\n"
	"A network is a bridge on the host (cell0 for the default network, cell,\n"
	"on 10.88.0.0/16; cell1, cell2... for the ones created) with the\n"
	"subnet's first address; each container on it has a veth pair whose host\n"
	"end is a port of the bridge, and an address leased from the subnet in\n"
	"the store. Containers on one network reach each other by name (its\n"
	"hosts file is their /etc/hosts); the host routes nothing from one\n"
	"network to another (cell's nftables table), nor out of the host but\n"
	"for a network made with --nat. The bridge exists while a container\n"
	"runs on the network.\n"
	"\n"
	"  --subnet CIDR   e.g. 10.90.0.0/24 (default: the first free 10.89.N.0/24);\n"
	"                  refused if the host routes it, or it overlaps a network\n"
	"  --nat           outbound access: what the network sends out of the host\n"
	"                  leaves with the address of the link it leaves through\n"
	"                  (masquerade); sets net.ipv4.ip_forward to 1, and gives\n"
	"                  it back its former value when the last such network goes\n"
	"  -q              names only\n";

/* "10.90.0.0/24": a subnet's address (its host part zero) and prefix */
static int parse_subnet(const char *text, struct net_addr *a)
{
	char addr[INET_ADDRSTRLEN + 4], *slash, *end;
	struct in_addr in;
	long prefix;

	if (strlen(text) >= sizeof(addr) || (slash = strchr(strcpy(addr, text), '/')) == NULL)
		return refuse("--subnet %s: give ADDRESS/PREFIX, e.g. 10.90.0.0/24", text);
	*slash = '\0';
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &in) != 1 || *end != '\0' || end == slash + 1 || prefix < 8 ||
	    prefix > 28)
		return refuse("--subnet %s: give ADDRESS/PREFIX with a prefix of 8 to 28", text);
	a->addr = ntohl(in.s_addr);
	a->prefix = (int)prefix;
	if (a->addr & ~(~0u << (32 - prefix)))
		return refuse("--subnet %s: the host part is not zero", text);
	a->host = a->addr + 1;
	return 0;
}

static int network_create(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "subnet", required_argument, NULL, 's' },
					       { "nat", no_argument, NULL, 'n' },
					       { NULL, 0, NULL, 0 } };
	const char *subnet = NULL, *name;
	bool nat = false;
	struct store_network n;
	struct net_addr a;
	struct error err = { 0 };
	char now[40];
	int c;

	while ((c = next_opt(argc, argv, "+h", longs)) != -1) {
		if (c == 'h') {
			fputs(network_help, stdout);
			return 0;
		}
		if (c == 'n') {
			nat = true;
			continue;
		}
		if (c != 's')
			return usage_error("network");
		if (parse_subnet(optarg, &a) < 0)
			return EXIT_CELL;
		if (net_check_subnet(&a, NULL, &err) < 0)
			return failf("--subnet %s: %s", optarg, err.msg);
		subnet = optarg;
	}
	if (argc - optind != 1)
		return failf("network create: give one NAME");
	name = argv[optind];
	if (!valid_name(name) || strlen(name) >= sizeof(n.name) || strcmp(name, "bridge") == 0 ||
	    strcmp(name, "none") == 0 || strcmp(name, "host") == 0)
		return failf("network create %s: letters, digits and _.- only, starting with a "
			     "letter or digit, and not bridge, none or host",
			     name);
	st_now(now, sizeof(now));
	if (store_network_add(db, name, subnet, nat, now, &n, &err) < 0)
		return fail(&err);
	/* a default subnet is checked against the host's routes too */
	a = (struct net_addr){ .addr = n.net, .host = n.net + 1, .prefix = n.prefix };
	if ((subnet == NULL && net_check_subnet(&a, NULL, &err) < 0) ||
	    make_network_dir(name, &err) < 0 || mon_write_hosts(db, &places, name, &err) < 0 ||
	    (nat && mon_nat_forward(db, true, &err) < 0)) {
		store_network_rm(db, name, &(struct error){ 0 });
		if (nat)
			mon_nat_forward(db, false, &(struct error){ 0 });
		return fail(&err);
	}
	printf("%s\n", name);
	return 0;
}

struct network_list {
	bool quiet;
	json_t *json;
};

static int network_row(const struct store_network *n, void *arg)
{
	struct network_list *l = arg;

	if (l->json != NULL)
		json_array_append_new(l->json,
				      json_pack("{s:s, s:s, s:s, s:b, s:i}", "Name", n->name,
						"Bridge", n->bridge, "Subnet", n->subnet, "Nat",
						n->nat, "Containers", n->leases));
	else if (l->quiet)
		printf("%s\n", n->name);
	else
		printf("%-20s %-8s %-18s %-4s %d\n", n->name, n->bridge, n->subnet,
		       n->nat ? "yes" : "no", n->leases);
	return 0;
}

static int network_ls(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "format", required_argument, NULL, 'f' },
					       { NULL, 0, NULL, 0 } };
	struct network_list l = { 0 };
	struct error err = { 0 };
	int c, ret = 0;

	while ((c = next_opt(argc, argv, "+hq", longs)) != -1) {
		if (c == 'h') {
			fputs(network_help, stdout);
			return 0;
		}
		if (c == 'q')
			l.quiet = true;
		else if (c == 'f' && strcmp(optarg, "json") == 0)
			l.json = json_array();
		else
			return c == 'f' ? failf("--format %s: only json", optarg)
					: usage_error("network");
	}
	if (l.json == NULL && !l.quiet)
		printf("%-20s %-8s %-18s %-4s %s\n", "NAME", "BRIDGE", "SUBNET", "NAT",
		       "CONTAINERS");
	if (store_network_each(db, network_row, &l, &err) < 0)
		ret = fail(&err);
	if (l.json != NULL) {
		if (ret == 0)
			json_dumpf(l.json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (ret == 0)
			putchar('\n');
		json_decref(l.json);
	}
	return ret;
}

static int network_rm(int argc, char **argv)
{
	struct store_network n;
	struct error err;
	char dir[PATH_MAX + 16];
	int ret = help_only(argc, argv, network_help);

	if (ret >= 0)
		return ret;
	ret = 0;
	if (optind >= argc)
		return failf("network rm: give a NAME");
	for (int i = optind; i < argc; i++) {
		err = (struct error){ 0 };
		if (strcmp(argv[i], STORE_DEFAULT_NET) == 0) {
			ret = failf("network rm %s: the default network stays", argv[i]);
			continue;
		}
		if (store_network_get(db, argv[i], &n, &err) < 0 ||
		    store_network_rm(db, argv[i], &err) < 0) {
			ret = fail(&err);
			continue;
		}
		/* a bridge that outlives its last container for a moment */
		if (net_bridge_delete(n.bridge, places.lib, &err) < 0 ||
		    (n.nat && mon_nat_forward(db, false, &err) < 0)) {
			ret = fail(&err);
			continue;
		}
		snprintf(dir, sizeof(dir), "%s/networks/%s", places.lib, argv[i]);
		st_remove_tree(dir, &err);
		printf("%s\n", argv[i]);
	}
	return ret;
}

static int cmd_network(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(network_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_CELL : 0;
	}
	if (strcmp(argv[1], "create") == 0)
		return network_create(argc - 1, argv + 1);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return network_ls(argc - 1, argv + 1);
	if (strcmp(argv[1], "rm") == 0)
		return network_rm(argc - 1, argv + 1);
	return failf("network %s: give create, ls or rm", argv[1]);
}

/* ---- volumes ---- */

static const char volume_help[] =
	"Usage: cell volume create NAME\n"
	"       cell volume ls [-q]\n"
	"       cell volume rm NAME...\n"
	"\n"
	"A volume is a directory that cell keeps, /var/lib/cell/volumes/NAME/_data,\n"
	"for files that outlive containers: cell run -v NAME:/path binds it (made\n"
	"on first use). rm refuses a volume that a container, running or not, has.\n";

static int volume_row(const char *name, const char *created, void *arg)
{
	char path[PATH_MAX];

	if (*(bool *)arg) {
		printf("%s\n", name);
	} else {
		volume_path(name, path, sizeof(path));
		printf("%-24s %-22.19s %s\n", name, created, path);
	}
	return 0;
}

static int cmd_volume(int argc, char **argv)
{
	char path[PATH_MAX + 16], other[sizeof(((struct record *)0)->name)];
	struct error err = { 0 };
	bool quiet = false;
	int ret = 0, c;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(volume_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_CELL : 0;
	}
	if (strcmp(argv[1], "create") == 0) {
		if (argc != 3)
			return failf("volume create: give one NAME");
		if ((ret = volume_make(argv[2], path, sizeof(path), &err)) < 0)
			return fail(&err);
		if (ret == 0)
			return failf("volume create %s: it exists", argv[2]);
		printf("%s\n", argv[2]);
		return 0;
	}
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0) {
		argc--;
		argv++;
		while ((c = next_opt(argc, argv, "+hq",
				     (struct option[]){ { NULL, 0, NULL, 0 } })) != -1) {
			if (c != 'q')
				return c == 'h' ? (fputs(volume_help, stdout), 0)
						: usage_error("volume");
			quiet = true;
		}
		if (!quiet)
			printf("%-24s %-22s %s\n", "NAME", "CREATED", "PATH");
		return store_volume_each(db, volume_row, &quiet, &err) < 0 ? fail(&err) : 0;
	}
	if (strcmp(argv[1], "rm") != 0)
		return failf("volume %s: give create, ls or rm", argv[1]);
	if (argc < 3)
		return failf("volume rm: give a NAME");
	for (int i = 2; i < argc; i++) {
		err = (struct error){ 0 };
		volume_path(argv[i], path, sizeof(path));
		/* a container's config.json names the volume's directory */
		if (store_used_path(db, path, other, sizeof(other), &err) != 0) {
			ret = err.msg[0]
				      ? fail(&err)
				      : failf("volume rm %s: container %s has it", argv[i], other);
			continue;
		}
		if (store_volume_rm(db, argv[i], &err) < 0) {
			ret = fail(&err);
			continue;
		}
		*strrchr(path, '/') = '\0';
		if (st_remove_tree(path, &err) < 0)
			ret = fail(&err);
		else
			printf("%s\n", argv[i]);
	}
	return ret;
}

static const char help[] =
	"Usage: cell [--root DIR] [--runroot DIR] [-v] COMMAND [OPTIONS] ...\n"
	"\n"
	"cell is stage 10 of the toolkit: a container runtime built from the nine\n"
	"stages before it, with podman's commands. No daemon: a small monitor\n"
	"stays with each container. `cell COMMAND --help` tells more.\n"
	"\n"
	"  run         run a command in a new container\n"
	"  create      make a container, its program waiting for start\n"
	"  start       start a created (or a stopped) container\n"
	"  stop        SIGTERM, then SIGKILL after a time\n"
	"  kill        send a signal\n"
	"  restart     stop, then start again from the saved configuration\n"
	"  rm          remove a container\n"
	"  ps, list    the containers\n"
	"  status      a container's state: created, running, paused or stopped\n"
	"  inspect     everything known of a container, as JSON\n"
	"  exec        run a command in a running container\n"
	"  logs        what a container wrote\n"
	"  stats       CPU, memory, processes, network and block I/O\n"
	"  top         a container's processes\n"
	"  pause, freeze      freeze a container (cgroup freezer)\n"
	"  unpause, thaw      thaw it\n"
	"  mount       bind a host path into running containers\n"
	"  network     create, ls, rm: bridges that containers share\n"
	"  volume      create, ls, rm: directories kept for containers\n"
	"  trace       its system calls, seen from the kernel (eBPF: cell-trace)\n"
	"  web         a page that shows the containers live, with their controls\n"
	"  image       import, load, save, ls, rm, inspect, history: images\n"
	"  pull        an image from a registry\n"
	"  commit      a container's changes as a new image\n"
	"  runc        runc's command line, for podman and containerd (= cell-runc)\n"
	"\n"
	"  --root DIR      the store and bundles (default /var/lib/cell)\n"
	"  --runroot DIR   the runtime state (default /run/cell)\n"
	"  -v, --verbose   trace each step with the stage that teaches it\n"
	"\n"
	"An ordinary user's cell is rootless: root of a user namespace of the\n"
	"user's own (held by cell-pause; /etc/subuid's range mapped with\n"
	"newuidmap), its store in ~/.local/share/cell, its state in\n"
	"$XDG_RUNTIME_DIR/cell (or /tmp/cell-run-UID), its network slirp4netns,\n"
	"its limits only in a cgroup v2 subtree delegated to the user. Its overlay\n"
	"is the kernel's (Linux 5.11 and later) or fuse-overlayfs where the kernel\n"
	"refuses; CELL_OVERLAY=fuse-overlayfs asks for fuse-overlayfs in any case.\n"
	"\n"
	"Lab notes: 10-full-runtime/README.md.\n";

/*
 * An ordinary user's cell joins the user's namespace (rootless.c), then
 * runs itself again there, its places given: a program's memory belongs
 * to the user namespace it was started in, and only a process with
 * CAP_SYS_PTRACE there may open /proc/PID/ns/ of a process that is not
 * dumpable, as a container's init is until its program runs
 * (ptrace(2), "Ptrace access mode checking"). Started anew inside, cell,
 * its monitors and their inits belong to the user's namespace, whose root
 * slirp4netns and `cell exec` are.
 */
static int enter_user_namespace(int argc, char **argv)
{
	char **again = calloc((size_t)argc + 5, sizeof(*again));
	struct error err = { 0 };

	if (again == NULL)
		return failf("out of memory");
	if (rl_enter(places.run, stderr, &err) < 0) {
		free(again);
		return fail(&err);
	}
	again[0] = argv[0];
	again[1] = "--root";
	again[2] = places.lib;
	again[3] = "--runroot";
	again[4] = places.run;
	memcpy(again + 5, argv + 1, (size_t)argc * sizeof(*again));
	execv("/proc/self/exe", again);
	err_sys(&err, "run cell again in the user's namespace (/proc/self/exe)");
	free(again);
	return fail(&err);
}

int cli_main(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "root", required_argument, NULL, 'R' },
					       { "runroot", required_argument, NULL, 'r' },
					       { "verbose", no_argument, NULL, 'v' },
					       { "version", no_argument, NULL, 'V' },
					       { NULL, 0, NULL, 0 } };
	const char *lib = "/var/lib/cell", *run = "/run/cell", *cmd;
	char user_lib[PLACE_MAX], user_run[PLACE_MAX];
	bool lib_given = false, run_given = false;
	struct error err = { 0 };
	int c, ret;

	int orig_argc = argc;
	char **orig_argv = argv;

	/* as an ordinary user, and again once in the user's namespace */
	rootless = geteuid() != 0 || rl_in_user_ns();
	while ((c = getopt_long(argc, argv, "+hv", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return 0;
		case 'R':
			lib = optarg;
			lib_given = true;
			break;
		case 'r':
			run = optarg;
			run_given = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'V':
			printf("cell version %s\n", CELL_VERSION);
			return 0;
		default:
			fputs(help, stderr);
			return EXIT_CELL;
		}
	}
	if (optind >= argc) {
		fputs(help, stderr);
		return EXIT_CELL;
	}
	if (rootless && (!lib_given || !run_given)) {
		if (rl_places(user_lib, user_run, sizeof(user_lib), &err) < 0)
			return fail(&err);
		lib = lib_given ? lib : user_lib;
		run = run_given ? run : user_run;
	}
	if (lib[0] != '/' || run[0] != '/')
		return failf("--root and --runroot: give absolute paths");
	if (strlen(lib) >= PLACE_MAX || strlen(run) >= PLACE_MAX)
		return failf("--root and --runroot: at most %d characters", PLACE_MAX - 1);
	snprintf(places.lib, sizeof(places.lib), "%s", lib);
	snprintf(places.run, sizeof(places.run), "%s", run);
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	if (strcmp(cmd, "help") == 0) {
		fputs(help, stdout);
		return 0;
	}
	if (geteuid() != 0)
		return enter_user_namespace(orig_argc, orig_argv);
	/* run again as /proc/self/exe, which would name it "exe" in ps */
	if (rootless)
		prctl(PR_SET_NAME, "cell", 0, 0, 0);
	if (store_open(places.lib, &db, &err) < 0)
		return fail(&err);
	if (strcmp(cmd, "run") == 0)
		ret = cmd_run(argc, argv, true);
	else if (strcmp(cmd, "create") == 0)
		ret = cmd_run(argc, argv, false);
	else if (strcmp(cmd, "start") == 0)
		ret = cmd_start(argc, argv);
	else if (strcmp(cmd, "stop") == 0)
		ret = cmd_stop(argc, argv);
	else if (strcmp(cmd, "kill") == 0)
		ret = cmd_kill(argc, argv);
	else if (strcmp(cmd, "restart") == 0)
		ret = cmd_restart(argc, argv);
	else if (strcmp(cmd, "rm") == 0)
		ret = cmd_rm(argc, argv);
	else if (strcmp(cmd, "ps") == 0 || strcmp(cmd, "list") == 0)
		ret = cmd_ps(argc, argv);
	else if (strcmp(cmd, "status") == 0)
		ret = (ret = help_only(argc, argv,
				       "Usage: cell status CONTAINER...\n\nIts state: created, "
				       "running, paused or stopped.\n")) >= 0
			      ? ret
			      : each_container(argc, argv, "status", do_status, NULL);
	else if (strcmp(cmd, "inspect") == 0)
		ret = cmd_inspect(argc, argv);
	else if (strcmp(cmd, "exec") == 0)
		ret = cmd_exec(argc, argv);
	else if (strcmp(cmd, "logs") == 0)
		ret = cmd_logs(argc, argv);
	else if (strcmp(cmd, "stats") == 0)
		ret = cmd_stats(argc, argv);
	else if (strcmp(cmd, "top") == 0)
		ret = cmd_top(argc, argv);
	else if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "freeze") == 0)
		ret = cmd_pause(argc, argv, true);
	else if (strcmp(cmd, "unpause") == 0 || strcmp(cmd, "thaw") == 0)
		ret = cmd_pause(argc, argv, false);
	else if (strcmp(cmd, "mount") == 0)
		ret = cmd_mount(argc, argv);
	else if (strcmp(cmd, "network") == 0)
		ret = cmd_network(argc, argv);
	else if (strcmp(cmd, "volume") == 0)
		ret = cmd_volume(argc, argv);
	else if (strcmp(cmd, "web") == 0)
		ret = web_main(argc, argv, &places, db);
	else if (strcmp(cmd, "trace") == 0)
		ret = cmd_trace(argc, argv);
	else if (strcmp(cmd, "image") == 0)
		ret = images_main(db, places.lib, argc, argv);
	else if (strcmp(cmd, "pull") == 0)
		ret = images_pull(db, places.lib, argc, argv);
	else if (strcmp(cmd, "commit") == 0)
		ret = cmd_commit(argc, argv);
	else
		ret = failf("%s: not a command (cell --help lists them)", cmd);
	store_close(db);
	return ret;
}
