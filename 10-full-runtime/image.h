/*
 * image.h: images in layers (stage 04's overlay, many lower layers):
 * the image store under LIB (LIB/layers/HEX, one directory per layer,
 * its records in the store), import, commit, pull, save and load.
 */
#ifndef CELL_IMAGE_H
#define CELL_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#include "error.h"
#include "store.h"

#define IMG_MAX_LAYERS 40 /* the overlay's mount options hold about this many paths */

struct img_store {
	sqlite3 *db;
	const char *lib; /* LIB: LIB/layers/HEX are the layers */
	FILE *progress;	 /* a line per blob and layer, or NULL */
};

/* Asks the operation under way to stop (from a signal handler): it
 * fails with "interrupted" and leaves nothing behind. */
void img_cancel(void);

/* podman's --change: "CMD ...", "ENTRYPOINT ...", "ENV K=V", "WORKDIR
 * DIR", "USER U" into CONFIG's "config" (CMD and ENTRYPOINT a JSON array,
 * or a line for sh -c). */
int img_change(json_t *config, const char *change, struct error *err);

/* A new image of one layer: a directory's tree or a tar (gzip too), named
 * NAME (or nameless: NULL), with CHANGES (an array of --change strings).
 * ID: the new image's id. */
int img_import(const struct img_store *s, const char *src, const char *name, json_t *changes,
	       char id[STORE_IMAGE_LEN + 1], struct error *err);
/* A new image: BASE's layers and a layer made of UPPER, a container's
 * overlay upper directory (its whiteouts become OCI's .wh. entries). */
int img_commit(const struct img_store *s, const char *upper, const char *base, const char *name,
	       json_t *changes, char id[STORE_IMAGE_LEN + 1], struct error *err);
/* [REGISTRY/]NAME[:TAG|@DIGEST] over the OCI distribution API (https, or
 * http when TLS is false), each blob checked against its digest. */
int img_pull(const struct img_store *s, const char *ref, bool tls, char id[STORE_IMAGE_LEN + 1],
	     struct error *err);
/* Image ID in the OCI image layout: a tar of it (oci-archive) at OUT, or
 * the directory OUT (DIR); NAME goes into index.json. */
int img_save(const struct img_store *s, const char *id, const char *name, const char *out, bool dir,
	     struct error *err);
/* An image from an OCI layout, a directory or a tar of one; named NAME,
 * or as its index.json says. */
int img_load(const struct img_store *s, const char *in, const char *name,
	     char id[STORE_IMAGE_LEN + 1], struct error *err);
/* Removes REF: a name of several goes alone (0); the image and the layers
 * no other image or container holds go when it was the last (1). */
int img_remove(const struct img_store *s, const char *ref, char id[STORE_IMAGE_LEN + 1],
	       struct error *err);
/* The overlay's lowerdir= for image ID: its layers' directories, top first,
 * joined by colons. */
int img_lowerdirs(const struct img_store *s, const char *id, char *out, size_t size,
		  struct error *err);
/* A name as the store keeps it: NAME without a tag or digest is NAME:latest. */
void img_normalize(const char *ref, char *out, size_t size);

#endif
