/*
 * cell.h: what the front ends share with main().
 */
#ifndef CELL_CELL_H
#define CELL_CELL_H

#define CELL_VERSION "0.10.0"

#ifndef CELL_INIT
#define CELL_INIT "/usr/local/bin/cell-init"
#endif

#ifndef CELL_ROOTFS
#define CELL_ROOTFS "/usr/local/share/cell/rootfs"
#endif

/* The people's command line (cli.c). */
int cli_main(int argc, char **argv);
/* runc's command line (runc.c). */
int runc_main(int argc, char **argv);

#endif
