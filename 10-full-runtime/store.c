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
	" id TEXT NOT NULL)";

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

/* Runs SQL with ?1 = ARG and reads the rows into R; the number read (up to 2). */
static int select_rows(sqlite3 *db, const char *sql, const char *arg, struct record *r,
		       struct error *err)
{
	sqlite3_stmt *s;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err, "select");
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 2)
		if (n++ == 0)
			read_row(s, r);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, err, "select");
	return n;
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
	/* one transaction: the container and its subnet go together */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, err, "begin");
	if (store_change(db, err, "DELETE FROM subnets WHERE id = ?1", "s", id) < 0 ||
	    store_change(db, err, "DELETE FROM containers WHERE id = ?1", "s", id) < 0) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, err, "commit");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
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
