/*
 * images.c: the people's image commands, podman's names: cell image
 * import, load, save, ls, rm, inspect, history, and cell pull. A front
 * end of its own beside cli.c (which is about containers and already
 * long): it parses, calls image.c and prints; only it and cli.c print.
 *
 * Exit status: 0, or 125 with one line on stderr naming the image, file
 * or flag.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "image.h"
#include "images.h"
#include "store.h"

#define EXIT_CELL 125

static struct img_store store;

static int fail(const struct error *err)
{
	char text[ERR_MSG_MAX + 128];

	fprintf(stderr, "cell: %s\n", err_text(err, text, sizeof(text)));
	return EXIT_CELL;
}

static int usage(const char *cmd, const char *what)
{
	fprintf(stderr, "cell: %s: %s\nTry 'cell %s --help'.\n", cmd, what, cmd);
	return EXIT_CELL;
}

static void on_signal(int sig)
{
	(void)sig;
	img_cancel();
}

void images_catch_signals(void)
{
	/* no SA_RESTART: a blocking read returns, and the work sees the flag */
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* getopt_long from the first argument after the command word. */
static int next(int argc, char **argv, const char *shorts, const struct option *longs)
{
	opterr = 0;
	return getopt_long(argc, argv, shorts, longs, NULL);
}

/* ---- import, load, save ---- */

static const char import_help[] =
	"Usage: cell image import [-c CHANGE]... [-q] DIR|TAR [NAME[:TAG]]\n"
	"\n"
	"A new image of one layer: DIR's tree, or a tar (gzip too). The layer is\n"
	"kept once, in /var/lib/cell/layers/HEX, HEX the sha256 of its tar.\n"
	"\n"
	"  -c, --change CHANGE   CMD, ENTRYPOINT, ENV, WORKDIR or USER, as podman's\n"
	"                        (e.g. -c 'CMD [\"sh\"]')\n"
	"  -q, --quiet           print the id only\n";

static int cmd_import(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "change", required_argument, NULL, 'c' },
					       { "quiet", no_argument, NULL, 'q' },
					       { NULL, 0, NULL, 0 } };
	char id[STORE_IMAGE_LEN + 1];
	json_t *changes = json_array();
	struct error err = { 0 };
	int c, ret = EXIT_CELL;

	while ((c = next(argc, argv, "+hc:q", longs)) != -1) {
		if (c == 'h') {
			fputs(import_help, stdout);
			ret = 0;
			goto out;
		} else if (c == 'c') {
			json_array_append_new(changes, json_string(optarg));
		} else if (c == 'q') {
			store.progress = NULL;
		} else {
			ret = usage("image import", "unknown option");
			goto out;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		ret = usage("image import", "give DIR or TAR, and a NAME[:TAG]");
		goto out;
	}
	images_catch_signals();
	if (img_import(&store, argv[optind], argv[optind + 1], changes, id, &err) < 0) {
		ret = fail(&err);
		goto out;
	}
	printf("%s\n", id + 7);
	ret = 0;
out:
	json_decref(changes);
	return ret;
}

static const char load_help[] =
	"Usage: cell image load -i FILE|DIR [NAME[:TAG]]\n"
	"\n"
	"An image from the OCI image layout (what skopeo, umoci and podman save\n"
	"write): a tar of one (oci-archive), or its directory. Each blob is\n"
	"checked against its digest before it is used. The NAME given, or the\n"
	"one index.json gives (org.opencontainers.image.ref.name).\n";

static int cmd_load(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "input", required_argument, NULL, 'i' },
					       { "quiet", no_argument, NULL, 'q' },
					       { NULL, 0, NULL, 0 } };
	char id[STORE_IMAGE_LEN + 1];
	const char *in = NULL;
	struct error err = { 0 };
	int c;

	while ((c = next(argc, argv, "+hi:q", longs)) != -1) {
		if (c == 'h') {
			fputs(load_help, stdout);
			return 0;
		} else if (c == 'i') {
			in = optarg;
		} else if (c == 'q') {
			store.progress = NULL;
		} else {
			return usage("image load", "unknown option");
		}
	}
	if (in == NULL || argc - optind > 1)
		return usage("image load", "give -i FILE|DIR, and at most a NAME[:TAG]");
	images_catch_signals();
	if (img_load(&store, in, argv[optind], id, &err) < 0)
		return fail(&err);
	printf("%s\n", id + 7);
	return 0;
}

static const char save_help[] =
	"Usage: cell image save [--format oci-archive|oci-dir] -o PATH IMAGE\n"
	"\n"
	"IMAGE in the OCI image layout, which skopeo and podman load read: a tar\n"
	"of it (oci-archive, the default) or a directory (oci-dir). Each layer is\n"
	"its directory as a tar again, uncompressed, a deleted file as .wh.NAME.\n";

static int cmd_save(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "output", required_argument, NULL, 'o' },
					       { "format", required_argument, NULL, 'f' },
					       { "quiet", no_argument, NULL, 'q' },
					       { NULL, 0, NULL, 0 } };
	char id[STORE_IMAGE_LEN + 1], full[512];
	const char *out = NULL, *format = "oci-archive", *name = NULL;
	struct error err = { 0 };
	int c;

	while ((c = next(argc, argv, "+ho:f:q", longs)) != -1) {
		if (c == 'h') {
			fputs(save_help, stdout);
			return 0;
		} else if (c == 'o') {
			out = optarg;
		} else if (c == 'f') {
			format = optarg;
		} else if (c == 'q') {
			store.progress = NULL;
		} else {
			return usage("image save", "unknown option");
		}
	}
	if (strcmp(format, "oci-archive") != 0 && strcmp(format, "oci-dir") != 0)
		return usage("image save", "--format: give oci-archive or oci-dir");
	if (out == NULL || argc - optind != 1)
		return usage("image save", "give -o PATH and one IMAGE");
	if (store_image_find(store.db, argv[optind], id, sizeof(id), &err) < 0)
		return fail(&err);
	/* the name in index.json: the one given, when it is one */
	img_normalize(argv[optind], full, sizeof(full));
	if (strncmp(id + 7, argv[optind], strlen(argv[optind])) != 0 &&
	    strncmp(id, argv[optind], strlen(argv[optind])) != 0)
		name = full;
	images_catch_signals();
	if (img_save(&store, id, name, out, strcmp(format, "oci-dir") == 0, &err) < 0)
		return fail(&err);
	return 0;
}

/* ---- ls, rm, inspect, history ---- */

struct ls {
	bool quiet;
	json_t *json; /* --format json: the rows */
	json_t *seen; /* -q: ids printed */
};

static int ls_one(const char *name, const char *id, const char *created, void *arg)
{
	struct ls *l = arg;
	char repo[512] = "<none>", tag[160] = "<none>", layers[IMG_MAX_LAYERS][STORE_LAYER_LEN + 1];
	int n = store_image_layers(store.db, id, layers, IMG_MAX_LAYERS, &(struct error){ 0 });

	if (name != NULL) {
		const char *at = strchr(name, '@'), *slash = strrchr(name, '/');
		const char *colon = at ? NULL : strrchr(slash ? slash : name, ':');
		const char *cut = at ? at : colon;

		snprintf(repo, sizeof(repo), "%.*s", (int)(cut ? cut - name : (int)strlen(name)),
			 name);
		if (colon != NULL)
			snprintf(tag, sizeof(tag), "%s", colon + 1);
	}
	if (l->quiet) {
		if (json_object_get(l->seen, id) == NULL)
			printf("%.12s\n", id + 7);
		json_object_set_new(l->seen, id, json_true());
	} else if (l->json != NULL) {
		json_array_append_new(l->json,
				      json_pack("{s:s, s:s?, s:s, s:i}", "Id", id + 7, "Name", name,
						"Created", created, "Layers", n));
	} else {
		printf("%-40s %-12s %-12.12s %-20s %d\n", repo, tag, id + 7, created, n);
	}
	return 0;
}

static int cmd_ls(int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "quiet", no_argument, NULL, 'q' },
					       { "format", required_argument, NULL, 'f' },
					       { NULL, 0, NULL, 0 } };
	struct ls l = { .seen = json_object() };
	struct error err = { 0 };
	int c, ret = 0;

	while ((c = next(argc, argv, "+hqf:", longs)) != -1) {
		if (c == 'h') {
			fputs("Usage: cell image ls [-q] [--format json]\n\nThe images: one line "
			      "for each name, with its id, when it was made and its layers.\n",
			      stdout);
			json_decref(l.seen);
			return 0;
		} else if (c == 'q') {
			l.quiet = true;
		} else if (c == 'f' && strcmp(optarg, "json") == 0) {
			l.json = json_array();
		} else {
			json_decref(l.seen);
			json_decref(l.json);
			return usage("image ls",
				     c == 'f' ? "--format: give json" : "unknown option");
		}
	}
	if (!l.quiet && l.json == NULL)
		printf("%-40s %-12s %-12s %-20s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED",
		       "LAYERS");
	if (store_image_each(store.db, ls_one, &l, &err) < 0)
		ret = fail(&err);
	if (l.json != NULL) {
		char *text = json_dumps(l.json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		printf("%s\n", text);
		free(text);
	}
	json_decref(l.json);
	json_decref(l.seen);
	return ret;
}

static int cmd_rm(int argc, char **argv)
{
	struct error err = { 0 };
	char id[STORE_IMAGE_LEN + 1];
	int ret = 0, n;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs("Usage: cell image rm IMAGE...\n\nRemoves a name; with its last name, the "
		      "image, and the layers no other image or container holds. Refused while a "
		      "container is made from it.\n",
		      stdout);
		return 0;
	}
	if (argc < 2)
		return usage("image rm", "give at least one IMAGE");
	for (int i = 1; i < argc; i++) {
		n = img_remove(&store, argv[i], id, &err);
		if (n < 0) {
			ret = fail(&err);
			err = (struct error){ 0 };
			continue;
		}
		printf("%s %s\n", n == 1 ? "Deleted:" : "Untagged:", n == 1 ? id + 7 : argv[i]);
	}
	return ret;
}

static int add_name(const char *name, void *arg)
{
	json_array_append_new(arg, json_string(name));
	return 0;
}

/* Image REF's record and config as one JSON object (podman's names). */
static json_t *describe(const char *ref, struct error *err)
{
	char id[STORE_IMAGE_LEN + 1], layers[IMG_MAX_LAYERS][STORE_LAYER_LEN + 1], *text;
	json_t *config, *names = json_array(), *dirs = json_array(), *o;
	int n;

	if (store_image_find(store.db, ref, id, sizeof(id), err) < 0 ||
	    store_image_config(store.db, id, &text, err) < 0 ||
	    (n = store_image_layers(store.db, id, layers, IMG_MAX_LAYERS, err)) < 0) {
		json_decref(names);
		json_decref(dirs);
		return NULL;
	}
	config = json_loads(text, 0, NULL);
	free(text);
	store_image_names(store.db, id, add_name, names, err);
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/layers/%s", store.lib, layers[i]);
		json_array_append_new(dirs, json_string(dir));
	}
	o = json_pack("{s:s, s:o, s:O?, s:O?, s:O?, s:O?, s:O?, s:o, s:O?}", "Id", id + 7, "Names",
		      names, "Created", json_object_get(config, "created"), "Architecture",
		      json_object_get(config, "architecture"), "Os", json_object_get(config, "os"),
		      "Config", json_object_get(config, "config"), "RootFS",
		      json_object_get(config, "rootfs"), "LayerDirs", dirs, "History",
		      json_object_get(config, "history"));
	json_decref(config);
	return o;
}

static int cmd_inspect(int argc, char **argv)
{
	struct error err = { 0 };
	json_t *list = json_array(), *o;
	char *text;
	int ret = 0;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs("Usage: cell image inspect IMAGE...\n\nAn image as JSON: its id (the sha256 "
		      "of its config), names, config (Cmd, Entrypoint, Env, WorkingDir, User),\n"
		      "its layers' diff_ids (bottom first) and their directories, its history.\n",
		      stdout);
		json_decref(list);
		return 0;
	}
	if (argc < 2) {
		json_decref(list);
		return usage("image inspect", "give at least one IMAGE");
	}
	for (int i = 1; i < argc; i++) {
		o = describe(argv[i], &err);
		if (o == NULL) {
			ret = fail(&err);
			err = (struct error){ 0 };
			continue;
		}
		json_array_append_new(list, o);
	}
	/* what was found, if anything was */
	if (json_array_size(list) > 0) {
		text = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", text);
		free(text);
	}
	json_decref(list);
	return ret;
}

static int cmd_history(int argc, char **argv)
{
	struct error err = { 0 };
	json_t *o, *h;
	size_t i;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs("Usage: cell image history IMAGE\n\nHow IMAGE was made, newest step "
		      "first: the config's history.\n",
		      stdout);
		return 0;
	}
	if (argc != 2)
		return usage("image history", "give one IMAGE");
	o = describe(argv[1], &err);
	if (o == NULL)
		return fail(&err);
	printf("%-22s %s\n", "CREATED", "CREATED BY");
	h = json_object_get(o, "History");
	for (i = json_array_size(h); i-- > 0;) {
		json_t *step = json_array_get(h, i);
		const char *by = json_string_value(json_object_get(step, "created_by"));

		printf("%-22s %s\n", json_string_value(json_object_get(step, "created")) ?: "",
		       by ? by : "");
	}
	json_decref(o);
	return 0;
}

static const char image_help[] =
	"Usage: cell image COMMAND ...\n"
	"\n"
	"Images in layers: each layer once, by the sha256 of its content, an\n"
	"extracted directory under /var/lib/cell/layers; an image is its layers\n"
	"and its config. `cell run IMAGE` stacks them as its overlay's lower layers.\n"
	"\n"
	"  import     DIR|TAR [NAME[:TAG]]: a new image of one layer\n"
	"  load       -i FILE|DIR [NAME]: from the OCI image layout\n"
	"  save       -o PATH IMAGE: into the OCI image layout\n"
	"  ls         the images\n"
	"  rm         IMAGE...: remove them (not while a container uses one)\n"
	"  inspect    IMAGE...: as JSON\n"
	"  history    IMAGE: how it was made\n"
	"\n"
	"Also: cell pull [REGISTRY/]NAME[:TAG|@DIGEST], cell commit CONTAINER NAME.\n";

int images_main(sqlite3 *db, const char *lib, int argc, char **argv)
{
	const char *cmd;

	store = (struct img_store){ .db = db, .lib = lib, .progress = stderr };
	if (argc < 2)
		return usage("image", "give a command (cell image --help lists them)");
	cmd = argv[1];
	argc--;
	argv++;
	optind = 1;
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(image_help, stdout);
		return 0;
	}
	if (strcmp(cmd, "import") == 0)
		return cmd_import(argc, argv);
	if (strcmp(cmd, "load") == 0)
		return cmd_load(argc, argv);
	if (strcmp(cmd, "save") == 0)
		return cmd_save(argc, argv);
	if (strcmp(cmd, "ls") == 0 || strcmp(cmd, "list") == 0)
		return cmd_ls(argc, argv);
	if (strcmp(cmd, "rm") == 0)
		return cmd_rm(argc, argv);
	if (strcmp(cmd, "inspect") == 0)
		return cmd_inspect(argc, argv);
	if (strcmp(cmd, "history") == 0)
		return cmd_history(argc, argv);
	return usage("image", "not a command of cell image's (cell image --help lists them)");
}

/* ---- pull ---- */

static const char pull_help[] =
	"Usage: cell pull [--tls-verify=false] [-q] [REGISTRY/]NAME[:TAG|@DIGEST]\n"
	"\n"
	"An image from a registry, over the OCI distribution API: its manifest\n"
	"(OCI's or docker's schema 2; of an index, linux/amd64's), its config and\n"
	"each layer not kept already, every blob checked against its digest before\n"
	"it is used; a layer is extracted in a temporary directory and renamed into\n"
	"place once checked. Without REGISTRY, docker.io. Open registries only.\n"
	"\n"
	"  --tls-verify=false   plain http (a local registry)\n"
	"  -q, --quiet          print the id only\n";

int images_pull(sqlite3 *db, const char *lib, int argc, char **argv)
{
	static const struct option longs[] = { { "help", no_argument, NULL, 'h' },
					       { "tls-verify", required_argument, NULL, 't' },
					       { "quiet", no_argument, NULL, 'q' },
					       { NULL, 0, NULL, 0 } };
	char id[STORE_IMAGE_LEN + 1];
	struct error err = { 0 };
	bool tls = true;
	int c;

	store = (struct img_store){ .db = db, .lib = lib, .progress = stderr };
	while ((c = next(argc, argv, "+hq", longs)) != -1) {
		if (c == 'h') {
			fputs(pull_help, stdout);
			return 0;
		} else if (c == 't' &&
			   (strcmp(optarg, "false") == 0 || strcmp(optarg, "true") == 0)) {
			tls = strcmp(optarg, "true") == 0;
		} else if (c == 'q') {
			store.progress = NULL;
		} else {
			return usage("pull", c == 't' ? "--tls-verify: give true or false"
						      : "unknown option");
		}
	}
	if (argc - optind != 1)
		return usage("pull", "give one [REGISTRY/]NAME[:TAG|@DIGEST]");
	images_catch_signals();
	if (img_pull(&store, argv[optind], tls, id, &err) < 0)
		return fail(&err);
	printf("%s\n", id + 7);
	return 0;
}
