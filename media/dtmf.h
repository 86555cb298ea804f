/* RFC 4733 telephone-events: the 4-byte payload, the sender's schedule and
 * a receiver that reports each digit once.
 *
 * Payload: event (8 bits) | E (end) | R | volume (6 bits, -dBm0) |
 * duration (16 bits, RTP timestamp units since the event's timestamp). */
#ifndef FLOE_MEDIA_DTMF_H
#define FLOE_MEDIA_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA_DTMF_PAYLOAD_LEN 4
#define MEDIA_DTMF_PACKET_MS 20 /* one poll per audio packet */

typedef struct {
	uint8_t event;     /* 0-9, 10 '*', 11 '#', 12-15 'A'-'D' (RFC 4733 3.2) */
	bool end;
	uint8_t volume;    /* 0..63, power level in -dBm0 */
	uint16_t duration; /* RTP timestamp units */
} media_dtmf_event;

/* Returns MEDIA_DTMF_PAYLOAD_LEN, or -ENOBUFS / -EINVAL (volume > 63). */
int media_dtmf_pack(const media_dtmf_event *ev, uint8_t *out, size_t cap);
/* Returns 0, or -EBADMSG when len is not at least 4. Trailing bytes (RFC
 * 4733 allows several events in one packet only by redundancy, RFC 2198)
 * are not ours to read and are ignored. */
int media_dtmf_parse(const uint8_t *data, size_t len, media_dtmf_event *ev);

/* '0'-'9', '*', '#', 'A'-'D' (either case) to an event code, or -EINVAL. */
int media_dtmf_event_from_char(char c);
/* Event code to its character, or 0 for codes outside 0..15. */
char media_dtmf_char(uint8_t event);

/* ----------------------------------------------------------------- sender
 * Call media_dtmf_sender_poll() once per packet interval (20 ms) with the
 * RTP timestamp the audio frame of this interval would carry. While a digit
 * is being sent, poll returns true and the packet to send instead of audio:
 * every packet of one event carries the event's first timestamp, the first
 * has the marker bit, the duration grows by one interval per packet, and
 * the final packet (E bit set) goes out three times (RFC 4733 2.5.1.4).
 * Between digits there is a pause of at least 60 ms of normal audio. */
typedef struct media_dtmf_sender media_dtmf_sender;

typedef struct {
	uint8_t payload[MEDIA_DTMF_PAYLOAD_LEN];
	uint32_t timestamp;
	bool marker;
} media_dtmf_packet;

/* ticks_per_packet: RTP units per interval (960 for telephone-event/48000,
 * 160 for /8000). NULL on failure. */
media_dtmf_sender *media_dtmf_sender_new(unsigned ticks_per_packet);
void media_dtmf_sender_free(media_dtmf_sender *s);
/* Queues digits, each sent for duration_ms (40..5000; capped at what the
 * 16-bit duration field holds, 1.36 s at 48 kHz).
 * Returns the number queued or -EINVAL for a character that is no event,
 * -ENOBUFS when the queue (64 digits) is full; nothing is queued then. */
int media_dtmf_sender_queue(media_dtmf_sender *s, const char *digits,
                            unsigned duration_ms, uint8_t volume);
bool media_dtmf_sender_busy(const media_dtmf_sender *s);
bool media_dtmf_sender_poll(media_dtmf_sender *s, uint32_t rtp_ts,
                            media_dtmf_packet *pkt);

/* --------------------------------------------------------------- receiver
 * Feed every telephone-event packet; returns the digit's character the
 * first time an event (told apart by its RTP timestamp) is seen, and 0 for
 * continuation packets, retransmitted end packets and unknown events. */
typedef struct media_dtmf_receiver media_dtmf_receiver;

media_dtmf_receiver *media_dtmf_receiver_new(void);
void media_dtmf_receiver_free(media_dtmf_receiver *r);
char media_dtmf_receiver_push(media_dtmf_receiver *r, uint32_t rtp_ts,
                              const uint8_t *payload, size_t len);

#endif
