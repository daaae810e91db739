/*
 * tests/unit/test_child.c: pins backend/child.c (blocking work in a child
 * read through the loop) and backend/route.c (callahead routes, host:port):
 * what a child writes arrives in order, its exit status comes back, a
 * child that hangs is killed without a callback, a big output is not cut,
 * a signal reaches the child and its end follows, a timer owning its
 * argument gives it back when the loop is freed;
 * routes match exactly, then by ".parent", and mailertable's mailer prefix
 * is dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../backend/backend.h"

struct got {
	struct buf out;
	int status;
	int ends;
};

static void got_data(void *arg, const char *p, size_t n)
{
	buf_add(&((struct got *)arg)->out, p, n);
}

static void got_end(void *arg, int status)
{
	struct got *g = arg;
	g->status = status;
	g->ends++;
}

static int writes_hello(void *arg, int fd)
{
	(void)arg;
	child_write_all(fd, "hello ", 6);
	child_write_all(fd, "world", 5);
	return 7;
}

static int writes_a_lot(void *arg, int fd)
{
	char b[4096];
	size_t n = *(size_t *)arg;
	memset(b, 'x', sizeof(b));
	for (size_t i = 0; i < n; i += sizeof(b))
		child_write_all(fd, b, n - i < sizeof(b) ? n - i : sizeof(b));
	return 0;
}

static int hangs(void *arg, int fd)
{
	(void)arg;
	child_write_all(fd, "x", 1);
	for (;;)
		pause();
	return 0;
}

static void run_until(struct loop *l, struct got *g, int ends)
{
	int64_t t0 = util_now_ms();
	while (g->ends < ends && util_now_ms() - t0 < 10000)
		loop_once(l, true);
}

static void test_child_output_and_status_come_back(void **state)
{
	(void)state;
	char err[256];
	struct loop *l = loop_new(err, sizeof(err));
	struct got g = { .status = -2 };
	buf_init(&g.out);
	struct loop_child *c = loop_child_start(l, writes_hello, NULL, got_data, got_end, &g, err, sizeof(err));
	assert_non_null(c);
	run_until(l, &g, 1);
	assert_int_equal(g.ends, 1);
	assert_string_equal(g.out.data, "hello world");
	assert_true(WIFEXITED(g.status));
	assert_int_equal(WEXITSTATUS(g.status), 7);
	buf_free(&g.out);
	loop_free(l);
}

static void test_child_big_output_is_whole(void **state)
{
	(void)state;
	char err[256];
	struct loop *l = loop_new(err, sizeof(err));
	struct got g = { .status = -2 };
	size_t n = 3 * 1024 * 1024 + 17;
	buf_init(&g.out);
	assert_non_null(loop_child_start(l, writes_a_lot, &n, got_data, got_end, &g, err, sizeof(err)));
	run_until(l, &g, 1);
	assert_int_equal(g.ends, 1);
	assert_int_equal(g.out.len, n);
	assert_int_equal(WEXITSTATUS(g.status), 0);
	buf_free(&g.out);
	loop_free(l);
}

static void test_child_killed_calls_nothing(void **state)
{
	(void)state;
	char err[256];
	struct loop *l = loop_new(err, sizeof(err));
	struct got g = { .status = -2 };
	buf_init(&g.out);
	struct loop_child *c = loop_child_start(l, hangs, NULL, got_data, got_end, &g, err, sizeof(err));
	assert_non_null(c);
	int64_t t0 = util_now_ms();
	while (g.out.len == 0 && util_now_ms() - t0 < 10000)
		loop_once(l, true);
	assert_int_equal(g.out.len, 1);
	loop_child_kill(c);
	/* nothing left to wake the loop for this child */
	loop_once(l, false);
	assert_int_equal(g.ends, 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* reaped: no child left */
	buf_free(&g.out);
	loop_free(l);
}

/* A polite stop: the group gets the signal, and the end comes as usual. */
static void test_child_signal_then_end(void **state)
{
	(void)state;
	char err[256];
	struct loop *l = loop_new(err, sizeof(err));
	struct got g = { .status = -2 };
	buf_init(&g.out);
	struct loop_child *c = loop_child_start(l, hangs, NULL, got_data, got_end, &g, err, sizeof(err));
	assert_non_null(c);
	int64_t t0 = util_now_ms();
	while (g.out.len == 0 && util_now_ms() - t0 < 10000)
		loop_once(l, true);
	loop_child_signal(c, SIGTERM);
	run_until(l, &g, 1);
	assert_int_equal(g.ends, 1);
	assert_true(WIFSIGNALED(g.status));
	assert_int_equal(WTERMSIG(g.status), SIGTERM);
	buf_free(&g.out);
	loop_free(l);
}

static int released;

static void count_release(void *arg)
{
	released++;
	free(arg);
}

static void never_called(void *arg)
{
	(void)arg;
	fail_msg("timer fired");
}

/* A timer that owns its argument (a killed child's reaper) gives it back
 * when the loop goes first (the console quitting), and only then. */
static void test_timer_release_when_loop_goes_first(void **state)
{
	(void)state;
	char err[256];
	struct loop *l = loop_new(err, sizeof(err));
	released = 0;
	struct loop_timer *t = loop_timer_add(l, 60000, true, never_called, xstrdup("owned"));
	loop_timer_release(t, count_release);
	struct loop_timer *u = loop_timer_add(l, 60000, true, never_called, NULL);
	loop_timer_release(u, count_release);
	loop_timer_del(u); /* deleted by its owner: not released */
	loop_once(l, false);
	assert_int_equal(released, 0);
	loop_free(l);
	assert_int_equal(released, 1);
}

static void test_routes_exact_then_parent(void **state)
{
	(void)state;
	char path[] = "/tmp/mailops-routes.XXXXXX", err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# comment\n"
			   "example.org   [127.0.0.1]:2525\n"
			   ".corp.test    smtp:[10.0.0.1]\n"
			   "  other.test  esmtp:mx.other.test:26\n"
			   "broken-line-without-host\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct ca_routes *t = routes_load(path, err, sizeof(err));
	unlink(path);
	assert_non_null(t);
	assert_string_equal(routes_find(t, "EXAMPLE.org"), "[127.0.0.1]:2525");
	assert_null(routes_find(t, "sub.example.org"));
	assert_string_equal(routes_find(t, "a.b.corp.test"), "[10.0.0.1]");
	assert_null(routes_find(t, "corp.test"));
	assert_string_equal(routes_find(t, "other.test"), "mx.other.test:26");
	assert_null(routes_find(t, "broken-line-without-host"));
	routes_free(t);
	assert_null(routes_load("/nonexistent/routes", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/routes"));
	t = routes_load("", err, sizeof(err));
	assert_non_null(t);
	assert_null(routes_find(t, "example.org"));
	routes_free(t);
}

static void test_hostport_forms(void **state)
{
	(void)state;
	char h[64];
	assert_int_equal(hostport_split("[127.0.0.1]:2525", 25, h, sizeof(h)), 2525);
	assert_string_equal(h, "127.0.0.1");
	assert_int_equal(hostport_split("mx.example.org", 25, h, sizeof(h)), 25);
	assert_string_equal(h, "mx.example.org");
	assert_int_equal(hostport_split("mx.example.org:587", 25, h, sizeof(h)), 587);
	assert_string_equal(h, "mx.example.org");
	assert_int_equal(hostport_split("2001:db8::1", 25, h, sizeof(h)), 25);
	assert_string_equal(h, "2001:db8::1");
	assert_int_equal(hostport_split("[2001:db8::1]:26", 25, h, sizeof(h)), 26);
	assert_string_equal(h, "2001:db8::1");
	assert_int_equal(hostport_split("host:99999", 25, h, sizeof(h)), 25);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_output_and_status_come_back),
		cmocka_unit_test(test_child_big_output_is_whole),
		cmocka_unit_test(test_child_killed_calls_nothing),
		cmocka_unit_test(test_child_signal_then_end),
		cmocka_unit_test(test_timer_release_when_loop_goes_first),
		cmocka_unit_test(test_routes_exact_then_parent),
		cmocka_unit_test(test_hostport_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
