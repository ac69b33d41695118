/* notify.c — the sd_notify(3) messages of a Type=notify service (notify.h), sent with
 * libsystemd's sd_notify, which does nothing when NOTIFY_SOCKET is unset. A failed send (a
 * NOTIFY_SOCKET that does not answer) is printed once to stderr and otherwise ignored: the
 * service keeps serving, and systemd reports the missing READY=1 itself. No state but that. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

/* Sends `state` (NUL-terminated sd_notify assignments); reports the first failure only. */
static void send_state(const char *state)
{
	static atomic_int reported;
	int rc = sd_notify(0, state);
	if (rc < 0 && atomic_exchange(&reported, 1) == 0)
		fprintf(stderr, "cds-commissioning: cannot notify systemd (NOTIFY_SOCKET): %s\n",
		        strerror(-rc));
}

void cds__notify_ready(void)
{
	send_state("READY=1");
}

void cds__notify_reloading(void)
{
	/* systemd.service(5) Type=notify-reload: RELOADING=1 carries MONOTONIC_USEC= */
	struct timespec ts;
	char state[64];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ull +
	             (unsigned long long)ts.tv_nsec / 1000u);
	send_state(state);
}

void cds__notify_stopping(void)
{
	send_state("STOPPING=1");
}

void cds__notify_status(const char *fmt, ...)
{
	char state[520] = "STATUS=";
	size_t prefix = strlen(state);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(state + prefix, sizeof state - prefix, fmt, ap);
	va_end(ap);
	for (char *p = state + prefix; *p; p++) /* one assignment a line: no newline inside */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	send_state(state);
}
