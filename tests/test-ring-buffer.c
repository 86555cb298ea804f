/* The lock-free SPSC sample ring: sizes, wrap-around, full and empty, and a
 * producer and a consumer thread passing a counted sequence. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "media/ring-buffer.h"
#include "check-run.h"

START_TEST(test_sizes)
{
	ck_assert_ptr_null(media_ring_new(0));
	ck_assert_ptr_null(media_ring_new(((size_t)1 << 30) + 1));
	media_ring *r = media_ring_new(1000);
	ck_assert_uint_eq(media_ring_capacity(r), 1024);
	ck_assert_uint_eq(media_ring_readable(r), 0);
	ck_assert_uint_eq(media_ring_writable(r), 1024);
	media_ring_free(r);
	r = media_ring_new(1);
	ck_assert_uint_eq(media_ring_capacity(r), 1);
	media_ring_free(r);
}
END_TEST

START_TEST(test_full_empty_wrap)
{
	media_ring *r = media_ring_new(16);
	int16_t in[40], out[40];
	for (int i = 0; i < 40; i++)
		in[i] = (int16_t)(i * 7 - 100);
	/* Fills to exactly the capacity, no further. */
	ck_assert_uint_eq(media_ring_write(r, in, 40), 16);
	ck_assert_uint_eq(media_ring_writable(r), 0);
	ck_assert_uint_eq(media_ring_write(r, in, 1), 0);
	ck_assert_uint_eq(media_ring_read(r, out, 10), 10);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(out[i], in[i]);
	/* This write wraps around the end of the storage. */
	ck_assert_uint_eq(media_ring_write(r, in + 16, 10), 10);
	ck_assert_uint_eq(media_ring_readable(r), 16);
	ck_assert_uint_eq(media_ring_read(r, out, 40), 16);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(out[i], in[10 + i]);
	ck_assert_uint_eq(media_ring_read(r, out, 1), 0);
	/* Many odd-sized passes keep order across every wrap position. */
	int16_t next_in = 0, next_out = 0;
	for (int pass = 0; pass < 500; pass++) {
		size_t w = (size_t)(pass * 5 % 13), rd = (size_t)(pass * 3 % 11);
		int16_t buf[16];
		for (size_t i = 0; i < w; i++)
			buf[i] = (int16_t)(next_in + i);
		size_t wrote = media_ring_write(r, buf, w);
		next_in = (int16_t)(next_in + wrote);
		size_t got = media_ring_read(r, buf, rd);
		for (size_t i = 0; i < got; i++)
			ck_assert_int_eq(buf[i], next_out++);
	}
	media_ring_free(r);
}
END_TEST

#define TOTAL 400000

static void *
producer(void *arg)
{
	media_ring *r = arg;
	int16_t buf[97];
	uint32_t n = 0, chunk = 1;
	while (n < TOTAL) {
		chunk = chunk * 1103515245u + 12345u;
		size_t want = 1 + (chunk >> 16) % 97;
		if (want > TOTAL - n)
			want = TOTAL - n;
		for (size_t i = 0; i < want; i++)
			buf[i] = (int16_t)(uint16_t)(n + i);
		size_t done = 0;
		while (done < want) {
			size_t w = media_ring_write(r, buf + done, want - done);
			if (w == 0)
				sched_yield();
			done += w;
		}
		n += (uint32_t)want;
	}
	return NULL;
}

START_TEST(test_threads)
{
	media_ring *r = media_ring_new(256);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, producer, r), 0);
	int16_t buf[61];
	uint32_t n = 0;
	unsigned bad = 0;
	while (n < TOTAL) {
		size_t got = media_ring_read(r, buf, 1 + n % 61);
		if (got == 0)
			sched_yield();
		for (size_t i = 0; i < got; i++)
			bad += buf[i] != (int16_t)(uint16_t)(n + i);
		n += (uint32_t)got;
	}
	pthread_join(t, NULL);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(n, TOTAL);
	ck_assert_uint_eq(media_ring_readable(r), 0);
	media_ring_free(r);
}
END_TEST

static Suite *
ring_suite(void)
{
	Suite *s = suite_create("ring-buffer");
	TCase *tc = tcase_create("spsc");
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_full_empty_wrap);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return floe_check_run(ring_suite());
}
