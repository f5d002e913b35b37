/*
 * fault.h - the fault-injecting storage driver: shared declarations.
 *
 * The driver loads another driver (the "wrapped" one), passes every call
 * through to it, and makes chosen calls fail on purpose so tests can see
 * how the core behaves when storage misbehaves.  fault_settings.c owns
 * the fault settings (from options and from the control file) and the
 * decision whether a call fails; fault_driver.c loads the wrapped driver
 * and wraps every method.
 */
#ifndef BERTH_DRIVERS_FAULT_FAULT_H
#define BERTH_DRIVERS_FAULT_FAULT_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <berth/sdk.h>
#include <berth/storage.h>

#define FAULT_NAME "fault"

/* Operations faults can target (bit numbers of fault_settings.ops). */
enum fault_op {
	FOP_GET_CONTENT,
	FOP_PUT_CONTENT,
	FOP_READER_OPEN,
	FOP_READER_READ,
	FOP_WRITER_OPEN,
	FOP_WRITER_WRITE,
	FOP_WRITER_COMMIT,
	FOP_WRITER_CLOSE,
	FOP_STAT,
	FOP_LIST,
	FOP_MOVE,
	FOP_REMOVE,
	FOP_WALK,
	FOP_BATCH,        /* ABI 1.1 */
	FOP_WRITER_FLUSH, /* ABI 1.1 */
	FOP_COUNT
};

typedef struct fault_settings {
	uint64_t failnth;   /* fail the Nth considered call (once); 0 = off */
	uint64_t failevery; /* fail every Nth considered call; 0 = off */
	double failrate;    /* fail this fraction of considered calls */
	uint64_t seed;      /* PRNG seed for failrate */
	unsigned ops;       /* considered operations (1u << FOP_*) */
	int failcode;       /* status of an injected failure */
	int truncatewrites; /* injected writer_write failures write half, and
			       injected writer_commit / writer_close failures
			       pass on half of what bufferwrites holds */
	unsigned latencyms; /* sleep before every call */
	/* Hold up to this many written bytes in the wrapper and pass them to
	   the wrapped driver only when the buffer is full, at commit and at
	   close, as a driver with a write buffer does; an injected
	   writer_commit or writer_close failure then loses what is held (a
	   flush that failed).  0 (the default): every write goes straight
	   through. */
	uint64_t bufferwrites;
} fault_settings;

/* The host table handed to the wrapped driver: the core's, with error
   and log prefixed by "fault: " so every message names this driver. */
typedef struct fault_host {
	berth_host h; /* first: the wrapped driver sees a berth_host */
	const berth_host *real;
} fault_host;

struct berth_instance {
	const berth_host *host;
	fault_host inner_host;
	void *dl;
	berth_storage_driver d; /* the wrapped descriptor, zero-padded */
	berth_instance *inner;

	pthread_mutex_t mu;      /* guards everything below */
	fault_settings base;     /* from the options */
	fault_settings cur;      /* base + control file */
	uint64_t calls;          /* considered calls since (re)load */
	uint64_t rng;
	char *controlfile;
	int ctl_present;
	struct timespec ctl_mtime;
	off_t ctl_size;
	ino_t ctl_ino;
};

/* Defaults: no faults, every operation considered, failcode IO. */
void fault_settings_init(fault_settings *s);

/*
 * Apply one setting.  Returns 1 when `key` is a fault setting and the
 * value is good, 0 when `key` is not a fault setting, -1 on a bad value
 * (with a message in `err`).
 */
int fault_settings_set(fault_settings *s, const char *key, const char *value,
		       char *err, size_t errlen);

/*
 * Gate for one call of `op`: sleeps latencyms, re-reads the control file
 * when it changed, counts the call and decides.  Returns BERTH_OK, or the
 * failure status with the message recorded; *seen (if not NULL) receives
 * the settings the decision was made with (truncatewrites, bufferwrites).
 */
int fault_gate(berth_instance *in, enum fault_op op, fault_settings *seen);

/* Name of an operation as written in failops. */
const char *fault_op_name(enum fault_op op);

#endif
