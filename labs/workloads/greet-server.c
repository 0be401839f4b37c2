/*
 * greet-server - a tiny TCP server that answers with the name of the host it runs on.
 *
 * Used from stage 05 (net-veth) on, and by the graded assignment: start it inside the
 * container, connect with greet-client from the host to the container's address, and the
 * reply names the container ("hello from cell"), not the host. One line of output shows
 * two namespaces at once: the UTS namespace (whose hostname answered) and the network
 * namespace (the address is reachable only through the container's veth pair).
 *
 * Usage: greet-server [-p PORT] [-n COUNT]
 *
 * It prints "listening on port N" once the socket accepts connections, so a script can
 * wait for that line instead of sleeping. With -p 0 the kernel picks a free port.
 *
 * Further reading: socket(7), ip(7), tcp(7), gethostname(2), uts_namespaces(7).
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workload.h"

#define DEFAULT_PORT 7000
#define BACKLOG	     16

static void __attribute__((noreturn)) usage(void)
{
	printf("usage: greet-server [-p PORT] [-n COUNT]\n"
	       "\n"
	       "Listen on 0.0.0.0:PORT and send \"hello from HOSTNAME\" to every client.\n"
	       "\n"
	       "  -p, --port PORT    TCP port (default %d; 0 lets the kernel choose)\n"
	       "  -n, --count COUNT  exit after serving COUNT connections (default: never)\n"
	       "  -h, --help         show this help\n",
	       DEFAULT_PORT);
	exit(0);
}

/* Parse a whole decimal number between min and max; false if s is anything else. */
/* A write to a socket may be short; keep going until all of buf is sent. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void greet(int fd)
{
	char host[HOST_NAME_MAX + 1];
	char msg[sizeof(host) + 16];
	int len;

	/*
	 * Ask for the name on every connection rather than once at start: the lab changes
	 * the hostname while the server runs to show that the name lives in the namespace.
	 */
	if (gethostname(host, sizeof(host)) < 0)
		err(1, "gethostname");
	host[sizeof(host) - 1] = '\0';

	len = snprintf(msg, sizeof(msg), "hello from %s\n", host);
	if (write_all(fd, msg, (size_t)len) < 0)
		warn("write to client");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t addrlen = sizeof(addr);
	long port = DEFAULT_PORT, count = 0, served = 0;
	int opt, lfd, one = 1;

	while ((opt = getopt_long(argc, argv, "p:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			port = number_arg("--port", optarg, 0, 65535);
			break;
		case 'n':
			count = number_arg("--count", optarg, 1, LONG_MAX);
			break;
		case 'h':
			usage();
		default:
			try_help();
		}
	}
	no_operands(argc, argv);

	/* A client that hangs up before reading its greeting must not kill the server. */
	signal(SIGPIPE, SIG_IGN);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		err(1, "socket");

	/*
	 * Without SO_REUSEADDR a server restarted right after a run fails to bind for a
	 * minute, while the previous connections sit in TIME_WAIT (tcp(7)).
	 */
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		err(1, "setsockopt SO_REUSEADDR");

	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		err(1, "bind 0.0.0.0:%ld", port);
	if (listen(lfd, BACKLOG) < 0)
		err(1, "listen on port %ld", port);

	/* Report the port actually bound: with -p 0 only the kernel knows it. */
	if (getsockname(lfd, (struct sockaddr *)&addr, &addrlen) < 0)
		err(1, "getsockname");
	printf("listening on port %u\n", ntohs(addr.sin_port));
	if (fflush(stdout) == EOF)
		err(1, "stdout");

	while (count == 0 || served < count) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			/* A client that gave up while still queued is not our error. */
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			err(1, "accept");
		}
		greet(fd);
		close(fd);
		served++;
	}
	close(lfd);
	return 0;
}
