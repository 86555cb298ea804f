/* Private to the agent's files (agent.c, gather.c, checklist.c,
 * conncheck.c): the agent's state. Not installed, not for other modules. */
#pragma once

#include "agent.h"
#include "stun-msg.h"
#include "stun-txn.h"
#include "turn-client.h"

#define MAX_HOSTS 32
#define MAX_LOCAL 96
#define MAX_REMOTE 96
#define MAX_PAIRS 256
#define MAX_CHECKLIST_PAIRS 100 /* RFC 8445 §6.1.2.5 */
#define MAX_STUN_SERVERS 4
#define MAX_TURN_SERVERS 4
#define MAX_GATHER_TXNS (MAX_HOSTS * MAX_STUN_SERVERS)
#define MAX_TURN_ALLOCS (MAX_HOSTS * MAX_TURN_SERVERS)
#define MAX_PERMS 64
#define TX_BUF 2048

/* Transaction tags: kind in the top byte, an index below. */
enum
{
  TAG_GATHER = 1,
  TAG_CHECK = 2,
  TAG_CONSENT = 3,
};
#define TAG(kind, idx) (((uint64_t) (kind) << 56) | (uint64_t) (idx))
#define TAG_KIND(tag) ((unsigned) ((tag) >> 56))
#define TAG_INDEX(tag) ((size_t) ((tag) & 0xffffffffu))

typedef struct
{
  unsigned component;
  ice_addr addr;
  char ifname[32];
  bool used; /* passed the filters: carries a host candidate */
  uint16_t local_pref; /* RFC 8421, among the used addresses */
} host_sock;

typedef struct
{
  ice_cand c;  /* c.base: the host socket address, or the relayed address */
  int sock;    /* host socket the bytes leave from */
  int turn;    /* relayed candidates: their allocation; else -1 */
} lcand;

typedef enum
{
  PAIR_FROZEN,
  PAIR_WAITING,
  PAIR_IN_PROGRESS,
  PAIR_SUCCEEDED,
  PAIR_FAILED,
} pair_state;

typedef struct
{
  int local;
  int remote;
  unsigned component;
  uint64_t prio;
  pair_state state;
  char foundation[2 * ICE_FOUNDATION_MAX + 2];
  bool in_checklist;     /* false: a valid pair built from a mapped address */
  bool valid;
  bool nominated;
  bool use_cand_pending; /* controlled: peer nominated before our check succeeded */
  bool nominating;       /* controlling: the next/current check has USE-CANDIDATE */
  bool triggered;        /* waiting in the triggered queue */
  bool timed_out;        /* failed for lack of an answer */
  bool txn_active;
  bool txn_use_cand;     /* the outstanding check carries USE-CANDIDATE */
  ice_role txn_role;     /* the role the outstanding check claimed */
  uint32_t txn_prio;     /* PRIORITY sent: the prflx priority */
  ice_stun_txid txid;
  /* A check superseded by a triggered one (§7.3.1.4): its answer still
   * counts if it comes. */
  bool old_active;
  ice_stun_txid old_txid;
  uint64_t rtt_us;
  uint64_t first_check_us; /* when its first check left; 0 = never */
} pair;

typedef struct
{
  int sock;
  int server;
  bool started;
  bool done;
  ice_stun_txid txid;
} gather_txn;

typedef struct
{
  int sock;   /* UDP: its socket; streams: the host address they start from */
  int server;
  ice_turn_client *client;
  bool started;
  bool done;
  bool refused;
  bool released; /* freed after completion: its relayed candidate is gone */
  uint64_t started_us;
  size_t n_perms;
  ice_addr perms[MAX_PERMS];
} turn_alloc;

typedef struct
{
  ice_addr addr;
  ice_transport transport;
  char *username;
  char *password;
} turn_server;

typedef struct
{
  ice_comp_state state;
  /* The selected pair survives a restart (media keeps flowing) so it is
   * kept by value: local candidate index and remote address. */
  bool has_selected;
  int sel_pair;          /* index in pairs, -1 after a restart */
  int sel_local;
  ice_addr sel_remote;
  ice_pair_info sel_info;
  uint64_t first_valid_us; /* controlling: when the nomination delay began */
  bool nominating;
  uint64_t consent_ok_us;
  uint64_t next_consent_us;
  bool consent_txn;
  ice_stun_txid consent_txid;
  bool consent_lost;
  uint64_t last_sent_us;
  bool have_remote_selection;
  ice_addr remote_selection;
  uint64_t give_up_us;   /* controlled with valid pairs: wait for nomination */
} agent_comp;

typedef struct
{
  ice_addr local;
  ice_addr remote;
  ice_transport transport;
  size_t len;
  uint8_t data[TX_BUF];
} tx_entry;

struct ice_agent
{
  ice_agent_config cfg;
  ice_role role;
  uint64_t tie_breaker;
  unsigned n_components;
  char ufrag[ICE_CRED_MAX + 1];
  char pwd[ICE_CRED_MAX + 1];
  char rufrag[ICE_CRED_MAX + 1];
  char rpwd[ICE_CRED_MAX + 1];
  bool remote_lite;
  bool remote_done;
  bool gathering;
  bool gathering_done;
  bool failed;
  bool restarting;      /* restarted, no new pair selected yet */
  bool closed;          /* ice_agent_close: only TURN deallocation runs */
  uint64_t completed_at; /* every component selected (0: not yet) */
  bool checks_started;        /* a check went out in this ICE session */
  uint64_t checks_started_us; /* when the first did */
  uint64_t gather_deadline_us;
  /* Where only TCP gets out: UDP requests to the servers are given up on
   * at udp_deadline_us (set once a stream allocation succeeded) unless one
   * of them was answered. */
  bool udp_answered;
  uint64_t udp_deadline_us;
  bool udp_blocked; /* ...and they were: no direct UDP path can work */
  uint64_t standby_keepalive_us; /* gathered, no peer yet: next keepalive */
  uint64_t last_txn_us;  /* when the last new transaction started (Ta) */
  bool any_txn;
  unsigned prflx_counter;

  size_t n_hosts;
  host_sock hosts[MAX_HOSTS];
  size_t n_stun;
  ice_addr stun[MAX_STUN_SERVERS];
  size_t n_turn;
  turn_server turn[MAX_TURN_SERVERS];

  size_t n_local;
  lcand local[MAX_LOCAL];
  size_t n_remote;
  ice_cand remote[MAX_REMOTE];
  size_t n_pairs;
  pair pairs[MAX_PAIRS];
  size_t n_triggered;
  int triggered[MAX_PAIRS];

  size_t n_gather;
  gather_txn gather[MAX_GATHER_TXNS];
  size_t n_allocs;
  turn_alloc allocs[MAX_TURN_ALLOCS];

  agent_comp comp[ICE_MAX_COMPONENTS + 1]; /* 1-based */

  ice_stun_txns *txns;

  /* Queues: transmits and events, rings that grow. */
  tx_entry *tx;
  size_t tx_cap, tx_head, tx_count;
  ice_event *ev;
  size_t ev_cap, ev_head, ev_count;
  tx_entry tx_out;      /* the entry last returned by poll_transmit */
  uint8_t app_buf[TX_BUF];

  ice_agent_stats stats;
};

/* agent.c */
void agent_random (ice_agent *a, void *buf, size_t len);
void agent_push_event (ice_agent *a, const ice_event *ev);
void agent_push_tx (ice_agent *a, ice_transport transport, const ice_addr *local,
                    const ice_addr *remote, const uint8_t *data, size_t len);
void agent_set_comp_state (ice_agent *a, unsigned c, ice_comp_state s);
void agent_fail (ice_agent *a, ice_fail_reason r);
/* Sends from a candidate base: straight out of a host socket, or wrapped
 * through the TURN allocation whose relayed address the base is. */
void agent_send_from_base (ice_agent *a, uint64_t now, const ice_addr *base,
                           const ice_addr *remote, const uint8_t *data, size_t len);
void agent_flush_txns (ice_agent *a, uint64_t now);
bool agent_pace_ready (const ice_agent *a, uint64_t now);
void agent_paced (ice_agent *a, uint64_t now);
uint64_t agent_ta_us (const ice_agent *a);

/* gather.c */
void gather_start (ice_agent *a, uint64_t now);
bool gather_start_next (ice_agent *a, uint64_t now); /* one paced request */
bool gather_has_pending (const ice_agent *a);
void gather_on_txn (ice_agent *a, uint64_t now, const ice_stun_txn_event *ev);
void gather_on_timeout (ice_agent *a, uint64_t now);
void gather_turn_events (ice_agent *a, uint64_t now, turn_alloc *t);
void gather_drain_turn (ice_agent *a, turn_alloc *t);
uint64_t gather_next_timeout (const ice_agent *a);
int gather_local_for_base (const ice_agent *a, const ice_addr *base);
int gather_add_local (ice_agent *a, const ice_cand *c, int sock, int turn, bool announce);

/* standby.c */
void standby_on_timeout (ice_agent *a, uint64_t now);
uint64_t standby_next_timeout (const ice_agent *a);

/* checklist.c */
void checklist_pair_local (ice_agent *a, int local);
void checklist_pair_remote (ice_agent *a, int remote);
typedef enum
{
  PAIR_FORMED,    /* from candidates: subject to the 100-pair limit */
  PAIR_TRIGGERED, /* from a peer's check: always kept (the peer reaches us) */
  PAIR_VALID,     /* built from a mapped address: valid list only */
} pair_origin;
int checklist_add_pair (ice_agent *a, int local, int remote, pair_origin origin);
int checklist_find_pair (const ice_agent *a, int local, int remote);
void checklist_recompute (ice_agent *a);
void checklist_trigger (ice_agent *a, int p);
void checklist_unfreeze_foundation (ice_agent *a, const char *foundation);
/* Starts one paced check: from the triggered queue only, or an ordinary one. */
bool checklist_next (ice_agent *a, uint64_t now, bool triggered_only);
bool checklist_has_work (const ice_agent *a);
void checklist_update_selection (ice_agent *a, uint64_t now, unsigned c);
void checklist_evaluate (ice_agent *a, uint64_t now);
uint64_t checklist_next_timeout (const ice_agent *a);
void checklist_clear (ice_agent *a);
/* A relayed local candidate whose allocation was released after
 * completion: not paired, not signalled. */
bool checklist_local_released (const ice_agent *a, int local);

/* conncheck.c */
int conncheck_send (ice_agent *a, uint64_t now, int p, bool use_cand, uint64_t tag);
void conncheck_on_request (ice_agent *a, uint64_t now, const ice_addr *base,
                           const ice_addr *remote, const ice_stun_msg *msg);
void conncheck_on_txn (ice_agent *a, uint64_t now, const ice_stun_txn_event *ev);
void conncheck_consent_timeout (ice_agent *a, uint64_t now);
uint64_t conncheck_next_timeout (const ice_agent *a);
uint64_t conncheck_consent_interval_us (ice_agent *a);
void conncheck_switch_role (ice_agent *a, ice_role r);
