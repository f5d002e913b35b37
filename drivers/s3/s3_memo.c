/*
 * s3_memo.c - what this process last knew about the multipart upload of
 * each writer it closed without committing.
 *
 * A chunked registry upload closes its writer after every PATCH and
 * reopens it with append on the next one.  Found from scratch, a reopen
 * costs ListMultipartUploads (which upload?), ListParts (which parts?) and
 * a GET of the "~tail" object (any short tail?).  When the same process
 * closed the writer, it already knows all three; the reopen then only
 * checks the part list with one ListParts (s3_stream.c), and falls back to
 * the full search when the bucket disagrees (another process appended,
 * the upload was aborted or completed, or the tail changed: see below).
 *
 * A memo is taken out by the writer that opens the key, so two writers
 * can never both trust one memo, and put back when that writer closes.
 * The memo is bounded (S3_MEMO_MAX entries, least recently stored goes)
 * and is only a hint: losing it costs requests, never data.
 */
#include <stdlib.h>
#include <string.h>

#include "s3.h"

#define S3_MEMO_MAX 256

struct s3_memo {
	struct s3_memo *next;
	char *key;
	char *upload_id;
	s3_part *parts;
	size_t nparts;
	int tail_exists;
};

static void memo_free(s3_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nparts; i++)
		free(m->parts[i].etag);
	free(m->parts);
	free(m->upload_id);
	free(m->key);
	free(m);
}

void s3_memo_init(s3_instance *s)
{
	pthread_mutex_init(&s->memo_lock, NULL);
	s->memos = NULL;
	s->nmemos = 0;
}

void s3_memo_cleanup(s3_instance *s)
{
	while (s->memos) {
		s3_memo *m = s->memos;
		s->memos = m->next;
		memo_free(m);
	}
	s->nmemos = 0;
	pthread_mutex_destroy(&s->memo_lock);
}

/* Unlink the memo for `key`; the caller holds memo_lock. */
static s3_memo *memo_unlink(s3_instance *s, const char *key)
{
	for (s3_memo **p = &s->memos; *p; p = &(*p)->next) {
		if (strcmp((*p)->key, key) == 0) {
			s3_memo *m = *p;
			*p = m->next;
			s->nmemos--;
			return m;
		}
	}
	return NULL;
}

void s3_memo_put(s3_instance *s, const char *key, const char *upload_id,
		 const s3_part *parts, size_t nparts, int tail_exists)
{
	s3_memo *m = calloc(1, sizeof *m);
	if (!m)
		return;
	m->key = strdup(key);
	m->upload_id = upload_id ? strdup(upload_id) : NULL;
	m->parts = nparts ? calloc(nparts, sizeof *m->parts) : NULL;
	int ok = m->key && (!upload_id || m->upload_id) && (!nparts || m->parts);
	for (size_t i = 0; ok && i < nparts; i++) {
		m->parts[i] = parts[i];
		m->parts[i].etag = strdup(parts[i].etag);
		m->nparts = i + 1;
		ok = m->parts[i].etag != NULL;
	}
	m->tail_exists = tail_exists;
	if (!ok) {
		memo_free(m); /* a hint only: without it the next open searches */
		return;
	}
	pthread_mutex_lock(&s->memo_lock);
	memo_free(memo_unlink(s, key));
	m->next = s->memos;
	s->memos = m;
	s->nmemos++;
	s3_memo *drop = NULL;
	if (s->nmemos > S3_MEMO_MAX) {
		/* the list is newest first: the last one is the oldest */
		s3_memo **p = &s->memos;
		while ((*p)->next)
			p = &(*p)->next;
		drop = *p;
		*p = NULL;
		s->nmemos--;
	}
	pthread_mutex_unlock(&s->memo_lock);
	memo_free(drop);
}

s3_memo *s3_memo_take(s3_instance *s, const char *key)
{
	pthread_mutex_lock(&s->memo_lock);
	s3_memo *m = memo_unlink(s, key);
	pthread_mutex_unlock(&s->memo_lock);
	return m;
}

void s3_memo_forget(s3_instance *s, const char *key)
{
	memo_free(s3_memo_take(s, key));
}

void s3_memo_release(s3_memo *m) { memo_free(m); }

const char *s3_memo_upload_id(const s3_memo *m) { return m->upload_id; }
int s3_memo_tail_exists(const s3_memo *m) { return m->tail_exists; }

int s3_memo_parts_match(const s3_memo *m, const s3_part *parts, size_t n)
{
	if (n != m->nparts)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (parts[i].number != m->parts[i].number ||
		    parts[i].size != m->parts[i].size ||
		    strcmp(parts[i].etag, m->parts[i].etag) != 0)
			return 0;
	return 1;
}
