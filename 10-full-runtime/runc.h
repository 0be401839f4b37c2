/*
 * runc.h: runc's command line (runc.c), for podman and containerd.
 */
#ifndef CELL_RUNC_H
#define CELL_RUNC_H

int runc_main(int argc, char **argv);

#endif
