/* watch.c — `serve --watch` (issue 14 item 1): reloads when the files a configuration is made of
 * change, through the reload thread SIGHUP uses (reload.c), so a watched change and a SIGHUP
 * coalesce and never run at once, and a broken set is refused exactly as a SIGHUP's is.
 *
 * Linux inotify watches folders, not files (editors and deploy tools replace a file by renaming
 * a new one over it, which a watch on the file itself would miss):
 *  - the --policies folder and every folder below it (the loader's tree: files.c); a change
 *    counts when it touches what the loader reads, a visible *.json or *.csv or a folder, so
 *    editors' swap and backup files (".x.swp", "x.json~", "#x#", "4913") are ignored;
 *  - the folder holding each single file: the --config file, the issuers' JWKS files, the
 *    jwksCaFile and adminTokenFile (as the config file names them now), and the --policies
 *    folder itself (replaced by a rename or a symlink swap); a change there counts only for
 *    those names. A file that is a symlink is watched at its target too.
 * After a change it waits for a quiet period (limits.watchQuietMs, default 300 ms: every
 * further change restarts it, up to ten periods in all) so that a `cp -r` of a whole folder is
 * one reload; then it takes the folder list afresh (new folders are also watched the moment
 * they appear, before their files are written), logs one line and asks for a reload. It never
 * reads a policy itself and never blocks a request. */
#define _GNU_SOURCE /* realpath, eventfd */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cds_internal.h"

#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR)
#define WATCH_MAX_DIRS   CDS__MAX_CONFIG_FILES /* folders watched at most */
#define WATCH_MAX_WAITS  10                    /* a busy folder still reloads after 10 quiets */
#define WATCH_NOTE_BYTES 200                   /* the changed names a log line shows */

/* One watched folder (one inotify watch descriptor). All NEW. */
struct dir {
	int wd;
	char *path;   /* as first reached (logs) */
	int tree;     /* below --policies: every visible *.json, *.csv or folder counts */
	int depth;    /* below --policies (tree only) */
	char **names; /* the single files watched in it */
	size_t name_count;
};

/* A set of watched folders, by watch descriptor. */
struct dirs {
	struct dir *items;
	size_t count;
};

struct cds__watcher {
	struct cds__reloader *reloader; /* BORROWED */
	struct cds__reload_source src;  /* its strings BORROWED */
	unsigned long quiet_ms;
	FILE *log;
	int fd;   /* inotify */
	int stop; /* eventfd: written by cds__watch_stop */
	pthread_t thread;
	struct dirs dirs;  /* the watch thread's */
	int full_reported; /* the inotify watch limit was logged */
};

static void dir_clear(struct dir *d)
{
	free(d->path);
	for (size_t i = 0; i < d->name_count; i++)
		free(d->names[i]);
	free(d->names);
}

static void dirs_clear(struct dirs *ds)
{
	for (size_t i = 0; i < ds->count; i++)
		dir_clear(&ds->items[i]);
	free(ds->items);
	ds->items = NULL;
	ds->count = 0;
}

static struct dir *dirs_find(struct dirs *ds, int wd)
{
	for (size_t i = 0; i < ds->count; i++)
		if (ds->items[i].wd == wd)
			return &ds->items[i];
	return NULL;
}

/* Watches `path` (a folder) into ds: a folder already there (the same inode gives the same watch
 * descriptor) takes the new role too. NULL when it cannot be watched (absent: not an error; the
 * inotify limit: logged once). */
static struct dir *watch_dir(struct cds__watcher *w, struct dirs *ds, const char *path)
{
	if (ds->count >= WATCH_MAX_DIRS)
		return NULL;
	int wd = inotify_add_watch(w->fd, path, WATCH_MASK);
	if (wd < 0) {
		if ((errno == ENOSPC || errno == ENOMEM) && !w->full_reported) {
			w->full_reported = 1;
			fprintf(w->log,
			        "cds-commissioning: watch: cannot watch %s: %s (raise "
			        "fs.inotify.max_user_watches); its changes need SIGHUP\n",
			        path, strerror(errno));
		}
		return NULL;
	}
	struct dir *d = dirs_find(ds, wd);
	if (d)
		return d;
	ds->items = cds__must(realloc(ds->items, (ds->count + 1) * sizeof *ds->items));
	d = &ds->items[ds->count++];
	memset(d, 0, sizeof *d);
	d->wd = wd;
	d->path = cds__must(strdup(path));
	return d;
}

/* Watches one file by its folder and name (and, for a symlink, its target's too). */
static void watch_file(struct cds__watcher *w, struct dirs *ds, const char *path, int follow)
{
	if (!path || !path[0] || strncmp(path, "https://", 8) == 0 ||
	    strncmp(path, "http://", 7) == 0)
		return;
	char *copy = cds__must(strdup(path));
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/') /* "policies/" names the folder "policies" */
		copy[--n] = '\0';
	char *slash = strrchr(copy, '/');
	const char *name = slash ? slash + 1 : copy;
	const char *folder = slash ? (slash == copy ? "/" : copy) : ".";
	if (slash)
		*slash = '\0';
	struct dir *d = name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0
	                    ? watch_dir(w, ds, folder)
	                    : NULL;
	if (d) {
		size_t i = 0;
		while (i < d->name_count && strcmp(d->names[i], name) != 0)
			i++;
		if (i == d->name_count) {
			d->names = cds__must(realloc(d->names, (i + 1) * sizeof *d->names));
			d->names[d->name_count++] = cds__must(strdup(name));
		}
	}
	free(copy);
	struct stat st;
	char real[PATH_MAX];
	if (follow && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, real))
		watch_file(w, ds, real, 0);
}

/* A name the policies loader reads (files.c), or a folder it descends into. */
static int loader_reads(const char *name, int is_dir)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return 0; /* hidden: also vim's ".x.swp" and emacs's ".#x" */
	return is_dir || (n > 5 && strcmp(name + n - 5, ".json") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".csv") == 0);
}

/* Watches the folder `path` of the policies tree at `depth` and every folder below it. */
static void watch_tree(struct cds__watcher *w, struct dirs *ds, const char *path, int depth)
{
	struct dir *d = watch_dir(w, ds, path);
	if (!d)
		return;
	d->tree = 1;
	d->depth = depth;
	if (depth >= CDS__MAX_CONFIG_DEPTH)
		return;
	DIR *dir = opendir(path);
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (!loader_reads(de->d_name, 1))
			continue;
		size_t n = strlen(path) + strlen(de->d_name) + 2;
		char *child = cds__must(malloc(n));
		snprintf(child, n, "%s/%s", path, de->d_name);
		struct stat st;
		if (stat(child, &st) == 0 && S_ISDIR(st.st_mode))
			watch_tree(w, ds, child, depth + 1);
		else if (loader_reads(de->d_name, 0) && lstat(child, &st) == 0 &&
		         S_ISLNK(st.st_mode))
			watch_file(w, ds, child, 1); /* its target's folder too */
		free(child);
	}
	closedir(dir);
}

static void ignore_report(void *ctx, const char *file, const char *pointer, const char *message)
{
	(void)ctx, (void)file, (void)pointer, (void)message;
}

/* Watches everything the configuration is read from now, then drops the watches no longer
 * needed (added before removed, so no change falls between the two). */
static void rescan(struct cds__watcher *w)
{
	struct dirs next = {NULL, 0};
	if (w->src.policies_dir) {
		watch_tree(w, &next, w->src.policies_dir, 0);
		watch_file(w, &next, w->src.policies_dir, 1); /* replaced, or a symlink swapped */
	}
	watch_file(w, &next, w->src.config_file, 1);
	/* The files the server settings name, as the config file and command line give them now
	 * (the reload reads these; errors are the reload's to report). */
	struct cds_config *cfg = NULL;
	struct engine_reporter quiet = {ignore_report, NULL};
	if (w->src.settings)
		w->src.settings(w->src.ctx, &quiet, &cfg);
	for (size_t i = 0; cfg && i < cfg->issuer_count; i++)
		watch_file(w, &next, cfg->issuers[i].jwks, 1);
	if (cfg) {
		watch_file(w, &next, cfg->jwks_ca_file, 1);
		watch_file(w, &next, cfg->admin_token_file, 1);
	}
	cds_config_free(cfg);
	for (size_t i = 0; i < w->dirs.count; i++)
		if (!dirs_find(&next, w->dirs.items[i].wd))
			inotify_rm_watch(w->fd, w->dirs.items[i].wd);
	dirs_clear(&w->dirs);
	w->dirs = next;
}

/* Whether one event is a change to the configuration (and watches a folder that appeared below
 * --policies at once, so that the files then written into it are seen). */
static int relevant(struct cds__watcher *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW)
		return 1; /* events were lost: reload to be sure */
	struct dir *d = dirs_find(&w->dirs, ev->wd);
	if (ev->mask & IN_IGNORED) { /* the folder went: its watch is gone */
		if (d) {
			dir_clear(d);
			*d = w->dirs.items[--w->dirs.count];
		}
		return 0;
	}
	if (!d || !ev->len || !ev->name[0])
		return 0;
	int is_dir = (ev->mask & IN_ISDIR) != 0;
	if (d->tree && loader_reads(ev->name, is_dir)) {
		if (is_dir && (ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
		    d->depth < CDS__MAX_CONFIG_DEPTH) {
			size_t n = strlen(d->path) + strlen(ev->name) + 2;
			char *child = cds__must(malloc(n));
			snprintf(child, n, "%s/%s", d->path, ev->name);
			watch_tree(w, &w->dirs, child, d->depth + 1); /* may move d */
			free(child);
		}
		return 1;
	}
	for (size_t i = 0; i < d->name_count; i++)
		if (strcmp(d->names[i], ev->name) == 0)
			return 1;
	return 0;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Appends "folder/name" to the note of changed names (cut at WATCH_NOTE_BYTES). */
static void note_change(char *note, size_t size, const char *folder, const char *name)
{
	char entry[PATH_MAX + 256];
	snprintf(entry, sizeof entry, "%s/%s", folder, name);
	size_t at = strlen(note);
	if (at + 4 >= size || strstr(note, entry)) /* once each (near enough for a log line) */
		return;
	int n = snprintf(note + at, size - at, "%s%s", at ? ", " : "", entry);
	if (n < 0 || (size_t)n >= size - at)
		snprintf(note + size - 4, 4, "...");
}

static void *watch_main(void *arg)
{
	struct cds__watcher *w = arg;
	_Alignas(struct inotify_event) char buf[16384]; /* events, each with its name after it */
	char note[WATCH_NOTE_BYTES + 4] = "";
	unsigned long changes = 0;
	long long first = 0, last = 0;
	const long long quiet = (long long)w->quiet_ms;
	for (;;) {
		int timeout = -1;
		if (changes) {
			long long due = last + quiet, cap = first + quiet * WATCH_MAX_WAITS;
			long long left = (due < cap ? due : cap) - now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		struct pollfd fds[2] = {{w->fd, POLLIN, 0}, {w->stop, POLLIN, 0}};
		int n = poll(fds, 2, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && fds[1].revents)
			break;
		ssize_t got;
		while (n > 0 && (got = read(w->fd, buf, sizeof buf)) > 0) {
			for (char *p = buf; p < buf + got;) {
				const struct inotify_event *ev = (const void *)p;
				p += sizeof *ev + ev->len;
				const struct dir *d = dirs_find(&w->dirs, ev->wd);
				char folder[PATH_MAX];
				snprintf(folder, sizeof folder, "%s", d ? d->path : "?");
				if (!relevant(w, ev)) /* may change w->dirs */
					continue;
				last = now_ms();
				if (!changes++)
					first = last;
				note_change(note, sizeof note, folder,
				            ev->len ? ev->name : "(events lost)");
			}
		}
		long long now = now_ms();
		if (!changes || (now < last + quiet && now < first + quiet * WATCH_MAX_WAITS))
			continue;
		rescan(w); /* before the reload reads: a change from here on is seen */
		fprintf(w->log,
		        "cds-commissioning: watch: %lu change%s (%s) then quiet for %lu ms: "
		        "reloading\n",
		        changes, changes == 1 ? "" : "s", note, w->quiet_ms);
		fflush(w->log);
		cds__reload_request(w->reloader, CDS__RELOAD_WATCH);
		changes = 0;
		note[0] = '\0';
	}
	return NULL;
}

int cds__watch_start(struct cds__reloader *reloader, const struct cds__reload_source *src,
                     unsigned long quiet_ms, struct cds__watcher **out, struct fhir_error *err)
{
	*out = NULL;
	struct cds__watcher *w = cds__must(calloc(1, sizeof *w));
	w->reloader = reloader;
	w->src = *src;
	w->quiet_ms = quiet_ms;
	w->log = src->log ? src->log : stderr;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->stop = w->fd >= 0 ? eventfd(0, EFD_CLOEXEC) : -1;
	if (w->fd < 0 || w->stop < 0) {
		fhir_error_set(err, "--watch", "inotify: %s", strerror(errno));
		goto fail;
	}
	rescan(w);
	if (w->dirs.count == 0) {
		fhir_error_set(err, "--watch",
		               "nothing to watch: no --policies folder, --config file or JWKS file "
		               "could be watched");
		goto fail;
	}
	fprintf(w->log,
	        "cds-commissioning: watch: reloading when the configuration's files change "
	        "(%zu folder%s watched; quiet period %lu ms)\n",
	        w->dirs.count, w->dirs.count == 1 ? "" : "s", quiet_ms);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		fhir_error_set(err, "--watch", "cannot start the watch thread");
		goto fail;
	}
	*out = w;
	return FHIR_OK;
fail:
	dirs_clear(&w->dirs);
	if (w->fd >= 0)
		close(w->fd);
	if (w->stop >= 0)
		close(w->stop);
	free(w);
	return FHIR_ERR_IO;
}

void cds__watch_stop(struct cds__watcher *w)
{
	if (!w)
		return;
	uint64_t one = 1;
	if (write(w->stop, &one, sizeof one) != (ssize_t)sizeof one)
		fputs("cds-commissioning: watch: cannot signal the watch thread\n", w->log);
	pthread_join(w->thread, NULL);
	dirs_clear(&w->dirs);
	close(w->fd);
	close(w->stop);
	free(w);
}
