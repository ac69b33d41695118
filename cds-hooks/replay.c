/* replay.c — the jti replay cache of CDS Hooks 2.0 §JWT payload (jti): a bounded in-memory table
 * of SHA-256(iss, jti) digests kept until the token's exp (plus skew), optionally persisted in an
 * append-only file so that a token accepted once is refused after a restart too. Each accepted
 * token is appended (one write, then fdatasync) before it is accepted; the file is compacted by
 * write-then-rename, so a crash leaves at worst a torn last line, which is ignored. It must not
 * decide trust (auth.c does) nor log anything. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cds_internal.h"

#define DIGEST_BYTES 32 /* SHA-256 */
/* The file: this line, then "<expires, Unix seconds> <64 lowercase hex digits>\n" per token. */
static const char file_header[] = "cds-replay-cache 1\n";
#define RECORD_MAX 96 /* the longest record line: 20 + 1 + 64 + 1 bytes, with room */

/* One remembered token until `expires`. */
struct entry {
	struct entry *next;
	time_t expires;
	unsigned char digest[DIGEST_BYTES];
};

struct cds__replay {
	pthread_mutex_t mutex; /* guards the table */
	struct entry **buckets;
	size_t bucket_count; /* a power of two */
	size_t entries;
	size_t max_entries;
	/* Appends share file_lock (O_APPEND writes of one short record do not interleave, and
	 * concurrent fdatasyncs share the journal commit); compaction holds it exclusively. Taken
	 * before mutex, never after. */
	pthread_rwlock_t file_lock;
	char *path;     /* NEW; NULL: memory only */
	int fd;         /* the log, O_APPEND, flock'ed; -1: memory only */
	size_t records; /* record lines in the file (atomic) */
	int broken;     /* a record was written in part: compact before appending again (atomic) */
};

/* SHA-256 over iss, a NUL byte and jti: C strings hold no NUL, so the pair is unambiguous. */
static void digest_of(const char *iss, const char *jti, unsigned char out[DIGEST_BYTES])
{
	size_t il = strlen(iss), jl = strlen(jti);
	unsigned char *buf = cds__must(malloc(il + jl + 1));
	memcpy(buf, iss, il);
	buf[il] = '\0';
	memcpy(buf + il + 1, jti, jl);
	unsigned int n = 0;
	if (EVP_Digest(buf, il + jl + 1, out, &n, EVP_sha256(), NULL) != 1 || n != DIGEST_BYTES)
		abort(); /* SHA-256 is always available: an OpenSSL failure here is out of memory */
	free(buf);
}

static size_t bucket_of(const struct cds__replay *r, const unsigned char *digest)
{
	uint64_t h;
	memcpy(&h, digest, sizeof h);
	return (size_t)h & (r->bucket_count - 1);
}

/* The live or expired entry for `digest`, or NULL. Under r->mutex. */
static struct entry *find(const struct cds__replay *r, const unsigned char *digest)
{
	for (struct entry *e = r->buckets[bucket_of(r, digest)]; e; e = e->next)
		if (memcmp(e->digest, digest, DIGEST_BYTES) == 0)
			return e;
	return NULL;
}

/* Adds digest until expires, or extends the entry already there. Under r->mutex. */
static void put(struct cds__replay *r, const unsigned char *digest, time_t expires)
{
	struct entry *e = find(r, digest);
	if (e) {
		if (e->expires < expires)
			e->expires = expires;
		return;
	}
	e = cds__must(malloc(sizeof *e));
	memcpy(e->digest, digest, DIGEST_BYTES);
	e->expires = expires;
	size_t b = bucket_of(r, digest);
	e->next = r->buckets[b];
	r->buckets[b] = e;
	r->entries++;
}

/* Removes the entry for digest. Under r->mutex. */
static void drop(struct cds__replay *r, const unsigned char *digest)
{
	for (struct entry **link = &r->buckets[bucket_of(r, digest)]; *link; link = &(*link)->next)
		if (memcmp((*link)->digest, digest, DIGEST_BYTES) == 0) {
			struct entry *e = *link;
			*link = e->next;
			free(e);
			r->entries--;
			return;
		}
}

/* Removes every entry that expired before `now`. Under r->mutex. */
static void purge(struct cds__replay *r, time_t now)
{
	for (size_t i = 0; i < r->bucket_count; i++) {
		struct entry **link = &r->buckets[i];
		while (*link) {
			struct entry *e = *link;
			if (e->expires < now) {
				*link = e->next;
				free(e);
				r->entries--;
			} else {
				link = &e->next;
			}
		}
	}
}

/* "<expires> <hex>\n" into buf (RECORD_MAX bytes); returns its length. */
static size_t format_record(char *buf, time_t expires, const unsigned char *digest)
{
	static const char hex[] = "0123456789abcdef";
	int n = snprintf(buf, RECORD_MAX, "%lld ", (long long)expires);
	size_t len = n > 0 ? (size_t)n : 0;
	for (size_t i = 0; i < DIGEST_BYTES; i++) {
		buf[len++] = hex[digest[i] >> 4];
		buf[len++] = hex[digest[i] & 15];
	}
	buf[len++] = '\n';
	return len;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parses one record line (with its '\n'). Returns 0 or -1 when malformed. */
static int parse_record(const char *line, size_t len, time_t *expires, unsigned char *digest)
{
	if (len != 0 && line[len - 1] == '\n')
		len--;
	const char *space = memchr(line, ' ', len);
	if (!space || space == line || (size_t)(line + len - (space + 1)) != 2 * DIGEST_BYTES)
		return -1;
	long long v = 0;
	for (const char *p = line; p < space; p++) {
		if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	for (size_t i = 0; i < DIGEST_BYTES; i++) {
		int hi = hex_value(space[1 + 2 * i]), lo = hex_value(space[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -1;
		digest[i] = (unsigned char)(hi << 4 | lo);
	}
	*expires = (time_t)v;
	return 0;
}

/* Writes all of buf to fd (retrying short writes). Returns 0 or -1 (errno set). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the folder holding path, so a rename in it is durable. */
static void sync_folder(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? cds__must(strndup(path, slash == path ? 1 : (size_t)(slash - path)))
	                  : cds__must(strdup("."));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Rewrites the file with the live entries: "<path>.tmp" written, synced and locked, then renamed
 * over the file (POSIX rename is atomic: a crash leaves the old file or the new one). The new
 * file becomes r->fd. Under file_lock held exclusively (or before the cache is shared). 0, or -1
 * with err. */
static int compact(struct cds__replay *r, time_t now, struct fhir_error *err)
{
	size_t tmp_len = strlen(r->path) + 5;
	char *tmp = cds__must(malloc(tmp_len));
	snprintf(tmp, tmp_len, "%s.tmp", r->path);
	pthread_mutex_lock(&r->mutex);
	purge(r, now);
	size_t size = sizeof file_header - 1 + r->entries * RECORD_MAX, len = 0;
	char *buf = cds__must(malloc(size));
	memcpy(buf, file_header, sizeof file_header - 1);
	len = sizeof file_header - 1;
	size_t count = 0;
	for (size_t i = 0; i < r->bucket_count; i++)
		for (const struct entry *e = r->buckets[i]; e; e = e->next, count++)
			len += format_record(buf + len, e->expires, e->digest);
	pthread_mutex_unlock(&r->mutex);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 || write_all(fd, buf, len) != 0 ||
	    fdatasync(fd) != 0 || rename(tmp, r->path) != 0) {
		fhir_error_set(err, r->path, "cannot write the replay cache (via %.200s): %s", tmp,
		               strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		goto out;
	}
	sync_folder(r->path);
	if (r->fd >= 0)
		close(r->fd); /* releases the lock on the replaced file */
	r->fd = fd;
	__atomic_store_n(&r->records, count, __ATOMIC_SEQ_CST);
	__atomic_store_n(&r->broken, 0, __ATOMIC_SEQ_CST);
	rc = 0;
out:
	free(buf);
	free(tmp);
	return rc;
}

/* Reads the file into the table. A torn last line (no '\n': a crash mid-append) is ignored;
 * anything else that is not a record refuses the file. 0, or -1 with err. */
static int load(struct cds__replay *r, int fd, time_t now, struct fhir_error *err)
{
	int dup_fd = dup(fd);
	FILE *f = dup_fd >= 0 ? fdopen(dup_fd, "r") : NULL;
	if (!f) {
		if (dup_fd >= 0)
			close(dup_fd);
		fhir_error_set(err, r->path, "cannot read the replay cache: %s", strerror(errno));
		return -1;
	}
	char line[RECORD_MAX + 2];
	size_t number = 0;
	int rc = 0;
	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);
		number++;
		int complete = len > 0 && line[len - 1] == '\n';
		if (!complete && feof(f) && (number > 1 || strncmp(line, file_header, len) == 0))
			break; /* torn last line: its token was never accepted */
		if (number == 1) {
			if (strcmp(line, file_header) != 0) {
				fhir_error_set(
				    err, r->path,
				    "not a replay cache (line 1 is not '%.18s'); refusing to "
				    "write to it",
				    file_header);
				rc = -1;
				break;
			}
			continue;
		}
		time_t expires;
		unsigned char digest[DIGEST_BYTES];
		if (!complete || parse_record(line, len, &expires, digest) != 0) {
			char where[300];
			snprintf(where, sizeof where, "%.280s:%zu", r->path, number);
			fhir_error_set(err, where, "not a replay cache record");
			rc = -1;
			break;
		}
		if (expires >= now)
			put(r, digest, expires);
	}
	if (rc == 0 && ferror(f)) {
		fhir_error_set(err, r->path, "cannot read the replay cache: %s", strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

int cds__replay_open(const char *path, size_t max_entries, time_t now, struct cds__replay **out,
                     struct fhir_error *err)
{
	struct cds__replay *r = cds__must(calloc(1, sizeof *r));
	*out = NULL;
	pthread_mutex_init(&r->mutex, NULL);
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__ /* a compaction must not wait behind a steady stream of appends */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	pthread_rwlock_init(&r->file_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	r->fd = -1;
	r->max_entries = max_entries;
	size_t want = max_entries / 2 + 1;
	r->bucket_count = 64;
	while (r->bucket_count < want && r->bucket_count < ((size_t)1 << 24))
		r->bucket_count *= 2;
	r->buckets = cds__must(calloc(r->bucket_count, sizeof *r->buckets));
	if (!path) {
		*out = r;
		return FHIR_OK;
	}
	r->path = cds__must(strdup(path));
	/* The lock is held on the file for as long as this cache uses it: a second server on the
	 * same file would lose the first one's records at its next compaction. */
	int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fhir_error_set(err, path, "cannot open the replay cache: %s", strerror(errno));
		goto fail;
	}
	r->fd = fd;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fhir_error_set(
		    err, path,
		    "the replay cache is in use by another process (one file per server)");
		goto fail;
	}
	if (load(r, fd, now, err) != 0 || compact(r, now, err) != 0)
		goto fail;
	*out = r;
	return FHIR_OK;
fail:
	cds__replay_free(r);
	return FHIR_ERR_IO;
}

void cds__replay_free(struct cds__replay *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->buckets && i < r->bucket_count; i++) {
		struct entry *e = r->buckets[i];
		while (e) {
			struct entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(r->buckets);
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	pthread_mutex_destroy(&r->mutex);
	pthread_rwlock_destroy(&r->file_lock);
	free(r);
}

enum cds__auth_reason cds__replay_remember(struct cds__replay *r, const char *iss, const char *jti,
                                           time_t expires, time_t now)
{
	unsigned char digest[DIGEST_BYTES];
	digest_of(iss, jti, digest);
	pthread_mutex_lock(&r->mutex);
	struct entry *e = find(r, digest);
	if (e && e->expires >= now) {
		pthread_mutex_unlock(&r->mutex);
		return CDS__AUTH_REPLAY;
	}
	if (!e && r->entries >= r->max_entries)
		purge(r, now);
	if (!e && r->entries >= r->max_entries) {
		pthread_mutex_unlock(&r->mutex);
		return CDS__AUTH_BUSY; /* fail closed: never forget a live jti */
	}
	put(r, digest, expires); /* from here on a concurrent use of the same token is a replay */
	pthread_mutex_unlock(&r->mutex);
	if (!r->path)
		return CDS__AUTH_OK;

	/* Durable before accepted: append and sync the record, then answer. */
	enum cds__auth_reason reason = CDS__AUTH_OK;
	char record[RECORD_MAX];
	size_t len = format_record(record, expires, digest), records = 0;
	pthread_rwlock_rdlock(&r->file_lock);
	ssize_t n = __atomic_load_n(&r->broken, __ATOMIC_SEQ_CST) ? -1 : write(r->fd, record, len);
	if (n > 0 && (size_t)n < len)
		__atomic_store_n(&r->broken, 1,
		                 __ATOMIC_SEQ_CST); /* e.g. disk full: repair below */
	if (n != (ssize_t)len || fdatasync(r->fd) != 0)
		reason = CDS__AUTH_BUSY;
	else
		records = __atomic_add_fetch(&r->records, 1, __ATOMIC_SEQ_CST);
	pthread_rwlock_unlock(&r->file_lock);
	if (reason != CDS__AUTH_OK) {
		/* Not known to be on disk: refuse (503), and forget it so a retry is not a replay.
		 * A record that did reach the disk only refuses this token after a restart. */
		pthread_mutex_lock(&r->mutex);
		drop(r, digest);
		pthread_mutex_unlock(&r->mutex);
	}
	/* Expired records are dropped once they outnumber the live ones (plus a margin); a torn
	 * record is rewritten away at once (until then every token is refused: fail closed). */
	if (__atomic_load_n(&r->broken, __ATOMIC_SEQ_CST) ||
	    records >= 2 * cds__replay_count(r) + 1024) {
		pthread_rwlock_wrlock(&r->file_lock);
		if (__atomic_load_n(&r->broken, __ATOMIC_SEQ_CST) ||
		    __atomic_load_n(&r->records, __ATOMIC_SEQ_CST) >=
		        2 * cds__replay_count(r) + 1024) {
			struct fhir_error ignored = {{0}, {0}};
			if (compact(r, now, &ignored) != 0) /* the old file stays as it was */
				__atomic_store_n(&r->records, 0,
				                 __ATOMIC_SEQ_CST); /* retry later */
		}
		pthread_rwlock_unlock(&r->file_lock);
	}
	return reason;
}

size_t cds__replay_count(struct cds__replay *r)
{
	pthread_mutex_lock(&r->mutex);
	size_t n = r->entries;
	pthread_mutex_unlock(&r->mutex);
	return n;
}
