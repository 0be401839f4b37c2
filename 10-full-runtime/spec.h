/*
 * spec.h: an OCI runtime bundle's config.json, as the runtime uses it.
 *
 * spec.c reads config.json into struct spec (jansson), checking every
 * field it knows and refusing, with the field's name, what it cannot
 * honour: a seccomp rule or a device rule ignored in silence would be a
 * hole. Everything else reads struct spec only, never JSON. The field
 * names follow the runtime specification (config.md, config-linux.md).
 */
#ifndef CELL_SPEC_H
#define CELL_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* The namespaces the runtime spec names, in the order they are joined. */
enum ns_kind { NS_USER, NS_MOUNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, NS_TIME, NS_COUNT };

struct ns_spec {
	bool wanted; /* listed in linux.namespaces */
	char *path;  /* join this one (setns), or NULL for a new one */
};

struct id_map {
	uint32_t container_id, host_id, size;
};

struct rlimit_spec {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* The five capability sets, as bit masks over CAP_* numbers. */
struct caps_spec {
	bool given; /* process.capabilities was present */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct process_spec {
	bool terminal;
	unsigned int console_height, console_width;
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	int umask;   /* -1 when not given */
	char **args; /* NULL-terminated */
	char **env;  /* "KEY=VALUE", NULL-terminated */
	char *cwd;
	struct caps_spec caps;
	struct rlimit_spec *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_scheduler; /* process.scheduler: policy, priority, nice */
	int sched_policy;   /* SCHED_* */
	int sched_priority;
	bool has_nice;
	int nice;
	char *apparmor_profile; /* refused when set: not supported */
	char *selinux_label;	/* refused when set: not supported */
};

/* A mount's options, split into what mount(2) takes and the rest. */
struct mount_spec {
	char *destination;
	char *type; /* "bind", "proc", "tmpfs"...; bind when options say so */
	char *source;
	unsigned long flags;	   /* MS_* set by the options */
	unsigned long clear;	   /* MS_* cleared by the options (rw, suid, dev...) */
	unsigned long propagation; /* MS_SHARED, MS_SLAVE... with MS_REC, or 0 */
	char *data;		   /* the options mount(2) passes on to the file system */
	bool bind, recursive;
};

struct hook_spec {
	char *path;
	char **args; /* NULL-terminated */
	char **env;  /* "KEY=VALUE", NULL-terminated */
	int timeout; /* seconds, 0 for none */
};

struct hooks_spec {
	struct hook_spec *prestart, *create_runtime, *create_container, *start_container,
		*poststart, *poststop;
	size_t n_prestart, n_create_runtime, n_create_container, n_start_container, n_poststart,
		n_poststop;
};

struct device_spec {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major, minor;
	bool has_mode, has_uid, has_gid;
	mode_t file_mode;
	uid_t uid;
	gid_t gid;
};

/* A rule of the devices cgroup (linux.resources.devices). */
struct device_rule {
	bool allow;
	char type;	      /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1 for any */
	char access[4];	      /* some of "rwm" */
};

struct blkio_device {
	int64_t major, minor;
	uint64_t rate; /* bytes or operations per second, or a weight */
};

/* linux.resources: every field has a has_ flag, since 0 can be a value. */
struct resources_spec {
	bool has_memory_limit, has_memory_reservation, has_memory_swap, has_memory_swappiness,
		has_kernel_memory, disable_oom_killer;
	int64_t memory_limit, memory_reservation, memory_swap;
	uint64_t memory_swappiness;
	bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_rt_runtime, has_cpu_rt_period;
	uint64_t cpu_shares, cpu_period, cpu_rt_period;
	int64_t cpu_quota, cpu_rt_runtime;
	char *cpu_cpus, *cpu_mems;
	bool has_pids_limit;
	int64_t pids_limit;
	bool has_blkio_weight;
	uint16_t blkio_weight;
	struct blkio_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
		*throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
		n_throttle_write_iops;
	struct device_rule *devices;
	size_t n_devices;
	bool has_devices; /* linux.resources.devices was present */
	/* cgroup v2 files written as given (linux.resources.unified) */
	char **unified_keys, **unified_values;
	size_t n_unified;
};

/* One argument condition of a seccomp rule. */
struct seccomp_arg {
	unsigned int index;
	uint64_t value, value_two;
	int op; /* enum scmp_compare, from SCMP_CMP_* */
};

struct seccomp_rule {
	char **names;
	size_t n_names;
	uint32_t action; /* SCMP_ACT_* with the errno folded in */
	struct seccomp_arg *args;
	size_t n_args;
};

struct seccomp_spec {
	uint32_t default_action; /* SCMP_ACT_* with the errno folded in */
	uint32_t *arches;	 /* SCMP_ARCH_* */
	size_t n_arches;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
	struct seccomp_rule *rules;
	size_t n_rules;
};

struct sysctl_spec {
	char *key, *value;
};

struct spec {
	char *oci_version;
	char *root_path; /* absolute: resolved against the bundle */
	bool root_readonly;
	struct process_spec process;
	bool has_process;
	char *hostname, *domainname;
	struct mount_spec *mounts;
	size_t n_mounts;
	struct hooks_spec hooks;

	/* linux */
	struct ns_spec ns[NS_COUNT];
	struct id_map *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct device_spec *devices;
	size_t n_devices;
	char *cgroups_path; /* NULL: the runtime chooses */
	struct resources_spec resources;
	struct sysctl_spec *sysctl;
	size_t n_sysctl;
	struct seccomp_spec *seccomp; /* NULL: no filter */
	char **masked_paths, **readonly_paths;
	size_t n_masked_paths, n_readonly_paths;
	unsigned long rootfs_propagation; /* MS_* or 0 */
	char *mount_label;		  /* refused when set */

	/* annotations, kept for the state (key, value pairs) */
	char **annotation_keys, **annotation_values;
	size_t n_annotations;
};

/* Reads BUNDLE/config.json (or PATH when given). */
int spec_load(const char *bundle, const char *path, struct spec *spec, struct error *err);
/* Reads a process object alone (runc exec --process FILE). */
int spec_load_process(const char *file, struct process_spec *process, struct error *err);
/* Reads a linux.resources object alone (runc update --resources FILE, or - for stdin). */
int spec_load_resources(const char *file, struct resources_spec *res, struct error *err);
void spec_free(struct spec *spec);
void spec_free_process(struct process_spec *process);
void spec_free_resources(struct resources_spec *res);

/* The default config.json `cell-runc spec` writes (ROOTFS: root.path). */
char *spec_default_json(const char *rootfs);

/* Names and numbers, shared with the front ends. */
const char *ns_name(enum ns_kind kind);	     /* "user", "mount", ... (the spec's type) */
const char *ns_proc_name(enum ns_kind kind); /* "user", "mnt", ... (/proc/PID/ns/) */
int ns_clone_flag(enum ns_kind kind);	     /* CLONE_NEWUSER, ... */
int spec_cap_number(const char *name);	     /* "CAP_CHOWN" -> 0, or -1 */
const char *spec_cap_name(int number);
int spec_signal_number(const char *text); /* "TERM", "SIGTERM", "15" -> 15, or -1 */

/* A NULL-terminated array's length. */
size_t strv_len(char *const *v);

#endif
