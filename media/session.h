/* The media session of one call: one audio stream, both ways.
 *
 *   source -> encoder -> RTP -> SRTP -> send callback
 *   media_session_receive -> SRTP -> RTP/RTCP -> jitter buffer
 *                         -> decoder (FEC, PLC) -> sink
 *
 * Everything between the devices and the wire runs on a media thread of its
 * own (pthread), paced at one 20 ms frame per period on CLOCK_MONOTONIC. The
 * caller's thread only hands in datagrams (media_session_receive copies
 * them into a queue, which the media thread drains once per frame: one
 * wake-up per 20 ms), reads statistics, and queues DTMF.
 *
 * Sending goes through a caller-supplied function, called on the media
 * thread; the ICE glue routes each datagram over whichever candidate pair is
 * selected at that moment (media_session_set_send swaps the route). RTP and
 * RTCP share it (rtcp-mux). */
#ifndef FLOE_MEDIA_SESSION_H
#define FLOE_MEDIA_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/codec.h"
#include "media/device.h"
#include "media/srtp.h"

typedef struct media_session media_session;

/* Returns 0 or a negative code; the session counts failures, nothing more. */
typedef int (*media_session_send_fn)(void *user, const uint8_t *data, size_t len);

typedef enum {
	MEDIA_SESSION_EVENT_DTMF,        /* digit: a telephone-event began */
	MEDIA_SESSION_EVENT_FIRST_AUDIO, /* the first received frame was played */
	MEDIA_SESSION_EVENT_SOURCE_END,  /* the source (a file) has ended */
	MEDIA_SESSION_EVENT_REMOTE_BYE,  /* the peer's source sent RTCP BYE (also
	                                    after an SSRC collision, before its
	                                    new SSRC: the call ends by SIP) */
} media_session_event_kind;

typedef struct {
	media_session_event_kind kind;
	char digit;
} media_session_event;

/* Called on the media thread: must not block, nor stop or free the
 * session; hand over to your own thread (e.g. g_idle_add) for more. */
typedef void (*media_session_event_fn)(void *user, const media_session_event *ev);

typedef struct {
	media_codec_id codec;
	uint8_t payload_type;       /* negotiated: 0 PCMU, 8 PCMA, dynamic for Opus */
	int dtmf_payload_type;      /* telephone-event at the codec's clock; -1 none */
	int opus_bitrate;           /* bit/s; 0 = 32000 */
	/* Opus encoder settings, copied; NULL: MEDIA_OPUS_PROFILE_QUALITY.
	 * Out of range: media_session_new fails with -EINVAL. */
	const media_opus_settings *opus;
	/* SDES keys: ours for what we send, the peer's for what we receive.
	 * Both NULL: plain RTP. Copied; the caller may clear its copies. */
	const media_srtp_crypto *srtp_tx;
	const media_srtp_crypto *srtp_rx;
	/* Devices stay the caller's: they must outlive the session, and the
	 * session starts and stops them. Either may be NULL (null device). */
	media_device *source;
	media_device *sink;
	/* Optional recorders (e.g. file sinks) of each direction: what we
	 * send, as the source gave it, and what we play, as the sink got it. */
	media_device *record_tx;
	media_device *record_rx;
	media_session_send_fn send;
	void *send_user;
	media_session_event_fn on_event; /* may be NULL */
	void *event_user;
	const char *cname;          /* RTCP SDES CNAME; NULL: a random one */
	uint32_t jb_min_delay_ms;   /* 0 = 40 for Opus (FEC needs the next
	                               packet at hand), one frame for G.711 */
	uint32_t jb_max_delay_ms;   /* 0 = the jitter buffer's default (500) */
	uint32_t rtcp_interval_ms;  /* 0 = 1000 */
} media_session_config;

typedef struct {
	/* Each way: RTP and RTCP datagrams and their bytes on the wire. */
	uint64_t packets_sent, bytes_sent;
	uint64_t packets_received, bytes_received;
	/* Receiving: RFC 3550 figures for the peer's stream. */
	int64_t packets_lost;       /* cumulative; expected - received */
	double loss_percent;        /* cumulative, over the call */
	double jitter_ms;           /* interarrival jitter */
	/* Sending: what the peer's last report said of our stream. */
	double remote_loss_percent; /* its last interval's fraction lost */
	double remote_jitter_ms;
	int64_t rtt_ms;             /* from RTCP LSR/DLSR; -1 until known */
	uint32_t jb_delay_ms;       /* audio queued in the jitter buffer now */
	uint32_t jb_target_ms;
	uint64_t frames_played;     /* decoded from a received packet */
	uint64_t concealed_frames;  /* made up (FEC or PLC) for lost packets and
	                               for underruns (which include the first
	                               frames of each DTX pause) */
	uint64_t fec_frames;        /* of those, recovered from in-band FEC */
	uint64_t late_packets;      /* arrived after their play-out time */
	double mos;                 /* E-model estimate (media/quality.h) with
	                               delay = rtt/2 + jb_delay + 25 ms (framing,
	                               look-ahead) and loss = loss_percent */
	int64_t first_audio_tx_ms;  /* start -> first audio packet sent; -1 none */
	int64_t first_audio_rx_ms;  /* start -> first received frame played */
	uint64_t srtp_auth_failures, srtp_replays;
	uint64_t malformed;         /* unparseable, unknown payload type, not RTP */
	uint64_t dropped_queue_full;
	uint64_t send_errors;
	uint64_t dtmf_sent, dtmf_received;
	double tx_level_dbfs;       /* RMS of the last frame sent, -100 for silence */
	double rx_level_dbfs;       /* and of the last frame played */
	uint32_t local_ssrc, remote_ssrc;
	bool source_ended, remote_bye;
} media_session_stats;

/* Checks the configuration and builds everything; nothing runs yet.
 * NULL with *err: -EINVAL (bad configuration), -ENOMEM, -EIO (a library
 * failed: SRTP, codec). */
media_session *media_session_new(const media_session_config *cfg, int *err);
/* Starts the devices and the media thread. 0, -EALREADY, -EIO. */
int media_session_start(media_session *s);
/* Sends an RTCP BYE, stops the thread and the devices. Safe to repeat. */
void media_session_stop(media_session *s);
/* Stops if needed and frees. */
void media_session_free(media_session *s);

/* Any thread: hands one received datagram (RTP or RTCP, SRTP if keyed) to
 * the media thread. Copies it. The caller keeps STUN to itself (sort by
 * media_demux_classify); anything but RTP and RTCP is counted malformed. 0, -EMSGSIZE (over 2048 bytes) or -ENOBUFS
 * (queue full: dropped and counted). */
int media_session_receive(media_session *s, const uint8_t *data, size_t len);

/* Any thread: a new route for what we send (ICE re-selected a pair). */
void media_session_set_send(media_session *s, media_session_send_fn send, void *user);

/* Any thread: send silence instead of the source (muted), or the source
 * again. RTP keeps flowing, so the peer's view of the call does not change. */
void media_session_set_mute(media_session *s, bool muted);

/* Any thread: stop sending audio while the peer holds us (it offered
 * recvonly or inactive), and start again. RTCP goes on either way. */
void media_session_set_sending(media_session *s, bool sending);

/* Any thread: queues digits as RFC 4733 events (duration_ms each).
 * -ENOTSUP without a telephone-event payload type; else as
 * media_dtmf_sender_queue. */
int media_session_send_dtmf(media_session *s, const char *digits, unsigned duration_ms);

/* Any thread: a new Opus target bitrate (6000..510000 bit/s), applied
 * from the next frame. -EINVAL out of range, -ENOTSUP for G.711. */
int media_session_set_bitrate(media_session *s, int bps);

/* Any thread: the current statistics. */
void media_session_get_stats(media_session *s, media_session_stats *st);

#endif
