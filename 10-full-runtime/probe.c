/*
 * probe.c: what the kernel shows of one of the people's containers, for
 * the front ends that show it (probe.h). Nothing here is what cell says
 * of itself: the processes are the cgroup's, their PIDs inside the
 * NSpid line of /proc/PID/status (proc(5)), the namespaces the inodes of
 * entries of /proc/PID/ns (namespaces(7)), the mounts the init's mountinfo, the use
 * and limits the cgroup's own files.
 *
 * The picture is written in Graphviz's DOT language, which is text: a
 * node per process, namespace, cgroup and interface, an edge per
 * relation. Graphviz's `dot` lays it out and draws it (SVG, PNG); it is a
 * program of its own, run when a picture is asked for.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "net.h"
#include "probe.h"
#include "state.h"

#define LOG_TAIL_BYTES (256 * 1024) /* of the log's end read for its last lines */

bool probe_init_lives(const struct record *r)
{
	return r->pid > 0 && st_start_time(r->pid) == r->pid_start;
}

/* Reads /proc/PID/FILE into BUF (NULs become spaces, for cmdline). */
static void proc_text(pid_t pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* The value of a "Key:\tvalue" line of /proc/PID/status, or NULL. */
static const char *status_field(const char *status, const char *key, char *out, size_t size)
{
	size_t len = strlen(key);

	for (const char *line = status; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');
		size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);

		if (n > len && strncmp(line, key, len) == 0 && line[len] == ':') {
			const char *v = line + len + 1;

			while (*v == '\t' || *v == ' ')
				v++;
			snprintf(out, size, "%.*s", (int)(n - (size_t)(v - line)), v);
			return out;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return NULL;
}

int probe_procs(const struct places *p, const struct record *r, struct probe_proc **procs,
		size_t *n, struct error *err)
{
	char core[PATH_MAX], status[4096], field[256];
	pid_t *pids = NULL;
	size_t count = 0;

	*procs = NULL;
	*n = 0;
	if (!probe_init_lives(r))
		return err_set(err, "container %s is not running", r->name);
	mon_core_root(p, core, sizeof(core));
	if (ctr_pids(core, r->id, &pids, &count, err) < 0)
		return -1;
	*procs = calloc(count ? count : 1, sizeof(**procs));
	if (*procs == NULL) {
		free(pids);
		return err_sys(err, "calloc");
	}
	for (size_t i = 0; i < count; i++) {
		struct probe_proc *q = &(*procs)[*n];
		const char *last;

		proc_text(pids[i], "status", status, sizeof(status));
		if (status[0] == '\0')
			continue; /* gone since the cgroup was read */
		q->host_pid = pids[i];
		/* NSpid: the PID in each namespace from the host's down */
		if (status_field(status, "NSpid", field, sizeof(field)) != NULL) {
			last = strrchr(field, '\t');
			q->pid = (pid_t)atoi(last != NULL ? last + 1 : field);
		}
		if (status_field(status, "PPid", field, sizeof(field)) != NULL)
			q->ppid = (pid_t)atoi(field);
		if (status_field(status, "Uid", field, sizeof(field)) != NULL)
			q->uid = (uid_t)strtoul(field, NULL, 10);
		proc_text(pids[i], "cmdline", q->command, sizeof(q->command));
		/* a zombie has no command line: its name, as ps shows it */
		if (q->command[0] == '\0' &&
		    status_field(status, "Name", field, sizeof(field)) != NULL)
			snprintf(q->command, sizeof(q->command), "[%s]", field);
		(*n)++;
	}
	free(pids);
	return 0;
}

void probe_net_bytes(pid_t pid, unsigned long long *rx, unsigned long long *tx)
{
	char path[64], line[512];
	FILE *f;

	*rx = *tx = 0;
	snprintf(path, sizeof(path), "/proc/%d/net/dev", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[64];
		unsigned long long r, t;

		if (sscanf(line, " %63[^:]: %llu %*u %*u %*u %*u %*u %*u %*u %llu", name, &r, &t) ==
			    3 &&
		    strcmp(name, "lo") != 0) {
			*rx += r;
			*tx += t;
		}
	}
	fclose(f);
}

/* The namespaces of PID (0: cell's own): type -> inode. */
static json_t *namespaces_of(pid_t pid)
{
	static const char *const kinds[] = { "cgroup", "ipc",  "mnt", "net",
					     "pid",    "user", "uts", "time" };
	json_t *o = json_object();
	char path[64];
	struct stat st;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (pid != 0)
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kinds[i]);
		else
			snprintf(path, sizeof(path), "/proc/self/ns/%s", kinds[i]);
		if (stat(path, &st) == 0)
			json_object_set_new(o, kinds[i], json_integer((json_int_t)st.st_ino));
	}
	return o;
}

/* The mounts the container's init sees: mount point, type and source. */
static json_t *mounts_of(pid_t pid)
{
	char path[64], *line = NULL;
	json_t *list = json_array();
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return list;
	while (getline(&line, &cap, f) > 0) {
		char target[PATH_MAX], type[64], source[PATH_MAX];

		if (sscanf(line, "%*s %*s %*s %*s %4095s %*[^-]- %63s %4095s", target, type,
			   source) == 3)
			json_array_append_new(list,
					      json_pack("{s:s, s:s, s:s}", "Destination", target,
							"Type", type, "Source", source));
	}
	free(line);
	fclose(f);
	return list;
}

/*
 * A container's addresses: eth0's inside and the host end's. With --ip,
 * the host end has the subnet's first address; on a network, it is a
 * port of the network's bridge, which has it, and the address is the
 * container's lease; its published ports with it.
 */
static json_t *addresses_of(sqlite3 *db, const struct record *r, json_t *config)
{
	const json_t *notes = json_object_get(config, "annotations");
	const char *cidr = json_string_value(json_object_get(notes, MON_IP_ANNOTATION));
	const char *ports = json_string_value(json_object_get(notes, MON_PORTS_ANNOTATION));
	char host[INET_ADDRSTRLEN], link[IFNAMSIZ], end[INET_ADDRSTRLEN + 4];
	char mine[INET_ADDRSTRLEN + 4], text[INET_ADDRSTRLEN];
	struct store_network n;
	struct net_addr a;
	struct net_port pt;
	json_t *o, *list = json_array();
	uint32_t addr;

	net_link_name(r->id, link, sizeof(link));
	if (cidr != NULL && net_parse_cidr(cidr, &a, &(struct error){ 0 }) == 0) {
		net_text(a.host, host, sizeof(host));
		snprintf(end, sizeof(end), "%s/%d", host, a.prefix);
		json_decref(list);
		return json_pack("{s:s, s:{s:s, s:s}}", "eth0", cidr, "HostEnd", "Name", link,
				 "Address", end);
	}
	/* a lease: while the container runs on a network */
	if (store_lease_of(db, r->id, &n, &addr, &(struct error){ 0 }) != 1) {
		json_decref(list);
		return json_object();
	}
	net_text(addr, text, sizeof(text));
	snprintf(mine, sizeof(mine), "%s/%d", text, n.prefix);
	net_text(n.net + 1, host, sizeof(host));
	snprintf(end, sizeof(end), "%s/%d", host, n.prefix);
	if (ports != NULL) {
		char *copy = strdup(ports), *save = NULL;

		for (char *t = copy != NULL ? strtok_r(copy, ",", &save) : NULL; t != NULL;
		     t = strtok_r(NULL, ",", &save)) {
			char port[64];

			if (net_parse_port(t, &pt, &(struct error){ 0 }) < 0)
				continue;
			net_port_text(&pt, port, sizeof(port));
			json_array_append_new(list, json_string(port));
		}
		free(copy);
	}
	o = json_pack("{s:s, s:s, s:b, s:{s:s, s:s, s:s}, s:o}", "eth0", mine, "Network", n.name,
		      "Nat", n.nat, "HostEnd", "Name", link, "Bridge", n.bridge, "Address", end,
		      "Ports", list);
	return o;
}

static json_t *processes_of(const struct places *p, const struct record *r)
{
	struct probe_proc *procs;
	json_t *list = json_array();
	size_t n;

	if (probe_procs(p, r, &procs, &n, &(struct error){ 0 }) < 0)
		return list;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list,
				      json_pack("{s:i, s:i, s:i, s:i, s:s}", "HostPid",
						(int)procs[i].host_pid, "Pid", (int)procs[i].pid,
						"HostPPid", (int)procs[i].ppid, "Uid",
						(int)procs[i].uid, "Command", procs[i].command));
	free(procs);
	return list;
}

static json_t *usage_of(const struct cgroup *cg)
{
	struct cg_usage u;

	if (cg_usage(cg, &u, &(struct error){ 0 }) < 0)
		return json_object();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "CpuNs", (json_int_t)u.cpu_ns,
			 "CpuQuotaUs", (json_int_t)u.cpu_quota_us, "CpuPeriodUs",
			 (json_int_t)u.cpu_period_us, "Memory", (json_int_t)u.memory, "MemoryLimit",
			 (json_int_t)u.memory_limit, "Pids", (json_int_t)u.pids, "PidsLimit",
			 (json_int_t)u.pids_limit, "OomKills", (json_int_t)cg_oom_kills(cg));
}

json_t *probe_inspect(sqlite3 *db, const struct places *p, const struct record *r)
{
	json_t *o, *config, *cgroups = json_object(), *usage = json_object();
	char *text = NULL, bundle[PATH_MAX], core[PATH_MAX], log[PATH_MAX + 16];
	struct cgroup cg = { 0 };
	bool live = probe_init_lives(r);

	store_config(db, r->id, &text, &(struct error){ 0 });
	config = text != NULL ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (config == NULL)
		config = json_null();
	mon_core_root(p, core, sizeof(core));
	if (live && ctr_cgroup(core, r->id, &cg, &(struct error){ 0 }) == 0) {
		for (int i = 0; i < cg.n; i++)
			if (cg.h[i].dir[0] != '\0')
				json_object_set_new(cgroups,
						    cg.h[i].controllers[0] ? cg.h[i].controllers
									   : "unified",
						    json_string(cg.h[i].dir));
		json_decref(usage);
		usage = usage_of(&cg);
	}
	mon_bundle(p, r->id, bundle, sizeof(bundle));
	snprintf(log, sizeof(log), "%s/ctr.log", bundle);
	o = json_pack("{s:s, s:s, s:s, s:{s:s, s:b, s:b, s:i, s:i, s:b, s:s, s:s, s:i},"
		      " s:s, s:s, s:s, s:{s:s, s:i}, s:i, s:b, s:b, s:o, s:o, s:o, s:o}",
		      "Id", r->id, "Name", r->name, "Created", r->created, "State", "Status",
		      r->state, "Running", strcmp(r->state, "running") == 0, "Paused",
		      strcmp(r->state, "paused") == 0, "Pid", (int)(live ? r->pid : 0), "ExitCode",
		      r->has_exit ? r->exit_code : 0, "OOMKilled", r->oom, "StartedAt", r->started,
		      "FinishedAt", r->finished, "MonitorPid", (int)(mon_alive(r) ? r->monitor : 0),
		      "Rootfs", r->rootfs, "Bundle", bundle, "LogPath", log, "RestartPolicy",
		      "Name", r->restart, "MaximumRetryCount", r->restart_max, "RestartCount",
		      r->restarts, "AutoRemove", r->rm, "Tty", r->tty, "Config", config,
		      "Namespaces", live ? namespaces_of(r->pid) : json_object(), "CgroupPaths",
		      cgroups, "Mounts", live ? mounts_of(r->pid) : json_array());
	json_object_set_new(o, "Addresses", addresses_of(db, r, config));
	json_object_set_new(o, "Command", json_string(r->command));
	/* the host's: those cell runs in (PID 1's may be closed to it, in a
	 * sandbox) */
	json_object_set_new(o, "HostNamespaces", namespaces_of(0));
	json_object_set_new(o, "Processes", live ? processes_of(p, r) : json_array());
	json_object_set_new(o, "Usage", usage);
	return o;
}

/* ---- the log's last lines ---- */

json_t *probe_log_tail(const struct places *p, const char *id, int lines)
{
	char path[PATH_MAX], *buf, *line, *pending = NULL;
	json_t *all = json_array(), *tail;
	struct stat st;
	ssize_t n;
	off_t from;
	int fd;

	mon_bundle(p, id, path, sizeof(path) - 16);
	strcat(path, "/ctr.log");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return all;
	buf = malloc(LOG_TAIL_BYTES + 1);
	from = fstat(fd, &st) == 0 && st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
	n = buf != NULL ? pread(fd, buf, LOG_TAIL_BYTES, from) : -1;
	close(fd);
	if (n <= 0) {
		free(buf);
		return all;
	}
	buf[n] = '\0';
	line = buf;
	if (from > 0) { /* the first line read is likely cut: skip it */
		line = strchr(buf, '\n');
		line = line != NULL ? line + 1 : buf + n;
	}
	/* k8s-file lines: TIME STREAM F|P TEXT; P is a part, the next line
	 * goes on with it */
	for (char *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		char *sp1, *sp2, *joined;

		*nl = '\0';
		sp1 = strchr(line, ' ');
		sp2 = sp1 != NULL ? strchr(sp1 + 1, ' ') : NULL;
		if (sp2 == NULL || (sp2[1] != 'F' && sp2[1] != 'P') ||
		    (sp2[2] != ' ' && sp2[2] != '\0'))
			continue;
		*sp1 = *sp2 = '\0';
		if (asprintf(&joined, "%s%s", pending != NULL ? pending : "",
			     sp2[2] != '\0' ? sp2 + 3 : "") < 0)
			break;
		free(pending);
		pending = joined;
		if (sp2[1] == 'P')
			continue;
		json_array_append_new(all, json_pack("{s:s, s:s, s:s}", "Time", line, "Stream",
						     sp1 + 1, "Text", pending));
		free(pending);
		pending = NULL;
	}
	free(pending);
	free(buf);
	if ((int)json_array_size(all) <= lines)
		return all;
	tail = json_array();
	for (size_t i = json_array_size(all) - (size_t)lines; i < json_array_size(all); i++)
		json_array_append(tail, json_array_get(all, i));
	json_decref(all);
	return tail;
}

/* ---- the picture, in DOT ---- */

/* TEXT inside a DOT string: quotes and backslashes escaped, control
 * characters (a command line's) made spaces, at most MAX bytes. */
static void dot_text(FILE *f, const char *text, size_t max)
{
	for (size_t i = 0; text[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '"' || c == '\\')
			fputc('\\', f);
		fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
	}
}

static void human(long long bytes, char *out, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static long long int_of(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void dot_processes(FILE *f, const json_t *procs)
{
	size_t i, j;
	json_t *q, *r;

	json_array_foreach(procs, i, q)
	{
		fprintf(f, "    p%lld [label=\"", int_of(q, "HostPid"));
		dot_text(f, json_string_value(json_object_get(q, "Command")), 48);
		fprintf(f, "\\nhost PID %lld, PID %lld inside\", fillcolor=\"#dbe9f6\"];\n",
			int_of(q, "HostPid"), int_of(q, "Pid"));
	}
	/* an edge from each process whose parent is in the container too */
	json_array_foreach(procs, i, q)
	{
		json_array_foreach(procs, j, r)
		{
			if (int_of(r, "HostPid") == int_of(q, "HostPPid"))
				fprintf(f, "    p%lld -> p%lld;\n", int_of(r, "HostPid"),
					int_of(q, "HostPid"));
		}
	}
}

static void dot_namespaces(FILE *f, const json_t *o, long long init)
{
	const json_t *mine = json_object_get(o, "Namespaces"),
		     *host = json_object_get(o, "HostNamespaces");
	const char *kind;
	json_t *ino;

	json_object_foreach((json_t *)mine, kind, ino)
	{
		bool shared =
			json_integer_value(ino) == json_integer_value(json_object_get(host, kind));

		fprintf(f,
			"  ns_%s [shape=ellipse, label=\"%s\\n%lld%s\", fillcolor=\"%s\"];\n"
			"  p%lld -> ns_%s [style=dashed, arrowhead=none];\n",
			kind, kind, (long long)json_integer_value(ino),
			shared ? "\\n(the host's)" : "", shared ? "#eeeeee" : "#fde9c9", init,
			kind);
	}
}

static void dot_cgroup(FILE *f, const json_t *o, long long init)
{
	const json_t *u = json_object_get(o, "Usage"), *paths = json_object_get(o, "CgroupPaths");
	const char *dir = NULL, *key, *base;
	char mem[16], lim[16];
	json_t *v;

	json_object_foreach((json_t *)paths, key, v)
	{
		if (dir == NULL || strstr(key, "memory") != NULL)
			dir = json_string_value(v);
	}
	if (dir == NULL)
		return;
	/* the path below the hierarchy's root, its last part (the id, 64
	 * digits) on a line of its own */
	dir = strstr(dir, "/cell/") != NULL ? strstr(dir, "/cell/") : dir;
	base = strrchr(dir, '/');
	fputs("  cgroup [shape=folder, fillcolor=\"#e3f1df\", label=\"cgroup ", f);
	dot_text(f, dir, (size_t)(base - dir) + 1);
	fputs("\\l", f);
	dot_text(f, base + 1, 200);
	human(int_of(u, "Memory"), mem, sizeof(mem));
	if (int_of(u, "MemoryLimit") >= 0)
		human(int_of(u, "MemoryLimit"), lim, sizeof(lim));
	else
		snprintf(lim, sizeof(lim), "no limit");
	fprintf(f, "\\lmemory %s / %s\\lpids %lld / ", mem, lim, int_of(u, "Pids"));
	if (int_of(u, "PidsLimit") >= 0)
		fprintf(f, "%lld", int_of(u, "PidsLimit"));
	else
		fputs("no limit", f);
	if (int_of(u, "CpuQuotaUs") > 0 && int_of(u, "CpuPeriodUs") > 0)
		fprintf(f, "\\lCPUs %.2f",
			(double)int_of(u, "CpuQuotaUs") / (double)int_of(u, "CpuPeriodUs"));
	fprintf(f, "\\l\"];\n  p%lld -> cgroup [style=dotted, arrowhead=none];\n", init);
}

static void dot_mounts(FILE *f, const json_t *o, long long init)
{
	const json_t *mounts = json_object_get(o, "Mounts");
	size_t i;
	json_t *m;

	if (json_array_size(mounts) == 0)
		return;
	fputs("  mounts [shape=note, fillcolor=\"#f6f2d5\", label=\"mounts (its mountinfo)\\l", f);
	json_array_foreach(mounts, i, m)
	{
		dot_text(f, json_string_value(json_object_get(m, "Destination")), 60);
		fputs("  ", f);
		dot_text(f, json_string_value(json_object_get(m, "Type")), 20);
		fputs("\\l", f);
	}
	fprintf(f, "\"];\n  p%lld -> mounts [style=dotted, arrowhead=none];\n", init);
}

static void dot_veth(FILE *f, const json_t *o)
{
	const json_t *a = json_object_get(o, "Addresses"), *end = json_object_get(a, "HostEnd");
	const char *eth0 = json_string_value(json_object_get(a, "eth0"));

	if (eth0 == NULL || end == NULL)
		return;
	fputs("  eth0 [shape=cds, fillcolor=\"#f3dcee\", label=\"eth0\\n", f);
	dot_text(f, eth0, 64);
	fputs("\"];\n  hostend [shape=cds, fillcolor=\"#f3dcee\", label=\"", f);
	dot_text(f, json_string_value(json_object_get(end, "Name")), 32);
	fputs("\\n", f);
	/* on a network, the address is the bridge's: the host end is a port */
	if (json_object_get(end, "Bridge") != NULL) {
		fputs("port of ", f);
		dot_text(f, json_string_value(json_object_get(end, "Bridge")), 32);
		fputs(" ", f);
	}
	dot_text(f, json_string_value(json_object_get(end, "Address")), 64);
	fputs("\"];\n  eth0 -> hostend [dir=both, label=\"veth pair\"];\n"
	      "  ns_net -> eth0 [style=dashed, arrowhead=none];\n",
	      f);
}

char *probe_dot(const json_t *o)
{
	const json_t *procs = json_object_get(o, "Processes");
	const char *id = json_string_value(json_object_get(o, "Id"));
	long long init = int_of(json_object_get(o, "State"), "Pid");
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (f == NULL)
		return NULL;
	fputs("digraph container {\n"
	      "  rankdir=LR;\n"
	      "  node [shape=box, style=filled, fontname=\"DejaVu Sans\", fontsize=10];\n"
	      "  edge [fontname=\"DejaVu Sans\", fontsize=9];\n"
	      "  subgraph cluster_container {\n"
	      "    label=\"container ",
	      f);
	dot_text(f, json_string_value(json_object_get(o, "Name")), 64);
	fprintf(f, " (%.12s), %s\";\n    style=rounded;\n", id != NULL ? id : "?",
		json_string_value(json_object_get(json_object_get(o, "State"), "Status")));
	if (init == 0 || json_array_size(procs) == 0)
		fputs("    p0 [label=\"no process: not running\"];\n", f);
	else
		dot_processes(f, procs);
	fputs("  }\n", f);
	if (init != 0) {
		dot_namespaces(f, o, init);
		dot_cgroup(f, o, init);
		dot_mounts(f, o, init);
		dot_veth(f, o);
	}
	fputs("}\n", f);
	fclose(f);
	return text;
}

/*
 * Graphviz's dot reads the graph on its stdin and writes the picture on
 * its stdout. The graph goes in through a memfd rather than a pipe, so
 * that no write can block while dot's output waits to be read.
 */
int probe_render(const char *dot, const char *format, char **out, size_t *len, struct error *err)
{
	int in = memfd_create("cell-graph", MFD_CLOEXEC), pipefd[2], status = -1;
	size_t size = strlen(dot), cap = 0;
	char arg[32];
	pid_t pid;

	*out = NULL;
	*len = 0;
	if (in < 0)
		return err_sys(err, "memfd_create");
	if (write(in, dot, size) != (ssize_t)size || lseek(in, 0, SEEK_SET) < 0) {
		close(in);
		return err_sys(err, "write the graph for dot");
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(in);
		return err_sys(err, "pipe");
	}
	snprintf(arg, sizeof(arg), "-T%s", format);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (dup2(in, 0) < 0 || dup2(pipefd[1], 1) < 0 || devnull < 0 ||
		    dup2(devnull, 2) < 0)
			_exit(126);
		execlp("dot", "dot", arg, (char *)NULL);
		_exit(127);
	}
	close(in);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return err_sys(err, "fork");
	}
	for (;;) {
		char *grown;
		ssize_t n;

		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			grown = realloc(*out, cap);
			if (grown == NULL)
				break;
			*out = grown;
		}
		n = read(pipefd[0], *out + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(*out);
		*out = NULL;
		*len = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			return err_set(err, "Graphviz's dot is not installed (apt-get install "
					    "graphviz); the graph itself is text: cell inspect "
					    "--graph CONTAINER");
		return err_set(err, "dot -T%s failed", format);
	}
	return 0;
}
