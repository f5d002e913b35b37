/*
 * fault_settings.c - what fails and when: parsing the fault options
 * (failnth, failevery, failrate, seed, failops, failcode, truncatewrites,
 * latencyms, bufferwrites), the runtime control file, and the per-call
 * decision.
 *
 * The control file lets a test change the faults of a running server
 * ("failrate=1" to break the backend, an empty file to heal it) without a
 * restart.  It is checked with one stat() per call and re-read only when
 * its mtime, size or inode changed.  Its settings apply on top of the
 * options; a missing or empty file means the options alone.  Every
 * re-read restarts the call counter (so failnth counts from the change)
 * and the random sequence.
 *
 * failrate draws from a seeded xorshift64* generator, so a run with the
 * same seed and the same calls fails the same calls.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fault.h"

static const char *const op_names[FOP_COUNT] = {
	"get_content", "put_content", "reader_open", "reader_read",
	"writer_open", "writer_write", "writer_commit", "writer_close",
	"stat", "list", "move", "remove", "walk", "batch", "writer_flush",
};

const char *fault_op_name(enum fault_op op)
{
	return op < FOP_COUNT ? op_names[op] : "?";
}

void fault_settings_init(fault_settings *s)
{
	memset(s, 0, sizeof *s);
	s->ops = (1u << FOP_COUNT) - 1;
	s->failcode = BERTH_E_IO;
	s->seed = 1;
}

static int parse_ops(const char *v, unsigned *out, char *err, size_t errlen)
{
	unsigned ops = 0;
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", ");
		int found = 0;
		if (n == 3 && !strncmp(p, "all", 3)) {
			ops |= (1u << FOP_COUNT) - 1;
			found = 1;
		}
		for (int i = 0; i < FOP_COUNT && !found; i++) {
			if (strlen(op_names[i]) == n && !strncmp(p, op_names[i], n)) {
				ops |= 1u << i;
				found = 1;
			}
		}
		if (!found) {
			snprintf(err, errlen, "failops: unknown operation \"%.*s\"",
				 (int)n, p);
			return -1;
		}
		p += n;
	}
	if (!ops) {
		snprintf(err, errlen, "failops: no operation named");
		return -1;
	}
	*out = ops;
	return 1;
}

int fault_settings_set(fault_settings *s, const char *key, const char *value,
		       char *err, size_t errlen)
{
	int64_t i;
	int b;
	if (!strcmp(key, "failnth") || !strcmp(key, "failevery") ||
	    !strcmp(key, "seed") || !strcmp(key, "latencyms") ||
	    !strcmp(key, "bufferwrites")) {
		int64_t max = INT64_MAX;
		if (!strcmp(key, "latencyms"))
			max = 600000;
		else if (!strcmp(key, "bufferwrites"))
			max = (int64_t)1 << 30;
		if (berth_sdk_parse_int(value, 0, max, &i)) {
			snprintf(err, errlen, "%s: want an integer in 0..%lld, got \"%s\"",
				 key, (long long)max, value);
			return -1;
		}
		if (!strcmp(key, "failnth"))
			s->failnth = (uint64_t)i;
		else if (!strcmp(key, "failevery"))
			s->failevery = (uint64_t)i;
		else if (!strcmp(key, "seed"))
			s->seed = (uint64_t)i;
		else if (!strcmp(key, "bufferwrites"))
			s->bufferwrites = (uint64_t)i;
		else
			s->latencyms = (unsigned)i;
		return 1;
	}
	if (!strcmp(key, "failrate")) {
		if (berth_sdk_parse_double(value, 0, 1, &s->failrate)) {
			snprintf(err, errlen, "failrate: want a number in 0..1, got \"%s\"",
				 value);
			return -1;
		}
		return 1;
	}
	if (!strcmp(key, "failops"))
		return parse_ops(value, &s->ops, err, errlen);
	if (!strcmp(key, "failcode")) {
		int code = berth_sdk_status_parse(value);
		if (code == BERTH_OK) {
			snprintf(err, errlen, "failcode: unknown status \"%s\" (io, "
				 "nospace, unavailable, throttled, notfound, "
				 "permission, nomem, ...)", value);
			return -1;
		}
		s->failcode = code;
		return 1;
	}
	if (!strcmp(key, "truncatewrites")) {
		if (berth_sdk_parse_bool(value, &b)) {
			snprintf(err, errlen, "truncatewrites: want true or false, got \"%s\"",
				 value);
			return -1;
		}
		s->truncatewrites = b;
		return 1;
	}
	return 0;
}

/* Re-read the control file if it changed (in->mu held). */
static void control_check(berth_instance *in)
{
	struct stat st;
	int present = stat(in->controlfile, &st) == 0;
	if (present == in->ctl_present &&
	    (!present || (st.st_mtim.tv_sec == in->ctl_mtime.tv_sec &&
			  st.st_mtim.tv_nsec == in->ctl_mtime.tv_nsec &&
			  st.st_size == in->ctl_size && st.st_ino == in->ctl_ino)))
		return;
	in->ctl_present = present;
	if (present) {
		in->ctl_mtime = st.st_mtim;
		in->ctl_size = st.st_size;
		in->ctl_ino = st.st_ino;
	}
	fault_settings s = in->base;
	FILE *f = present ? fopen(in->controlfile, "r") : NULL;
	char line[512], err[256];
	while (f && fgets(line, sizeof line, f)) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\r\n")] = 0;
		if (!*p || *p == '#')
			continue;
		char *eq = strpbrk(p, "=:");
		if (!eq) {
			berth_sdk_log(in->host, FAULT_NAME, BERTH_LOG_WARN,
				      "%s: ignoring line \"%s\"", in->controlfile, p);
			continue;
		}
		char *k = p, *v = eq + 1, *ke = eq;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		*ke = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		char *ve = v + strlen(v);
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			*--ve = 0;
		int r = fault_settings_set(&s, k, v, err, sizeof err);
		if (r == 0)
			berth_sdk_log(in->host, FAULT_NAME, BERTH_LOG_WARN,
				      "%s: unknown setting \"%s\"", in->controlfile, k);
		else if (r < 0)
			berth_sdk_log(in->host, FAULT_NAME, BERTH_LOG_WARN, "%s: %s",
				      in->controlfile, err);
	}
	if (f)
		fclose(f);
	in->cur = s;
	in->calls = 0;
	in->rng = s.seed ? s.seed : 1;
	berth_sdk_log(in->host, FAULT_NAME, BERTH_LOG_INFO,
		      "control file %s %s: failnth %llu failevery %llu "
		      "failrate %g failcode %s", in->controlfile,
		      present ? "read" : "absent",
		      (unsigned long long)s.failnth, (unsigned long long)s.failevery,
		      s.failrate, berth_sdk_status_name(s.failcode));
}

/* Uniform in [0, 1). */
static double next_unit(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

int fault_gate(berth_instance *in, enum fault_op op, fault_settings *seen)
{
	pthread_mutex_lock(&in->mu);
	if (in->controlfile)
		control_check(in);
	fault_settings s = in->cur;
	int fail = 0;
	uint64_t n = 0;
	if (s.ops & (1u << op)) {
		n = ++in->calls;
		/* Draw on every considered call, so which calls fail does
		   not depend on the other settings. */
		double u = next_unit(&in->rng);
		fail = (s.failnth && n == s.failnth) ||
		       (s.failevery && n % s.failevery == 0) ||
		       (s.failrate > 0 && u < s.failrate);
	}
	pthread_mutex_unlock(&in->mu);
	if (s.latencyms) {
		struct timespec ts = {s.latencyms / 1000,
				      (long)(s.latencyms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	if (seen)
		*seen = s;
	if (!fail)
		return BERTH_OK;
	return berth_sdk_error(in->host, FAULT_NAME, s.failcode,
			       "injected %s failure of %s (call %llu)",
			       berth_sdk_status_name(s.failcode), fault_op_name(op),
			       (unsigned long long)n);
}
