/*
 * security.c: capabilities (libcap), no_new_privs, seccomp (libseccomp).
 *
 * Stage 08 built these from its own flags; here they come from the
 * bundle's process.capabilities and linux.seccomp, whatever the client
 * chose. Why libraries: libcap hides the two kernel ABIs of capget/capset
 * (32 and 64 bits of sets) and knows every capability name; libseccomp
 * turns rules into a BPF program for each architecture, which by hand is
 * hundreds of instructions with jumps counted by hand.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <linux/seccomp.h>
#include <sys/capability.h>
#include <seccomp.h>

#include "security.h"

/*
 * step: caps-bounding
 * The bounding set limits what any later execve() can grant, even a
 * set-user-ID root program's (capabilities(7), "Capability bounding
 * set"). Dropping needs CAP_SETPCAP, which the process still has here.
 * Capabilities the running kernel does not know (CAP_LAST_CAP) are
 * skipped: they cannot be in any set.
 */
int sec_drop_bounding(const struct caps_spec *caps, struct error *err)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (caps->bounding & (1ULL << cap))
			continue;
		if (!CAP_IS_SUPPORTED(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return err_sys(err, "prctl PR_CAPBSET_DROP %s", spec_cap_name(cap));
	}
	return 0;
}

static int add_caps(cap_t set, cap_flag_t flag, uint64_t mask)
{
	cap_value_t list[64];
	int n = 0;

	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if ((mask & (1ULL << cap)) && CAP_IS_SUPPORTED(cap))
			list[n++] = cap;
	return n == 0 ? 0 : cap_set_flag(set, flag, n, list, CAP_SET);
}

/*
 * step: caps
 * The three sets of capset(2) in one call, then the ambient set, which
 * is what a program without file capabilities keeps across execve() when
 * the process is not root (capabilities(7), "Ambient capability set").
 * The kernel takes a capability into it only while it is both permitted
 * and inheritable; one that is not both is left out, as runc leaves it
 * (crun's own default spec asks for ambient capabilities with an empty
 * inheritable set): the process then has less than asked, never more.
 */
int sec_set_caps(const struct caps_spec *caps, struct error *err)
{
	cap_t set = cap_init();
	int ret = 0;

	if (set == NULL)
		return err_sys(err, "cap_init");
	if (add_caps(set, CAP_EFFECTIVE, caps->effective) < 0 ||
	    add_caps(set, CAP_PERMITTED, caps->permitted) < 0 ||
	    add_caps(set, CAP_INHERITABLE, caps->inheritable) < 0) {
		ret = err_sys(err, "cap_set_flag");
		goto out;
	}
	if (cap_set_proc(set) == -1) {
		ret = err_sys(err, "capset (process.capabilities)");
		goto out;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 && errno != EINVAL) {
		ret = err_sys(err, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
		goto out;
	}
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (!(caps->ambient & caps->permitted & caps->inheritable & (1ULL << cap)) ||
		    !CAP_IS_SUPPORTED(cap))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) == -1) {
			ret = err_sys(err, "prctl PR_CAP_AMBIENT_RAISE %s", spec_cap_name(cap));
			goto out;
		}
	}
out:
	cap_free(set);
	return ret;
}

/*
 * step: no-new-privs
 * After this, execve() never grants more than the process has: set-user-ID
 * bits and file capabilities are ignored (prctl(2), PR_SET_NO_NEW_PRIVS).
 * It also lets an unprivileged process load a seccomp filter.
 */
int sec_no_new_privs(struct error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return err_sys(err, "prctl PR_SET_NO_NEW_PRIVS");
	return 0;
}

/*
 * step: seccomp
 * Each rule becomes one libseccomp rule per system call name, with its
 * argument conditions (all must hold). A name libseccomp does not know
 * is skipped, as runc and crun do: such a call does not exist on this
 * system, so no rule about it can matter; a name that resolves but is
 * refused is an error. The filter is loaded last before execve() by the
 * caller, since from then on every call the runtime makes is filtered too.
 */
int sec_load_seccomp(const struct seccomp_spec *s, struct error *err)
{
	scmp_filter_ctx ctx;
	int rc, ret = -1;

	ctx = seccomp_init(s->default_action);
	if (ctx == NULL)
		return err_set(err, "seccomp_init: linux.seccomp.defaultAction refused");
	/* the caller sets no_new_privs itself when the spec asks for it */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0) {
		err_errno(err, -rc, "seccomp_attr_set SCMP_FLTATR_CTL_NNP");
		goto out;
	}
	if (s->flags & SECCOMP_FILTER_FLAG_LOG)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (s->flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	if (s->flags & SECCOMP_FILTER_FLAG_TSYNC)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; i < s->n_arches; i++) {
		rc = seccomp_arch_add(ctx, s->arches[i]);
		if (rc < 0 && rc != -EEXIST) {
			err_errno(err, -rc, "seccomp_arch_add linux.seccomp.architectures[%zu]", i);
			goto out;
		}
	}
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct seccomp_rule *r = &s->rules[i];
		struct scmp_arg_cmp cmp[6];

		for (size_t a = 0; a < r->n_args && a < 6; a++)
			cmp[a] = (struct scmp_arg_cmp){ .arg = r->args[a].index,
							.op = (enum scmp_compare)r->args[a].op,
							.datum_a = r->args[a].value,
							.datum_b = r->args[a].value_two };
		for (size_t n = 0; n < r->n_names; n++) {
			int nr = seccomp_syscall_resolve_name(r->names[n]);

			if (nr == __NR_SCMP_ERROR)
				continue;
			/* a rule whose action is the default one adds nothing,
			 * and libseccomp refuses it */
			if (r->action == s->default_action)
				continue;
			rc = seccomp_rule_add_array(ctx, r->action, nr, (unsigned int)r->n_args,
						    cmp);
			if (rc < 0) {
				err_errno(err, -rc,
					  "seccomp_rule_add linux.seccomp.syscalls[%zu] %s", i,
					  r->names[n]);
				goto out;
			}
		}
	}
	rc = seccomp_load(ctx);
	if (rc < 0) {
		err_errno(err, -rc, "seccomp_load");
		goto out;
	}
	ret = 0;
out:
	seccomp_release(ctx);
	return ret;
}
