/*
 * images.h: the people's image commands (cell image ..., cell pull), a
 * front end beside cli.c: parsing and printing, the work in image.c.
 */
#ifndef CELL_IMAGES_H
#define CELL_IMAGES_H

#include <sqlite3.h>

/* cell image SUBCOMMAND ...: ARGV[0] is "image". LIB: the store's directory. */
int images_main(sqlite3 *db, const char *lib, int argc, char **argv);
/* cell pull ... */
int images_pull(sqlite3 *db, const char *lib, int argc, char **argv);
/* Ctrl-C, SIGTERM and SIGHUP stop the image operation under way, which
 * then removes what it made. */
void images_catch_signals(void);

#endif
