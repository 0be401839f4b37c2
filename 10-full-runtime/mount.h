/*
 * mount.h: the container's file system tree (stages 03 and 04).
 */
#ifndef CELL_MOUNT_H
#define CELL_MOUNT_H

#include <stdbool.h>

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

#endif
