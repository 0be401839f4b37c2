/*
 * mount.h: the container's file system tree (stages 03 and 04).
 */
#ifndef CELL_MOUNT_H
#define CELL_MOUNT_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"

/* Makes every mount private, then binds the root file system onto itself
 * (pivot_root needs a mount point); returns an O_PATH descriptor of it. */
int mnt_prepare_root(const struct spec *spec, struct error *err);
/* The bundle's mounts, each destination resolved inside ROOT_FD. */
int mnt_apply_mounts(const struct spec *spec, int root_fd, const struct cgroup *cg, bool cgroupns,
		     bool userns, struct error *err);
/* /dev's nodes and links: the default devices, linux.devices, /dev/fd... */
int mnt_make_devices(const struct spec *spec, int root_fd, bool userns, struct error *err);
/* pivot_root into ROOT_FD and detach the old root (or, with NO_PIVOT,
 * move the root over / and chroot, for a root on a ramdisk). */
int mnt_pivot(int root_fd, bool no_pivot, struct error *err);
/* After the pivot: sysctl, masked and read-only paths, the root's
 * propagation and read-only flag. */
int mnt_finish(const struct spec *spec, struct error *err);
/* Opens PATH inside ROOT_FD (O_PATH), never leaving it (openat2). */
int mnt_open_in_root(int root_fd, const char *path, int flags, struct error *err);

/* A container's root file system: an overlay of LOWER (its lowerdir=, top
 * first), UPPER and WORK on TARGET. For root, the kernel's overlayfs; in
 * a user namespace (USERNS), the kernel's with userxattr (5.11 and later)
 * or, where the kernel refuses it or $CELL_OVERLAY is "fuse-overlayfs",
 * fuse-overlayfs, which serves it from a process of its own. */
struct mnt_overlay {
	char target[PATH_MAX];
	pid_t fuse_pid; /* fuse-overlayfs while it serves TARGET, else 0 */
	int fuse_err;	/* its stderr's read end (an error before the mount), or -1 */
};
int mnt_overlay(const char *lower, const char *upper, const char *work, const char *target,
		bool userns, struct mnt_overlay *o, struct error *err);
/* Unmounts it (fuse-overlayfs then ends; it is killed if it does not). */
void mnt_overlay_release(struct mnt_overlay *o);

/* Whether PATH is a mount point in this namespace, and a shared one. */
void mnt_point_info(const char *path, bool *is, bool *shared);
/* Makes PATH a shared mount on the host: *MADE when cell bound it onto
 * itself for that (to unmount when no container shares it any more). */
int mnt_share_host(const char *path, bool *made, struct error *err);
/* A peer of the host's mount of SRC (open_tree in HOST_MNT, a descriptor
 * of the host's mount namespace) on DST in PID's mount namespace. */
int mnt_attach_shared(pid_t pid, int host_mnt, const char *src, const char *dst, bool ro,
		      struct error *err);

#endif
