/* notify.h — telling systemd (sd_notify(3), Type=notify units) where the service is in its life:
 * ready, reloading, stopping, and a STATUS= line a person reads in `systemctl status`. Every call
 * is a no-op when NOTIFY_SOCKET is unset (not started by systemd); none blocks or fails the
 * caller: a message that cannot be sent is reported once on stderr. Safe from any thread.
 * Prefix cds__ (cds-hooks/ only); the unit is cds-hooks/system/cds-commissioning.service.in. */
#ifndef CDS_NOTIFY_H
#define CDS_NOTIFY_H

/* READY=1: the listening socket accepts and the policies are loaded (start-up), or a reload
 * finished, whether the new set was swapped in or refused (the old one keeps serving). */
void cds__notify_ready(void);

/* RELOADING=1 with MONOTONIC_USEC= (CLOCK_MONOTONIC now, which systemd >= 253's
 * Type=notify-reload requires): SIGHUP received, a reload begins; READY=1 must follow. */
void cds__notify_reloading(void);

/* STOPPING=1: SIGTERM/SIGINT received, the graceful shutdown begins. */
void cds__notify_stopping(void);

/* STATUS=<text>: one line (newlines become spaces; cut at 512 bytes) for `systemctl status`. */
void cds__notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
