/*
 * web.h: cell web (web.c), the page that shows the containers live.
 */
#ifndef CELL_WEB_H
#define CELL_WEB_H

#include <sqlite3.h>

#include "monitor.h"

/* `cell web [--listen ADDR:PORT]`, with the store DB of places P open:
 * serves until SIGINT or SIGTERM; cell's exit status. */
int web_main(int argc, char **argv, const struct places *p, sqlite3 *db);

#endif
