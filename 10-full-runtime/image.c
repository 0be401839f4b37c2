/*
 * image.c: images in layers (stage 04 stacked one read-only lower layer
 * under a container's writes; an image is many of them).
 *
 * A layer is a tar, as the OCI image spec says: the files it adds or
 * changes, and for each file it deletes an empty ".wh.NAME" (a whiteout),
 * for a directory whose lower contents it hides a ".wh..wh..opq". The
 * store keeps each layer once, extracted, in LIB/layers/HEX, HEX being
 * the sha256 of its uncompressed tar (the config's rootfs.diff_ids).
 * Extraction turns OCI's whiteouts into overlayfs's own, which the kernel
 * reads in a lower layer as in an upper one: a character device 0:0 for a
 * deleted file, the xattr trusted.overlay.opaque=y on an opaque directory
 * (Documentation/filesystems/overlayfs.rst). Root of a user namespace
 * only (rootless) may not write trusted.* xattrs: its layers carry
 * user.overlay.opaque, which the kernel's overlayfs reads when mounted
 * with userxattr (5.11 and later), and fuse-overlayfs as well. A
 * container's overlay then takes an image's layers as its lower
 * directories, top first, and a commit turns the upper directory's
 * whiteouts back into OCI's.
 *
 * Libraries, not hand-written code: libarchive reads and writes tar and
 * gzip (and extracts with its checks against paths that leave the tree),
 * OpenSSL's EVP computes sha256, libcurl speaks HTTP to a registry.
 *
 * Nothing is used before its digest is checked: a blob goes to a
 * temporary directory LIB/layers/.tmp-PID-RANDOM, its sha256 is compared
 * with the digest that named it, the uncompressed stream's with the
 * config's diff_id, and only then is it extracted, into that temporary
 * directory, and renamed into place. A failure, or Ctrl-C (img_cancel),
 * removes the temporary directory; `make clean-host` removes one whose
 * process was killed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "image.h"
#include "rootless.h"
#include "state.h"

#define HEX_LEN	     64
#define MANIFEST_MAX (4 << 20)
#define WH_PREFIX    ".wh."
#define WH_OPAQUE    ".wh..wh..opq"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER	"application/vnd.oci.image.layer.v1.tar"
#define MT_D2_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_D2_LIST	"application/vnd.docker.distribution.manifest.list.v2+json"

static volatile sig_atomic_t cancelled;

void img_cancel(void)
{
	cancelled = 1;
}

static int check_cancel(struct error *err)
{
	return cancelled ? err_errno(err, EINTR, "interrupted") : 0;
}

static void progress(const struct img_store *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void progress(const struct img_store *s, const char *fmt, ...)
{
	va_list ap;

	if (s->progress == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(s->progress, fmt, ap);
	va_end(ap);
	fputc('\n', s->progress);
	fflush(s->progress);
}

/* ---- sha256 (OpenSSL) ---- */

static EVP_MD_CTX *hash_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return md;
}

static void hash_end(EVP_MD_CTX *md, char hex[HEX_LEN + 1])
{
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(md, sum, &n);
	for (unsigned int i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", sum[i]);
	EVP_MD_CTX_free(md);
}

static void hash_text(const char *text, size_t len, char hex[HEX_LEN + 1])
{
	EVP_MD_CTX *md = hash_new();

	EVP_DigestUpdate(md, text, len);
	hash_end(md, hex);
}

static int hash_file(const char *path, char hex[HEX_LEN + 1], struct error *err)
{
	char buf[65536];
	EVP_MD_CTX *md;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_sys(err, "open %s", path);
	md = hash_new();
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	close(fd);
	hash_end(md, hex);
	if (n < 0)
		return err_sys(err, "read %s", path);
	return 0;
}

/* "sha256:HEX", the only algorithm taken; HEX points into DIGEST. */
static int digest_hex(const char *digest, const char **hex, struct error *err)
{
	if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || strlen(digest + 7) != HEX_LEN ||
	    strspn(digest + 7, "0123456789abcdef") != HEX_LEN)
		return err_set(err, "%s: not a sha256 digest", digest ? digest : "(none)");
	*hex = digest + 7;
	return 0;
}

/* ---- the store's directories ---- */

static void layer_dir(const struct img_store *s, const char *hex, char *out, size_t size)
{
	snprintf(out, size, "%s/layers/%s", s->lib, hex);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* LIB/layers/.tmp-PID-RANDOM, and a shared lock on LIB/layers/.lock (an
 * image's removal takes it alone before it removes unused layers, so a
 * layer renamed into place is not taken away before its image is
 * recorded). */
struct work {
	char dir[PATH_MAX];
	int lock;
	/* layers extracted in DIR/HEX, to be renamed into place together */
	char pending[IMG_MAX_LAYERS + 1][HEX_LEN + 1];
	bool placed[IMG_MAX_LAYERS + 1];
	int n_pending;
};

static int work_begin(const struct img_store *s, struct work *w, int lock, struct error *err)
{
	char path[PATH_MAX];
	unsigned int r = 0;

	w->dir[0] = '\0';
	w->lock = -1;
	w->n_pending = 0;
	if (mkdir(s->lib, 0711) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", s->lib);
	snprintf(path, sizeof(path), "%s/layers", s->lib);
	/* 0700: the layers are read through containers' overlays only */
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", path);
	snprintf(path, sizeof(path), "%s/layers/.lock", s->lib);
	w->lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (w->lock < 0)
		return err_sys(err, "open %s", path);
	if (flock(w->lock, lock) < 0) {
		err_sys(err, "flock %s", path);
		close(w->lock);
		w->lock = -1;
		return -1;
	}
	getrandom(&r, sizeof(r), 0);
	snprintf(w->dir, sizeof(w->dir), "%s/layers/.tmp-%d-%08x", s->lib, (int)getpid(), r);
	if (mkdir(w->dir, 0700) < 0) {
		err_sys(err, "mkdir %s", w->dir);
		w->dir[0] = '\0';
		return -1;
	}
	return 0;
}

static int work_end(struct work *w, int ret, struct error *err)
{
	struct error e = { 0 };

	if (w->dir[0] != '\0' && st_remove_tree(w->dir, &e) < 0 && ret >= 0) {
		*err = e;
		ret = -1;
	}
	if (w->lock >= 0)
		close(w->lock);
	return ret;
}

/* ---- layers out: a directory as a tar ---- */

struct tar_out {
	int fd;
	EVP_MD_CTX *md;
};

static la_ssize_t tar_write(struct archive *a, void *arg, const void *buf, size_t n)
{
	struct tar_out *o = arg;
	const char *p = buf;

	EVP_DigestUpdate(o->md, buf, n);
	for (size_t done = 0; done < n;) {
		ssize_t w = write(o->fd, p + done, n - done);

		if (w < 0) {
			archive_set_error(a, errno, "write");
			return -1;
		}
		done += (size_t)w;
	}
	return (la_ssize_t)n;
}

/* The xattr that makes a directory opaque in this store's layers: the
 * trusted.* one for root, the user.* one in a user namespace (a process
 * does not change its user namespace once cell runs). */
static const char *opaque_xattr(void)
{
	static const char *name;

	if (name == NULL)
		name = rl_in_user_ns() ? "user.overlay.opaque" : "trusted.overlay.opaque";
	return name;
}

/* Whether NAME is an overlay's bookkeeping: the kernel's, for root or in a
 * user namespace, or fuse-overlayfs's own. */
static bool overlay_xattr(const char *name)
{
	static const char *const prefixes[] = { "trusted.overlay.", "user.overlay.",
						"user.fuseoverlayfs." };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The entry's xattrs but an overlay's own, which are its bookkeeping,
 * not the file's. */
static void drop_overlay_xattrs(struct archive_entry *e)
{
	struct {
		char *name;
		void *value;
		size_t size;
	} keep[64];
	const char *name;
	const void *value;
	size_t size;
	int n = 0;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK && n < 64) {
		if (overlay_xattr(name))
			continue;
		keep[n].name = strdup(name);
		keep[n].value = malloc(size ? size : 1);
		memcpy(keep[n].value, value, size);
		keep[n++].size = size;
	}
	archive_entry_xattr_clear(e);
	for (int i = 0; i < n; i++) {
		archive_entry_xattr_add_entry(e, keep[i].name, keep[i].value, keep[i].size);
		free(keep[i].name);
		free(keep[i].value);
	}
}

/* An empty regular file NAME: OCI's whiteouts. */
static int put_marker(struct archive *a, const char *name, struct error *err)
{
	struct archive_entry *e = archive_entry_new();
	int ret = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	if (archive_write_header(a, e) < ARCHIVE_WARN)
		ret = err_set(err, "tar %s: %s", name, archive_error_string(a));
	archive_entry_free(e);
	return ret;
}

static int put_data(struct archive *a, const char *path, struct error *err)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return err_sys(err, "open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(a, buf, (size_t)n) < 0) {
			close(fd);
			return err_set(err, "tar %s: %s", path, archive_error_string(a));
		}
	close(fd);
	return n < 0 ? err_sys(err, "read %s", path) : 0;
}

struct tar_walk {
	struct archive *a, *disk;
	struct archive_entry_linkresolver *links;
	char root[PATH_MAX];
};

/* REL (relative to the walk's root, "" for the root itself) and below,
 * by name, so that the same tree gives the same tar. */
static int walk(struct tar_walk *t, const char *rel, struct error *err)
{
	char path[PATH_MAX * 2], child[PATH_MAX], value[8];
	struct dirent **names;
	int n, ret = 0;

	snprintf(path, sizeof(path), "%s%s%s", t->root, *rel ? "/" : "", rel);
	n = scandir(path, &names, NULL, by_name);
	if (n < 0)
		return err_sys(err, "scandir %s", path);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct archive_entry *e, *spare = NULL;
		struct stat st;

		if (ret < 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (check_cancel(err) < 0) {
			ret = -1;
			continue;
		}
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", name);
		snprintf(path, sizeof(path), "%s/%s", t->root, child);
		if (lstat(path, &st) < 0) {
			ret = err_sys(err, "lstat %s", path);
			continue;
		}
		/* step: whiteout-out: overlay's 0:0 device is OCI's .wh.NAME */
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			char marker[PATH_MAX + 8];

			snprintf(marker, sizeof(marker), "%s%s" WH_PREFIX "%s", rel,
				 *rel ? "/" : "", name);
			ret = put_marker(t->a, marker, err);
			continue;
		}
		e = archive_entry_new();
		archive_entry_copy_sourcepath(e, path);
		if (archive_read_disk_entry_from_file(t->disk, e, -1, &st) < ARCHIVE_WARN) {
			ret = err_set(err, "read %s: %s", path, archive_error_string(t->disk));
			archive_entry_free(e);
			continue;
		}
		archive_entry_copy_pathname(e, child);
		drop_overlay_xattrs(e);
		archive_entry_linkify(t->links, &e, &spare);
		if (e != NULL && archive_write_header(t->a, e) < ARCHIVE_WARN)
			ret = err_set(err, "tar %s: %s", child, archive_error_string(t->a));
		else if (e != NULL && S_ISREG(st.st_mode) && archive_entry_size(e) > 0)
			ret = put_data(t->a, path, err);
		archive_entry_free(e);
		archive_entry_free(spare);
		if (ret < 0 || !S_ISDIR(st.st_mode))
			continue;
		/* an opaque directory: OCI's .wh..wh..opq inside it */
		if (lgetxattr(path, opaque_xattr(), value, sizeof(value)) == 1 && value[0] == 'y') {
			char marker[PATH_MAX + 16];

			snprintf(marker, sizeof(marker), "%s/" WH_OPAQUE, child);
			if (put_marker(t->a, marker, err) < 0) {
				ret = -1;
				continue;
			}
		}
		ret = walk(t, child, err);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* step: layer-tar: DIR's tree as an uncompressed tar in OUT, and its sha256 */
static int tar_dir(const char *dir, const char *out, char hex[HEX_LEN + 1], struct error *err)
{
	struct tar_out o = { .md = hash_new() };
	struct tar_walk t = { 0 };
	int ret = 0;

	o.fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (o.fd < 0) {
		EVP_MD_CTX_free(o.md);
		return err_sys(err, "create %s", out);
	}
	snprintf(t.root, sizeof(t.root), "%s", dir);
	t.a = archive_write_new();
	t.disk = archive_read_disk_new();
	t.links = archive_entry_linkresolver_new();
	/* pax (restricted): the ustar headers every reader knows, and pax
	 * records only where ustar falls short (long names, xattrs) */
	archive_write_set_format_pax_restricted(t.a);
	archive_entry_linkresolver_set_strategy(t.links, archive_format(t.a));
	archive_read_disk_set_symlink_physical(t.disk);
	if (archive_write_open(t.a, &o, NULL, tar_write, NULL) != ARCHIVE_OK)
		ret = err_set(err, "tar %s: %s", out, archive_error_string(t.a));
	if (ret == 0)
		ret = walk(&t, "", err);
	if (archive_write_close(t.a) != ARCHIVE_OK && ret == 0)
		ret = err_set(err, "tar %s: %s", out, archive_error_string(t.a));
	archive_write_free(t.a);
	archive_read_free(t.disk);
	archive_entry_linkresolver_free(t.links);
	if (close(o.fd) < 0 && ret == 0)
		ret = err_sys(err, "close %s", out);
	hash_end(o.md, hex);
	return ret;
}

/* ---- layers in: a tar extracted ---- */

/* The sha256 of the uncompressed stream of PATH (gzip or not): its diff_id. */
static int raw_digest(const char *path, char hex[HEX_LEN + 1], struct error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	EVP_MD_CTX *md = hash_new();
	char buf[65536];
	la_ssize_t n = 0;
	int ret = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, sizeof(buf)) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		ret = err_set(err, "read %s: %s", path, archive_error_string(a));
	while (ret == 0 && (n = archive_read_data(a, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	if (ret == 0 && n < 0)
		ret = err_set(err, "read %s: %s", path, archive_error_string(a));
	archive_read_free(a);
	hash_end(md, hex);
	return ret;
}

/* PATH inside the layer: "./a/b" and "/a/b" are "a/b"; none may climb out. */
static int clean_path(const char *in, char *out, size_t size, struct error *err)
{
	const char *p = in;

	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	snprintf(out, size, "%s", p);
	while (*out != '\0' && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = '\0';
	for (const char *c = out; *c != '\0'; c = strchr(c, '/') ? strchr(c, '/') + 1 : "")
		if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
			return err_set(err, "layer entry %s: leaves the layer", in);
	return 0;
}

/* The directory PARENT inside the tree ROOT, resolved as if ROOT were
 * "/" (openat2's RESOLVE_IN_ROOT): no symbolic link leads out. */
static int open_in(int root, const char *parent, struct error *err)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, root, *parent ? parent : ".", &how, sizeof(how));

	return fd < 0 ? err_sys(err, "layer: open %s", *parent ? parent : "/") : fd;
}

/* step: whiteout-in: OCI's .wh. entries become overlayfs's whiteouts */
static int whiteout(int root, const char *path, struct error *err)
{
	char parent[PATH_MAX], *slash;
	const char *base;
	int fd, ret = 0;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	base = slash ? slash + 1 : parent;
	if (slash)
		*slash = '\0';
	else
		parent[0] = '\0';
	fd = open_in(root, parent, err);
	if (fd < 0)
		return -1;
	if (strcmp(base, WH_OPAQUE) == 0) {
		if (fsetxattr(fd, opaque_xattr(), "y", 1, 0) < 0)
			ret = err_sys(err, "layer: setxattr %s on %s", opaque_xattr(),
				      *parent ? parent : "/");
	} else {
		const char *name = base + strlen(WH_PREFIX);

		if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			ret = err_set(err, "layer entry %s: a whiteout of nothing", path);
		else if (mknodat(fd, name, S_IFCHR, makedev(0, 0)) < 0 && errno != EEXIST)
			ret = err_sys(err, "layer: mknod whiteout %s", path);
	}
	close(fd);
	return ret;
}

static int copy_entry_data(struct archive *in, struct archive *out, struct error *err)
{
	const void *buf;
	size_t size;
	la_int64_t offset;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK) {
		if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN)
			return err_set(err, "extract: %s", archive_error_string(out));
		if (check_cancel(err) < 0)
			return -1;
	}
	if (r != ARCHIVE_EOF)
		return err_set(err, "read: %s", archive_error_string(in));
	return 0;
}

/* step: extract: the tar (gzip or not) at PATH into the new directory DEST */
static int extract(const char *path, const char *dest, struct error *err)
{
	/* libarchive's checks: no entry through a symbolic link, none with
	 * "..", none absolute; owners, modes, times and xattrs as the tar
	 * says (numeric ids: the image's, not this host's names) */
	const int flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
			  ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			  ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	struct archive *in = archive_read_new(), *out = archive_write_disk_new();
	struct archive_entry *e;
	char clean[PATH_MAX];
	int root = -1, cwd = -1, r, ret = 0;

	if (mkdir(dest, 0755) < 0)
		ret = err_sys(err, "mkdir %s", dest);
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_write_disk_set_options(out, flags);
	if (ret == 0 && archive_read_open_filename(in, path, 65536) != ARCHIVE_OK)
		ret = err_set(err, "read %s: %s", path, archive_error_string(in));
	/* libarchive writes relative to the working directory (hard links'
	 * targets too): the layer's root, for the time of the extraction */
	if (ret == 0 &&
	    ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	     (root = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 || fchdir(root) < 0))
		ret = err_sys(err, "chdir %s", dest);
	while (ret == 0 && (r = archive_read_next_header(in, &e)) != ARCHIVE_EOF) {
		const char *base, *link;

		if (r < ARCHIVE_WARN) {
			ret = err_set(err, "read %s: %s", path, archive_error_string(in));
			break;
		}
		if (clean_path(archive_entry_pathname(e), clean, sizeof(clean), err) < 0) {
			ret = -1;
			break;
		}
		if (clean[0] == '\0')
			continue; /* the root: the layer directory itself */
		base = strrchr(clean, '/') ? strrchr(clean, '/') + 1 : clean;
		if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0) {
			ret = whiteout(root, clean, err);
			continue;
		}
		archive_entry_copy_pathname(e, clean);
		link = archive_entry_hardlink(e);
		if (link != NULL) {
			char target[PATH_MAX];

			if (clean_path(link, target, sizeof(target), err) < 0) {
				ret = -1;
				break;
			}
			archive_entry_copy_hardlink(e, target);
		}
		/* a layer may not set overlayfs's own xattrs (a redirect, say) */
		drop_overlay_xattrs(e);
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			ret = err_set(err, "extract %s: %s", clean, archive_error_string(out));
			break;
		}
		if (archive_entry_size(e) > 0)
			ret = copy_entry_data(in, out, err);
		if (ret == 0 && archive_write_finish_entry(out) < ARCHIVE_WARN)
			ret = err_set(err, "extract %s: %s", clean, archive_error_string(out));
		if (ret == 0)
			ret = check_cancel(err);
	}
	/* directories' modes and times are set last, by close */
	if (archive_write_close(out) < ARCHIVE_WARN && ret == 0)
		ret = err_set(err, "extract: %s", archive_error_string(out));
	archive_write_free(out);
	archive_read_free(in);
	if (cwd >= 0) {
		if (fchdir(cwd) < 0 && ret == 0)
			ret = err_sys(err, "chdir back");
		close(cwd);
	}
	if (root >= 0)
		close(root);
	return ret;
}

/*
 * The layer whose uncompressed tar is at (or decompresses from) TAR, with
 * diff_id WANT (NULL: whatever it is; HEX gets it): extracted in W's
 * directory, to be renamed to LIB/layers/HEX by place() once every layer
 * of the image is there. A layer already kept is kept as it is: it is
 * the same content.
 */
static int add_layer(const struct img_store *s, struct work *w, const char *tar, const char *want,
		     char hex[HEX_LEN + 1], struct error *err)
{
	char dest[PATH_MAX], tmp[PATH_MAX + 80];

	if (raw_digest(tar, hex, err) < 0)
		return -1;
	if (want != NULL && strcmp(hex, want) != 0)
		return err_set(err,
			       "layer sha256:%.12s: its uncompressed content's sha256 is %.12s, "
			       "not the config's diff_id: refused",
			       want, hex);
	layer_dir(s, hex, dest, sizeof(dest));
	if (exists(dest)) {
		progress(s, "Layer sha256:%.12s is kept already", hex);
		return 0;
	}
	for (int i = 0; i < w->n_pending; i++)
		if (strcmp(w->pending[i], hex) == 0)
			return 0;
	if (w->n_pending > IMG_MAX_LAYERS)
		return err_set(err, "more than %d layers", IMG_MAX_LAYERS);
	snprintf(tmp, sizeof(tmp), "%s/%s", w->dir, hex);
	if (extract(tar, tmp, err) < 0)
		return -1;
	snprintf(w->pending[w->n_pending], HEX_LEN + 1, "%s", hex);
	w->placed[w->n_pending++] = false;
	progress(s, "Layer sha256:%.12s extracted", hex);
	return 0;
}

/* step: layer-in-place: each extracted tree becomes its layer at once (a
 * rename), once all of them are checked and extracted */
static int place(const struct img_store *s, struct work *w, struct error *err)
{
	char dest[PATH_MAX], tmp[PATH_MAX + 80];

	for (int i = 0; i < w->n_pending; i++) {
		snprintf(tmp, sizeof(tmp), "%s/%s", w->dir, w->pending[i]);
		layer_dir(s, w->pending[i], dest, sizeof(dest));
		if (rename(tmp, dest) == 0)
			w->placed[i] = true;
		else if (errno != EEXIST && errno != ENOTEMPTY)
			return err_sys(err, "rename %s to %s", tmp, dest);
	}
	return 0;
}

/* The image's record failed: the layers place() put in place go back to
 * the temporary directory, which work_end() removes. */
static void unplace(const struct img_store *s, struct work *w)
{
	char dest[PATH_MAX], tmp[PATH_MAX + 80];

	for (int i = 0; i < w->n_pending; i++) {
		if (!w->placed[i])
			continue;
		snprintf(tmp, sizeof(tmp), "%s/%s", w->dir, w->pending[i]);
		layer_dir(s, w->pending[i], dest, sizeof(dest));
		if (rename(dest, tmp) == 0)
			w->placed[i] = false;
	}
}

/* Places W's layers and records CONFIG: both, or neither. */
static int record(const struct img_store *s, json_t *config, const char *const *names,
		  char id[STORE_IMAGE_LEN + 1], struct error *err);
static int finish(const struct img_store *s, struct work *w, json_t *config,
		  const char *const *names, char id[STORE_IMAGE_LEN + 1], struct error *err)
{
	if (place(s, w, err) < 0 || record(s, config, names, id, err) < 0) {
		unplace(s, w);
		return -1;
	}
	return 0;
}

/* ---- configs ---- */

static void now_text(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *object_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

int img_change(json_t *config, const char *change, struct error *err)
{
	json_t *c = object_at(config, "config"), *v;
	const char *sp = strchr(change, ' ');
	char key[16];
	size_t k = sp ? (size_t)(sp - change) : 0;

	if (sp == NULL || k >= sizeof(key))
		return err_set(err, "--change %s: give KEYWORD VALUE", change);
	for (size_t i = 0; i < k; i++)
		key[i] = (char)toupper((unsigned char)change[i]);
	key[k] = '\0';
	while (*sp == ' ')
		sp++;
	if (strcmp(key, "CMD") == 0 || strcmp(key, "ENTRYPOINT") == 0) {
		/* the exec form, a JSON array, or the shell form, a line for sh -c */
		if (*sp == '[') {
			size_t i;
			json_t *x;

			v = json_loads(sp, 0, NULL);
			if (!json_is_array(v))
				goto bad;
			json_array_foreach(v, i, x) if (!json_is_string(x))
			{
				json_decref(v);
				goto bad;
			}
		} else {
			v = json_pack("[s,s,s]", "/bin/sh", "-c", sp);
		}
		json_object_set_new(c, strcmp(key, "CMD") == 0 ? "Cmd" : "Entrypoint", v);
	} else if (strcmp(key, "ENV") == 0) {
		json_t *env = json_object_get(c, "Env"), *x;
		const char *eq = strchr(sp, '=');
		size_t i;

		if (eq == NULL || eq == sp)
			goto bad;
		if (!json_is_array(env)) {
			env = json_array();
			json_object_set_new(c, "Env", env);
		}
		json_array_foreach(env, i,
				   x) if (json_is_string(x) && strncmp(json_string_value(x), sp,
								       (size_t)(eq - sp) + 1) == 0)
		{
			json_array_remove(env, i);
			break;
		}
		json_array_append_new(env, json_string(sp));
	} else if (strcmp(key, "WORKDIR") == 0) {
		if (*sp != '/')
			goto bad;
		json_object_set_new(c, "WorkingDir", json_string(sp));
	} else if (strcmp(key, "USER") == 0) {
		json_object_set_new(c, "User", json_string(sp));
	} else {
		return err_set(err, "--change %s: give CMD, ENTRYPOINT, ENV, WORKDIR or USER",
			       change);
	}
	return 0;
bad:
	return err_set(err, "--change %s: not a valid %s", change, key);
}

/* The config's text as stored and hashed: compact, keys in their order. */
static char *config_text(json_t *config)
{
	return json_dumps(config, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

static int apply_changes(json_t *config, json_t *changes, struct error *err)
{
	json_t *c;
	size_t i;

	json_array_foreach(changes, i,
			   c) if (img_change(config, json_string_value(c), err) < 0) return -1;
	return 0;
}

static void add_history(json_t *config, const char *created, const char *by)
{
	json_t *h = json_object_get(config, "history");

	if (!json_is_array(h)) {
		h = json_array();
		json_object_set_new(config, "history", h);
	}
	json_array_append_new(h, json_pack("{s:s, s:s}", "created", created, "created_by", by));
}

/* Records CONFIG (its rootfs.diff_ids are the layers) as an image named NAME. */
static int record(const struct img_store *s, json_t *config, const char *const *names,
		  char id[STORE_IMAGE_LEN + 1], struct error *err)
{
	char layers[IMG_MAX_LAYERS][STORE_LAYER_LEN + 1], hex[HEX_LEN + 1], created[40];
	json_t *diff = json_object_get(object_at(config, "rootfs"), "diff_ids"), *d;
	const char *created_in = json_string_value(json_object_get(config, "created"));
	char *text;
	const char *h;
	size_t i;
	int ret;

	if (json_array_size(diff) > IMG_MAX_LAYERS)
		return err_set(err, "%zu layers: cell stacks at most %d", json_array_size(diff),
			       IMG_MAX_LAYERS);
	if (json_array_size(diff) == 0)
		return err_set(err, "an image without layers");
	json_array_foreach(diff, i, d)
	{
		if (digest_hex(json_string_value(d), &h, err) < 0)
			return err_prefix(err, "rootfs.diff_ids");
		snprintf(layers[i], sizeof(layers[i]), "%s", h);
	}
	text = config_text(config);
	if (text == NULL)
		return err_errno(err, ENOMEM, "the image's config");
	if (strlen(text) >= STORE_CONFIG_MAX) {
		free(text);
		return err_set(err, "the image's config is larger than %d bytes", STORE_CONFIG_MAX);
	}
	hash_text(text, strlen(text), hex);
	snprintf(id, STORE_IMAGE_LEN + 1, "sha256:%s", hex);
	if (created_in != NULL)
		snprintf(created, sizeof(created), "%s", created_in);
	else
		now_text(created, sizeof(created));
	ret = store_image_add(s->db, id, text, created, layers, (int)json_array_size(diff), names,
			      err);
	free(text);
	return ret;
}

static json_t *new_config(const char *created)
{
	return json_pack("{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[]}, s:[]}", "created", created,
			 "architecture", "amd64", "os", "linux", "config", "Env",
			 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 "rootfs", "type", "layers", "diff_ids", "history");
}

void img_normalize(const char *ref, char *out, size_t size)
{
	const char *slash = strrchr(ref, '/');

	if (strchr(ref, '@') == NULL && strchr(slash ? slash : ref, ':') == NULL)
		snprintf(out, size, "%s:latest", ref);
	else
		snprintf(out, size, "%s", ref);
}

static int check_name(const char *name, struct error *err)
{
	if (name == NULL)
		return 0;
	if (*name == '\0' || strlen(name) > 255 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-/:@ABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
		    strlen(name) ||
	    !isalnum((unsigned char)name[0]))
		return err_set(err, "%s: not an image name (REPO[:TAG], letters, digits and ._-/)",
			       name);
	return 0;
}

/* ---- import and commit ---- */

/*
 * What import and commit share: CONFIG (which this consumes), with
 * CHANGES applied, gets one layer more, made of SRC, a directory or
 * (SRC_IS_TAR) a tar; its history says BY, at CREATED; it becomes the
 * image ID, named NAME when it is not NULL.
 */
static int add_top_layer(const struct img_store *s, json_t *config, json_t *changes,
			 const char *src, bool src_is_tar, const char *created, const char *by,
			 const char *name, char id[STORE_IMAGE_LEN + 1], struct error *err)
{
	char tar[PATH_MAX + 16], hex[HEX_LEN + 1], diff[80], full[512];
	const char *names[2] = { NULL, NULL };
	struct work w;
	int ret;

	if (apply_changes(config, changes, err) < 0) {
		json_decref(config);
		return -1;
	}
	if (work_begin(s, &w, LOCK_SH, err) < 0) {
		json_decref(config);
		return work_end(&w, -1, err);
	}
	if (src_is_tar) {
		ret = snprintf(tar, sizeof(tar), "%s", src) < 0 ? -1 : 0;
	} else {
		snprintf(tar, sizeof(tar), "%s/layer.tar", w.dir);
		ret = tar_dir(src, tar, hex, err);
	}
	if (ret == 0)
		ret = add_layer(s, &w, tar, NULL, hex, err);
	if (ret == 0) {
		snprintf(diff, sizeof(diff), "sha256:%s", hex);
		json_array_append_new(json_object_get(object_at(config, "rootfs"), "diff_ids"),
				      json_string(diff));
		add_history(config, created, by);
		if (name != NULL) {
			img_normalize(name, full, sizeof(full));
			names[0] = full;
		}
		ret = finish(s, &w, config, names, id, err);
	}
	json_decref(config);
	return work_end(&w, ret, err);
}

int img_import(const struct img_store *s, const char *src, const char *name, json_t *changes,
	       char id[STORE_IMAGE_LEN + 1], struct error *err)
{
	char created[40], by[PATH_MAX + 32];
	struct stat st;

	if (check_name(name, err) < 0)
		return -1;
	if (stat(src, &st) < 0)
		return err_sys(err, "%s", src);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return err_set(err, "%s: neither a directory nor a tar", src);
	now_text(created, sizeof(created));
	snprintf(by, sizeof(by), "cell image import %s", src);
	return add_top_layer(s, new_config(created), changes, src, S_ISREG(st.st_mode), created, by,
			     name, id, err);
}

int img_commit(const struct img_store *s, const char *upper, const char *base, const char *name,
	       json_t *changes, char id[STORE_IMAGE_LEN + 1], struct error *err)
{
	char created[40], *text = NULL;
	json_t *config;

	if (check_name(name, err) < 0 || store_image_config(s->db, base, &text, err) < 0)
		return -1;
	config = json_loads(text, 0, NULL);
	free(text);
	if (config == NULL)
		return err_set(err, "image %.19s: its config is not JSON", base);
	now_text(created, sizeof(created));
	json_object_set_new(config, "created", json_string(created));
	return add_top_layer(s, config, changes, upper, false, created, "cell commit", name, id,
			     err);
}

/* ---- blobs from a registry or a layout ---- */

/*
 * Where blobs come from: GET puts the blob DIGEST in a file (in W's
 * directory, or the layout's own file) and says which. Its content is
 * checked against DIGEST by the caller, before anything reads it.
 */
struct source {
	int (*get)(struct source *src, struct work *w, const char *digest, char *path, size_t size,
		   struct error *err);
	/* a registry */
	CURL *curl;
	char base[1400]; /* SCHEME://HOST/v2/REPO */
	/* a layout */
	char dir[PATH_MAX + 16];
};

struct sink {
	int fd;	   /* a file, or -1: into BUF */
	char *buf; /* up to MANIFEST_MAX */
	size_t len;
	char type[128]; /* Content-Type */
};

static size_t sink_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *k = arg;
	size_t n = size * nmemb;

	if (k->fd >= 0) {
		for (size_t done = 0; done < n;) {
			ssize_t w = write(k->fd, data + done, n - done);

			if (w < 0)
				return 0;
			done += (size_t)w;
		}
		return n;
	}
	if (k->len + n >= MANIFEST_MAX)
		return 0;
	memcpy(k->buf + k->len, data, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return n;
}

static size_t sink_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *k = arg;
	size_t n = size * nmemb;

	if (n > 13 && strncasecmp(data, "content-type:", 13) == 0) {
		const char *v = data + 13;
		size_t len;

		while (*v == ' ')
			v++;
		len = strcspn(v, ";\r\n");
		snprintf(k->type, sizeof(k->type), "%.*s", (int)len, v);
	}
	return n;
}

static int cancel_check(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)arg, (void)a, (void)b, (void)c, (void)d;
	return cancelled ? 1 : 0;
}

/* step: http-get: GET BASE/WHAT into K */
static int http_get(struct source *src, const char *what, const char *accept, struct sink *k,
		    struct error *err)
{
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	long status = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s/%s", src->base, what);
	if (accept != NULL)
		headers = curl_slist_append(headers, accept);
	curl_easy_reset(src->curl);
	curl_easy_setopt(src->curl, CURLOPT_URL, url);
	curl_easy_setopt(src->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(src->curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(src->curl, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(src->curl, CURLOPT_HEADERFUNCTION, sink_header);
	curl_easy_setopt(src->curl, CURLOPT_HEADERDATA, k);
	curl_easy_setopt(src->curl, CURLOPT_ERRORBUFFER, errbuf);
	/* a registry may send blobs from elsewhere (a storage's URL) */
	curl_easy_setopt(src->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(src->curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(src->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(src->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(src->curl, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(src->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(src->curl, CURLOPT_XFERINFOFUNCTION, cancel_check);
	curl_easy_setopt(src->curl, CURLOPT_USERAGENT, "cell");
	rc = curl_easy_perform(src->curl);
	curl_slist_free_all(headers);
	if (rc == CURLE_ABORTED_BY_CALLBACK)
		return err_errno(err, EINTR, "GET %s: interrupted", url);
	if (rc != CURLE_OK)
		return err_set(err, "GET %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_easy_getinfo(src->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401)
		return err_set(err,
			       "GET %s: 401: the registry asks for a login (cell reads open "
			       "registries only)",
			       url);
	if (status == 404)
		return err_set(err, "GET %s: 404: not in the registry", url);
	if (status != 200)
		return err_set(err, "GET %s: HTTP status %ld", url, status);
	return 0;
}

static int registry_blob(struct source *src, struct work *w, const char *digest, char *path,
			 size_t size, struct error *err)
{
	char what[256];
	struct sink k = { 0 };
	int ret;

	snprintf(path, size, "%s/blob-%.19s", w->dir, digest + 7);
	k.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (k.fd < 0)
		return err_sys(err, "create %s", path);
	snprintf(what, sizeof(what), "blobs/%s", digest);
	ret = http_get(src, what, NULL, &k, err);
	if (close(k.fd) < 0 && ret == 0)
		ret = err_sys(err, "write %s", path);
	return ret;
}

static int layout_blob(struct source *src, struct work *w, const char *digest, char *path,
		       size_t size, struct error *err)
{
	(void)w;
	snprintf(path, size, "%s/blobs/sha256/%s", src->dir, digest + 7);
	if (!exists(path))
		return err_set(err, "%s: no blob %s", src->dir, digest);
	return 0;
}

/* step: verify: blob DIGEST, fetched and checked; PATH: where it is */
static int get_blob(struct source *src, struct work *w, const char *digest, char *path, size_t size,
		    struct error *err)
{
	char hex[HEX_LEN + 1];
	const char *want;

	if (digest_hex(digest, &want, err) < 0 || src->get(src, w, digest, path, size, err) < 0 ||
	    hash_file(path, hex, err) < 0)
		return -1;
	if (strcmp(hex, want) != 0)
		return err_set(err, "blob %s: its content's sha256 is %s: refused", digest, hex);
	return 0;
}

static int read_small(const char *path, char **text, struct error *err)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return err_sys(err, "open %s", path);
	*text = malloc(MANIFEST_MAX);
	n = *text ? fread(*text, 1, MANIFEST_MAX - 1, f) : 0;
	fclose(f);
	if (*text == NULL)
		return err_errno(err, ENOMEM, "read %s", path);
	(*text)[n] = '\0';
	return 0;
}

/* A manifest or index blob by its digest, checked, parsed. */
static json_t *get_json(struct source *src, struct work *w, const char *digest, struct error *err)
{
	char path[PATH_MAX], *text;
	json_t *doc;

	if (get_blob(src, w, digest, path, sizeof(path), err) < 0 ||
	    read_small(path, &text, err) < 0)
		return NULL;
	doc = json_loads(text, 0, NULL);
	free(text);
	if (doc == NULL)
		err_set(err, "blob %s: not JSON", digest);
	return doc;
}

static const char *media_type(json_t *doc, const char *fallback)
{
	const char *t = json_string_value(json_object_get(doc, "mediaType"));

	return t ? t : fallback;
}

/* An index's manifest for linux/amd64: its digest (in the index). */
static const char *pick_platform(json_t *index, struct error *err)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(index, "manifests"), i, m)
	{
		json_t *p = json_object_get(m, "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));

		if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, "amd64") == 0)
			return json_string_value(json_object_get(m, "digest"));
	}
	err_set(err, "the index has no manifest for linux/amd64");
	return NULL;
}

/*
 * step: install: the image of MANIFEST from SRC: its config, then each
 * layer not kept already, each checked before it is extracted, then the
 * record. NAMES: what to call it.
 */
static int install(const struct img_store *s, struct source *src, struct work *w, json_t *manifest,
		   const char *const *names, char id[STORE_IMAGE_LEN + 1], struct error *err)
{
	json_t *layers = json_object_get(manifest, "layers"), *config = NULL, *diff, *l;
	const char *cdigest =
		json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
	char path[PATH_MAX], *text = NULL;
	size_t i;
	int ret = 0;

	if (cdigest == NULL || !json_is_array(layers))
		return err_set(err, "the manifest has no config or no layers");
	if (get_blob(src, w, cdigest, path, sizeof(path), err) < 0 ||
	    read_small(path, &text, err) < 0)
		return -1;
	config = json_loads(text, 0, NULL);
	free(text);
	diff = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(diff) || json_array_size(diff) != json_array_size(layers)) {
		json_decref(config);
		return err_set(err,
			       "config %.19s: its rootfs.diff_ids do not match the manifest's "
			       "layers",
			       cdigest);
	}
	progress(s, "Config %.19s: %zu layers", cdigest, json_array_size(layers));
	json_array_foreach(layers, i, l)
	{
		const char *digest = json_string_value(json_object_get(l, "digest")), *want;
		const char *mt = media_type(l, "");
		char dir[PATH_MAX], hex[HEX_LEN + 1];

		if (digest_hex(json_string_value(json_array_get(diff, i)), &want, err) < 0) {
			ret = -1;
			break;
		}
		if (strstr(mt, "nondistributable") != NULL || strstr(mt, "foreign") != NULL) {
			ret = err_set(err, "layer %s: %s: cell takes layers from the registry only",
				      digest, mt);
			break;
		}
		layer_dir(s, want, dir, sizeof(dir));
		if (exists(dir)) {
			progress(s, "Layer sha256:%.12s is kept already", want);
			continue;
		}
		progress(s, "Copying blob %.19s", digest ? digest : "(none)");
		if (get_blob(src, w, digest, path, sizeof(path), err) < 0 ||
		    add_layer(s, w, path, want, hex, err) < 0) {
			ret = -1;
			break;
		}
	}
	if (ret == 0)
		ret = finish(s, w, config, names, id, err);
	json_decref(config);
	return ret;
}

/* ---- pull ---- */

struct reference {
	char host[256], repo[1040], tag[128], digest[80];
	char name[1600]; /* as the store keeps it */
};

/* [HOST/]REPO[:TAG|@DIGEST], docker's rules: the first part is a host when
 * it has a dot or a colon, or is localhost; otherwise docker.io. */
static int parse_reference(const char *ref, struct reference *r, struct error *err)
{
	char rest[1024], *at, *colon, *slash;

	memset(r, 0, sizeof(*r));
	snprintf(rest, sizeof(rest), "%s", ref);
	slash = strchr(rest, '/');
	if (slash != NULL && (memchr(rest, '.', (size_t)(slash - rest)) != NULL ||
			      memchr(rest, ':', (size_t)(slash - rest)) != NULL ||
			      strncmp(rest, "localhost/", 10) == 0)) {
		snprintf(r->host, sizeof(r->host), "%.*s", (int)(slash - rest), rest);
		memmove(rest, slash + 1, strlen(slash + 1) + 1);
	} else {
		snprintf(r->host, sizeof(r->host), "registry-1.docker.io");
	}
	if ((at = strchr(rest, '@')) != NULL) {
		const char *hex;

		*at = '\0';
		snprintf(r->digest, sizeof(r->digest), "%s", at + 1);
		if (digest_hex(r->digest, &hex, err) < 0)
			return err_prefix(err, "%s", ref);
	}
	slash = strrchr(rest, '/');
	colon = strchr(slash ? slash : rest, ':');
	if (colon != NULL) {
		*colon = '\0';
		snprintf(r->tag, sizeof(r->tag), "%s", colon + 1);
	} else if (r->digest[0] == '\0') {
		snprintf(r->tag, sizeof(r->tag), "latest");
	}
	if (strcmp(r->host, "registry-1.docker.io") == 0 && strchr(rest, '/') == NULL)
		snprintf(r->repo, sizeof(r->repo), "library/%s", rest);
	else
		snprintf(r->repo, sizeof(r->repo), "%s", rest);
	if (r->repo[0] == '\0' ||
	    strspn(r->repo, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != strlen(r->repo))
		return err_set(err,
			       "%s: not an image reference ([REGISTRY/]NAME[:TAG|@DIGEST], "
			       "the name in lower case)",
			       ref);
	if (r->tag[0] != '\0' &&
	    strspn(r->tag, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(r->tag))
		return err_set(err, "%s: the tag %s: letters, digits and ._- only", ref, r->tag);
	snprintf(r->name, sizeof(r->name), "%s/%s%s%s",
		 strcmp(r->host, "registry-1.docker.io") == 0 ? "docker.io" : r->host, r->repo,
		 r->digest[0] ? "@" : ":", r->digest[0] ? r->digest : r->tag);
	return 0;
}

static const char accept_all[] =
	"Accept: " MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_D2_MANIFEST ", " MT_D2_LIST;

/* A manifest from the registry, by tag or digest (then checked): its text in K. */
static int get_manifest(struct source *src, const char *ref, const char *want_digest,
			struct sink *k, struct error *err)
{
	char what[256], hex[HEX_LEN + 1];
	const char *want;

	snprintf(what, sizeof(what), "manifests/%s", ref);
	k->len = 0;
	if (http_get(src, what, accept_all, k, err) < 0)
		return -1;
	if (want_digest != NULL) {
		if (digest_hex(want_digest, &want, err) < 0)
			return -1;
		hash_text(k->buf, k->len, hex);
		if (strcmp(hex, want) != 0)
			return err_set(err, "manifest %s: its content's sha256 is %s: refused",
				       want_digest, hex);
	}
	return 0;
}

int img_pull(const struct img_store *s, const char *ref, bool tls, char id[STORE_IMAGE_LEN + 1],
	     struct error *err)
{
	struct source src = { .get = registry_blob };
	struct sink k = { .fd = -1 };
	struct reference r;
	const char *names[2] = { NULL, NULL }, *type, *child;
	json_t *doc = NULL;
	struct work w = { .dir = "", .lock = -1 };
	int ret = -1;

	if (parse_reference(ref, &r, err) < 0)
		return -1;
	names[0] = r.name;
	snprintf(src.base, sizeof(src.base), "%s://%s/v2/%s", tls ? "https" : "http", r.host,
		 r.repo);
	k.buf = malloc(MANIFEST_MAX);
	src.curl = curl_easy_init();
	if (k.buf == NULL || src.curl == NULL) {
		err_errno(err, ENOMEM, "pull %s", ref);
		goto out;
	}
	if (work_begin(s, &w, LOCK_SH, err) < 0)
		goto out;
	progress(s, "Pulling %s", r.name);
	/* step: manifest: by tag, or by digest and checked */
	if (get_manifest(&src, r.digest[0] ? r.digest : r.tag, r.digest[0] ? r.digest : NULL, &k,
			 err) < 0)
		goto out;
	doc = json_loads(k.buf, 0, NULL);
	if (doc == NULL) {
		err_set(err, "%s: the manifest is not JSON", ref);
		goto out;
	}
	type = media_type(doc, k.type);
	/* an index (a list of manifests, one per platform): linux/amd64's */
	if (strcmp(type, MT_OCI_INDEX) == 0 || strcmp(type, MT_D2_LIST) == 0) {
		char digest[80];

		child = pick_platform(doc, err);
		if (child == NULL)
			goto out;
		snprintf(digest, sizeof(digest), "%s", child);
		progress(s, "Index: linux/amd64 is %.19s", digest);
		json_decref(doc);
		doc = NULL;
		if (get_manifest(&src, digest, digest, &k, err) < 0)
			goto out;
		doc = json_loads(k.buf, 0, NULL);
		type = media_type(doc, k.type);
	}
	if (doc == NULL ||
	    (strcmp(type, MT_OCI_MANIFEST) != 0 && strcmp(type, MT_D2_MANIFEST) != 0)) {
		err_set(err, "%s: a manifest of type %s: cell reads OCI's and docker's schema 2",
			ref, type);
		goto out;
	}
	ret = install(s, &src, &w, doc, names, id, err);
out:
	json_decref(doc);
	free(k.buf);
	if (src.curl != NULL)
		curl_easy_cleanup(src.curl);
	return work_end(&w, ret, err);
}

/* ---- save ---- */

/* Writes TEXT as a blob of LAYOUT; its descriptor. */
static json_t *put_blob(const char *layout, const char *type, const char *text, struct error *err)
{
	char hex[HEX_LEN + 1], path[PATH_MAX + 96], digest[80];

	hash_text(text, strlen(text), hex);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", layout, hex);
	if (st_write_atomic(path, text, strlen(text), 0644, err) < 0)
		return NULL;
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	return json_pack("{s:s, s:s, s:I}", "mediaType", type, "digest", digest, "size",
			 (json_int_t)strlen(text));
}

/* The tar of LAYOUT (a directory) in OUT, through OUT.tmp-PID. */
static int tar_layout(const char *layout, const char *out, struct error *err)
{
	char tmp[PATH_MAX + 32], hex[HEX_LEN + 1];

	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out, (int)getpid());
	if (tar_dir(layout, tmp, hex, err) < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, out) < 0) {
		err_sys(err, "rename %s to %s", tmp, out);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int img_save(const struct img_store *s, const char *id, const char *name, const char *out, bool dir,
	     struct error *err)
{
	char layers[IMG_MAX_LAYERS][STORE_LAYER_LEN + 1], layout[PATH_MAX + 16],
		path[PATH_MAX + 96];
	char from[PATH_MAX], tar[PATH_MAX + 128], hex[HEX_LEN + 1], digest[80], *text = NULL;
	json_t *config = NULL, *diff = json_array(), *descs = json_array(), *manifest, *desc;
	struct work w;
	struct stat st;
	int n, ret = -1;

	if (store_image_config(s->db, id, &text, err) < 0)
		goto early;
	config = json_loads(text, 0, NULL);
	free(text);
	text = NULL;
	n = store_image_layers(s->db, id, layers, IMG_MAX_LAYERS, err);
	if (config == NULL || n < 0)
		goto early;
	if (dir && mkdir(out, 0755) < 0) {
		err_sys(err, "mkdir %s", out);
		goto early;
	}
	if (work_begin(s, &w, LOCK_SH, err) < 0)
		goto out;
	if (dir)
		snprintf(layout, sizeof(layout), "%s", out);
	else
		snprintf(layout, sizeof(layout), "%s/layout", w.dir);
	snprintf(path, sizeof(path), "%s/blobs/sha256", layout);
	if ((!dir && mkdir(layout, 0755) < 0) ||
	    (snprintf(tar, sizeof(tar), "%s/blobs", layout), mkdir(tar, 0755) < 0) ||
	    mkdir(path, 0755) < 0) {
		err_sys(err, "mkdir %s", path);
		goto out;
	}
	/* step: save-layers: each layer's tree as a tar again (whiteouts as
	 * .wh.), uncompressed; the config's diff_ids are those tars' */
	for (int i = 0; i < n; i++) {
		layer_dir(s, layers[i], from, sizeof(from));
		snprintf(tar, sizeof(tar), "%s/blobs/sha256/.layer-%d", layout, i);
		if (tar_dir(from, tar, hex, err) < 0 || stat(tar, &st) < 0)
			goto out;
		snprintf(path, sizeof(path), "%s/blobs/sha256/%s", layout, hex);
		if (rename(tar, path) < 0) {
			err_sys(err, "rename %s", path);
			goto out;
		}
		snprintf(digest, sizeof(digest), "sha256:%s", hex);
		json_array_append_new(diff, json_string(digest));
		json_array_append_new(descs,
				      json_pack("{s:s, s:s, s:I}", "mediaType", MT_OCI_LAYER,
						"digest", digest, "size", (json_int_t)st.st_size));
		progress(s, "Layer sha256:%.12s saved as %.19s", layers[i], digest);
	}
	json_object_set(object_at(config, "rootfs"), "diff_ids", diff);
	text = config_text(config);
	desc = text ? put_blob(layout, MT_OCI_CONFIG, text, err) : NULL;
	free(text);
	if (desc == NULL)
		goto out;
	manifest = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType",
			     MT_OCI_MANIFEST, "config", desc, "layers", descs);
	text = config_text(manifest);
	json_decref(manifest);
	desc = text ? put_blob(layout, MT_OCI_MANIFEST, text, err) : NULL;
	free(text);
	if (desc == NULL)
		goto out;
	if (name != NULL)
		json_object_set_new(desc, "annotations",
				    json_pack("{s:s}", "org.opencontainers.image.ref.name", name));
	manifest = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
			     "manifests", desc);
	text = config_text(manifest);
	json_decref(manifest);
	snprintf(path, sizeof(path), "%s/index.json", layout);
	if (text == NULL || st_write_atomic(path, text, strlen(text), 0644, err) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/oci-layout", layout);
	if (st_write_atomic(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, err) < 0)
		goto out;
	ret = dir ? 0 : tar_layout(layout, out, err);
out:
	free(text);
	if (ret < 0 && dir)
		st_remove_tree(out, &(struct error){ 0 });
	ret = work_end(&w, ret, err);
early:
	json_decref(config);
	json_decref(diff);
	json_decref(descs);
	return ret;
}

/* ---- load ---- */

int img_load(const struct img_store *s, const char *in, const char *name,
	     char id[STORE_IMAGE_LEN + 1], struct error *err)
{
	struct source src = { .get = layout_blob };
	char path[PATH_MAX + 32], *text = NULL, full[512];
	const char *names[2] = { NULL, NULL }, *digest, *type, *ref;
	json_t *index = NULL, *manifest = NULL, *m;
	struct work w;
	struct stat st;
	int ret = -1;

	if (check_name(name, err) < 0)
		return -1;
	if (stat(in, &st) < 0)
		return err_sys(err, "%s", in);
	if (work_begin(s, &w, LOCK_SH, err) < 0)
		return work_end(&w, -1, err);
	/* step: layout: a directory as it is, a tar extracted first */
	if (S_ISDIR(st.st_mode)) {
		snprintf(src.dir, sizeof(src.dir), "%s", in);
	} else {
		snprintf(src.dir, sizeof(src.dir), "%s/layout", w.dir);
		if (extract(in, src.dir, err) < 0)
			goto out;
	}
	snprintf(path, sizeof(path), "%s/index.json", src.dir);
	if (read_small(path, &text, err) < 0)
		goto out;
	index = json_loads(text, 0, NULL);
	m = json_array_get(json_object_get(index, "manifests"), 0);
	digest = json_string_value(json_object_get(m, "digest"));
	if (digest == NULL) {
		err_set(err, "%s: index.json lists no manifest (not an OCI image layout?)", in);
		goto out;
	}
	ref = json_string_value(json_object_get(json_object_get(m, "annotations"),
						"org.opencontainers.image.ref.name"));
	manifest = get_json(&src, &w, digest, err);
	if (manifest == NULL)
		goto out;
	type = media_type(manifest, json_string_value(json_object_get(m, "mediaType")));
	if (type != NULL && strcmp(type, MT_OCI_INDEX) == 0) {
		const char *child = pick_platform(manifest, err);
		char d[80];

		if (child == NULL)
			goto out;
		snprintf(d, sizeof(d), "%s", child);
		json_decref(manifest);
		manifest = get_json(&src, &w, d, err);
		if (manifest == NULL)
			goto out;
	}
	/* the name given, or index.json's when it is a full name (a tag
	 * alone names nothing) */
	if (name == NULL && ref != NULL && strchr(ref, '/') != NULL && check_name(ref, err) == 0)
		name = ref;
	if (name != NULL) {
		img_normalize(name, full, sizeof(full));
		names[0] = full;
	}
	ret = install(s, &src, &w, manifest, names, id, err);
out:
	free(text);
	json_decref(index);
	json_decref(manifest);
	return work_end(&w, ret, err);
}

/* ---- remove ---- */

/* Removes every layer directory no image lists and no container stacks:
 * under the lock held alone, so no import, pull or load is between the
 * rename of its layer and its record. */
static int collect(const struct img_store *s, struct error *err)
{
	char path[PATH_MAX + 80], gone[PATH_MAX * 2];
	struct dirent *d;
	struct work w;
	DIR *dir;
	int ret = 0;

	if (work_begin(s, &w, LOCK_EX, err) < 0)
		return work_end(&w, -1, err);
	snprintf(path, sizeof(path), "%s/layers", s->lib);
	dir = opendir(path);
	if (dir == NULL)
		return work_end(&w, err_sys(err, "opendir %s", path), err);
	while ((d = readdir(dir)) != NULL && ret == 0) {
		int used;

		if (strlen(d->d_name) != HEX_LEN ||
		    strspn(d->d_name, "0123456789abcdef") != HEX_LEN)
			continue;
		used = store_layer_used(s->db, d->d_name, err);
		if (used < 0)
			ret = -1;
		if (used != 0)
			continue;
		/* renamed first: a layer half removed is never found by its name */
		snprintf(path, sizeof(path), "%s/layers/%s", s->lib, d->d_name);
		snprintf(gone, sizeof(gone), "%s/%s", w.dir, d->d_name);
		if (rename(path, gone) < 0)
			ret = err_sys(err, "rename %s", path);
		else
			progress(s, "Layer sha256:%.12s removed", d->d_name);
	}
	closedir(dir);
	return work_end(&w, ret, err);
}

int img_remove(const struct img_store *s, const char *ref, char id[STORE_IMAGE_LEN + 1],
	       struct error *err)
{
	char full[512], user[256], other[STORE_IMAGE_LEN + 1];
	const char *name = NULL;
	int ret;

	if (store_image_find(s->db, ref, id, STORE_IMAGE_LEN + 1, err) < 0)
		return -1;
	/* REF is a name, not the id: that name is what goes */
	img_normalize(ref, full, sizeof(full));
	if (store_image_find(s->db, full, other, sizeof(other), &(struct error){ 0 }) == 0 &&
	    strcmp(other, id) == 0 && strncmp(id + 7, ref, strlen(ref)) != 0)
		name = full;
	ret = store_image_remove(s->db, name, id, user, sizeof(user), err);
	if (ret == 2)
		return err_set(err,
			       "image %s is in use by container %s: remove the container first",
			       ref, user);
	if (ret == 1 && collect(s, err) < 0)
		return -1;
	return ret;
}

/* ---- for run ---- */

int img_lowerdirs(const struct img_store *s, const char *id, char *out, size_t size,
		  struct error *err)
{
	char layers[IMG_MAX_LAYERS][STORE_LAYER_LEN + 1], dir[PATH_MAX];
	size_t len = 0;
	int n = store_image_layers(s->db, id, layers, IMG_MAX_LAYERS, err);

	if (n < 0)
		return -1;
	out[0] = '\0';
	/* overlayfs's lowerdir= lists the top layer first */
	for (int i = n - 1; i >= 0; i--) {
		layer_dir(s, layers[i], dir, sizeof(dir));
		if (!exists(dir))
			return err_set(err, "image %.19s: its layer %s is missing", id, dir);
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? ":" : "", dir);
		if (len >= size)
			return err_errno(err, ENAMETOOLONG, "image %.19s: its layers' paths", id);
	}
	return 0;
}
