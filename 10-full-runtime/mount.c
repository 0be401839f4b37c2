/*
 * mount.c: the container's file system tree (stages 03 and 04).
 *
 * Stage 04 mounted by path: mount("proc", "/rootfs/proc", ...). A runtime
 * given someone else's root file system cannot: a symbolic link in it,
 * /rootfs/proc -> /etc, would make the kernel mount on the host's /etc
 * (CVE-2021-30465 did this to runc). So every destination is resolved
 * with openat2(2) and RESOLVE_IN_ROOT, which treats the root file system
 * as "/" for every step, symbolic links and ".." included, and the mount
 * goes onto the descriptor it returns, with the new mount API
 * (fsopen/fsmount/open_tree/move_mount, Linux 5.2; see mount_setattr(2)
 * and the kernel's Documentation/filesystems/mount_api.rst): no path is
 * looked up twice, so nothing can be swapped between the two looks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/openat2.h>

#include "mount.h"

int mnt_open_in_root(int root_fd, const char *path, int flags, struct error *err)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd;

	while (*path == '/')
		path++;
	fd = (int)syscall(SYS_openat2, root_fd, *path != '\0' ? path : ".", &how, sizeof(how));
	if (fd < 0)
		return err_sys(err, "open %s in the container's root", path);
	return fd;
}

/*
 * Makes PATH exist inside ROOT_FD: its missing directories, and the last
 * component as a directory, or as an empty file when FILE (a bind mount of
 * a file needs a file to cover). Each component is made in its parent as
 * resolved in the root; mkdirat() and O_CREAT|O_EXCL never follow a link.
 * A component that is a symbolic link to something missing has its target
 * made instead, read as a path inside the root, as the kernel's
 * RESOLVE_IN_ROOT will read it: a link to /etc leads to the root's /etc,
 * never the host's.
 */
static int make_in_root_at(int root_fd, const char *path, bool file, int depth, struct error *err)
{
	char prefix[PATH_MAX], target[PATH_MAX], next[2 * PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(prefix))
		return err_errno(err, ENAMETOOLONG, "%s", path);
	if (depth > 40)
		return err_errno(err, ELOOP, "%s", path);
	for (size_t i = 1; i <= len; i++) {
		int parent, fd;
		bool last = i == len;
		ssize_t n;
		char *name;

		if (!last && path[i] != '/')
			continue;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		fd = mnt_open_in_root(root_fd, prefix, O_PATH, err);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (err->errnum != ENOENT)
			return -1;
		name = strrchr(prefix, '/');
		*name++ = '\0';
		parent = mnt_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, err);
		if (parent < 0)
			return -1;
		if (last && file)
			fd = openat(parent, name,
				    O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
		else
			fd = mkdirat(parent, name, 0755);
		if (fd < 0 && errno == EEXIST &&
		    (n = readlinkat(parent, name, target, sizeof(target) - 1)) > 0) {
			/* a dangling link: make what it names, inside the root */
			target[n] = '\0';
			close(parent);
			if (target[0] != '/' && snprintf(next, sizeof(next), "%s/%s", prefix,
							 target) >= (int)sizeof(next))
				return err_errno(err, ENAMETOOLONG, "%s", path);
			if (target[0] == '/')
				memcpy(next, target, (size_t)n + 1);
			if (make_in_root_at(root_fd, next, last && file, depth + 1, err) < 0)
				return -1;
			continue;
		}
		if (fd < 0 && errno != EEXIST) {
			err_sys(err, "make %s/%s in the container's root", prefix, name);
			close(parent);
			return -1;
		}
		if (last && file && fd >= 0)
			close(fd);
		close(parent);
	}
	return 0;
}

static int make_in_root(int root_fd, const char *path, bool file, struct error *err)
{
	return make_in_root_at(root_fd, path, file, 0, err);
}

/* The MOUNT_ATTR_* that a mount's MS_* flags ask for. */
static unsigned int mount_attr(unsigned long flags)
{
	unsigned int attr = 0;

	if (flags & MS_RDONLY)
		attr |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		attr |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		attr |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		attr |= MOUNT_ATTR_NOEXEC;
	if (flags & MS_NODIRATIME)
		attr |= MOUNT_ATTR_NODIRATIME;
	if (flags & MS_NOATIME)
		attr |= MOUNT_ATTR_NOATIME;
	else if (flags & MS_STRICTATIME)
		attr |= MOUNT_ATTR_STRICTATIME;
	return attr;
}

/* The kernel explains a refused option in the file system context's log. */
static int fs_error(int fsfd, struct error *err, const char *call, const char *what)
{
	char log[256];
	ssize_t n;

	err_sys(err, "%s %s", call, what);
	n = read(fsfd, log, sizeof(log) - 1);
	if (n > 2) {
		log[n] = '\0';
		log[strcspn(log, "\n")] = '\0';
		err_prefix(err, "%s", log + 2);
	}
	return -1;
}

/*
 * A new file system instance (proc, tmpfs, devpts...) as a detached
 * mount: fsopen, one fsconfig per option ("size=64k" a string, "newinstance"
 * a flag), then fsmount with the mount's attributes.
 */
static int new_fs_without(const char *type, const char *source, const char *data,
			  unsigned long flags, const char *skip, struct error *err)
{
	char *opts = data != NULL ? strdup(data) : NULL, *opt, *save = NULL;
	int fsfd, mfd = -1;

	fsfd = fsopen(type, FSOPEN_CLOEXEC);
	if (fsfd < 0) {
		free(opts);
		return err_sys(err, "fsopen %s%s", type,
			       errno == ENODEV ? " (the kernel has no such file system)" : "");
	}
	if (source != NULL && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0) {
		fs_error(fsfd, err, "fsconfig source", source);
		goto out;
	}
	for (opt = opts != NULL ? strtok_r(opts, ",", &save) : NULL; opt != NULL;
	     opt = strtok_r(NULL, ",", &save)) {
		char *value = strchr(opt, '=');
		int rc;

		if (value != NULL && skip != NULL && strncmp(opt, skip, strlen(skip)) == 0 &&
		    opt + strlen(skip) == value)
			continue;
		if (value != NULL) {
			*value++ = '\0';
			rc = fsconfig(fsfd, FSCONFIG_SET_STRING, opt, value, 0);
		} else {
			rc = fsconfig(fsfd, FSCONFIG_SET_FLAG, opt, NULL, 0);
		}
		if (rc < 0) {
			fs_error(fsfd, err, "fsconfig", opt);
			goto out;
		}
	}
	if (flags & MS_SYNCHRONOUS)
		fsconfig(fsfd, FSCONFIG_SET_FLAG, "sync", NULL, 0);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		fs_error(fsfd, err, "fsconfig create", type);
		goto out;
	}
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, mount_attr(flags));
	if (mfd < 0)
		err_sys(err, "fsmount %s", type);
out:
	free(opts);
	close(fsfd);
	return mfd;
}

/* new_fs_without() with every option. devpts's gid=5 (tty) is refused,
 * at fsconfig or at create depending on the kernel, where the user
 * namespace maps no such group (a rootless one of a single id): the ptys
 * are then the creator's group, as with runc and crun. */
static int new_fs(const char *type, const char *source, const char *data, unsigned long flags,
		  struct error *err)
{
	int mfd = new_fs_without(type, source, data, flags, NULL, err);

	if (mfd < 0 && err->errnum == EINVAL && strcmp(type, "devpts") == 0 && data != NULL &&
	    strstr(data, "gid=") != NULL) {
		*err = (struct error){ 0 };
		mfd = new_fs_without(type, source, data, flags, "gid", err);
	}
	return mfd;
}

/* A copy of SOURCE's mount (and those below it when RECURSIVE), detached. */
static int bind_tree(const char *source, bool recursive, unsigned long flags, struct error *err)
{
	struct mount_attr attr = { .attr_set = mount_attr(flags) };
	int mfd;

	mfd = open_tree(AT_FDCWD, source,
			OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (mfd < 0)
		return err_sys(err, "open_tree %s", source);
	if (attr.attr_set != 0 &&
	    mount_setattr(mfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0) {
		close(mfd);
		return err_sys(err, "mount_setattr %s", source);
	}
	return mfd;
}

/* Puts the detached mount MFD on DEST inside the root, and sets its
 * propagation once it is attached (a detached mount has no peers yet). */
static int attach(int mfd, int root_fd, const char *dest, unsigned long propagation,
		  struct error *err)
{
	struct mount_attr attr = { .propagation = propagation & ~MS_REC };
	int target, ret = -1;

	target = mnt_open_in_root(root_fd, dest, O_PATH, err);
	if (target < 0)
		return -1;
	if (move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
	    0) {
		err_sys(err, "move_mount onto %s", dest);
		goto out;
	}
	ret = 0;
	if (propagation == 0)
		goto out;
	close(target);
	/* the path now leads to the new mount's root */
	target = mnt_open_in_root(root_fd, dest, O_PATH, err);
	if (target < 0)
		return -1;
	if (mount_setattr(target, "", AT_EMPTY_PATH | (propagation & MS_REC ? AT_RECURSIVE : 0),
			  &attr, sizeof(attr)) < 0)
		ret = err_sys(err, "mount_setattr %s (propagation)", dest);
out:
	close(target);
	return ret;
}

/*
 * step: rootfs
 * First, as in stage 02, every mount of the new namespace becomes private:
 * nothing mounted from here on propagates back to the host. Then the root
 * file system is bound onto itself, which makes it a mount point of its
 * own: pivot_root(2) requires one.
 */
int mnt_prepare_root(const struct spec *spec, struct error *err)
{
	int fd;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_sys(err, "make / private");
	if (mount(spec->root_path, spec->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind %s onto itself", spec->root_path);
	fd = open(spec->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", spec->root_path);
	return fd;
}

/*
 * step: mounts
 * The bundle's mounts in their order. In a user namespace the kernel
 * refuses a new sysfs without a network namespace of the container's own,
 * and mqueue without an IPC one: the host's are bound instead, as runc
 * does, read-only as asked.
 */
int mnt_apply_mounts(const struct spec *spec, int root_fd, const struct cgroup *cg, bool cgroupns,
		     bool userns, struct error *err)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct mount_spec *m = &spec->mounts[i];
		struct stat st;
		bool file = false;
		int mfd, target;

		if (m->bind) {
			if (stat(m->source, &st) < 0)
				return err_sys(err, "mounts[%zu]: source %s", i, m->source);
			file = !S_ISDIR(st.st_mode);
		}
		if (make_in_root(root_fd, m->destination, file, err) < 0)
			return err_prefix(err, "mounts[%zu]", i);
		if (!m->bind && strcmp(m->type, "cgroup") == 0) {
			target = mnt_open_in_root(root_fd, m->destination, O_PATH, err);
			if (target < 0)
				return err_prefix(err, "mounts[%zu]", i);
			mfd = cg_mount(cg, target, cgroupns, mount_attr(m->flags), err);
			close(target);
			if (mfd < 0)
				return err_prefix(err, "mounts[%zu] (cgroup on %s)", i,
						  m->destination);
			continue;
		}
		if (m->bind)
			mfd = bind_tree(m->source, m->recursive, m->flags, err);
		else
			mfd = new_fs(m->type, m->source, m->data, m->flags, err);
		if (mfd < 0 && !m->bind && userns && err->errnum == EPERM &&
		    (strcmp(m->type, "sysfs") == 0 || strcmp(m->type, "mqueue") == 0))
			mfd = bind_tree(strcmp(m->type, "sysfs") == 0 ? "/sys" : "/dev/mqueue",
					true, m->flags, err);
		if (mfd < 0)
			return err_prefix(err, "mounts[%zu] (%s on %s)", i,
					  m->bind ? "bind" : m->type, m->destination);
		if (attach(mfd, root_fd, m->destination, m->propagation, err) < 0) {
			close(mfd);
			return err_prefix(err, "mounts[%zu]", i);
		}
		close(mfd);
	}
	return 0;
}

/*
 * step: devices
 * The devices every container has (runc's list: null, zero, full, random,
 * urandom, tty), then linux.devices, made with mknod(2) in the
 * container's /dev. The host's nodes are not bound: their owners and
 * modes are the host's (on some hosts /dev/null is not even root's). In a
 * user namespace mknod is refused whatever the capabilities
 * (user_namespaces(7)), so there the host's node is bound onto an empty
 * file instead. Then the links a program expects: /dev/fd, the three
 * standard streams, and /dev/ptmx into the devpts instance.
 */
static int make_node(int root_fd, const char *path, char type, unsigned int major,
		     unsigned int minor, mode_t mode, uid_t uid, gid_t gid, bool userns,
		     struct error *err)
{
	char parent_path[PATH_MAX], *name;
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	int parent, ret = -1;

	snprintf(parent_path, sizeof(parent_path), "%s", path);
	name = strrchr(parent_path, '/');
	*name++ = '\0';
	if (make_in_root(root_fd, parent_path, false, err) < 0)
		return -1;
	parent = mnt_open_in_root(root_fd, parent_path, O_PATH | O_DIRECTORY, err);
	if (parent < 0)
		return -1;
	if (userns && kind != S_IFIFO) {
		int mfd;

		if (make_in_root(root_fd, path, true, err) < 0)
			goto out;
		mfd = bind_tree(path, false, 0, err);
		if (mfd < 0)
			goto out;
		ret = attach(mfd, root_fd, path, 0, err);
		close(mfd);
		goto out;
	}
	/* a node left by an image or an earlier mount is replaced */
	unlinkat(parent, name, 0);
	if (mknodat(parent, name, kind | (mode & 07777), makedev(major, minor)) < 0) {
		err_sys(err, "mknod %s", path);
		goto out;
	}
	/* mknod applies the umask; the mode asked for is the mode given */
	if (fchmodat(parent, name, mode & 07777, 0) < 0) {
		err_sys(err, "chmod %s", path);
		goto out;
	}
	if (fchownat(parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
		err_sys(err, "chown %s", path);
		goto out;
	}
	ret = 0;
out:
	close(parent);
	return ret;
}

int mnt_make_devices(const struct spec *spec, int root_fd, bool userns, struct error *err)
{
	static const struct {
		const char *path;
		unsigned int major, minor;
	} defaults[] = {
		{ "/dev/null", 1, 3 },	 { "/dev/zero", 1, 5 },	   { "/dev/full", 1, 7 },
		{ "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
	};
	static const struct {
		const char *target, *path;
	} links[] = {
		{ "/proc/self/fd", "/dev/fd" },	      { "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
		{ "pts/ptmx", "/dev/ptmx" },
	};
	int dev;

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		bool listed = false;

		/* linux.devices may give one of these its own owner or mode */
		for (size_t d = 0; d < spec->n_devices; d++)
			listed = listed || strcmp(spec->devices[d].path, defaults[i].path) == 0;
		if (!listed && make_node(root_fd, defaults[i].path, 'c', defaults[i].major,
					 defaults[i].minor, 0666, 0, 0, userns, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < spec->n_devices; i++) {
		const struct device_spec *d = &spec->devices[i];

		if (make_node(root_fd, d->path, d->type, (unsigned int)d->major,
			      (unsigned int)d->minor, d->has_mode ? d->file_mode : 0666,
			      d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, userns, err) < 0)
			return err_prefix(err, "linux.devices[%zu]", i);
	}
	dev = mnt_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, err);
	if (dev < 0)
		return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		const char *name = links[i].path + strlen("/dev/");

		/* the image may have its own /dev/ptmx node, which the
		 * devpts instance's ptmx replaces */
		if (strcmp(name, "ptmx") == 0)
			unlinkat(dev, name, 0);
		if (symlinkat(links[i].target, dev, name) < 0 && errno != EEXIST) {
			err_sys(err, "symlink %s", links[i].path);
			close(dev);
			return -1;
		}
	}
	close(dev);
	return 0;
}

/*
 * step: pivot-root
 * As stage 04 taught, with the trick runc uses to need no directory for the
 * old root: from inside the new root, pivot_root(".", ".") stacks the old
 * root on top of the new one, and a lazy unmount of "." then takes the old
 * root away (pivot_root(2), NOTES). Nothing of the host is reachable
 * afterwards, unlike chroot(2), which a process with CAP_SYS_CHROOT leaves
 * (stage 03's escape).
 */
int mnt_pivot(int root_fd, bool no_pivot, struct error *err)
{
	if (fchdir(root_fd) < 0)
		return err_sys(err, "chdir into the root file system");
	if (no_pivot) {
		/* a root on the initial ramdisk cannot be pivoted away from */
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
			return err_sys(err, "move the root file system onto /");
		if (chroot(".") < 0)
			return err_sys(err, "chroot");
	} else {
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return err_sys(err, "pivot_root");
		if (umount2(".", MNT_DETACH) < 0)
			return err_sys(err, "unmount the old root");
	}
	if (chdir("/") < 0)
		return err_sys(err, "chdir /");
	return 0;
}

/* Covers PATH: a directory with an empty read-only tmpfs, anything else
 * with the container's /dev/null. A path that does not exist is fine. */
static int mask_path(int root_fd, const char *path, struct error *err)
{
	struct stat st;
	int mfd;

	if (fstatat(root_fd, path + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "linux.maskedPaths: %s", path);
	if (S_ISDIR(st.st_mode))
		mfd = new_fs("tmpfs", "tmpfs", "size=0", MS_RDONLY, err);
	else
		mfd = bind_tree("/dev/null", false, 0, err);
	if (mfd < 0)
		return err_prefix(err, "linux.maskedPaths: %s", path);
	if (attach(mfd, root_fd, path, 0, err) < 0) {
		close(mfd);
		return err_prefix(err, "linux.maskedPaths");
	}
	close(mfd);
	return 0;
}

/* Binds PATH onto itself and makes that read-only (with what is below). */
static int readonly_path(int root_fd, const char *path, struct error *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	int mfd;

	if (faccessat(root_fd, path + 1, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_sys(err, "linux.readonlyPaths: %s", path);
	mfd = bind_tree(path, true, 0, err);
	if (mfd < 0)
		return err_prefix(err, "linux.readonlyPaths");
	if (mount_setattr(mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		close(mfd);
		return err_sys(err, "linux.readonlyPaths: mount_setattr %s", path);
	}
	if (attach(mfd, root_fd, path, 0, err) < 0) {
		close(mfd);
		return err_prefix(err, "linux.readonlyPaths");
	}
	close(mfd);
	return 0;
}

/*
 * step: sysctl
 * Only the namespaced knobs make sense here (net.*, the IPC ones, the UTS
 * names); the kernel refuses the rest in a container, and the write says
 * which. Written before /proc/sys becomes read-only below.
 */
static int write_sysctls(const struct spec *spec, struct error *err)
{
	for (size_t i = 0; i < spec->n_sysctl; i++) {
		char path[PATH_MAX];
		size_t len;
		int fd;

		snprintf(path, sizeof(path), "/proc/sys/%s", spec->sysctl[i].key);
		for (char *c = path + strlen("/proc/sys/"); *c != '\0'; c++)
			if (*c == '.')
				*c = '/';
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return err_sys(err, "linux.sysctl %s: open %s", spec->sysctl[i].key, path);
		len = strlen(spec->sysctl[i].value);
		if (write(fd, spec->sysctl[i].value, len) != (ssize_t)len) {
			err_sys(err, "linux.sysctl %s: write %s", spec->sysctl[i].key, path);
			close(fd);
			return -1;
		}
		if (close(fd) < 0)
			return err_sys(err, "linux.sysctl %s: write %s", spec->sysctl[i].key, path);
	}
	return 0;
}

/*
 * step: masked-paths
 * What the kernel shows in /proc and /sys is partly the host's (the
 * keyring list, kcore, the timers, the firmware): masked, as docker does,
 * and the knobs that would change the host made read-only. Then the
 * root's own propagation, and the root read-only when root.readonly asks.
 */
int mnt_finish(const struct spec *spec, struct error *err)
{
	int root_fd, ret = -1;

	if (write_sysctls(spec, err) < 0)
		return -1;
	root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return err_sys(err, "open /");
	for (size_t i = 0; i < spec->n_masked_paths; i++)
		if (mask_path(root_fd, spec->masked_paths[i], err) < 0)
			goto out;
	for (size_t i = 0; i < spec->n_readonly_paths; i++)
		if (readonly_path(root_fd, spec->readonly_paths[i], err) < 0)
			goto out;
	if (spec->rootfs_propagation != 0 &&
	    mount(NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0) {
		err_sys(err, "linux.rootfsPropagation");
		goto out;
	}
	if (spec->root_readonly) {
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

		if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof(attr)) < 0) {
			err_sys(err, "root.readonly: make / read-only");
			goto out;
		}
	}
	ret = 0;
out:
	close(root_fd);
	return ret;
}

/* ---- shared volumes (cell run -v SRC:DST:rshared) ---- */

void mnt_point_info(const char *path, bool *is, bool *shared)
{
	char *line = NULL, mnt[PATH_MAX], opt[64];
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	*is = *shared = false;
	if (f == NULL)
		return;
	/* ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - ...
	 * (proc(5)); the last mount on PATH is the one seen there */
	while (getline(&line, &cap, f) > 0) {
		int at = 0;

		if (sscanf(line, "%*d %*d %*s %*s %4095s %*s %n", mnt, &at) != 1 || at == 0 ||
		    strcmp(mnt, path) != 0)
			continue;
		*is = true;
		*shared = false;
		for (char *o = line + at; sscanf(o, "%63s", opt) == 1 && strcmp(opt, "-") != 0;
		     o = strstr(o, opt) + strlen(opt))
			if (strncmp(opt, "shared:", 7) == 0)
				*shared = true;
	}
	free(line);
	fclose(f);
}

/*
 * step: share (10)
 * Propagation is a property of a mount, not of a directory
 * (mount_namespaces(7)): for the host's later mounts below PATH to reach
 * the containers, PATH must be a shared mount. A directory that is no
 * mount point is bound onto itself and made shared: that bind is a mount
 * on the host, cell's, removed when the last container sharing PATH goes.
 */
int mnt_share_host(const char *path, bool *made, struct error *err)
{
	bool is, shared;

	*made = false;
	mnt_point_info(path, &is, &shared);
	if (is && shared)
		return 0;
	if (is)
		return err_set(err,
			       "%s is a mount point whose propagation is private: "
			       "mount --make-shared %s first",
			       path, path);
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_sys(err, "bind %s onto itself", path);
	if (mount(NULL, path, NULL, MS_SHARED, NULL) < 0) {
		err_sys(err, "make %s shared", path);
		umount2(path, MNT_DETACH);
		return -1;
	}
	*made = true;
	return 0;
}

/* mkdir -p PATH, relative to this process's root (the container's). */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *c = buf + 1;; c++) {
		if (*c == '/' || *c == '\0') {
			char was = *c;

			*c = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -1;
			*c = was;
			if (was == '\0')
				return 0;
		}
	}
}

/*
 * step: shared-volumes
 * open_tree(2) in the host's mount namespace copies its mount of SRC:
 * the copy of a shared mount is a peer of it, and stays one when
 * move_mount(2) attaches it in the container's namespace (as cell mount
 * does). A child does it, so that the monitor never leaves its own
 * namespace: it joins the host's (HOST_MNT) for open_tree, then the
 * container's, whose root it then has, for the directory and move_mount.
 */
int mnt_attach_shared(pid_t pid, int host_mnt, const char *src, const char *dst, bool ro,
		      struct error *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	char path[64], msg[ERR_MSG_MAX];
	int report[2], status, tree, ns;
	ssize_t n;
	pid_t child;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	if (pipe2(report, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	child = fork();
	if (child < 0) {
		close(report[0]);
		close(report[1]);
		return err_sys(err, "fork");
	}
	if (child == 0) {
		const char *what = "join the host's mount namespace";

		close(report[0]);
		if (setns(host_mnt, CLONE_NEWNS) < 0)
			goto fail;
		what = "open_tree";
		tree = (int)syscall(SYS_open_tree, AT_FDCWD, src,
				    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (tree < 0)
			goto fail;
		/* ro: the copy's flag, and of the mounts below it now; the
		 * host's mount stays writable, and a mount that propagates
		 * later comes with the flags it was made with */
		what = "mount_setattr (ro)";
		if (ro &&
		    mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			goto fail;
		what = "join the container's mount namespace";
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0 || setns(ns, CLONE_NEWNS) < 0)
			goto fail;
		what = "mkdir";
		if (make_dirs(dst) < 0)
			goto fail;
		what = "move_mount";
		if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			goto fail;
		_exit(0);
	fail:
		n = snprintf(msg, sizeof(msg), "%s %s on %s: %s", what, src, dst, strerror(errno));
		if (write(report[1], msg, (size_t)n) < 0)
			_exit(2);
		_exit(1);
	}
	close(report[1]);
	n = read(report[0], msg, sizeof(msg) - 1);
	close(report[0]);
	if (waitpid(child, &status, 0) < 0)
		return err_sys(err, "wait for the child that binds %s", src);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	msg[n > 0 ? n : 0] = '\0';
	return err_set(err, "-v %s:%s:rshared%s: %s", src, dst, ro ? ",ro" : "",
		       n > 0 ? msg : "the child failed");
}

/* ---- the root file system's overlay (stage 04, and rootless's) ---- */

#define FUSE_READY_MS 10000 /* fuse-overlayfs's time to mount */
#define FUSE_END_MS   2000  /* and to end once unmounted */

/* Whether fuse-overlayfs's process is gone; it is reaped if so. */
static bool fuse_gone(struct mnt_overlay *o)
{
	if (o->fuse_pid <= 0 || waitpid(o->fuse_pid, NULL, WNOHANG) != 0) {
		o->fuse_pid = 0;
		return true;
	}
	return false;
}

void mnt_overlay_release(struct mnt_overlay *o)
{
	if (o->target[0] != '\0')
		umount2(o->target, MNT_DETACH);
	/* its connection ended with the mount: it ends by itself */
	for (int ms = 0; ms < FUSE_END_MS && !fuse_gone(o); ms += 10)
		usleep(10000);
	if (o->fuse_pid > 0) {
		kill(o->fuse_pid, SIGKILL);
		waitpid(o->fuse_pid, NULL, 0);
		o->fuse_pid = 0;
	}
	if (o->fuse_err >= 0)
		close(o->fuse_err);
	o->fuse_err = -1;
}

/* fuse-overlayfs -f: a child of the caller, which it outlives by no more
 * than a SIGTERM (PR_SET_PDEATHSIG), its stderr a pipe whose text is the
 * error if it ends first; ready once TARGET is a FUSE file system.
 * allow_other lets the container's processes in, not only its root (who
 * mounts it; fuse(4), "allow_other"). */
static int fuse_overlay(const char *opts, struct mnt_overlay *o, struct error *err)
{
	char all[3 * PATH_MAX + 96], text[512];
	pid_t parent = getpid();
	int out[2];
	ssize_t n;

	/* udev makes it 0666; a host without udev may leave it root's alone */
	if (access("/dev/fuse", R_OK | W_OK) < 0)
		return err_sys(err, "fuse-overlayfs needs /dev/fuse, which you may not open (udev "
				    "makes it mode 0666: chmod 0666 /dev/fuse as root)");
	snprintf(all, sizeof(all), "%s,allow_other", opts);
	if (pipe2(out, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	o->fuse_pid = fork();
	if (o->fuse_pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int errors = fcntl(out[1], F_DUPFD, 10);
		sigset_t none;

		/* not the monitor's blocked SIGCHLD: a mask outlives exec */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (null < 0 || errors < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(errors, 2) < 0)
			_exit(126);
		syscall(SYS_close_range, 3, ~0U, 0);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(126);
		execlp("fuse-overlayfs", "fuse-overlayfs", "-f", "-o", all, o->target,
		       (char *)NULL);
		fprintf(stderr, "fuse-overlayfs: %s (Debian's fuse-overlayfs: make deps)",
			strerror(errno));
		_exit(127);
	}
	close(out[1]);
	if (o->fuse_pid < 0) {
		o->fuse_pid = 0;
		close(out[0]);
		return err_sys(err, "fork fuse-overlayfs");
	}
	o->fuse_err = out[0];
	fcntl(o->fuse_err, F_SETFL, O_NONBLOCK);
	for (int ms = 0; ms < FUSE_READY_MS; ms += 10) {
		struct statfs fs;

		if (statfs(o->target, &fs) == 0 && fs.f_type == FUSE_SUPER_MAGIC)
			return 0;
		if (fuse_gone(o)) {
			n = read(o->fuse_err, text, sizeof(text) - 1);
			text[n > 0 ? n : 0] = '\0';
			text[strcspn(text, "\n")] = '\0';
			mnt_overlay_release(o);
			return err_set(err, "fuse-overlayfs did not mount %s: %s", o->target,
				       text[0] ? text : "it ended");
		}
		usleep(10000);
	}
	mnt_overlay_release(o);
	return err_set(err, "fuse-overlayfs did not mount %s in %d s", o->target,
		       FUSE_READY_MS / 1000);
}

int mnt_overlay(const char *lower, const char *upper, const char *work, const char *target,
		bool userns, struct mnt_overlay *o, struct error *err)
{
	const char *how = getenv("CELL_OVERLAY");
	char opts[3 * PATH_MAX + 64], kernel[sizeof(opts) + 16];
	int refused;

	*o = (struct mnt_overlay){ .fuse_err = -1 };
	snprintf(o->target, sizeof(o->target), "%s", target);
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper,
			     work) >= sizeof(opts))
		return err_errno(err, ENAMETOOLONG, "the overlay's options");
	if (how != NULL && strcmp(how, "fuse-overlayfs") == 0)
		return fuse_overlay(opts, o, err);
	if (how != NULL && *how != '\0' && strcmp(how, "kernel") != 0)
		return err_set(err, "CELL_OVERLAY=%s: kernel or fuse-overlayfs", how);
	/* userxattr: the marks of whiteouts and opaque directories are
	 * user.overlay.* xattrs, which root of a user namespace may write
	 * (Documentation/filesystems/overlayfs.rst, "Non-standard behavior") */
	snprintf(kernel, sizeof(kernel), "%s%s", opts, userns ? ",userxattr" : "");
	if (mount("overlay", target, "overlay", 0, kernel) == 0)
		return 0;
	refused = errno;
	/* a kernel before 5.11 mounts no overlayfs in a user namespace (EPERM),
	 * nor knows userxattr (EINVAL); nor does any take an upper directory
	 * on an overlay (EINVAL) */
	if (!userns || (refused != EPERM && refused != EINVAL))
		return err_sys(err, "mount overlay on %s (lower %s)", target, lower);
	if (fuse_overlay(opts, o, err) == 0)
		return 0;
	return err_prefix(err,
			  "the kernel's overlayfs refused %s (%s), and fuse-overlayfs in its place",
			  target, strerror(refused));
}
