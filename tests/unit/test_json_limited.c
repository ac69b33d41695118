/* test_json_limited.c — the size/depth-limited JSON parser (fhir/json_limited.c) and its use on
 * answers of the EHR's FHIR server (fhir_client.c):
 *  - directly: each limit (bytes, depth, array items, string bytes) accepts exactly its value
 *    and rejects one more with FHIR_ERR_LIMIT and a message naming it; the subject names the
 *    text in messages; a zero byte or string limit means none;
 *  - over loopback: a FHIR server answering 200 with a Bundle nested 100000 deep, with an array
 *    of 20000 items, or with a 2 MB string is a failed fetch (status FHIR_ERR_LIMIT, `why` says
 *    which limit; no result), never a crash; a well-formed answer still arrives. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fhir.h"
#include "testkit.h"

static int parse(const char *text, const struct fhir_json_limits *l, struct fhir_error *err)
{
	cJSON *json = NULL;
	int rc = fhir_json_parse_limited(text, strlen(text), l, &json, err);

	CHECK((rc == FHIR_OK) == (json != NULL), "a tree exactly on success (rc %d)", rc);
	cJSON_Delete(json);
	return rc;
}

/* "[[[...]]]" nested n deep. NEW. */
static char *nested(size_t n)
{
	char *s = malloc(2 * n + 1);

	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	return s;
}

static void test_direct(void)
{
	struct fhir_json_limits l = {.max_bytes = 0,
	                             .max_depth = 3,
	                             .max_items = 2,
	                             .max_string_bytes = 4,
	                             .subject = "the thing"};
	struct fhir_error err = {{0}, {0}};

	CHECK(parse("[[[1]]]", &l, &err) == FHIR_OK, "depth 3 accepted: %s", err.message);
	CHECK(parse("[[[[1]]]]", &l, &err) == FHIR_ERR_LIMIT, "depth 4 refused");
	CHECK(strstr(err.message, "deeper than 3") != NULL, "depth named: %s", err.message);
	CHECK(parse("{\"a\":[1,2]}", &l, &err) == FHIR_OK, "2 items accepted");
	CHECK(parse("{\"a\":[1,2,3]}", &l, &err) == FHIR_ERR_LIMIT, "3 items refused");
	CHECK(strcmp(err.where, "/a") == 0, "array named by pointer: %s", err.where);
	CHECK(parse("[\"abcd\"]", &l, &err) == FHIR_OK, "4-byte string accepted");
	CHECK(parse("[\"abcde\"]", &l, &err) == FHIR_ERR_LIMIT, "5-byte string refused");
	CHECK(strstr(err.message, "string of 5 bytes") != NULL, "string named: %s", err.message);
	CHECK(parse("{\"abcde\":1}", &l, &err) == FHIR_ERR_LIMIT, "a long key is a string too");
	CHECK(parse("[\"a\\\"c\"]", &l, &err) == FHIR_OK, "escapes counted as written (4)");
	CHECK(parse("[1", &l, &err) == FHIR_ERR_SYNTAX, "not JSON");
	CHECK(strstr(err.message, "the thing is not valid JSON") != NULL, "subject: %s",
	      err.message);
	l.max_bytes = 6;
	CHECK(parse("[1, 2]", &l, &err) == FHIR_OK, "6 bytes accepted");
	CHECK(parse("[1,  2]", &l, &err) == FHIR_ERR_LIMIT, "7 bytes refused");
	CHECK(strstr(err.message, "the thing is 7 bytes") != NULL, "size named: %s", err.message);
	l.max_bytes = 0;
	l.max_string_bytes = 0;
	l.subject = NULL;
	CHECK(parse("[\"a very long string indeed\"]", &l, &err) == FHIR_OK, "0: no string limit");
	CHECK(parse("[1] x", &l, &err) == FHIR_ERR_SYNTAX, "text after the value");
	CHECK(parse("", &l, &err) == FHIR_ERR_SYNTAX, "empty");
	CHECK(strstr(err.message, "the JSON text is empty") != NULL, "default subject: %s",
	      err.message);
	char *deep = nested(200000); /* cJSON alone would recurse (its own limit is 1000) */
	l.max_depth = 64;
	CHECK(parse(deep, &l, &err) == FHIR_ERR_LIMIT, "200000 deep refused before parsing");
	free(deep);
}

/* ---- a loopback FHIR server that answers every GET with one canned body ------------------- */

struct canned {
	int listen_fd;
	unsigned port;
	pthread_t thread;
	const char *body;
	size_t length;
	int answers; /* how many connections to serve */
};

static void *canned_main(void *arg)
{
	struct canned *c = arg;

	for (int i = 0; i < c->answers; i++) {
		int fd = accept(c->listen_fd, NULL, NULL);
		char buf[8192], head[256];
		size_t got = 0;

		if (fd < 0)
			break;
		while (got + 1 < sizeof buf) { /* read up to the end of the request head */
			ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);

			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		int h = snprintf(head, sizeof head,
		                 "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n"
		                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		                 c->length);
		if (send(fd, head, (size_t)h, MSG_NOSIGNAL) == h)
			for (size_t off = 0; off < c->length;) {
				ssize_t n = send(fd, c->body + off, c->length - off, MSG_NOSIGNAL);

				if (n <= 0)
					break;
				off += (size_t)n;
			}
		close(fd);
	}
	return NULL;
}

static int canned_start(struct canned *c)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof a;

	c->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(c->listen_fd, 8) != 0 ||
	    getsockname(c->listen_fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	c->port = ntohs(a.sin_port);
	return pthread_create(&c->thread, NULL, canned_main, c);
}

/* Fetches Condition?patient=p from a server answering `body`; fills *it. */
static void fetch_answer(struct fhir_client *client, const char *body, struct fhir_fetch *it)
{
	struct canned c = {.body = body, .length = strlen(body), .answers = 1};
	struct fhir_error err = {{0}, {0}};
	char base[64];

	memset(it, 0, sizeof(*it));
	it->path = "Condition?patient=p";
	it->resource_type = "Condition";
	it->search = 1;
	if (canned_start(&c) != 0) {
		CHECK(0, "loopback listener");
		return;
	}
	snprintf(base, sizeof base, "http://127.0.0.1:%u", c.port);
	CHECK(fhir_client_fetch(client, base, "token", it, 1, &err) != FHIR_ERR_INVALID,
	      "fetch ran: %s", err.message);
	pthread_join(c.thread, NULL);
	close(c.listen_fd);
}

/* A searchset Bundle whose one Condition's note text is `middle` (may be JSON, unquoted). NEW. */
static char *bundle_with(const char *prefix, const char *middle, const char *suffix)
{
	const char *head = "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[{"
	                   "\"resource\":{\"resourceType\":\"Condition\",\"id\":\"c\",\"x\":";
	const char *tail = "}}]}";
	size_t n = strlen(head) + strlen(prefix) + strlen(middle) + strlen(suffix) + strlen(tail);
	char *s = malloc(n + 1);

	snprintf(s, n + 1, "%s%s%s%s%s", head, prefix, middle, suffix, tail);
	return s;
}

static void test_fhir_server(void)
{
	struct fhir_client *client = NULL;
	struct fhir_fetch it;
	char *body, *deep = nested(100000);
	size_t big = 2u * 1024u * 1024u, many = 120000;
	char *string = malloc(big + 1), *items = malloc(2 * many + 1);

	memset(string, 'a', big);
	string[big] = '\0';
	for (size_t i = 0; i < many; i++) {
		items[2 * i] = '0';
		items[2 * i + 1] = i + 1 < many ? ',' : '\0';
	}
	items[2 * many] = '\0';
	CHECK(fhir_client_new(NULL, &client, NULL) == FHIR_OK, "client");

	body = bundle_with("", "1", "");
	fetch_answer(client, body, &it);
	CHECK(it.status == FHIR_OK && it.result != NULL, "a plain answer arrives: %s", it.why);
	cJSON_Delete(it.result);
	free(body);

	body = bundle_with("", deep, "");
	fetch_answer(client, body, &it);
	CHECK(it.status == FHIR_ERR_LIMIT && it.result == NULL, "too deep: unavailable (%d)",
	      it.status);
	CHECK(strstr(it.why, "nesting deeper than 64") != NULL, "why: %s", it.why);
	free(body);

	body = bundle_with("[", items, "]");
	fetch_answer(client, body, &it);
	CHECK(it.status == FHIR_ERR_LIMIT && it.result == NULL, "too many items (%d)", it.status);
	CHECK(strstr(it.why, "array has 120000 items") != NULL, "why: %s", it.why);
	free(body);

	body = bundle_with("\"", string, "\"");
	fetch_answer(client, body, &it);
	CHECK(it.status == FHIR_ERR_LIMIT && it.result == NULL, "too long a string (%d)",
	      it.status);
	CHECK(strstr(it.why, "JSON string of 2097152 bytes") != NULL, "why: %s", it.why);
	free(body);

	fhir_client_free(client);
	free(deep);
	free(string);
	free(items);
}

int main(void)
{
	if (fhir_client_global_init() != FHIR_OK)
		return 1;
	test_direct();
	test_fhir_server();
	fhir_client_global_cleanup();
	return testkit_done();
}
