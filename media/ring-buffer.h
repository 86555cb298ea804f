/* Lock-free single-producer single-consumer ring of 16-bit samples.
 *
 * The one thing a PortAudio callback may touch: one thread writes, one
 * thread reads, neither ever blocks or allocates. C11 atomics carry the
 * positions; acquire/release order publishes the samples with them. */
#ifndef FLOE_MEDIA_RING_BUFFER_H
#define FLOE_MEDIA_RING_BUFFER_H

#include <stddef.h>
#include <stdint.h>

typedef struct media_ring media_ring;

/* Holds at least min_samples (rounded up to a power of two). NULL on
 * failure or a size of 0 or above 2^30. */
media_ring *media_ring_new(size_t min_samples);
void media_ring_free(media_ring *r);

size_t media_ring_capacity(const media_ring *r);

/* Producer side: copies up to n samples in; returns how many fit. */
size_t media_ring_write(media_ring *r, const int16_t *src, size_t n);
/* Consumer side: copies up to n samples out; returns how many there were. */
size_t media_ring_read(media_ring *r, int16_t *dst, size_t n);

/* Snapshots; exact for the side that calls them, conservative for the other. */
size_t media_ring_readable(const media_ring *r);
size_t media_ring_writable(const media_ring *r);

#endif
