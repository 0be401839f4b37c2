/*
 * defaults.h: what the two front ends share: the version, and where the
 * build put the default root file system, cell-init and cell-trace.
 */
#ifndef CELL_DEFAULTS_H
#define CELL_DEFAULTS_H

#define CELL_VERSION "0.10.0"

#ifndef CELL_INIT
#define CELL_INIT "/usr/local/bin/cell-init"
#endif

#ifndef CELL_TRACE
#define CELL_TRACE "/usr/local/bin/cell-trace"
#endif

#ifndef CELL_ROOTFS
#define CELL_ROOTFS "/usr/local/share/cell/rootfs"
#endif

#endif
