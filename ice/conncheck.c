/* Connectivity checks on the wire (RFC 8445 §7): sending Binding requests
 * with the ICE attributes, answering the peer's, learning peer-reflexive
 * candidates on both sides, role conflicts (487 and the tie-breaker),
 * nomination flags; and after selection, consent freshness (RFC 7675) and
 * keepalives (§11). */
#include "agent-impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint16_t
local_pref_of (const ice_cand *c)
{
  return (uint16_t) ((c->priority >> 8) & 0xffff);
}

int
conncheck_send (ice_agent *a, uint64_t now, int p, bool use_cand, uint64_t tag)
{
  pair *q = &a->pairs[p];
  const lcand *l = &a->local[q->local];
  const ice_cand *r = &a->remote[q->remote];
  ice_stun_txn_request req = { 0 };
  ice_stun_writer w;
  ice_stun_txid txid;
  char username[2 * ICE_CRED_MAX + 2];
  uint8_t buf[512];
  uint32_t prflx_prio;
  int len;

  prflx_prio = ice_cand_priority (ice_cand_type_preference (ICE_CAND_PRFLX), local_pref_of (&l->c),
                                  q->component);
  agent_random (a, txid.b, sizeof txid.b);
  snprintf (username, sizeof username, "%s:%s", a->rufrag, a->ufrag);
  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_REQUEST, &txid);
  ice_stun_add_string (&w, ICE_STUN_ATTR_USERNAME, username);
  ice_stun_add_u32 (&w, ICE_STUN_ATTR_PRIORITY, prflx_prio);
  ice_stun_add_u64 (&w,
                    a->role == ICE_ROLE_CONTROLLING ? ICE_STUN_ATTR_ICE_CONTROLLING
                                                    : ICE_STUN_ATTR_ICE_CONTROLLED,
                    a->tie_breaker);
  if (use_cand && a->role == ICE_ROLE_CONTROLLING)
    ice_stun_add_empty (&w, ICE_STUN_ATTR_USE_CANDIDATE);
  ice_stun_add_integrity (&w, a->rpwd, strlen (a->rpwd));
  ice_stun_add_fingerprint (&w);
  len = ice_stun_writer_finish (&w);
  if (len < 0)
    return len;
  req.data = buf;
  req.len = (size_t) len;
  req.transport = ICE_TRANSPORT_UDP;
  req.local = l->c.base;
  req.remote = r->addr;
  req.key = (const uint8_t *) a->rpwd;
  req.keylen = strlen (a->rpwd);
  req.tag = tag;
  if (ice_stun_txns_start (a->txns, now, &req) < 0)
    return -EIO;
  if (TAG_KIND (tag) == TAG_CONSENT)
    {
      agent_comp *k = &a->comp[TAG_INDEX (tag)];
      k->consent_txn = true;
      k->consent_txid = txid;
      k->last_sent_us = now;
      return 0;
    }
  q->state = PAIR_IN_PROGRESS;
  q->txn_active = true;
  if (q->first_check_us == 0)
    q->first_check_us = now;
  q->txn_use_cand = use_cand && a->role == ICE_ROLE_CONTROLLING;
  q->txn_role = a->role;
  q->txn_prio = prflx_prio;
  q->txid = txid;
  a->stats.checks_sent++;
  if (!a->checks_started)
    {
      a->checks_started = true;
      a->checks_started_us = now;
    }
  if (a->comp[q->component].state == ICE_COMP_NEW)
    agent_set_comp_state (a, q->component, ICE_COMP_CHECKING);
  return 0;
}

void
conncheck_switch_role (ice_agent *a, ice_role r)
{
  ice_event ev = { .type = ICE_EVENT_ROLE_CHANGED, .role = r };
  size_t i;
  unsigned c;

  if (a->role == r)
    return;
  a->role = r;
  a->stats.role_conflicts++;
  checklist_recompute (a);
  /* Nominations in flight belonged to the old role. */
  for (i = 0; i < a->n_pairs; i++)
    a->pairs[i].nominating = false;
  for (c = 1; c <= ICE_MAX_COMPONENTS; c++)
    {
      a->comp[c].nominating = false;
      a->comp[c].first_valid_us = 0;
    }
  agent_push_event (a, &ev);
}

/* §7.2.5.3: the valid pair is made of the local candidate whose address is
 * the mapped address (a new peer-reflexive one if none is) and the remote
 * candidate the check went to. */
static int
valid_pair_for (ice_agent *a, int p, const ice_addr *mapped)
{
  pair *q = &a->pairs[p];
  const lcand *l = &a->local[q->local];
  int lv = -1, vp;
  size_t i;

  for (i = 0; i < a->n_local; i++)
    if (a->local[i].c.component == q->component && ice_addr_equal (&a->local[i].c.addr, mapped)
        && ice_addr_equal (&a->local[i].c.base, &l->c.base))
      {
        lv = (int) i;
        break;
      }
  if (lv < 0)
    {
      ice_cand c = { 0 };
      c.component = (uint16_t) q->component;
      c.transport = ICE_TRANSPORT_UDP;
      c.type = ICE_CAND_PRFLX;
      c.addr = *mapped;
      c.base = l->c.base;
      c.priority = q->txn_prio;
      ice_cand_foundation (ICE_CAND_PRFLX, &l->c.base, NULL, ICE_TRANSPORT_UDP, c.foundation);
      lv = gather_add_local (a, &c, l->sock, l->turn, false);
      if (lv < 0)
        return p;
    }
  if (lv == q->local)
    return p;
  vp = checklist_add_pair (a, lv, q->remote, PAIR_VALID);
  if (vp < 0)
    return p;
  if (!a->pairs[vp].in_checklist)
    a->pairs[vp].state = PAIR_SUCCEEDED;
  return vp;
}

static void
check_failed (ice_agent *a, int p, bool timed_out)
{
  pair *q = &a->pairs[p];

  q->state = PAIR_FAILED;
  q->timed_out = timed_out;
  if (q->txn_use_cand || q->nominating)
    {
      /* The nomination did not go through: that pair is no longer a
       * candidate for selection; the next best valid one will be tried. */
      q->nominating = false;
      q->valid = false;
      a->comp[q->component].nominating = false;
    }
}

void
conncheck_on_txn (ice_agent *a, uint64_t now, const ice_stun_txn_event *ev)
{
  size_t idx = TAG_INDEX (ev->tag);
  ice_addr mapped;
  pair *q;
  int code = 0, vp;

  if (TAG_KIND (ev->tag) == TAG_CONSENT)
    {
      agent_comp *k;
      if (idx < 1 || idx > ICE_MAX_COMPONENTS)
        return;
      k = &a->comp[idx];
      if (!k->consent_txn || !ice_stun_txid_equal (&k->consent_txid, &ev->txid))
        return;
      k->consent_txn = false;
      if (ev->kind == ICE_STUN_TXN_RESPONSE && ev->authenticated
          && ev->msg.cls == ICE_STUN_CLASS_SUCCESS)
        k->consent_ok_us = now;
      return;
    }
  if (idx >= a->n_pairs)
    return;
  q = &a->pairs[idx];
  if (q->old_active && ice_stun_txid_equal (&q->old_txid, &ev->txid))
    {
      /* The superseded check: only a success matters. */
      q->old_active = false;
      if (ev->kind != ICE_STUN_TXN_RESPONSE || ev->msg.cls != ICE_STUN_CLASS_SUCCESS)
        return;
    }
  else if (q->txn_active && ice_stun_txid_equal (&q->txid, &ev->txid))
    q->txn_active = false;
  else
    return;
  if (ev->kind == ICE_STUN_TXN_TIMEOUT)
    {
      check_failed (a, (int) idx, true);
      return;
    }
  /* §7.2.5.2.1: the response must come from where the request went, to
   * where it came from; and be authenticated with the peer's password. */
  if (!ev->authenticated || !ice_addr_equal (&ev->remote, &a->remote[q->remote].addr)
      || !ice_addr_equal (&ev->local, &a->local[q->local].c.base))
    {
      check_failed (a, (int) idx, false);
      return;
    }
  if (ev->msg.cls == ICE_STUN_CLASS_ERROR)
    {
      ice_stun_msg_get_error (&ev->msg, &code, NULL, 0);
      if (code == ICE_STUN_ERR_ROLE_CONFLICT)
        {
          /* §7.2.5.1: take the other role than the one we claimed, and
           * check the pair again. */
          if (a->role == q->txn_role)
            conncheck_switch_role (a, q->txn_role == ICE_ROLE_CONTROLLING ? ICE_ROLE_CONTROLLED
                                                                          : ICE_ROLE_CONTROLLING);
          q->state = PAIR_WAITING;
          checklist_trigger (a, (int) idx);
          return;
        }
      check_failed (a, (int) idx, false);
      return;
    }
  if (ice_stun_msg_get_xor_addr (&ev->msg, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped) < 0)
    {
      check_failed (a, (int) idx, false);
      return;
    }
  vp = valid_pair_for (a, (int) idx, &mapped);
  q = &a->pairs[idx];
  q->state = PAIR_SUCCEEDED;
  a->pairs[vp].valid = true;
  a->pairs[vp].rtt_us = ev->rtt_us;
  checklist_unfreeze_foundation (a, q->foundation);
  if (q->txn_use_cand)
    {
      a->pairs[vp].nominated = true;
      q->nominating = false;
      a->comp[q->component].nominating = false;
    }
  if (a->role == ICE_ROLE_CONTROLLED)
    {
      if (q->use_cand_pending)
        a->pairs[vp].nominated = true;
    }
  checklist_update_selection (a, now, q->component);
}

static void
respond (ice_agent *a, uint64_t now, const ice_addr *base, const ice_addr *remote,
         const ice_stun_msg *req, int error)
{
  uint8_t buf[256];
  ice_stun_writer w;
  int len;

  ice_stun_writer_init_response (&w, buf, sizeof buf, req,
                                 error ? ICE_STUN_CLASS_ERROR : ICE_STUN_CLASS_SUCCESS);
  if (error)
    ice_stun_add_error (&w, error, NULL);
  else
    ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, remote);
  /* 400 and 401 go out unsigned: we could not trust the request's key. */
  if (error != ICE_STUN_ERR_BAD_REQUEST && error != ICE_STUN_ERR_UNAUTHENTICATED)
    ice_stun_add_integrity (&w, a->pwd, strlen (a->pwd));
  ice_stun_add_fingerprint (&w);
  len = ice_stun_writer_finish (&w);
  if (len > 0)
    agent_send_from_base (a, now, base, remote, buf, (size_t) len);
}

/* The remote candidate a request came from; a new peer-reflexive one when
 * the address is not known (§7.3.1.3). */
static int
remote_for_request (ice_agent *a, unsigned component, const ice_addr *from, uint32_t prio)
{
  ice_cand *r;
  size_t i;

  for (i = 0; i < a->n_remote; i++)
    if (a->remote[i].component == component && ice_addr_equal (&a->remote[i].addr, from))
      return (int) i;
  if (a->n_remote == MAX_REMOTE)
    return -1;
  r = &a->remote[a->n_remote];
  memset (r, 0, sizeof *r);
  r->component = (uint16_t) component;
  r->transport = ICE_TRANSPORT_UDP;
  r->type = ICE_CAND_PRFLX;
  r->priority = prio;
  r->addr = *from;
  snprintf (r->foundation, sizeof r->foundation, "prflx%u", ++a->prflx_counter);
  return (int) a->n_remote++;
}

void
conncheck_on_request (ice_agent *a, uint64_t now, const ice_addr *base, const ice_addr *remote,
                      const ice_stun_msg *msg)
{
  char username[2 * ICE_CRED_MAX + 2];
  size_t ulen = strlen (a->ufrag);
  uint64_t theirs;
  uint32_t prio;
  int l, r, p, vp;
  unsigned comp;
  bool use_cand;

  a->stats.checks_received++;
  l = gather_local_for_base (a, base);
  if (l < 0 || a->local[l].c.component > a->n_components)
    {
      a->stats.dropped++;
      return;
    }
  comp = a->local[l].c.component;
  if (ice_stun_msg_get_string (msg, ICE_STUN_ATTR_USERNAME, username, sizeof username) < 0
      || msg->integrity_idx < 0)
    {
      a->stats.dropped++;
      respond (a, now, base, remote, msg, ICE_STUN_ERR_BAD_REQUEST);
      return;
    }
  /* USERNAME is "our-ufrag:their-ufrag"; the check is ours only if the
   * first part is our ufrag and the integrity matches our password. */
  if (strncmp (username, a->ufrag, ulen) != 0 || username[ulen] != ':'
      || (a->rufrag[0] && strcmp (username + ulen + 1, a->rufrag) != 0)
      || ice_stun_msg_check_integrity (msg, a->pwd, strlen (a->pwd)) != 0)
    {
      a->stats.dropped++;
      respond (a, now, base, remote, msg, ICE_STUN_ERR_UNAUTHENTICATED);
      return;
    }
  if (ice_stun_msg_get_u32 (msg, ICE_STUN_ATTR_PRIORITY, &prio) < 0 || prio == 0)
    {
      respond (a, now, base, remote, msg, ICE_STUN_ERR_BAD_REQUEST);
      return;
    }
  /* §7.3.1.1 role conflicts: the larger tie-breaker takes controlling. */
  if (a->role == ICE_ROLE_CONTROLLING
      && ice_stun_msg_get_u64 (msg, ICE_STUN_ATTR_ICE_CONTROLLING, &theirs) == 0)
    {
      if (a->tie_breaker >= theirs)
        {
          respond (a, now, base, remote, msg, ICE_STUN_ERR_ROLE_CONFLICT);
          return;
        }
      conncheck_switch_role (a, ICE_ROLE_CONTROLLED);
    }
  else if (a->role == ICE_ROLE_CONTROLLED
           && ice_stun_msg_get_u64 (msg, ICE_STUN_ATTR_ICE_CONTROLLED, &theirs) == 0)
    {
      if (a->tie_breaker < theirs)
        {
          respond (a, now, base, remote, msg, ICE_STUN_ERR_ROLE_CONFLICT);
          return;
        }
      conncheck_switch_role (a, ICE_ROLE_CONTROLLING);
    }
  respond (a, now, base, remote, msg, 0);

  r = remote_for_request (a, comp, remote, prio);
  if (r < 0)
    return;
  p = checklist_add_pair (a, l, r, PAIR_TRIGGERED);
  if (p < 0)
    return;
  use_cand = a->role == ICE_ROLE_CONTROLLED && ice_stun_msg_has (msg, ICE_STUN_ATTR_USE_CANDIDATE);
  if (a->pairs[p].state == PAIR_SUCCEEDED)
    {
      if (!use_cand)
        return;
      /* §7.3.1.5: nominate the valid pair this pair produced. */
      vp = -1;
      for (size_t i = 0; i < a->n_pairs; i++)
        if (a->pairs[i].valid && a->pairs[i].remote == r
            && ice_addr_equal (&a->local[a->pairs[i].local].c.base, base)
            && (vp < 0 || a->pairs[i].prio > a->pairs[vp].prio))
          vp = (int) i;
      if (vp >= 0)
        {
          a->pairs[vp].nominated = true;
          checklist_update_selection (a, now, comp);
        }
      return;
    }
  if (use_cand)
    a->pairs[p].use_cand_pending = true;
  if (a->pairs[p].state == PAIR_IN_PROGRESS && a->pairs[p].txn_active)
    {
      /* §7.3.1.4: the peer's check just opened its NAT for us, so our
       * check, possibly dropped before, goes again now rather than at the
       * next retransmission; an answer to the earlier one still counts. */
      if (a->pairs[p].old_active)
        ice_stun_txns_cancel (a->txns, &a->pairs[p].old_txid);
      a->pairs[p].old_active = true;
      a->pairs[p].old_txid = a->pairs[p].txid;
      a->pairs[p].txn_active = false;
      a->pairs[p].state = PAIR_WAITING;
    }
  checklist_trigger (a, p);
}

/* --------------------------------------------------------------- consent */

static void
send_keepalive (ice_agent *a, uint64_t now, unsigned c)
{
  agent_comp *k = &a->comp[c];
  ice_stun_writer w;
  uint8_t buf[64];
  int len;

  ice_stun_writer_init (&w, buf, sizeof buf, ICE_STUN_METHOD_BINDING, ICE_STUN_CLASS_INDICATION,
                        NULL);
  ice_stun_add_fingerprint (&w);
  len = ice_stun_writer_finish (&w);
  if (len > 0)
    agent_send_from_base (a, now, &a->local[k->sel_local].c.base, &k->sel_remote, buf,
                          (size_t) len);
  k->last_sent_us = now;
}

/* RFC 8445 §8.3: three seconds after completion, relayed candidates that
 * carry no selected pair are freed, so the TURN server can let go. */
#define RELEASE_AFTER_US (3 * 1000000ull)

static void
release_unused_relays (ice_agent *a, uint64_t now)
{
  size_t i;
  unsigned c;

  if (a->completed_at == 0 || a->restarting || now < a->completed_at + RELEASE_AFTER_US)
    return;
  for (i = 0; i < a->n_allocs; i++)
    {
      turn_alloc *t = &a->allocs[i];
      bool used = false;
      if (t->released || t->client == NULL)
        continue;
      for (c = 1; c <= a->n_components; c++)
        used = used || (a->comp[c].has_selected && a->local[a->comp[c].sel_local].turn == (int) i);
      if (used)
        continue;
      t->released = true;
      ice_turn_client_close (t->client, now);
      gather_drain_turn (a, t);
      for (size_t p = 0; p < a->n_pairs; p++)
        if (a->local[a->pairs[p].local].turn == (int) i && a->pairs[p].state != PAIR_SUCCEEDED)
          a->pairs[p].state = PAIR_FAILED;
    }
  a->completed_at = 0; /* done; a restart completing sets it again */
}

uint64_t
conncheck_consent_interval_us (ice_agent *a)
{
  uint16_t r;

  /* RFC 7675 §5.1: uniformly within 0.8..1.2 of the interval (4-6 s). */
  agent_random (a, &r, sizeof r);
  return (uint64_t) a->cfg.consent_ms * 800 + (uint64_t) r * a->cfg.consent_ms * 400 / 65535;
}

static bool
consent_active (const ice_agent *a, unsigned c)
{
  const agent_comp *k = &a->comp[c];

  return k->has_selected && k->sel_pair >= 0 && !k->consent_lost && a->rpwd[0] != '\0';
}

void
conncheck_consent_timeout (ice_agent *a, uint64_t now)
{
  unsigned c, lost = 0;

  release_unused_relays (a, now);
  for (c = 1; c <= a->n_components; c++)
    {
      agent_comp *k = &a->comp[c];
      ice_event ev = { .type = ICE_EVENT_CONSENT_LOST, .component = c };
      if (k->consent_lost)
        lost++;
      if (!consent_active (a, c))
        continue;
      if (now >= k->consent_ok_us + (uint64_t) a->cfg.consent_timeout_ms * 1000)
        {
          /* RFC 7675 §5.1: no answer for 30 s: stop sending. */
          k->consent_lost = true;
          if (k->consent_txn)
            ice_stun_txns_cancel (a->txns, &k->consent_txid);
          k->consent_txn = false;
          agent_push_event (a, &ev);
          agent_set_comp_state (a, c, ICE_COMP_DISCONNECTED);
          lost++;
          continue;
        }
      if (!k->consent_txn && now >= k->next_consent_us)
        {
          conncheck_send (a, now, k->sel_pair, false, TAG (TAG_CONSENT, c));
          k->next_consent_us = now + conncheck_consent_interval_us (a);
        }
      if (now >= k->last_sent_us + (uint64_t) a->cfg.keepalive_ms * 1000)
        send_keepalive (a, now, c);
    }
  if (lost == a->n_components && lost > 0)
    agent_fail (a, ICE_FAIL_CONSENT_LOST);
}

uint64_t
conncheck_next_timeout (const ice_agent *a)
{
  uint64_t t = UINT64_MAX, d;
  unsigned c;

  if (a->completed_at && !a->restarting)
    t = a->completed_at + RELEASE_AFTER_US;
  for (c = 1; c <= a->n_components; c++)
    {
      const agent_comp *k = &a->comp[c];
      if (!consent_active (a, c))
        continue;
      d = k->consent_ok_us + (uint64_t) a->cfg.consent_timeout_ms * 1000;
      t = d < t ? d : t;
      if (!k->consent_txn && k->next_consent_us < t)
        t = k->next_consent_us;
      d = k->last_sent_us + (uint64_t) a->cfg.keepalive_ms * 1000;
      t = d < t ? d : t;
    }
  return t;
}
