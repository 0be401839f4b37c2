/*
 * sysprobe - try system calls a container should not be allowed to make, and report
 * the kernel's answer.
 *
 * Used in stage 08 (seccomp and capabilities) and by its tests: "sysprobe reboot keyctl
 * mount" prints one line per call, such as "reboot: EPERM" inside a confined container
 * and "reboot: EINVAL" on the host. Comparing the two shows which calls the container's
 * seccomp filter or its reduced capability set takes away.
 *
 * Usage: sysprobe [-a] NAME [NAME...]      (sysprobe --help lists the names)
 *        sysprobe --creds                  (uid, euid and CapEff: stage 08's setuid test)
 *
 * Every call is made with arguments chosen so that it cannot do harm even when it is
 * allowed: a reboot with wrong "magic" numbers, a module removal of a module that does not
 * exist, a kexec with an impossible segment count and flags, a clock change for a clock
 * that does not exist, and so on. So there are three kinds of answer:
 *   "NAME: ok"        the call was allowed and succeeded (it was a harmless query, or
 *                     its effect was undone right away: a tmpfs mounted and unmounted, a
 *                     device node created and removed);
 *   "NAME: EINVAL"    (or ENOENT, EBADF...) the call was allowed and reached the code that
 *                     checks its arguments, which refused them;
 *   "NAME: EPERM"     the call was stopped before that: by a seccomp filter returning
 *                     EPERM, or by a capability check that comes before the argument
 *                     checks in the kernel.
 * Some probes need no capability at all (the key calls, unshare and clone of a user
 * namespace, ptrace of a pid that does not exist) or look at their arguments before
 * any capability (clock_settime, quotactl, setns, and open_by_handle_at on recent
 * kernels): for those a capability drop alone leaves the answer as it was, and only a
 * seccomp filter turns it into EPERM. Running "sysprobe --all" under
 * "setpriv --bounding-set=-all --inh-caps=-all" and then in a stage 08 container shows
 * the difference; it is one of the lab's exercises.
 *
 * Each probe runs in a child process of its own, so a probe that changes the process
 * (unshare into a new user namespace, chroot) cannot change the next probe's answer, and
 * a filter that kills instead of failing (SECCOMP_RET_KILL) shows up as
 * "NAME: killed by SIGSYS" instead of killing sysprobe.
 *
 * Exit status: 0 if every probe printed "ok", 1 otherwise, 2 on bad usage.
 *
 * A kernel built without a feature (modules, kexec) answers ENOSYS whatever the filter.
 *
 * Further reading: seccomp(2), capabilities(7), syscall(2), errno(3), and each call's
 * own page in section 2; for which check comes first, the kernel source is the reference.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/kexec.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/quota.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "workload.h"

/* Scratch directory for the probes that need a path of their own (mount, mknod...). */
static char scratch[] = "/tmp/cell-sysprobe-XXXXXX";
static char scratch_node[sizeof(scratch) + 8];

/* A probe returns 0 when the call succeeded, or -1 with errno set by the call. */
struct probe {
	const char *name;
	int (*run)(void);
	bool needs_scratch;
	const char *what;
};

/* For calls that return a new file descriptor: success means closing it again. */
static int fd_result(long fd)
{
	if (fd < 0)
		return -1;
	close((int)fd);
	return 0;
}

static int rc_result(long rc)
{
	return rc < 0 ? -1 : 0;
}

static int probe_getpid(void)
{
	return rc_result(syscall(SYS_getpid));
}

static int probe_open(void)
{
	return fd_result(syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

static int probe_socket(void)
{
	return fd_result(syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

static int probe_personality(void)
{
	/* 0xffffffff asks for the current persona without changing it. */
	return rc_result(syscall(SYS_personality, 0xffffffffUL));
}

static int probe_keyctl(void)
{
	/* A lookup of the session keyring's id that must not create one (last arg 0). */
	return rc_result(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}

#ifdef __x86_64__
/*
 * The same lookup through the two other doors an x86-64 kernel keeps open to a 64-bit
 * process: the i386 entry (int $0x80, with i386's number for keyctl, 288, and the
 * arguments in ebx, ecx, edx), and the x32 numbers (the x86-64 number with bit 30 set).
 * A filter written for x86-64 numbers alone would let both through. A kernel without
 * x32 support answers ENOSYS to the second; one without i386 emulation kills the probe.
 */
static int probe_keyctl_i386(void)
{
	long rc = 288;

	__asm__ volatile("int $0x80"
			 : "+a"(rc)
			 : "b"(KEYCTL_GET_KEYRING_ID), "c"(KEY_SPEC_SESSION_KEYRING), "d"(0)
			 : "r8", "r9", "r10", "r11", "memory");
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return 0;
}

static int probe_keyctl_x32(void)
{
	return rc_result(syscall(0x40000000 | SYS_keyctl, KEYCTL_GET_KEYRING_ID,
				 KEY_SPEC_SESSION_KEYRING, 0));
}
#endif

static int probe_add_key(void)
{
	/* A "user" key needs a description; an empty one is refused with EINVAL. */
	return rc_result(syscall(SYS_add_key, "user", "", "x", 1, KEY_SPEC_PROCESS_KEYRING));
}

static int probe_request_key(void)
{
	/* No callout string, so a missing key gives ENOKEY and no helper is started. */
	return rc_result(syscall(SYS_request_key, "user", "cell-sysprobe-no-such-key", NULL, 0));
}

static int probe_init_module(void)
{
	/* An empty image is not an ELF module: ENOEXEC, after the CAP_SYS_MODULE check. */
	return rc_result(syscall(SYS_init_module, NULL, 0UL, ""));
}

static int probe_finit_module(void)
{
	return rc_result(syscall(SYS_finit_module, -1, "", 0));
}

static int probe_delete_module(void)
{
	return rc_result(syscall(SYS_delete_module, "cell_sysprobe_no_such_module", O_NONBLOCK));
}

static int probe_kexec_load(void)
{
	/*
	 * Careful: zero segments with valid flags would unload a loaded kexec or crash
	 * kernel. So three independent reasons to refuse: one segment too many, a flag bit
	 * that does not exist and an architecture field matching no architecture.
	 */
	unsigned long flags = KEXEC_ARCH_MASK | 0x8000UL;

	return rc_result(syscall(SYS_kexec_load, 0UL, KEXEC_SEGMENT_MAX + 1UL, NULL, flags));
}

static int probe_kexec_file_load(void)
{
	/* Bad file descriptors and an unknown flag bit (not KEXEC_FILE_UNLOAD). */
	return rc_result(syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0x8000UL));
}

static int probe_open_by_handle_at(void)
{
	/*
	 * The call behind the 2014 "shocker" escape from Docker. A handle of zero bytes is
	 * invalid; older kernels check CAP_DAC_READ_SEARCH before looking at it.
	 */
	struct {
		struct file_handle fh;
		unsigned char bytes[128];
	} h;

	memset(&h, 0, sizeof(h));
	return fd_result(syscall(SYS_open_by_handle_at, AT_FDCWD, &h.fh, O_RDONLY | O_CLOEXEC));
}

static int probe_bpf(void)
{
	/* BPF_MAP_CREATE of map type 0 (BPF_MAP_TYPE_UNSPEC) is refused with EINVAL. */
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	return fd_result(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
}

static int probe_perf_event_open(void)
{
	/* A software clock counting this process in user mode only, opened disabled. */
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	return fd_result(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

static int probe_userfaultfd(void)
{
	return fd_result(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
}

static int probe_io_uring_setup(void)
{
	/* A ring of zero entries is refused with EINVAL. */
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	return fd_result(syscall(SYS_io_uring_setup, 0U, &p));
}

static int probe_reboot(void)
{
	/*
	 * Raw syscall on purpose: glibc's reboot() fills in the valid magic numbers. With
	 * magic1 = magic2 = 0 the kernel answers EINVAL right after the CAP_SYS_BOOT check,
	 * and the command (CAD_OFF) would only be a setting change anyway.
	 */
	return rc_result(syscall(SYS_reboot, 0UL, 0UL, LINUX_REBOOT_CMD_CAD_OFF, NULL));
}

static int probe_swapon(void)
{
	return rc_result(syscall(SYS_swapon, "/nonexistent/cell-sysprobe", 0));
}

static int probe_swapoff(void)
{
	return rc_result(syscall(SYS_swapoff, "/nonexistent/cell-sysprobe"));
}

static int probe_settimeofday(void)
{
	/* Neither a time nor a timezone: only the CAP_SYS_TIME check runs, nothing is set. */
	return rc_result(syscall(SYS_settimeofday, NULL, NULL));
}

static int probe_clock_settime(void)
{
	/* Clock ids stop at 15 (MAX_CLOCKS); 0x7fff names no clock, so EINVAL. */
	struct timespec ts = { 0, 0 };

	return rc_result(syscall(SYS_clock_settime, 0x7fff, &ts));
}

static int probe_syslog(void)
{
	/* SYSLOG_ACTION_SIZE_BUFFER (10): only asks for the size of the kernel log. */
	return rc_result(syscall(SYS_syslog, 10, NULL, 0));
}

static int probe_acct(void)
{
	/*
	 * acct(NULL) would switch off process accounting if someone had switched it on, so
	 * name a file that does not exist: ENOENT, and the current setting is untouched.
	 */
	return rc_result(syscall(SYS_acct, "/nonexistent/cell-sysprobe"));
}

static int probe_quotactl(void)
{
	/* Quota type 0x7f does not exist (there are 3): EINVAL before any device lookup. */
	return rc_result(syscall(SYS_quotactl, QCMD(Q_GETFMT, 0x7f), NULL, 0, NULL));
}

#ifdef SYS_lookup_dcookie
static int probe_lookup_dcookie(void)
{
	/* Removed in Linux 6.8 (ENOSYS there); older kernels check CAP_SYS_ADMIN first. */
	return rc_result(syscall(SYS_lookup_dcookie, 0ULL, NULL, 0UL));
}
#endif

static int probe_unshare(void)
{
	/*
	 * Fine to succeed: only this child process enters the new user namespace. Note that
	 * a chroot()ed process always gets EPERM here (a kernel rule since Linux 3.9, see
	 * user_namespaces(7)), even with no seccomp filter at all.
	 */
	return rc_result(syscall(SYS_unshare, CLONE_NEWUSER));
}

static int probe_clone(void)
{
	/* A fork-like clone into a new user namespace; the new process exits at once. */
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0UL);

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(0);
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static int probe_setns(void)
{
	return rc_result(syscall(SYS_setns, -1, 0));
}

static int probe_mount(void)
{
	/* A 4 KiB tmpfs on our own scratch directory, unmounted straight away. */
	if (syscall(SYS_mount, "cell-sysprobe", scratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    "size=4k,mode=0700") < 0)
		return -1;
	if (syscall(SYS_umount2, scratch, 0) < 0)
		warn("umount2 %s (left mounted)", scratch);
	return 0;
}

static int probe_umount2(void)
{
	/* The scratch directory is not a mount point: EINVAL after the CAP_SYS_ADMIN check. */
	return rc_result(syscall(SYS_umount2, scratch, UMOUNT_NOFOLLOW));
}

static int probe_fsopen(void)
{
	/* The newer mount API (Linux 5.2): a filesystem context that is never used. */
	return fd_result(syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */));
}

static int probe_pivot_root(void)
{
	return rc_result(syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"));
}

static int probe_chroot(void)
{
	/* Changing the root to the root we already have: allowed means "ok", no effect. */
	return rc_result(syscall(SYS_chroot, "/"));
}

static int probe_mknod(void)
{
	/* The character device 1:3 is /dev/null; created in scratch and removed again. */
	if (syscall(SYS_mknodat, AT_FDCWD, scratch_node, S_IFCHR | 0600, makedev(1, 3)) < 0)
		return -1;
	if (unlink(scratch_node) < 0)
		warn("unlink %s", scratch_node);
	return 0;
}

static int probe_sethostname(void)
{
	/* Set the hostname to the one it already has. */
	char name[HOST_NAME_MAX + 1];

	if (gethostname(name, sizeof(name)) < 0)
		return -1;
	name[sizeof(name) - 1] = '\0';
	return rc_result(syscall(SYS_sethostname, name, strlen(name)));
}

static int probe_ioctl_tiocsti(void)
{
	/*
	 * TIOCSTI pushes a byte into a terminal's input as if typed: a process given the
	 * host's terminal could type commands into the host's shell. If fd 0 is not a
	 * terminal the kernel says ENOTTY. If it is, the pushed newline (and whatever was
	 * typed ahead) is thrown away again with tcflush(); the terminal may still echo it
	 * as an empty line.
	 */
	char c = '\n';

	if (syscall(SYS_ioctl, 0, TIOCSTI, &c) < 0)
		return -1;
	tcflush(0, TCIFLUSH);
	return 0;
}

static int probe_clone3(void)
{
	/*
	 * A structure of size 0 is refused (EINVAL) before anything is read. A filter
	 * cannot see clone3's flags, which are in memory, so stage 08 makes it fail with
	 * ENOSYS: libc then falls back to clone(), whose flags a filter can check.
	 */
	return rc_result(syscall(SYS_clone3, NULL, 0UL));
}

static int probe_clock_adjtime(void)
{
	/* A missing clock (as for clock_settime) and modes 0, a read: EINVAL. */
	struct timex tx;

	memset(&tx, 0, sizeof(tx));
	return rc_result(syscall(SYS_clock_adjtime, 0x7fff, &tx));
}

static int probe_name_to_handle_at(void)
{
	/* A zero-byte buffer for the handle of "/": EOVERFLOW, saying the size needed. */
	struct file_handle fh = { .handle_bytes = 0 };
	int mount_id;

	return rc_result(syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &fh, &mount_id, 0));
}

static int probe_process_vm_readv(void)
{
	/* Zero bytes from our own memory. */
	return rc_result(syscall(SYS_process_vm_readv, getpid(), NULL, 0UL, NULL, 0UL, 0UL));
}

static int probe_process_vm_writev(void)
{
	return rc_result(syscall(SYS_process_vm_writev, getpid(), NULL, 0UL, NULL, 0UL, 0UL));
}

static int probe_kcmp(void)
{
	/* Comparison type 0x7f does not exist: EINVAL (ENOSYS without CONFIG_KCMP). */
	return rc_result(syscall(SYS_kcmp, getpid(), getpid(), 0x7f, 0UL, 0UL));
}

static int probe_get_mempolicy(void)
{
	/* A query whose answer goes nowhere. */
	return rc_result(syscall(SYS_get_mempolicy, NULL, NULL, 0UL, NULL, 0UL));
}

static int probe_set_mempolicy(void)
{
	/* Mode 0x7fff does not exist: EINVAL, nothing changed. */
	return rc_result(syscall(SYS_set_mempolicy, 0x7fff, NULL, 0UL));
}

static int probe_mbind(void)
{
	return rc_result(syscall(SYS_mbind, NULL, 0UL, 0x7fff, NULL, 0UL, 0U));
}

static int probe_move_pages(void)
{
	/* Zero pages of our own (pid 0): nothing moves. */
	return rc_result(syscall(SYS_move_pages, 0, 0UL, NULL, NULL, NULL, 0));
}

#ifdef SYS_iopl
static int probe_iopl(void)
{
	/* I/O privilege levels stop at 3: EINVAL before the CAP_SYS_RAWIO check. */
	return rc_result(syscall(SYS_iopl, 4));
}

static int probe_ioperm(void)
{
	/* Port 65536 is past the last one: EINVAL; and 0 asks to switch access off. */
	return rc_result(syscall(SYS_ioperm, 65536UL, 1UL, 0));
}
#endif

static int probe_open_tree(void)
{
	/* Without OPEN_TREE_CLONE no copy is made; the path does not exist anyway. */
	return fd_result(syscall(SYS_open_tree, AT_FDCWD, "/nonexistent/cell-sysprobe", 0U));
}

static int probe_move_mount(void)
{
	/* Bad file descriptors and a flag bit that does not exist. */
	return rc_result(syscall(SYS_move_mount, -1, "", -1, "", 0x80000000U));
}

static int probe_fsconfig(void)
{
	return rc_result(syscall(SYS_fsconfig, -1, 0x7f, NULL, NULL, 0));
}

static int probe_fsmount(void)
{
	return fd_result(syscall(SYS_fsmount, -1, 0x8000U, 0U));
}

static int probe_fspick(void)
{
	return fd_result(syscall(SYS_fspick, AT_FDCWD, "/nonexistent/cell-sysprobe", 0x8000U));
}

static int probe_mount_setattr(void)
{
	return rc_result(syscall(SYS_mount_setattr, -1, "", 0x80000000U, NULL, 0UL));
}

#ifdef SYS_sysfs
static int probe_sysfs(void)
{
	/* Option 3: how many file system types the kernel knows. A query. */
	return rc_result(syscall(SYS_sysfs, 3));
}
#endif

#ifdef SYS_ustat
static int probe_ustat(void)
{
	/* Device 0:0 holds no file system: EINVAL. */
	char buf[64];

	return rc_result(syscall(SYS_ustat, 0U, buf));
}
#endif

static int probe_io_uring_enter(void)
{
	return rc_result(syscall(SYS_io_uring_enter, -1, 0U, 0U, 0U, NULL, 0UL));
}

static int probe_io_uring_register(void)
{
	return rc_result(syscall(SYS_io_uring_register, -1, 0U, NULL, 0U));
}

static int probe_pidfd_getfd(void)
{
	return fd_result(syscall(SYS_pidfd_getfd, -1, 0, 0U));
}

static int probe_ptrace(void)
{
	/* Attach to a pid above the kernel's maximum (4194304): ESRCH. */
	return rc_result(syscall(SYS_ptrace, PTRACE_ATTACH, INT_MAX, NULL, NULL));
}

static const struct probe probes[] = {
	{ "getpid", probe_getpid, false, "getpid()" },
	{ "open", probe_open, false, "openat(AT_FDCWD, \"/\")" },
	{ "socket", probe_socket, false, "socket(AF_INET, SOCK_STREAM)" },
	{ "personality", probe_personality, false, "personality(0xffffffff): a query" },
	{ "keyctl", probe_keyctl, false, "keyctl(KEYCTL_GET_KEYRING_ID, session, create=0)" },
#ifdef __x86_64__
	{ "keyctl_i386", probe_keyctl_i386, false, "the same keyctl() through int $0x80 (i386)" },
	{ "keyctl_x32", probe_keyctl_x32, false, "the same keyctl() with the x32 bit" },
#endif
	{ "add_key", probe_add_key, false, "add_key(\"user\") with an empty description" },
	{ "request_key", probe_request_key, false, "request_key() of a missing key" },
	{ "init_module", probe_init_module, false, "init_module() of an empty image" },
	{ "finit_module", probe_finit_module, false, "finit_module(-1)" },
	{ "delete_module", probe_delete_module, false, "delete_module() of a missing module" },
	{ "kexec_load", probe_kexec_load, false, "kexec_load() with impossible arguments" },
	{ "kexec_file_load", probe_kexec_file_load, false, "kexec_file_load(-1, -1) bad flags" },
	{ "open_by_handle_at", probe_open_by_handle_at, false, "open_by_handle_at() empty handle" },
	{ "bpf", probe_bpf, false, "bpf(BPF_MAP_CREATE) of map type 0" },
	{ "perf_event_open", probe_perf_event_open, false, "perf_event_open() task clock, self" },
	{ "userfaultfd", probe_userfaultfd, false, "userfaultfd()" },
	{ "io_uring_setup", probe_io_uring_setup, false, "io_uring_setup() with 0 entries" },
	{ "reboot", probe_reboot, false, "reboot() with invalid magic numbers" },
	{ "swapon", probe_swapon, false, "swapon() of a missing file" },
	{ "swapoff", probe_swapoff, false, "swapoff() of a missing file" },
	{ "settimeofday", probe_settimeofday, false, "settimeofday(NULL, NULL)" },
	{ "clock_settime", probe_clock_settime, false, "clock_settime() of a missing clock" },
	{ "syslog", probe_syslog, false, "syslog(SIZE_BUFFER): a query" },
	{ "acct", probe_acct, false, "acct() of a missing file" },
	{ "quotactl", probe_quotactl, false, "quotactl() with an invalid quota type" },
#ifdef SYS_lookup_dcookie
	{ "lookup_dcookie", probe_lookup_dcookie, false, "lookup_dcookie(0)" },
#endif
	{ "unshare", probe_unshare, false, "unshare(CLONE_NEWUSER)" },
	{ "clone", probe_clone, false, "clone(CLONE_NEWUSER), child exits" },
	{ "setns", probe_setns, false, "setns(-1)" },
	{ "mount", probe_mount, true, "mount a tmpfs in /tmp and unmount it" },
	{ "umount2", probe_umount2, true, "umount2() of a directory that is no mount point" },
	{ "fsopen", probe_fsopen, false, "fsopen(\"tmpfs\")" },
	{ "pivot_root", probe_pivot_root, false, "pivot_root() of missing paths" },
	{ "chroot", probe_chroot, false, "chroot(\"/\")" },
	{ "mknod", probe_mknod, true, "mknod() of char device 1:3 in /tmp, then unlink" },
	{ "sethostname", probe_sethostname, false, "sethostname() to the current name" },
	{ "ioctl_tiocsti", probe_ioctl_tiocsti, false, "ioctl(0, TIOCSTI) then flush input" },
	{ "ptrace", probe_ptrace, false, "ptrace(PTRACE_ATTACH) of a missing pid" },
	{ "clone3", probe_clone3, false, "clone3() with a structure of size 0" },
	{ "clock_adjtime", probe_clock_adjtime, false, "clock_adjtime() of a missing clock" },
	{ "name_to_handle_at", probe_name_to_handle_at, false,
	  "name_to_handle_at(\"/\") too small" },
	{ "process_vm_readv", probe_process_vm_readv, false, "process_vm_readv() 0 bytes, self" },
	{ "process_vm_writev", probe_process_vm_writev, false,
	  "process_vm_writev() 0 bytes, self" },
	{ "kcmp", probe_kcmp, false, "kcmp() of an unknown type" },
	{ "get_mempolicy", probe_get_mempolicy, false, "get_mempolicy(): a query" },
	{ "set_mempolicy", probe_set_mempolicy, false, "set_mempolicy() of an unknown mode" },
	{ "mbind", probe_mbind, false, "mbind() of an unknown mode" },
	{ "move_pages", probe_move_pages, false, "move_pages() of 0 pages, self" },
#ifdef SYS_iopl
	{ "iopl", probe_iopl, false, "iopl(4): no such level" },
	{ "ioperm", probe_ioperm, false, "ioperm() past the last port, off" },
#endif
	{ "open_tree", probe_open_tree, false, "open_tree() of a missing path, no clone" },
	{ "move_mount", probe_move_mount, false, "move_mount(-1) bad flags" },
	{ "fsconfig", probe_fsconfig, false, "fsconfig(-1) bad command" },
	{ "fsmount", probe_fsmount, false, "fsmount(-1) bad flags" },
	{ "fspick", probe_fspick, false, "fspick() of a missing path, bad flags" },
	{ "mount_setattr", probe_mount_setattr, false, "mount_setattr(-1) bad flags" },
#ifdef SYS_sysfs
	{ "sysfs", probe_sysfs, false, "sysfs(3): a query" },
#endif
#ifdef SYS_ustat
	{ "ustat", probe_ustat, false, "ustat() of device 0:0" },
#endif
	{ "io_uring_enter", probe_io_uring_enter, false, "io_uring_enter(-1)" },
	{ "io_uring_register", probe_io_uring_register, false, "io_uring_register(-1)" },
	{ "pidfd_getfd", probe_pidfd_getfd, false, "pidfd_getfd(-1)" },
};

#define NPROBES (sizeof(probes) / sizeof(probes[0]))

/* clang-format off: keep the table compact, several names a line. */
#define E(x)          \
	{             \
		x, #x \
	}
static const struct {
	int num;
	const char *name;
} errnames[] = {
	E(EPERM),
	E(ENOENT),
	E(ESRCH),
	E(EINTR),
	E(EIO),
	E(ENXIO),
	E(E2BIG),
	E(ENOEXEC),
	E(EBADF),
	E(ECHILD),
	E(EAGAIN),
	E(ENOMEM),
	E(EACCES),
	E(EFAULT),
	E(EBUSY),
	E(EEXIST),
	E(ENODEV),
	E(ENOTDIR),
	E(EISDIR),
	E(EINVAL),
	E(EMFILE),
	E(ENOTTY),
	E(ENOSPC),
	E(EROFS),
	E(ENOSYS),
	E(ENODATA),
	E(ENOKEY),
	E(EKEYREVOKED),
	E(EOPNOTSUPP),
	E(EAFNOSUPPORT),
	E(EPROTONOSUPPORT),
	E(EOVERFLOW),
	E(ELOOP),
	E(ENAMETOOLONG),
	E(EDQUOT),
	E(EUSERS),
	/* Same value as EOPNOTSUPP on Linux; listed after it so that name wins. */
	E(ENOTSUP),
};
#undef E
/* clang-format on */

static const char *errname(int e, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
		if (errnames[i].num == e)
			return errnames[i].name;
	}
	snprintf(buf, len, "errno %d", e);
	return buf;
}

static const struct probe *find_probe(const char *name)
{
	for (size_t i = 0; i < NPROBES; i++) {
		if (strcmp(probes[i].name, name) == 0)
			return &probes[i];
	}
	return NULL;
}

/*
 * Run one probe in a child. The child passes the errno back as its exit status (errno
 * values are all below 256); a child killed by a signal is reported as such.
 * Returns true when the probe printed "ok".
 */
static bool run_probe(const struct probe *p)
{
	char buf[32];
	int status;
	pid_t pid;

	/* Anything still buffered would be printed twice if the child flushed it. */
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		err(1, "fork for probe %s", p->name);
	if (pid == 0) {
		errno = 0;
		if (p->run() == 0)
			_exit(0);
		_exit(errno > 0 && errno < 255 ? errno : 255);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			err(1, "waitpid");
	}

	if (WIFSIGNALED(status)) {
		const char *sig = sigabbrev_np(WTERMSIG(status));

		if (sig)
			printf("%s: killed by SIG%s\n", p->name, sig);
		else
			printf("%s: killed by signal %d\n", p->name, WTERMSIG(status));
		return false;
	}
	if (WEXITSTATUS(status) == 0) {
		printf("%s: ok\n", p->name);
		return true;
	}
	if (WEXITSTATUS(status) == 255)
		printf("%s: failed, errno unknown\n", p->name);
	else
		printf("%s: %s\n", p->name, errname(WEXITSTATUS(status), buf, sizeof(buf)));
	return false;
}

/*
 * --creds: who this process is and what it may do, as the kernel says: the real and
 * effective uid, and CapEff from /proc/self/status. A set-user-ID root copy of sysprobe
 * run by another user shows whether the exec made it root.
 */
static int print_creds(void)
{
	char line[256], capeff[64] = "?";
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		err(1, "open /proc/self/status");
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "CapEff: %63s", capeff) == 1)
			break;
	fclose(f);
	printf("uid %d euid %d CapEff %s\n", (int)getuid(), (int)geteuid(), capeff);
	return fflush(stdout) == EOF ? 1 : 0;
}

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: sysprobe [-a] NAME [NAME...]\n"
	       "       sysprobe --creds\n"
	       "\n"
	       "Try each named system call with harmless arguments and print \"NAME: ok\" or\n"
	       "the error, e.g. \"NAME: EPERM\". Exit 0 only if every call succeeded.\n"
	       "\n"
	       "  -a, --all   try every call below\n"
	       "  -c, --creds print the real and effective uid and CapEff, and exit\n"
	       "  -h, --help  show this help\n"
	       "\n"
	       "Names and what is attempted:\n");
	for (size_t i = 0; i < NPROBES; i++)
		printf("  %-18s %s\n", probes[i].name, probes[i].what);
	exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "creds", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct probe *todo[NPROBES * 4];
	size_t ntodo = 0;
	bool all = false, need_scratch = false, all_ok = true;
	int opt;

	while ((opt = getopt_long(argc, argv, "ach", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			no_operands(argc, argv);
			return print_creds();
		case 'a':
			all = true;
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	if (!all && optind == argc) {
		warnx("name at least one system call (or use --all)");
		try_help();
	}
	if (all && optind < argc) {
		warnx("--all takes no names");
		try_help();
	}
	if (argc - optind > (int)(sizeof(todo) / sizeof(todo[0]))) {
		warnx("too many names");
		try_help();
	}

	/* Check every name before running anything. */
	for (size_t i = 0; all && i < NPROBES; i++)
		todo[ntodo++] = &probes[i];
	for (int i = optind; i < argc; i++) {
		todo[ntodo] = find_probe(argv[i]);
		if (!todo[ntodo]) {
			warnx("unknown system call name \"%s\" (--help lists them)", argv[i]);
			try_help();
		}
		ntodo++;
	}
	for (size_t i = 0; i < ntodo; i++)
		need_scratch |= todo[i]->needs_scratch;

	if (need_scratch) {
		if (!mkdtemp(scratch))
			err(1, "mkdtemp %s", scratch);
		snprintf(scratch_node, sizeof(scratch_node), "%s/null", scratch);
	}

	for (size_t i = 0; i < ntodo; i++)
		all_ok &= run_probe(todo[i]);

	/* The children clean up after themselves; this catches one that was killed midway. */
	if (need_scratch) {
		if (unlink(scratch_node) < 0 && errno != ENOENT)
			warn("unlink %s", scratch_node);
		if (rmdir(scratch) < 0)
			warn("rmdir %s", scratch);
	}
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return all_ok ? 0 : 1;
}
