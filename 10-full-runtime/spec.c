/*
 * spec.c: config.json into struct spec, with jansson.
 *
 * Why a library: JSON has escapes, numbers of every size and nesting that a
 * hand-made parser gets wrong in the corners, and a runtime reads what its
 * clients (podman, containerd) write, not what we would. jansson is small,
 * has no dependencies, and reports the line and column of a syntax error.
 *
 * The rule of this file: every field the runtime specification defines for
 * Linux is either honoured or refused with a one-line reason that names it.
 * An ignored seccomp rule, device rule or read-only path would be a hole the
 * user never sees, so nothing is skipped in silence. Fields of other
 * platforms (windows, solaris, vm) and unknown fields are ignored, as the
 * specification asks.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sched.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "spec.h"

/* ---- names and numbers ---- */

static const struct {
	const char *type, *proc;
	int flag;
} ns_table[NS_COUNT] = {
	[NS_USER] = { "user", "user", CLONE_NEWUSER },
	[NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
	[NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[NS_NET] = { "network", "net", CLONE_NEWNET },
	[NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *ns_name(enum ns_kind kind)
{
	return ns_table[kind].type;
}

const char *ns_proc_name(enum ns_kind kind)
{
	return ns_table[kind].proc;
}

int ns_clone_flag(enum ns_kind kind)
{
	return ns_table[kind].flag;
}

/* capabilities(7), in the kernel's numbering */
static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int spec_cap_number(const char *name)
{
	for (int i = 0; i < N_CAPS; i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return i;
	return -1;
}

const char *spec_cap_name(int number)
{
	return number >= 0 && number < N_CAPS ? cap_names[number] : NULL;
}

int spec_signal_number(const char *text)
{
	char *end;
	long n;
	int sig;

	if (text[0] >= '0' && text[0] <= '9') {
		n = strtol(text, &end, 10);
		return *end == '\0' && n > 0 && n < NSIG ? (int)n : -1;
	}
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	/* sigabbrev_np(3) knows the names; RTMIN+N is spelt out by hand */
	for (sig = 1; sig < SIGRTMIN; sig++) {
		const char *name = sigabbrev_np(sig);

		if (name != NULL && strcasecmp(name, text) == 0)
			return sig;
	}
	if (strncasecmp(text, "RTMIN+", 6) == 0 || strncasecmp(text, "RTMAX-", 6) == 0) {
		n = strtol(text + 6, &end, 10);
		if (*end != '\0' || n < 0 || n > SIGRTMAX - SIGRTMIN)
			return -1;
		return text[5] == '+' ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
	}
	return -1;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* ---- reading JSON: each helper names the field on error ---- */

/* A field of OBJ, which must be of TYPE when present; *OUT is NULL when absent. */
static int field(json_t *obj, const char *where, const char *key, json_type type, json_t **out,
		 struct error *err)
{
	static const char *const names[] = { "an object", "an array",  "a string",  "an integer",
					     "a number",  "a boolean", "a boolean", "null" };
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) == type || (type == JSON_TRUE && json_is_boolean(v)) ||
	    (type == JSON_REAL && json_is_number(v))) {
		*out = v;
		return 0;
	}
	return err_set(err, "%s%s%s: must be %s", where, where[0] != '\0' ? "." : "", key,
		       names[type]);
}

static int get_string(json_t *obj, const char *where, const char *key, char **out,
		      struct error *err)
{
	json_t *v;

	*out = NULL;
	if (field(obj, where, key, JSON_STRING, &v, err) < 0)
		return -1;
	if (v != NULL)
		*out = strdup(json_string_value(v));
	return 0;
}

static int get_bool(json_t *obj, const char *where, const char *key, bool *out, struct error *err)
{
	json_t *v;

	if (field(obj, where, key, JSON_TRUE, &v, err) < 0)
		return -1;
	if (v != NULL)
		*out = json_is_true(v);
	return 0;
}

/* An integer within [MIN, MAX]; *HAS tells whether it was there. */
static int get_int(json_t *obj, const char *where, const char *key, int64_t min, int64_t max,
		   int64_t *out, bool *has, struct error *err)
{
	json_t *v;

	if (has != NULL)
		*has = false;
	if (field(obj, where, key, JSON_INTEGER, &v, err) < 0)
		return -1;
	if (v == NULL)
		return 0;
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return err_set(err, "%s.%s: %lld is out of range (%lld to %lld)", where, key,
			       (long long)*out, (long long)min, (long long)max);
	if (has != NULL)
		*has = true;
	return 0;
}

/* An unsigned 64-bit value: jansson holds integers as long long, so the
 * largest values (a memory limit of "no limit" as 2^64-1) arrive negative. */
static int get_u64(json_t *obj, const char *where, const char *key, uint64_t *out, bool *has,
		   struct error *err)
{
	json_t *v;

	*has = false;
	if (field(obj, where, key, JSON_INTEGER, &v, err) < 0)
		return -1;
	if (v == NULL)
		return 0;
	*out = (uint64_t)json_integer_value(v);
	*has = true;
	return 0;
}

/* An array of strings into a NULL-terminated char **. */
static int get_strv(json_t *obj, const char *where, const char *key, char ***out, struct error *err)
{
	json_t *v, *item;
	size_t i;

	*out = NULL;
	if (field(obj, where, key, JSON_ARRAY, &v, err) < 0)
		return -1;
	if (v == NULL)
		return 0;
	*out = calloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return err_set(err, "%s.%s[%zu]: must be a string", where, key, i);
		(*out)[i] = strdup(json_string_value(item));
	}
	return 0;
}

/* ---- root, process ---- */

static int parse_root(json_t *doc, const char *bundle, struct spec *spec, struct error *err)
{
	json_t *root;
	char *path;

	if (field(doc, "", "root", JSON_OBJECT, &root, err) < 0)
		return -1;
	if (root == NULL)
		return err_set(err, "root: missing (the bundle's root file system)");
	if (get_string(root, "root", "path", &path, err) < 0 ||
	    get_bool(root, "root", "readonly", &spec->root_readonly, err) < 0)
		return -1;
	if (path == NULL || path[0] == '\0') {
		free(path);
		return err_set(err, "root.path: missing");
	}
	/* a relative root is relative to the bundle (config.md, "Root") */
	if (path[0] == '/') {
		spec->root_path = path;
	} else {
		if (asprintf(&spec->root_path, "%s/%s", bundle, path) < 0)
			spec->root_path = NULL;
		free(path);
	}
	return 0;
}

static int parse_caps(json_t *process, struct caps_spec *caps, struct error *err)
{
	static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted",
					    "ambient" };
	uint64_t *masks[] = { &caps->bounding, &caps->effective, &caps->inheritable,
			      &caps->permitted, &caps->ambient };
	json_t *obj, *list, *item;
	size_t i;

	if (field(process, "process", "capabilities", JSON_OBJECT, &obj, err) < 0)
		return -1;
	if (obj == NULL)
		return 0;
	caps->given = true;
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		if (field(obj, "process.capabilities", sets[s], JSON_ARRAY, &list, err) < 0)
			return -1;
		json_array_foreach(list, i, item)
		{
			int n = json_is_string(item) ? spec_cap_number(json_string_value(item))
						     : -1;

			/* A capability this program does not know is refused:
			 * granting less than asked would surprise, more is
			 * impossible. */
			if (n < 0)
				return err_set(err, "process.capabilities.%s[%zu]: %s%s%s", sets[s],
					       i, "unknown capability \"",
					       json_is_string(item) ? json_string_value(item) : "?",
					       "\"");
			*masks[s] |= 1ULL << n;
		}
	}
	return 0;
}

static int rlimit_number(const char *name)
{
	static const struct {
		const char *name;
		int resource;
	} table[] = {
		{ "RLIMIT_AS", RLIMIT_AS },
		{ "RLIMIT_CORE", RLIMIT_CORE },
		{ "RLIMIT_CPU", RLIMIT_CPU },
		{ "RLIMIT_DATA", RLIMIT_DATA },
		{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
		{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
		{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
		{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
		{ "RLIMIT_NICE", RLIMIT_NICE },
		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
		{ "RLIMIT_NPROC", RLIMIT_NPROC },
		{ "RLIMIT_RSS", RLIMIT_RSS },
		{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
		{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
		{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
		{ "RLIMIT_STACK", RLIMIT_STACK },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(name, table[i].name) == 0)
			return table[i].resource;
	return -1;
}

static int parse_rlimits(json_t *process, struct process_spec *p, struct error *err)
{
	json_t *list, *item;
	char where[64];
	size_t i;

	if (field(process, "process", "rlimits", JSON_ARRAY, &list, err) < 0)
		return -1;
	p->rlimits = calloc(json_array_size(list) + 1, sizeof(*p->rlimits));
	json_array_foreach(list, i, item)
	{
		struct rlimit_spec *r = &p->rlimits[p->n_rlimits++];
		bool has_soft, has_hard;
		char *type;

		snprintf(where, sizeof(where), "process.rlimits[%zu]", i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_string(item, where, "type", &type, err) < 0)
			return -1;
		r->resource = type != NULL ? rlimit_number(type) : -1;
		if (r->resource < 0) {
			err_set(err, "%s.type: unknown limit \"%s\"", where, type ? type : "");
			free(type);
			return -1;
		}
		free(type);
		if (get_u64(item, where, "soft", &r->soft, &has_soft, err) < 0 ||
		    get_u64(item, where, "hard", &r->hard, &has_hard, err) < 0)
			return -1;
		if (!has_soft || !has_hard)
			return err_set(err, "%s: needs both soft and hard", where);
		if (r->soft > r->hard)
			return err_set(err, "%s: soft %llu is above hard %llu", where,
				       (unsigned long long)r->soft, (unsigned long long)r->hard);
	}
	return 0;
}

static int parse_user(json_t *process, struct process_spec *p, struct error *err)
{
	json_t *user, *gids, *item;
	int64_t v;
	bool has;
	size_t i;

	if (field(process, "process", "user", JSON_OBJECT, &user, err) < 0)
		return -1;
	if (user == NULL)
		return 0;
	if (get_int(user, "process.user", "uid", 0, UINT32_MAX - 1, &v, &has, err) < 0)
		return -1;
	p->uid = has ? (uid_t)v : 0;
	if (get_int(user, "process.user", "gid", 0, UINT32_MAX - 1, &v, &has, err) < 0)
		return -1;
	p->gid = has ? (gid_t)v : 0;
	if (get_int(user, "process.user", "umask", 0, 0777, &v, &has, err) < 0)
		return -1;
	p->umask = has ? (int)v : -1;
	if (json_object_get(user, "username") != NULL)
		return err_set(err, "process.user.username: a Windows field, not for Linux");
	if (field(user, "process.user", "additionalGids", JSON_ARRAY, &gids, err) < 0)
		return -1;
	p->additional_gids = calloc(json_array_size(gids) + 1, sizeof(gid_t));
	json_array_foreach(gids, i, item)
	{
		if (!json_is_integer(item) || json_integer_value(item) < 0 ||
		    json_integer_value(item) >= UINT32_MAX)
			return err_set(err, "process.user.additionalGids[%zu]: not a group id", i);
		p->additional_gids[p->n_additional_gids++] = (gid_t)json_integer_value(item);
	}
	return 0;
}

/*
 * process.scheduler (runtime-spec 1.2): the policy of sched(7) and its
 * priority, and a nice value, for sched_setscheduler(2) and
 * setpriority(2). SCHED_DEADLINE and the flags need sched_setattr's
 * extra fields: refused rather than half applied.
 */
static int load_scheduler(json_t *sched, struct process_spec *p, struct error *err)
{
	static const struct {
		const char *name;
		int policy;
	} policies[] = { { "SCHED_OTHER", SCHED_OTHER },
			 { "SCHED_BATCH", SCHED_BATCH },
			 { "SCHED_IDLE", SCHED_IDLE },
			 { "SCHED_FIFO", SCHED_FIFO },
			 { "SCHED_RR", SCHED_RR } };
	static const char *const refused[] = { "flags", "runtime", "deadline", "period" };
	char *policy = NULL;
	int64_t v;
	bool has;

	if (sched == NULL)
		return 0;
	if (!json_is_object(sched))
		return err_set(err, "process.scheduler: not an object");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (json_object_get(sched, refused[i]) != NULL)
			return err_set(err, "process.scheduler.%s: not supported by cell",
				       refused[i]);
	if (get_string(sched, "process.scheduler", "policy", &policy, err) < 0)
		return -1;
	if (policy == NULL)
		return err_set(err, "process.scheduler.policy: missing");
	p->sched_policy = -1;
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++)
		if (strcmp(policy, policies[i].name) == 0)
			p->sched_policy = policies[i].policy;
	if (p->sched_policy < 0) {
		err_set(err,
			"process.scheduler.policy: \"%s\" is not one of SCHED_OTHER, "
			"SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR",
			policy);
		free(policy);
		return -1;
	}
	free(policy);
	if (get_int(sched, "process.scheduler", "priority", 0, 99, &v, &has, err) < 0)
		return -1;
	p->sched_priority = has ? (int)v : 0;
	if ((p->sched_policy == SCHED_FIFO || p->sched_policy == SCHED_RR) !=
	    (p->sched_priority > 0))
		return err_set(err, "process.scheduler.priority: 1 to 99 for SCHED_FIFO and "
				    "SCHED_RR, 0 for the others");
	if (get_int(sched, "process.scheduler", "nice", -20, 19, &v, &p->has_nice, err) < 0)
		return -1;
	p->nice = (int)v;
	p->has_scheduler = true;
	return 0;
}

static int parse_process_object(json_t *process, struct process_spec *p, struct error *err)
{
	json_t *size;
	int64_t v;
	bool has;

	p->umask = -1;
	if (get_bool(process, "process", "terminal", &p->terminal, err) < 0 ||
	    get_strv(process, "process", "args", &p->args, err) < 0 ||
	    get_strv(process, "process", "env", &p->env, err) < 0 ||
	    get_string(process, "process", "cwd", &p->cwd, err) < 0 ||
	    get_bool(process, "process", "noNewPrivileges", &p->no_new_privileges, err) < 0 ||
	    get_string(process, "process", "apparmorProfile", &p->apparmor_profile, err) < 0 ||
	    get_string(process, "process", "selinuxLabel", &p->selinux_label, err) < 0 ||
	    parse_user(process, p, err) < 0 || parse_caps(process, &p->caps, err) < 0 ||
	    parse_rlimits(process, p, err) < 0)
		return -1;
	if (p->args == NULL || p->args[0] == NULL)
		return err_set(err, "process.args: missing (the program to run)");
	if (p->cwd == NULL || p->cwd[0] != '/')
		return err_set(err, "process.cwd: must be an absolute path, not \"%s\"",
			       p->cwd ? p->cwd : "");
	for (size_t i = 0; p->env != NULL && p->env[i] != NULL; i++)
		if (strchr(p->env[i], '=') == NULL)
			return err_set(err, "process.env[%zu]: \"%s\" is not KEY=VALUE", i,
				       p->env[i]);
	/* No MAC module is driven by this runtime: asking for one and not
	 * getting it must not look like success. */
	if (p->apparmor_profile != NULL && p->apparmor_profile[0] != '\0')
		return err_set(err, "process.apparmorProfile: AppArmor is not supported by cell");
	if (p->selinux_label != NULL && p->selinux_label[0] != '\0')
		return err_set(err, "process.selinuxLabel: SELinux is not supported by cell");
	if (get_int(process, "process", "oomScoreAdj", -1000, 1000, &v, &p->has_oom_score_adj,
		    err) < 0)
		return -1;
	p->oom_score_adj = (int)v;
	if (field(process, "process", "consoleSize", JSON_OBJECT, &size, err) < 0)
		return -1;
	if (size != NULL) {
		if (get_int(size, "process.consoleSize", "height", 0, 65535, &v, &has, err) < 0)
			return -1;
		p->console_height = has ? (unsigned int)v : 0;
		if (get_int(size, "process.consoleSize", "width", 0, 65535, &v, &has, err) < 0)
			return -1;
		p->console_width = has ? (unsigned int)v : 0;
	}
	if (json_object_get(process, "ioPriority") != NULL)
		return err_set(err, "process.ioPriority: not supported by cell");
	if (load_scheduler(json_object_get(process, "scheduler"), p, err) < 0)
		return -1;
	if (json_object_get(process, "execCPUAffinity") != NULL)
		return err_set(err, "process.execCPUAffinity: not supported by cell");
	return 0;
}

/* ---- mounts ---- */

/* mount(8)'s option words: those that are flags, and what each sets or clears. */
static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{ "ro", MS_RDONLY, 0 },
	{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },
	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },
	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },
	{ "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 },
	{ "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "remount", MS_REMOUNT, 0 },
	{ "mand", MS_MANDLOCK, 0 },
	{ "nomand", 0, MS_MANDLOCK },
	{ "atime", 0, MS_NOATIME },
	{ "noatime", MS_NOATIME, 0 },
	{ "diratime", 0, MS_NODIRATIME },
	{ "nodiratime", MS_NODIRATIME, 0 },
	{ "relatime", MS_RELATIME, 0 },
	{ "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME },
	{ "silent", MS_SILENT, 0 },
	{ "loud", 0, MS_SILENT },
};

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
	{ "private", MS_PRIVATE },	 { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },	 { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },		 { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static unsigned long propagation_flags(const char *name)
{
	for (size_t i = 0; i < sizeof(propagations) / sizeof(propagations[0]); i++)
		if (strcmp(name, propagations[i].name) == 0)
			return propagations[i].flags;
	return 0;
}

static int parse_mount_options(json_t *opts, const char *where, struct mount_spec *m,
			       struct error *err)
{
	size_t i, len = 0;
	json_t *item;

	json_array_foreach(opts, i, item)
	{
		const char *o;
		bool known = false;

		if (!json_is_string(item))
			return err_set(err, "%s.options[%zu]: must be a string", where, i);
		o = json_string_value(item);
		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			m->bind = true;
			m->recursive = m->recursive || o[0] == 'r';
			continue;
		}
		if (propagation_flags(o) != 0) {
			m->propagation = propagation_flags(o);
			continue;
		}
		for (size_t f = 0; f < sizeof(mount_flags) / sizeof(mount_flags[0]); f++) {
			if (strcmp(o, mount_flags[f].name) != 0)
				continue;
			m->flags = (m->flags & ~mount_flags[f].clear) | mount_flags[f].set;
			m->clear = (m->clear & ~mount_flags[f].set) | mount_flags[f].clear;
			known = true;
		}
		/* idmapped and recursive attribute options need a kernel
		 * feature this runtime does not drive yet */
		if (!known &&
		    (strncmp(o, "idmap", 5) == 0 || strncmp(o, "ridmap", 6) == 0 ||
		     (o[0] == 'r' && strncmp(o, "rro", 3) == 0) || strcmp(o, "tmpcopyup") == 0))
			return err_set(err, "%s.options: \"%s\" is not supported by cell", where,
				       o);
		if (known)
			continue;
		/* anything else is the file system's own (size=, mode=, newinstance) */
		m->data = realloc(m->data, len + strlen(o) + 2);
		len += (size_t)sprintf(m->data + len, "%s%s", len > 0 ? "," : "", o);
	}
	return 0;
}

static int parse_mounts(json_t *doc, const char *bundle, struct spec *spec, struct error *err)
{
	json_t *list, *item, *opts;
	char where[64];
	size_t i;

	if (field(doc, "", "mounts", JSON_ARRAY, &list, err) < 0)
		return -1;
	spec->mounts = calloc(json_array_size(list) + 1, sizeof(*spec->mounts));
	json_array_foreach(list, i, item)
	{
		struct mount_spec *m = &spec->mounts[spec->n_mounts++];

		snprintf(where, sizeof(where), "mounts[%zu]", i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_string(item, where, "destination", &m->destination, err) < 0 ||
		    get_string(item, where, "type", &m->type, err) < 0 ||
		    get_string(item, where, "source", &m->source, err) < 0 ||
		    field(item, where, "options", JSON_ARRAY, &opts, err) < 0 ||
		    parse_mount_options(opts, where, m, err) < 0)
			return -1;
		if (m->destination == NULL || m->destination[0] != '/')
			return err_set(err, "%s.destination: must be an absolute path", where);
		if (json_object_get(item, "uidMappings") != NULL ||
		    json_object_get(item, "gidMappings") != NULL)
			return err_set(err, "%s: idmapped mounts are not supported by cell", where);
		if (m->type != NULL && strcmp(m->type, "bind") == 0)
			m->bind = true;
		if (m->bind) {
			if (m->source == NULL)
				return err_set(err, "%s.source: a bind mount needs one", where);
			/* a relative source is relative to the bundle */
			if (m->source[0] != '/') {
				char *abs;

				if (asprintf(&abs, "%s/%s", bundle, m->source) < 0)
					return err_sys(err, "%s.source", where);
				free(m->source);
				m->source = abs;
			}
		} else if (m->type == NULL) {
			return err_set(err, "%s.type: missing (and the options say no bind)",
				       where);
		}
	}
	return 0;
}

/* ---- hooks ---- */

static int parse_hook_list(json_t *hooks, const char *key, struct hook_spec **out, size_t *n,
			   struct error *err)
{
	json_t *list, *item;
	char where[64];
	int64_t v;
	bool has;
	size_t i;

	if (field(hooks, "hooks", key, JSON_ARRAY, &list, err) < 0)
		return -1;
	*out = calloc(json_array_size(list) + 1, sizeof(**out));
	json_array_foreach(list, i, item)
	{
		struct hook_spec *h = &(*out)[(*n)++];

		snprintf(where, sizeof(where), "hooks.%s[%zu]", key, i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_string(item, where, "path", &h->path, err) < 0 ||
		    get_strv(item, where, "args", &h->args, err) < 0 ||
		    get_strv(item, where, "env", &h->env, err) < 0 ||
		    get_int(item, where, "timeout", 1, INT32_MAX, &v, &has, err) < 0)
			return -1;
		h->timeout = has ? (int)v : 0;
		if (h->path == NULL || h->path[0] != '/')
			return err_set(err, "%s.path: must be an absolute path", where);
	}
	return 0;
}

static int parse_hooks(json_t *doc, struct spec *spec, struct error *err)
{
	struct hooks_spec *h = &spec->hooks;
	json_t *hooks;

	if (field(doc, "", "hooks", JSON_OBJECT, &hooks, err) < 0)
		return -1;
	if (hooks == NULL)
		return 0;
	if (parse_hook_list(hooks, "prestart", &h->prestart, &h->n_prestart, err) < 0 ||
	    parse_hook_list(hooks, "createRuntime", &h->create_runtime, &h->n_create_runtime, err) <
		    0 ||
	    parse_hook_list(hooks, "createContainer", &h->create_container, &h->n_create_container,
			    err) < 0 ||
	    parse_hook_list(hooks, "startContainer", &h->start_container, &h->n_start_container,
			    err) < 0 ||
	    parse_hook_list(hooks, "poststart", &h->poststart, &h->n_poststart, err) < 0 ||
	    parse_hook_list(hooks, "poststop", &h->poststop, &h->n_poststop, err) < 0)
		return -1;
	return 0;
}

/* ---- linux: namespaces, maps, devices ---- */

static int parse_namespaces(json_t *lnx, struct spec *spec, struct error *err)
{
	json_t *list, *item;
	char where[64];
	size_t i;

	if (field(lnx, "linux", "namespaces", JSON_ARRAY, &list, err) < 0)
		return -1;
	json_array_foreach(list, i, item)
	{
		char *type, *path;
		int kind = -1;

		snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_string(item, where, "type", &type, err) < 0)
			return -1;
		for (int k = 0; k < NS_COUNT && type != NULL; k++)
			if (strcmp(type, ns_table[k].type) == 0)
				kind = k;
		if (kind < 0) {
			err_set(err, "%s.type: unknown namespace \"%s\"", where, type ? type : "");
			free(type);
			return -1;
		}
		free(type);
		if (spec->ns[kind].wanted)
			return err_set(err, "%s: the %s namespace is listed twice", where,
				       ns_table[kind].type);
		if (get_string(item, where, "path", &path, err) < 0)
			return -1;
		spec->ns[kind].wanted = true;
		spec->ns[kind].path = path;
	}
	return 0;
}

static int parse_id_maps(json_t *lnx, const char *key, struct id_map **out, size_t *n,
			 struct error *err)
{
	json_t *list, *item;
	char where[64];
	int64_t v;
	bool has[3];
	size_t i;

	if (field(lnx, "linux", key, JSON_ARRAY, &list, err) < 0)
		return -1;
	*out = calloc(json_array_size(list) + 1, sizeof(**out));
	json_array_foreach(list, i, item)
	{
		struct id_map *m = &(*out)[(*n)++];

		snprintf(where, sizeof(where), "linux.%s[%zu]", key, i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_int(item, where, "containerID", 0, UINT32_MAX - 1, &v, &has[0], err) < 0)
			return -1;
		m->container_id = (uint32_t)v;
		if (get_int(item, where, "hostID", 0, UINT32_MAX - 1, &v, &has[1], err) < 0)
			return -1;
		m->host_id = (uint32_t)v;
		if (get_int(item, where, "size", 1, UINT32_MAX, &v, &has[2], err) < 0)
			return -1;
		m->size = (uint32_t)v;
		if (!has[0] || !has[1] || !has[2])
			return err_set(err, "%s: needs containerID, hostID and size", where);
	}
	return 0;
}

static int parse_devices(json_t *lnx, struct spec *spec, struct error *err)
{
	json_t *list, *item;
	char where[64], *type;
	int64_t v;
	bool has;
	size_t i;

	if (field(lnx, "linux", "devices", JSON_ARRAY, &list, err) < 0)
		return -1;
	spec->devices = calloc(json_array_size(list) + 1, sizeof(*spec->devices));
	json_array_foreach(list, i, item)
	{
		struct device_spec *d = &spec->devices[spec->n_devices++];

		snprintf(where, sizeof(where), "linux.devices[%zu]", i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_string(item, where, "path", &d->path, err) < 0 ||
		    get_string(item, where, "type", &type, err) < 0)
			return -1;
		if (d->path == NULL || d->path[0] != '/' || strncmp(d->path, "/dev/", 5) != 0) {
			free(type);
			return err_set(err, "%s.path: must be under /dev", where);
		}
		if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL) {
			free(type);
			return err_set(err, "%s.type: must be c, b, u or p", where);
		}
		d->type = type[0];
		free(type);
		if (get_int(item, where, "major", 0, UINT32_MAX, &d->major, &has, err) < 0)
			return -1;
		if (!has && d->type != 'p')
			return err_set(err, "%s.major: missing", where);
		if (get_int(item, where, "minor", 0, UINT32_MAX, &d->minor, &has, err) < 0)
			return -1;
		if (!has && d->type != 'p')
			return err_set(err, "%s.minor: missing", where);
		if (get_int(item, where, "fileMode", 0, 07777, &v, &d->has_mode, err) < 0)
			return -1;
		d->file_mode = (mode_t)v;
		if (get_int(item, where, "uid", 0, UINT32_MAX - 1, &v, &d->has_uid, err) < 0)
			return -1;
		d->uid = (uid_t)v;
		if (get_int(item, where, "gid", 0, UINT32_MAX - 1, &v, &d->has_gid, err) < 0)
			return -1;
		d->gid = (gid_t)v;
	}
	return 0;
}

/* ---- linux.resources ---- */

static int parse_throttle(json_t *blkio, const char *key, struct blkio_device **out, size_t *n,
			  struct error *err)
{
	json_t *list, *item;
	char where[96];
	bool has[3];
	size_t i;

	if (field(blkio, "linux.resources.blockIO", key, JSON_ARRAY, &list, err) < 0)
		return -1;
	*out = calloc(json_array_size(list) + 1, sizeof(**out));
	json_array_foreach(list, i, item)
	{
		struct blkio_device *d = &(*out)[(*n)++];
		int64_t v;

		snprintf(where, sizeof(where), "linux.resources.blockIO.%s[%zu]", key, i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_int(item, where, "major", 0, UINT32_MAX, &d->major, &has[0], err) < 0 ||
		    get_int(item, where, "minor", 0, UINT32_MAX, &d->minor, &has[1], err) < 0 ||
		    get_u64(item, where, "rate", &d->rate, &has[2], err) < 0)
			return -1;
		(void)v;
		if (!has[0] || !has[1] || !has[2])
			return err_set(err, "%s: needs major, minor and rate", where);
	}
	return 0;
}

static int parse_device_rules(json_t *res, struct resources_spec *r, struct error *err)
{
	json_t *list, *item, *allow;
	char where[64], *type, *access;
	size_t i;

	if (field(res, "linux.resources", "devices", JSON_ARRAY, &list, err) < 0)
		return -1;
	r->has_devices = list != NULL;
	r->devices = calloc(json_array_size(list) + 1, sizeof(*r->devices));
	json_array_foreach(list, i, item)
	{
		struct device_rule *d = &r->devices[r->n_devices++];
		bool has;

		snprintf(where, sizeof(where), "linux.resources.devices[%zu]", i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (field(item, where, "allow", JSON_TRUE, &allow, err) < 0)
			return -1;
		if (allow == NULL)
			return err_set(err, "%s.allow: missing", where);
		d->allow = json_is_true(allow);
		if (get_string(item, where, "type", &type, err) < 0)
			return -1;
		d->type = type == NULL ? 'a' : type[0];
		if (type != NULL && (strlen(type) != 1 || strchr("acb", type[0]) == NULL)) {
			free(type);
			return err_set(err, "%s.type: must be a, c or b", where);
		}
		free(type);
		if (get_int(item, where, "major", -1, UINT32_MAX, &d->major, &has, err) < 0)
			return -1;
		if (!has)
			d->major = -1;
		if (get_int(item, where, "minor", -1, UINT32_MAX, &d->minor, &has, err) < 0)
			return -1;
		if (!has)
			d->minor = -1;
		if (get_string(item, where, "access", &access, err) < 0)
			return -1;
		snprintf(d->access, sizeof(d->access), "%s", access ? access : "rwm");
		if (access != NULL && (access[0] == '\0' || strlen(access) > 3 ||
				       strspn(access, "rwm") != strlen(access))) {
			free(access);
			return err_set(err, "%s.access: must be some of r, w and m", where);
		}
		free(access);
	}
	return 0;
}

static int parse_resources_object(json_t *res, struct resources_spec *r, struct error *err)
{
	json_t *mem, *cpu, *pids, *blkio, *unified, *value;
	const char *key;
	int64_t v;
	uint64_t u;
	bool has;

	if (field(res, "linux.resources", "memory", JSON_OBJECT, &mem, err) < 0 ||
	    field(res, "linux.resources", "cpu", JSON_OBJECT, &cpu, err) < 0 ||
	    field(res, "linux.resources", "pids", JSON_OBJECT, &pids, err) < 0 ||
	    field(res, "linux.resources", "blockIO", JSON_OBJECT, &blkio, err) < 0 ||
	    field(res, "linux.resources", "unified", JSON_OBJECT, &unified, err) < 0 ||
	    parse_device_rules(res, r, err) < 0)
		return -1;
	if (json_object_get(res, "hugepageLimits") != NULL &&
	    json_array_size(json_object_get(res, "hugepageLimits")) > 0)
		return err_set(err, "linux.resources.hugepageLimits: not supported by cell");
	if (json_object_get(res, "network") != NULL)
		return err_set(err, "linux.resources.network: not supported by cell");
	if (json_object_get(res, "rdma") != NULL)
		return err_set(err, "linux.resources.rdma: not supported by cell");
	if (mem != NULL) {
		const char *w = "linux.resources.memory";

		if (get_int(mem, w, "limit", INT64_MIN, INT64_MAX, &v, &r->has_memory_limit, err) <
		    0)
			return -1;
		r->memory_limit = v;
		if (get_int(mem, w, "reservation", INT64_MIN, INT64_MAX, &v,
			    &r->has_memory_reservation, err) < 0)
			return -1;
		r->memory_reservation = v;
		if (get_int(mem, w, "swap", INT64_MIN, INT64_MAX, &v, &r->has_memory_swap, err) < 0)
			return -1;
		r->memory_swap = v;
		if (get_u64(mem, w, "swappiness", &u, &r->has_memory_swappiness, err) < 0)
			return -1;
		r->memory_swappiness = u;
		/* podman writes -1 for "not set" in some versions */
		if (r->has_memory_swappiness && (int64_t)u < 0)
			r->has_memory_swappiness = false;
		if (r->has_memory_swappiness && u > 100)
			return err_set(err, "%s.swappiness: %llu is above 100", w,
				       (unsigned long long)u);
		if (get_int(mem, w, "kernel", INT64_MIN, INT64_MAX, &v, &r->has_kernel_memory,
			    err) < 0 ||
		    get_bool(mem, w, "disableOOMKiller", &r->disable_oom_killer, err) < 0)
			return -1;
		if (json_object_get(mem, "kernelTCP") != NULL)
			return err_set(err, "%s.kernelTCP: not supported by cell", w);
		if (json_object_get(mem, "useHierarchy") != NULL)
			return err_set(err, "%s.useHierarchy: not supported by cell", w);
		if (json_object_get(mem, "checkBeforeUpdate") != NULL)
			return err_set(err, "%s.checkBeforeUpdate: not supported by cell", w);
	}
	if (cpu != NULL) {
		const char *w = "linux.resources.cpu";

		if (get_u64(cpu, w, "shares", &r->cpu_shares, &r->has_cpu_shares, err) < 0 ||
		    get_int(cpu, w, "quota", INT64_MIN, INT64_MAX, &v, &r->has_cpu_quota, err) < 0)
			return -1;
		r->cpu_quota = v;
		if (get_u64(cpu, w, "period", &r->cpu_period, &r->has_cpu_period, err) < 0 ||
		    get_string(cpu, w, "cpus", &r->cpu_cpus, err) < 0 ||
		    get_string(cpu, w, "mems", &r->cpu_mems, err) < 0)
			return -1;
		if (get_int(cpu, w, "realtimeRuntime", 0, INT64_MAX, &r->cpu_rt_runtime,
			    &r->has_cpu_rt_runtime, err) < 0 ||
		    get_u64(cpu, w, "realtimePeriod", &r->cpu_rt_period, &r->has_cpu_rt_period,
			    err) < 0)
			return -1;
		if (json_object_get(cpu, "idle") != NULL &&
		    json_integer_value(json_object_get(cpu, "idle")) != 0)
			return err_set(err, "%s.idle: not supported by cell", w);
		/* an empty cpuset string means "the parent's" */
		if (r->cpu_cpus != NULL && r->cpu_cpus[0] == '\0') {
			free(r->cpu_cpus);
			r->cpu_cpus = NULL;
		}
		if (r->cpu_mems != NULL && r->cpu_mems[0] == '\0') {
			free(r->cpu_mems);
			r->cpu_mems = NULL;
		}
	}
	if (pids != NULL) {
		if (get_int(pids, "linux.resources.pids", "limit", INT64_MIN, INT64_MAX,
			    &r->pids_limit, &has, err) < 0)
			return -1;
		r->has_pids_limit = has;
	}
	if (blkio != NULL) {
		const char *w = "linux.resources.blockIO";

		if (get_int(blkio, w, "weight", 0, 1000, &v, &r->has_blkio_weight, err) < 0)
			return -1;
		r->blkio_weight = (uint16_t)v;
		if (r->has_blkio_weight && v == 0)
			r->has_blkio_weight = false;
		if (json_object_get(blkio, "leafWeight") != NULL)
			return err_set(err, "%s.leafWeight: not supported by cell", w);
		if (json_array_size(json_object_get(blkio, "weightDevice")) > 0)
			return err_set(err, "%s.weightDevice: not supported by cell", w);
		if (parse_throttle(blkio, "throttleReadBpsDevice", &r->throttle_read_bps,
				   &r->n_throttle_read_bps, err) < 0 ||
		    parse_throttle(blkio, "throttleWriteBpsDevice", &r->throttle_write_bps,
				   &r->n_throttle_write_bps, err) < 0 ||
		    parse_throttle(blkio, "throttleReadIOPSDevice", &r->throttle_read_iops,
				   &r->n_throttle_read_iops, err) < 0 ||
		    parse_throttle(blkio, "throttleWriteIOPSDevice", &r->throttle_write_iops,
				   &r->n_throttle_write_iops, err) < 0)
			return -1;
	}
	if (unified != NULL) {
		size_t n = json_object_size(unified), i = 0;

		r->unified_keys = calloc(n + 1, sizeof(char *));
		r->unified_values = calloc(n + 1, sizeof(char *));
		json_object_foreach(unified, key, value)
		{
			if (!json_is_string(value))
				return err_set(err, "linux.resources.unified.%s: must be a string",
					       key);
			/* a key names a file in the cgroup's directory, nothing else */
			if (strchr(key, '/') != NULL || key[0] == '.' || strchr(key, '.') == NULL)
				return err_set(err,
					       "linux.resources.unified: \"%s\" is not a "
					       "cgroup file name",
					       key);
			r->unified_keys[i] = strdup(key);
			r->unified_values[i++] = strdup(json_string_value(value));
		}
		r->n_unified = i;
	}
	return 0;
}

/* ---- linux.seccomp ---- */

/* An action name, with errnoRet folded in as libseccomp's SCMP_ACT_ERRNO(n). */
static int seccomp_action(const char *name, json_t *errno_ret, uint32_t default_errno,
			  const char *where, uint32_t *out, struct error *err)
{
	uint32_t ret = default_errno;

	if (errno_ret != NULL) {
		if (!json_is_integer(errno_ret) || json_integer_value(errno_ret) < 0 ||
		    json_integer_value(errno_ret) > 0xffff)
			return err_set(err, "%s: errnoRet must be a number from 0 to 65535", where);
		ret = (uint32_t)json_integer_value(errno_ret);
	}
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*out = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*out = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*out = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*out = SCMP_ACT_ERRNO(ret);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*out = SCMP_ACT_TRACE(ret);
	else if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*out = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*out = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		return err_set(err,
			       "%s: SCMP_ACT_NOTIFY needs a listener, which cell does not "
			       "provide",
			       where);
	else
		return err_set(err, "%s: unknown action \"%s\"", where, name);
	return 0;
}

static int parse_seccomp_rules(json_t *list, uint32_t default_errno, struct seccomp_spec *s,
			       struct error *err)
{
	static const struct {
		const char *name;
		int op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE },
		{ "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE },
		{ "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	json_t *item, *args, *arg, *names;
	char where[64], *action;
	size_t i, j;

	s->rules = calloc(json_array_size(list) + 1, sizeof(*s->rules));
	json_array_foreach(list, i, item)
	{
		struct seccomp_rule *r = &s->rules[s->n_rules++];

		snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
		if (!json_is_object(item))
			return err_set(err, "%s: must be an object", where);
		if (get_strv(item, where, "names", &r->names, err) < 0)
			return -1;
		/* the old single "name" form, which some clients still write */
		if (r->names == NULL && (names = json_object_get(item, "name")) != NULL &&
		    json_is_string(names)) {
			r->names = calloc(2, sizeof(char *));
			r->names[0] = strdup(json_string_value(names));
		}
		r->n_names = strv_len(r->names);
		if (r->n_names == 0)
			return err_set(err, "%s.names: missing", where);
		if (get_string(item, where, "action", &action, err) < 0)
			return -1;
		if (action == NULL)
			return err_set(err, "%s.action: missing", where);
		if (seccomp_action(action, json_object_get(item, "errnoRet"), default_errno, where,
				   &r->action, err) < 0) {
			free(action);
			return -1;
		}
		free(action);
		if (field(item, where, "args", JSON_ARRAY, &args, err) < 0)
			return -1;
		r->args = calloc(json_array_size(args) + 1, sizeof(*r->args));
		json_array_foreach(args, j, arg)
		{
			struct seccomp_arg *a = &r->args[r->n_args++];
			char argw[96], *op;
			int64_t v;
			uint64_t u;
			bool has;

			snprintf(argw, sizeof(argw), "%s.args[%zu]", where, j);
			if (!json_is_object(arg))
				return err_set(err, "%s: must be an object", argw);
			if (get_int(arg, argw, "index", 0, 5, &v, &has, err) < 0)
				return -1;
			if (!has)
				return err_set(err, "%s.index: missing", argw);
			a->index = (unsigned int)v;
			if (get_u64(arg, argw, "value", &u, &has, err) < 0)
				return -1;
			a->value = has ? u : 0;
			if (get_u64(arg, argw, "valueTwo", &u, &has, err) < 0)
				return -1;
			a->value_two = has ? u : 0;
			if (get_string(arg, argw, "op", &op, err) < 0)
				return -1;
			a->op = -1;
			for (size_t k = 0; op != NULL && k < sizeof(ops) / sizeof(ops[0]); k++)
				if (strcmp(op, ops[k].name) == 0)
					a->op = ops[k].op;
			if (a->op < 0) {
				err_set(err, "%s.op: unknown operator \"%s\"", argw, op ? op : "");
				free(op);
				return -1;
			}
			free(op);
		}
	}
	return 0;
}

static int parse_seccomp(json_t *lnx, struct spec *spec, struct error *err)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} flags[] = {
		{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
		{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
		{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	};
	const char *w = "linux.seccomp";
	json_t *obj, *list, *item;
	struct seccomp_spec *s;
	uint32_t default_errno = EPERM;
	char *action;
	size_t i;

	if (field(lnx, "linux", "seccomp", JSON_OBJECT, &obj, err) < 0)
		return -1;
	if (obj == NULL)
		return 0;
	s = spec->seccomp = calloc(1, sizeof(*s));
	if (json_object_get(obj, "listenerPath") != NULL)
		return err_set(err,
			       "%s.listenerPath: seccomp notification is not supported by "
			       "cell",
			       w);
	if (json_object_get(obj, "defaultErrnoRet") != NULL) {
		json_t *e = json_object_get(obj, "defaultErrnoRet");

		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) > 0xffff)
			return err_set(err, "%s.defaultErrnoRet: must be a number from 0 to 65535",
				       w);
		default_errno = (uint32_t)json_integer_value(e);
	}
	if (get_string(obj, w, "defaultAction", &action, err) < 0)
		return -1;
	if (action == NULL)
		return err_set(err, "%s.defaultAction: missing", w);
	if (seccomp_action(action, NULL, default_errno, "linux.seccomp.defaultAction",
			   &s->default_action, err) < 0) {
		free(action);
		return -1;
	}
	free(action);
	if (field(obj, w, "architectures", JSON_ARRAY, &list, err) < 0)
		return -1;
	s->arches = calloc(json_array_size(list) + 1, sizeof(uint32_t));
	json_array_foreach(list, i, item)
	{
		const char *name = json_is_string(item) ? json_string_value(item) : "";
		uint32_t arch;

		/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64" */
		if (strncmp(name, "SCMP_ARCH_", 10) != 0)
			return err_set(err, "%s.architectures[%zu]: \"%s\" is not SCMP_ARCH_*", w,
				       i, name);
		char lower[32];
		size_t k;

		for (k = 0; name[10 + k] != '\0' && k < sizeof(lower) - 1; k++)
			lower[k] = (char)tolower(name[10 + k]);
		lower[k] = '\0';
		arch = seccomp_arch_resolve_name(lower);
		if (arch == 0)
			return err_set(err, "%s.architectures[%zu]: unknown \"%s\"", w, i, name);
		s->arches[s->n_arches++] = arch;
	}
	if (field(obj, w, "flags", JSON_ARRAY, &list, err) < 0)
		return -1;
	json_array_foreach(list, i, item)
	{
		const char *name = json_is_string(item) ? json_string_value(item) : "";
		bool known = false;

		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strcmp(name, flags[k].name) == 0) {
				s->flags |= flags[k].flag;
				known = true;
			}
		if (!known)
			return err_set(err, "%s.flags[%zu]: \"%s\" is not supported by cell", w, i,
				       name);
	}
	if (field(obj, w, "syscalls", JSON_ARRAY, &list, err) < 0)
		return -1;
	return parse_seccomp_rules(list, default_errno, s, err);
}

/* ---- linux, the rest ---- */

static int parse_paths(json_t *lnx, const char *key, char ***out, size_t *n, struct error *err)
{
	if (get_strv(lnx, "linux", key, out, err) < 0)
		return -1;
	*n = strv_len(*out);
	for (size_t i = 0; i < *n; i++)
		if ((*out)[i][0] != '/')
			return err_set(err, "linux.%s[%zu]: must be an absolute path", key, i);
	return 0;
}

static int parse_linux(json_t *doc, struct spec *spec, struct error *err)
{
	json_t *lnx, *res, *sysctl, *value;
	const char *key;
	char *prop;

	if (field(doc, "", "linux", JSON_OBJECT, &lnx, err) < 0)
		return -1;
	if (lnx == NULL)
		return err_set(err, "linux: missing (this runtime runs Linux containers)");
	if (parse_namespaces(lnx, spec, err) < 0 ||
	    parse_id_maps(lnx, "uidMappings", &spec->uid_mappings, &spec->n_uid_mappings, err) <
		    0 ||
	    parse_id_maps(lnx, "gidMappings", &spec->gid_mappings, &spec->n_gid_mappings, err) <
		    0 ||
	    parse_devices(lnx, spec, err) < 0 ||
	    get_string(lnx, "linux", "cgroupsPath", &spec->cgroups_path, err) < 0 ||
	    parse_seccomp(lnx, spec, err) < 0 ||
	    parse_paths(lnx, "maskedPaths", &spec->masked_paths, &spec->n_masked_paths, err) < 0 ||
	    parse_paths(lnx, "readonlyPaths", &spec->readonly_paths, &spec->n_readonly_paths, err) <
		    0 ||
	    get_string(lnx, "linux", "mountLabel", &spec->mount_label, err) < 0 ||
	    get_string(lnx, "linux", "rootfsPropagation", &prop, err) < 0)
		return -1;
	if (prop != NULL) {
		spec->rootfs_propagation = propagation_flags(prop);
		if (spec->rootfs_propagation == 0) {
			err_set(err, "linux.rootfsPropagation: unknown \"%s\"", prop);
			free(prop);
			return -1;
		}
		free(prop);
	}
	if (spec->mount_label != NULL && spec->mount_label[0] != '\0')
		return err_set(err, "linux.mountLabel: SELinux is not supported by cell");
	if (json_object_get(lnx, "intelRdt") != NULL)
		return err_set(err, "linux.intelRdt: not supported by cell");
	if (json_object_get(lnx, "personality") != NULL)
		return err_set(err, "linux.personality: not supported by cell");
	if (json_object_get(lnx, "timeOffsets") != NULL)
		return err_set(err, "linux.timeOffsets: not supported by cell");
	if (spec->ns[NS_TIME].wanted)
		return err_set(err,
			       "linux.namespaces: the time namespace is not supported by cell");
	if ((spec->n_uid_mappings > 0 || spec->n_gid_mappings > 0) &&
	    (!spec->ns[NS_USER].wanted || spec->ns[NS_USER].path != NULL))
		return err_set(err, "linux.uidMappings: given without a new user namespace");
	if (spec->ns[NS_USER].wanted && spec->ns[NS_USER].path == NULL &&
	    (spec->n_uid_mappings == 0 || spec->n_gid_mappings == 0))
		return err_set(err, "linux.uidMappings: a new user namespace needs uidMappings and "
				    "gidMappings");
	if (field(lnx, "linux", "resources", JSON_OBJECT, &res, err) < 0 ||
	    (res != NULL && parse_resources_object(res, &spec->resources, err) < 0))
		return -1;
	if (field(lnx, "linux", "sysctl", JSON_OBJECT, &sysctl, err) < 0)
		return -1;
	spec->sysctl = calloc(json_object_size(sysctl) + 1, sizeof(*spec->sysctl));
	json_object_foreach(sysctl, key, value)
	{
		if (!json_is_string(value))
			return err_set(err, "linux.sysctl.%s: must be a string", key);
		/* a key is a dotted name under /proc/sys, never a path */
		if (key[0] == '\0' || strchr(key, '/') != NULL || strstr(key, "..") != NULL)
			return err_set(err, "linux.sysctl: \"%s\" is not a sysctl name", key);
		spec->sysctl[spec->n_sysctl].key = strdup(key);
		spec->sysctl[spec->n_sysctl++].value = strdup(json_string_value(value));
	}
	return 0;
}

static int parse_annotations(json_t *doc, struct spec *spec, struct error *err)
{
	json_t *obj, *value;
	const char *key;

	if (field(doc, "", "annotations", JSON_OBJECT, &obj, err) < 0)
		return -1;
	spec->annotation_keys = calloc(json_object_size(obj) + 1, sizeof(char *));
	spec->annotation_values = calloc(json_object_size(obj) + 1, sizeof(char *));
	json_object_foreach(obj, key, value)
	{
		if (!json_is_string(value))
			return err_set(err, "annotations.%s: must be a string", key);
		spec->annotation_keys[spec->n_annotations] = strdup(key);
		spec->annotation_values[spec->n_annotations++] = strdup(json_string_value(value));
	}
	return 0;
}

/* ---- loading ---- */

static json_t *load_json(const char *path, struct error *err)
{
	json_error_t jerr;
	json_t *doc;
	FILE *f;

	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else {
		f = fopen(path, "re");
		if (f == NULL) {
			err_sys(err, "open %s", path);
			return NULL;
		}
	}
	doc = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	if (f != stdin)
		fclose(f);
	if (doc == NULL) {
		err_set(err, "%s: line %d, column %d: %s", path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		err_set(err, "%s: not a JSON object", path);
		return NULL;
	}
	return doc;
}

int spec_load(const char *bundle, const char *path, struct spec *spec, struct error *err)
{
	char file[PATH_MAX];
	json_t *doc, *process;
	int ret = -1;

	memset(spec, 0, sizeof(*spec));
	spec->process.umask = -1;
	err->msg[0] = '\0';
	if (path == NULL) {
		snprintf(file, sizeof(file), "%s/config.json", bundle);
		path = file;
	}
	doc = load_json(path, err);
	if (doc == NULL)
		return -1;
	if (get_string(doc, "", "ociVersion", &spec->oci_version, err) < 0)
		goto out;
	/* 1.0.0 to 1.2.x share this layout; a 2.x would not */
	if (spec->oci_version == NULL || strncmp(spec->oci_version, "1.", 2) != 0) {
		err_set(err, "ociVersion: \"%s\" is not a 1.x version",
			spec->oci_version ? spec->oci_version : "");
		goto out;
	}
	if (parse_root(doc, bundle, spec, err) < 0 ||
	    field(doc, "", "process", JSON_OBJECT, &process, err) < 0)
		goto out;
	spec->has_process = process != NULL;
	if (process != NULL && parse_process_object(process, &spec->process, err) < 0)
		goto out;
	if (get_string(doc, "", "hostname", &spec->hostname, err) < 0 ||
	    get_string(doc, "", "domainname", &spec->domainname, err) < 0 ||
	    parse_mounts(doc, bundle, spec, err) < 0 || parse_hooks(doc, spec, err) < 0 ||
	    parse_linux(doc, spec, err) < 0 || parse_annotations(doc, spec, err) < 0)
		goto out;
	if ((spec->hostname != NULL || spec->domainname != NULL) && !spec->ns[NS_UTS].wanted)
		err_set(err, "hostname: setting it needs a UTS namespace of the container's own");
	else if (spec->ns[NS_UTS].wanted && spec->ns[NS_UTS].path != NULL && spec->hostname != NULL)
		err_set(err, "hostname: cannot be set in a UTS namespace that is joined");
	else
		ret = 0;
out:
	json_decref(doc);
	if (ret < 0)
		spec_free(spec);
	return ret;
}

int spec_load_process(const char *file, struct process_spec *process, struct error *err)
{
	json_t *doc;
	int ret;

	memset(process, 0, sizeof(*process));
	err->msg[0] = '\0';
	doc = load_json(file, err);
	if (doc == NULL)
		return -1;
	ret = parse_process_object(doc, process, err);
	json_decref(doc);
	if (ret < 0)
		spec_free_process(process);
	return ret;
}

int spec_load_resources(const char *file, struct resources_spec *res, struct error *err)
{
	json_t *doc;
	int ret;

	memset(res, 0, sizeof(*res));
	err->msg[0] = '\0';
	doc = load_json(file, err);
	if (doc == NULL)
		return -1;
	ret = parse_resources_object(doc, res, err);
	json_decref(doc);
	if (ret < 0)
		spec_free_resources(res);
	return ret;
}

/* ---- freeing ---- */

static void free_hooks(struct hook_spec *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].path);
		strv_free(h[i].args);
		strv_free(h[i].env);
	}
	free(h);
}

void spec_free_process(struct process_spec *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}

void spec_free_resources(struct resources_spec *r)
{
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->throttle_read_bps);
	free(r->throttle_write_bps);
	free(r->throttle_read_iops);
	free(r->throttle_write_iops);
	free(r->devices);
	for (size_t i = 0; i < r->n_unified; i++) {
		free(r->unified_keys[i]);
		free(r->unified_values[i]);
	}
	free(r->unified_keys);
	free(r->unified_values);
	memset(r, 0, sizeof(*r));
}

void spec_free(struct spec *spec)
{
	struct hooks_spec *h = &spec->hooks;

	free(spec->oci_version);
	free(spec->root_path);
	spec_free_process(&spec->process);
	free(spec->hostname);
	free(spec->domainname);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].type);
		free(spec->mounts[i].source);
		free(spec->mounts[i].data);
	}
	free(spec->mounts);
	free_hooks(h->prestart, h->n_prestart);
	free_hooks(h->create_runtime, h->n_create_runtime);
	free_hooks(h->create_container, h->n_create_container);
	free_hooks(h->start_container, h->n_start_container);
	free_hooks(h->poststart, h->n_poststart);
	free_hooks(h->poststop, h->n_poststop);
	for (int k = 0; k < NS_COUNT; k++)
		free(spec->ns[k].path);
	free(spec->uid_mappings);
	free(spec->gid_mappings);
	for (size_t i = 0; i < spec->n_devices; i++)
		free(spec->devices[i].path);
	free(spec->devices);
	free(spec->cgroups_path);
	spec_free_resources(&spec->resources);
	for (size_t i = 0; i < spec->n_sysctl; i++) {
		free(spec->sysctl[i].key);
		free(spec->sysctl[i].value);
	}
	free(spec->sysctl);
	if (spec->seccomp != NULL) {
		for (size_t i = 0; i < spec->seccomp->n_rules; i++) {
			strv_free(spec->seccomp->rules[i].names);
			free(spec->seccomp->rules[i].args);
		}
		free(spec->seccomp->rules);
		free(spec->seccomp->arches);
		free(spec->seccomp);
	}
	strv_free(spec->masked_paths);
	strv_free(spec->readonly_paths);
	free(spec->mount_label);
	strv_free(spec->annotation_keys);
	strv_free(spec->annotation_values);
	memset(spec, 0, sizeof(*spec));
}

/* ---- the default config.json ---- */

/*
 * What `cell-runc spec` writes: the toolkit's root file system read-only,
 * a shell, and docker's defaults (RUNTIME.md, "Security invariants"):
 * its fourteen capabilities, no_new_privs, the masked and read-only /proc
 * paths, and a seccomp filter that refuses what docker's profile refuses
 * (stage 08 explains each group) with EPERM. Here it is a deny list on an
 * allowing default, which a student can read in one screen; docker's own
 * profile is the allow list podman sends (see the lab notes).
 */
static const char *const default_caps[] = {
	"CAP_CHOWN",	   "CAP_DAC_OVERRIDE", "CAP_FOWNER",
	"CAP_FSETID",	   "CAP_KILL",	       "CAP_SETGID",
	"CAP_SETUID",	   "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
	"CAP_NET_RAW",	   "CAP_SYS_CHROOT",   "CAP_MKNOD",
	"CAP_AUDIT_WRITE", "CAP_SETFCAP",
};

static const char *const default_refused[] = {
	"add_key",
	"keyctl",
	"request_key",
	"init_module",
	"finit_module",
	"delete_module",
	"create_module",
	"get_kernel_syms",
	"query_module",
	"kexec_load",
	"kexec_file_load",
	"reboot",
	"open_by_handle_at",
	"name_to_handle_at",
	"bpf",
	"perf_event_open",
	"userfaultfd",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	"swapon",
	"swapoff",
	"quotactl",
	"quotactl_fd",
	"settimeofday",
	"stime",
	"clock_settime",
	"clock_adjtime",
	"mount",
	"umount",
	"umount2",
	"pivot_root",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"open_tree",
	"move_mount",
	"mount_setattr",
	"unshare",
	"setns",
	"process_vm_readv",
	"process_vm_writev",
	"kcmp",
	"ptrace",
	"acct",
	"lookup_dcookie",
	"nfsservctl",
	"personality",
	"syslog",
	"uselib",
	"ustat",
	"sysfs",
	"vm86",
	"vm86old",
	"_sysctl",
};

static json_t *string_array(const char *const *items, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

#define ARRAY(a) string_array(a, sizeof(a) / sizeof(a[0]))

char *spec_default_json(const char *rootfs)
{
	static const char *const masked[] = {
		"/proc/acpi",
		"/proc/asound",
		"/proc/kcore",
		"/proc/keys",
		"/proc/latency_stats",
		"/proc/timer_list",
		"/proc/timer_stats",
		"/proc/sched_debug",
		"/proc/scsi",
		"/sys/firmware",
		"/sys/devices/virtual/powercap",
	};
	static const char *const readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
						"/proc/sysrq-trigger" };
	static const char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
					   "/usr/bin:/sbin:/bin",
					   "TERM=xterm", "HOME=/root" };
	static const char *const args[] = { "sh" };
	/* CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET */
	const json_int_t ns_flags = 0x7e020000;
	json_t *caps, *doc, *seccomp;
	char *text;

	caps = json_pack("{s:o, s:o, s:o}", "bounding", ARRAY(default_caps), "effective",
			 ARRAY(default_caps), "permitted", ARRAY(default_caps));
	seccomp = json_pack("{s:s, s:[s,s,s], s:[{s:o, s:s, s:i}, {s:[s], s:s, s:i}]}",
			    "defaultAction", "SCMP_ACT_ALLOW", "architectures", "SCMP_ARCH_X86_64",
			    "SCMP_ARCH_X86", "SCMP_ARCH_X32", "syscalls", "names",
			    ARRAY(default_refused), "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM,
			    "names", "clone3", "action", "SCMP_ACT_ERRNO", "errnoRet", ENOSYS);
	/*
	 * clone3 passes its flags in memory, where a filter cannot look: it
	 * fails with ENOSYS, and the C library falls back to clone, whose
	 * flags are a register. A clone with any namespace flag is refused:
	 * one rule per flag, since the conditions of one rule must all hold
	 * and SCMP_CMP_MASKED_EQ tests one mask against one value.
	 */
	for (int bit = 0; bit < 32; bit++) {
		json_int_t flag = (json_int_t)1 << bit;

		if (!(ns_flags & flag))
			continue;
		json_array_append_new(
			json_object_get(seccomp, "syscalls"),
			json_pack("{s:[s], s:s, s:i, s:[{s:i, s:I, s:I, s:s}]}", "names", "clone",
				  "action", "SCMP_ACT_ERRNO", "errnoRet", EPERM, "args", "index", 0,
				  "value", flag, "valueTwo", flag, "op", "SCMP_CMP_MASKED_EQ"));
	}
	doc = json_pack(
		"{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:b, s:[{s:s, s:I, s:I}]},"
		" s:{s:s, s:b}, s:s,"
		" s:[{s:s, s:s, s:s, s:[s,s,s]},"
		"    {s:s, s:s, s:s, s:[s,s,s,s]},"
		"    {s:s, s:s, s:s, s:[s,s,s,s,s,s]},"
		"    {s:s, s:s, s:s, s:[s,s,s,s,s]},"
		"    {s:s, s:s, s:s, s:[s,s,s]},"
		"    {s:s, s:s, s:s, s:[s,s,s,s]},"
		"    {s:s, s:s, s:s, s:[s,s,s,s]},"
		"    {s:s, s:s, s:s, s:[s,s,s,s,s]}],"
		" s:{s:[{s:s},{s:s},{s:s},{s:s},{s:s},{s:s}], s:o, s:o, s:o,"
		"    s:{s:[{s:b, s:s}]}}}",
		"ociVersion", "1.0.2", "process", "terminal", 0, "user", "uid", 0, "gid", 0, "args",
		ARRAY(args), "env", ARRAY(env), "cwd", "/", "capabilities", caps, "noNewPrivileges",
		1, "rlimits", "type", "RLIMIT_NOFILE", "hard", (json_int_t)1024, "soft",
		(json_int_t)1024, "root", "path", rootfs, "readonly", 1, "hostname", "cell",
		"mounts", "destination", "/proc", "type", "proc", "source", "proc", "options",
		"nosuid", "noexec", "nodev", "destination", "/dev", "type", "tmpfs", "source",
		"tmpfs", "options", "nosuid", "strictatime", "mode=755", "size=65536k",
		"destination", "/dev/pts", "type", "devpts", "source", "devpts", "options",
		"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5",
		"destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options", "nosuid",
		"noexec", "nodev", "mode=1777", "size=65536k", "destination", "/dev/mqueue", "type",
		"mqueue", "source", "mqueue", "options", "nosuid", "noexec", "nodev", "destination",
		"/sys", "type", "sysfs", "source", "sysfs", "options", "nosuid", "noexec", "nodev",
		"ro", "destination", "/tmp", "type", "tmpfs", "source", "tmpfs", "options",
		"nosuid", "nodev", "mode=1777", "size=65536k", "destination", "/sys/fs/cgroup",
		"type", "cgroup", "source", "cgroup", "options", "nosuid", "noexec", "nodev",
		"relatime", "ro", "linux", "namespaces", "type", "pid", "type", "network", "type",
		"ipc", "type", "uts", "type", "mount", "type", "cgroup", "maskedPaths",
		ARRAY(masked), "readonlyPaths", ARRAY(readonly), "seccomp", seccomp, "resources",
		"devices", "allow", 0, "access", "rwm");
	if (doc == NULL)
		return NULL;
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}
