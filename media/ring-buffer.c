/* SPSC ring; see ring-buffer.h. */
#include "media/ring-buffer.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct media_ring {
	int16_t *buf;
	size_t mask;
	/* Free-running counters (wrap at SIZE_MAX, which is a multiple of the
	 * power-of-two capacity, so head - tail is always the fill). Kept on
	 * separate cache lines so the two threads do not share one. */
	_Alignas(64) atomic_size_t head; /* written by the producer */
	_Alignas(64) atomic_size_t tail; /* written by the consumer */
};

media_ring *
media_ring_new(size_t min_samples)
{
	if (min_samples == 0 || min_samples > ((size_t)1 << 30))
		return NULL;
	size_t cap = 1;
	while (cap < min_samples)
		cap <<= 1;
	media_ring *r = aligned_alloc(64, (sizeof *r + 63) / 64 * 64);
	if (!r)
		return NULL;
	memset(r, 0, sizeof *r);
	r->buf = calloc(cap, sizeof *r->buf);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	r->mask = cap - 1;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return r;
}

void
media_ring_free(media_ring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

size_t
media_ring_capacity(const media_ring *r)
{
	return r->mask + 1;
}

size_t
media_ring_readable(const media_ring *r)
{
	size_t head = atomic_load_explicit(&((media_ring *)r)->head, memory_order_acquire);
	size_t tail = atomic_load_explicit(&((media_ring *)r)->tail, memory_order_acquire);
	return head - tail;
}

size_t
media_ring_writable(const media_ring *r)
{
	return media_ring_capacity(r) - media_ring_readable(r);
}

size_t
media_ring_write(media_ring *r, const int16_t *src, size_t n)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	/* acquire: the consumer's reads of these slots are done before reuse */
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t space = media_ring_capacity(r) - (head - tail);
	if (n > space)
		n = space;
	if (n == 0)
		return 0;
	size_t at = head & r->mask;
	size_t first = media_ring_capacity(r) - at;
	if (first > n)
		first = n;
	memcpy(r->buf + at, src, first * sizeof *src);
	memcpy(r->buf, src + first, (n - first) * sizeof *src);
	/* release: the samples are visible before the new head is */
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

size_t
media_ring_read(media_ring *r, int16_t *dst, size_t n)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t avail = head - tail;
	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	size_t at = tail & r->mask;
	size_t first = media_ring_capacity(r) - at;
	if (first > n)
		first = n;
	memcpy(dst, r->buf + at, first * sizeof *dst);
	memcpy(dst + first, r->buf, (n - first) * sizeof *dst);
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}
