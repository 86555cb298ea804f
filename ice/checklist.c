/* The check list (RFC 8445 §6.1.2): pairs, their priorities and states,
 * the frozen algorithm by foundation, the triggered-check queue, the pacing
 * choice of the next check, nomination by the controlling agent, selection,
 * and the decision that the checks have failed. */
#include "agent-impl.h"

#include <stdio.h>
#include <string.h>

static uint64_t
pair_priority (const ice_agent *a, int l, int r)
{
  uint32_t lp = a->local[l].c.priority, rp = a->remote[r].priority;

  return a->role == ICE_ROLE_CONTROLLING ? ice_pair_priority (lp, rp) : ice_pair_priority (rp, lp);
}

int
checklist_find_pair (const ice_agent *a, int local, int remote)
{
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].local == local && a->pairs[i].remote == remote)
      return (int) i;
  return -1;
}

static bool
foundation_active (const ice_agent *a, const char *f, int except)
{
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    if ((int) i != except && a->pairs[i].in_checklist
        && (a->pairs[i].state == PAIR_WAITING || a->pairs[i].state == PAIR_IN_PROGRESS)
        && strcmp (a->pairs[i].foundation, f) == 0)
      return true;
  return false;
}

/* §6.1.2.5: with the list full, a formed pair takes the place of the
 * lowest-priority pair that nothing refers to yet (Frozen or Waiting, no
 * transaction, not queued), if it is better; else it is dropped. */
static int
slot_for_formed_pair (ice_agent *a, uint64_t prio)
{
  size_t i, in_list = 0;
  int worst = -1;

  for (i = 0; i < a->n_pairs; i++)
    in_list += a->pairs[i].in_checklist;
  if (in_list < MAX_CHECKLIST_PAIRS)
    return a->n_pairs < MAX_PAIRS ? (int) a->n_pairs : -1;
  for (i = 0; i < a->n_pairs; i++)
    {
      const pair *q = &a->pairs[i];
      if (q->in_checklist && (q->state == PAIR_FROZEN || q->state == PAIR_WAITING) && !q->triggered
          && !q->txn_active && !q->old_active && !q->valid
          && (worst < 0 || q->prio < a->pairs[worst].prio))
        worst = (int) i;
    }
  return worst >= 0 && a->pairs[worst].prio < prio ? worst : -1;
}

int
checklist_add_pair (ice_agent *a, int local, int remote, pair_origin origin)
{
  int found = checklist_find_pair (a, local, remote), slot;
  uint64_t prio = pair_priority (a, local, remote);
  pair *p;

  if (found >= 0)
    return found;
  if (origin == PAIR_FORMED)
    slot = slot_for_formed_pair (a, prio);
  else
    slot = a->n_pairs < MAX_PAIRS ? (int) a->n_pairs : -1;
  if (slot < 0)
    return -1;
  p = &a->pairs[slot];
  memset (p, 0, sizeof *p);
  p->local = local;
  p->remote = remote;
  p->component = a->local[local].c.component;
  p->prio = prio;
  p->in_checklist = origin != PAIR_VALID;
  {
    /* Pair foundation: local and remote foundations joined (§6.1.2.6). */
    size_t ll = strnlen (a->local[local].c.foundation, ICE_FOUNDATION_MAX);
    size_t rl = strnlen (a->remote[remote].foundation, ICE_FOUNDATION_MAX);
    memcpy (p->foundation, a->local[local].c.foundation, ll);
    p->foundation[ll] = ':';
    memcpy (p->foundation + ll + 1, a->remote[remote].foundation, rl);
    p->foundation[ll + 1 + rl] = '\0';
  }
  /* Frozen while another pair of the foundation is being checked; its
   * success unfreezes this one (§6.1.2.6, and RFC 8838 for late pairs). */
  p->state = foundation_active (a, p->foundation, slot) ? PAIR_FROZEN : PAIR_WAITING;
  if (slot == (int) a->n_pairs)
    a->n_pairs++;
  return slot;
}

bool
checklist_local_released (const ice_agent *a, int local)
{
  return a->local[local].turn >= 0 && a->allocs[a->local[local].turn].released;
}

static bool
pairable (const ice_agent *a, int l, int r)
{
  const ice_cand *lc = &a->local[l].c, *rc = &a->remote[r];

  if (checklist_local_released (a, l))
    return false;
  /* §6.1.2.4: server-reflexive candidates are replaced by their bases,
   * which makes them redundant with the host pairs; prflx locals are only
   * learned from checks. */
  if (lc->type != ICE_CAND_HOST && lc->type != ICE_CAND_RELAY)
    return false;
  if (a->cfg.relay_only && lc->type != ICE_CAND_RELAY)
    return false;
  if (lc->component != rc->component || lc->component > a->n_components)
    return false;
  if (lc->addr.family != rc->addr.family)
    return false;
  /* A link-local address reaches only link-local peers. */
  if (ice_addr_is_link_local (&lc->addr) != ice_addr_is_link_local (&rc->addr))
    return false;
  return true;
}

void
checklist_pair_local (ice_agent *a, int local)
{
  size_t r;

  for (r = 0; r < a->n_remote; r++)
    if (pairable (a, local, (int) r))
      checklist_add_pair (a, local, (int) r, PAIR_FORMED);
}

void
checklist_pair_remote (ice_agent *a, int remote)
{
  size_t l;

  for (l = 0; l < a->n_local; l++)
    if (pairable (a, (int) l, remote))
      checklist_add_pair (a, (int) l, remote, PAIR_FORMED);
}

void
checklist_recompute (ice_agent *a)
{
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    a->pairs[i].prio = pair_priority (a, a->pairs[i].local, a->pairs[i].remote);
}

void
checklist_trigger (ice_agent *a, int p)
{
  pair *q = &a->pairs[p];

  if (q->state != PAIR_IN_PROGRESS && q->state != PAIR_SUCCEEDED)
    q->state = PAIR_WAITING;
  if (q->triggered || a->n_triggered == MAX_PAIRS)
    return;
  q->triggered = true;
  a->triggered[a->n_triggered++] = p;
}

void
checklist_unfreeze_foundation (ice_agent *a, const char *foundation)
{
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].state == PAIR_FROZEN && strcmp (a->pairs[i].foundation, foundation) == 0)
      a->pairs[i].state = PAIR_WAITING;
}

/* A component whose checks are over: it has a selected pair of this ICE
 * session (not one kept across a restart). */
static bool
comp_done (const ice_agent *a, unsigned c)
{
  return a->comp[c].has_selected && a->comp[c].sel_pair >= 0;
}

static bool
triggered_eligible (const ice_agent *a, int p)
{
  const pair *q = &a->pairs[p];

  if (q->component > a->n_components || q->txn_active)
    return false;
  if (q->state == PAIR_SUCCEEDED && !q->nominating)
    return false;
  /* Controlling and done: nothing more to learn. The controlled side keeps
   * answering with triggered checks (aggressive nomination moves on). */
  if (a->role == ICE_ROLE_CONTROLLING && comp_done (a, q->component) && !q->nominating)
    return false;
  return true;
}

static int
pick_triggered (const ice_agent *a)
{
  size_t i;

  for (i = 0; i < a->n_triggered; i++)
    if (triggered_eligible (a, a->triggered[i]))
      return (int) i;
  return -1;
}

/* The highest-priority Waiting pair, else the highest-priority Frozen pair
 * whose foundation has nothing Waiting or In-Progress (§6.1.4.2). */
static int
pick_ordinary (const ice_agent *a)
{
  int best = -1, frozen = -1;
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    {
      const pair *q = &a->pairs[i];
      if (!q->in_checklist || q->component > a->n_components || comp_done (a, q->component)
          || q->txn_active)
        continue;
      if (q->state == PAIR_WAITING && (best < 0 || q->prio > a->pairs[best].prio))
        best = (int) i;
      else if (q->state == PAIR_FROZEN && (frozen < 0 || q->prio > a->pairs[frozen].prio)
               && !foundation_active (a, q->foundation, (int) i))
        frozen = (int) i;
    }
  return best >= 0 ? best : frozen;
}

bool
checklist_has_work (const ice_agent *a)
{
  if (a->rpwd[0] == '\0' || a->failed)
    return false;
  return pick_triggered (a) >= 0 || pick_ordinary (a) >= 0;
}

bool
checklist_next (ice_agent *a, uint64_t now, bool triggered_only)
{
  int i, p;

  if (a->rpwd[0] == '\0' || a->failed)
    return false;
  if (triggered_only)
    {
      i = pick_triggered (a);
      if (i < 0)
        return false;
      p = a->triggered[i];
      /* Entries before it are stale (already checked or moot): drop them
       * along with it. */
      for (int k = 0; k <= i; k++)
        a->pairs[a->triggered[k]].triggered = false;
      memmove (a->triggered, a->triggered + i + 1,
               (a->n_triggered - (size_t) i - 1) * sizeof *a->triggered);
      a->n_triggered -= (size_t) i + 1;
      return conncheck_send (a, now, p, a->pairs[p].nominating, TAG (TAG_CHECK, p)) == 0;
    }
  p = pick_ordinary (a);
  if (p < 0)
    return false;
  if (conncheck_send (a, now, p, false, TAG (TAG_CHECK, p)) < 0)
    {
      a->pairs[p].state = PAIR_FAILED; /* cannot be sent: never pick it again */
      return false;
    }
  return true;
}

void
checklist_update_selection (ice_agent *a, uint64_t now, unsigned c)
{
  agent_comp *k = &a->comp[c];
  ice_event ev = { .type = ICE_EVENT_SELECTED_PAIR, .component = c };
  int best = -1;
  size_t i;
  bool all;

  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].component == c && a->pairs[i].valid && a->pairs[i].nominated
        && (best < 0 || a->pairs[i].prio > a->pairs[best].prio))
      best = (int) i;
  if (best < 0 || best == k->sel_pair)
    return;
  k->sel_pair = best;
  k->sel_local = a->pairs[best].local;
  k->sel_remote = a->remote[a->pairs[best].remote].addr;
  k->has_selected = true;
  k->sel_info.local = a->local[k->sel_local].c;
  k->sel_info.remote = a->remote[a->pairs[best].remote];
  k->sel_info.rtt_us = a->pairs[best].rtt_us;
  k->consent_ok_us = now;
  k->consent_lost = false;
  k->last_sent_us = now;
  k->next_consent_us = now + conncheck_consent_interval_us (a);
  k->give_up_us = 0;
  if (a->local[k->sel_local].turn >= 0)
    {
      /* Media over the relay: a channel keeps the per-packet overhead at
       * 4 bytes instead of a Send indication's 36. */
      turn_alloc *t = &a->allocs[a->local[k->sel_local].turn];
      if (t->client)
        {
          ice_turn_client_bind_channel (t->client, now, &k->sel_remote);
          gather_drain_turn (a, t);
        }
    }
  ev.pair = k->sel_info;
  agent_push_event (a, &ev);
  agent_set_comp_state (a, c, ICE_COMP_CONNECTED);
  all = true;
  for (unsigned d = 1; d <= a->n_components; d++)
    all = all && comp_done (a, d);
  if (all)
    {
      a->restarting = false;
      a->completed_at = now;
    }
}

static int
best_valid (const ice_agent *a, unsigned c)
{
  int best = -1;
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].component == c && a->pairs[i].valid
        && (best < 0 || a->pairs[i].prio > a->pairs[best].prio))
      best = (int) i;
  return best;
}

/* How long the controlling agent holds out for a better pair than the best
 * valid one. A relayed pair waits longer: a direct path that is still being
 * punched through a NAT is worth a few retransmissions. */
static uint64_t
nominate_delay_us (const ice_agent *a, int bv)
{
  const pair *q = &a->pairs[bv];
  uint64_t d = (uint64_t) a->cfg.nominate_delay_ms * 1000;

  if (a->local[q->local].c.type == ICE_CAND_RELAY || a->remote[q->remote].type == ICE_CAND_RELAY)
    d *= 4;
  return d;
}

/* Being checked, or still to be. */
static bool
pair_pending (const pair *q)
{
  return q->txn_active || q->triggered
         || (q->in_checklist && (q->state == PAIR_WAITING || q->state == PAIR_FROZEN));
}

static bool
comp_checks_pending (const ice_agent *a, unsigned c, uint64_t above_prio)
{
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].component == c && a->pairs[i].prio > above_prio && pair_pending (&a->pairs[i]))
      return true;
  return false;
}

/* A direct valid pair is not worth waiting long for a better one: a
 * higher-priority pair whose check has been out for the round trip the
 * valid pair took, plus one Ta of pacing, would have been answered by now
 * if its path worked (it is no longer than the valid pair's: it only swaps
 * a reflexive address for a host one, or crosses fewer NATs). When every
 * such pair is that late; UINT64_MAX while one has not been checked yet,
 * or when the valid pair is relayed (a direct path still being punched
 * through a NAT answers late) unless UDP is blocked here, where pairs from
 * our own UDP sockets cannot work. */
static uint64_t
better_pairs_overdue_at (const ice_agent *a, unsigned c, int bv)
{
  const pair *v = &a->pairs[bv];
  uint64_t at = 0, grace = v->rtt_us + agent_ta_us (a);
  size_t i;

  if (!a->udp_blocked
      && (a->local[v->local].c.type == ICE_CAND_RELAY || a->remote[v->remote].type == ICE_CAND_RELAY))
    return UINT64_MAX;
  for (i = 0; i < a->n_pairs; i++)
    {
      const pair *q = &a->pairs[i];
      if (q->component != c || q->prio <= v->prio || !pair_pending (q))
        continue;
      if (a->udp_blocked && a->local[q->local].c.type != ICE_CAND_RELAY)
        continue;
      if (q->first_check_us == 0)
        return UINT64_MAX;
      if (q->first_check_us + grace > at)
        at = q->first_check_us + grace;
    }
  return at;
}

static ice_fail_reason
failure_reason (const ice_agent *a, unsigned c)
{
  bool any = false, all_timed_out = true, turn_refused = false;
  size_t i;

  /* Timed out: no pair got an answer, error or not (pairs still being
   * checked when the connect timeout strikes count as unanswered). */
  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].component == c)
      {
        any = true;
        all_timed_out = all_timed_out && (a->pairs[i].state != PAIR_FAILED || a->pairs[i].timed_out);
      }
  for (i = 0; i < a->n_allocs; i++)
    turn_refused = turn_refused || a->allocs[i].refused;
  if (!any)
    return ICE_FAIL_NO_REMOTE_CANDIDATES;
  if (turn_refused)
    return ICE_FAIL_TURN_REFUSED;
  return all_timed_out ? ICE_FAIL_CHECKS_TIMED_OUT : ICE_FAIL_CHECKS_FAILED;
}

/* Controlled and holding valid pairs, we wait this long after our own
 * checks are over for the controlling agent to nominate. */
#define NOMINATION_WAIT_US (10 * 1000000ull)

static bool
all_components_valid (const ice_agent *a)
{
  unsigned c;

  for (c = 1; c <= a->n_components; c++)
    if (!comp_done (a, c) && best_valid (a, c) < 0)
      return false;
  return true;
}

/* Regular nomination (§8.1.1): once every component has a valid pair, the
 * controlling agent nominates the best one when no better pair is still
 * being checked, or when the nomination delay has run out. When that is
 * due; UINT64_MAX when it is not for now. Shared by evaluate and the timer
 * so that they always agree. */
static uint64_t
nominate_at (const ice_agent *a, unsigned c, bool all_valid)
{
  const agent_comp *k = &a->comp[c];
  uint64_t at, overdue;
  int bv;

  if (a->role != ICE_ROLE_CONTROLLING || k->nominating || comp_done (a, c) || !all_valid
      || k->first_valid_us == 0)
    return UINT64_MAX;
  bv = best_valid (a, c);
  if (bv < 0)
    return UINT64_MAX;
  if (!comp_checks_pending (a, c, a->pairs[bv].prio))
    return k->first_valid_us;
  at = k->first_valid_us + nominate_delay_us (a, bv);
  overdue = better_pairs_overdue_at (a, c, bv);
  return overdue < at ? overdue : at;
}

/* a=remote-candidates (we are controlled): the valid pair whose local
 * candidate the controlling agent named is selected. */
static void
apply_remote_selection (ice_agent *a, uint64_t now, unsigned c)
{
  agent_comp *k = &a->comp[c];
  size_t i;

  if (a->role != ICE_ROLE_CONTROLLED || !k->have_remote_selection)
    return;
  for (i = 0; i < a->n_pairs; i++)
    if (a->pairs[i].component == c && a->pairs[i].valid && !a->pairs[i].nominated
        && ice_addr_equal (&a->local[a->pairs[i].local].c.addr, &k->remote_selection))
      {
        a->pairs[i].nominated = true;
        checklist_update_selection (a, now, c);
      }
}

/* Without end-of-candidates the list never "ends": this bounds it. */
static uint64_t
connect_deadline (const ice_agent *a)
{
  if (!a->checks_started)
    return UINT64_MAX;
  return a->checks_started_us + (uint64_t) a->cfg.connect_timeout_ms * 1000;
}

void
checklist_evaluate (ice_agent *a, uint64_t now)
{
  unsigned c;
  bool all_valid;

  if (a->failed || a->rpwd[0] == '\0')
    return;
  all_valid = all_components_valid (a);
  for (c = 1; c <= a->n_components; c++)
    {
      agent_comp *k = &a->comp[c];
      int bv;

      if (!comp_done (a, c) && now >= connect_deadline (a))
        {
          agent_fail (a, failure_reason (a, c));
          return;
        }

      apply_remote_selection (a, now, c);
      if (comp_done (a, c))
        {
          k->give_up_us = 0;
          continue;
        }
      bv = best_valid (a, c);
      if (a->role == ICE_ROLE_CONTROLLING && bv >= 0 && all_valid && k->first_valid_us == 0)
        k->first_valid_us = now;
      if (now >= nominate_at (a, c, all_valid))
        {
          k->nominating = true;
          a->pairs[bv].nominating = true;
          checklist_trigger (a, bv);
        }
      if (comp_checks_pending (a, c, 0) || !a->remote_done || !a->gathering_done
          || (a->role == ICE_ROLE_CONTROLLING && (k->nominating || bv >= 0)))
        {
          /* Still working (a controlling agent with a valid pair retries
           * its nomination with the next one). */
          k->give_up_us = 0;
          continue;
        }
      if (bv >= 0)
        {
          if (k->give_up_us == 0)
            k->give_up_us = now + NOMINATION_WAIT_US;
          if (now < k->give_up_us)
            continue;
        }
      agent_fail (a, failure_reason (a, c));
      return;
    }
}

uint64_t
checklist_next_timeout (const ice_agent *a)
{
  uint64_t t = UINT64_MAX, d;
  bool all_valid;
  unsigned c;

  if (a->failed || a->rpwd[0] == '\0')
    return t;
  all_valid = all_components_valid (a);
  for (c = 1; c <= a->n_components; c++)
    {
      if (!comp_done (a, c))
        t = connect_deadline (a) < t ? connect_deadline (a) : t;
      d = nominate_at (a, c, all_valid);
      t = d < t ? d : t;
      if (a->comp[c].give_up_us && a->comp[c].give_up_us < t)
        t = a->comp[c].give_up_us;
    }
  return t;
}

void
checklist_clear (ice_agent *a)
{
  size_t i;

  for (i = 0; i < a->n_pairs; i++)
    {
      if (a->pairs[i].txn_active)
        ice_stun_txns_cancel (a->txns, &a->pairs[i].txid);
      if (a->pairs[i].old_active)
        ice_stun_txns_cancel (a->txns, &a->pairs[i].old_txid);
    }
  a->n_pairs = 0;
  a->n_triggered = 0;
}
