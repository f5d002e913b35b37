/*
 * fuzz_config.c - config_parse on arbitrary YAML.  A bad
 * configuration must end in an error message naming what is wrong, never
 * a crash; a good one must leave the settings the server needs set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* warnings for accepted-but-unused keys would flood the output */
	log_set_level(BERTH_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *yaml = malloc(size ? size : 1);
	if (!yaml)
		return 0;
	memcpy(yaml, data, size);
	berth_settings s;
	char err[1024];
	if (config_parse(yaml, size, "fuzz.yml", &s, err, sizeof err) ==
	    0) {
		if (!s.driver || !*s.driver || !s.addr || !s.source ||
		    s.timeout_s == 0 || s.header_timeout_s == 0 ||
		    s.workers == 0)
			abort();
		if (s.noptions && !s.options)
			abort();
		config_free(&s);
	} else if (!err[0]) {
		abort();
	}
	free(yaml);
	return 0;
}
