/* serve_child.h — the real `cds-commissioning` binary run as a child process by the tests that
 * need the whole service (shutdown_load, notify_serve, store_kill, reload_load): started with
 * its stderr in a file, its URL read from that file's "listening on" line, signalled, and
 * reaped with a bounded wait. Every wait polls (100 ms) and has a limit; none of them passes on
 * a timeout. Test support only; not thread-safe (one thread drives a child). */
#ifndef CDS_TEST_SERVE_CHILD_H
#define CDS_TEST_SERVE_CHILD_H

#include <sys/types.h>

/* The line `serve` writes on stderr once it accepts connections, up to the port. */
#define SERVE_CHILD_URL_PREFIX "listening on http://127.0.0.1:"

/* One child process. Filled by serve_child_start; read its fields, change them only through
 * these functions. */
struct serve_child {
	pid_t pid;           /* -1: not started */
	int exited;          /* 1 once reaped; then `status` is waitpid's status */
	int status;          /* waitpid's raw status (WIFEXITED, WTERMSIG...) once exited */
	unsigned port;       /* the port of its URL, once serve_child_port found it; else 0 */
	char err_path[1024]; /* the file its stderr goes to (truncated at start) */
};

/* Forks and runs `bin` with `args` (argv[1..], NULL-terminated, e.g. {"serve", "--port", "0",
 * NULL}; argv[0] is bin) with stderr to err_path (created or truncated). In the child, before
 * exec: chdir(dir) when dir is not NULL, and each "NAME=value" of env (NULL-terminated, or
 * NULL) is set; a failure there exits 127, as a failed exec does. Returns 0, or -1 when the
 * fork failed or err_path is too long (c->pid is then -1). */
int serve_child_start(struct serve_child *c, const char *bin, const char *const *args,
                      const char *err_path, const char *dir, const char *const *env);

/* The port of the first "listening on http://127.0.0.1:PORT" in text (NULL allowed), or 0. */
unsigned serve_child_port_in(const char *text);

/* Polls the child's stderr file until its URL line appears (at most limit_ms); returns the port
 * (also kept in c->port), or 0 when the child exited first or the limit passed. */
unsigned serve_child_port(struct serve_child *c, long limit_ms);

/* 1 while the child runs (it is reaped, and its status kept, as soon as it is seen to have
 * exited: a crash ends the caller's waits at once); 0 once exited or never started. */
int serve_child_alive(struct serve_child *c);

/* Sends sig to the child while it runs (never to a reaped pid); 0, or -1 when it is not. */
int serve_child_signal(struct serve_child *c, int sig);

/* Waits at most limit_ms for the child to exit, then SIGKILLs and reaps it. Returns its exit
 * code (0..255), or -1 when it died of a signal, did not stop in time, or never started; the
 * raw status is in c->status either way (after a late SIGKILL: that kill's). */
int serve_child_wait(struct serve_child *c, long limit_ms);

/* SIGKILLs and reaps the child if it still runs (clean-up on every path); no-op otherwise. */
void serve_child_kill(struct serve_child *c);

/* Polls the stderr file until `text` occurs in it (at most limit_ms); 1 when it did. */
int serve_child_wait_log(const struct serve_child *c, const char *text, long limit_ms);

/* How many times `needle` (non-empty) occurs in the stderr file now (0 when unreadable). */
int serve_child_log_count(const struct serve_child *c, const char *needle);

/* NEW: the stderr file's whole text (free with free), or NULL. */
char *serve_child_log(const struct serve_child *c);

#endif
