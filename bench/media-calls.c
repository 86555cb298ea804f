/* bench-media-calls: how many media sessions one core runs in real time.
 *
 * Each trial starts N media sessions (media/session.h, each with its own
 * media thread, as a headless agent runs one per call) in this process,
 * paired two by two into N/2 calls over real UDP sockets on 127.0.0.1:
 * Opus (or G.711) both ways, SRTP both ways unless --no-srtp, a speech-like
 * signal read from a WAV file as the source, a null sink. Opus runs with
 * the encoder settings of --profile: light (the default; what a headless
 * agent uses, media_opus_profile_settings(MEDIA_OPUS_PROFILE_LIGHT)) or
 * quality (the desktop app's). A "call" in the output is one pair of
 * sessions, both ends in this process; the capacity is counted in sessions
 * (one agent's end of a call each). One receiver
 * thread reads every socket (epoll) and hands datagrams to the sessions.
 * The whole process is pinned to one CPU (sched_setaffinity) before any
 * thread starts. The sessions start at pseudo-random moments of one frame
 * period, as calls placed at independent times do (so their media threads
 * wake at different instants of each period); --burst starts them all at
 * once instead, every thread then waking at the same instant.
 *
 * After a warm-up, a window of --seconds is judged. A trial passes when,
 * in that window, across every session:
 *   - no frame was sent late: each RTP packet left within one frame period
 *     (20 ms) of its schedule (first packet's time + RTP timestamp offset);
 *   - no underrun: no frame was concealed (the stream is never silent, so
 *     DTX never pauses it);
 *   - no loss: no packet lost, late at the jitter buffer, or dropped for a
 *     full receive queue.
 *
 * --search finds the largest N that passes: doubling from 4 sessions, then
 * bisection (in whole calls) between the last pass and the first failure.
 * A failed trial is run once more before it counts as failed (the machine
 * is shared; this is said in the CSV as attempts). One CSV row per attempt.
 *
 * Usage: bench-media-calls [--sessions N | --search] [--seconds S]
 *          [--warmup S] [--cpu K] [--codec opus|pcmu]
 *          [--profile light|quality] [--no-srtp] [--burst] [--max N]
 *          [--rt] [--csv FILE]
 *
 * --rt runs every thread SCHED_RR (priority 1; needs root or
 * CAP_SYS_NICE): on a core other tenants keep busy, the figure is then the
 * core's capacity, not their load. The CSV says which policy ran. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/voice-signal.h"
#include "media/codec.h"
#include "media/device.h"
#include "media/session.h"
#include "media/srtp.h"

#define FRAME_US 20000
#define PT_OPUS 111

typedef struct
{
  int fd;
  struct sockaddr_in peer;
  media_session *session;
  media_device *source, *sink;
  /* Sender schedule, touched only on this session's media thread. */
  bool started;
  uint64_t first_us;
  uint32_t first_ts;
  /* The judged window (main thread sets measuring; the media thread
   * updates these while it is set). */
  _Atomic uint64_t late_frames;
  _Atomic uint64_t max_late_us;
  _Atomic uint64_t sent_frames;
  media_session_stats start;
} endpoint;

typedef struct
{
  size_t n;
  endpoint *ep;
  int epfd;
  pthread_t rx_thread;
  atomic_bool stop;
} trial;

typedef struct
{
  size_t sessions;
  bool passed;
  uint64_t late_frames, max_late_us, concealed, late_packets, lost,
    queue_drops, sent_frames, expected_frames;
  double cpu_share;          /* of the pinned core, over the window */
  double cpu_us_per_frame;   /* process CPU per session per 20 ms frame */
} trial_result;

static const char *codec_name = "opus";
static const char *profile_name = "light";
static media_opus_settings opus_settings;
static bool use_srtp = true;
static char wav_path[64];
static atomic_bool measuring;
static bool trace; /* BENCH_TRACE set: print each frame sent over 5 ms late */
static bool burst; /* --burst: start every session at once */
static unsigned clock_ticks_per_frame = 960;

static uint64_t
mono_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static uint64_t
process_cpu_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void
atomic_max (_Atomic uint64_t *a, uint64_t v)
{
  uint64_t cur = atomic_load (a);
  while (v > cur && !atomic_compare_exchange_weak (a, &cur, v))
    ;
}

/* The source: 10 s of the speech-like signal as a 48 kHz mono WAV, looped. */
static int
write_wav (const char *path)
{
  size_t n = 10 * 48000;
  int16_t *pcm = malloc (n * sizeof *pcm);
  if (!pcm)
    return -ENOMEM;
  bench_voice_signal (pcm, n);
  FILE *f = fopen (path, "wb");
  if (!f)
    {
      free (pcm);
      return -errno;
    }
  uint32_t data = (uint32_t) (n * 2);
  uint8_t h[44] = "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0"
                  "\x80\xbb\0\0\0\x77\x01\0\x02\0\x10\0data";
  uint32_t riff = 36 + data;
  memcpy (h + 4, &riff, 4); /* little-endian host (x86, arm) */
  memcpy (h + 40, &data, 4);
  bool ok = fwrite (h, 1, sizeof h, f) == sizeof h
            && fwrite (pcm, 2, n, f) == n;
  ok = fclose (f) == 0 && ok;
  free (pcm);
  return ok ? 0 : -EIO;
}

/* Called on the session's media thread for every RTP and RTCP packet. */
static int
on_send (void *user, const uint8_t *data, size_t len)
{
  endpoint *e = user;
  uint64_t now = mono_us ();
  bool rtcp = len >= 2 && (data[1] & 0x7f) >= 64 && (data[1] & 0x7f) <= 95;
  if (!rtcp && len >= 12)
    {
      uint32_t ts = (uint32_t) data[4] << 24 | (uint32_t) data[5] << 16
                    | (uint32_t) data[6] << 8 | data[7];
      if (!e->started)
        {
          e->started = true;
          e->first_us = now;
          e->first_ts = ts;
        }
      else if (atomic_load (&measuring))
        {
          uint64_t frames = (uint32_t) (ts - e->first_ts) / clock_ticks_per_frame;
          uint64_t due = e->first_us + frames * FRAME_US;
          uint64_t late = now > due ? now - due : 0;
          atomic_max (&e->max_late_us, late);
          if (trace && late > 5000)
            fprintf (stderr, "late %p frame %llu by %.1f ms\n", (void *) e,
                     (unsigned long long) frames, (double) late / 1000);
          if (late > FRAME_US)
            atomic_fetch_add (&e->late_frames, 1);
          atomic_fetch_add (&e->sent_frames, 1);
        }
    }
  ssize_t n = sendto (e->fd, data, len, 0, (const struct sockaddr *) &e->peer,
                      sizeof e->peer);
  return n == (ssize_t) len ? 0 : -EIO;
}

static void *
receiver (void *arg)
{
  trial *t = arg;
  struct epoll_event evs[64];
  uint8_t buf[2048];
  while (!atomic_load (&t->stop))
    {
      int n = epoll_wait (t->epfd, evs, 64, 50);
      for (int i = 0; i < n; i++)
        {
          endpoint *e = evs[i].data.ptr;
          for (;;)
            {
              ssize_t len = recv (e->fd, buf, sizeof buf, MSG_DONTWAIT);
              if (len <= 0)
                break;
              media_session_receive (e->session, buf, (size_t) len);
            }
        }
    }
  return NULL;
}

static int
open_socket (struct sockaddr_in *bound)
{
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  /* Room for bursts when many threads wake at once. */
  int rcvbuf = 1 << 20;
  setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0
      || getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    {
      int err = -errno;
      close (fd);
      return err;
    }
  *bound = sa;
  return fd;
}

static void
trial_free (trial *t)
{
  if (t->epfd >= 0)
    {
      atomic_store (&t->stop, true);
      pthread_join (t->rx_thread, NULL);
    }
  for (size_t i = 0; i < t->n; i++)
    {
      endpoint *e = &t->ep[i];
      if (e->session)
        media_session_free (e->session);
      media_device_free (e->source);
      media_device_free (e->sink);
      if (e->fd >= 0)
        close (e->fd);
    }
  if (t->epfd >= 0)
    close (t->epfd);
  free (t->ep);
}

static void
sleep_us (uint64_t us)
{
  struct timespec ts = { .tv_sec = (time_t) (us / 1000000u),
                         .tv_nsec = (long) (us % 1000000u) * 1000 };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return (x > y) - (x < y);
}

static int
trial_start (trial *t, size_t n)
{
  memset (t, 0, sizeof *t);
  t->epfd = -1;
  t->n = n;
  t->ep = calloc (n, sizeof *t->ep);
  if (!t->ep)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    t->ep[i].fd = -1;
  /* Each endpoint's own address first; then each sends to its partner's. */
  for (size_t i = 0; i < n; i++)
    {
      t->ep[i].fd = open_socket (&t->ep[i].peer);
      if (t->ep[i].fd < 0)
        return t->ep[i].fd;
    }
  for (size_t i = 0; i < n; i += 2)
    {
      struct sockaddr_in a = t->ep[i].peer;
      t->ep[i].peer = t->ep[i + 1].peer;
      t->ep[i + 1].peer = a;
    }
  media_codec_id id = !strcmp (codec_name, "pcmu") ? MEDIA_CODEC_PCMU
                                                   : MEDIA_CODEC_OPUS;
  for (size_t i = 0; i < n; i += 2)
    {
      media_srtp_crypto k[2];
      if (use_srtp)
        for (int j = 0; j < 2; j++)
          if (media_srtp_crypto_generate (MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
                                          1, &k[j]) < 0)
            return -EIO;
      for (int j = 0; j < 2; j++)
        {
          endpoint *e = &t->ep[i + (size_t) j];
          int err = 0;
          e->source = media_device_file_source_new (wav_path, true, &err);
          e->sink = media_device_null_new (MEDIA_DEVICE_SINK);
          if (!e->source || !e->sink)
            return err < 0 ? err : -ENOMEM;
          media_session_config cfg = {
            .codec = id,
            .payload_type = id == MEDIA_CODEC_OPUS ? PT_OPUS : 0,
            .dtmf_payload_type = -1,
            .opus = &opus_settings,
            .srtp_tx = use_srtp ? &k[j] : NULL,
            .srtp_rx = use_srtp ? &k[1 - j] : NULL,
            .source = e->source,
            .sink = e->sink,
            .send = on_send,
            .send_user = e,
          };
          e->session = media_session_new (&cfg, &err);
          if (!e->session)
            return err;
        }
      if (use_srtp)
        {
          media_srtp_crypto_clear (&k[0]);
          media_srtp_crypto_clear (&k[1]);
        }
    }
  t->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (t->epfd < 0)
    return -errno;
  for (size_t i = 0; i < n; i++)
    {
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &t->ep[i] };
      if (epoll_ctl (t->epfd, EPOLL_CTL_ADD, t->ep[i].fd, &ev) < 0)
        return -errno;
    }
  if (pthread_create (&t->rx_thread, NULL, receiver, t) != 0)
    {
      close (t->epfd);
      t->epfd = -1;
      return -EAGAIN;
    }
  /* Each session starts at its own moment of one frame period (fixed
   * pseudo-random offsets, in order), as calls placed at independent times
   * do; --burst starts them all at once, so that every media thread wakes
   * at the same instant of each period. */
  uint64_t *offset = calloc (n, sizeof *offset);
  if (!offset)
    return -ENOMEM;
  uint32_t r = 2024;
  for (size_t i = 0; i < n; i++)
    {
      r = r * 1103515245u + 12345u;
      offset[i] = burst ? 0 : (r >> 8) % FRAME_US;
    }
  qsort (offset, n, sizeof *offset, cmp_u64);
  uint64_t t0 = mono_us ();
  for (size_t i = 0; i < n; i++)
    {
      uint64_t at = t0 + offset[i], now = mono_us ();
      if (at > now)
        sleep_us (at - now);
      int err = media_session_start (t->ep[i].session);
      if (err < 0)
        {
          free (offset);
          return err;
        }
    }
  free (offset);
  return 0;
}


static int
run_trial (size_t n, double warmup_s, double seconds, trial_result *r)
{
  trial t;
  memset (r, 0, sizeof *r);
  r->sessions = n;
  atomic_store (&measuring, false);
  int err = trial_start (&t, n);
  if (err < 0)
    {
      trial_free (&t);
      return err;
    }
  sleep_us ((uint64_t) (warmup_s * 1e6));
  for (size_t i = 0; i < n; i++)
    media_session_get_stats (t.ep[i].session, &t.ep[i].start);
  uint64_t cpu0 = process_cpu_us (), wall0 = mono_us ();
  atomic_store (&measuring, true);
  sleep_us ((uint64_t) (seconds * 1e6));
  atomic_store (&measuring, false);
  uint64_t cpu1 = process_cpu_us (), wall1 = mono_us ();
  for (size_t i = 0; i < n; i++)
    {
      endpoint *e = &t.ep[i];
      media_session_stats st;
      media_session_get_stats (e->session, &st);
      r->late_frames += atomic_load (&e->late_frames);
      uint64_t ml = atomic_load (&e->max_late_us);
      if (ml > r->max_late_us)
        r->max_late_us = ml;
      r->sent_frames += atomic_load (&e->sent_frames);
      r->concealed += st.concealed_frames - e->start.concealed_frames;
      r->late_packets += st.late_packets - e->start.late_packets;
      int64_t lost = st.packets_lost - e->start.packets_lost;
      r->lost += lost > 0 ? (uint64_t) lost : 0;
      r->queue_drops += st.dropped_queue_full - e->start.dropped_queue_full;
    }
  double wall = (double) (wall1 - wall0);
  r->expected_frames = (uint64_t) (wall / FRAME_US) * n;
  r->cpu_share = (double) (cpu1 - cpu0) / wall;
  r->cpu_us_per_frame = (double) (cpu1 - cpu0) / (wall / FRAME_US) / (double) n;
  /* A thread that fell far behind skips frames rather than send them
   * late; a tenth of a frame per session is the slack for the window's
   * edges. */
  bool all_sent = r->sent_frames + n >= r->expected_frames;
  r->passed = r->late_frames == 0 && r->concealed == 0 && r->late_packets == 0
              && r->lost == 0 && r->queue_drops == 0 && all_sent;
  trial_free (&t);
  return 0;
}

static FILE *csv;

static void
report (const trial_result *r, int attempt, int cpu)
{
  fprintf (stderr, "%4zu sessions (%3zu calls): %s  cpu %5.1f%%  %6.1f us/frame/session  "
           "late-sent %llu (max %.1f ms)  concealed %llu  late %llu  lost %llu  "
           "queue-drops %llu\n",
           r->sessions, r->sessions / 2, r->passed ? "pass" : "FAIL",
           r->cpu_share * 100, r->cpu_us_per_frame,
           (unsigned long long) r->late_frames, (double) r->max_late_us / 1000.0,
           (unsigned long long) r->concealed, (unsigned long long) r->late_packets,
           (unsigned long long) r->lost, (unsigned long long) r->queue_drops);
  if (csv)
    {
      fprintf (csv, "%ld,%s,%s,%s,%d,%s,%d,%s,%zu,%zu,%d,%s,%.4f,%.2f,%llu,%.2f,%llu,%llu,%llu,%llu,%llu,%llu\n",
               (long) time (NULL), codec_name,
               strcmp (codec_name, "opus") ? "" : profile_name,
               use_srtp ? "srtp" : "rtp", cpu,
               sched_getscheduler (0) == SCHED_RR ? "rr" : "other",
               getpriority (PRIO_PROCESS, 0), burst ? "burst" : "spread",
               r->sessions, r->sessions / 2, attempt, r->passed ? "pass" : "fail",
               r->cpu_share, r->cpu_us_per_frame,
               (unsigned long long) r->late_frames, (double) r->max_late_us / 1000.0,
               (unsigned long long) r->concealed, (unsigned long long) r->late_packets,
               (unsigned long long) r->lost, (unsigned long long) r->queue_drops,
               (unsigned long long) r->sent_frames,
               (unsigned long long) r->expected_frames);
      fflush (csv);
    }
}

/* Runs a trial, and once more if it failed. -errno if it could not run. */
static int
judged_trial (size_t n, double warmup, double seconds, int cpu)
{
  for (int attempt = 1; attempt <= 2; attempt++)
    {
      trial_result r;
      int err = run_trial (n, warmup, seconds, &r);
      if (err < 0)
        {
          fprintf (stderr, "bench-media-calls: %zu sessions: %s\n", n,
                   strerror (-err));
          return err;
        }
      report (&r, attempt, cpu);
      if (r.passed)
        return 1;
    }
  return 0;
}

static void
usage (void)
{
  fprintf (stderr, "usage: bench-media-calls [--sessions N | --search] [--seconds S] "
           "[--warmup S] [--cpu K] [--codec opus|pcmu] [--profile light|quality] "
           "[--no-srtp] [--burst] [--max N] [--rt] [--csv FILE]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  size_t sessions = 0, max = 1024;
  bool search = false, realtime = false;
  double seconds = 8, warmup = 2;
  int cpu = -1;
  const char *csv_path = NULL;
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (!strcmp (a, "--search"))
        search = true;
      else if (!strcmp (a, "--rt"))
        realtime = true;
      else if (!strcmp (a, "--no-srtp"))
        use_srtp = false;
      else if (!strcmp (a, "--burst"))
        burst = true;
      else if (i + 1 >= argc)
        usage ();
      else if (!strcmp (a, "--sessions"))
        sessions = strtoul (argv[++i], NULL, 10);
      else if (!strcmp (a, "--seconds"))
        seconds = atof (argv[++i]);
      else if (!strcmp (a, "--warmup"))
        warmup = atof (argv[++i]);
      else if (!strcmp (a, "--cpu"))
        cpu = atoi (argv[++i]);
      else if (!strcmp (a, "--codec"))
        codec_name = argv[++i];
      else if (!strcmp (a, "--profile"))
        profile_name = argv[++i];
      else if (!strcmp (a, "--max"))
        max = strtoul (argv[++i], NULL, 10);
      else if (!strcmp (a, "--csv"))
        csv_path = argv[++i];
      else
        usage ();
    }
  if ((!search && (sessions < 2 || sessions % 2)) || seconds <= 0
      || (strcmp (codec_name, "opus") && strcmp (codec_name, "pcmu"))
      || (strcmp (profile_name, "light") && strcmp (profile_name, "quality")))
    usage ();
  opus_settings = media_opus_profile_settings (strcmp (profile_name, "light")
                                               ? MEDIA_OPUS_PROFILE_QUALITY
                                               : MEDIA_OPUS_PROFILE_LIGHT);
  if (!strcmp (codec_name, "pcmu"))
    clock_ticks_per_frame = 160;

  trace = getenv ("BENCH_TRACE") != NULL;
  if (cpu < 0)
    cpu = sched_getcpu ();
  cpu_set_t set;
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  if (sched_setaffinity (0, sizeof set, &set) < 0)
    {
      perror ("sched_setaffinity");
      return 1;
    }
  if (realtime)
    {
      /* Threads created later inherit the policy. */
      struct sched_param sp = { .sched_priority = 1 };
      if (sched_setscheduler (0, SCHED_RR, &sp) < 0)
        {
          perror ("sched_setscheduler (SCHED_RR)");
          return 1;
        }
    }
  /* Hundreds of threads and sockets: lift the descriptor limit. */
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
    }

  snprintf (wav_path, sizeof wav_path, "/tmp/bench-media-calls-%ld.wav",
            (long) getpid ());
  int err = write_wav (wav_path);
  if (err < 0)
    {
      fprintf (stderr, "bench-media-calls: %s: %s\n", wav_path, strerror (-err));
      return 1;
    }
  if (csv_path)
    {
      static const char header[] =
        "unix_time,codec,opus_profile,protection,cpu,policy,nice,starts,sessions,calls,attempt,result,"
        "cpu_share,cpu_us_per_frame_per_session,late_sent_frames,"
        "max_send_late_ms,concealed_frames,late_packets,lost_packets,"
        "queue_drops,sent_frames,expected_frames\n";
      /* Rows are appended: only under the same columns. */
      char first[sizeof header + 1] = "";
      FILE *old = fopen (csv_path, "r");
      bool fresh = !old || !fgets (first, sizeof first, old);
      if (old)
        fclose (old);
      if (!fresh && strcmp (first, header) != 0)
        {
          fprintf (stderr, "bench-media-calls: %s holds other columns (an older "
                   "version's); move it away\n", csv_path);
          unlink (wav_path);
          return 1;
        }
      csv = fopen (csv_path, "a");
      if (!csv)
        {
          perror (csv_path);
          unlink (wav_path);
          return 1;
        }
      if (fresh)
        fputs (header, csv);
    }
  fprintf (stderr, "bench-media-calls: pinned to CPU %d%s, %s%s%s%s, sessions started %s, "
           "%.0f s warm-up + %.0f s judged\n",
           cpu, realtime ? " (SCHED_RR)" : "", codec_name,
           strcmp (codec_name, "opus") ? "" : " ",
           strcmp (codec_name, "opus") ? "" : profile_name,
           use_srtp ? "+SRTP" : "", burst ? "at once" : "over a frame period",
           warmup, seconds);

  int status = 0;
  if (!search)
    {
      int ok = judged_trial (sessions, warmup, seconds, cpu);
      status = ok < 0 ? 1 : ok ? 0 : 3;
    }
  else
    {
      size_t pass = 0, fail = 0;
      for (size_t n = 4; n <= max; n *= 2)
        {
          int ok = judged_trial (n, warmup, seconds, cpu);
          if (ok < 0)
            {
              fail = n;
              break;
            }
          if (!ok)
            {
              fail = n;
              break;
            }
          pass = n;
        }
      while (fail && fail - pass > 2)
        {
          size_t mid = (pass + fail) / 2 & ~(size_t) 1;
          if (mid <= pass)
            break;
          int ok = judged_trial (mid, warmup, seconds, cpu);
          if (ok > 0)
            pass = mid;
          else
            fail = mid;
        }
      fprintf (stderr, "bench-media-calls: one core holds %zu sessions (%zu calls with "
               "both ends here)%s\n", pass, pass / 2,
               fail ? "" : " -- the --max limit, not a failure, stopped the search");
      printf ("%zu\n", pass);
    }
  if (csv)
    fclose (csv);
  unlink (wav_path);
  return status;
}
