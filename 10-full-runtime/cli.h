/*
 * cli.h: the people's command line (cli.c), podman's commands.
 */
#ifndef CELL_CLI_H
#define CELL_CLI_H

int cli_main(int argc, char **argv);

#endif
