/*
 * container.c: the lifecycle (runtime-spec's runtime.md): create, start,
 * state, kill, pause, exec, delete.
 *
 * The create/start split is what lets podman and containerd wire a
 * container up (its stdio, its network, their hooks) before anything of
 * the user's runs. `create` clones the init into its new namespaces and
 * lets it build the container (mounts, devices, pivot_root, user,
 * capabilities), up to the last step before execve(); the init then
 * blocks opening a FIFO in the container's state directory, and `create`
 * exits, leaving it to the client, which as a subreaper (prctl(2),
 * PR_SET_CHILD_SUBREAPER) inherits it. `start` opens the FIFO's other end:
 * the init's open() returns, and it executes the user's program. Whether
 * the FIFO is still there is what tells "created" from "running", as in
 * runc.
 *
 * The runtime and the init talk over a socketpair in small messages:
 *
 *     runtime                                  init
 *     maps written, cgroup joined   -- GO -->
 *                                   <-- MOUNTED --   mounts and devices made
 *     createRuntime hooks run       -- GO + state -->
 *                                   <-- READY --     root pivoted, user set,
 *     state.json, pid file, exit                     waits on the FIFO
 *
 * and an init that fails sends ERROR with the one line that says why.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>

#include "cgroup.h"
#include "container.h"
#include "mount.h"
#include "ns.h"
#include "rootless.h"
#include "security.h"
#include "term.h"

#define EXEC_FIFO    "exec.fifo"
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define STACK_SIZE   (256 * 1024)

/* the messages of the socketpair, one byte each, ERROR followed by its text */
enum { MSG_GO = 'G', MSG_MOUNTED = 'M', MSG_READY = 'R', MSG_ERROR = 'E' };

/* What the init needs, all of it known before clone(). */
struct init_args {
	const struct spec *spec;
	const struct ctr_create_opts *opts;
	const struct cgroup *cg;
	int sync_fd;	       /* the init's end of the socketpair */
	int console_fd;	       /* connected to --console-socket, or -1 */
	int fifo_fd;	       /* O_PATH of the exec FIFO */
	bool setgroups_denied; /* a rootless runtime's user namespace */
};

/* ---- small helpers ---- */

static void trace(FILE *to, const char *step, const char *stage)
{
	if (to != NULL) {
		fprintf(to, "=> %s (%s) ... done\n", step, stage);
		fflush(to);
	}
}

static int send_msg(int fd, char type, const char *text)
{
	char buf[ERR_MSG_MAX + 1];
	size_t len = 1;

	buf[0] = type;
	if (text != NULL) {
		len += strlen(text) < ERR_MSG_MAX ? strlen(text) : ERR_MSG_MAX;
		memcpy(buf + 1, text, len - 1);
	}
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* Waits for TYPE; an ERROR's text, or the peer's end, fills ERR. A long
 * message (the state for the hooks) lands in BUF when it is given. */
static int expect_msg(int fd, char type, char *buf, size_t size, const char *peer,
		      struct error *err)
{
	char local[ERR_MSG_MAX + 1], *msg = buf != NULL ? buf : local;
	size_t cap = buf != NULL ? size : sizeof(local);
	ssize_t n;

	do
		n = recv(fd, msg, cap - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(err, "read from the %s", peer);
	if (n == 0)
		return err_set(err, "the %s ended before it was ready", peer);
	msg[n] = '\0';
	if (msg[0] == MSG_ERROR)
		return err_set(err, "%s", msg + 1);
	if (msg[0] != type)
		return err_set(err, "the %s sent '%c' where '%c' was due", peer, msg[0], type);
	if (buf != NULL)
		memmove(buf, buf + 1, (size_t)n);
	return 0;
}

void ctr_close_fds_except(int first, const int *keep, size_t n)
{
	int sorted[8];
	size_t m = 0;

	for (size_t i = 0; i < n && m < 8; i++)
		if (keep[i] >= first)
			sorted[m++] = keep[i];
	/* in order, so that the ranges between them can be closed */
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			int t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (size_t i = 0; i < m; i++) {
		if (sorted[i] > first)
			syscall(SYS_close_range, first, sorted[i] - 1, 0);
		first = sorted[i] + 1;
	}
	syscall(SYS_close_range, first, ~0U, 0);
}

static void reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static const char *env_get(char *const *env, const char *key)
{
	size_t len = strlen(key);

	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], key, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

/*
 * step: find-program
 * The program is looked up before the container is reported created, in
 * the container's root and PATH, so that a missing one fails `create`
 * with words the clients know: podman turns "executable file not found in
 * $PATH" and "no such file or directory" into exit status 127, and
 * "permission denied" into 126 (its oci_util.go).
 */
static int find_program(const struct process_spec *p, char *out, size_t size, struct error *err)
{
	const char *name = p->args[0], *path = env_get(p->env, "PATH");
	char *dirs, *dir, *save = NULL;
	struct stat st;
	bool denied = false;

	/* the words are Go's, which the clients match: lower case */
	if (strchr(name, '/') != NULL) {
		if (stat(name, &st) < 0)
			return err_set(err, "exec: \"%s\": stat %s: %s", name, name,
				       errno == ENOENT ? "no such file or directory"
						       : "permission denied");
		if (S_ISDIR(st.st_mode) || access(name, X_OK) < 0)
			return err_set(err, "exec: \"%s\": permission denied", name);
		snprintf(out, size, "%s", name);
		return 0;
	}
	dirs = strdup(path != NULL ? path : DEFAULT_PATH);
	for (dir = strtok_r(dirs, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", dir[0] != '\0' ? dir : ".", name);
		if (stat(out, &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (access(out, X_OK) == 0) {
			free(dirs);
			return 0;
		}
		denied = true;
	}
	free(dirs);
	if (denied)
		return err_set(err, "exec: \"%s\": permission denied", name);
	return err_set(err, "exec: \"%s\": executable file not found in $PATH", name);
}

/* ---- hooks ---- */

/*
 * step: hooks
 * A hook is a program the client names, run with the container's state
 * on its standard input (config.md, "POSIX-platform Hooks"); it fails the
 * step when it fails, or when it outlives its timeout.
 */
static int run_hooks(const struct hook_spec *hooks, size_t n, const char *kind, const char *state,
		     struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct hook_spec *h = &hooks[i];
		char *const no_args[] = { h->path, NULL };
		char *const no_env[] = { NULL };
		int in[2], status;
		pid_t pid;
		time_t deadline = h->timeout > 0 ? time(NULL) + h->timeout : 0;

		if (pipe2(in, O_CLOEXEC) < 0)
			return err_sys(err, "hooks.%s[%zu]: pipe", kind, i);
		pid = fork();
		if (pid < 0) {
			close(in[0]);
			close(in[1]);
			return err_sys(err, "hooks.%s[%zu]: fork", kind, i);
		}
		if (pid == 0) {
			dup2(in[0], STDIN_FILENO);
			reset_signals();
			execve(h->path, h->args != NULL ? h->args : no_args,
			       h->env != NULL ? h->env : no_env);
			fprintf(stderr, "hooks.%s[%zu]: exec %s: %s\n", kind, i, h->path,
				strerror(errno));
			_exit(127);
		}
		close(in[0]);
		/* a hook that does not read its input must not block us */
		signal(SIGPIPE, SIG_IGN);
		if (write(in[1], state, strlen(state)) < 0 && errno != EPIPE)
			err_sys(err, "hooks.%s[%zu]: write the state", kind, i);
		close(in[1]);
		for (;;) {
			pid_t w = waitpid(pid, &status, deadline != 0 ? WNOHANG : 0);

			if (w == pid)
				break;
			if (w < 0 && errno != EINTR)
				return err_sys(err, "hooks.%s[%zu]: wait", kind, i);
			if (deadline != 0 && time(NULL) >= deadline) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				return err_set(err, "hooks.%s[%zu]: %s timed out after %d s", kind,
					       i, h->path, h->timeout);
			}
			if (w == 0)
				usleep(10000);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return err_set(err, "hooks.%s[%zu]: %s failed (%s %d)", kind, i, h->path,
				       WIFEXITED(status) ? "exit status" : "signal",
				       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	return 0;
}

/* The OCI state of ST (state.md) with STATUS, as compact JSON. */
static char *state_json(const struct state *st, const char *status)
{
	char config[PATH_MAX], *text;
	json_t *doc, *saved, *annotations = NULL;

	snprintf(config, sizeof(config), "%s/config.json", st->dir);
	saved = json_load_file(config, 0, NULL);
	if (saved != NULL)
		annotations = json_object_get(saved, "annotations");
	doc = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion", "1.0.2", "id",
			st->id, "status", status, "pid",
			strcmp(status, "stopped") == 0 ? 0 : st->pid, "bundle", st->bundle,
			"rootfs", st->rootfs, "created", st->created, "owner", "");
	if (annotations != NULL && json_object_size(annotations) > 0)
		json_object_set(doc, "annotations", annotations);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	json_decref(saved);
	return text;
}

/* ---- the init: everything after clone() and before execve() ---- */

/*
 * step: console
 * With process.terminal, the init opens a new pseudo-terminal in the
 * container's own devpts instance, hands the master to the client through
 * --console-socket in one sendmsg() with SCM_RIGHTS (unix(7)), and makes
 * the slave its controlling terminal and its standard streams.
 */
static int setup_console(const struct process_spec *p, int console_fd, bool is_init,
			 struct error *err)
{
	char name[64], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr msg = { 0 };
	struct cmsghdr *cmsg;
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return err_sys(err, "open /dev/ptmx");
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0) {
		close(master);
		return err_sys(err, "unlockpt");
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		close(master);
		return err_sys(err, "open %s", name);
	}
	if (p->console_height > 0 || p->console_width > 0) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_height,
				      .ws_col = (unsigned short)p->console_width };

		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			err_sys(err, "ioctl TIOCSWINSZ");
	}
	iov.iov_base = name;
	iov.iov_len = strlen(name);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
	if (sendmsg(console_fd, &msg, MSG_NOSIGNAL) < 0) {
		close(master);
		close(slave);
		return err_sys(err, "send the terminal to --console-socket");
	}
	close(master);
	close(console_fd);
	if (is_init) {
		/* /dev/console is where a program expects its console */
		int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd >= 0)
			close(fd);
		if (mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
			return err_sys(err, "bind %s on /dev/console", name);
	}
	if (setsid() < 0 && is_init)
		return err_sys(err, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return err_sys(err, "ioctl TIOCSCTTY");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return err_sys(err, "dup2 the terminal to %d", fd);
	close(slave);
	return 0;
}

/*
 * step: user
 * The order matters, as in runc: the bounding set first (it needs
 * CAP_SETPCAP); then the change of user, with PR_SET_KEEPCAPS so that
 * setuid(2) away from root does not clear the permitted set; then the
 * sets the spec asks for. Without process.capabilities the sets are left
 * as they are, as runc leaves them.
 */
static int become_user(const struct process_spec *p, bool no_setgroups, struct error *err)
{
	if (p->caps.given && sec_drop_bounding(&p->caps, err) < 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_sys(err, "prctl PR_SET_KEEPCAPS");
	/* in a user namespace whose setgroups is denied, the groups stay */
	if (!(no_setgroups && p->n_additional_gids == 0) &&
	    setgroups(p->n_additional_gids, p->additional_gids) < 0)
		return err_sys(err, "setgroups (process.user.additionalGids)");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return err_sys(err, "setresgid %u (process.user.gid)", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return err_sys(err, "setresuid %u (process.user.uid)", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return err_sys(err, "prctl PR_SET_KEEPCAPS");
	if (p->caps.given && sec_set_caps(&p->caps, err) < 0)
		return -1;
	umask(p->umask >= 0 ? (mode_t)p->umask : 022);
	return 0;
}

static int set_rlimits(const struct process_spec *p, struct error *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft,
				     .rlim_max = p->rlimits[i].hard };

		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return err_sys(err, "setrlimit process.rlimits[%zu] (soft %llu, hard %llu)",
				       i, (unsigned long long)rl.rlim_cur,
				       (unsigned long long)rl.rlim_max);
	}
	return 0;
}

static int set_oom_score_adj(const struct process_spec *p, struct error *err)
{
	char text[16];
	int fd, len;

	if (!p->has_oom_score_adj)
		return 0;
	len = snprintf(text, sizeof(text), "%d", p->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open /proc/self/oom_score_adj");
	if (write(fd, text, (size_t)len) != len) {
		close(fd);
		return err_sys(err, "write %d to oom_score_adj (process.oomScoreAdj)",
			       p->oom_score_adj);
	}
	close(fd);
	return 0;
}

/*
 * step: cwd
 * chdir() comes after every descriptor of the runtime is closed and the
 * root is the container's: a working directory given as /proc/self/fd/N
 * would otherwise lead through an inherited descriptor to the host's
 * tree (CVE-2024-21626). getcwd() then proves the directory is inside the
 * root: outside it, the kernel says "(unreachable)" (getcwd(3)).
 */
static int enter_cwd(const char *cwd, struct error *err)
{
	char here[PATH_MAX];

	if (chdir(cwd) < 0)
		return err_sys(err, "chdir %s (process.cwd)", cwd);
	if (getcwd(here, sizeof(here)) == NULL || here[0] != '/')
		return err_set(err, "process.cwd %s: the directory is outside the container", cwd);
	return 0;
}

/* The last steps of any process in the container, init or exec'd: the
 * terminal, limits, user, capabilities, directory, no_new_privs and
 * seccomp, in that order. It ends with the program found. */
/*
 * step: scheduler
 * The policy of sched(7), inherited by every child of the process. A
 * real-time one (FIFO, RR) needs real-time time in the process's cgroup
 * where the kernel groups it (cpu.rt_runtime_us on v1): without it the
 * kernel answers EPERM.
 */
static int set_scheduler(const struct process_spec *p, struct error *err)
{
	struct sched_param param = { .sched_priority = p->sched_priority };

	if (!p->has_scheduler)
		return 0;
	if (sched_setscheduler(0, p->sched_policy, &param) < 0)
		return err_sys(err, "process.scheduler: sched_setscheduler%s",
			       errno == EPERM && p->sched_priority > 0
				       ? " (a real-time policy needs real-time time in the "
					 "container's cgroup here: cell run --cpu-rt-runtime, "
					 "linux.resources.cpu.realtimeRuntime)"
				       : "");
	if (p->has_nice && setpriority(PRIO_PROCESS, 0, p->nice) < 0)
		return err_sys(err, "process.scheduler.nice: setpriority %d", p->nice);
	return 0;
}

static int prepare_process(const struct process_spec *p, const struct seccomp_spec *seccomp,
			   int console_fd, bool is_init, bool no_setgroups, char *program,
			   size_t size, struct error *err)
{
	if (p->terminal) {
		if (console_fd < 0)
			return err_set(err, "process.terminal: needs --console-socket");
		if (setup_console(p, console_fd, is_init, err) < 0)
			return -1;
	}
	if (set_rlimits(p, err) < 0 || set_oom_score_adj(p, err) < 0 || set_scheduler(p, err) < 0)
		return -1;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which
	 * the change of user may drop: so it is loaded before, as runc does;
	 * with it, at the very last moment. */
	if (seccomp != NULL && !p->no_new_privileges && sec_load_seccomp(seccomp, err) < 0)
		return -1;
	if (become_user(p, no_setgroups, err) < 0 || enter_cwd(p->cwd, err) < 0)
		return -1;
	return find_program(p, program, size, err);
}

/* The end of every process in the container. Whatever a library opened
 * since the descriptors were closed (a sanitizer's log, say) is marked
 * close-on-exec: from FIRST_FD up, nothing passes execve(). */
static void exec_program(const struct process_spec *p, const struct seccomp_spec *seccomp,
			 const char *program, int first_fd)
{
	struct error err = { 0 };
	char text[ERR_MSG_MAX + 64];
	char *const no_env[] = { NULL };

	syscall(SYS_close_range, first_fd, ~0U, CLOSE_RANGE_CLOEXEC);
	if (p->no_new_privileges && sec_no_new_privs(&err) < 0)
		goto fail;
	if (seccomp != NULL && p->no_new_privileges && sec_load_seccomp(seccomp, &err) < 0)
		goto fail;
	execve(program, p->args, p->env != NULL ? p->env : no_env);
	err_sys(&err, "exec %s", program);
fail:
	fprintf(stderr, "cell: %s\n", err_text(&err, text, sizeof(text)));
	_exit(err.errnum == ENOENT ? 127 : 126);
}

static int init_fail(const struct init_args *a, struct error *err)
{
	char text[ERR_MSG_MAX + 64];

	send_msg(a->sync_fd, MSG_ERROR, err_text(err, text, sizeof(text)));
	_exit(1);
}

/* The init's own work; see the table at the top of the file. */
static int init_main(void *arg)
{
	const struct init_args *a = arg;
	const struct spec *spec = a->spec;
	/* in a user namespace, new or the rootless runtime's own */
	bool userns = spec->ns[NS_USER].wanted || rl_in_user_ns();
	char state[16384], program[PATH_MAX], fifo[64];
	/* the trace stream is close-on-exec, as every descriptor is made
	 * before execve: it serves the runtime's steps only */
	int keep[] = { a->sync_fd, a->console_fd, a->fifo_fd,
		       a->opts->trace != NULL ? fileno(a->opts->trace) : -1 };
	struct error err = { 0 };
	int root_fd, fd;

	/* step: close-fds: nothing of the runtime's but what it passes on */
	ctr_close_fds_except(3 + a->opts->preserve_fds, keep, 4);
	reset_signals();
	/* a process of the container must not read this one's memory or
	 * descriptors through /proc before it runs the user's program */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (expect_msg(a->sync_fd, MSG_GO, NULL, 0, "runtime", &err) < 0)
		_exit(1);
	/* Root inside the new user namespace: the parent wrote the maps. */
	if (userns && spec->ns[NS_USER].path == NULL &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		err_sys(&err, "become root in the user namespace (is uid 0 mapped?)");
		init_fail(a, &err);
	}
	if (ns_join_paths(spec, &err) < 0 || ns_loopback_up(spec, &err) < 0)
		init_fail(a, &err);
	trace(a->opts->trace, "namespaces", "01, 02, 05, 07");
	if (spec->hostname != NULL && sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		err_sys(&err, "sethostname %s", spec->hostname);
		init_fail(a, &err);
	}
	if (spec->domainname != NULL &&
	    setdomainname(spec->domainname, strlen(spec->domainname)) < 0) {
		err_sys(&err, "setdomainname %s", spec->domainname);
		init_fail(a, &err);
	}
	if (!a->opts->no_new_keyring &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS &&
	    errno != EPERM) {
		err_sys(&err, "keyctl KEYCTL_JOIN_SESSION_KEYRING");
		init_fail(a, &err);
	}
	root_fd = mnt_prepare_root(spec, &err);
	if (root_fd < 0 ||
	    mnt_apply_mounts(spec, root_fd, a->cg, spec->ns[NS_CGROUP].wanted, userns, &err) < 0 ||
	    mnt_make_devices(spec, root_fd, userns, &err) < 0)
		init_fail(a, &err);
	trace(a->opts->trace, "mounts", "03, 04");
	send_msg(a->sync_fd, MSG_MOUNTED, NULL);
	if (expect_msg(a->sync_fd, MSG_GO, state, sizeof(state), "runtime", &err) < 0)
		_exit(1);
	/* createContainer: in the container's namespaces, before the pivot */
	if (run_hooks(spec->hooks.create_container, spec->hooks.n_create_container,
		      "createContainer", state, &err) < 0)
		init_fail(a, &err);
	if (mnt_pivot(root_fd, a->opts->no_pivot, &err) < 0)
		init_fail(a, &err);
	close(root_fd);
	trace(a->opts->trace, "pivot-root", "04");
	if (mnt_finish(spec, &err) < 0)
		init_fail(a, &err);
	/* the init leads a session of its own, terminal or not */
	if (!spec->process.terminal && setsid() < 0) {
		err_sys(&err, "setsid");
		init_fail(a, &err);
	}
	if (prepare_process(&spec->process, spec->seccomp, a->console_fd, true, a->setgroups_denied,
			    program, sizeof(program), &err) < 0)
		init_fail(a, &err);
	trace(a->opts->trace, "user, capabilities, seccomp", "07, 08");
	send_msg(a->sync_fd, MSG_READY, NULL);
	close(a->sync_fd);

	/* step: wait-start: the open blocks until `start` opens the other end */
	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d", a->fifo_fd);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "cell: open the exec FIFO: %s\n", strerror(errno));
		_exit(1);
	}
	close(fd);
	close(a->fifo_fd);
	if (run_hooks(spec->hooks.start_container, spec->hooks.n_start_container, "startContainer",
		      state, &err) < 0) {
		fprintf(stderr, "cell: %s\n", err_text(&err, state, sizeof(state)));
		_exit(1);
	}
	exec_program(&spec->process, spec->seccomp, program, 3 + a->opts->preserve_fds);
	return 1;
}

/* ---- create ---- */

static int connect_console(const char *path, struct error *err)
{
	int fd = st_unix_connect(path, SOCK_STREAM, err);

	return fd < 0 ? err_prefix(err, "--console-socket") : fd;
}

/* The host id that the container's root is (a uid or gid, as MAPS are),
 * for the FIFO's owner; ID when nothing maps 0. */
static unsigned int host_root_id(const struct id_map *maps, size_t n, unsigned int id)
{
	for (size_t i = 0; i < n; i++)
		if (maps[i].container_id == 0)
			return maps[i].host_id;
	return id;
}

static int save_config(const struct ctr_create_opts *o, const struct state *st, struct error *err)
{
	char src[PATH_MAX];
	json_t *doc;
	int ret;

	snprintf(src, sizeof(src), "%s/config.json", o->bundle);
	doc = json_load_file(src, 0, NULL);
	if (doc == NULL)
		return err_set(err, "%s: cannot read it again", src);
	ret = st_write_json(st, "config.json", doc, err);
	json_decref(doc);
	return ret;
}

int ctr_create(const struct ctr_create_opts *o, pid_t *pid_out, struct error *err)
{
	struct spec spec;
	struct state st;
	struct cgroup cg = { 0 };
	struct init_args args = { .opts = o, .console_fd = -1, .fifo_fd = -1 };
	char fifo[PATH_MAX], default_path[PATH_MAX], pid_text[32], *state = NULL, *stack = NULL;
	int sv[2] = { -1, -1 }, ret = -1, status;
	bool made_dir = false, made_cg = false;
	pid_t pid = -1;

	if (spec_load(o->bundle, NULL, &spec, err) < 0)
		return -1;
	if (!spec.has_process) {
		spec_free(&spec);
		return err_set(err, "process: missing (nothing to run)");
	}
	if (spec.process.terminal && o->console_socket == NULL && o->console_fd <= 2) {
		spec_free(&spec);
		return err_set(err, "process.terminal is true: give --console-socket");
	}
	if (st_make_dir(o->root, o->id, &st, err) < 0)
		goto out;
	made_dir = true;
	snprintf(st.bundle, sizeof(st.bundle), "%s", o->bundle);
	snprintf(st.rootfs, sizeof(st.rootfs), "%s", spec.root_path);
	st_now(st.created, sizeof(st.created));
	st.owner = geteuid();
	if (save_config(o, &st, err) < 0)
		goto out;

	/* step: cgroup (06): made and limited while still empty */
	if (cg_detect(&cg, err) < 0)
		goto out;
	/* rootless, below the subtree the host delegated to the user */
	if (snprintf(default_path, sizeof(default_path), "%s%s/%s", cg.delegated,
		     o->cgroup_base != NULL ? o->cgroup_base : "/cell/runc",
		     o->id) >= (int)sizeof(default_path)) {
		err_errno(err, ENAMETOOLONG, "the cgroup below %s", cg.delegated);
		goto out;
	}
	if (cg_resolve_path(spec.cgroups_path, default_path, st.cgroup_path, sizeof(st.cgroup_path),
			    err) < 0)
		goto out;
	st.cgroup_parents = spec.cgroups_path == NULL ? 2 : 0;
	if (cg_create(&cg, st.cgroup_path, err) < 0)
		goto out;
	made_cg = true;
	if (cg_apply(&cg, &spec.resources, err) < 0)
		goto out;
	trace(o->trace, "cgroup", "06");

	snprintf(fifo, sizeof(fifo), "%s/" EXEC_FIFO, st.dir);
	/* 0622, the container's root's: its init opens it for writing once
	 * it is the process's user, who may be another (process.user); only
	 * a reader lets it through, and only its owner may read */
	if (mkfifo(fifo, 0600) < 0) {
		err_sys(err, "mkfifo %s", fifo);
		goto out;
	}
	if (chmod(fifo, 0622) < 0) {
		err_sys(err, "chmod %s", fifo);
		goto out;
	}
	if (chown(fifo, host_root_id(spec.uid_mappings, spec.n_uid_mappings, geteuid()),
		  host_root_id(spec.gid_mappings, spec.n_gid_mappings, getegid())) < 0) {
		err_sys(err, "chown %s", fifo);
		goto out;
	}
	args.fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
	if (args.fifo_fd < 0) {
		err_sys(err, "open %s", fifo);
		goto out;
	}
	if (o->console_socket != NULL) {
		args.console_fd = connect_console(o->console_socket, err);
		if (args.console_fd < 0)
			goto out;
	} else if (spec.process.terminal) {
		args.console_fd = fcntl(o->console_fd, F_DUPFD_CLOEXEC, 3);
		if (args.console_fd < 0) {
			err_sys(err, "dup the console socket");
			goto out;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		err_sys(err, "socketpair");
		goto out;
	}
	if (ns_join_pid_for_children(&spec, err) < 0)
		goto out;
	args.spec = &spec;
	args.cg = &cg;
	args.setgroups_denied =
		(spec.ns[NS_USER].wanted && geteuid() != 0) || rl_setgroups_denied();
	args.sync_fd = sv[1];

	/* step: clone: the init, in its new namespaces at once */
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		stack = NULL;
		err_sys(err, "mmap the init's stack");
		goto out;
	}
	pid = clone(init_main, stack + STACK_SIZE, ns_clone_flags(&spec) | SIGCHLD, &args);
	if (pid < 0) {
		err_sys(err, "clone");
		goto out;
	}
	close(sv[1]);
	sv[1] = -1;
	trace(o->trace, "clone", "01, 02");
	if (ns_write_id_maps(pid, &spec, err) < 0 || cg_enter(&cg, pid, err) < 0)
		goto out;
	st.pid = pid;
	send_msg(sv[0], MSG_GO, NULL);
	if (expect_msg(sv[0], MSG_MOUNTED, NULL, 0, "container's init", err) < 0)
		goto out;
	state = state_json(&st, "creating");
	if (run_hooks(spec.hooks.prestart, spec.hooks.n_prestart, "prestart", state, err) < 0 ||
	    run_hooks(spec.hooks.create_runtime, spec.hooks.n_create_runtime, "createRuntime",
		      state, err) < 0)
		goto out;
	if (send_msg(sv[0], MSG_GO, state) < 0 ||
	    expect_msg(sv[0], MSG_READY, NULL, 0, "container's init", err) < 0)
		goto out;
	st.start_time = st_start_time(pid);
	if (st_save(&st, err) < 0)
		goto out;
	if (o->pid_file != NULL) {
		int len = snprintf(pid_text, sizeof(pid_text), "%d", pid);

		if (st_write_atomic(o->pid_file, pid_text, (size_t)len, 0644, err) < 0)
			goto out;
	}
	*pid_out = pid;
	ret = 0;
out:
	if (ret < 0) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		if (made_cg)
			cg_destroy(&cg, st.cgroup_parents, &(struct error){ 0 });
		if (made_dir)
			st_remove(&st, &(struct error){ 0 });
	}
	free(state);
	if (stack != NULL)
		munmap(stack, STACK_SIZE);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (args.fifo_fd >= 0)
		close(args.fifo_fd);
	if (args.console_fd >= 0)
		close(args.console_fd);
	spec_free(&spec);
	return ret;
}

/* ---- state ---- */

static bool fifo_exists(const struct state *st)
{
	char fifo[PATH_MAX];

	snprintf(fifo, sizeof(fifo), "%s/" EXEC_FIFO, st->dir);
	return access(fifo, F_OK) == 0;
}

/* A cgroup of the container, opened without making anything. */
static int open_cgroup(const struct state *st, struct cgroup *cg, struct error *err)
{
	if (cg_detect(cg, err) < 0 || cg_open(cg, st->cgroup_path, err) < 0)
		return -1;
	return 0;
}

enum ctr_status ctr_status(const struct state *st)
{
	struct cgroup cg = { 0 };

	if (st->pid <= 0 || st->start_time == 0 || st_start_time(st->pid) != st->start_time)
		return CTR_STOPPED;
	if (open_cgroup(st, &cg, &(struct error){ 0 }) == 0 && cg_is_frozen(&cg))
		return CTR_PAUSED;
	return fifo_exists(st) ? CTR_CREATED : CTR_RUNNING;
}

const char *ctr_status_name(enum ctr_status status)
{
	static const char *const names[] = { "creating", "created", "running", "paused",
					     "stopped" };

	return names[status];
}

int ctr_state_json(const char *root, const char *id, char **json, struct error *err)
{
	struct state st;

	if (st_load(root, id, &st, err) < 0)
		return -1;
	*json = state_json(&st, ctr_status_name(ctr_status(&st)));
	return *json != NULL ? 0 : err_set(err, "state of %s: cannot encode it", id);
}

/* ---- start ---- */

/*
 * step: start
 * Opening the FIFO for reading completes the init's blocked open for
 * writing. Non-blocking, so that an init that died meanwhile cannot hang
 * `start`: poll() then waits for the init's byte, checking that it lives.
 */
int ctr_start(const char *root, const char *id, struct error *err)
{
	char fifo[PATH_MAX], byte, *state;
	struct spec spec;
	struct state st;
	int lock, fd, ret = -1;
	enum ctr_status status;

	if (st_load(root, id, &st, err) < 0)
		return -1;
	lock = st_lock(&st, err);
	if (lock < 0)
		return -1;
	status = ctr_status(&st);
	if (status != CTR_CREATED) {
		close(lock);
		return err_set(err, "cannot start a container that is %s", ctr_status_name(status));
	}
	snprintf(fifo, sizeof(fifo), "%s/" EXEC_FIFO, st.dir);
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		close(lock);
		return err_sys(err, "open %s", fifo);
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, 100);

		if (n > 0 && read(fd, &byte, 1) == 1)
			break;
		if ((n < 0 && errno != EINTR) || st_start_time(st.pid) != st.start_time) {
			err_set(err, "the container's init ended before it started");
			goto out;
		}
	}
	unlink(fifo);
	ret = 0;
	/* poststart: in the runtime's namespace, after the program started;
	 * a failure is reported but the container runs on (runtime.md) */
	if (spec_load(st.dir, NULL, &spec, &(struct error){ 0 }) == 0) {
		state = state_json(&st, "running");
		if (run_hooks(spec.hooks.poststart, spec.hooks.n_poststart, "poststart", state,
			      err) < 0)
			ret = -1;
		free(state);
		spec_free(&spec);
	}
out:
	close(fd);
	close(lock);
	return ret;
}

/* ---- kill, pause, pids, update ---- */

/*
 * The container's processes: its cgroup's. A rootless container on a host
 * that delegates no cgroup has none; there they are the processes of its
 * init's PID namespace (the init alone when it shares the caller's), found
 * in /proc by the namespace's inode.
 */
static int container_pids(const struct state *st, const struct cgroup *cg, pid_t **pids, size_t *n,
			  struct error *err)
{
	char init_ns[64], own_ns[64];

	if (cg_exists(cg) || !cg->rootless)
		return cg_pids(cg, pids, n, err);
	ns_link(st->pid, "pid", init_ns, sizeof(init_ns));
	ns_link(getpid(), "pid", own_ns, sizeof(own_ns));
	if (strcmp(init_ns, own_ns) != 0)
		return ns_members(st->pid, "pid", pids, n, err);
	/* the caller's PID namespace: the init alone is the container's */
	*pids = malloc(sizeof(**pids));
	if (*pids == NULL)
		return err_sys(err, "the container's processes");
	(*pids)[0] = st->pid;
	*n = 1;
	return 0;
}

int ctr_kill(const char *root, const char *id, int sig, bool all, struct error *err)
{
	struct cgroup cg = { 0 };
	struct state st;
	pid_t *pids = NULL;
	size_t n = 0;

	if (st_load(root, id, &st, err) < 0)
		return -1;
	if (ctr_status(&st) == CTR_STOPPED)
		return err_set(err, "container not running");
	if (!all) {
		if (kill(st.pid, sig) < 0)
			return errno == ESRCH ? err_set(err, "no such process")
					      : err_sys(err, "kill %d", st.pid);
		return 0;
	}
	if (open_cgroup(&st, &cg, err) < 0 || container_pids(&st, &cg, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
	/* a frozen task gets its signal once thawed; SIGKILL must not wait */
	if (sig == SIGKILL && cg_is_frozen(&cg))
		cg_freeze(&cg, false, &(struct error){ 0 });
	return 0;
}

int ctr_pause(const char *root, const char *id, bool pause, struct error *err)
{
	struct cgroup cg = { 0 };
	struct state st;
	enum ctr_status status;

	if (st_load(root, id, &st, err) < 0)
		return -1;
	status = ctr_status(&st);
	if (pause && status != CTR_RUNNING && status != CTR_CREATED)
		return err_set(err, "container not running");
	if (!pause && status != CTR_PAUSED)
		return err_set(err, "container not paused");
	if (open_cgroup(&st, &cg, err) < 0)
		return -1;
	return cg_freeze(&cg, pause, err);
}

int ctr_pids(const char *root, const char *id, pid_t **pids, size_t *n, struct error *err)
{
	struct cgroup cg = { 0 };
	struct state st;

	*pids = NULL;
	*n = 0;
	if (st_load(root, id, &st, err) < 0)
		return -1;
	if (ctr_status(&st) == CTR_STOPPED)
		return 0;
	if (open_cgroup(&st, &cg, err) < 0)
		return -1;
	return container_pids(&st, &cg, pids, n, err);
}

int ctr_update(const char *root, const char *id, const struct resources_spec *res,
	       struct error *err)
{
	struct cgroup cg = { 0 };
	struct state st;

	if (st_load(root, id, &st, err) < 0)
		return -1;
	if (ctr_status(&st) == CTR_STOPPED)
		return err_set(err, "container not running");
	if (open_cgroup(&st, &cg, err) < 0)
		return -1;
	return cg_apply(&cg, res, err);
}

/* ---- delete ---- */

/*
 * step: delete
 * A container that is not stopped is refused without --force; with it,
 * every process of its cgroup is killed (thawed first: a frozen task
 * cannot die) and reaped by whoever is its parent. Then the poststop
 * hooks, the cgroup and the state directory, in that order.
 */
int ctr_delete(const char *root, const char *id, bool force, struct error *err)
{
	struct cgroup cg = { 0 };
	struct spec spec;
	struct state st;
	enum ctr_status status;
	int lock, ret = 0;
	char *state;

	if (st_load(root, id, &st, err) < 0) {
		/* runc: a forced delete of what is not there succeeds */
		if (force && strcmp(err->msg, "container does not exist") == 0)
			return 0;
		return -1;
	}
	lock = st_lock(&st, err);
	if (lock < 0)
		return -1;
	status = ctr_status(&st);
	if (status != CTR_STOPPED && status != CTR_CREATED && !force) {
		close(lock);
		return err_set(err, "cannot delete container %s that is not stopped: %s", id,
			       ctr_status_name(status));
	}
	open_cgroup(&st, &cg, &(struct error){ 0 });
	if (status != CTR_STOPPED) {
		pid_t *pids = NULL;
		size_t n = 0;

		if (status == CTR_PAUSED)
			cg_freeze(&cg, false, &(struct error){ 0 });
		if (container_pids(&st, &cg, &pids, &n, &(struct error){ 0 }) < 0)
			n = 0;
		kill(st.pid, SIGKILL);
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		/* up to 10 s for the kernel to finish it */
		for (int i = 0; i < 1000 && st_start_time(st.pid) == st.start_time; i++)
			usleep(10000);
	}
	if (spec_load(st.dir, NULL, &spec, &(struct error){ 0 }) == 0) {
		state = state_json(&st, "stopped");
		if (run_hooks(spec.hooks.poststop, spec.hooks.n_poststop, "poststop", state, err) <
		    0)
			ret = -1;
		free(state);
		spec_free(&spec);
	}
	if (cg_destroy(&cg, st.cgroup_parents, ret < 0 ? &(struct error){ 0 } : err) < 0)
		ret = -1;
	if (st_remove(&st, ret < 0 ? &(struct error){ 0 } : err) < 0)
		ret = -1;
	close(lock);
	return ret;
}

/* ---- exec ---- */

/*
 * step: exec
 * A new process in a running container: it joins every namespace of the
 * init (setns on /proc/PID/ns/..., stage 02's nsenter), its cgroup, and
 * takes the same seccomp filter as the init, with the capabilities and
 * user the process spec gives. The PID namespace applies to children
 * only, so the joining is done here and the process is forked after it.
 */
int ctr_exec(const struct ctr_exec_opts *o, int *status_out, struct error *err)
{
	struct cgroup cg = { 0 };
	struct spec spec;
	struct state st;
	enum ctr_status status;
	int sync[2] = { -1, -1 }, ret = -1;
	char program[PATH_MAX], msg[ERR_MSG_MAX + 2];
	bool userns;
	pid_t pid;
	ssize_t n;

	if (st_load(o->root, o->id, &st, err) < 0)
		return -1;
	status = ctr_status(&st);
	if (status != CTR_RUNNING && status != CTR_CREATED)
		return err_set(err, "cannot exec in a %s container", ctr_status_name(status));
	if (o->process->terminal && o->console_socket == NULL && o->console_fd <= 2)
		return err_set(err, "process.terminal is true: give --console-socket");
	if (spec_load(st.dir, NULL, &spec, err) < 0)
		return err_prefix(err, "the container's saved config.json");
	userns = spec.ns[NS_USER].wanted;
	if (open_cgroup(&st, &cg, err) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
		err_sys(err, "socketpair");
		goto out;
	}
	/* Waiting for the process needs it to be ours: it is a grandchild,
	 * which a subreaper inherits when its parent exits. */
	if (!o->detach && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		err_sys(err, "prctl PR_SET_CHILD_SUBREAPER");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_sys(err, "fork");
		goto out;
	}
	if (pid == 0) {
		int console = -1, keep[2];

		close(sync[0]);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (o->console_socket != NULL)
			console = connect_console(o->console_socket, err);
		else if (o->process->terminal)
			console = o->console_fd;
		keep[0] = sync[1];
		keep[1] = console;
		ctr_close_fds_except(3 + o->preserve_fds, keep, 2);
		reset_signals();
		if ((o->console_socket != NULL && console < 0) || ns_enter(st.pid, err) < 0)
			goto child_fail;
		/* the PID namespace takes effect for a child: fork once more,
		 * and this process only waits for it, as crun does */
		pid = fork();
		if (pid < 0) {
			err_sys(err, "fork");
			goto child_fail;
		}
		if (pid > 0) {
			char text[16];

			snprintf(text, sizeof(text), "%d", pid);
			send_msg(sync[1], MSG_GO, text);
			_exit(0);
		}
		if (expect_msg(sync[1], MSG_GO, NULL, 0, "runtime", err) < 0)
			_exit(1);
		if (prepare_process(o->process, spec.seccomp, console, false,
				    (userns && geteuid() != 0) || rl_setgroups_denied(), program,
				    sizeof(program), err) < 0)
			goto child_fail;
		send_msg(sync[1], MSG_READY, NULL);
		exec_program(o->process, spec.seccomp, program, 3 + o->preserve_fds);
	child_fail:
		err_text(err, msg, sizeof(msg));
		send_msg(sync[1], MSG_ERROR, msg);
		_exit(1);
	}
	close(sync[1]);
	sync[1] = -1;
	/* the first child names the process; it is ours to wait for too, as
	 * the clients are for the processes they exec, once we are gone */
	if (expect_msg(sync[0], MSG_GO, msg, sizeof(msg), "exec'd process", err) < 0) {
		waitpid(pid, NULL, 0);
		goto out;
	}
	waitpid(pid, NULL, 0);
	pid = (pid_t)strtol(msg, NULL, 10);
	if (cg_enter_exec(&cg, pid, st.pid, err) < 0) {
		kill(pid, SIGKILL);
		goto out;
	}
	send_msg(sync[0], MSG_GO, NULL);
	if (expect_msg(sync[0], MSG_READY, NULL, 0, "exec'd process", err) < 0)
		goto out;
	/* READY comes just before execve(), which closes the process's end of
	 * the socket (close-on-exec): the end of the stream says it runs. An
	 * execve() that fails is the program's own exit status (126, 127). */
	do
		n = recv(sync[0], msg, sizeof(msg) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (o->pid_file != NULL) {
		char text[32];
		int len = snprintf(text, sizeof(text), "%d", pid);

		if (st_write_atomic(o->pid_file, text, (size_t)len, 0644, err) < 0)
			goto out;
	}
	ret = 0;
	*status_out = 0;
	if (o->detach)
		goto out;
	/* The exec'd process is a grandchild: it was reparented to us only
	 * if we are a subreaper, which makes waiting for it possible. */
	*status_out = ctr_wait(pid);
out:
	for (int i = 0; i < 2; i++)
		if (sync[i] >= 0)
			close(sync[i]);
	spec_free(&spec);
	return ret;
}

/*
 * exec with process.terminal and nobody listening on a console socket: the
 * caller's terminal is the client. A child runs ctr_exec with one end of a
 * socket pair as the console socket and waits for the process; this
 * process copies between its terminal and the master it receives, then
 * takes the child's status, or the error the child met, through a pipe.
 */
int ctr_exec_attached(struct ctr_exec_opts *o, int *status, struct error *err)
{
	int sv[2], report[2], master, code, ws;
	struct error no_terminal;
	pid_t child;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return err_sys(err, "socketpair");
	if (pipe2(report, O_CLOEXEC) < 0) {
		err_sys(err, "pipe");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	child = fork();
	if (child == 0) {
		close(sv[0]);
		close(report[0]);
		o->console_fd = sv[1];
		if (ctr_exec(o, &code, err) < 0) {
			if (write(report[1], err, sizeof(*err)) < 0)
				_exit(255);
			_exit(1);
		}
		_exit(code);
	}
	close(sv[1]);
	close(report[1]);
	if (child < 0) {
		close(sv[0]);
		close(report[0]);
		return err_sys(err, "fork");
	}
	/* when the child fails before sending, its end closes: no terminal */
	master = term_receive_fd(sv[0], &no_terminal);
	close(sv[0]);
	if (master >= 0) {
		term_proxy(master);
		close(master);
	}
	while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
		;
	n = read(report[0], err, sizeof(*err));
	close(report[0]);
	if (n == (ssize_t)sizeof(*err))
		return -1;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

/* ---- waiting, listing ---- */

static volatile sig_atomic_t forward_pid;

static void forward(int sig)
{
	if (forward_pid > 0)
		kill(forward_pid, sig);
}

int ctr_wait(pid_t pid)
{
	static const int signals[] = {
		SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH
	};
	struct sigaction sa = { .sa_handler = forward };
	int status;

	forward_pid = pid;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		sigaction(signals[i], &sa, NULL);
	for (;;) {
		pid_t w = waitpid(-1, &status, 0);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 255;
		if (w == pid)
			break;
	}
	forward_pid = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int ctr_cgroup(const char *root, const char *id, struct cgroup *cg, struct error *err)
{
	struct state st;

	if (st_load(root, id, &st, err) < 0)
		return -1;
	return open_cgroup(&st, cg, err);
}

int ctr_remove_leftovers(const char *root, const char *id, const char *cgroup_base,
			 struct error *err)
{
	struct cgroup cg = { 0 };
	struct state st = { 0 };
	char path[PATH_MAX];
	pid_t *pids = NULL;
	size_t n = 0;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", cgroup_base, id);
	if (cg_detect(&cg, err) < 0)
		return -1;
	if (cg_open(&cg, path, &(struct error){ 0 }) == 0) {
		/* an init that was never released, waiting on the fifo */
		if (cg_pids(&cg, &pids, &n, &(struct error){ 0 }) == 0)
			for (size_t i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
		free(pids);
		if (cg_destroy(&cg, 2, err) < 0)
			ret = -1;
	}
	snprintf(st.id, sizeof(st.id), "%s", id);
	snprintf(st.dir, sizeof(st.dir), "%s/%s", root, id);
	if (access(st.dir, F_OK) == 0 && st_remove(&st, ret < 0 ? &(struct error){ 0 } : err) < 0)
		ret = -1;
	return ret;
}

int ctr_list(const char *root, int (*fn)(const struct state *st, void *arg), void *arg,
	     struct error *err)
{
	struct dirent *e;
	struct state st;
	DIR *d;

	d = opendir(root);
	if (d == NULL)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", root);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		/* a directory being made or removed has no record: skipped */
		if (st_load(root, e->d_name, &st, &(struct error){ 0 }) < 0)
			continue;
		if (fn(&st, arg) < 0)
			break;
	}
	closedir(d);
	return 0;
}

int ctr_process_from_args(const char *root, const char *id, char **args, char **env, size_t n_env,
			  const char *cwd, const char *user, bool tty, struct process_spec *out,
			  struct error *err)
{
	struct spec spec;
	struct state st;
	size_t n_args = strv_len(args), n_old;

	if (st_load(root, id, &st, err) < 0 || spec_load(st.dir, NULL, &spec, err) < 0)
		return -1;
	*out = spec.process;
	memset(&spec.process, 0, sizeof(spec.process));
	spec_free(&spec);
	for (size_t i = 0; out->args != NULL && out->args[i] != NULL; i++)
		free(out->args[i]);
	free(out->args);
	out->args = calloc(n_args + 1, sizeof(char *));
	for (size_t i = 0; i < n_args; i++)
		out->args[i] = strdup(args[i]);
	n_old = strv_len(out->env);
	out->env = realloc(out->env, (n_old + n_env + 1) * sizeof(char *));
	for (size_t i = 0; i < n_env; i++) {
		if (strchr(env[i], '=') == NULL)
			return err_set(err, "--env %s: not KEY=VALUE", env[i]);
		out->env[n_old + i] = strdup(env[i]);
	}
	out->env[n_old + n_env] = NULL;
	if (cwd != NULL) {
		free(out->cwd);
		out->cwd = strdup(cwd);
	}
	if (user != NULL) {
		char *end;

		out->uid = (uid_t)strtoul(user, &end, 10);
		out->gid = *end == ':' ? (gid_t)strtoul(end + 1, &end, 10) : out->gid;
		if (*end != '\0')
			return err_set(err, "--user %s: give UID or UID:GID", user);
	}
	out->terminal = tty;
	return 0;
}
