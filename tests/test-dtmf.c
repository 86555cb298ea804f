/* RFC 4733 telephone-events: payload, the sender's schedule, the receiver
 * reporting each digit once. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "media/dtmf.h"
#include "check-run.h"

START_TEST(test_pack_parse)
{
	/* RFC 4733 2.3: event 5, E set, volume 10, duration 1280. */
	media_dtmf_event ev = { .event = 5, .end = true, .volume = 10, .duration = 1280 };
	uint8_t buf[8];
	ck_assert_int_eq(media_dtmf_pack(&ev, buf, sizeof buf), 4);
	static const uint8_t want[4] = { 0x05, 0x8a, 0x05, 0x00 };
	ck_assert_mem_eq(buf, want, 4);
	media_dtmf_event out;
	ck_assert_int_eq(media_dtmf_parse(buf, 4, &out), 0);
	ck_assert_uint_eq(out.event, 5);
	ck_assert(out.end);
	ck_assert_uint_eq(out.volume, 10);
	ck_assert_uint_eq(out.duration, 1280);
	/* The R bit is reserved: ignored, not taken for volume. */
	buf[1] = 0x40 | 7;
	ck_assert_int_eq(media_dtmf_parse(buf, 4, &out), 0);
	ck_assert(!out.end);
	ck_assert_uint_eq(out.volume, 7);
	for (size_t len = 0; len < 4; len++)
		ck_assert_int_eq(media_dtmf_parse(buf, len, &out), -EBADMSG);
	ck_assert_int_eq(media_dtmf_pack(&ev, buf, 3), -ENOBUFS);
	ev.volume = 64;
	ck_assert_int_eq(media_dtmf_pack(&ev, buf, 4), -EINVAL);
}
END_TEST

START_TEST(test_chars)
{
	const char *all = "0123456789*#ABCD";
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(media_dtmf_event_from_char(all[i]), i);
		ck_assert_int_eq(media_dtmf_char((uint8_t)i), all[i]);
	}
	ck_assert_int_eq(media_dtmf_event_from_char('b'), 13);
	ck_assert_int_eq(media_dtmf_event_from_char('x'), -EINVAL);
	ck_assert_int_eq(media_dtmf_event_from_char('E'), -EINVAL);
	ck_assert_int_eq(media_dtmf_event_from_char('\0'), -EINVAL);
	ck_assert_int_eq(media_dtmf_char(16), 0);
}
END_TEST

/* One 100 ms digit at 8 kHz, 20 ms packets: durations 160..640 then the
 * end packet with 800, three times, all on the event's first timestamp;
 * marker on the first only. Then 60 ms of audio, then the next digit. */
START_TEST(test_sender_schedule)
{
	media_dtmf_sender *s = media_dtmf_sender_new(160);
	ck_assert_ptr_nonnull(s);
	ck_assert(!media_dtmf_sender_busy(s));
	ck_assert_int_eq(media_dtmf_sender_queue(s, "5#", 100, 10), 2);
	ck_assert(media_dtmf_sender_busy(s));
	media_dtmf_packet p;
	media_dtmf_event ev;
	uint32_t ts = 1000;
	static const uint16_t dur[7] = { 160, 320, 480, 640, 800, 800, 800 };
	for (int i = 0; i < 7; i++, ts += 160) {
		ck_assert(media_dtmf_sender_poll(s, ts, &p));
		ck_assert_uint_eq(p.timestamp, 1000);
		ck_assert(p.marker == (i == 0));
		ck_assert_int_eq(media_dtmf_parse(p.payload, 4, &ev), 0);
		ck_assert_uint_eq(ev.event, 5);
		ck_assert_uint_eq(ev.volume, 10);
		ck_assert_uint_eq(ev.duration, dur[i]);
		ck_assert(ev.end == (i >= 4));
	}
	for (int i = 0; i < 3; i++, ts += 160)
		ck_assert(!media_dtmf_sender_poll(s, ts, &p));
	ck_assert(media_dtmf_sender_poll(s, ts, &p));
	ck_assert_uint_eq(p.timestamp, ts);
	ck_assert(p.marker);
	ck_assert_int_eq(media_dtmf_parse(p.payload, 4, &ev), 0);
	ck_assert_uint_eq(ev.event, 11);
	for (int i = 0; i < 6; i++)
		ck_assert(media_dtmf_sender_poll(s, ts += 160, &p));
	ck_assert(!media_dtmf_sender_busy(s));
	ck_assert(!media_dtmf_sender_poll(s, ts += 160, &p));
	media_dtmf_sender_free(s);
}
END_TEST

START_TEST(test_sender_limits)
{
	media_dtmf_sender *s = media_dtmf_sender_new(960);
	ck_assert_int_eq(media_dtmf_sender_queue(s, "1x", 100, 10), -EINVAL);
	ck_assert(!media_dtmf_sender_busy(s));
	ck_assert_int_eq(media_dtmf_sender_queue(s, "1", 30, 10), -EINVAL);
	ck_assert_int_eq(media_dtmf_sender_queue(s, "1", 100, 64), -EINVAL);
	char many[66];
	memset(many, '7', 65);
	many[65] = 0;
	ck_assert_int_eq(media_dtmf_sender_queue(s, many, 100, 10), -ENOBUFS);
	ck_assert(!media_dtmf_sender_busy(s));
	/* 5 s at 48 kHz would overflow the 16-bit duration: capped. */
	ck_assert_int_eq(media_dtmf_sender_queue(s, "9", 5000, 10), 1);
	media_dtmf_packet p;
	media_dtmf_event ev = { 0 };
	uint32_t ts = 0;
	while (media_dtmf_sender_poll(s, ts, &p)) {
		ck_assert_int_eq(media_dtmf_parse(p.payload, 4, &ev), 0);
		ts += 960;
	}
	ck_assert(ev.end);
	ck_assert_uint_eq(ev.duration, 65280);
	ck_assert_ptr_null(media_dtmf_sender_new(0));
	media_dtmf_sender_free(s);
}
END_TEST

START_TEST(test_receiver_once)
{
	media_dtmf_sender *s = media_dtmf_sender_new(960);
	media_dtmf_receiver *r = media_dtmf_receiver_new();
	ck_assert_int_eq(media_dtmf_sender_queue(s, "1*1", 60, 10), 3);
	char got[8] = { 0 };
	size_t n = 0;
	media_dtmf_packet p;
	for (uint32_t ts = 0; ts < 960 * 60; ts += 960) {
		if (!media_dtmf_sender_poll(s, ts, &p))
			continue;
		char c = media_dtmf_receiver_push(r, p.timestamp, p.payload, sizeof p.payload);
		if (c)
			got[n++] = c;
		/* A retransmission of the same packet is never a new digit. */
		ck_assert_int_eq(media_dtmf_receiver_push(r, p.timestamp, p.payload, 4), 0);
	}
	ck_assert_str_eq(got, "1*1");
	/* Unknown events and short payloads report nothing. */
	uint8_t odd[4] = { 20, 0x80, 0, 160 };
	ck_assert_int_eq(media_dtmf_receiver_push(r, 99999, odd, 4), 0);
	ck_assert_int_eq(media_dtmf_receiver_push(r, 99999, odd, 3), 0);
	/* A digit whose first packets were lost is still reported, once. */
	uint8_t late[4] = { 3, 0x8a, 0x03, 0x20 };
	ck_assert_int_eq(media_dtmf_receiver_push(r, 123456, late, 4), '3');
	ck_assert_int_eq(media_dtmf_receiver_push(r, 123456, late, 4), 0);
	media_dtmf_receiver_free(r);
	media_dtmf_sender_free(s);
}
END_TEST

static Suite *
dtmf_suite(void)
{
	Suite *s = suite_create("dtmf");
	TCase *tc = tcase_create("rfc4733");
	tcase_add_test(tc, test_pack_parse);
	tcase_add_test(tc, test_chars);
	tcase_add_test(tc, test_sender_schedule);
	tcase_add_test(tc, test_sender_limits);
	tcase_add_test(tc, test_receiver_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return floe_check_run(dtmf_suite());
}
