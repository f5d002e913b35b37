/*
 * fault_driver.c - the fault-injecting storage driver: loads the wrapped
 * driver, creates its instance with the "inner." options, and wraps every
 * method with fault_gate() (fault_settings.c).
 *
 * Options (storage.fault in config.yml):
 *   driver          name of the wrapped driver, loaded as
 *                   storage-<driver>.so from this driver's own directory
 *   innerpath       or an explicit path to the wrapped driver's .so
 *                   ("driverpath" is accepted too, but in config.yml the
 *                   core keeps storage.fault.driverpath for itself: it
 *                   says where storage-fault.so is)
 *   inner.<key>     option <key> of the wrapped driver
 *   failnth, failevery, failrate, seed, failops, failcode,
 *   truncatewrites, latencyms, bufferwrites
 *                   the faults (see fault.h and fault_settings.c)
 *   controlfile     file re-read when it changes, with key=value lines of
 *                   the same fault settings
 *
 * With no fault settings every call goes straight through, and the result
 * is the wrapped driver's (its messages get "fault: " in front, so they
 * name the driver the core loaded).
 *
 * Capabilities: NATIVE_WALK, SERVER_MOVE, RANGE_READ and APPEND, which
 * every driver Berth ships has; create refuses a wrapped driver without a
 * walk or without APPEND, since those are promises about behaviour.
 * REDIRECT and FILE_DESCRIPTOR are deliberately not claimed: bytes served
 * by redirect or sendfile would bypass the wrapper and so the faults.
 *
 * The ABI 1.1 capabilities are the wrapped driver's, so this driver
 * never claims a member it cannot forward.  A descriptor is fixed when
 * the driver is loaded, before any options are read, so the driver to
 * take them from is named by the environment: BERTH_FAULT_WRAPS, a
 * driver name (storage-<name>.so beside this one) or a path.  Unset, no
 * 1.1 capability is claimed (the calls go through the 1.0 members).
 * create and validate_config refuse a wrapped driver that lacks a 1.1
 * capability claimed.  Faults apply to batch (nothing is applied) and
 * writer_flush (held bytes are lost, as at commit) as failops "batch" and
 * "writer_flush"; writer_open_hinted counts as writer_open, stat_version
 * as stat; maintain and validate_config pass straight through.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

#define FAULT_CAPS (BERTH_CAP_NATIVE_WALK | BERTH_CAP_SERVER_MOVE | \
		    BERTH_CAP_RANGE_READ | BERTH_CAP_APPEND)
#define CAPS_1_1 (BERTH_CAP_BATCH | BERTH_CAP_WRITER_FLUSH | \
		  BERTH_CAP_MAINTAIN | BERTH_CAP_WRITER_HINTS | \
		  BERTH_CAP_VALIDATE_CONFIG | BERTH_CAP_STAT_VERSION)

/* Filled in once by the entry point (the 1.1 claims); then fixed. */
static berth_storage_driver fault_driver;

/* ---- the host table the wrapped driver sees ---- */

static const berth_host *real_host(const berth_host *h)
{
	return ((const fault_host *)h)->real;
}

static void inner_log(const berth_host *h, berth_log_level level,
		      const char *fmt, ...)
{
	const berth_host *r = real_host(h);
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->log(r, level, FAULT_NAME ": %s", msg);
}

static int inner_error(const berth_host *h, int code, const char *fmt, ...)
{
	const berth_host *r = real_host(h);
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return r->error(r, code, FAULT_NAME ": %s", msg);
}

/* ---- loading the wrapped driver ---- */

static void self_anchor(void)
{
}

/* "<dir of this .so>/storage-<name>.so", malloc'd. */
static char *sibling_path(const char *name)
{
	Dl_info info;
	if (!dladdr((void *)&self_anchor, &info) || !info.dli_fname)
		return NULL;
	const char *slash = strrchr(info.dli_fname, '/');
	size_t dl = slash ? (size_t)(slash - info.dli_fname) : 1;
	const char *dir = slash ? info.dli_fname : ".";
	size_t n = dl + strlen(name) + sizeof "/storage-.so";
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%.*s/storage-%s.so", (int)dl, dir, name);
	return p;
}

static int load_inner(berth_instance *in, const char *name, const char *path)
{
	char *own = NULL;
	if (!path) {
		for (const char *c = name; *c; c++)
			if (*c == '/')
				return berth_sdk_error(in->host, FAULT_NAME, BERTH_E_CONFIG,
						       "driver \"%s\": a name, not a path "
						       "(use innerpath)", name);
		path = own = sibling_path(name);
		if (!path)
			return berth_sdk_error(in->host, FAULT_NAME, BERTH_E_CONFIG,
					       "cannot locate the directory of this driver");
	}
	/* NODELETE: a wrapped driver whose state outlives its instances
	   (inmemory) must not be unloaded with the last wrapper. */
	in->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!in->dl) {
		int rc = berth_sdk_error(in->host, FAULT_NAME, BERTH_E_CONFIG,
					 "cannot load the wrapped driver %s: %s", path,
					 dlerror());
		free(own);
		return rc;
	}
	berth_storage_entry_fn entry;
	*(void **)&entry = dlsym(in->dl, BERTH_STORAGE_ENTRY);
	char err[512];
	int rc = BERTH_OK;
	if (!entry)
		rc = berth_sdk_error(in->host, FAULT_NAME, BERTH_E_CONFIG,
				     "%s is not a storage driver (no symbol %s)",
				     path, BERTH_STORAGE_ENTRY);
	/* The loader's own check; members beyond the wrapped driver's
	   struct_size stay NULL: "unsupported", as the ABI says. */
	else if (berth_sdk_descriptor_check(entry(), path, &in->d, err,
					    sizeof err) != BERTH_OK)
		rc = berth_sdk_error(in->host, FAULT_NAME, BERTH_E_CONFIG,
				     "wrapped driver: %s", err);
	else if (!in->d.walk || !(in->d.capabilities & BERTH_CAP_APPEND))
		rc = berth_sdk_error(in->host, FAULT_NAME, BERTH_E_CONFIG,
				     "wrapped driver \"%s\" lacks walk or "
				     "BERTH_CAP_APPEND, which this driver claims",
				     in->d.name);
	else if ((fault_driver.capabilities & CAPS_1_1) &
		 ~in->d.capabilities)
		rc = berth_sdk_error(in->host, FAULT_NAME, BERTH_E_CONFIG,
				     "wrapped driver \"%s\" lacks ABI 1.1 "
				     "capabilities 0x%llx that this driver claims "
				     "(BERTH_FAULT_WRAPS names another driver)",
				     in->d.name,
				     (unsigned long long)((fault_driver.capabilities &
							   CAPS_1_1) &
							  ~in->d.capabilities));
	free(own);
	return rc;
}

/* Open `path` (or the driver `name` beside this one) only to read its
   descriptor; 0 when it cannot be loaded. */
static uint64_t capabilities_of(const char *name)
{
	char *own = strchr(name, '/') ? NULL : sibling_path(name);
	const char *path = own ? own : name;
	uint64_t caps = 0;
	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	berth_storage_entry_fn entry = NULL;
	if (dl)
		*(void **)&entry = dlsym(dl, BERTH_STORAGE_ENTRY);
	berth_storage_driver d;
	if (entry && berth_sdk_descriptor_check(entry(), path, &d, NULL, 0) ==
			     BERTH_OK)
		caps = d.capabilities;
	if (dl)
		dlclose(dl);
	free(own);
	return caps;
}

static void resolve_claims(void)
{
	const char *wraps = getenv("BERTH_FAULT_WRAPS");
	if (wraps && *wraps)
		fault_driver.capabilities |= capabilities_of(wraps) & CAPS_1_1;
}

/* ---- create / destroy ---- */

static void fault_destroy(berth_instance *in)
{
	if (!in)
		return;
	if (in->inner)
		in->d.destroy(in->inner);
	if (in->dl)
		dlclose(in->dl);
	pthread_mutex_destroy(&in->mu);
	free(in->controlfile);
	free(in);
}

/* The options, read as create reads them. */
typedef struct fault_options {
	const char *name, *path;
	berth_config_item *items; /* the "inner." ones, prefix stripped */
	size_t ninner;
} fault_options;

/* Read `config` into `in` (settings, control file) and `o`; o->items is
   malloc'd (free it also on error). */
static int read_options(berth_instance *in, const berth_config *config,
			fault_options *o)
{
	const berth_host *host = in->host;
	size_t n = config ? config->count : 0;
	memset(o, 0, sizeof *o);
	o->items = calloc(n + 1, sizeof *o->items);
	if (!o->items)
		return berth_sdk_error(host, FAULT_NAME, BERTH_E_NOMEM, "out of memory");
	int rc = BERTH_OK;
	char err[256];
	for (size_t i = 0; i < n && rc == BERTH_OK; i++) {
		const char *k = config->items[i].key, *v = config->items[i].value;
		int r;
		if (!strncmp(k, "inner.", 6) && k[6]) {
			o->items[o->ninner].key = k + 6;
			o->items[o->ninner].value = v;
			o->ninner++;
		} else if (!strcmp(k, "driver")) {
			o->name = v;
		} else if (!strcmp(k, "innerpath") || !strcmp(k, "driverpath")) {
			o->path = v;
		} else if (!strcmp(k, "controlfile")) {
			free(in->controlfile);
			in->controlfile = strdup(v);
			if (!in->controlfile)
				rc = berth_sdk_error(host, FAULT_NAME, BERTH_E_NOMEM,
						     "out of memory");
		} else if ((r = fault_settings_set(&in->base, k, v, err, sizeof err))) {
			if (r < 0)
				rc = berth_sdk_error(host, FAULT_NAME, BERTH_E_CONFIG,
						     "%s", err);
		} else {
			rc = berth_sdk_error(host, FAULT_NAME, BERTH_E_CONFIG,
					     "unknown option \"%s\" (options of the "
					     "wrapped driver take the prefix \"inner.\")", k);
		}
	}
	if (rc == BERTH_OK && !o->name && !o->path)
		rc = berth_sdk_error(host, FAULT_NAME, BERTH_E_CONFIG,
				     "option \"driver\" (or \"innerpath\") is required");
	if (rc == BERTH_OK && (!o->name || !*o->name) && (!o->path || !*o->path))
		rc = berth_sdk_error(host, FAULT_NAME, BERTH_E_CONFIG,
				     "option \"driver\" must not be empty");
	return rc;
}

/* A new instance holding nothing yet but `host` (NULL when out of
   memory). */
static berth_instance *new_instance(const berth_host *host)
{
	berth_instance *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->host = host;
	pthread_mutex_init(&in->mu, NULL);
	fault_settings_init(&in->base);
	in->inner_host.h = *host;
	in->inner_host.h.log = inner_log;
	in->inner_host.h.error = inner_error;
	in->inner_host.real = host;
	return in;
}

/* Read the options and load the wrapped driver. */
static int prepare(berth_instance *in, const berth_config *config,
		   fault_options *o)
{
	int rc = read_options(in, config, o);
	if (rc == BERTH_OK)
		rc = load_inner(in, o->name, o->path && *o->path ? o->path : NULL);
	return rc;
}

static int fault_create(berth_instance **out, const berth_host *host,
			const berth_config *config)
{
	berth_instance *in = new_instance(host);
	if (!in)
		return berth_sdk_error(host, FAULT_NAME, BERTH_E_NOMEM, "out of memory");
	fault_options o;
	int rc = prepare(in, config, &o);
	in->cur = in->base;
	in->rng = in->base.seed ? in->base.seed : 1;
	if (rc == BERTH_OK) {
		berth_config ic = {o.ninner, o.items};
		rc = in->d.create(&in->inner, &in->inner_host.h, &ic);
	}
	free(o.items);
	if (rc != BERTH_OK) {
		fault_destroy(in);
		return rc;
	}
	*out = in;
	return BERTH_OK;
}

/* The options as create reads them, and the wrapped driver's ones with
   its own validate_config: the driver is loaded, no instance created. */
static int fault_validate_config(const berth_host *host,
				 const berth_config *config)
{
	berth_instance *in = new_instance(host);
	if (!in)
		return berth_sdk_error(host, FAULT_NAME, BERTH_E_NOMEM, "out of memory");
	fault_options o;
	int rc = prepare(in, config, &o);
	if (rc == BERTH_OK && in->d.validate_config &&
	    (in->d.capabilities & BERTH_CAP_VALIDATE_CONFIG)) {
		berth_config ic = {o.ninner, o.items};
		rc = in->d.validate_config(&in->inner_host.h, &ic);
	}
	free(o.items);
	fault_destroy(in);
	return rc;
}

/* ---- whole-object and tree methods ---- */

static int fault_get_content(berth_instance *in, const char *path, char **out,
			     size_t *out_len)
{
	int rc = fault_gate(in, FOP_GET_CONTENT, NULL);
	return rc ? rc : in->d.get_content(in->inner, path, out, out_len);
}

static int fault_put_content(berth_instance *in, const char *path,
			     const void *data, size_t len)
{
	int rc = fault_gate(in, FOP_PUT_CONTENT, NULL);
	return rc ? rc : in->d.put_content(in->inner, path, data, len);
}

static int fault_stat(berth_instance *in, const char *path,
		      berth_stat_info *out)
{
	int rc = fault_gate(in, FOP_STAT, NULL);
	return rc ? rc : in->d.stat(in->inner, path, out);
}

static int fault_list(berth_instance *in, const char *path, berth_list_cb cb,
		      void *payload)
{
	int rc = fault_gate(in, FOP_LIST, NULL);
	return rc ? rc : in->d.list(in->inner, path, cb, payload);
}

static int fault_move(berth_instance *in, const char *src, const char *dst)
{
	int rc = fault_gate(in, FOP_MOVE, NULL);
	return rc ? rc : in->d.move(in->inner, src, dst);
}

static int fault_remove(berth_instance *in, const char *path)
{
	int rc = fault_gate(in, FOP_REMOVE, NULL);
	return rc ? rc : in->d.remove(in->inner, path);
}

static int fault_walk(berth_instance *in, const char *path,
		      const char *start_after, berth_walk_cb cb, void *payload)
{
	int rc = fault_gate(in, FOP_WALK, NULL);
	return rc ? rc : in->d.walk(in->inner, path, start_after, cb, payload);
}

/* A 1.1 member of the wrapped driver, or NULL when it lacks the
   capability (never when this driver claims it, see load_inner). */
#define INNER_1_1(in, member, cap) \
	(((in)->d.capabilities & (cap)) ? (in)->d.member : NULL)

static int unsupported(berth_instance *in, const char *what)
{
	return berth_sdk_error(in->host, FAULT_NAME, BERTH_E_UNSUPPORTED,
			       "the wrapped driver \"%s\" has no %s", in->d.name,
			       what);
}

static int fault_batch(berth_instance *in, const berth_batch_op *ops,
		       size_t count)
{
	if (!INNER_1_1(in, batch, BERTH_CAP_BATCH))
		return unsupported(in, "batch");
	int rc = fault_gate(in, FOP_BATCH, NULL);
	return rc ? rc : in->d.batch(in->inner, ops, count);
}

static int fault_maintain(berth_instance *in, int64_t budget_ns,
			  int *out_more)
{
	if (!INNER_1_1(in, maintain, BERTH_CAP_MAINTAIN))
		return unsupported(in, "maintain");
	return in->d.maintain(in->inner, budget_ns, out_more);
}

static int fault_stat_version(berth_instance *in, const char *path,
			      berth_stat_info *out, char *out_version)
{
	if (!INNER_1_1(in, stat_version, BERTH_CAP_STAT_VERSION))
		return unsupported(in, "stat_version");
	int rc = fault_gate(in, FOP_STAT, NULL);
	return rc ? rc : in->d.stat_version(in->inner, path, out, out_version);
}

/* ---- streams: our handles wrap the wrapped driver's ---- */

struct berth_reader {
	berth_instance *in;
	berth_reader *inner;
};

struct berth_writer {
	berth_instance *in;
	berth_writer *inner;
	/* bytes accepted but not passed on yet (the bufferwrites setting) */
	char *held;
	size_t nheld, cap;
	int ended; /* committed or cancelled: the wrapped writer answers */
};

static int fault_reader_open(berth_reader **out, berth_instance *in,
			     const char *path, int64_t offset)
{
	int rc = fault_gate(in, FOP_READER_OPEN, NULL);
	if (rc)
		return rc;
	berth_reader *r = malloc(sizeof *r);
	if (!r)
		return berth_sdk_error(in->host, FAULT_NAME, BERTH_E_NOMEM,
				       "out of memory");
	r->in = in;
	rc = in->d.reader_open(&r->inner, in->inner, path, offset);
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return BERTH_OK;
}

static int fault_reader_read(berth_reader *r, void *buf, size_t cap,
			     size_t *out_n)
{
	int rc = fault_gate(r->in, FOP_READER_READ, NULL);
	return rc ? rc : r->in->d.reader_read(r->inner, buf, cap, out_n);
}

static void fault_reader_close(berth_reader *r)
{
	if (!r)
		return;
	r->in->d.reader_close(r->inner);
	free(r);
}

/* writer_open, or writer_open_hinted when `hinted`. */
static int open_writer(berth_writer **out, berth_instance *in,
		       const char *path, int append, int hinted,
		       const berth_writer_hints *hints)
{
	int rc = fault_gate(in, FOP_WRITER_OPEN, NULL);
	if (rc)
		return rc;
	berth_writer *w = calloc(1, sizeof *w);
	if (!w)
		return berth_sdk_error(in->host, FAULT_NAME, BERTH_E_NOMEM,
				       "out of memory");
	w->in = in;
	if (hinted)
		rc = in->d.writer_open_hinted(&w->inner, in->inner, path, append,
					      hints);
	else
		rc = in->d.writer_open(&w->inner, in->inner, path, append);
	if (rc) {
		free(w);
		return rc;
	}
	*out = w;
	return BERTH_OK;
}

static int fault_writer_open(berth_writer **out, berth_instance *in,
			     const char *path, int append)
{
	return open_writer(out, in, path, append, 0, NULL);
}

static int fault_writer_open_hinted(berth_writer **out, berth_instance *in,
				    const char *path, int append,
				    const berth_writer_hints *hints)
{
	if (!INNER_1_1(in, writer_open_hinted, BERTH_CAP_WRITER_HINTS))
		return unsupported(in, "writer_open_hinted");
	return open_writer(out, in, path, append, 1, hints);
}

/* Pass the first `n` held bytes to the wrapped writer and drop the rest
   (n < nheld: a flush that failed part-way). */
static int pass_held(berth_writer *w, size_t n)
{
	int rc = n ? w->in->d.writer_write(w->inner, w->held, n) : BERTH_OK;
	w->nheld = 0;
	return rc;
}

/* Write through the buffer of `hold` bytes (bufferwrites). */
static int buffered_write(berth_writer *w, const void *data, size_t len,
			  uint64_t hold)
{
	/* The default (no buffer), empty writes and writes after the end
	   (which the wrapped driver refuses): straight through. */
	if ((hold == 0 && w->nheld == 0) || len == 0 || w->ended)
		return w->in->d.writer_write(w->inner, data, len);
	if (w->nheld + len > hold) {
		int rc = pass_held(w, w->nheld);
		if (rc)
			return rc;
		if (len > hold) /* larger than the buffer */
			return w->in->d.writer_write(w->inner, data, len);
	}
	if (w->nheld + len > w->cap) {
		char *grown = realloc(w->held, (size_t)hold);
		if (!grown)
			return berth_sdk_error(w->in->host, FAULT_NAME,
					       BERTH_E_NOMEM, "out of memory");
		w->held = grown;
		w->cap = (size_t)hold;
	}
	memcpy(w->held + w->nheld, data, len);
	w->nheld += len;
	return BERTH_OK;
}

static int fault_writer_write(berth_writer *w, const void *data, size_t len)
{
	fault_settings s;
	int rc = fault_gate(w->in, FOP_WRITER_WRITE, &s);
	if (rc == BERTH_OK)
		return buffered_write(w, data, len, s.bufferwrites);
	if (s.truncatewrites && len / 2) /* a torn write */
		buffered_write(w, data, len / 2, s.bufferwrites);
	return rc;
}

static uint64_t fault_writer_size(berth_writer *w)
{
	return w->in->d.writer_size(w->inner) + w->nheld;
}

/* Before commit and close: pass on what is held, or, when the gate
   injects a failure, lose it (half of it reaches the wrapped driver with
   truncatewrites), as a driver whose flush fails does. */
static int flush_gate(berth_writer *w, enum fault_op op)
{
	fault_settings s;
	int rc = fault_gate(w->in, op, &s);
	if (rc == BERTH_OK)
		return pass_held(w, w->nheld);
	pass_held(w, s.truncatewrites ? w->nheld / 2 : 0);
	return rc;
}

static int fault_writer_commit(berth_writer *w)
{
	int rc = flush_gate(w, FOP_WRITER_COMMIT);
	if (rc)
		return rc;
	w->ended = 1;
	return w->in->d.writer_commit(w->inner);
}

/* Held bytes go to the wrapped writer first, then its flush; an injected
   failure loses them as at commit. */
static int fault_writer_flush(berth_writer *w)
{
	berth_instance *in = w->in;
	if (!INNER_1_1(in, writer_flush, BERTH_CAP_WRITER_FLUSH))
		return unsupported(in, "writer_flush");
	int rc = flush_gate(w, FOP_WRITER_FLUSH);
	return rc ? rc : in->d.writer_flush(w->inner);
}

static int fault_writer_cancel(berth_writer *w)
{
	w->nheld = 0;
	w->ended = 1;
	return w->in->d.writer_cancel(w->inner);
}

static int fault_writer_close(berth_writer *w)
{
	if (!w)
		return BERTH_OK;
	/* Close releases the handle whatever happens: an injected failure
	   reports that keeping the data "could not be guaranteed", but
	   the wrapped handle is closed all the same. */
	int rc = flush_gate(w, FOP_WRITER_CLOSE);
	int rc2 = w->in->d.writer_close(w->inner);
	free(w->held);
	free(w);
	return rc ? rc : rc2;
}

static berth_storage_driver fault_driver = {
	BERTH_STORAGE_HEAD(FAULT_NAME, "1.1.0", FAULT_CAPS),
	.create = fault_create,
	.destroy = fault_destroy,
	.get_content = fault_get_content,
	.put_content = fault_put_content,
	.reader_open = fault_reader_open,
	.reader_read = fault_reader_read,
	.reader_close = fault_reader_close,
	.writer_open = fault_writer_open,
	.writer_write = fault_writer_write,
	.writer_size = fault_writer_size,
	.writer_commit = fault_writer_commit,
	.writer_cancel = fault_writer_cancel,
	.writer_close = fault_writer_close,
	.stat = fault_stat,
	.list = fault_list,
	.move = fault_move,
	.remove = fault_remove,
	.redirect_url = NULL, /* see the top of the file */
	.walk = fault_walk,
	.open_fd = NULL,
	/* ABI 1.1: present always, claimed as the wrapped driver's are */
	.batch = fault_batch,
	.writer_flush = fault_writer_flush,
	.maintain = fault_maintain,
	.writer_open_hinted = fault_writer_open_hinted,
	.validate_config = fault_validate_config,
	.stat_version = fault_stat_version,
};

/* BERTH_STORAGE_DRIVER, with the 1.1 claims settled on the first call. */
BERTH_EXPORT const berth_storage_driver *berth_storage_driver_v1(void);
BERTH_EXPORT const berth_storage_driver *berth_storage_driver_v1(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, resolve_claims);
	return &fault_driver;
}
