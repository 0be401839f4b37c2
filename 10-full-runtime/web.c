/*
 * web.c: cell web, a page that shows the containers live, served by cell
 * itself in the foreground (no daemon): `cell web [--listen ADDR:PORT]`.
 *
 * A front end like cli.c: what it shows comes from the same store and the
 * same probes (probe.c) as `cell ps`, `inspect`, `stats` and `top`, and
 * its actions are the command line's own commands.
 *
 *   GET  /                           the page (web.html and web.js, built in)
 *   GET  /api/containers             every container: state, image, uptime, CPU, memory
 *   GET  /api/containers/ID          `cell inspect` of it, and the tail of its log
 *   GET  /api/containers/ID/stats    CPU, memory and processes, one sample a second
 *   GET  /api/containers/ID/graph    `cell inspect --graph` drawn as SVG (or DOT)
 *   POST /api/containers/ID          {"action": "start|stop|pause|unpause|rm"}
 *
 * Who may call it: the server listens on 127.0.0.1 unless told otherwise,
 * but every local user, and every web page a local browser opens, can
 * reach 127.0.0.1. So each /api request must carry the token printed at
 * start (X-Cell-Token), which the page reads from its URL's fragment (a
 * fragment is never sent to a server, nor in a Referer); a request whose
 * Host is not this server's is refused, which defeats DNS rebinding (a
 * foreign name made to resolve to 127.0.0.1), and so is one whose Origin
 * is another site's. An action's body must be JSON with that content type,
 * which a cross-site form cannot send.
 *
 * Why libmicrohttpd: an HTTP/1.1 server must parse request lines, headers,
 * bodies sent in chunks, keep-alive and pipelining, and bound each of them;
 * that parsing is where hand-written servers break, and this one faces
 * whatever a browser or a local program sends. GNU's small C library does
 * it, and lets the program keep its own loop (MHD_run_from_select), so one
 * thread serves the requests and takes the samples: nothing is shared.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "container.h"
#include "monitor.h"
#include "probe.h"
#include "store.h"
#include "web.h"

#define EXIT_CELL    125
#define SAMPLES	     120  /* a graph's width: two minutes of samples */
#define URL_MAX	     1024 /* longer request targets are refused (414) */
#define BODY_MAX     4096 /* an action's body */
#define LOG_LINES    40	  /* of a container's log, on its page */
#define TOKEN_BYTES  16
#define DEFAULT_PORT 8080

/* The page and its script, built in by the assembler (as 09-ebpf builds
 * its tracer in): the server needs no file at run time. */
extern const char web_html[], web_html_end[], web_js[], web_js_end[];
__asm__(".pushsection .rodata\n"
	"web_html:\n"
	"	.incbin \"web.html\"\n"
	"web_html_end:\n"
	"web_js:\n"
	"	.incbin \"web.js\"\n"
	"web_js_end:\n"
	".popsection\n");

/* ---- the samples: one a second, for every running container ---- */

struct sample {
	double t;   /* seconds since the epoch */
	double cpu; /* % of one CPU since the sample before */
	long long memory, pids;
};

struct history {
	char id[STORE_ID_LEN + 1];
	struct sample s[SAMPLES]; /* a ring */
	size_t n, next;
	unsigned long long cpu_ns; /* at the last sample */
	struct timespec at;
	long long memory_limit, pids_limit, cpu_quota_us, cpu_period_us;
	bool seen; /* in this round */
};

struct web {
	struct places places;
	sqlite3 *db;
	char exe[PATH_MAX]; /* cell itself, for the actions */
	char token[2 * TOKEN_BYTES + 1];
	char host[64], local_host[64]; /* ADDR:PORT, and localhost:PORT */
	struct history *h;
	size_t n_h;
};

static struct history *history_of(struct web *w, const char *id, bool make)
{
	struct history *grown;

	for (size_t i = 0; i < w->n_h; i++)
		if (strcmp(w->h[i].id, id) == 0)
			return &w->h[i];
	if (!make)
		return NULL;
	grown = realloc(w->h, (w->n_h + 1) * sizeof(*w->h));
	if (grown == NULL)
		return NULL;
	w->h = grown;
	memset(&w->h[w->n_h], 0, sizeof(*w->h));
	snprintf(w->h[w->n_h].id, sizeof(w->h[w->n_h].id), "%s", id);
	return &w->h[w->n_h++];
}

static int sample_one(struct record *r, void *arg)
{
	struct web *w = arg;
	struct cgroup cg = { 0 };
	char core[PATH_MAX];
	struct cg_usage u;
	struct history *h;
	struct timespec now, wall;

	if (mon_refresh(w->db, &w->places, r, &(struct error){ 0 }) == 1 || !probe_init_lives(r))
		return 0;
	mon_core_root(&w->places, core, sizeof(core));
	if (ctr_cgroup(core, r->id, &cg, &(struct error){ 0 }) < 0 ||
	    cg_usage(&cg, &u, &(struct error){ 0 }) < 0)
		return 0;
	h = history_of(w, r->id, true);
	if (h == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &wall);
	h->seen = true;
	h->memory_limit = u.memory_limit;
	h->pids_limit = u.pids_limit;
	h->cpu_quota_us = u.cpu_quota_us;
	h->cpu_period_us = u.cpu_period_us;
	/* CPU % needs two readings: the first only sets the start */
	if (h->at.tv_sec != 0 && u.cpu_ns >= h->cpu_ns) {
		double ns = (double)(now.tv_sec - h->at.tv_sec) * 1e9 +
			    (double)(now.tv_nsec - h->at.tv_nsec);

		h->s[h->next] = (struct sample){
			.t = (double)wall.tv_sec + (double)wall.tv_nsec / 1e9,
			.cpu = ns > 0 ? 100.0 * (double)(u.cpu_ns - h->cpu_ns) / ns : 0,
			.memory = u.memory,
			.pids = u.pids,
		};
		h->next = (h->next + 1) % SAMPLES;
		if (h->n < SAMPLES)
			h->n++;
	}
	h->cpu_ns = u.cpu_ns;
	h->at = now;
	return 0;
}

/* A sample of every running container; the history of one that stopped
 * or went is dropped. */
static void sample_all(struct web *w)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->n_h; i++)
		w->h[i].seen = false;
	store_each(w->db, sample_one, w, &(struct error){ 0 });
	for (size_t i = 0; i < w->n_h; i++)
		if (w->h[i].seen)
			w->h[kept++] = w->h[i];
	w->n_h = kept;
}

static const struct sample *last_sample(const struct history *h)
{
	return h != NULL && h->n > 0 ? &h->s[(h->next + SAMPLES - 1) % SAMPLES] : NULL;
}

/* ---- answers ---- */

struct request {
	char *body;
	size_t len;
	bool too_big;
};

static enum MHD_Result send_bytes(struct MHD_Connection *c, unsigned int status, const char *type,
				  const void *data, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, mode);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	/* the page runs its own script only, and no other site may frame it */
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' blob:; "
				"style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned int status, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	enum MHD_Result ret;

	json_decref(o);
	if (text == NULL)
		return MHD_NO;
	ret = send_bytes(c, status, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE);
	return ret;
}

__attribute__((format(printf, 3, 4))) static enum MHD_Result
send_error(struct MHD_Connection *c, unsigned int status, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(c, status, json_pack("{s:s}", "error", msg));
}

/* ---- GET /api/containers ---- */

static long long seconds_since(const char *when)
{
	struct tm tm = { 0 };

	if (when[0] == '\0' || strptime(when, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return -1;
	return (long long)(time(NULL) - timegm(&tm));
}

struct listing {
	struct web *w;
	json_t *list;
};

static int list_one(struct record *r, void *arg)
{
	struct listing *l = arg;
	const struct history *h = history_of(l->w, r->id, false);
	const struct sample *s = last_sample(h);
	bool up;

	if (mon_refresh(l->w->db, &l->w->places, r, &(struct error){ 0 }) == 1)
		return 0;
	up = strcmp(r->state, "running") == 0 || strcmp(r->state, "paused") == 0;
	json_array_append_new(
		l->list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:f, s:I, s:I}", "Id",
				   r->id, "Name", r->name, "State", r->state, "Image", r->rootfs,
				   "Command", r->command, "StartedAt", r->started, "UptimeSeconds",
				   (json_int_t)(up ? seconds_since(r->started) : -1), "Pid",
				   (int)(up ? r->pid : 0), "Cpu", s != NULL ? s->cpu : 0.0,
				   "Memory", (json_int_t)(s != NULL ? s->memory : 0), "MemoryLimit",
				   (json_int_t)(h != NULL ? h->memory_limit : -1)));
	return 0;
}

static enum MHD_Result get_containers(struct MHD_Connection *c, struct web *w)
{
	struct listing l = { w, json_array() };
	struct error err = { 0 };
	char text[ERR_MSG_MAX + 128];

	if (store_each(w->db, list_one, &l, &err) < 0) {
		json_decref(l.list);
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s",
				  err_text(&err, text, sizeof(text)));
	}
	return send_json(c, MHD_HTTP_OK, l.list);
}

/* ---- GET /api/containers/ID[/stats|/graph] ---- */

static enum MHD_Result get_stats(struct MHD_Connection *c, struct web *w, const struct record *r)
{
	const struct history *h = history_of(w, r->id, false);
	json_t *samples = json_array();

	for (size_t i = 0; h != NULL && i < h->n; i++) {
		const struct sample *s = &h->s[(h->next + SAMPLES - h->n + i) % SAMPLES];

		json_array_append_new(samples, json_pack("{s:f, s:f, s:I, s:I}", "T", s->t, "Cpu",
							 s->cpu, "Memory", (json_int_t)s->memory,
							 "Pids", (json_int_t)s->pids));
	}
	return send_json(
		c, MHD_HTTP_OK,
		json_pack("{s:s, s:s, s:i, s:o, s:I, s:I, s:o}", "Id", r->id, "State", r->state,
			  "IntervalMs", 1000, "CpuLimit",
			  h != NULL && h->cpu_quota_us > 0
				  ? json_real((double)h->cpu_quota_us / (double)h->cpu_period_us)
				  : json_null(),
			  "MemoryLimit", (json_int_t)(h != NULL ? h->memory_limit : -1),
			  "PidsLimit", (json_int_t)(h != NULL ? h->pids_limit : -1), "Samples",
			  samples));
}

static enum MHD_Result get_graph(struct MHD_Connection *c, struct web *w, const struct record *r)
{
	json_t *o = probe_inspect(w->db, &w->places, r);
	char *dot = probe_dot(o), *svg;
	struct error err = { 0 };
	size_t len;

	json_decref(o);
	if (dot == NULL)
		return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	/* without Graphviz, the DOT text itself, which the page shows */
	if (probe_render(dot, "svg", &svg, &len, &err) < 0)
		return send_bytes(c, MHD_HTTP_OK, "text/vnd.graphviz; charset=utf-8", dot,
				  strlen(dot), MHD_RESPMEM_MUST_FREE);
	free(dot);
	return send_bytes(c, MHD_HTTP_OK, "image/svg+xml", svg, len, MHD_RESPMEM_MUST_FREE);
}

/* ---- POST /api/containers/ID: an action ---- */

/*
 * Runs `cell --root LIB --runroot RUN ACTION ID`, the command a person
 * would type, so that a button does what the command does, refusals
 * included; the first line it wrote on stderr says why it failed.
 */
static int run_action(struct web *w, const char *action, const char *id, char *why, size_t size)
{
	char *argv[] = { w->exe,	"--root",	w->places.lib, "--runroot",
			 w->places.run, (char *)action, (char *)id,    NULL };
	int pipefd[2], status = -1;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	why[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(why, size, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
		    dup2(pipefd[1], 2) < 0)
			_exit(EXIT_CELL);
		execv(w->exe, argv);
		_exit(EXIT_CELL);
	}
	close(pipefd[1]);
	while (pid > 0 && len + 1 < size &&
	       ((n = read(pipefd[0], why + len, size - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	why[len] = '\0';
	close(pipefd[0]);
	if (pid < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	why[strcspn(why, "\n")] = '\0';
	if (strncmp(why, "cell: ", 6) == 0)
		memmove(why, why + 6, strlen(why + 6) + 1);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static enum MHD_Result post_action(struct MHD_Connection *c, struct web *w, struct record *r,
				   const struct request *q)
{
	static const char *const actions[] = { "start", "stop", "pause", "unpause", "rm" };
	const char *type =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *action = NULL;
	char why[ERR_MSG_MAX];
	json_error_t jerr;
	json_t *body;
	bool known = false;

	if (type == NULL || strncmp(type, "application/json", 16) != 0)
		return send_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				  "an action's body is JSON: Content-Type: application/json");
	if (q->too_big)
		return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is over %d bytes",
				  BODY_MAX);
	body = json_loadb(q->body != NULL ? q->body : "", q->len, 0, &jerr);
	if (body == NULL)
		return send_error(c, MHD_HTTP_BAD_REQUEST, "the body is not JSON: %s (at byte %d)",
				  jerr.text, jerr.position);
	action = json_string_value(json_object_get(body, "action"));
	for (size_t i = 0; action != NULL && i < sizeof(actions) / sizeof(actions[0]); i++)
		known = known || strcmp(action, actions[i]) == 0;
	if (!known) {
		json_decref(body);
		return send_error(c, MHD_HTTP_BAD_REQUEST,
				  "give {\"action\": ...} with start, stop, pause, unpause or rm");
	}
	if (run_action(w, action, r->id, why, sizeof(why)) < 0) {
		json_decref(body);
		return send_error(c, MHD_HTTP_CONFLICT, "%s", why[0] ? why : "the action failed");
	}
	json_object_set_new(body, "Id", json_string(r->id));
	if (store_reload(w->db, r, &(struct error){ 0 }) == 0)
		json_object_set_new(body, "State", json_string(r->state));
	else
		json_object_set_new(body, "State", json_string("removed"));
	return send_json(c, MHD_HTTP_OK, body);
}

/* ---- who may ask ---- */

/* Compares in a time that does not tell how many bytes matched. */
static bool same_token(const char *given, const char *token)
{
	size_t len = strlen(token);
	unsigned char diff = 0;

	if (given == NULL || strlen(given) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(given[i] ^ token[i]);
	return diff == 0;
}

/* Host must name this server; Origin, when a browser sends one, too. */
static const char *foreign(struct MHD_Connection *c, const struct web *w)
{
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");

	if (host == NULL || (strcmp(host, w->host) != 0 && strcmp(host, w->local_host) != 0))
		return "Host";
	if (origin != NULL &&
	    (strncmp(origin, "http://", 7) != 0 ||
	     (strcmp(origin + 7, w->host) != 0 && strcmp(origin + 7, w->local_host) != 0)))
		return "Origin";
	return NULL;
}

/* 1-128 of the characters of an id or a name. */
static bool plausible_ref(const char *ref, size_t len)
{
	if (len == 0 || len > 128)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((ref[i] >= 'a' && ref[i] <= 'z') || (ref[i] >= 'A' && ref[i] <= 'Z') ||
		      (ref[i] >= '0' && ref[i] <= '9') || strchr("_.-", ref[i]) != NULL))
			return false;
	return true;
}

static enum MHD_Result api(struct MHD_Connection *c, struct web *w, const char *url,
			   const char *method, const struct request *q)
{
	const char *rest = url + strlen("/api/containers"), *slash, *what;
	char ref[129];
	struct error err = { 0 };
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	struct record r;
	size_t len;

	if (!same_token(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Cell-Token"), w->token))
		return send_error(c, MHD_HTTP_UNAUTHORIZED,
				  "give the token cell web printed, in X-Cell-Token");
	if (strncmp(url, "/api/containers", strlen("/api/containers")) != 0 ||
	    (rest[0] != '\0' && rest[0] != '/'))
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such thing: %s", url);
	if (rest[0] == '\0' || strcmp(rest, "/") == 0) {
		if (!get)
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: GET only", url);
		return get_containers(c, w);
	}
	rest++;
	slash = strchr(rest, '/');
	len = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
	what = slash != NULL ? slash + 1 : "";
	if (!plausible_ref(rest, len))
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such container");
	snprintf(ref, sizeof(ref), "%.*s", (int)len, rest);
	if (store_find(w->db, ref, &r, &err) < 0 || mon_refresh(w->db, &w->places, &r, &err) == 1)
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such container: %s", ref);
	if (store_reload(w->db, &r, &err) != 0)
		return send_error(c, MHD_HTTP_NOT_FOUND, "no such container: %s", ref);
	if (what[0] == '\0' && post)
		return post_action(c, w, &r, q);
	if (!get)
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: GET%s", url,
				  what[0] == '\0' ? " or POST" : " only");
	if (what[0] == '\0') {
		json_t *o = probe_inspect(w->db, &w->places, &r);

		json_object_set_new(o, "Logs", probe_log_tail(&w->places, r.id, LOG_LINES));
		return send_json(c, MHD_HTTP_OK, o);
	}
	if (strcmp(what, "stats") == 0)
		return get_stats(c, w, &r);
	if (strcmp(what, "graph") == 0)
		return get_graph(c, w, &r);
	return send_error(c, MHD_HTTP_NOT_FOUND, "no such thing: %s", url);
}

/* libmicrohttpd calls this for each request: first with no body, then
 * with each part of the body, then once more with none left. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	struct web *w = cls;
	struct request *q = *con_cls;
	const char *who;

	(void)version;
	if (q == NULL) {
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		*con_cls = q;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (q->len + *data_size > BODY_MAX) {
			q->too_big = true;
		} else {
			char *grown = realloc(q->body, q->len + *data_size + 1);

			if (grown == NULL)
				return MHD_NO;
			q->body = grown;
			memcpy(q->body + q->len, data, *data_size);
			q->len += *data_size;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (strlen(url) > URL_MAX)
		return send_error(c, MHD_HTTP_URI_TOO_LONG, "the URL is over %d bytes", URL_MAX);
	who = foreign(c, w);
	if (who != NULL)
		return send_error(c, MHD_HTTP_FORBIDDEN, "%s: not this server's (%s)", who,
				  w->host);
	if (strcmp(url, "/api") == 0 || strncmp(url, "/api/", 5) == 0)
		return api(c, w, url, method, q);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "%s: GET only", url);
	if (strcmp(url, "/") == 0)
		return send_bytes(c, MHD_HTTP_OK, "text/html; charset=utf-8", web_html,
				  (size_t)(web_html_end - web_html), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/web.js") == 0)
		return send_bytes(c, MHD_HTTP_OK, "text/javascript; charset=utf-8", web_js,
				  (size_t)(web_js_end - web_js), MHD_RESPMEM_PERSISTENT);
	return send_error(c, MHD_HTTP_NOT_FOUND, "no such page: %s", url);
}

static void finished(void *cls, struct MHD_Connection *c, void **con_cls,
		     enum MHD_RequestTerminationCode code)
{
	struct request *q = *con_cls;

	(void)cls;
	(void)c;
	(void)code;
	if (q != NULL) {
		free(q->body);
		free(q);
	}
	*con_cls = NULL;
}

/* libmicrohttpd's own complaints (a client that went away...), one line. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("cell web: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- the command ---- */

/* "ADDR:PORT" (or ":PORT", or "PORT") -> an IPv4 socket address. */
static int parse_listen(const char *text, struct sockaddr_in *sa)
{
	const char *colon = strrchr(text, ':'), *port = colon != NULL ? colon + 1 : text;
	char addr[INET_ADDRSTRLEN] = "127.0.0.1", *end;
	unsigned long n;

	if (colon != NULL && colon > text) {
		if ((size_t)(colon - text) >= sizeof(addr))
			return -1;
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - text), text);
	}
	errno = 0;
	n = strtoul(port, &end, 10);
	if (port[0] == '\0' || *end != '\0' || errno != 0 || n > 65535)
		return -1;
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)n) };
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

static const char web_help[] =
	"Usage: cell web [--listen ADDR:PORT]\n\n"
	"Serves a page that shows every container live: its state, image, uptime,\n"
	"CPU and memory over time; and for one, its processes with their PIDs on\n"
	"the host and inside, its namespaces beside the host's, its cgroup's limits\n"
	"against its use, the tail of its log, its addresses, a picture of it, and\n"
	"buttons to start, stop, pause, unpause and remove it. In the foreground,\n"
	"until ^C. The page's JSON API is under /api/containers.\n\n"
	"  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080; port 0:\n"
	"                       one the kernel picks). Another address than\n"
	"                       loopback lets other machines in: plain HTTP, the\n"
	"                       token only between them and the buttons.\n\n"
	"It prints the page's address with a token in its fragment (#token=...):\n"
	"every /api request must carry it in the header X-Cell-Token, and come\n"
	"with this server's Host and, from a browser, its Origin.\n";

/* Serves until SIGINT or SIGTERM: requests and a sample a second. */
static int serve(struct web *w, struct MHD_Daemon *d, int sigfd)
{
	struct timespec now, next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec++; /* the caller took the first sample */
	for (;;) {
		fd_set rs, ws, es;
		MHD_socket max = sigfd;
		MHD_UNSIGNED_LONG_LONG mhd_ms;
		long long ms;
		struct timeval tv;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) {
			sample_all(w);
			next.tv_sec++;
			if (next.tv_sec < now.tv_sec) /* stopped for long (a slow action) */
				next = now;
			continue;
		}
		ms = (next.tv_sec - now.tv_sec) * 1000 + (next.tv_nsec - now.tv_nsec) / 1000000 + 1;
		if (MHD_get_timeout(d, &mhd_ms) == MHD_YES && (long long)mhd_ms < ms)
			ms = (long long)mhd_ms;
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		FD_SET(sigfd, &rs);
		if (MHD_get_fdset(d, &rs, &ws, &es, &max) != MHD_YES)
			return -1;
		tv = (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
		if (select(max + 1, &rs, &ws, &es, &tv) < 0 && errno != EINTR)
			return -1;
		if (FD_ISSET(sigfd, &rs))
			return 0;
		MHD_run_from_select(d, &rs, &ws, &es);
	}
}

int web_main(int argc, char **argv, const struct places *p, sqlite3 *db)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "listen", required_argument, NULL, 'l' },
					       { NULL, 0, NULL, 0 } };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(DEFAULT_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *listen_text = "127.0.0.1:8080";
	struct web w = { .places = *p, .db = db };
	unsigned char raw[TOKEN_BYTES];
	char addr[INET_ADDRSTRLEN];
	struct MHD_Daemon *d;
	socklen_t salen = sizeof(sa);
	sigset_t mask;
	ssize_t n;
	int c, fd = -1, sigfd = -1, one = 1, ret = EXIT_CELL;

	while ((c = getopt_long(argc, argv, "+h", longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(web_help, stdout);
			return 0;
		case 'l':
			listen_text = optarg;
			if (parse_listen(optarg, &sa) < 0) {
				fprintf(stderr,
					"cell: --listen %s: give ADDR:PORT, e.g. 127.0.0.1:8080\n",
					optarg);
				return EXIT_CELL;
			}
			break;
		default:
			fputs("Try 'cell web --help'.\n", stderr);
			return EXIT_CELL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cell: web: takes no argument (%s)\n", argv[optind]);
		return EXIT_CELL;
	}
	n = readlink("/proc/self/exe", w.exe, sizeof(w.exe) - 1);
	if (n < 0 || getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		fprintf(stderr, "cell: web: %s: %s\n",
			n < 0 ? "readlink /proc/self/exe" : "getrandom", strerror(errno));
		return EXIT_CELL;
	}
	w.exe[n] = '\0';
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(w.token + 2 * i, 3, "%02x", raw[i]);

	/* The socket is made here rather than by libmicrohttpd, so that a
	 * failure names its call, and port 0's number can be read back. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		fprintf(stderr, "cell: --listen %s: %s\n", listen_text, strerror(errno));
		goto out;
	}
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
	snprintf(w.host, sizeof(w.host), "%s:%u", addr, ntohs(sa.sin_port));
	snprintf(w.local_host, sizeof(w.local_host), "%s:%u",
		 ntohl(sa.sin_addr.s_addr) == INADDR_LOOPBACK ? "localhost" : addr,
		 ntohs(sa.sin_port));

	/* SIGINT and SIGTERM end the loop through a signalfd; a client that
	 * goes away must not end the server with SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "cell: web: signalfd: %s\n", strerror(errno));
		goto out;
	}
	d = MHD_start_daemon(MHD_USE_ERROR_LOG, 0, NULL, NULL, answer, &w,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET,
			     fd, MHD_OPTION_NOTIFY_COMPLETED, finished, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, 64U, MHD_OPTION_CONNECTION_TIMEOUT, 30U,
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "cell: web: libmicrohttpd did not start\n");
		goto out;
	}
	fd = -1; /* the daemon's now */
	if (ntohl(sa.sin_addr.s_addr) >> 24 != 127)
		fprintf(stderr,
			"cell web: %s is reachable from other machines, over plain HTTP: the "
			"token is all that guards it\n",
			addr);
	printf("cell web: http://%s/#token=%s\n"
	       "The API wants the token in X-Cell-Token: %s\n"
	       "^C stops it.\n",
	       w.host, w.token, w.token);
	fflush(stdout);
	sample_all(&w);
	if (serve(&w, d, sigfd) < 0)
		fprintf(stderr, "cell: web: select: %s\n", strerror(errno));
	else
		ret = 0;
	MHD_stop_daemon(d);
out:
	if (fd >= 0)
		close(fd);
	if (sigfd >= 0)
		close(sigfd);
	free(w.h);
	return ret;
}
