/* Two media sessions over UDP on 127.0.0.1: a tone file in at one end, a
 * WAV recording at the other, and a Goertzel check that the tone came
 * through — cleanly, and with 10% of packets dropped on the path, where
 * Opus FEC or G.711 PLC must keep the tone present. SRTP on. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sndfile.h>

#include "media/session.h"
#include "media/tone-detect.h"
#include "check-run.h"

#define N MEDIA_FRAME_SAMPLES
#define TONE_A 1000.0 /* the file A plays */
#define TONE_B 1500.0 /* the tone generator B plays */
#define FILE_SECONDS 1

typedef struct {
	int fd;
	struct sockaddr_in peer; /* where this end sends */
	media_session *rx; /* the session datagrams on fd are for */
	pthread_t thread;
	atomic_bool stop;
	/* The path out of this end: drop one in drop_every (0: none). */
	unsigned drop_every;
	atomic_uint sent;
	bool tamper;       /* send a tampered copy and a replay once each */
	uint8_t replay[2048];
	size_t replay_len;
} endpoint;

/* -------------------------------------------------------------- the path */

static int
out(endpoint *e, const uint8_t *data, size_t len)
{
	ssize_t n = sendto(e->fd, data, len, 0, (const struct sockaddr *)&e->peer, sizeof e->peer);
	return n == (ssize_t)len ? 0 : -errno;
}

static int
send_cb(void *user, const uint8_t *data, size_t len)
{
	endpoint *e = user;
	unsigned n = atomic_fetch_add(&e->sent, 1);
	if (e->drop_every && n % e->drop_every == e->drop_every / 2)
		return 0; /* lost on the way */
	if (e->tamper && len <= sizeof e->replay) {
		if (n == 5) { /* keep one to replay later */
			memcpy(e->replay, data, len);
			e->replay_len = len;
		}
		if (n == 10) { /* a copy with one payload bit flipped */
			uint8_t bad[2048];
			memcpy(bad, data, len);
			bad[len / 2] ^= 0x10;
			ck_assert_int_eq(out(e, bad, len), 0);
		}
		if (n == 15 && e->replay_len)
			ck_assert_int_eq(out(e, e->replay, e->replay_len), 0);
	}
	return out(e, data, len);
}

static void *
recv_thread(void *arg)
{
	endpoint *e = arg;
	uint8_t buf[2048];
	while (!atomic_load(&e->stop)) {
		struct pollfd p = { .fd = e->fd, .events = POLLIN };
		if (poll(&p, 1, 20) <= 0)
			continue;
		ssize_t n = recv(e->fd, buf, sizeof buf, 0);
		if (n > 0)
			media_session_receive(e->rx, buf, (size_t)n);
	}
	return NULL;
}

/* From A's address, as if the peer had picked B's SSRC: an A-law RTP
 * packet of silence (0xd5) carrying ssrc. */
static void
inject_collision(endpoint *e, uint32_t ssrc)
{
	uint8_t pkt[12 + 160];
	memset(pkt, 0xd5, sizeof pkt);
	pkt[0] = 0x80;
	pkt[1] = 8;
	pkt[2] = 0x12;
	pkt[3] = 0x34;
	memset(pkt + 4, 0, 4);
	pkt[8] = (uint8_t)(ssrc >> 24);
	pkt[9] = (uint8_t)(ssrc >> 16);
	pkt[10] = (uint8_t)(ssrc >> 8);
	pkt[11] = (uint8_t)ssrc;
	ck_assert_int_eq(out(e, pkt, sizeof pkt), 0);
}

/* A UDP socket on 127.0.0.1, a free port; *addr gets its address. */
static int
udp_socket(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
	socklen_t len = sizeof *addr;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

/* ----------------------------------------------------------------- files */

static void
write_tone_file(const char *path, double freq, int seconds)
{
	SF_INFO info = { .samplerate = 48000, .channels = 1,
	                 .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	ck_assert_msg(sf != NULL, "cannot write %s: %s", path, sf_strerror(NULL));
	int16_t frame[N];
	for (int f = 0; f < seconds * 50; f++) {
		for (int i = 0; i < N; i++)
			frame[i] = (int16_t)lrint(8000 * sin(2 * M_PI * freq * (f * N + i) / 48000));
		ck_assert_int_eq(sf_writef_short(sf, frame, N), N);
	}
	sf_close(sf);
}

typedef struct {
	int blocks;      /* 20 ms blocks in the file */
	int loud;        /* blocks with signal */
	int span;        /* first to last loud block */
	int present;     /* blocks in the span where the tone is found */
	int holes;       /* blocks inside the span, edges aside, without it */
	int foreign;     /* blocks where the other end's tone shows */
} analysis;

static analysis
analyse(const char *path, double freq, double other, bool verbose)
{
	analysis a = { 0 };
	SF_INFO info = { 0 };
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	ck_assert_msg(sf != NULL, "cannot read %s", path);
	ck_assert_int_eq(info.samplerate, 48000);
	ck_assert_int_eq(info.channels, 1);
	int16_t *pcm = calloc((size_t)info.frames + N, sizeof *pcm);
	ck_assert_int_eq(sf_readf_short(sf, pcm, info.frames), info.frames);
	sf_close(sf);
	a.blocks = (int)(info.frames / N);
	int first = -1, last = -1;
	for (int b = 0; b < a.blocks; b++) {
		double e = 0;
		for (int i = 0; i < N; i++)
			e += (double)pcm[b * N + i] * pcm[b * N + i];
		if (sqrt(e / N) < 300)
			continue;
		a.loud++;
		if (first < 0)
			first = b;
		last = b;
		if (media_tone_ratio(pcm + b * N, N, 48000, other) > 0.1)
			a.foreign++;
	}
	if (first >= 0) {
		a.span = last - first + 1;
		for (int b = first; b <= last; b++)
		{
			double r;
			bool ok = media_tone_present(pcm + b * N, N, 48000, freq, 0.5, 300, &r);
			a.present += ok;
			/* The first three blocks hold the codecs' and the jitter
			 * buffer's start-up (a packet lost before the stream has
			 * a past cannot be concealed), the last two the fade
			 * after the file ended. */
			if (!ok && b > first + 2 && b < last - 1) {
				a.holes++;
				if (verbose)
					fprintf(stderr, "%s: no %.0f Hz in block %d of %d (ratio %.2f)\n",
					        path, freq, b - first, last - first + 1, r);
			}
		}
	}
	free(pcm);
	return a;
}

/* ------------------------------------------------------------------ calls */

typedef struct {
	pthread_mutex_t lock;
	char digits[32];
	size_t n_digits;
	int first_audio;
} event_log;

static void
on_event(void *user, const media_session_event *ev)
{
	event_log *log = user;
	pthread_mutex_lock(&log->lock);
	if (ev->kind == MEDIA_SESSION_EVENT_DTMF && log->n_digits + 1 < sizeof log->digits)
		log->digits[log->n_digits++] = ev->digit;
	if (ev->kind == MEDIA_SESSION_EVENT_FIRST_AUDIO)
		log->first_audio++;
	pthread_mutex_unlock(&log->lock);
}

typedef struct {
	media_codec_id codec;
	uint8_t pt;
	media_srtp_suite suite;
	unsigned drop_every; /* on A's path to B */
	bool tamper;         /* tampered and replayed copies toward B */
	bool reselect;       /* A moves to another socket mid-call */
	bool plain;          /* no SRTP */
	bool collide;        /* mid-call, B sees a packet with its own SSRC */
	const char *dtmf;    /* digits B sends to A */
	const char *tag;     /* file names */
} call_params;

typedef struct {
	media_session_stats a, b;
	analysis at_b, at_a, sent_by_a;
	unsigned sent_after_reselect;
	uint32_t b_ssrc_before;
	char digits_at_a[32];
	int first_audio_a, first_audio_b;
} call_result;

static void
sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void
run_call(const call_params *p, call_result *res)
{
	char tone_path[256], rec_b[256], rec_a[256], rec_tx_a[256];
	snprintf(tone_path, sizeof tone_path, "test-media-session-%s-tone.wav", p->tag);
	snprintf(rec_b, sizeof rec_b, "test-media-session-%s-at-b.wav", p->tag);
	snprintf(rec_a, sizeof rec_a, "test-media-session-%s-at-a.wav", p->tag);
	snprintf(rec_tx_a, sizeof rec_tx_a, "test-media-session-%s-sent-by-a.wav", p->tag);
	write_tone_file(tone_path, TONE_A, FILE_SECONDS);

	int err;
	media_device *src_a = media_device_file_source_new(tone_path, false, &err);
	ck_assert_msg(src_a != NULL, "file source: %d", err);
	media_device *sink_a = media_device_file_sink_new(rec_a, &err);
	ck_assert_ptr_nonnull(sink_a);
	media_device *tx_a = media_device_file_sink_new(rec_tx_a, &err);
	ck_assert_ptr_nonnull(tx_a);
	media_device *src_b = media_device_tone_new(TONE_B, 0, -16);
	media_device *sink_b = media_device_file_sink_new(rec_b, &err);
	ck_assert_ptr_nonnull(sink_b);

	media_srtp_crypto key_a, key_b;
	ck_assert_int_eq(media_srtp_crypto_generate(p->suite, 1, &key_a), 0);
	ck_assert_int_eq(media_srtp_crypto_generate(p->suite, 1, &key_b), 0);

	struct sockaddr_in addr_a, addr_b, addr_a2;
	endpoint ea = { .fd = udp_socket(&addr_a), .drop_every = p->drop_every,
	                .tamper = p->tamper };
	endpoint eb = { .fd = udp_socket(&addr_b) };
	/* A's second way out, for the re-selection: another local port. */
	endpoint ea2 = { .fd = udp_socket(&addr_a2), .drop_every = p->drop_every };
	ea.peer = addr_b;
	ea2.peer = addr_b;
	eb.peer = addr_a;
	event_log log_a = { .lock = PTHREAD_MUTEX_INITIALIZER };
	event_log log_b = { .lock = PTHREAD_MUTEX_INITIALIZER };

	media_session_config ca = {
		.codec = p->codec, .payload_type = p->pt, .dtmf_payload_type = 101,
		.srtp_tx = p->plain ? NULL : &key_a, .srtp_rx = p->plain ? NULL : &key_b,
		.source = src_a, .sink = sink_a, .record_tx = tx_a,
		.send = send_cb, .send_user = &ea,
		.on_event = on_event, .event_user = &log_a,
		.cname = "a@floe.test", .rtcp_interval_ms = 400,
	};
	media_session_config cb = ca;
	cb.srtp_tx = p->plain ? NULL : &key_b;
	cb.srtp_rx = p->plain ? NULL : &key_a;
	cb.source = src_b;
	cb.sink = sink_b;
	cb.record_tx = NULL;
	cb.send_user = &eb;
	cb.event_user = &log_b;
	cb.cname = "b@floe.test";
	media_session *a = media_session_new(&ca, &err);
	ck_assert_msg(a != NULL, "session a: %d", err);
	media_session *b = media_session_new(&cb, &err);
	ck_assert_msg(b != NULL, "session b: %d", err);
	media_srtp_crypto_clear(&key_a);
	media_srtp_crypto_clear(&key_b);
	ea.rx = a;
	eb.rx = b;
	ck_assert_int_eq(pthread_create(&ea.thread, NULL, recv_thread, &ea), 0);
	ck_assert_int_eq(pthread_create(&eb.thread, NULL, recv_thread, &eb), 0);

	ck_assert_int_eq(media_session_start(a), 0);
	ck_assert_int_eq(media_session_start(b), 0);
	ck_assert_int_eq(media_session_start(a), -EALREADY);
	if (p->dtmf)
		ck_assert_int_eq(media_session_send_dtmf(b, p->dtmf, 100), (int)strlen(p->dtmf));
	if (p->codec == MEDIA_CODEC_OPUS)
		ck_assert_int_eq(media_session_set_bitrate(a, 40000), 0);
	else
		ck_assert_int_eq(media_session_set_bitrate(a, 40000), -ENOTSUP);

	/* Until A's file has played out (bounded, not timed: a slow machine
	 * only takes longer), then long enough for the jitter buffer to empty. */
	media_session_stats st;
	bool moved = false, collided = false;
	for (int i = 0; i < 1000; i++) {
		media_session_get_stats(a, &st);
		if (st.source_ended)
			break;
		if (p->collide && !collided && st.packets_sent >= 25) {
			media_session_stats sb;
			media_session_get_stats(b, &sb);
			res->b_ssrc_before = sb.local_ssrc;
			inject_collision(&ea, sb.local_ssrc);
			collided = true;
		}
		if (p->reselect && !moved && st.packets_sent >= 25) {
			/* As ICE would on a new selected pair: a new route out. */
			media_session_set_send(a, send_cb, &ea2);
			moved = true;
		}
		sleep_ms(20);
	}
	ck_assert(moved == p->reselect);
	ck_assert(collided == p->collide);
	ck_assert_msg(st.source_ended, "the tone file never ended");
	sleep_ms(500);

	media_session_stop(a);
	/* A's BYE is its last datagram: on a clean path, give B the time to
	 * take it in before B stops too (bounded; a lossy path may drop it). */
	for (int i = 0; i < 100 && !p->drop_every; i++) {
		media_session_get_stats(b, &st);
		if (st.remote_bye)
			break;
		sleep_ms(10);
	}
	media_session_stop(b);
	atomic_store(&ea.stop, true);
	atomic_store(&eb.stop, true);
	pthread_join(ea.thread, NULL);
	pthread_join(eb.thread, NULL);
	media_session_get_stats(a, &res->a);
	media_session_get_stats(b, &res->b);
	media_session_free(a);
	media_session_free(b);
	media_device_free(src_a);
	media_device_free(src_b);
	media_device_free(sink_a); /* completes the WAV files */
	media_device_free(sink_b);
	media_device_free(tx_a);
	close(ea.fd);
	close(eb.fd);
	close(ea2.fd);
	res->sent_after_reselect = atomic_load(&ea2.sent);

	res->at_b = analyse(rec_b, TONE_A, TONE_B, true);
	res->at_a = analyse(rec_a, TONE_B, TONE_A, false);
	res->sent_by_a = analyse(rec_tx_a, TONE_A, TONE_B, true);
	memcpy(res->digits_at_a, log_a.digits, sizeof log_a.digits);
	res->first_audio_a = log_a.first_audio;
	res->first_audio_b = log_b.first_audio;
	fprintf(stderr,
	        "%s: at B %d/%d blocks with %.0f Hz, lost %lld, concealed %llu (fec %llu), "
	        "jitter %.2f ms, jb %u ms, rtt %lld ms, mos %.2f, first audio %lld/%lld ms; "
	        "A saw loss %.1f%%\n",
	        p->tag, res->at_b.present, res->at_b.span, TONE_A,
	        (long long)res->b.packets_lost, (unsigned long long)res->b.concealed_frames,
	        (unsigned long long)res->b.fec_frames, res->b.jitter_ms, res->b.jb_delay_ms,
	        (long long)res->a.rtt_ms, res->b.mos, (long long)res->a.first_audio_tx_ms,
	        (long long)res->b.first_audio_rx_ms, res->a.remote_loss_percent);
}

static void
assert_tone_through(const analysis *an, int min_blocks)
{
	ck_assert_msg(an->span >= min_blocks, "only %d blocks of signal", an->span);
	/* Every lost packet is a block without the tone unless FEC or PLC
	 * fills it in: at 10% loss, about five of them. One hole is allowed
	 * for a scheduling hiccup of a loaded machine. */
	ck_assert_msg(an->holes <= 1, "tone missing in %d blocks (in %d of %d)", an->holes,
	              an->present, an->span);
	ck_assert_int_eq(an->foreign, 0);
}

static void
assert_common(const call_result *r)
{
	/* The file is 50 frames; allow the first few to go to start-up. */
	assert_tone_through(&r->at_b, 45);
	/* A's record of what it sent is the file itself. */
	assert_tone_through(&r->sent_by_a, 49);
	/* Both directions ran, and RTCP went both ways. */
	ck_assert_int_gt(r->a.packets_sent, 40);
	ck_assert_int_gt(r->b.packets_received, 30);
	ck_assert_int_gt(r->a.frames_played, 20);
	ck_assert_int_ge(r->a.rtt_ms, 0);
	ck_assert_int_ge(r->b.rtt_ms, 0);
	ck_assert_int_ge(r->a.first_audio_tx_ms, 0);
	ck_assert_int_ge(r->b.first_audio_rx_ms, 0);
	ck_assert_int_eq(r->first_audio_b, 1);
	ck_assert_uint_eq(r->a.remote_ssrc, r->b.local_ssrc);
	ck_assert_uint_eq(r->b.remote_ssrc, r->a.local_ssrc);
	ck_assert(r->b.mos > 1.0 && r->b.mos <= 4.5);
	ck_assert_int_eq(r->b.malformed, 0);
}

START_TEST(test_call_clean)
{
	call_params p = {
		.codec = MEDIA_CODEC_OPUS, .pt = 111,
		.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
		.tamper = true, .reselect = true, .dtmf = "12#", .tag = "clean",
	};
	call_result r;
	run_call(&p, &r);
	assert_common(&r);
	ck_assert_int_eq(r.b.packets_lost, 0);
	ck_assert(r.b.mos > 4.0);
	/* After the re-selection A's audio took the new route, and B played
	 * on without a hole (the peer's address changing is no new stream). */
	ck_assert_uint_ge(r.sent_after_reselect, 10);
	/* A's BYE reached B: a session stops with one. */
	ck_assert(r.b.remote_bye);
	/* The tampered copy failed authentication, the replay was refused,
	 * and neither was played. */
	ck_assert_uint_eq(r.b.srtp_auth_failures, 1);
	ck_assert_uint_eq(r.b.srtp_replays, 1);
	/* DTMF from B, each digit reported once; B's tone reached A around it. */
	ck_assert_str_eq(r.digits_at_a, "12#");
	ck_assert_uint_eq(r.b.dtmf_sent, 3);
	ck_assert_uint_eq(r.a.dtmf_received, 3);
	ck_assert_int_ge(r.at_a.present, 20);
	ck_assert_int_eq(r.at_a.foreign, 0);
}
END_TEST

START_TEST(test_call_opus_loss)
{
	call_params p = {
		.codec = MEDIA_CODEC_OPUS, .pt = 111,
		.suite = MEDIA_SRTP_AEAD_AES_128_GCM,
		.drop_every = 10, .tag = "opus-loss",
	};
	call_result r;
	run_call(&p, &r);
	assert_common(&r);
	ck_assert_int_ge(r.b.packets_lost, 3);
	ck_assert_uint_ge(r.b.concealed_frames, 3);
	/* Each lost RTP packet but a final one comes back through FEC. */
	ck_assert_int_ge((int64_t)r.b.fec_frames + 1, r.b.packets_lost);
	ck_assert(r.a.remote_loss_percent > 0);
	ck_assert(r.b.loss_percent > 3 && r.b.loss_percent < 20);
}
END_TEST

START_TEST(test_call_pcmu_loss)
{
	call_params p = {
		.codec = MEDIA_CODEC_PCMU, .pt = 0,
		.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32,
		.drop_every = 10, .tag = "pcmu-loss",
	};
	call_result r;
	run_call(&p, &r);
	assert_common(&r);
	ck_assert_int_ge(r.b.packets_lost, 3);
	ck_assert_uint_ge(r.b.concealed_frames, 3);
	ck_assert_uint_eq(r.b.fec_frames, 0);
	ck_assert(r.a.remote_loss_percent > 0);
}
END_TEST

/* Plain RTP, and an SSRC collision (RFC 3550 8.2): B takes a new SSRC,
 * says BYE for the old one, and A follows B to the new one. */
START_TEST(test_call_plain_collision)
{
	call_params p = {
		.codec = MEDIA_CODEC_PCMA, .pt = 8,
		.plain = true, .collide = true, .tag = "plain-collision",
	};
	call_result r;
	run_call(&p, &r);
	ck_assert_uint_ne(r.b.local_ssrc, r.b_ssrc_before);
	ck_assert_uint_eq(r.a.remote_ssrc, r.b.local_ssrc);
	ck_assert(r.a.remote_bye); /* the BYE for B's old SSRC */
	/* The stray packet cost B a jitter-buffer restart or two, no more. */
	ck_assert_int_ge(r.at_b.span, 45);
	ck_assert_int_le(r.at_b.holes, 3);
	ck_assert_int_ge(r.at_a.present, 40);
	ck_assert_uint_eq(r.b.srtp_auth_failures, 0);
}
END_TEST

START_TEST(test_bad_config)
{
	int err = 0;
	media_session_config c = { .codec = MEDIA_CODEC_OPUS, .payload_type = 111,
	                           .dtmf_payload_type = 111, .send = send_cb };
	ck_assert_ptr_null(media_session_new(&c, &err));
	ck_assert_int_eq(err, -EINVAL);
	c.dtmf_payload_type = -1;
	c.send = NULL;
	ck_assert_ptr_null(media_session_new(&c, &err));
	c.send = send_cb;
	media_srtp_crypto k;
	ck_assert_int_eq(media_srtp_crypto_generate(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 1, &k), 0);
	c.srtp_tx = &k; /* one key without the other */
	ck_assert_ptr_null(media_session_new(&c, &err));
	c.srtp_tx = NULL;
	media_opus_settings opus = media_opus_profile_settings(MEDIA_OPUS_PROFILE_LIGHT);
	opus.complexity = 11;
	c.opus = &opus;
	ck_assert_ptr_null(media_session_new(&c, &err));
	ck_assert_int_eq(err, -EINVAL);
	opus.complexity = 0;
	media_session *s = media_session_new(&c, &err);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(media_session_send_dtmf(s, "1", 100), -ENOTSUP);
	ck_assert_int_eq(media_session_set_bitrate(s, 5000), -EINVAL);
	ck_assert_int_eq(media_session_set_bitrate(s, 24000), 0);
	uint8_t big[4096] = { 0 };
	ck_assert_int_eq(media_session_receive(s, big, sizeof big), -EMSGSIZE);
	media_session_free(s); /* never started: nothing to stop */
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("media-session");
	TCase *tc = tcase_create("loopback");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_call_clean);
	tcase_add_test(tc, test_call_opus_loss);
	tcase_add_test(tc, test_call_pcmu_loss);
	tcase_add_test(tc, test_call_plain_collision);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return floe_check_run(session_suite());
}
