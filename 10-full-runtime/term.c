/*
 * term.c: this process's terminal beside a container's pseudo-terminal.
 *
 * A pty is two ends: the slave is the container's /dev/console and fds
 * 0-2 (its controlling terminal, so ^C there is a SIGINT to its foreground
 * process group); the master is what a terminal emulator holds. Reading
 * the master gives what the container wrote; writing it is typing. When
 * the last descriptor of the slave is closed, reading the master fails
 * with EIO: the container has let go of its terminal.
 *
 * Ours goes raw (cfmakeraw(3)): no line editing, no echo and no signals
 * here, since the container's terminal does all that itself. The window
 * size is the one thing a pty cannot learn by itself: it is copied with
 * TIOCSWINSZ, which sends the container SIGWINCH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

#define TERM_BUF 8192

static struct termios saved;
static bool raw;

int term_receive_fd(int fd, struct error *err)
{
	char byte, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c;
	int master = -1;

	if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) < 0)
		return err_sys(err, "receive the terminal");
	c = CMSG_FIRSTHDR(&msg);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&master, CMSG_DATA(c), sizeof(int));
	if (master < 0)
		return err_set(err, "the container's process sent no terminal");
	return master;
}

void term_restore(void)
{
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	raw = false;
}

void term_raw(void)
{
	static bool registered;
	struct termios t;

	if (raw || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	t = saved;
	cfmakeraw(&t);
	raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	if (raw && !registered)
		registered = atexit(term_restore) == 0;
}

static void copy_size(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

void term_write(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

void term_proxy(int master)
{
	char buf[TERM_BUF];
	sigset_t set, old;
	bool input = true;
	int sig_fd;

	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, &old);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	term_raw();
	copy_size(master);
	for (;;) {
		struct pollfd p[3] = { { .fd = master, .events = POLLIN },
				       { .fd = sig_fd, .events = POLLIN },
				       { .fd = input ? STDIN_FILENO : -1, .events = POLLIN } };
		struct signalfd_siginfo info;
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents & POLLIN && read(sig_fd, &info, sizeof(info)) == sizeof(info))
			copy_size(master);
		if (p[2].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n > 0)
				term_write(master, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				input = false; /* the end of our input is not the container's */
		}
		if (p[0].revents) {
			n = read(master, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) /* EIO: nobody holds the slave end */
				break;
			term_write(STDOUT_FILENO, buf, (size_t)n);
		}
	}
	term_restore();
	if (sig_fd >= 0)
		close(sig_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
}
