/* patient.c — the patient column as a keyed hash (issue 13 item 3): hex HMAC-SHA256 of
 * context.patientId under the deployment's key, read from a file only its owner can read. The
 * same id under the same key always gives the same value (the report counts patients), another
 * key a different one; without the key the id cannot be recovered by trying likely ids. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/hmac.h>

#include "rows.h"

int cds__patient_key_load(const char *path, struct cds__patient_key *out, struct fhir_error *err)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fhir_error_set(err, path, "cannot read the patient key: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return FHIR_ERR_IO;
	}
	int rc = FHIR_ERR_IO;
	if (!S_ISREG(st.st_mode)) {
		fhir_error_set(err, path, "the patient key is not a regular file");
	} else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fhir_error_set(err, path,
		               "the patient key must be readable by its owner only (chmod 600)");
	} else if (st.st_size < CDS__PATIENT_KEY_MIN || st.st_size > CDS__PATIENT_KEY_MAX) {
		fhir_error_set(err, path,
		               "the patient key must hold %d to %d bytes (32 random bytes)",
		               CDS__PATIENT_KEY_MIN, CDS__PATIENT_KEY_MAX);
	} else {
		ssize_t n = read(fd, out->bytes, (size_t)st.st_size);
		if (n == st.st_size) {
			out->length = (size_t)n;
			rc = FHIR_OK;
		} else {
			fhir_error_set(err, path, "cannot read the patient key: %s",
			               n < 0 ? strerror(errno) : "short read");
		}
	}
	close(fd);
	if (rc != FHIR_OK)
		memset(out, 0, sizeof *out);
	return rc;
}

int cds__patient_key_create(const char *path, struct cds__patient_key *out, struct fhir_error *err)
{
	unsigned char key[32];
	size_t got = 0;
	while (got < sizeof key) {
		ssize_t n = getrandom(key + got, sizeof key - got, 0);
		if (n <= 0) {
			fhir_error_set(err, path, "no random bytes for the patient key");
			return FHIR_ERR_IO;
		}
		got += (size_t)n;
	}
	/* Written whole under a temporary name, then linked to `path`, which fails if it exists:
	 * two services starting together end up with one key, never a torn one. */
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	int fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0) {
		fhir_error_set(err, path, "cannot create the patient key: %s", strerror(errno));
		return FHIR_ERR_IO;
	}
	int ok = write(fd, key, sizeof key) == (ssize_t)sizeof key && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	memset(key, 0, sizeof key);
	int linked = ok && link(tmp, path) == 0;
	int saved = errno;
	unlink(tmp);
	if (!linked && !(ok && saved == EEXIST)) { /* EEXIST: another process made it: use it */
		fhir_error_set(err, path, "cannot write the patient key: %s", strerror(saved));
		return FHIR_ERR_IO;
	}
	return cds__patient_key_load(path, out, err);
}

void cds__patient_hmac(const struct cds__patient_key *key, const char *id, char hex[65])
{
	unsigned char mac[32];
	unsigned int len = 0;
	HMAC(EVP_sha256(), key->bytes, (int)key->length, (const unsigned char *)id, strlen(id), mac,
	     &len);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	hex[64] = '\0';
}
