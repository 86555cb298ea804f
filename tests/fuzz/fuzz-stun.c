/* libFuzzer target for the STUN decoder: parse, every typed getter, the
 * integrity checks, the 420 path with the writer, and the transaction
 * table's response matching on the same bytes. */
#include "ice/stun-msg.h"
#include "ice/stun-txn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t len);

static void
read_everything (const ice_stun_msg *m)
{
  for (size_t i = 0; i < m->n_attrs; i++)
    {
      uint16_t type = m->attrs[i].type;
      ice_addr a;
      uint32_t u32;
      uint64_t u64;
      const uint8_t *p;
      size_t plen;
      char s[128];
      int fam;
      ice_stun_msg_get_addr (m, type, &a);
      ice_stun_msg_get_xor_addr (m, type, &a);
      ice_stun_msg_get_u32 (m, type, &u32);
      ice_stun_msg_get_u64 (m, type, &u64);
      ice_stun_msg_get_bytes (m, type, &p, &plen);
      ice_stun_msg_get_string (m, type, s, sizeof s);
      ice_stun_msg_get_address_family (m, type, &fam);
    }
  int code;
  char reason[32];
  uint16_t list[16], ch, alg;
  ice_stun_msg_get_error (m, &code, reason, sizeof reason);
  ice_stun_msg_get_unknown_attrs (m, list, 16);
  ice_stun_msg_get_password_algorithms (m, list, 16);
  ice_stun_msg_get_password_algorithm (m, &alg);
  ice_stun_msg_get_channel_number (m, &ch);
  ice_stun_msg_check_integrity (m, "VOkJxbRl1RmTxUk/WvJxBt", 22);
  ice_stun_msg_check_integrity_sha256 (m, "key", 3);
  ice_stun_msg_check_auth (m, "", 0);
}

/* A request with unknown comprehension-required attributes gets a 420;
 * any other request a success echoing what the server would. */
static void
answer (const ice_stun_msg *m)
{
  uint8_t out[512];
  ice_stun_writer w;
  uint16_t unknown[16];
  int n = ice_stun_msg_unknown_required (m, unknown, 16);
  if (n > 0)
    {
      ice_stun_writer_init_response (&w, out, sizeof out, m,
                                     ICE_STUN_CLASS_ERROR);
      ice_stun_add_error (&w, ICE_STUN_ERR_UNKNOWN_ATTRIBUTE, NULL);
      ice_stun_add_unknown_attrs (&w, unknown, n < 16 ? (size_t) n : 16);
    }
  else
    {
      ice_addr a;
      ice_addr_set (&a, "192.0.2.1", 32853);
      ice_stun_writer_init_response (&w, out, sizeof out, m,
                                     ICE_STUN_CLASS_SUCCESS);
      ice_stun_add_xor_addr (&w, ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, &a);
    }
  ice_stun_add_integrity (&w, "k", 1);
  ice_stun_add_fingerprint (&w);
  int len = ice_stun_writer_finish (&w);
  ice_stun_msg back;
  if (len > 0 && ice_stun_msg_parse (out, (size_t) len, &back) != 0)
    abort (); /* what we write must parse */
}

/* Feeds the bytes to a table holding a transaction with the same ID, so
 * matching and integrity run on them. */
static void
match (const uint8_t *data, size_t len)
{
  if (len < ICE_STUN_HEADER_LEN)
    return;
  ice_stun_txid id;
  memcpy (id.b, data + 8, sizeof id.b);
  uint8_t req[64];
  ice_stun_writer w;
  ice_stun_writer_init (&w, req, sizeof req,
                        ice_stun_type_method ((uint16_t) (data[0] << 8
                                                          | data[1])),
                        ICE_STUN_CLASS_REQUEST, &id);
  int rlen = ice_stun_writer_finish (&w);
  if (rlen < 0)
    return;
  ice_stun_txns *t = ice_stun_txns_new (NULL);
  if (t == NULL)
    return;
  ice_stun_txn_request r;
  memset (&r, 0, sizeof r);
  r.data = req;
  r.len = (size_t) rlen;
  r.key = (const uint8_t *) "k";
  r.keylen = data[len - 1] & 1; /* with and without a key */
  if (r.keylen == 0)
    r.key = NULL;
  if (ice_stun_txns_start (t, 0, &r) == 0)
    {
      ice_stun_txn_event ev;
      ice_stun_txns_handle_packet (t, 1, NULL, NULL, data, len);
      while (ice_stun_txns_poll_event (t, &ev))
        if (ev.kind == ICE_STUN_TXN_RESPONSE)
          read_everything (&ev.msg);
    }
  ice_stun_txns_free (t);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t len)
{
  ice_stun_msg m;
  ice_stun_is_message (data, len);
  ice_stun_frame_length (data, len);
  if (ice_stun_msg_parse (data, len, &m) == 0)
    {
      read_everything (&m);
      if (m.cls == ICE_STUN_CLASS_REQUEST)
        answer (&m);
    }
  match (data, len);
  return 0;
}
