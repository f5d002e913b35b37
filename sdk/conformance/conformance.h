/*
 * conformance.h - shared declarations of the storage driver conformance
 * tool (berth-driver-test): the per-case context, the case tables each
 * cases_*.c file exports, and the helpers every case uses.
 *
 * A case is a function returning CT_PASS, CT_FAIL or CT_SKIP.  It works
 * under its own directory c->dir (test root + "/" + case name), records
 * the first failure with ct_fail() (thread-safe, so worker threads of the
 * concurrency cases may call it too) and removes what it created.  The
 * runner then checks that nothing is left under the test root.
 *
 * Memory from ct_fmt/ct_path/ct_alloc belongs to the case and is freed by
 * the runner after the case, which keeps the cases short and leak-free.
 */
#ifndef BERTH_SDK_CONFORMANCE_CONFORMANCE_H
#define BERTH_SDK_CONFORMANCE_CONFORMANCE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <berth/storage.h>

#define CT_PASS 0
#define CT_FAIL 1
#define CT_SKIP 2

/* Case flags. */
#define CT_LONG 1u /* runs only with --long */

#define CT_MIB ((size_t)1 << 20)

typedef struct ct_ctx ct_ctx;
typedef int (*ct_fn)(ct_ctx *c);

typedef struct ct_case {
	const char *name;
	ct_fn fn;
	unsigned flags;
	unsigned timeout_weight; /* per-case timeout = --timeout x this (0 = 1) */
	const char *doc;
} ct_case;

struct ct_alloc_node;

struct ct_ctx {
	const berth_storage_driver *d; /* descriptor as the loader padded it */
	const berth_host *host;
	const berth_config *cfg;       /* options from the config file */
	berth_instance *in;            /* the shared instance */
	const char *root;              /* test root, e.g. "/berth-conformance-1a2b" */
	const char *name;              /* current case */
	char *dir;                     /* root + "/" + case name */
	int short_mode;
	int long_mode;
	uint64_t rng;                  /* case-local random state (seeded) */

	pthread_mutex_t mu;
	int failed;
	char reason[1536];
	char note[256];                /* appended to the "ok" line */
	struct ct_alloc_node *allocs;
};

/* Case tables, each terminated by an entry with name == NULL. */
extern const ct_case ct_cases_abi[];
extern const ct_case ct_cases_basic[];
extern const ct_case ct_cases_stream[];
extern const ct_case ct_cases_tree[];
extern const ct_case ct_cases_concurrency[];
extern const ct_case ct_cases_rules[];
extern const ct_case ct_cases_v11[]; /* ABI 1.1 members */

/* ---- failure recording ---- */

/* Record the first failure of the case (later ones are ignored). */
void ct_fail(ct_ctx *c, const char *fmt, ...) BERTH_PRINTF(2, 3);
/* Record "<what>: got CODE (detail), want CODE". */
void ct_fail_rc(ct_ctx *c, int got, int want, const char *what);
/* Return CT_SKIP after storing the reason. */
int ct_skip(ct_ctx *c, const char *fmt, ...) BERTH_PRINTF(2, 3);
/* Append to the note printed on the case's "ok" line. */
void ct_note(ct_ctx *c, const char *fmt, ...) BERTH_PRINTF(2, 3);
/* CT_FAIL if a failure was recorded, else CT_PASS. */
int ct_result(ct_ctx *c);

const char *ct_status_name(int code);
/* The calling thread's last driver error detail ("" if none). */
const char *ct_detail(void);
void ct_clear_detail(void);

/* Evaluate `expr` (a berth_status) and fail with `what` unless == want. */
#define CT_WANT(c, expr, want, what)                                       \
	do {                                                               \
		ct_clear_detail();                                         \
		int ct_rc_ = (expr);                                       \
		if (ct_rc_ != (want)) {                                    \
			ct_fail_rc((c), ct_rc_, (want), (what));           \
			goto out;                                          \
		}                                                          \
	} while (0)
#define CT_OK(c, expr, what) CT_WANT(c, expr, BERTH_OK, what)
/* Fail with a formatted reason if `cond` holds. */
#define CT_FAILIF(c, cond, ...)                                            \
	do {                                                               \
		if (cond) {                                                \
			ct_fail((c), __VA_ARGS__);                         \
			goto out;                                          \
		}                                                          \
	} while (0)
/* Leave the case if a helper already recorded a failure. */
#define CT_BAIL(c)                                                         \
	do {                                                               \
		if ((c)->failed)                                           \
			goto out;                                          \
	} while (0)

/* ---- case-owned memory ---- */

void *ct_alloc(ct_ctx *c, size_t n); /* zeroed; aborts on OOM */
char *ct_fmt(ct_ctx *c, const char *fmt, ...) BERTH_PRINTF(2, 3);
/* c->dir + rel ("" gives c->dir itself); rel starts with '/'. */
char *ct_path(ct_ctx *c, const char *rel);
void ct_free_all(ct_ctx *c);

/* ---- random data ---- */

uint64_t ct_rand(uint64_t *state);
uint64_t ct_rand_below(uint64_t *state, uint64_t n); /* n > 0 */
void ct_fill(uint64_t *state, void *buf, size_t len);
/* `len` random bytes owned by the case. */
unsigned char *ct_random_data(ct_ctx *c, size_t len);

/* ---- driver helpers (all return a berth_status) ---- */

/* get_content into case-owned memory (NUL-terminated). */
int ct_get(ct_ctx *c, const char *path, char **out, size_t *len);
/* Open a writer (append or not), write `len` bytes in `chunk`-sized
   pieces, commit when `commit`, close.  Failures are recorded. */
int ct_write(ct_ctx *c, berth_instance *in, const char *path, int append,
	     const void *data, size_t len, size_t chunk, int commit);
/* Read `path` from `offset` to EOF through a reader with reads of at most
   `cap` bytes; case-owned buffer. */
int ct_read(ct_ctx *c, const char *path, int64_t offset, size_t cap,
	    unsigned char **out, size_t *len);
/* Fail unless get_content of `path` equals data/len; 0 when it does. */
int ct_expect_content(ct_ctx *c, const char *path, const void *data,
		      size_t len);
/* Fail unless stat of `path` is NOT_FOUND; 0 when it is. */
int ct_expect_absent(ct_ctx *c, const char *path);
/* Remove `path`, ignoring NOT_FOUND; other errors are recorded. */
void ct_rm(ct_ctx *c, const char *path);
/* Direct children of `path` (sorted, case-owned).  Returns the status. */
int ct_list(ct_ctx *c, berth_instance *in, const char *path, char ***names,
	    size_t *n);
/* Every path below `path` found by recursive list (sorted, case-owned);
   NOT_FOUND is an empty result. */
int ct_tree(ct_ctx *c, const char *path, char ***names, size_t *n);
/* Cancel any uncommitted writer state at `path` (append open + cancel). */
void ct_cancel_writer(ct_ctx *c, const char *path);
/* Create a second instance with the same options. */
int ct_create(ct_ctx *c, berth_instance **out);

/* Current resident set size in bytes (/proc/self/statm). */
uint64_t ct_rss_now(void);
/* Peak RSS of the process in bytes (getrusage). */
uint64_t ct_rss_peak(void);

/* Sample the RSS in the background while a big stream runs. */
typedef struct ct_rss_probe {
	pthread_t thread;
	volatile int stop;
	uint64_t base;
	volatile uint64_t peak;
	uint64_t rusage_base;
} ct_rss_probe;
void ct_rss_start(ct_rss_probe *p);
/* Stop; returns the growth over the start (max of sampled and getrusage). */
uint64_t ct_rss_stop(ct_rss_probe *p);

int64_t ct_now_ms(void);

#endif
