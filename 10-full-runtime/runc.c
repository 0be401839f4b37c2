/*
 * runc.c: runc's command line, for the clients that drive a runtime:
 * podman (through conmon, `podman --runtime PATH`) and containerd (the
 * io.containerd.runc.v2 shim with BinaryName, or `ctr run --runc-binary`).
 *
 * The clients rely on more than the command names (RUNTIME.md, "Two
 * command lines"): nothing on stdout or stderr but what is asked for,
 * since the container's standard streams are the runtime's own; one error
 * line on stderr, with runc's words where a client matches them ("does
 * not exist", "not running"); and with --log-format json, the same error
 * as {"level":"error","msg":...} in --log, which containerd's shim reads
 * back. The exit status is runc's: 0, or 1 when the runtime failed; `run`
 * and `exec` in the foreground give the program's own.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "defaults.h"
#include "runc.h"
#include "container.h"
#include "term.h"

struct globals {
	char root[PATH_MAX];
	const char *log, *log_format;
	const char *given_root;
};

static struct globals g;

/* One error: on stderr, and in --log as runc writes it. */
static int fail(const struct error *err)
{
	char text[ERR_MSG_MAX + 128], when[64];
	struct timespec ts;
	struct tm tm;
	FILE *log;

	err_text(err, text, sizeof(text));
	fprintf(stderr, "cell-runc: %s\n", text);
	if (g.log == NULL)
		return 1;
	log = fopen(g.log, "ae");
	if (log == NULL)
		return 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (g.log_format != NULL && strcmp(g.log_format, "json") == 0) {
		json_t *line =
			json_pack("{s:s, s:s, s:s}", "level", "error", "msg", text, "time", when);
		char *dump = json_dumps(line, JSON_COMPACT);

		fprintf(log, "%s\n", dump);
		free(dump);
		json_decref(line);
	} else {
		fprintf(log, "time=\"%s\" level=error msg=\"%s\"\n", when, text);
	}
	fclose(log);
	return 1;
}

static int usage_error(const char *fmt, const char *what)
{
	struct error err;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	err_set(&err, fmt, what);
#pragma GCC diagnostic pop
	fail(&err);
	fprintf(stderr, "Try 'cell-runc --help'.\n");
	return 1;
}

/* The one argument a command takes (the id); extra ones are refused. */
static int one_id(int argc, char **argv, const char *cmd, const char **id)
{
	if (optind >= argc)
		return usage_error("%s: the container id is missing", cmd);
	if (optind + 1 < argc)
		return usage_error("%s: one container id only", cmd);
	*id = argv[optind];
	return 0;
}

/* ---- the commands ---- */

/*
 * `run` in the foreground of a bundle whose process.terminal is true, with
 * no --console-socket: as runc does, the runtime is the client itself. The
 * init sends the terminal's master over one end of a socket pair; this
 * process copies between its own terminal and the master (term.c), then
 * waits for the init and deletes the container.
 */
static int run_with_terminal(struct ctr_create_opts *o, bool keep)
{
	struct error err = { 0 };
	int sv[2], master, code;
	pid_t pid, proxy = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return err_sys(&err, "socketpair"), fail(&err);
	o->console_fd = sv[1];
	code = ctr_create(o, &pid, &err);
	close(sv[1]);
	if (code < 0) {
		close(sv[0]);
		return fail(&err);
	}
	master = term_receive_fd(sv[0], &err);
	close(sv[0]);
	/* the copying in a child, so that this process waits and passes
	 * signals on exactly as a run without a terminal */
	if (master >= 0 && (proxy = fork()) == 0) {
		term_proxy(master);
		_exit(0);
	}
	if (master >= 0)
		close(master);
	if (proxy < 0 && err.msg[0] == '\0')
		err_sys(&err, "fork");
	if (proxy < 0 || ctr_start(g.root, o->id, &err) < 0) {
		ctr_delete(g.root, o->id, true, &(struct error){ 0 });
		return fail(&err);
	}
	code = ctr_wait(pid);
	waitpid(proxy, NULL, 0); /* the last output copied; ECHILD if ctr_wait took it */
	if (!keep && ctr_delete(g.root, o->id, true, &err) < 0)
		fail(&err);
	return code;
}

/* Whether BUNDLE's process asks for a terminal: 1, or 0; -1 with ERR set
 * when it cannot be had (a detached run has nobody to hand it to). */
static int wants_terminal(const char *bundle, bool detach, struct error *err)
{
	struct spec spec;
	bool terminal;

	if (spec_load(bundle, NULL, &spec, err) < 0)
		return -1;
	terminal = spec.has_process && spec.process.terminal;
	spec_free(&spec);
	if (terminal && detach)
		return err_set(err, "process.terminal is true: a detached run needs "
				    "--console-socket to hand the terminal to");
	return terminal ? 1 : 0;
}

static int cmd_create(int argc, char **argv, bool run)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'K' },
		{ "detach", no_argument, NULL, 'd' },
		{ "no-subreaper", no_argument, NULL, 'S' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_create_opts o = { .root = g.root };
	char bundle[PATH_MAX];
	const char *bundle_arg = ".";
	bool detach = false, keep = false;
	struct error err = { 0 };
	pid_t pid;
	int c;

	while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle_arg = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'f':
			o.preserve_fds = atoi(optarg);
			if (o.preserve_fds < 0)
				return usage_error("--preserve-fds: \"%s\" is not a count", optarg);
			break;
		case 'P':
			o.no_pivot = true;
			break;
		case 'K':
			o.no_new_keyring = true;
			break;
		case 'd':
			detach = true;
			break;
		case 'S':
			break;
		case 'k':
			keep = true;
			break;
		default:
			return usage_error("%s: bad option (see --help)", run ? "run" : "create");
		}
	}
	if (one_id(argc, argv, run ? "run" : "create", &o.id) != 0)
		return 1;
	if (realpath(bundle_arg, bundle) == NULL) {
		err_sys(&err, "--bundle %s", bundle_arg);
		return fail(&err);
	}
	o.bundle = bundle;
	/* LISTEN_FDS (systemd's socket activation) are passed on too, as runc does */
	if (getenv("LISTEN_FDS") != NULL)
		o.preserve_fds += atoi(getenv("LISTEN_FDS"));
	if (run && o.console_socket == NULL) {
		c = wants_terminal(bundle, detach, &err);
		if (c < 0)
			return fail(&err);
		if (c > 0)
			return run_with_terminal(&o, keep);
	}
	if (ctr_create(&o, &pid, &err) < 0)
		return fail(&err);
	if (!run)
		return 0;
	if (ctr_start(g.root, o.id, &err) < 0) {
		ctr_delete(g.root, o.id, true, &(struct error){ 0 });
		return fail(&err);
	}
	if (detach)
		return 0;
	/* In the foreground: wait, pass signals on, then delete, as runc run. */
	c = ctr_wait(pid);
	if (!keep && ctr_delete(g.root, o.id, true, &err) < 0)
		fail(&err);
	return c;
}

static int cmd_simple(int argc, char **argv, const char *cmd)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct error err = { 0 };
	bool force = false, all = false;
	const char *id = NULL;
	char *json;
	int c, sig = SIGTERM;

	while ((c = getopt_long(argc, argv, "+fa", opts, NULL)) != -1) {
		if (c == 'f' && strcmp(cmd, "delete") == 0)
			force = true;
		else if (c == 'a' && strcmp(cmd, "kill") == 0)
			all = true;
		else
			return usage_error("%s: bad option (see --help)", cmd);
	}
	if (strcmp(cmd, "kill") == 0) {
		/* kill ID [SIGNAL] */
		if (optind >= argc)
			return usage_error("%s: the container id is missing", cmd);
		id = argv[optind];
		if (optind + 1 < argc) {
			sig = spec_signal_number(argv[optind + 1]);
			if (sig < 0 || optind + 2 < argc)
				return usage_error("kill: \"%s\" is not a signal",
						   argv[optind + 1]);
		}
		return ctr_kill(g.root, id, sig, all, &err) < 0 ? fail(&err) : 0;
	}
	if (one_id(argc, argv, cmd, &id) != 0)
		return 1;
	if (strcmp(cmd, "start") == 0)
		return ctr_start(g.root, id, &err) < 0 ? fail(&err) : 0;
	if (strcmp(cmd, "delete") == 0)
		return ctr_delete(g.root, id, force, &err) < 0 ? fail(&err) : 0;
	if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0)
		return ctr_pause(g.root, id, cmd[0] == 'p', &err) < 0 ? fail(&err) : 0;
	/* state */
	if (ctr_state_json(g.root, id, &json, &err) < 0)
		return fail(&err);
	printf("%s\n", json);
	free(json);
	return 0;
}

static int print_ps(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { NULL, 0, NULL, 0 } };
	const char *format = "table", *id = NULL;
	struct error err = { 0 };
	pid_t *pids;
	size_t n;
	int c;

	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return usage_error("%s: bad option (see --help)", "ps");
		format = optarg;
	}
	if (strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
		return usage_error("ps: --format %s: json or table", format);
	if (one_id(argc, argv, "ps", &id) != 0)
		return 1;
	if (ctr_pids(g.root, id, &pids, &n, &err) < 0)
		return fail(&err);
	if (strcmp(format, "json") == 0) {
		printf("[");
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i > 0 ? "," : "", pids[i]);
		printf("]\n");
	} else {
		printf("%-8s %s\n", "PID", "CMD");
		for (size_t i = 0; i < n; i++) {
			char path[64], cmd[256] = "";
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%d/comm", pids[i]);
			f = fopen(path, "re");
			if (f != NULL) {
				if (fgets(cmd, sizeof(cmd), f) == NULL)
					cmd[0] = '\0';
				fclose(f);
			}
			cmd[strcspn(cmd, "\n")] = '\0';
			printf("%-8d %s\n", pids[i], cmd);
		}
	}
	free(pids);
	return 0;
}

struct list_out {
	bool json, quiet;
	json_t *all;
};

static int list_one(const struct state *st, void *arg)
{
	struct list_out *out = arg;
	const char *status = ctr_status_name(ctr_status(st));

	if (out->quiet)
		printf("%s\n", st->id);
	else if (out->json)
		json_array_append_new(out->all,
				      json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion",
						"1.0.2", "id", st->id, "pid", st->pid, "status",
						status, "bundle", st->bundle, "rootfs", st->rootfs,
						"created", st->created));
	else
		printf("%-20s %-8d %-10s %-40s %s\n", st->id,
		       strcmp(status, "stopped") ? st->pid : 0, status, st->bundle, st->created);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      { NULL, 0, NULL, 0 } };
	struct list_out out = { 0 };
	struct error err = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "+f:q", opts, NULL)) != -1) {
		if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
			out.json = optarg[0] == 'j';
		else if (c == 'q')
			out.quiet = true;
		else
			return usage_error("%s: bad option (see --help)", "list");
	}
	if (out.json)
		out.all = json_array();
	else if (!out.quiet)
		printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	if (ctr_list(g.root, list_one, &out, &err) < 0)
		return fail(&err);
	if (out.json) {
		char *text = json_dumps(out.all, JSON_COMPACT);

		printf("%s\n", text);
		free(text);
		json_decref(out.all);
	}
	return 0;
}

static int cmd_update(int argc, char **argv)
{
	static const struct option opts[] = { { "resources", required_argument, NULL, 'r' },
					      { NULL, 0, NULL, 0 } };
	struct resources_spec res;
	const char *file = NULL, *id = NULL;
	struct error err = { 0 };
	int c, ret;

	while ((c = getopt_long(argc, argv, "+r:", opts, NULL)) != -1) {
		if (c != 'r')
			return usage_error("%s: bad option (see --help)", "update");
		file = optarg;
	}
	if (one_id(argc, argv, "update", &id) != 0)
		return 1;
	if (file == NULL)
		return usage_error("%s: give --resources FILE (or - for stdin)", "update");
	if (spec_load_resources(file, &res, &err) < 0)
		return fail(&err);
	ret = ctr_update(g.root, id, &res, &err) < 0 ? fail(&err) : 0;
	spec_free_resources(&res);
	return ret;
}

static int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "tty", no_argument, NULL, 't' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "preserve-fds", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctr_exec_opts o = { .root = g.root };
	struct process_spec process;
	const char *file = NULL, *cwd = NULL, *user = NULL;
	char *env[64];
	size_t n_env = 0;
	bool tty = false;
	struct error err = { 0 };
	int c, status, ret;

	while ((c = getopt_long(argc, argv, "+p:dtw:e:u:", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			file = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'P':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 't':
			tty = true;
			break;
		case 'w':
			cwd = optarg;
			break;
		case 'e':
			if (n_env == sizeof(env) / sizeof(env[0]) - 1)
				return usage_error("exec: %s", "too many --env");
			env[n_env++] = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'f':
			o.preserve_fds = atoi(optarg);
			break;
		default:
			return usage_error("%s: bad option (see --help)", "exec");
		}
	}
	if (optind >= argc)
		return usage_error("%s: the container id is missing", "exec");
	o.id = argv[optind++];
	if (file != NULL) {
		if (optind < argc)
			return usage_error("exec: give --process FILE or a command, not both%s",
					   "");
		if (spec_load_process(file, &process, &err) < 0)
			return fail(&err);
	} else {
		if (optind >= argc)
			return usage_error("exec: %s", "give --process FILE or a command");
		if (ctr_process_from_args(g.root, o.id, argv + optind, env, n_env, cwd, user, tty,
					  &process, &err) < 0)
			return fail(&err);
	}
	o.process = &process;
	/* a terminal with nobody to hand it to: this process is its client */
	if (process.terminal && o.console_socket == NULL && !o.detach)
		ret = ctr_exec_attached(&o, &status, &err) < 0 ? fail(&err) : status;
	else
		ret = ctr_exec(&o, &status, &err) < 0 ? fail(&err) : status;
	spec_free_process(&process);
	return ret;
}

static int cmd_spec(int argc, char **argv)
{
	static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
					      { "rootless", no_argument, NULL, 'r' },
					      { NULL, 0, NULL, 0 } };
	const char *bundle = ".";
	char path[PATH_MAX], *text;
	struct error err = { 0 };
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c != 'r')
			return usage_error("%s: bad option (see --help)", "spec");
	}
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (access(path, F_OK) == 0)
		return err_set(&err, "%s exists: remove it first", path), fail(&err);
	text = spec_default_json(CELL_ROOTFS);
	f = fopen(path, "wxe");
	if (text == NULL || f == NULL) {
		err_sys(&err, "write %s", path);
		free(text);
		if (f != NULL)
			fclose(f);
		return fail(&err);
	}
	fprintf(f, "%s\n", text);
	free(text);
	if (fclose(f) != 0)
		return err_sys(&err, "write %s", path), fail(&err);
	return 0;
}

/* runc features (features.md): what a client may ask of this runtime. */
static int cmd_features(void)
{
	json_t *doc = json_pack(
		"{s:s, s:s, s:[s,s,s,s,s,s], s:o,"
		" s:{s:[s,s,s,s,s,s,s], s:o, s:{s:b, s:b, s:b}, s:{s:b, s:[s,s,s,s,s,s,s,s],"
		" s:[s,s,s,s,s,s,s], s:[s,s,s]}, s:{s:b}, s:{s:b}}}",
		"ociVersionMin", "1.0.0", "ociVersionMax", "1.2.0", "hooks", "prestart",
		"createRuntime", "createContainer", "startContainer", "poststart", "poststop",
		"mountOptions", json_array(), "linux", "namespaces", "cgroup", "ipc", "mount",
		"network", "pid", "user", "uts", "capabilities", json_array(), "cgroup", "v1", 1,
		"v2", 1, "systemd", 0, "seccomp", "enabled", 1, "actions", "SCMP_ACT_ALLOW",
		"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
		"SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", "operators", "SCMP_CMP_EQ",
		"SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
		"SCMP_CMP_NE", "archs", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
		"apparmor", "enabled", 0, "selinux", "enabled", 0);
	json_t *caps = json_object_get(json_object_get(doc, "linux"), "capabilities");
	json_t *mopts = json_object_get(doc, "mountOptions");
	static const char *const mount_words[] = {
		"bind",	   "rbind",	  "ro",	      "rw",	   "nosuid",	 "suid",
		"nodev",   "dev",	  "noexec",   "exec",	   "private",	 "rprivate",
		"shared",  "rshared",	  "slave",    "rslave",	   "unbindable", "runbindable",
		"noatime", "strictatime", "relatime", "nodiratime"
	};
	char *text;

	for (int i = 0; spec_cap_name(i) != NULL; i++)
		json_array_append_new(caps, json_string(spec_cap_name(i)));
	for (size_t i = 0; i < sizeof(mount_words) / sizeof(mount_words[0]); i++)
		json_array_append_new(mopts, json_string(mount_words[i]));
	text = json_dumps(doc, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(doc);
	return 0;
}

static void usage(void)
{
	printf("Usage: cell-runc [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID]\n"
	       "\n"
	       "cell's core behind runc's command line, for the programs that drive an OCI\n"
	       "runtime: podman (--runtime PATH), containerd (BinaryName, ctr run\n"
	       "--runc-binary). A bundle is a directory with config.json and a root file\n"
	       "system; `create` builds the container and leaves its process waiting before\n"
	       "the program, `start` lets it run.\n"
	       "\n"
	       "Global options:\n"
	       "  --root DIR               where containers' state lives (default /run/cell/runc,\n"
	       "                           or $XDG_RUNTIME_DIR/cell/runc for an ordinary user)\n"
	       "  --log FILE               also write errors to FILE\n"
	       "  --log-format text|json   their form in FILE\n"
	       "  --systemd-cgroup         cgroupsPath is slice:prefix:name (accepted; no systemd\n"
	       "                           is asked, the path is made directly)\n"
	       "\n"
	       "Commands:\n"
	       "  spec [--bundle DIR]      write a default config.json that runs the toolkit's "
	       "rootfs\n"
	       "  create --bundle DIR [--pid-file F] [--console-socket SOCK] [--preserve-fds N]\n"
	       "         [--no-pivot] [--no-new-keyring] ID\n"
	       "  start ID                 run the program of a created container\n"
	       "  run --bundle DIR [--detach] [--pid-file F] ID   create and start (and in the\n"
	       "                           foreground wait, then delete; the program's status;\n"
	       "                           process.terminal: a pty, copied to this terminal)\n"
	       "  state ID                 the OCI state as JSON\n"
	       "  kill [--all] ID [SIGNAL] default SIGTERM; a name (KILL, SIGKILL) or number\n"
	       "  delete [--force] ID      remove a stopped container (--force: any)\n"
	       "  pause ID | resume ID     freeze and thaw it (the cgroup freezer)\n"
	       "  exec --process FILE [--detach] [--pid-file F] [--console-socket SOCK] ID\n"
	       "  exec [-t] [-e K=V] [-w DIR] [-u UID[:GID]] ID COMMAND...\n"
	       "  ps [--format table|json] ID    the container's processes\n"
	       "  list [--format table|json] [-q]\n"
	       "  update --resources FILE|- ID   new linux.resources for a running container\n"
	       "  features                 what this runtime supports, as JSON\n"
	       "\n"
	       "Exit status: 0; 1 when the runtime failed; run and exec in the foreground give\n"
	       "the program's own. Lab notes: 10-full-runtime/README.md.\n");
}

int runc_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "debug", no_argument, NULL, 'D' },
		{ "rootless", required_argument, NULL, 'R' },
		{ "criu", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct error err = { 0 };
	const char *cmd;
	int c;

	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			g.given_root = optarg;
			break;
		case 'l':
			g.log = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
				return usage_error("--log-format %s: text or json", optarg);
			g.log_format = optarg;
			break;
		case 's':
		case 'D':
		case 'R':
		case 'C':
			break;
		case 'h':
			usage();
			return 0;
		case 'v':
			printf("cell-runc version " CELL_VERSION "\nspec: 1.0.2\n");
			return 0;
		default:
			fprintf(stderr, "Try 'cell-runc --help'.\n");
			return 1;
		}
	}
	if (optind >= argc) {
		usage();
		return 1;
	}
	if (st_root(g.given_root, g.root, sizeof(g.root), &err) < 0)
		return fail(&err);
	cmd = argv[optind];
	/* each command parses its own options from here */
	argc -= optind;
	argv += optind;
	optind = 1;
	if (strcmp(cmd, "create") == 0)
		return cmd_create(argc, argv, false);
	if (strcmp(cmd, "run") == 0)
		return cmd_create(argc, argv, true);
	if (strcmp(cmd, "start") == 0 || strcmp(cmd, "state") == 0 || strcmp(cmd, "kill") == 0 ||
	    strcmp(cmd, "delete") == 0 || strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0)
		return cmd_simple(argc, argv, cmd);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc, argv);
	if (strcmp(cmd, "ps") == 0)
		return print_ps(argc, argv);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(cmd, "update") == 0)
		return cmd_update(argc, argv);
	if (strcmp(cmd, "spec") == 0)
		return cmd_spec(argc, argv);
	if (strcmp(cmd, "features") == 0)
		return cmd_features();
	return usage_error("\"%s\" is not a command (see --help)", cmd);
}
