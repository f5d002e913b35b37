/*
 * main.c - runs every registered unit test case, or those whose name
 * contains argv[1].
 */
#include <stdlib.h>
#include <string.h>

#include "common/json_limits.h"
#include "test.h"

#define MAX_TESTS 1024

static struct {
	const char *file;
	const char *name;
	test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int current_failed;

void test_register(const char *file, const char *name, test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].file = file;
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "    %s:%d: check failed: %s\n", file, line, expr);
	current_failed = 1;
}

static int by_name(const void *a, const void *b)
{
	const typeof(tests[0]) *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	json_limits_init();
	qsort(tests, ntests, sizeof tests[0], by_name);
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current_failed = 0;
		tests[i].fn();
		const char *base = strrchr(tests[i].file, '/');
		printf("%s %s: %s\n", current_failed ? "FAIL" : "ok  ",
		       base ? base + 1 : tests[i].file, tests[i].name);
		if (current_failed)
			failed++;
		else
			passed++;
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
