/* files.c — gathers the configuration files engine_load needs: the embedded table, or every
 * *.json and *.csv below a policies folder (names relative to it), with deployment.json
 * optionally replaced by --config. Read errors are reported naming the file. It must not parse
 * or check the files' contents (engine_load does). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cds_internal.h"

int cds__read_file(const char *path, size_t limit, char **out, size_t *length,
                   struct fhir_error *err)
{
	int rc = FHIR_OK;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	*out = NULL;
	*length = 0;
	if (!fp) {
		fhir_error_set(err, path, "cannot open: %s", strerror(errno));
		rc = FHIR_ERR_IO;
		goto out;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = cds__must(realloc(buf, cap));
		}
		size_t n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (len > limit) {
			fhir_error_set(err, path, "file is larger than %zu bytes", limit);
			rc = FHIR_ERR_LIMIT;
			goto out;
		}
		if (n == 0) {
			if (ferror(fp)) {
				fhir_error_set(err, path, "cannot read: %s", strerror(errno));
				rc = FHIR_ERR_IO;
				goto out;
			}
			break;
		}
	}
	buf = cds__must(realloc(buf, len + 1));
	buf[len] = '\0';
	*out = buf;
	*length = len;
	buf = NULL;
out:
	if (fp && fp != stdin)
		fclose(fp);
	free(buf);
	return rc;
}

static void report(const struct engine_reporter *rep, const char *file, const char *message)
{
	if (rep && rep->report)
		rep->report(rep->ctx, file, "", message);
}

/* Appends one entry; TAKES name and text when owned. */
static void files_push(struct cds__files *files, const char *name, const char *text, size_t length,
                       int owned)
{
	if (files->count == files->capacity) {
		files->capacity = files->capacity ? files->capacity * 2 : 32;
		files->items =
		    cds__must(realloc(files->items, files->capacity * sizeof *files->items));
		files->owned = cds__must(realloc(files->owned, files->capacity));
	}
	files->items[files->count].name = name;
	files->items[files->count].text = text;
	files->items[files->count].length = length;
	files->owned[files->count] = (unsigned char)(owned != 0);
	files->count++;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = cds__must(malloc(la + lb + 2));
	memcpy(s, a, la);
	size_t n = la;
	if (la && lb)
		s[n++] = '/';
	memcpy(s + n, b, lb);
	s[n + lb] = '\0';
	return s;
}

/* Reads `root`/`rel` recursively. Returns FHIR_OK or the first failure (all are reported). */
static int read_tree(struct cds__files *files, const char *root, const char *rel, int depth,
                     const struct engine_reporter *rep)
{
	int rc = FHIR_OK;
	char *dirpath = rel[0] ? join(root, rel) : join(root, "");
	DIR *dir = opendir(dirpath);
	if (!dir) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot open folder: %s", strerror(errno));
		report(rep, dirpath, msg);
		rc = FHIR_ERR_IO;
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue; /* ".", "..", and hidden files */
		char *child_rel = join(rel, de->d_name);
		char *child_path = join(root, child_rel);
		struct stat st;
		int child_rc = FHIR_OK;
		if (stat(child_path, &st) != 0) {
			char msg[300];
			snprintf(msg, sizeof msg, "cannot stat: %s", strerror(errno));
			report(rep, child_path, msg);
			child_rc = FHIR_ERR_IO;
		} else if (S_ISDIR(st.st_mode)) {
			if (depth >= CDS__MAX_CONFIG_DEPTH) {
				report(rep, child_path, "folders nested too deeply");
				child_rc = FHIR_ERR_LIMIT;
			} else {
				child_rc = read_tree(files, root, child_rel, depth + 1, rep);
			}
		} else if (S_ISREG(st.st_mode) &&
		           (ends_with(de->d_name, ".json") || ends_with(de->d_name, ".csv"))) {
			char *text = NULL;
			size_t length = 0;
			struct fhir_error err = {{0}, {0}};
			if (files->count >= CDS__MAX_CONFIG_FILES) {
				report(rep, child_path, "too many files below the policies folder");
				child_rc = FHIR_ERR_LIMIT;
			} else if ((child_rc =
			                cds__read_file(child_path, CDS__MAX_CONFIG_FILE_BYTES,
			                               &text, &length, &err)) != FHIR_OK) {
				report(rep, child_path, err.message);
			} else {
				files_push(files, child_rel, text, length, 1);
				child_rel = NULL; /* taken */
			}
		}
		if (child_rc != FHIR_OK && rc == FHIR_OK)
			rc = child_rc;
		free(child_rel);
		free(child_path);
	}
out:
	if (dir)
		closedir(dir);
	free(dirpath);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct engine_file *)a)->name, ((const struct engine_file *)b)->name);
}

int cds__files_read_dir(struct cds__files *files, const char *dir,
                        const struct engine_reporter *rep)
{
	int rc = read_tree(files, dir, "", 0, rep);
	/* All entries read here are owned, so sorting items alone keeps `owned` (all 1) valid. */
	if (files->count > 1)
		qsort(files->items, files->count, sizeof *files->items, by_name);
	return rc;
}

void cds__files_add_embedded(struct cds__files *files)
{
	for (size_t i = 0; i < engine_embedded_file_count; i++)
		files_push(files, engine_embedded_files[i].name, engine_embedded_files[i].text,
		           engine_embedded_files[i].length, 0);
}

int cds__files_set_deployment(struct cds__files *files, const char *path,
                              const struct engine_reporter *rep)
{
	char *text = NULL;
	size_t length = 0;
	struct fhir_error err = {{0}, {0}};
	int rc = cds__read_file(path, CDS__MAX_CONFIG_FILE_BYTES, &text, &length, &err);
	if (rc != FHIR_OK) {
		report(rep, path, err.message);
		return rc;
	}
	for (size_t i = 0; i < files->count; i++) {
		if (strcmp(files->items[i].name, "deployment.json") != 0)
			continue;
		if (files->owned[i]) {
			free((char *)files->items[i].text);
			files->items[i].text = text;
			files->items[i].length = length;
			return FHIR_OK;
		}
		/* An embedded entry: replace it by an owned one. */
		files->items[i].name = cds__must(strdup("deployment.json"));
		files->items[i].text = text;
		files->items[i].length = length;
		files->owned[i] = 1;
		return FHIR_OK;
	}
	files_push(files, cds__must(strdup("deployment.json")), text, length, 1);
	return FHIR_OK;
}

void cds__files_clear(struct cds__files *files)
{
	for (size_t i = 0; i < files->count; i++) {
		if (files->owned[i]) {
			free((char *)files->items[i].name);
			free((char *)files->items[i].text);
		}
	}
	free(files->items);
	free(files->owned);
	memset(files, 0, sizeof *files);
}
