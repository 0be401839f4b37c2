/*
 * nobpf - run a command as on a kernel built without bpf(2).
 *
 * Used by stage 09's tests: "nobpf ./container --trace LOG true" must fail with 125 and
 * say that the kernel has no bpf(), the way it would on a kernel built without
 * CONFIG_BPF_SYSCALL, where the call answers ENOSYS. This machine has bpf(), so the
 * program puts a seccomp filter in front of the command that gives that answer: a
 * classic BPF program of a few instructions, written out by hand here (stage 08 lets
 * libseccomp write them). A filter stays across execve(2) and is inherited by every
 * child, and nothing can remove it, so the command and all it starts see no bpf().
 *
 * Usage: nobpf COMMAND [ARG...]
 *
 * Further reading: seccomp(2) (the filter's input, struct seccomp_data, and its
 * answers), bpf(2), Documentation/userspace-api/seccomp_filter.rst in the kernel.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

#if defined(__x86_64__)
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#else
#error "nobpf: add this architecture's AUDIT_ARCH_* value"
#endif

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: nobpf COMMAND [ARG...]\n"
	       "\n"
	       "Run COMMAND with bpf(2) failing with ENOSYS, as on a kernel built without\n"
	       "CONFIG_BPF_SYSCALL (a seccomp filter, which its children inherit).\n"
	       "\n"
	       "  -h, --help  show this help\n");
	exit(0);
}

int main(int argc, char **argv)
{
	/* Read the architecture; a call of another one (i386 on x86-64, with
	 * other numbers) is refused. Then the number: bpf's answers ENOSYS,
	 * any other runs. */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bpf, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (argc < 2) {
		warnx("missing COMMAND");
		try_help();
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage();
	/* Without CAP_SYS_ADMIN, the kernel takes a filter only from a
	 * process that can gain no privileges (seccomp(2)). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
		err(1, "prctl: no_new_privs, then the filter");
	execvp(argv[1], argv + 1);
	err(errno == ENOENT ? 127 : 126, "exec %s", argv[1]);
}
