/*
 * security.h: what a container's process may do once it runs (stage 08):
 * its capabilities, no_new_privs, and its seccomp filter.
 */
#ifndef CELL_SECURITY_H
#define CELL_SECURITY_H

#include "error.h"
#include "spec.h"

/* Drops from the bounding set every capability CAPS does not keep. */
int sec_drop_bounding(const struct caps_spec *caps, struct error *err);
/* Sets the effective, permitted, inheritable and ambient sets (after the
 * change of user: see container.c). */
int sec_set_caps(const struct caps_spec *caps, struct error *err);
/* prctl(PR_SET_NO_NEW_PRIVS). */
int sec_no_new_privs(struct error *err);
/* Builds the filter with libseccomp and loads it. */
int sec_load_seccomp(const struct seccomp_spec *seccomp, struct error *err);

#endif
