/*
 * test_log.c - level names, the level filter, and the line format
 * (captured by pointing stderr at a temporary file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "test.h"

TEST(log_level_parse)
{
	CHECK_EQ_INT(log_level_parse("error"), BERTH_LOG_ERROR);
	CHECK_EQ_INT(log_level_parse("warn"), BERTH_LOG_WARN);
	CHECK_EQ_INT(log_level_parse("warning"), BERTH_LOG_WARN);
	CHECK_EQ_INT(log_level_parse("info"), BERTH_LOG_INFO);
	CHECK_EQ_INT(log_level_parse("DEBUG"), BERTH_LOG_DEBUG);
	CHECK_EQ_INT(log_level_parse("verbose"), -1);
	CHECK_EQ_INT(log_level_parse(""), -1);
	CHECK_EQ_INT(log_level_parse(NULL), -1);
}

/* Run the logger with stderr redirected; returns what it wrote. */
static char *capture(void (*fn)(void))
{
	char path[] = "/tmp/berth-log-test-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	static char buf[8192];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	unlink(path);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void emit(void)
{
	log_set_level(BERTH_LOG_WARN);
	LOG_INFO("hidden %d", 1);
	LOG_DEBUG("hidden too");
	LOG_WARN("shown %s\n", "warn");
	LOG_ERROR("shown error");
	log_set_level(BERTH_LOG_INFO);
}

TEST(log_filter_and_format)
{
	char *out = capture(emit);
	CHECK(out != NULL);
	if (!out)
		return;
	CHECK(strstr(out, "hidden") == NULL);
	char *l1 = out, *nl = strchr(out, '\n');
	CHECK(nl != NULL);
	if (!nl)
		return;
	*nl = '\0';
	char *l2 = nl + 1;
	/* 2024-01-02T03:04:05.678Z WARN  shown warn */
	CHECK_EQ_INT(strlen(l1), 24 + 1 + 5 + 1 + strlen("shown warn"));
	CHECK(l1[4] == '-' && l1[10] == 'T' && l1[19] == '.' && l1[23] == 'Z');
	CHECK(strstr(l1, " WARN  shown warn") != NULL);
	CHECK(strstr(l2, " ERROR shown error\n") != NULL);
	CHECK(strchr(l2, '\n')[1] == '\0'); /* exactly two lines */
}

static void emit_long(void)
{
	char *big = malloc(5000);
	memset(big, 'q', 4999);
	big[4999] = '\0';
	LOG_ERROR("%s|end", big);
	free(big);
}

TEST(log_long_message_not_truncated)
{
	char *out = capture(emit_long);
	CHECK(out != NULL && strstr(out, "qqqq|end\n") != NULL);
}
