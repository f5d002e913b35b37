/*
 * test_htpasswd.c - htpasswd checks: bcrypt entries, wrong passwords and
 * users, entries too weak to accept, and re-reading a changed file.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/htpasswd.h"
#include "test.h"

static char *bcrypt(const char *pw)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	CHECK(crypt_gensalt_rn("$2y$", 5, NULL, 0, salt, sizeof salt) != NULL);
	struct crypt_data *cd = calloc(1, sizeof *cd);
	char *out = strdup(crypt_r(pw, salt, cd));
	free(cd);
	return out;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

TEST(htpasswd_bcrypt)
{
	char path[] = "/tmp/berth-htpasswd-XXXXXX";
	close(mkstemp(path));
	char *a = bcrypt("secret"), *b = bcrypt("other");
	char text[1024];
	snprintf(text, sizeof text,
		 "# comment\nalice:%s\nplain:secret\nmd5:$apr1$abc$def\nbob:%s\r\n",
		 a, b);
	write_file(path, text);
	char err[256];
	berth_htpasswd *h = auth_htpasswd_open(path, err, sizeof err);
	CHECK(h != NULL);
	CHECK_EQ_INT(auth_htpasswd_count(h), 2);
	CHECK_EQ_INT(auth_htpasswd_check(h, "alice", "secret"), 1);
	CHECK_EQ_INT(auth_htpasswd_check(h, "alice", "secret"), 1); /* cached */
	CHECK_EQ_INT(auth_htpasswd_check(h, "alice", "Secret"), 0);
	CHECK_EQ_INT(auth_htpasswd_check(h, "alice", ""), 0);
	CHECK_EQ_INT(auth_htpasswd_check(h, "bob", "other"), 1);
	CHECK_EQ_INT(auth_htpasswd_check(h, "bob", "secret"), 0);
	CHECK_EQ_INT(auth_htpasswd_check(h, "plain", "secret"), 0);
	CHECK_EQ_INT(auth_htpasswd_check(h, "nobody", "secret"), 0);

	/* Rewritten file: alice's old password stops working (the cache is
	   dropped) once the change is seen. */
	char *a2 = bcrypt("new");
	snprintf(text, sizeof text, "alice:%s\n", a2);
	write_file(path, text);
	auth_htpasswd_invalidate(h);
	CHECK_EQ_INT(auth_htpasswd_check(h, "alice", "secret"), 0);
	CHECK_EQ_INT(auth_htpasswd_check(h, "alice", "new"), 1);
	CHECK_EQ_INT(auth_htpasswd_check(h, "bob", "other"), 0);
	/* A file that vanishes keeps the entries in force. */
	unlink(path);
	auth_htpasswd_invalidate(h);
	CHECK_EQ_INT(auth_htpasswd_check(h, "alice", "new"), 1);
	auth_htpasswd_free(h);
	free(a); free(b); free(a2);
}

TEST(htpasswd_refuses_unusable_files)
{
	char err[256];
	CHECK(auth_htpasswd_open("/nonexistent/htpasswd", err, sizeof err) == NULL);
	char path[] = "/tmp/berth-htpasswd-XXXXXX";
	close(mkstemp(path));
	write_file(path, "plain:secret\n");
	CHECK(auth_htpasswd_open(path, err, sizeof err) == NULL);
	CHECK(strstr(err, "htpasswd -B") != NULL);
	unlink(path);
}
