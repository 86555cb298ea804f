/* The media session: one call's audio both ways on a media thread of its
 * own; see session.h. */
#include "media/session.h"
#include "media/tone-detect.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/demux.h"
#include "media/dtmf.h"
#include "media/jitter-buffer.h"
#include "media/quality.h"
#include "media/rtcp.h"
#include "media/rtp.h"

#define DATAGRAM_MAX 2048
#define QUEUE_SLOTS 128
#define WIRE_MAX (MEDIA_RTP_HEADER_MIN + MEDIA_CODEC_MAX_PAYLOAD + MEDIA_SRTP_MAX_OVERHEAD)
#define RTCP_MAX 1024
#define FRAME_US (MEDIA_FRAME_MS * 1000)
/* Concealing an empty buffer past this many frames only prolongs an
 * artefact (a pause, DTX, or a dead peer): play silence instead. */
#define MAX_EMPTY_CONCEAL 5
/* Packetisation plus codec look-ahead and resampling, for the MOS delay. */
#define CODEC_DELAY_MS 25

typedef struct {
	size_t len;
	uint64_t arrival_us;
	uint8_t data[DATAGRAM_MAX];
} queued_datagram;

struct media_session {
	/* Fixed after media_session_new. */
	media_codec_id codec_id;
	uint8_t pt;
	int dtmf_pt;
	unsigned clock_rate;
	unsigned frame_ticks;
	uint32_t rtcp_interval_us;
	char cname[64];
	media_device *source, *sink;
	media_device *record_tx, *record_rx; /* NULL: not recording */
	media_device *own_source, *own_sink; /* the null devices we made */
	media_session_event_fn on_event;
	void *event_user;

	/* Media thread only. */
	media_codec *codec;
	media_srtp *srtp;
	media_rtp_sender *rtp_tx;
	media_rtp_source *remote;
	uint32_t remote_ssrc;
	media_jb *jb;
	media_dtmf_receiver *dtmf_rx;
	uint64_t start_us;
	uint32_t frame_index;
	bool next_marker;
	bool playing;
	int empty_run;
	uint8_t rx_buf[DATAGRAM_MAX];

	/* Shared: under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_started;
	bool running;
	media_session_send_fn send;
	void *send_user;
	media_dtmf_sender *dtmf_tx;
	int new_bitrate;        /* 0: no change asked for */
	bool muted;             /* send silence in place of the source */
	bool sending;           /* false while the peer holds us (recvonly, inactive) */
	queued_datagram *queue; /* QUEUE_SLOTS, a ring */
	size_t q_head, q_len;
	media_session_stats st;
};

static uint64_t
clock_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The NTP (wall clock) time of a CLOCK_MONOTONIC instant in the recent
 * past: a datagram's arrival is handled up to a frame after it came. */
static uint64_t
ntp_at(uint64_t mono_us)
{
	uint64_t now = clock_us(CLOCK_MONOTONIC);
	uint64_t ago = now > mono_us ? now - mono_us : 0;
	return media_rtcp_ntp_from_unix_us(clock_us(CLOCK_REALTIME) - ago);
}

static void
emit(media_session *s, media_session_event_kind kind, char digit)
{
	if (!s->on_event)
		return;
	media_session_event ev = { .kind = kind, .digit = digit };
	s->on_event(s->event_user, &ev);
}

/* ------------------------------------------------------------- sending */

static void
transmit(media_session *s, const uint8_t *data, size_t len)
{
	pthread_mutex_lock(&s->lock);
	media_session_send_fn fn = s->send;
	void *user = s->send_user;
	pthread_mutex_unlock(&s->lock);
	int r = fn(user, data, len);
	pthread_mutex_lock(&s->lock);
	if (r < 0) {
		s->st.send_errors++;
	} else {
		s->st.packets_sent++;
		s->st.bytes_sent += len;
	}
	pthread_mutex_unlock(&s->lock);
}

static int
send_rtp(media_session *s, uint8_t pt, bool marker, uint32_t ts,
         const uint8_t *payload, size_t len)
{
	uint8_t buf[WIRE_MAX];
	int n = media_rtp_sender_pack(s->rtp_tx, pt, marker, ts, payload, len, buf,
	                              sizeof buf - MEDIA_SRTP_MAX_OVERHEAD);
	if (n < 0)
		return n;
	if (s->srtp) {
		n = media_srtp_protect_rtp(s->srtp, buf, (size_t)n, sizeof buf);
		if (n < 0)
			return n;
	}
	transmit(s, buf, (size_t)n);
	return 0;
}

/* A compound RTCP packet: SR (once we have sent) or RR, a report block on
 * the peer's stream if we have one, our CNAME, and a BYE if asked. */
static void
send_rtcp(media_session *s, uint64_t now_us, const uint32_t *bye_ssrc)
{
	media_rtp_sender_info info;
	media_rtp_sender_info_get(s->rtp_tx, &info);
	media_rtcp_report rep;
	memset(&rep, 0, sizeof rep);
	rep.ssrc = bye_ssrc ? *bye_ssrc : info.ssrc;
	if (info.packets > 0 && !(bye_ssrc && *bye_ssrc != info.ssrc)) {
		rep.has_sender_info = true;
		rep.ntp = ntp_at(now_us);
		/* The RTP clock at this NTP instant (what lip sync needs). */
		rep.rtp_ts = info.ts_base +
		             (uint32_t)((now_us - s->start_us) * s->clock_rate / 1000000u);
		rep.packet_count = (uint32_t)info.packets;
		rep.octet_count = (uint32_t)info.octets;
	}
	if (s->remote && rep.ssrc == info.ssrc) {
		rep.n_blocks = 1;
		media_rtcp_report_block_fill(&rep.blocks[0], s->remote, now_us);
	}
	uint8_t buf[RTCP_MAX + MEDIA_SRTP_MAX_OVERHEAD];
	media_rtcp_writer w;
	media_rtcp_writer_init(&w, buf, RTCP_MAX);
	media_rtcp_write_report(&w, &rep);
	media_rtcp_write_sdes_cname(&w, rep.ssrc, s->cname);
	if (bye_ssrc)
		media_rtcp_write_bye(&w, bye_ssrc, 1, NULL);
	int n = media_rtcp_writer_finish(&w);
	if (n < 0)
		return;
	if (s->srtp) {
		n = media_srtp_protect_rtcp(s->srtp, buf, (size_t)n, sizeof buf);
		if (n < 0)
			return;
	}
	transmit(s, buf, (size_t)n);
}

/* RFC 3550 8.2: the peer uses our SSRC. Take a new one and say BYE for the
 * old. */
static void
check_collision(media_session *s, uint32_t remote_ssrc, uint64_t now_us)
{
	uint32_t old;
	if (!media_rtp_sender_check_collision(s->rtp_tx, remote_ssrc, &old))
		return;
	send_rtcp(s, now_us, &old);
	s->next_marker = true;
}

/* ----------------------------------------------------------- receiving */

static void
note_srtp_failure(media_session *s)
{
	media_srtp_stats ss;
	media_srtp_stats_get(s->srtp, &ss);
	pthread_mutex_lock(&s->lock);
	s->st.srtp_auth_failures = ss.auth_failures;
	s->st.srtp_replays = ss.replays;
	pthread_mutex_unlock(&s->lock);
}

static void
count_malformed(media_session *s)
{
	pthread_mutex_lock(&s->lock);
	s->st.malformed++;
	pthread_mutex_unlock(&s->lock);
}

/* The peer's stream; a new SSRC (the peer restarted or changed source)
 * starts statistics and the jitter buffer afresh. */
static media_rtp_source *
remote_source(media_session *s, uint32_t ssrc)
{
	if (s->remote && s->remote_ssrc == ssrc)
		return s->remote;
	media_rtp_source *src = media_rtp_source_new(ssrc, s->clock_rate);
	if (!src)
		return NULL;
	media_rtp_source_free(s->remote);
	s->remote = src;
	s->remote_ssrc = ssrc;
	media_jb_reset(s->jb);
	pthread_mutex_lock(&s->lock);
	s->st.remote_ssrc = ssrc;
	pthread_mutex_unlock(&s->lock);
	return src;
}

static void
handle_rtp(media_session *s, const uint8_t *buf, size_t len, uint64_t now_us)
{
	media_rtp_packet p;
	if (media_rtp_parse(buf, len, &p) < 0) {
		count_malformed(s);
		return;
	}
	bool dtmf = s->dtmf_pt >= 0 && p.payload_type == s->dtmf_pt;
	if (!dtmf && p.payload_type != s->pt) {
		count_malformed(s);
		return;
	}
	check_collision(s, p.ssrc, now_us);
	media_rtp_source *src = remote_source(s, p.ssrc);
	if (!src)
		return;
	media_rtp_seq_result res = media_rtp_source_update(src, p.seq, p.timestamp, now_us);
	if (res == MEDIA_RTP_SEQ_BAD || res == MEDIA_RTP_SEQ_DUPLICATE)
		return;
	if (dtmf) {
		char digit = media_dtmf_receiver_push(s->dtmf_rx, p.timestamp, p.payload,
		                                      p.payload_len);
		if (digit) {
			pthread_mutex_lock(&s->lock);
			s->st.dtmf_received++;
			pthread_mutex_unlock(&s->lock);
			emit(s, MEDIA_SESSION_EVENT_DTMF, digit);
		}
		return;
	}
	/* Probation packets are played too: waiting for the second packet
	 * would only delay the first audio. */
	media_jb_put_result r = media_jb_put(s->jb, now_us, p.seq, p.timestamp, p.marker,
	                                     p.payload, p.payload_len);
	if (r == MEDIA_JB_PUT_LATE) {
		pthread_mutex_lock(&s->lock);
		s->st.late_packets++;
		pthread_mutex_unlock(&s->lock);
	}
}

static void
handle_report(media_session *s, const media_rtcp_report *rep, uint64_t now_us)
{
	check_collision(s, rep->ssrc, now_us);
	if (rep->has_sender_info && s->remote && rep->ssrc == s->remote_ssrc)
		media_rtp_source_note_sr(s->remote, rep->ntp, now_us);
	media_rtp_sender_info info;
	media_rtp_sender_info_get(s->rtp_tx, &info);
	for (unsigned i = 0; i < rep->n_blocks; i++) {
		const media_rtcp_report_block *b = &rep->blocks[i];
		if (b->ssrc != info.ssrc)
			continue;
		int64_t rtt = media_rtcp_rtt_us(ntp_at(now_us), b->lsr, b->dlsr);
		double loss = b->fraction_lost * 100.0 / 256.0;
		/* The encoder sizes its FEC to the loss the peer sees. */
		media_codec_set_packet_loss(s->codec, (int)ceil(loss));
		pthread_mutex_lock(&s->lock);
		if (rtt >= 0)
			s->st.rtt_ms = rtt / 1000;
		s->st.remote_loss_percent = loss;
		s->st.remote_jitter_ms = b->jitter * 1000.0 / s->clock_rate;
		pthread_mutex_unlock(&s->lock);
	}
}

static void
handle_rtcp(media_session *s, const uint8_t *buf, size_t len, uint64_t now_us)
{
	if (media_rtcp_validate(buf, len) < 0) {
		count_malformed(s);
		return;
	}
	size_t off = 0;
	static _Thread_local media_rtcp_packet pk; /* large: keep off the stack */
	while (media_rtcp_next(buf, len, &off, &pk) == 1) {
		switch (pk.type) {
		case MEDIA_RTCP_SR:
		case MEDIA_RTCP_RR:
			handle_report(s, &pk.u.report, now_us);
			break;
		case MEDIA_RTCP_BYE:
			for (unsigned i = 0; i < pk.u.bye.n_ssrcs; i++) {
				if (!s->remote || pk.u.bye.ssrcs[i] != s->remote_ssrc)
					continue;
				pthread_mutex_lock(&s->lock);
				bool first = !s->st.remote_bye;
				s->st.remote_bye = true;
				pthread_mutex_unlock(&s->lock);
				if (first)
					emit(s, MEDIA_SESSION_EVENT_REMOTE_BYE, 0);
			}
			break;
		default:
			break;
		}
	}
}

static void
handle_datagram(media_session *s, uint8_t *buf, size_t len, uint64_t now_us)
{
	media_demux_kind kind = media_demux_classify(buf, len);
	if (kind != MEDIA_DEMUX_RTP && kind != MEDIA_DEMUX_RTCP) {
		count_malformed(s);
		return;
	}
	size_t wire_len = len;
	if (s->srtp) {
		int n = kind == MEDIA_DEMUX_RTP ? media_srtp_unprotect_rtp(s->srtp, buf, len)
		                                : media_srtp_unprotect_rtcp(s->srtp, buf, len);
		if (n < 0) {
			note_srtp_failure(s);
			if (n == -EINVAL)
				count_malformed(s);
			return;
		}
		len = (size_t)n;
	}
	pthread_mutex_lock(&s->lock);
	s->st.packets_received++;
	s->st.bytes_received += wire_len;
	pthread_mutex_unlock(&s->lock);
	if (kind == MEDIA_DEMUX_RTP)
		handle_rtp(s, buf, len, now_us);
	else
		handle_rtcp(s, buf, len, now_us);
}

/* -------------------------------------------------------- one 20 ms frame */

/* RMS level of a frame in dBFS, for level meters; silence reads -100. */
static double
frame_level_dbfs(const int16_t *pcm)
{
	double rms = media_rms(pcm, MEDIA_FRAME_SAMPLES) / 32768.0;
	return rms > 1e-5 ? 20 * log10(rms) : -100;
}

static void
send_frame(media_session *s)
{
	int16_t pcm[MEDIA_FRAME_SAMPLES];
	int r = media_device_read(s->source, pcm);
	if (r == -ENODATA) {
		pthread_mutex_lock(&s->lock);
		bool first = !s->st.source_ended;
		s->st.source_ended = true;
		pthread_mutex_unlock(&s->lock);
		if (first)
			emit(s, MEDIA_SESSION_EVENT_SOURCE_END, 0);
	}
	pthread_mutex_lock(&s->lock);
	bool muted = s->muted, sending = s->sending;
	pthread_mutex_unlock(&s->lock);
	if (muted)
		memset(pcm, 0, sizeof pcm);
	double level = frame_level_dbfs(pcm);
	if (s->record_tx)
		media_device_write(s->record_tx, pcm);
	uint32_t ts = s->frame_index++ * s->frame_ticks;

	media_dtmf_packet dp;
	pthread_mutex_lock(&s->lock);
	s->st.tx_level_dbfs = level;
	bool dtmf = sending && s->dtmf_tx && media_dtmf_sender_poll(s->dtmf_tx, ts, &dp);
	if (dtmf && dp.marker)
		s->st.dtmf_sent++;
	int bitrate = s->new_bitrate;
	s->new_bitrate = 0;
	pthread_mutex_unlock(&s->lock);
	if (bitrate)
		media_codec_set_bitrate(s->codec, bitrate);
	if (dtmf) {
		/* The event replaces the audio of this period (RFC 4733 2.5.1.2). */
		send_rtp(s, (uint8_t)s->dtmf_pt, dp.marker, dp.timestamp, dp.payload,
		         sizeof dp.payload);
		s->next_marker = true;
		return;
	}
	if (!sending) {
		/* Time keeps running (RFC 3264 8.4): resume with a new talkspurt. */
		s->next_marker = true;
		return;
	}
	uint8_t payload[MEDIA_CODEC_MAX_PAYLOAD];
	int len = media_codec_encode(s->codec, pcm, payload, sizeof payload);
	if (len == 0) {
		s->next_marker = true; /* DTX: the next packet starts a talkspurt */
		return;
	}
	if (len < 0 || send_rtp(s, s->pt, s->next_marker, ts, payload, (size_t)len) < 0)
		return;
	s->next_marker = false;
	if (r > 0) {
		pthread_mutex_lock(&s->lock);
		if (s->st.first_audio_tx_ms < 0)
			s->st.first_audio_tx_ms =
			    (int64_t)(clock_us(CLOCK_MONOTONIC) - s->start_us) / 1000;
		pthread_mutex_unlock(&s->lock);
	}
}

static void
play_frame(media_session *s, uint64_t now_us)
{
	int16_t pcm[MEDIA_FRAME_SAMPLES];
	media_jb_frame f;
	bool played = false, concealed = false, fec = false;
	bool underrun = false;
	media_jb_get(s->jb, now_us, &f);
	switch (f.kind) {
	case MEDIA_JB_FRAME:
		if (media_codec_decode(s->codec, f.payload, f.payload_len, pcm) == MEDIA_FRAME_SAMPLES) {
			played = true;
			break;
		}
		/* A payload the decoder refused is a lost frame. */
		count_malformed(s);
		/* fall through */
	case MEDIA_JB_LOST:
		concealed = media_codec_conceal(s->codec, f.kind == MEDIA_JB_LOST ? f.next_payload : NULL,
		                                f.kind == MEDIA_JB_LOST ? f.next_payload_len : 0,
		                                pcm, &fec) == MEDIA_FRAME_SAMPLES;
		if (!concealed)
			memset(pcm, 0, sizeof pcm);
		break;
	case MEDIA_JB_EMPTY:
		if (s->playing && s->empty_run < MAX_EMPTY_CONCEAL &&
		    media_codec_conceal(s->codec, NULL, 0, pcm, NULL) == MEDIA_FRAME_SAMPLES) {
			s->empty_run++;
			underrun = true;
			break;
		}
		memset(pcm, 0, sizeof pcm);
		break;
	}
	if (f.kind != MEDIA_JB_EMPTY)
		s->empty_run = 0;
	media_device_write(s->sink, pcm);
	if (s->record_rx)
		media_device_write(s->record_rx, pcm);

	bool first = played && !s->playing;
	if (played)
		s->playing = true;
	double level = frame_level_dbfs(pcm);
	pthread_mutex_lock(&s->lock);
	s->st.rx_level_dbfs = level;
	s->st.frames_played += played;
	s->st.concealed_frames += concealed || underrun;
	s->st.fec_frames += concealed && fec;
	if (first)
		s->st.first_audio_rx_ms = (int64_t)(now_us - s->start_us) / 1000;
	pthread_mutex_unlock(&s->lock);
	if (first)
		emit(s, MEDIA_SESSION_EVENT_FIRST_AUDIO, 0);
}

static void
update_stats(media_session *s)
{
	media_jb_stats jbs;
	media_jb_stats_get(s->jb, &jbs);
	media_rtp_source_stats rs = { 0 };
	if (s->remote)
		media_rtp_source_stats_get(s->remote, &rs);
	media_rtp_sender_info info;
	media_rtp_sender_info_get(s->rtp_tx, &info);

	pthread_mutex_lock(&s->lock);
	media_session_stats *st = &s->st;
	st->local_ssrc = info.ssrc;
	st->jb_delay_ms = jbs.current_delay_ms;
	st->jb_target_ms = jbs.target_delay_ms;
	st->packets_lost = rs.cumulative_lost;
	st->loss_percent = rs.expected && rs.cumulative_lost > 0
	                       ? rs.cumulative_lost * 100.0 / rs.expected : 0;
	st->jitter_ms = s->remote ? rs.jitter_us / 1000.0 : 0;
	double delay = (st->rtt_ms >= 0 ? st->rtt_ms / 2.0 : 0) + jbs.current_delay_ms +
	               CODEC_DELAY_MS;
	st->mos = media_quality_mos(s->codec_id, delay, st->loss_percent);
	pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ the thread */

static void
deadline_to_timespec(uint64_t mono_us, struct timespec *ts)
{
	ts->tv_sec = (time_t)(mono_us / 1000000u);
	ts->tv_nsec = (long)(mono_us % 1000000u) * 1000;
}

static void *
media_thread(void *arg)
{
	media_session *s = arg;
	uint64_t now = clock_us(CLOCK_MONOTONIC);
	uint64_t next_frame = now;
	/* The first report goes out early so RTT is known soon. */
	uint64_t next_rtcp = now + s->rtcp_interval_us / 2;

	pthread_mutex_lock(&s->lock);
	while (s->running) {
		if (s->q_len > 0) {
			queued_datagram *q = &s->queue[s->q_head];
			size_t len = q->len;
			uint64_t arrival = q->arrival_us;
			memcpy(s->rx_buf, q->data, len);
			s->q_head = (s->q_head + 1) % QUEUE_SLOTS;
			/* Emptied, it starts over at the first slot: a call
			 * touches only the slots its bursts need, not the
			 * whole ring. */
			if (--s->q_len == 0)
				s->q_head = 0;
			pthread_mutex_unlock(&s->lock);
			handle_datagram(s, s->rx_buf, len, arrival);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		now = clock_us(CLOCK_MONOTONIC);
		if (now >= next_frame) {
			pthread_mutex_unlock(&s->lock);
			send_frame(s);
			play_frame(s, now);
			update_stats(s);
			pthread_mutex_lock(&s->lock);
			next_frame += FRAME_US;
			/* Far behind (the machine stalled): skip, do not burst. */
			if (now > next_frame + 10 * FRAME_US)
				next_frame = now + FRAME_US;
			continue;
		}
		if (now >= next_rtcp) {
			pthread_mutex_unlock(&s->lock);
			send_rtcp(s, now, NULL);
			pthread_mutex_lock(&s->lock);
			next_rtcp = now + s->rtcp_interval_us;
			continue;
		}
		struct timespec ts;
		deadline_to_timespec(next_frame < next_rtcp ? next_frame : next_rtcp, &ts);
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);

	media_rtp_sender_info info;
	media_rtp_sender_info_get(s->rtp_tx, &info);
	send_rtcp(s, clock_us(CLOCK_MONOTONIC), &info.ssrc);
	return NULL;
}

/* ------------------------------------------------------------ public API */

static bool
config_ok(const media_session_config *c)
{
	if (!c || !c->send || c->payload_type > 127 || c->dtmf_payload_type > 127 ||
	    c->dtmf_payload_type < -1 || c->dtmf_payload_type == c->payload_type)
		return false;
	if (!c->srtp_tx != !c->srtp_rx)
		return false;
	if (c->codec != MEDIA_CODEC_OPUS && c->codec != MEDIA_CODEC_PCMU &&
	    c->codec != MEDIA_CODEC_PCMA)
		return false;
	if (c->source && media_device_direction(c->source) != MEDIA_DEVICE_SOURCE)
		return false;
	if (c->sink && media_device_direction(c->sink) != MEDIA_DEVICE_SINK)
		return false;
	if (c->record_tx && media_device_direction(c->record_tx) != MEDIA_DEVICE_SINK)
		return false;
	if (c->record_rx && media_device_direction(c->record_rx) != MEDIA_DEVICE_SINK)
		return false;
	if (c->cname && strlen(c->cname) > 63)
		return false;
	return true;
}

media_session *
media_session_new(const media_session_config *cfg, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	if (!config_ok(cfg)) {
		*err = -EINVAL;
		return NULL;
	}
	media_session *s = calloc(1, sizeof *s);
	if (!s) {
		*err = -ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);

	s->codec_id = cfg->codec;
	s->pt = cfg->payload_type;
	s->dtmf_pt = cfg->dtmf_payload_type;
	s->clock_rate = media_codec_clock_rate(cfg->codec);
	s->frame_ticks = media_codec_frame_ticks(cfg->codec);
	s->rtcp_interval_us = (cfg->rtcp_interval_ms ? cfg->rtcp_interval_ms : 1000) * 1000u;
	s->on_event = cfg->on_event;
	s->event_user = cfg->event_user;
	s->send = cfg->send;
	s->send_user = cfg->send_user;
	s->next_marker = true;
	s->st.rtt_ms = -1;
	s->sending = true;
	s->st.tx_level_dbfs = s->st.rx_level_dbfs = -100;
	s->st.first_audio_tx_ms = -1;
	s->st.first_audio_rx_ms = -1;

	*err = -ENOMEM;
	s->queue = calloc(QUEUE_SLOTS, sizeof *s->queue);
	s->source = cfg->source ? cfg->source
	                        : (s->own_source = media_device_null_new(MEDIA_DEVICE_SOURCE));
	s->sink = cfg->sink ? cfg->sink : (s->own_sink = media_device_null_new(MEDIA_DEVICE_SINK));
	s->record_tx = cfg->record_tx;
	s->record_rx = cfg->record_rx;
	s->rtp_tx = media_rtp_sender_new(s->clock_rate);
	s->dtmf_rx = media_dtmf_receiver_new();
	if (s->dtmf_pt >= 0)
		s->dtmf_tx = media_dtmf_sender_new(s->frame_ticks);
	/* Opus FEC rebuilds a lost frame from the packet after it, so that
	 * packet must be at hand when the lost one is due: hold two frames. */
	uint32_t min_delay = cfg->jb_min_delay_ms;
	if (!min_delay && cfg->codec == MEDIA_CODEC_OPUS)
		min_delay = 2 * MEDIA_FRAME_MS;
	media_jb_config jc = {
		.clock_rate = s->clock_rate,
		.frame_samples = s->frame_ticks,
		.min_delay_ms = min_delay,
		.max_delay_ms = cfg->jb_max_delay_ms,
	};
	s->jb = media_jb_new(&jc);
	if (!s->queue || !s->source || !s->sink || !s->rtp_tx || !s->dtmf_rx || !s->jb ||
	    (s->dtmf_pt >= 0 && !s->dtmf_tx))
		goto fail;

	*err = -EIO;
	s->codec = media_codec_new(cfg->codec);
	if (!s->codec)
		goto fail;
	if (cfg->codec == MEDIA_CODEC_OPUS &&
	    (media_codec_set_bitrate(s->codec, cfg->opus_bitrate ? cfg->opus_bitrate : 32000) < 0 ||
	     (cfg->opus && media_codec_set_opus(s->codec, cfg->opus) < 0))) {
		*err = -EINVAL;
		goto fail;
	}
	if (cfg->srtp_tx) {
		s->srtp = media_srtp_new(cfg->srtp_tx, cfg->srtp_rx, err);
		if (!s->srtp)
			goto fail;
	}
	if (cfg->cname) {
		snprintf(s->cname, sizeof s->cname, "%s", cfg->cname);
	} else {
		uint8_t rnd[8];
		if (media_rtp_random(rnd, sizeof rnd) < 0)
			goto fail;
		int at = snprintf(s->cname, sizeof s->cname, "floe-");
		for (size_t i = 0; i < sizeof rnd; i++)
			at += snprintf(s->cname + at, sizeof s->cname - (size_t)at, "%02x", rnd[i]);
	}
	*err = 0;
	return s;
fail:
	media_session_free(s);
	return NULL;
}

/* The devices in the order they start; NULL entries are skipped. */
static void
devices(media_session *s, media_device *out[4])
{
	out[0] = s->source;
	out[1] = s->sink;
	out[2] = s->record_tx;
	out[3] = s->record_rx;
}

int
media_session_start(media_session *s)
{
	if (!s)
		return -EINVAL;
	if (s->thread_started)
		return -EALREADY;
	media_device *dev[4];
	devices(s, dev);
	int r = 0, started = 0;
	for (; started < 4; started++) {
		if (dev[started] && (r = media_device_start(dev[started])) < 0)
			break;
	}
	if (r == 0) {
		s->start_us = clock_us(CLOCK_MONOTONIC);
		s->running = true;
		if (pthread_create(&s->thread, NULL, media_thread, s) == 0) {
			s->thread_started = true;
			return 0;
		}
		s->running = false;
		r = -EIO;
	}
	while (started-- > 0)
		media_device_stop(dev[started]);
	return r;
}

void
media_session_stop(media_session *s)
{
	if (!s || !s->thread_started)
		return;
	pthread_mutex_lock(&s->lock);
	s->running = false;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->thread_started = false;
	media_device *dev[4];
	devices(s, dev);
	for (int i = 0; i < 4; i++)
		media_device_stop(dev[i]);
}

void
media_session_free(media_session *s)
{
	if (!s)
		return;
	media_session_stop(s);
	media_codec_free(s->codec);
	media_srtp_free(s->srtp);
	media_rtp_sender_free(s->rtp_tx);
	media_rtp_source_free(s->remote);
	media_jb_free(s->jb);
	media_dtmf_receiver_free(s->dtmf_rx);
	media_dtmf_sender_free(s->dtmf_tx);
	media_device_free(s->own_source);
	media_device_free(s->own_sink);
	free(s->queue);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int
media_session_receive(media_session *s, const uint8_t *data, size_t len)
{
	if (!s || !data)
		return -EINVAL;
	if (len > DATAGRAM_MAX)
		return -EMSGSIZE;
	uint64_t now = clock_us(CLOCK_MONOTONIC);
	pthread_mutex_lock(&s->lock);
	if (s->q_len == QUEUE_SLOTS) {
		s->st.dropped_queue_full++;
		pthread_mutex_unlock(&s->lock);
		return -ENOBUFS;
	}
	queued_datagram *q = &s->queue[(s->q_head + s->q_len++) % QUEUE_SLOTS];
	q->len = len;
	q->arrival_us = now;
	memcpy(q->data, data, len);
	/* No wake-up: the media thread drains the queue at its next frame,
	 * before it plays, and the arrival time recorded here is what jitter,
	 * RTT and the jitter buffer use. Waking it per datagram would cost a
	 * context switch per packet and change nothing that is heard. */
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void
media_session_set_mute(media_session *s, bool muted)
{
	pthread_mutex_lock(&s->lock);
	s->muted = muted;
	pthread_mutex_unlock(&s->lock);
}

void
media_session_set_sending(media_session *s, bool sending)
{
	pthread_mutex_lock(&s->lock);
	s->sending = sending;
	pthread_mutex_unlock(&s->lock);
}

void
media_session_set_send(media_session *s, media_session_send_fn send, void *user)
{
	if (!s || !send)
		return;
	pthread_mutex_lock(&s->lock);
	s->send = send;
	s->send_user = user;
	pthread_mutex_unlock(&s->lock);
}

int
media_session_send_dtmf(media_session *s, const char *digits, unsigned duration_ms)
{
	if (!s || !digits)
		return -EINVAL;
	if (!s->dtmf_tx)
		return -ENOTSUP;
	pthread_mutex_lock(&s->lock);
	int r = media_dtmf_sender_queue(s->dtmf_tx, digits, duration_ms, 10);
	pthread_mutex_unlock(&s->lock);
	return r;
}

int
media_session_set_bitrate(media_session *s, int bps)
{
	if (!s || bps < 6000 || bps > 510000)
		return -EINVAL;
	if (s->codec_id != MEDIA_CODEC_OPUS)
		return -ENOTSUP;
	pthread_mutex_lock(&s->lock);
	s->new_bitrate = bps;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void
media_session_get_stats(media_session *s, media_session_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}
