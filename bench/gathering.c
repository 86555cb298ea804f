/* bench-gathering: how long Floe takes to gather host, server-reflexive and
 * relayed candidates, next to the round trips it cannot avoid.
 *
 * A STUN/TURN server (coturn, started by bench/run-gathering.py) listens on
 * loopback. Between it and us sits a small user-space "NAT" in this
 * process: clients send to its front socket, and it forwards each client's
 * packets from a socket of its own (so the server sees another address and
 * the reflexive candidate differs from the host one), delaying the uplink
 * by --delay-ms the way the NAT lab delays each NAT uplink. Replies go
 * back at once.
 *
 * Each iteration, in turns:
 *   - one STUN Binding round trip on a bare socket through the same path;
 *   - one TURN allocation by the sans-I/O client (ice/turn-client.h) on a
 *     bare socket: the 401 challenge and the authenticated Allocate, two
 *     round trips; then the allocation is released;
 *   - one gathering by FloeIceTransport (src/floe-ice-transport.h, the
 *     code a call runs) with that STUN and TURN server on the loopback
 *     interface: the time from floe_ice_transport_gather to the first
 *     candidate of each type and to "gathering-done".
 * One CSV row per iteration.
 *
 * Usage: bench-gathering --server 127.0.0.1:PORT --user NAME
 *          --password-env VAR [--delay-ms D] [--iterations N] [--csv FILE] */
#define _GNU_SOURCE
#include <errno.h>
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

#include <gio/gio.h>

#include "ice/stun-msg.h"
#include "ice/turn-client.h"
#include "src/floe-ice-server.h"
#include "src/floe-ice-transport.h"

/* ------------------------------------------------------- the delay NAT */

#define NAT_MAPPINGS 64
#define NAT_QUEUE 256

typedef struct
{
  struct sockaddr_in client;
  int fd; /* connected to the server */
  uint64_t last_used;
} nat_mapping;

typedef struct
{
  uint64_t due_us;
  int fd;
  size_t len;
  uint8_t data[1500];
} nat_packet;

typedef struct
{
  int front;
  struct sockaddr_in front_addr, server;
  uint64_t delay_us;
  nat_mapping map[NAT_MAPPINGS];
  nat_packet queue[NAT_QUEUE]; /* a ring, in order of due time */
  size_t q_head, q_len;
  atomic_bool stop;
  pthread_t thread;
} nat;

static uint64_t
mono_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static int
udp_socket (struct sockaddr_in *bound)
{
  int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = { .sin_family = AF_INET,
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0
      || getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  if (bound)
    *bound = sa;
  return fd;
}

/* The upstream socket of a client, made on first use; the least recently
 * used one is recycled when the table is full. A mapping idle for a second
 * is made anew: the kernel may hand a later client the port of an earlier
 * one, and the server must not take it for the earlier client (a TURN
 * server would answer 437, allocation mismatch). */
static nat_mapping *
nat_map (nat *n, const struct sockaddr_in *client, uint64_t now)
{
  nat_mapping *lru = &n->map[0];
  for (size_t i = 0; i < NAT_MAPPINGS; i++)
    {
      nat_mapping *m = &n->map[i];
      if (m->fd > 0 && m->client.sin_port == client->sin_port
          && m->client.sin_addr.s_addr == client->sin_addr.s_addr)
        {
          if (now - m->last_used <= 1000000)
            return m;
          lru = m;
          break;
        }
      if (m->last_used < lru->last_used)
        lru = m;
    }
  if (lru->fd > 0)
    close (lru->fd);
  lru->fd = udp_socket (NULL);
  if (lru->fd < 0
      || connect (lru->fd, (struct sockaddr *) &n->server, sizeof n->server) < 0)
    return NULL;
  lru->client = *client;
  return lru;
}

static void *
nat_thread (void *arg)
{
  nat *n = arg;
  uint8_t buf[1500];
  while (!atomic_load (&n->stop))
    {
      struct pollfd pfd[NAT_MAPPINGS + 1];
      nat_mapping *owner[NAT_MAPPINGS + 1];
      size_t np = 0;
      pfd[np] = (struct pollfd) { .fd = n->front, .events = POLLIN };
      owner[np++] = NULL;
      for (size_t i = 0; i < NAT_MAPPINGS; i++)
        if (n->map[i].fd > 0)
          {
            pfd[np] = (struct pollfd) { .fd = n->map[i].fd, .events = POLLIN };
            owner[np++] = &n->map[i];
          }
      uint64_t now = mono_us ();
      int timeout = 20;
      if (n->q_len > 0)
        {
          uint64_t due = n->queue[n->q_head].due_us;
          timeout = due <= now ? 0 : (int) ((due - now + 999) / 1000);
          if (timeout > 20)
            timeout = 20;
        }
      if (poll (pfd, np, timeout) < 0 && errno != EINTR)
        break;
      now = mono_us ();
      for (size_t i = 0; i < np; i++)
        {
          if (!(pfd[i].revents & POLLIN))
            continue;
          if (!owner[i])
            {
              struct sockaddr_in from;
              socklen_t fl = sizeof from;
              ssize_t len = recvfrom (n->front, buf, sizeof buf, MSG_DONTWAIT,
                                      (struct sockaddr *) &from, &fl);
              nat_mapping *m = len > 0 ? nat_map (n, &from, now) : NULL;
              if (!m || n->q_len == NAT_QUEUE)
                continue;
              m->last_used = now;
              nat_packet *p = &n->queue[(n->q_head + n->q_len++) % NAT_QUEUE];
              p->due_us = now + n->delay_us;
              p->fd = m->fd;
              p->len = (size_t) len;
              memcpy (p->data, buf, (size_t) len);
            }
          else
            {
              ssize_t len = recv (owner[i]->fd, buf, sizeof buf, MSG_DONTWAIT);
              if (len > 0)
                sendto (n->front, buf, (size_t) len, 0,
                        (struct sockaddr *) &owner[i]->client,
                        sizeof owner[i]->client);
            }
        }
      /* The delay is constant, so due times come in arrival order. */
      while (n->q_len > 0 && n->queue[n->q_head].due_us <= mono_us ())
        {
          nat_packet *p = &n->queue[n->q_head];
          send (p->fd, p->data, p->len, 0);
          n->q_head = (n->q_head + 1) % NAT_QUEUE;
          n->q_len--;
        }
    }
  return NULL;
}

static int
nat_start (nat *n, const struct sockaddr_in *server, uint64_t delay_us)
{
  memset (n, 0, sizeof *n);
  n->server = *server;
  n->delay_us = delay_us;
  n->front = udp_socket (&n->front_addr);
  if (n->front < 0)
    return -errno;
  if (pthread_create (&n->thread, NULL, nat_thread, n) != 0)
    {
      close (n->front);
      return -EAGAIN;
    }
  return 0;
}

static void
nat_stop (nat *n)
{
  atomic_store (&n->stop, true);
  pthread_join (n->thread, NULL);
  close (n->front);
  for (size_t i = 0; i < NAT_MAPPINGS; i++)
    if (n->map[i].fd > 0)
      close (n->map[i].fd);
}

/* ------------------------------------------------- the reference trips */

static int
wait_readable (int fd, uint64_t deadline_us)
{
  uint64_t now = mono_us ();
  if (now >= deadline_us)
    return 0;
  struct pollfd p = { .fd = fd, .events = POLLIN };
  return poll (&p, 1, (int) ((deadline_us - now) / 1000 + 1));
}

/* One Binding request and its answer; ms, or -1. */
static double
stun_round_trip (const struct sockaddr_in *to)
{
  int fd = udp_socket (NULL);
  if (fd < 0)
    return -1;
  uint8_t req[64], resp[1500];
  ice_stun_writer w;
  ice_stun_writer_init (&w, req, sizeof req, ICE_STUN_METHOD_BINDING,
                        ICE_STUN_CLASS_REQUEST, NULL);
  ice_stun_add_fingerprint (&w);
  int len = ice_stun_writer_finish (&w);
  ice_stun_txid txid;
  ice_stun_writer_txid (&w, &txid);
  double ms = -1;
  uint64_t t0 = mono_us (), deadline = t0 + 2000000;
  if (len > 0
      && sendto (fd, req, (size_t) len, 0, (const struct sockaddr *) to,
                 sizeof *to) == len)
    while (wait_readable (fd, deadline) > 0)
      {
        ssize_t n = recv (fd, resp, sizeof resp, 0);
        ice_stun_msg msg;
        if (n > 0 && ice_stun_msg_parse (resp, (size_t) n, &msg) == 0
            && ice_stun_txid_equal (&msg.txid, &txid))
          {
            ms = (double) (mono_us () - t0) / 1000.0;
            break;
          }
      }
  close (fd);
  return ms;
}

static void
turn_flush (ice_turn_client *c, int fd, const struct sockaddr_in *to)
{
  ice_turn_transmit tx;
  while (ice_turn_client_poll_transmit (c, &tx))
    sendto (fd, tx.data, tx.len, 0, (const struct sockaddr *) to, sizeof *to);
}

/* Drives the client on fd until an event of one of the two types (or the
 * deadline); true if it was `want`. */
static bool
turn_run_until (ice_turn_client *c, int fd, const struct sockaddr_in *to,
                ice_turn_event_type want, ice_turn_event_type other,
                uint64_t deadline)
{
  uint8_t buf[1500];
  for (;;)
    {
      turn_flush (c, fd, to);
      ice_turn_event ev;
      while (ice_turn_client_poll_event (c, &ev))
        if (ev.type == want)
          return true;
        else if (ev.type == other || ev.type == ICE_TURN_EVENT_FAILED)
          return false;
      uint64_t now = mono_us ();
      uint64_t next = ice_turn_client_next_timeout (c);
      uint64_t until = next < deadline ? next : deadline;
      if (now >= deadline)
        return false;
      if (until > now && wait_readable (fd, until) > 0)
        {
          struct sockaddr_in from;
          socklen_t fl = sizeof from;
          ssize_t n = recvfrom (fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fl);
          if (n > 0)
            {
              ice_addr local = { 0 }, remote;
              ice_turn_data data;
              ice_addr_from_sockaddr (&remote, (struct sockaddr *) &from, fl);
              ice_turn_client_handle_packet (c, mono_us (), &local, &remote,
                                             buf, (size_t) n, &data);
            }
        }
      else
        ice_turn_client_handle_timeout (c, mono_us ());
    }
}

/* A TURN allocation from scratch (challenge, then authenticated Allocate);
 * ms, or -1. The allocation is released before returning. */
static double
turn_allocation (const struct sockaddr_in *to, const char *user,
                 const char *password)
{
  int fd = udp_socket (NULL);
  if (fd < 0)
    return -1;
  ice_turn_config cfg = { .transport = ICE_TRANSPORT_UDP, .username = user,
                          .password = password, .relay_family = AF_INET };
  ice_addr_from_sockaddr (&cfg.server, (const struct sockaddr *) to, sizeof *to);
  ice_turn_client *c = ice_turn_client_new (&cfg);
  double ms = -1;
  if (c)
    {
      uint64_t t0 = mono_us ();
      if (ice_turn_client_allocate (c, t0) == 0
          && turn_run_until (c, fd, to, ICE_TURN_EVENT_ALLOCATED,
                             ICE_TURN_EVENT_CLOSED, t0 + 5000000))
        {
          ms = (double) (mono_us () - t0) / 1000.0;
          ice_turn_client_close (c, mono_us ());
          turn_run_until (c, fd, to, ICE_TURN_EVENT_CLOSED,
                          ICE_TURN_EVENT_CLOSED, mono_us () + 2000000);
        }
      ice_turn_client_free (c);
    }
  close (fd);
  return ms;
}

/* ------------------------------------------------------ the gathering */

typedef struct
{
  uint64_t t0;
  double first_ms[4]; /* by ice_cand_type; -1 none */
  double done_ms;
  GMainLoop *loop;
} gather_times;

static void
on_candidate (FloeIceTransport *t, gpointer cand, gpointer user)
{
  (void) t;
  gather_times *g = user;
  const ice_cand *c = cand;
  if (c->type <= ICE_CAND_RELAY && g->first_ms[c->type] < 0)
    g->first_ms[c->type] = (double) (mono_us () - g->t0) / 1000.0;
}

static void
on_done (FloeIceTransport *t, gpointer user)
{
  (void) t;
  gather_times *g = user;
  g->done_ms = (double) (mono_us () - g->t0) / 1000.0;
  g_main_loop_quit (g->loop);
}

static gboolean
on_give_up (gpointer user)
{
  g_main_loop_quit (user);
  return G_SOURCE_REMOVE;
}

static bool
gather_once (GPtrArray *servers, gather_times *g)
{
  g_autoptr (GError) error = NULL;
  FloeIceTransport *t = floe_ice_transport_new (TRUE, 1, servers, FLOE_ICE_POLICY_ALL,
                                                "lo", &error);
  if (!t)
    {
      fprintf (stderr, "bench-gathering: %s\n", error->message);
      return false;
    }
  for (int i = 0; i < 4; i++)
    g->first_ms[i] = -1;
  g->done_ms = -1;
  g->loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (t, "candidate-gathered", G_CALLBACK (on_candidate), g);
  g_signal_connect (t, "gathering-done", G_CALLBACK (on_done), g);
  guint guard = g_timeout_add (10000, on_give_up, g->loop);
  g->t0 = mono_us ();
  bool ok = floe_ice_transport_gather (t, &error);
  if (ok && g->done_ms < 0)
    g_main_loop_run (g->loop);
  if (g->done_ms >= 0)
    g_source_remove (guard);
  else if (!ok)
    fprintf (stderr, "bench-gathering: %s\n", error->message);
  g_main_loop_unref (g->loop);
  g_object_unref (t);
  /* Let the released allocation's Refresh go out before the next turn. */
  for (int i = 0; i < 50 && g_main_context_iteration (NULL, FALSE); i++)
    ;
  return ok && g->done_ms >= 0;
}

/* ------------------------------------------------------------- main */

static void
usage (void)
{
  fprintf (stderr, "usage: bench-gathering --server 127.0.0.1:PORT --user NAME "
           "--password-env VAR [--delay-ms D] [--iterations N] [--csv FILE]\n");
  exit (2);
}

static void
print_ms (FILE *f, double ms)
{
  if (ms >= 0)
    fprintf (f, ",%.3f", ms);
  else
    fprintf (f, ",");
}

int
main (int argc, char **argv)
{
  const char *server = NULL, *user = NULL, *pass_env = NULL, *csv_path = NULL;
  double delay_ms = 0;
  int iterations = 20;
  for (int i = 1; i < argc; i++)
    {
      if (i + 1 >= argc)
        usage ();
      if (!strcmp (argv[i], "--server"))
        server = argv[++i];
      else if (!strcmp (argv[i], "--user"))
        user = argv[++i];
      else if (!strcmp (argv[i], "--password-env"))
        pass_env = argv[++i];
      else if (!strcmp (argv[i], "--delay-ms"))
        delay_ms = atof (argv[++i]);
      else if (!strcmp (argv[i], "--iterations"))
        iterations = atoi (argv[++i]);
      else if (!strcmp (argv[i], "--csv"))
        csv_path = argv[++i];
      else
        usage ();
    }
  const char *password = pass_env ? getenv (pass_env) : NULL;
  ice_addr srv;
  char host[64];
  unsigned port;
  if (!server || !user || !password || iterations < 1 || delay_ms < 0
      || sscanf (server, "%63[^:]:%u", host, &port) != 2
      || ice_addr_set (&srv, host, (uint16_t) port) < 0)
    usage ();
  struct sockaddr_storage ss;
  ice_addr_to_sockaddr (&srv, &ss);

  nat n;
  if (nat_start (&n, (struct sockaddr_in *) &ss, (uint64_t) (delay_ms * 1000)) < 0)
    {
      fprintf (stderr, "bench-gathering: cannot start the delay NAT\n");
      return 1;
    }
  char front[ICE_ADDR_STRLEN];
  ice_addr fa;
  ice_addr_from_sockaddr (&fa, (struct sockaddr *) &n.front_addr, sizeof n.front_addr);
  ice_addr_to_string (&fa, front);

  g_autoptr (GPtrArray) servers = g_ptr_array_new_with_free_func ((GDestroyNotify) floe_ice_server_free);
  g_autofree char *stun_uri = g_strdup_printf ("stun:%s", front);
  g_autofree char *turn_uri = g_strdup_printf ("turn:%s?transport=udp", front);
  FloeIceServer *s = floe_ice_server_parse (stun_uri, FLOE_ICE_SERVER_STUN, NULL);
  FloeIceServer *t = floe_ice_server_parse (turn_uri, FLOE_ICE_SERVER_TURN, NULL);
  if (!s || !t)
    {
      fprintf (stderr, "bench-gathering: cannot parse %s\n", front);
      return 1;
    }
  t->username = g_strdup (user);
  t->password = g_strdup (password);
  g_ptr_array_add (servers, s);
  g_ptr_array_add (servers, t);

  FILE *csv = csv_path ? fopen (csv_path, "a") : stdout;
  if (!csv)
    {
      perror (csv_path);
      return 1;
    }
  if (!csv_path || ftell (csv) == 0)
    fprintf (csv, "unix_time,iteration,uplink_delay_ms,stun_rtt_ms,turn_two_rtt_ms,"
             "host_ms,srflx_ms,relay_ms,done_ms\n");
  int failures = 0;
  for (int i = 0; i < iterations; i++)
    {
      /* Take turns so that the machine's noise falls on all three. */
      double stun = -1, turn = -1;
      gather_times g = { 0 };
      bool gathered = false;
      for (int k = 0; k < 3; k++)
        switch ((i + k) % 3)
          {
          case 0:
            stun = stun_round_trip (&n.front_addr);
            break;
          case 1:
            turn = turn_allocation (&n.front_addr, user, password);
            break;
          default:
            gathered = gather_once (servers, &g);
            break;
          }
      if (stun < 0 || turn < 0 || !gathered)
        failures++;
      fprintf (csv, "%ld,%d,%.1f", (long) time (NULL), i, delay_ms);
      print_ms (csv, stun);
      print_ms (csv, turn);
      print_ms (csv, g.first_ms[ICE_CAND_HOST]);
      print_ms (csv, g.first_ms[ICE_CAND_SRFLX]);
      print_ms (csv, g.first_ms[ICE_CAND_RELAY]);
      print_ms (csv, gathered ? g.done_ms : -1);
      fprintf (csv, "\n");
      fflush (csv);
    }
  if (csv != stdout)
    fclose (csv);
  nat_stop (&n);
  if (failures)
    fprintf (stderr, "bench-gathering: %d of %d iterations incomplete\n",
             failures, iterations);
  return failures ? 1 : 0;
}
