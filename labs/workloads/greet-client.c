/*
 * greet-client - connect to a greet-server and print what it says.
 *
 * Used from stage 05 (net-veth) on, and by the graded assignment: run it on the host
 * against the address given to the container (e.g. greet-client 10.200.7.2); the reply
 * "hello from cell" shows that packets crossed the veth pair into the container's network
 * namespace and were answered there.
 *
 * Usage: greet-client [-p PORT] ADDR
 *
 * ADDR is a dotted IPv4 address; there is deliberately no name lookup, so the lab does not
 * depend on DNS. The connection attempt gives up after 5 seconds: a container whose
 * network is not set up yet drops packets silently, and a test must fail, not hang.
 *
 * Exit status: 0 when a reply was printed, 1 on a connection error, 2 on bad usage.
 *
 * Further reading: connect(2) (the EINPROGRESS paragraph), poll(2), socket(7).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "workload.h"

#define DEFAULT_PORT 7000
#define TIMEOUT_SEC  5

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: greet-client [-p PORT] ADDR\n"
	       "\n"
	       "Connect to ADDR:PORT (ADDR is an IPv4 address like 10.200.7.2) and print\n"
	       "the server's greeting. Gives up after %d seconds.\n"
	       "\n"
	       "  -p, --port PORT  TCP port (default %d)\n"
	       "  -h, --help       show this help\n",
	       TIMEOUT_SEC, DEFAULT_PORT);
	exit(0);
}

/*
 * connect() has no timeout argument. The usual way round it: start the connection on a
 * non-blocking socket, wait for it to become writable with poll(), then read the outcome
 * from SO_ERROR.
 */
static void connect_with_timeout(int fd, const struct sockaddr_in *addr, const char *name)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int flags, r, soerr = 0;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		err(1, "fcntl F_GETFL");
	if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		err(1, "fcntl F_SETFL O_NONBLOCK");

	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		if (errno != EINPROGRESS)
			err(1, "connect to %s", name);

		do
			r = poll(&pfd, 1, TIMEOUT_SEC * 1000);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			err(1, "poll");
		if (r == 0)
			errx(1, "connect to %s: no answer within %d seconds", name, TIMEOUT_SEC);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			err(1, "getsockopt SO_ERROR");
		if (soerr) {
			errno = soerr;
			err(1, "connect to %s", name);
		}
	}

	if (fcntl(fd, F_SETFL, flags) < 0)
		err(1, "fcntl F_SETFL");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = TIMEOUT_SEC };
	char name[INET_ADDRSTRLEN + 8], buf[512];
	const char *ip;
	long port = DEFAULT_PORT;
	ssize_t n;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			port = number_arg("--port", optarg, 1, 65535);
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	ip = one_operand(argc, argv, "ADDR");
	if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
		warnx("\"%s\" is not an IPv4 address (try 10.200.7.2)", ip);
		try_help();
	}
	addr.sin_port = htons((uint16_t)port);
	snprintf(name, sizeof(name), "%s:%ld", ip, port);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err(1, "socket");
	connect_with_timeout(fd, &addr, name);

	/* A server that accepts but never writes must not hang us either. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		err(1, "setsockopt SO_RCVTIMEO");

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				errx(1, "read from %s: no reply within %d seconds", name,
				     TIMEOUT_SEC);
			err(1, "read from %s", name);
		}
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			err(1, "stdout");
	}
	close(fd);
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}
