/* RFC 4733 telephone-events; see dtmf.h. */
#include "media/dtmf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MAX 64
#define END_REPEATS 3
#define PAUSE_PACKETS 3

static const char event_chars[] = "0123456789*#ABCD";

int
media_dtmf_pack(const media_dtmf_event *ev, uint8_t *out, size_t cap)
{
	if (!ev || !out || ev->volume > 63)
		return -EINVAL;
	if (cap < MEDIA_DTMF_PAYLOAD_LEN)
		return -ENOBUFS;
	out[0] = ev->event;
	out[1] = (uint8_t)((ev->end ? 0x80 : 0) | ev->volume);
	out[2] = (uint8_t)(ev->duration >> 8);
	out[3] = (uint8_t)ev->duration;
	return MEDIA_DTMF_PAYLOAD_LEN;
}

int
media_dtmf_parse(const uint8_t *data, size_t len, media_dtmf_event *ev)
{
	if (!data || !ev || len < MEDIA_DTMF_PAYLOAD_LEN)
		return -EBADMSG;
	ev->event = data[0];
	ev->end = (data[1] & 0x80) != 0;
	ev->volume = data[1] & 0x3f; /* R is reserved: ignored on receipt */
	ev->duration = (uint16_t)(data[2] << 8 | data[3]);
	return 0;
}

int
media_dtmf_event_from_char(char c)
{
	if (c >= 'a' && c <= 'd')
		c = (char)(c - 'a' + 'A');
	const char *p = c ? strchr(event_chars, c) : NULL;
	return p ? (int)(p - event_chars) : -EINVAL;
}

char
media_dtmf_char(uint8_t event)
{
	return event < 16 ? event_chars[event] : 0;
}

/* ----------------------------------------------------------------- sender */

typedef enum { SEND_IDLE, SEND_TONE, SEND_END, SEND_PAUSE } send_state;

typedef struct {
	uint8_t event;
	uint8_t volume;
	uint32_t ticks; /* total duration in RTP units */
} queued_digit;

struct media_dtmf_sender {
	unsigned ticks_per_packet;
	queued_digit queue[QUEUE_MAX];
	size_t q_head, q_len;
	send_state state;
	queued_digit cur;
	uint32_t event_ts;
	uint32_t duration;
	int count; /* end packets sent, or pause packets waited */
};

media_dtmf_sender *
media_dtmf_sender_new(unsigned ticks_per_packet)
{
	if (ticks_per_packet == 0 || ticks_per_packet > 0xffff)
		return NULL;
	media_dtmf_sender *s = calloc(1, sizeof *s);
	if (s)
		s->ticks_per_packet = ticks_per_packet;
	return s;
}

void
media_dtmf_sender_free(media_dtmf_sender *s)
{
	free(s);
}

int
media_dtmf_sender_queue(media_dtmf_sender *s, const char *digits,
                        unsigned duration_ms, uint8_t volume)
{
	if (!s || !digits || volume > 63 || duration_ms < 40 || duration_ms > 5000)
		return -EINVAL;
	size_t n = strlen(digits);
	for (size_t i = 0; i < n; i++)
		if (media_dtmf_event_from_char(digits[i]) < 0)
			return -EINVAL;
	if (n > QUEUE_MAX - s->q_len)
		return -ENOBUFS;
	/* 20 ms per packet; the 16-bit duration field caps one event, and
	 * RFC 4733 2.5.1.3's long-event segments are not worth it for keys. */
	uint64_t ticks = (uint64_t)duration_ms * s->ticks_per_packet / MEDIA_DTMF_PACKET_MS;
	if (ticks > 0xffff)
		ticks = 0xffff / s->ticks_per_packet * s->ticks_per_packet;
	for (size_t i = 0; i < n; i++) {
		queued_digit *d = &s->queue[(s->q_head + s->q_len++) % QUEUE_MAX];
		d->event = (uint8_t)media_dtmf_event_from_char(digits[i]);
		d->volume = volume;
		d->ticks = (uint32_t)ticks;
	}
	return (int)n;
}

bool
media_dtmf_sender_busy(const media_dtmf_sender *s)
{
	return s->state == SEND_TONE || s->state == SEND_END || s->q_len > 0;
}

static void
fill(media_dtmf_sender *s, media_dtmf_packet *pkt, bool end, bool marker)
{
	media_dtmf_event ev = {
		.event = s->cur.event,
		.end = end,
		.volume = s->cur.volume,
		.duration = (uint16_t)s->duration,
	};
	media_dtmf_pack(&ev, pkt->payload, sizeof pkt->payload);
	pkt->timestamp = s->event_ts;
	pkt->marker = marker;
}

bool
media_dtmf_sender_poll(media_dtmf_sender *s, uint32_t rtp_ts, media_dtmf_packet *pkt)
{
	switch (s->state) {
	case SEND_PAUSE:
		if (s->count++ < PAUSE_PACKETS) /* 60 ms of audio between digits */
			return false;
		s->state = SEND_IDLE;
		/* fall through */
	case SEND_IDLE:
		if (s->q_len == 0)
			return false;
		s->cur = s->queue[s->q_head];
		s->q_head = (s->q_head + 1) % QUEUE_MAX;
		s->q_len--;
		s->event_ts = rtp_ts;
		s->duration = s->ticks_per_packet;
		s->state = SEND_TONE;
		s->count = 0;
		fill(s, pkt, false, true);
		return true;
	case SEND_TONE:
		s->duration += s->ticks_per_packet;
		if (s->duration < s->cur.ticks) {
			fill(s, pkt, false, false);
			return true;
		}
		s->duration = s->cur.ticks;
		s->state = SEND_END;
		s->count = 0;
		/* fall through */
	case SEND_END:
		fill(s, pkt, true, false);
		if (++s->count >= END_REPEATS) {
			s->state = SEND_PAUSE;
			s->count = 0;
		}
		return true;
	}
	return false;
}

/* --------------------------------------------------------------- receiver */

struct media_dtmf_receiver {
	bool have_last;
	uint32_t last_ts;
};

media_dtmf_receiver *
media_dtmf_receiver_new(void)
{
	return calloc(1, sizeof(media_dtmf_receiver));
}

void
media_dtmf_receiver_free(media_dtmf_receiver *r)
{
	free(r);
}

char
media_dtmf_receiver_push(media_dtmf_receiver *r, uint32_t rtp_ts,
                         const uint8_t *payload, size_t len)
{
	media_dtmf_event ev;
	if (media_dtmf_parse(payload, len, &ev) < 0)
		return 0;
	char c = media_dtmf_char(ev.event);
	if (!c)
		return 0;
	/* One event = one timestamp; every later packet of it repeats that. */
	if (r->have_last && r->last_ts == rtp_ts)
		return 0;
	r->have_last = true;
	r->last_ts = rtp_ts;
	return c;
}
