/*
 * backend/child.c: work that may block (a libdb read, a big log, a
 * mailbox, a command such as postqueue) done in a forked child whose
 * output the loop reads, so the caller's loop never waits for it and a
 * deadline can end it with a kill.
 *
 * The child writes to a pipe and ends with _exit: it never runs atexit
 * handlers or flushes the parent's stdio (the console's terminal state
 * lives there). Its standard descriptors are /dev/null, and it leads a
 * process group of its own, which a kill ends whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

struct loop_child {
	struct loop *loop;
	struct loop_timer *reaper; /* killed, not yet gone (stuck in the kernel) */
	pid_t pid;
	int fd;
	struct loop_watch *watch;
	child_data_fn data;
	child_end_fn end;
	void *arg;
};

static int reap(pid_t pid)
{
	int status = -1;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return status;
}

static void child_readable(int fd, int what, void *arg)
{
	struct loop_child *c = arg;
	char b[65536];

	(void)what;
	for (int i = 0; i < 16; i++) {
		ssize_t k = read(fd, b, sizeof(b));
		if (k > 0) {
			c->data(c->arg, b, (size_t)k);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EOF (or a read error): the child is done or dying. */
		loop_watch_del(c->watch);
		close(c->fd);
		int status = reap(c->pid);
		child_end_fn end = c->end;
		void *earg = c->arg;
		free(c);
		end(earg, status);
		return;
	}
}

struct loop_child *loop_child_start(struct loop *l, child_main_fn fn, void *fnarg, child_data_fn data,
				    child_end_fn end, void *arg, char *err, size_t errlen)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0) {
		errf(err, errlen, EXIT_SOFTWARE, "pipe: %s", strerror(errno));
		return NULL;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		errf(err, errlen, EXIT_SOFTWARE, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		/* a group of its own: a kill ends what it started too (a
		 * command run through popen) */
		setpgid(0, 0);
		close(p[0]);
		signal(SIGPIPE, SIG_DFL);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
			if (devnull > 2)
				close(devnull);
		}
		_exit(fn(fnarg, p[1]) & 0xff);
	}
	setpgid(pid, pid);
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	struct loop_child *c = xcalloc(1, sizeof(*c));
	c->loop = l;
	c->pid = pid;
	c->fd = p[0];
	c->data = data;
	c->end = end;
	c->arg = arg;
	c->watch = loop_watch_add(l, c->fd, LOOP_READ, child_readable, c);
	return c;
}

/* A killed child that had not gone yet: looked for again until it has. */
static void reap_later(void *arg)
{
	struct loop_child *c = arg;

	if (waitpid(c->pid, NULL, WNOHANG) == 0)
		return;
	loop_timer_del(c->reaper);
	free(c);
}

void loop_child_kill(struct loop_child *c)
{
	if (c == NULL)
		return;
	loop_watch_del(c->watch);
	close(c->fd);
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	/* A child stuck in the kernel (a read from a hung NFS mount) dies
	 * only when that read ends: the caller does not wait for it. */
	for (int i = 0; i < 20; i++) {
		if (waitpid(c->pid, NULL, WNOHANG) != 0) {
			free(c);
			return;
		}
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	c->reaper = loop_timer_add(c->loop, 100, true, reap_later, c);
	/* The console may quit first: the child is left to init then. */
	loop_timer_release(c->reaper, free);
}

void loop_child_signal(struct loop_child *c, int sig)
{
	if (c != NULL)
		kill(-c->pid, sig);
}

bool child_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t k = write(fd, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		s += k;
		n -= (size_t)k;
	}
	return true;
}
