/*
 * store.c: the people's store in SQLite (why a database and not files:
 * store.h, and RUNTIME.md's "Where things live").
 *
 * SQLite (Debian's libsqlite3) gives what hand-made lock files and rename
 * dances only approximate: a UNIQUE constraint checked inside the write,
 * every statement all or nothing, readers that never see half a change.
 * WAL lets `cell ps` read while a monitor writes; the busy timeout makes
 * fifty `cell run` started at once wait their turn instead of failing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

/* a writer waits up to this long for another one to finish */
#define BUSY_TIMEOUT_MS 30000

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS containers ("
	" id TEXT PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" state TEXT NOT NULL,"
	" rootfs TEXT NOT NULL,"
	" command TEXT NOT NULL,"
	" config TEXT NOT NULL,"
	" rm INTEGER NOT NULL, tty INTEGER NOT NULL, interactive INTEGER NOT NULL,"
	" restart TEXT NOT NULL, restart_max INTEGER NOT NULL, restarts INTEGER NOT NULL,"
	" stopping INTEGER NOT NULL,"
	" pid INTEGER NOT NULL, pid_start INTEGER NOT NULL,"
	" monitor INTEGER NOT NULL, monitor_start INTEGER NOT NULL,"
	" has_exit INTEGER NOT NULL, exit_code INTEGER NOT NULL, oom INTEGER NOT NULL,"
	" created TEXT NOT NULL, started TEXT NOT NULL, finished TEXT NOT NULL,"
	" seq INTEGER NOT NULL);"
	/* a subnet is one container's (--ip): its host end owns the subnet's route */
	"CREATE TABLE IF NOT EXISTS subnets ("
	" subnet TEXT PRIMARY KEY,"
	" id TEXT NOT NULL);"
	/* networks and volumes: cell network, cell volume. A network's bridge
	 * is cell<N>; the default network, cell, has cell0. A lease is a
	 * running container's address on a network, and its name there; a
	 * port is a container's from its create to its rm. */
	"CREATE TABLE IF NOT EXISTS networks ("
	" name TEXT PRIMARY KEY,"
	" bridge TEXT NOT NULL UNIQUE,"
	" subnet TEXT NOT NULL UNIQUE,"
	" created TEXT NOT NULL);"
	"INSERT OR IGNORE INTO networks (name, bridge, subnet, created) VALUES ('" STORE_DEFAULT_NET
	"', 'cell0', '" STORE_DEFAULT_SUBNET "', '');"
	"CREATE TABLE IF NOT EXISTS leases ("
	" network TEXT NOT NULL,"
	" addr INTEGER NOT NULL,"
	" id TEXT NOT NULL UNIQUE,"
	" name TEXT NOT NULL,"
	" PRIMARY KEY (network, addr));"
	"CREATE TABLE IF NOT EXISTS ports ("
	" proto TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" id TEXT NOT NULL,"
	" PRIMARY KEY (proto, port));"
	"CREATE TABLE IF NOT EXISTS volumes ("
	" name TEXT PRIMARY KEY,"
	" created TEXT NOT NULL);"
	/* -v SRC:DST:rshared: which running container shares which host path;
	 * made: cell bound it onto itself (to unmount after the last) */
	"CREATE TABLE IF NOT EXISTS shares ("
	" path TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" made INTEGER NOT NULL,"
	" PRIMARY KEY (path, id));"
	/* a host setting cell changed, with the value it had before (restored
	 * when nothing needs the change any more): ip_forward for --nat */
	"CREATE TABLE IF NOT EXISTS host ("
	" key TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL);"

	/*
	 * The images (image.c). An image is its config (the OCI image config's
	 * text, whose sha256 is its id) and its layers, bottom first, each a
	 * directory LIB/layers/HEX named by the sha256 of its uncompressed tar
	 * (the config's rootfs.diff_ids). A name (REPO:TAG or REPO@DIGEST) is
	 * one image's; a container created from an image is listed with it, so
	 * that the image cannot go while the container is there.
	 */
	"CREATE TABLE IF NOT EXISTS images ("
	" id TEXT PRIMARY KEY,"
	" config TEXT NOT NULL,"
	" created TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS image_layers ("
	" image TEXT NOT NULL,"
	" pos INTEGER NOT NULL,"
	" layer TEXT NOT NULL,"
	" PRIMARY KEY (image, pos));"
	"CREATE TABLE IF NOT EXISTS image_names ("
	" name TEXT PRIMARY KEY,"
	" image TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS image_users ("
	" container TEXT PRIMARY KEY,"
	" image TEXT NOT NULL)";

/* columns added since a store was first made: an error when the column is
 * there already, which is ignored */
static const char *const added_columns[] = {
	"ALTER TABLE networks ADD COLUMN nat INTEGER NOT NULL DEFAULT 0",
};

/* The columns a record is read from, in struct record's order. */
#define COLUMNS                                                                             \
	"id, name, state, rootfs, command, rm, tty, interactive, restart, restart_max, "    \
	"restarts, stopping, pid, pid_start, monitor, monitor_start, has_exit, exit_code, " \
	"oom, created, started, finished"

static int db_fail(sqlite3 *db, struct error *err, const char *what)
{
	return err_set(err, "the store: %s: %s", what, sqlite3_errmsg(db));
}

int store_open(const char *lib, sqlite3 **db, struct error *err)
{
	char path[PATH_MAX];

	int fd;

	/* 0711: a container's root in a user namespace must pass through to
	 * its bundle; the database itself is root's alone (its WAL and shared
	 * memory files take its mode) */
	if (mkdir(lib, 0711) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir %s", lib);
	snprintf(path, sizeof(path), "%s/cell.db", lib);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	close(fd);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		err_set(err, "open %s: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		return -1;
	}
	sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
	/* synchronous=FULL: a change that returned survives a power cut too */
	if (sqlite3_exec(*db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
			 NULL) != SQLITE_OK ||
	    sqlite3_exec(*db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(*db, err, path);
		sqlite3_close(*db);
		return -1;
	}
	for (size_t i = 0; i < sizeof(added_columns) / sizeof(added_columns[0]); i++)
		sqlite3_exec(*db, added_columns[i], NULL, NULL, NULL);
	return 0;
}

void store_close(sqlite3 *db)
{
	sqlite3_close(db);
}

static void copy_text(char *dst, size_t size, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void read_row(sqlite3_stmt *s, struct record *r)
{
	int c = 0;

	memset(r, 0, sizeof(*r));
	copy_text(r->id, sizeof(r->id), s, c++);
	copy_text(r->name, sizeof(r->name), s, c++);
	copy_text(r->state, sizeof(r->state), s, c++);
	copy_text(r->rootfs, sizeof(r->rootfs), s, c++);
	copy_text(r->command, sizeof(r->command), s, c++);
	r->rm = sqlite3_column_int(s, c++);
	r->tty = sqlite3_column_int(s, c++);
	r->interactive = sqlite3_column_int(s, c++);
	copy_text(r->restart, sizeof(r->restart), s, c++);
	r->restart_max = sqlite3_column_int(s, c++);
	r->restarts = sqlite3_column_int(s, c++);
	r->stopping = sqlite3_column_int(s, c++);
	r->pid = (pid_t)sqlite3_column_int64(s, c++);
	r->pid_start = (unsigned long long)sqlite3_column_int64(s, c++);
	r->monitor = (pid_t)sqlite3_column_int64(s, c++);
	r->monitor_start = (unsigned long long)sqlite3_column_int64(s, c++);
	r->has_exit = sqlite3_column_int(s, c++);
	r->exit_code = sqlite3_column_int(s, c++);
	r->oom = sqlite3_column_int(s, c++);
	copy_text(r->created, sizeof(r->created), s, c++);
	copy_text(r->started, sizeof(r->started), s, c++);
	copy_text(r->finished, sizeof(r->finished), s, c++);
}

/* Binds the mutable fields, from ?2 on, in the order of the UPDATE below. */
static void bind_fields(sqlite3_stmt *s, const struct record *r)
{
	int c = 2;

	sqlite3_bind_text(s, c++, r->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, c++, r->rootfs, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, c++, r->command, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, c++, r->rm);
	sqlite3_bind_int(s, c++, r->tty);
	sqlite3_bind_int(s, c++, r->interactive);
	sqlite3_bind_text(s, c++, r->restart, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, c++, r->restart_max);
	sqlite3_bind_int(s, c++, r->restarts);
	sqlite3_bind_int(s, c++, r->stopping);
	sqlite3_bind_int64(s, c++, r->pid);
	sqlite3_bind_int64(s, c++, (sqlite3_int64)r->pid_start);
	sqlite3_bind_int64(s, c++, r->monitor);
	sqlite3_bind_int64(s, c++, (sqlite3_int64)r->monitor_start);
	sqlite3_bind_int(s, c++, r->has_exit);
	sqlite3_bind_int(s, c++, r->exit_code);
	sqlite3_bind_int(s, c++, r->oom);
	sqlite3_bind_text(s, c++, r->created, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, c++, r->started, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, c++, r->finished, -1, SQLITE_STATIC);
}

int store_insert(sqlite3 *db, const struct record *r, const char *config, struct error *err)
{
	static const char sql[] =
		"INSERT INTO containers (id, state, rootfs, command, rm, tty, interactive,"
		" restart, restart_max, restarts, stopping, pid, pid_start, monitor,"
		" monitor_start, has_exit, exit_code, oom, created, started, finished, name,"
		" config, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
		" (SELECT IFNULL(MAX(seq), 0) + 1 FROM containers))";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "insert");
	sqlite3_bind_text(s, 1, r->id, -1, SQLITE_STATIC);
	bind_fields(s, r);
	sqlite3_bind_text(s, 22, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 23, config, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return err_set(err, "the name %s is already in use", r->name);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "insert");
	return 0;
}

/*
 * Runs SQL with ?1 = ARG and reads its first row: into the record R, or
 * when R is NULL its first column into TEXT (SIZE bytes). The number of
 * rows seen, up to 2, so that a caller can tell one from several.
 */
static int select_first(sqlite3 *db, const char *sql, const char *arg, struct record *r, char *text,
			size_t size, struct error *err)
{
	sqlite3_stmt *s;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 2) {
		if (n++ > 0)
			continue;
		if (r != NULL)
			read_row(s, r);
		else
			copy_text(text, size, s, 0);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, err, "select");
	return n;
}

static int select_rows(sqlite3 *db, const char *sql, const char *arg, struct record *r,
		       struct error *err)
{
	return select_first(db, sql, arg, r, NULL, 0, err);
}

static int select_text(sqlite3 *db, const char *sql, const char *arg, char *out, size_t size,
		       struct error *err)
{
	return select_first(db, sql, arg, NULL, out, size, err);
}

int store_find(sqlite3 *db, const char *ref, struct record *r, struct error *err)
{
	int n;

	if (*ref == '\0')
		return err_set(err, "no such container: \"\"");
	n = select_rows(db, "SELECT " COLUMNS " FROM containers WHERE id = ?1 OR name = ?1", ref, r,
			err);
	if (n == 1 || n < 0)
		return n < 0 ? -1 : 0;
	/* a prefix of the id, as ps shows it: only if one container has it */
	if (strspn(ref, "0123456789abcdef") == strlen(ref)) {
		n = select_rows(db,
				"SELECT " COLUMNS " FROM containers WHERE substr(id, 1, length(?1))"
				" = ?1",
				ref, r, err);
		if (n < 0)
			return -1;
		if (n == 1)
			return 0;
		if (n > 1)
			return err_set(err, "%s: more than one container's id starts so: give more",
				       ref);
	}
	return err_set(err, "no such container: %s", ref);
}

int store_reload(sqlite3 *db, struct record *r, struct error *err)
{
	char id[sizeof(r->id)];
	int n;

	snprintf(id, sizeof(id), "%s", r->id);
	n = select_rows(db, "SELECT " COLUMNS " FROM containers WHERE id = ?1", id, r, err);
	if (n < 0)
		return -1;
	if (n == 0)
		snprintf(r->id, sizeof(r->id), "%s", id);
	return n == 0 ? 1 : 0;
}

int store_change(sqlite3 *db, struct error *err, const char *sql, const char *types, ...)
{
	sqlite3_stmt *s;
	va_list ap;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "update");
	va_start(ap, types);
	for (int i = 0; types[i] != '\0'; i++) {
		if (types[i] == 's')
			sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(s, i + 1, va_arg(ap, long long));
	}
	va_end(ap);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "update");
	return sqlite3_changes(db);
}

int store_delete(sqlite3 *db, const char *id, struct error *err)
{
	/* one transaction: the container, its subnet and its image's hold go together */
	if (store_begin(db, err) < 0)
		return -1;
	if (store_change(db, err, "DELETE FROM subnets WHERE id = ?1", "s", id) < 0 ||
	    store_change(db, err, "DELETE FROM ports WHERE id = ?1", "s", id) < 0 ||
	    store_change(db, err, "DELETE FROM image_users WHERE container = ?1", "s", id) < 0 ||
	    store_change(db, err, "DELETE FROM containers WHERE id = ?1", "s", id) < 0) {
		store_rollback(db);
		return -1;
	}
	return store_commit(db, err);
}

int store_claim_subnet(sqlite3 *db, const char *id, const char *subnet, struct error *err)
{
	struct record other;
	int n = store_change(db, err, "INSERT OR IGNORE INTO subnets (subnet, id) VALUES (?1, ?2)",
			     "ss", subnet, id);

	if (n < 0)
		return -1;
	if (n == 1)
		return 0;
	if (select_rows(db,
			"SELECT " COLUMNS " FROM containers WHERE id ="
			" (SELECT id FROM subnets WHERE subnet = ?1)",
			subnet, &other, err) == 1)
		return err_set(err, "--ip: the subnet %s is container %s's", subnet, other.name);
	return err_set(err, "--ip: the subnet %s is taken", subnet);
}

int store_config(sqlite3 *db, const char *id, char **config, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT config FROM containers WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*config = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return err_set(err, "no such container: %s", id);
	return 0;
}

int store_each(sqlite3 *db, int (*fn)(struct record *r, void *arg), void *arg, struct error *err)
{
	struct record *all = NULL, *grown;
	size_t n = 0;
	sqlite3_stmt *s;
	int rc;

	/* read them all first: FN may write to the store */
	if (sqlite3_prepare_v2(db, "SELECT " COLUMNS " FROM containers ORDER BY seq", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		grown = realloc(all, (n + 1) * sizeof(*all));
		if (grown == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		all = grown;
		read_row(s, &all[n++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(all);
		return db_fail(db, err, "select");
	}
	for (size_t i = 0; i < n; i++)
		if (fn(&all[i], arg) < 0)
			break;
	free(all);
	return 0;
}

/* ---- transactions, networks, leases, ports, volumes ---- */

int store_begin(sqlite3 *db, struct error *err)
{
	/* IMMEDIATE: the write lock now, so that what is read next is still
	 * true when the transaction writes */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, err, "begin");
	return 0;
}

int store_commit(sqlite3 *db, struct error *err)
{
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, err, "commit");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void store_rollback(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Ends the transaction store_begin() began: commits when RET is not
 * negative, and then returns RET; rolls back otherwise. */
static int end(sqlite3 *db, int ret, struct error *err)
{
	if (ret < 0) {
		store_rollback(db);
		return ret;
	}
	return store_commit(db, err) < 0 ? -1 : ret;
}

static int parse_subnet(const char *text, uint32_t *net, int *prefix)
{
	unsigned int b[4];

	if (sscanf(text, "%u.%u.%u.%u/%d", &b[0], &b[1], &b[2], &b[3], prefix) != 5)
		return -1;
	*net = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	return 0;
}

static void read_network(sqlite3_stmt *s, struct store_network *n)
{
	memset(n, 0, sizeof(*n));
	copy_text(n->name, sizeof(n->name), s, 0);
	copy_text(n->bridge, sizeof(n->bridge), s, 1);
	copy_text(n->subnet, sizeof(n->subnet), s, 2);
	copy_text(n->created, sizeof(n->created), s, 3);
	n->leases = sqlite3_column_int(s, 4);
	n->nat = sqlite3_column_int(s, 5) != 0;
	parse_subnet(n->subnet, &n->net, &n->prefix);
}

#define NET_COLUMNS                                                                   \
	"name, bridge, subnet, created, (SELECT COUNT(*) FROM leases WHERE network =" \
	" networks.name), nat"

int store_network_get(sqlite3 *db, const char *name, struct store_network *n, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " NET_COLUMNS " FROM networks WHERE name = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_network(s, n);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "select");
	return err_set(err, "no such network: %s", name);
}

int store_network_each(sqlite3 *db, int (*fn)(const struct store_network *n, void *arg), void *arg,
		       struct error *err)
{
	struct store_network n;
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT " NET_COLUMNS " FROM networks ORDER BY bridge", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_network(s, &n);
		if (fn(&n, arg) < 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "select");
}

/* Whether SUBNET overlaps a network's; its name in OTHER. */
static int overlaps(sqlite3 *db, uint32_t net, int prefix, char *other, size_t size,
		    struct error *err)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	if (sqlite3_prepare_v2(db, "SELECT " NET_COLUMNS " FROM networks", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_fail(db, err, "select");
	while (!found && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_network n;
		uint32_t mask;

		read_network(s, &n);
		mask = ~0u << (32 - (n.prefix < prefix ? n.prefix : prefix));
		if ((n.net & mask) == (net & mask)) {
			snprintf(other, size, "%s", n.name);
			found = 1;
		}
	}
	sqlite3_finalize(s);
	return found;
}

int store_network_add(sqlite3 *db, const char *name, const char *subnet, bool nat,
		      const char *created, struct store_network *n, struct error *err)
{
	char other[64], bridge[16], text[32];
	uint32_t net = 0;
	int prefix = 24, number, ret = -1;
	sqlite3_stmt *s;

	if (store_begin(db, err) < 0)
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT IFNULL(MAX(CAST(substr(bridge, 5) AS INTEGER)), 0) + 1"
			       " FROM networks",
			       -1, &s, NULL) != SQLITE_OK) {
		db_fail(db, err, "select");
		goto out;
	}
	sqlite3_step(s);
	number = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	snprintf(bridge, sizeof(bridge), "cell%d", number);
	if (subnet != NULL) {
		if (parse_subnet(subnet, &net, &prefix) < 0) {
			err_set(err, "--subnet %s: not a subnet", subnet);
			goto out;
		}
	} else {
		/* 10.89.N.0/24, the first that no network has */
		for (int i = 0; i < 256; i++) {
			net = (10u << 24 | 89u << 16 | (uint32_t)((number + i) % 256) << 8);
			if (overlaps(db, net, prefix, other, sizeof(other), err) == 0)
				break;
		}
	}
	switch (overlaps(db, net, prefix, other, sizeof(other), err)) {
	case 0:
		break;
	case 1:
		err_set(err, "%s%s: the network %s has addresses in it", subnet ? "--subnet " : "",
			subnet ? subnet : "no subnet left in 10.89.0.0/16", other);
		/* fall through */
	default:
		goto out;
	}
	snprintf(text, sizeof(text), "%u.%u.%u.%u/%d", net >> 24, net >> 16 & 255, net >> 8 & 255,
		 net & 255, prefix);
	if (store_change(db, err,
			 "INSERT INTO networks (name, bridge, subnet, created, nat) VALUES"
			 " (?1, ?2, ?3, ?4, ?5)",
			 "ssssi", name, bridge, text, created, (long long)nat) < 0) {
		if (strstr(err->msg, "UNIQUE") != NULL)
			err_set(err, "the network %s exists", name);
		goto out;
	}
	if (store_commit(db, err) < 0)
		return -1;
	return store_network_get(db, name, n, err);
out:
	store_rollback(db);
	return ret;
}

int store_network_rm(sqlite3 *db, const char *name, struct error *err)
{
	struct store_network n;
	int ret = -1;

	if (store_begin(db, err) < 0)
		return -1;
	if (store_network_get(db, name, &n, err) < 0)
		goto out;
	if (n.leases > 0) {
		err_set(err, "network %s: %d container%s on it", name, n.leases,
			n.leases == 1 ? " is" : "s are");
		goto out;
	}
	if (store_change(db, err, "DELETE FROM networks WHERE name = ?1", "s", name) < 0)
		goto out;
	return store_commit(db, err);
out:
	store_rollback(db);
	return ret;
}

int store_lease(sqlite3 *db, const char *network, const char *id, const char *name,
		struct store_network *n, uint32_t *addr, struct error *err)
{
	uint32_t mask, want;
	sqlite3_stmt *s;
	int rc;

	if (store_network_get(db, network, n, err) < 0)
		return -1;
	/* a container restarted by its monitor keeps its address */
	if (sqlite3_prepare_v2(db, "SELECT addr FROM leases WHERE id = ?1 AND network = ?2", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, network, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*addr = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	mask = ~0u << (32 - n->prefix);
	/* the lowest free address: .1 is the bridge's, the last the broadcast */
	want = n->net + 2;
	if (sqlite3_prepare_v2(db, "SELECT addr FROM leases WHERE network = ?1 ORDER BY addr", -1,
			       &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint32_t a = (uint32_t)sqlite3_column_int64(s, 0);

		if (a > want)
			break;
		if (a == want)
			want++;
	}
	sqlite3_finalize(s);
	if ((want | mask) == ~0u)
		return err_set(err, "network %s: no address left in %s", network, n->subnet);
	if (store_change(db, err, "INSERT INTO leases VALUES (?1, ?2, ?3, ?4)", "siss", network,
			 (long long)want, id, name) < 0)
		return -1;
	*addr = want;
	n->leases++;
	return 0;
}

int store_release(sqlite3 *db, const char *id, struct store_network *n, struct error *err)
{
	sqlite3_stmt *s;
	char network[64] = "";

	if (sqlite3_prepare_v2(db, "SELECT network FROM leases WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		copy_text(network, sizeof(network), s, 0);
	sqlite3_finalize(s);
	if (network[0] == '\0')
		return 0;
	if (store_change(db, err, "DELETE FROM leases WHERE id = ?1", "s", id) < 0)
		return -1;
	return store_network_get(db, network, n, err) < 0 ? -1 : 1;
}

int store_hosts(sqlite3 *db, const char *network, char *buf, size_t size, struct error *err)
{
	sqlite3_stmt *s;
	size_t used;
	int rc;

	used = (size_t)snprintf(buf, size, "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
	if (sqlite3_prepare_v2(db,
			       "SELECT addr, name, substr(id, 1, 12) FROM leases WHERE network = ?1"
			       " ORDER BY addr",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, network, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && used < size) {
		uint32_t a = (uint32_t)sqlite3_column_int64(s, 0);

		used += (size_t)snprintf(buf + used, size - used, "%u.%u.%u.%u\t%s %s\n", a >> 24,
					 a >> 16 & 255, a >> 8 & 255, a & 255,
					 (const char *)sqlite3_column_text(s, 1),
					 (const char *)sqlite3_column_text(s, 2));
	}
	sqlite3_finalize(s);
	if (used >= size)
		return err_set(err, "network %s: its hosts file is too long", network);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_fail(db, err, "select");
}

int store_claim_port(sqlite3 *db, const char *id, const char *proto, int port, struct error *err)
{
	char other[STORE_ID_LEN + 1] = "", name[128] = "";
	sqlite3_stmt *s;
	int n = store_change(db, err, "INSERT OR IGNORE INTO ports VALUES (?1, ?2, ?3)", "sis",
			     proto, (long long)port, id);

	if (n < 0)
		return -1;
	if (n == 1)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT p.id, IFNULL(c.name, '') FROM ports p LEFT JOIN containers c"
			       " ON c.id = p.id WHERE p.proto = ?1 AND p.port = ?2",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, proto, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, port);
	if (sqlite3_step(s) == SQLITE_ROW) {
		copy_text(other, sizeof(other), s, 0);
		copy_text(name, sizeof(name), s, 1);
	}
	sqlite3_finalize(s);
	return err_set(err, "-p: the host's port %d/%s is container %s's", port, proto,
		       name[0] ? name : other);
}

int store_volume_add(sqlite3 *db, const char *name, const char *created, struct error *err)
{
	int n = store_change(db, err, "INSERT OR IGNORE INTO volumes VALUES (?1, ?2)", "ss", name,
			     created);

	return n < 0 ? -1 : n;
}

int store_volume_rm(sqlite3 *db, const char *name, struct error *err)
{
	int n = store_change(db, err, "DELETE FROM volumes WHERE name = ?1", "s", name);

	if (n == 0)
		return err_set(err, "no such volume: %s", name);
	return n < 0 ? -1 : 0;
}

int store_volume_each(sqlite3 *db, int (*fn)(const char *name, const char *created, void *arg),
		      void *arg, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT name, created FROM volumes ORDER BY name", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn((const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1), arg) < 0) {
			rc = SQLITE_DONE;
			break;
		}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "select");
}

int store_share_add(sqlite3 *db, const char *path, const char *id, bool made, struct error *err)
{
	return store_change(db, err, "INSERT OR REPLACE INTO shares VALUES (?1, ?2, ?3)", "ssi",
			    path, id, (long long)made) < 0
		       ? -1
		       : 0;
}

int store_share_release(sqlite3 *db, const char *id, int (*fn)(const char *path, void *arg),
			void *arg, struct error *err)
{
	char(*paths)[PATH_MAX] = NULL;
	int n = 0, ret = -1, *made = NULL;
	sqlite3_stmt *s;

	if (store_begin(db, err) < 0)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT path, made FROM shares WHERE id = ?1", -1, &s, NULL) !=
	    SQLITE_OK) {
		db_fail(db, err, "select");
		goto out;
	}
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		void *p = realloc(paths, (size_t)(n + 1) * sizeof(*paths));
		void *q = realloc(made, (size_t)(n + 1) * sizeof(*made));

		if (p != NULL)
			paths = p;
		if (q != NULL)
			made = q;
		if (p == NULL || q == NULL)
			break;
		copy_text(paths[n], sizeof(paths[n]), s, 0);
		made[n++] = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	if (store_change(db, err, "DELETE FROM shares WHERE id = ?1", "s", id) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		int left =
			store_change(db, err, "UPDATE shares SET made = made OR ?2 WHERE path = ?1",
				     "si", paths[i], (long long)made[i]);

		if (left < 0)
			goto out;
		/* the last container sharing a path cell made a mount point */
		if (left == 0 && made[i] && fn(paths[i], arg) < 0)
			goto out;
	}
	ret = store_commit(db, err);
	free(paths);
	free(made);
	return ret;
out:
	store_rollback(db);
	free(paths);
	free(made);
	return -1;
}

int store_used_path(sqlite3 *db, const char *path, char *name, size_t size, struct error *err)
{
	sqlite3_stmt *s;
	char *quoted;
	int rc;

	/* config.json names it (a bind's source, or in the annotation of -v
	 * SRC:DST:rshared) */
	if (asprintf(&quoted, "%%%s%%", path) < 0)
		return err_set(err, "out of memory");
	if (sqlite3_prepare_v2(db, "SELECT name FROM containers WHERE config LIKE ?1", -1, &s,
			       NULL) != SQLITE_OK) {
		free(quoted);
		return db_fail(db, err, "select");
	}
	sqlite3_bind_text(s, 1, quoted, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		copy_text(name, size, s, 0);
	sqlite3_finalize(s);
	free(quoted);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_fail(db, err, "select");
}

/* ---- images (image.c keeps their layers; these are their records) ---- */

int store_image_add(sqlite3 *db, const char *id, const char *config, const char *created,
		    char (*layers)[STORE_LAYER_LEN + 1], int n, const char *const *names,
		    struct error *err)
{
	int ret;

	if (store_begin(db, err) < 0)
		return -1;
	ret = store_change(db, err,
			   "INSERT OR IGNORE INTO images (id, config, created) VALUES (?1, ?2, ?3)",
			   "sss", id, config, created);
	/* a new row: its layers too (the same id is the same config, so the
	 * same diff_ids) */
	for (int i = 0; ret == 1 && i < n; i++)
		if (store_change(db, err,
				 "INSERT INTO image_layers (image, pos, layer) VALUES (?1, ?2, ?3)",
				 "sis", id, (long long)i, layers[i]) < 0)
			ret = -1;
	/* a name moves to the new image, as docker's tags do */
	for (int i = 0; ret >= 0 && names != NULL && names[i] != NULL; i++)
		if (store_change(db, err,
				 "INSERT OR REPLACE INTO image_names (name, image) VALUES (?1, ?2)",
				 "ss", names[i], id) < 0)
			ret = -1;
	return end(db, ret, err);
}

int store_image_find(sqlite3 *db, const char *ref, char *id, size_t size, struct error *err)
{
	char with_tag[512];
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	int n;

	n = select_text(db, "SELECT image FROM image_names WHERE name = ?1", ref, id, size, err);
	if (n != 0)
		return n < 0 ? -1 : 0;
	/* NAME is NAME:latest, as podman's */
	snprintf(with_tag, sizeof(with_tag), "%s:latest", ref);
	if (strchr(ref, '@') == NULL &&
	    strchr(strrchr(ref, '/') ? strrchr(ref, '/') : ref, ':') == NULL &&
	    (n = select_text(db, "SELECT image FROM image_names WHERE name = ?1", with_tag, id,
			     size, err)) != 0)
		return n < 0 ? -1 : 0;
	if (*hex != '\0' && strspn(hex, "0123456789abcdef") == strlen(hex)) {
		n = select_text(db, "SELECT id FROM images WHERE substr(id, 8, length(?1)) = ?1",
				hex, id, size, err);
		if (n == 1 || n < 0)
			return n < 0 ? -1 : 0;
		if (n > 1)
			return err_set(err, "%s: more than one image's id starts so: give more",
				       ref);
	}
	return err_set(err, "no such image: %s", ref);
}

int store_image_config(sqlite3 *db, const char *id, char **config, struct error *err)
{
	char *text;
	int n;

	text = malloc(STORE_CONFIG_MAX);
	if (text == NULL)
		return err_errno(err, ENOMEM, "image %s", id);
	n = select_text(db, "SELECT config FROM images WHERE id = ?1", id, text, STORE_CONFIG_MAX,
			err);
	if (n <= 0) {
		free(text);
		return n < 0 ? -1 : err_set(err, "no such image: %s", id);
	}
	*config = text;
	return 0;
}

int store_image_layers(sqlite3 *db, const char *id, char (*layers)[STORE_LAYER_LEN + 1], int max,
		       struct error *err)
{
	sqlite3_stmt *s;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db, "SELECT layer FROM image_layers WHERE image = ?1 ORDER BY pos",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < max)
		copy_text(layers[n++], STORE_LAYER_LEN + 1, s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return err_set(err, "image %s: more than %d layers", id, max);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "select");
	return n;
}

int store_image_each(sqlite3 *db,
		     int (*fn)(const char *name, const char *id, const char *created, void *arg),
		     void *arg, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	/* every image with each of its names, one without any once, with a NULL name */
	if (sqlite3_prepare_v2(
		    db,
		    "SELECT n.name, i.id, i.created FROM images i LEFT JOIN image_names n"
		    " ON n.image = i.id ORDER BY i.created DESC, n.name",
		    -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn((const char *)sqlite3_column_text(s, 0),
		       (const char *)sqlite3_column_text(s, 1),
		       (const char *)sqlite3_column_text(s, 2), arg) < 0)
			break;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, err, "select");
	return 0;
}

int store_image_names(sqlite3 *db, const char *id, int (*fn)(const char *name, void *arg),
		      void *arg, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT name FROM image_names WHERE image = ?1 ORDER BY name",
			       -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (fn((const char *)sqlite3_column_text(s, 0), arg) < 0)
			break;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, err, "select");
	return 0;
}

int store_image_use(sqlite3 *db, const char *container, const char *image, struct error *err)
{
	int n = store_change(db, err,
			     "INSERT INTO image_users (container, image) SELECT ?1, id FROM images"
			     " WHERE id = ?2",
			     "ss", container, image);

	if (n == 0)
		return err_set(err, "image %.19s was removed meanwhile", image);
	return n < 0 ? -1 : 0;
}

int store_container_image(sqlite3 *db, const char *container, char *image, size_t size,
			  struct error *err)
{
	return select_text(db, "SELECT image FROM image_users WHERE container = ?1", container,
			   image, size, err);
}

int store_image_remove(sqlite3 *db, const char *name, const char *id, char *user, size_t size,
		       struct error *err)
{
	int ret, n;

	if (store_begin(db, err) < 0)
		return -1;
	/* one of several names: the name goes, the image stays */
	if (name != NULL) {
		n = select_text(db,
				"SELECT name FROM image_names WHERE image = (SELECT image FROM"
				" image_names WHERE name = ?1) AND name != ?1",
				name, user, size, err);
		if (n > 0) {
			ret = store_change(db, err, "DELETE FROM image_names WHERE name = ?1", "s",
					   name);
			return end(db, ret < 0 ? -1 : 0, err);
		}
		if (n < 0)
			return end(db, -1, err);
	}
	n = select_text(db,
			"SELECT c.name FROM image_users u JOIN containers c ON c.id = u.container"
			" WHERE u.image = ?1",
			id, user, size, err);
	if (n != 0)
		return end(db, n < 0 ? -1 : 2, err);
	ret = store_change(db, err, "DELETE FROM image_names WHERE image = ?1", "s", id) < 0 ||
			      store_change(db, err, "DELETE FROM image_layers WHERE image = ?1",
					   "s", id) < 0 ||
			      store_change(db, err, "DELETE FROM images WHERE id = ?1", "s", id) < 0
		      ? -1
		      : 1;
	return end(db, ret, err);
}

int store_layer_used(sqlite3 *db, const char *layer, struct error *err)
{
	char one[8];
	int n = select_text(db,
			    "SELECT 1 FROM image_layers WHERE layer = ?1 UNION ALL"
			    " SELECT 1 FROM containers WHERE instr(rootfs, ?1) > 0",
			    layer, one, sizeof(one), err);

	return n < 0 ? -1 : n > 0;
}

int store_nat_networks(sqlite3 *db)
{
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM networks WHERE nat", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

int store_host_get(sqlite3 *db, const char *key, int *value, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT value FROM host WHERE key = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, err, "select");
	return rc == SQLITE_ROW;
}

int store_host_set(sqlite3 *db, const char *key, int value, struct error *err)
{
	return store_change(db, err, "INSERT INTO host VALUES (?1, ?2)", "si", key,
			    (long long)value) < 0
		       ? -1
		       : 0;
}

int store_host_forget(sqlite3 *db, const char *key, struct error *err)
{
	return store_change(db, err, "DELETE FROM host WHERE key = ?1", "s", key) < 0 ? -1 : 0;
}

int store_lease_of(sqlite3 *db, const char *id, struct store_network *n, uint32_t *addr,
		   struct error *err)
{
	char network[64] = "";
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT network, addr FROM leases WHERE id = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		copy_text(network, sizeof(network), s, 0);
		*addr = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : db_fail(db, err, "select");
	return store_network_get(db, network, n, err) < 0 ? -1 : 1;
}
