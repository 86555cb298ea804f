/* STUN message header, attribute writing and reading (RFC 8489 sections 5
 * and 14).  Integrity, fingerprint and keys live in stun-auth.c. */
#include "stun-msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#define FAMILY_IPV4 0x01
#define FAMILY_IPV6 0x02
/* ERROR-CODE reason phrase: at most 128 characters, 763 bytes of UTF-8. */
#define MAX_REASON_LEN 763

static uint16_t
rd16 (const uint8_t *p)
{
  return (uint16_t) ((p[0] << 8) | p[1]);
}

static uint32_t
rd32 (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
         | ((uint32_t) p[2] << 8) | p[3];
}

static void
wr16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static void
wr32 (uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t) (v >> 24);
  p[1] = (uint8_t) (v >> 16);
  p[2] = (uint8_t) (v >> 8);
  p[3] = (uint8_t) v;
}

static size_t
pad4 (size_t n)
{
  return (n + 3) & ~(size_t) 3;
}

/* ------------------------------------------------------------ identifiers */

int
ice_stun_txid_new (ice_stun_txid *txid)
{
  return RAND_bytes (txid->b, sizeof txid->b) == 1 ? 0 : -EIO;
}

bool
ice_stun_txid_equal (const ice_stun_txid *a, const ice_stun_txid *b)
{
  return memcmp (a->b, b->b, sizeof a->b) == 0;
}

/* The type interleaves method bits M0-M11 with class bits C0 (bit 4) and
 * C1 (bit 8). */
uint16_t
ice_stun_msg_type (uint16_t method, uint8_t cls)
{
  return (uint16_t) ((method & 0x000F) | ((method & 0x0070) << 1)
                     | ((method & 0x0F80) << 2) | ((cls & 1) << 4)
                     | ((cls & 2) << 7));
}

uint16_t
ice_stun_type_method (uint16_t type)
{
  return (uint16_t) ((type & 0x000F) | ((type & 0x00E0) >> 1)
                     | ((type & 0x3E00) >> 2));
}

uint8_t
ice_stun_type_class (uint16_t type)
{
  return (uint8_t) (((type >> 4) & 1) | ((type >> 7) & 2));
}

const char *
ice_stun_method_name (uint16_t method)
{
  switch (method)
    {
    case ICE_STUN_METHOD_BINDING:
      return "Binding";
    case ICE_STUN_METHOD_ALLOCATE:
      return "Allocate";
    case ICE_STUN_METHOD_REFRESH:
      return "Refresh";
    case ICE_STUN_METHOD_SEND:
      return "Send";
    case ICE_STUN_METHOD_DATA:
      return "Data";
    case ICE_STUN_METHOD_CREATE_PERMISSION:
      return "CreatePermission";
    case ICE_STUN_METHOD_CHANNEL_BIND:
      return "ChannelBind";
    default:
      return "unknown";
    }
}

const char *
ice_stun_class_name (uint8_t cls)
{
  switch (cls)
    {
    case ICE_STUN_CLASS_REQUEST:
      return "request";
    case ICE_STUN_CLASS_INDICATION:
      return "indication";
    case ICE_STUN_CLASS_SUCCESS:
      return "success response";
    case ICE_STUN_CLASS_ERROR:
      return "error response";
    default:
      return "unknown";
    }
}

static const struct
{
  uint16_t type;
  const char *name;
} attr_names[] = {
  { ICE_STUN_ATTR_MAPPED_ADDRESS, "MAPPED-ADDRESS" },
  { ICE_STUN_ATTR_USERNAME, "USERNAME" },
  { ICE_STUN_ATTR_MESSAGE_INTEGRITY, "MESSAGE-INTEGRITY" },
  { ICE_STUN_ATTR_ERROR_CODE, "ERROR-CODE" },
  { ICE_STUN_ATTR_UNKNOWN_ATTRIBUTES, "UNKNOWN-ATTRIBUTES" },
  { ICE_STUN_ATTR_CHANNEL_NUMBER, "CHANNEL-NUMBER" },
  { ICE_STUN_ATTR_LIFETIME, "LIFETIME" },
  { ICE_STUN_ATTR_XOR_PEER_ADDRESS, "XOR-PEER-ADDRESS" },
  { ICE_STUN_ATTR_DATA, "DATA" },
  { ICE_STUN_ATTR_REALM, "REALM" },
  { ICE_STUN_ATTR_NONCE, "NONCE" },
  { ICE_STUN_ATTR_XOR_RELAYED_ADDRESS, "XOR-RELAYED-ADDRESS" },
  { ICE_STUN_ATTR_REQUESTED_ADDRESS_FAMILY, "REQUESTED-ADDRESS-FAMILY" },
  { ICE_STUN_ATTR_EVEN_PORT, "EVEN-PORT" },
  { ICE_STUN_ATTR_REQUESTED_TRANSPORT, "REQUESTED-TRANSPORT" },
  { ICE_STUN_ATTR_DONT_FRAGMENT, "DONT-FRAGMENT" },
  { ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "MESSAGE-INTEGRITY-SHA256" },
  { ICE_STUN_ATTR_PASSWORD_ALGORITHM, "PASSWORD-ALGORITHM" },
  { ICE_STUN_ATTR_USERHASH, "USERHASH" },
  { ICE_STUN_ATTR_XOR_MAPPED_ADDRESS, "XOR-MAPPED-ADDRESS" },
  { ICE_STUN_ATTR_RESERVATION_TOKEN, "RESERVATION-TOKEN" },
  { ICE_STUN_ATTR_PRIORITY, "PRIORITY" },
  { ICE_STUN_ATTR_USE_CANDIDATE, "USE-CANDIDATE" },
  { ICE_STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, "ADDITIONAL-ADDRESS-FAMILY" },
  { ICE_STUN_ATTR_ADDRESS_ERROR_CODE, "ADDRESS-ERROR-CODE" },
  { ICE_STUN_ATTR_PASSWORD_ALGORITHMS, "PASSWORD-ALGORITHMS" },
  { ICE_STUN_ATTR_ALTERNATE_DOMAIN, "ALTERNATE-DOMAIN" },
  { ICE_STUN_ATTR_ICMP, "ICMP" },
  { ICE_STUN_ATTR_SOFTWARE, "SOFTWARE" },
  { ICE_STUN_ATTR_ALTERNATE_SERVER, "ALTERNATE-SERVER" },
  { ICE_STUN_ATTR_FINGERPRINT, "FINGERPRINT" },
  { ICE_STUN_ATTR_ICE_CONTROLLED, "ICE-CONTROLLED" },
  { ICE_STUN_ATTR_ICE_CONTROLLING, "ICE-CONTROLLING" },
  { ICE_STUN_ATTR_RESPONSE_ORIGIN, "RESPONSE-ORIGIN" },
  { ICE_STUN_ATTR_OTHER_ADDRESS, "OTHER-ADDRESS" },
};

const char *
ice_stun_attr_name (uint16_t type)
{
  for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
    if (attr_names[i].type == type)
      return attr_names[i].name;
  return "unknown";
}

bool
ice_stun_attr_is_known (uint16_t type)
{
  for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
    if (attr_names[i].type == type)
      return true;
  return false;
}

const char *
ice_stun_error_reason (int code)
{
  switch (code)
    {
    case 300:
      return "Try Alternate";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthenticated";
    case 403:
      return "Forbidden";
    case 405:
      return "Mobility Forbidden";
    case 420:
      return "Unknown Attribute";
    case 437:
      return "Allocation Mismatch";
    case 438:
      return "Stale Nonce";
    case 440:
      return "Address Family not Supported";
    case 441:
      return "Wrong Credentials";
    case 442:
      return "Unsupported Transport Protocol";
    case 443:
      return "Peer Address Family Mismatch";
    case 486:
      return "Allocation Quota Reached";
    case 487:
      return "Role Conflict";
    case 500:
      return "Server Error";
    case 508:
      return "Insufficient Capacity";
    default:
      return "Error";
    }
}

/* --------------------------------------------------------- demultiplexing */

bool
ice_stun_is_message (const uint8_t *data, size_t len)
{
  if (data == NULL || len < ICE_STUN_HEADER_LEN || (data[0] & 0xC0) != 0)
    return false;
  size_t body = rd16 (data + 2);
  return (body & 3) == 0 && body + ICE_STUN_HEADER_LEN == len
         && rd32 (data + 4) == ICE_STUN_MAGIC_COOKIE;
}

int
ice_stun_frame_length (const uint8_t *data, size_t len)
{
  if (data == NULL || len < 4)
    return -EAGAIN;
  if ((data[0] & 0xC0) != 0)
    return -EBADMSG;
  size_t body = rd16 (data + 2);
  if ((body & 3) != 0)
    return -EBADMSG;
  if (len >= 8 && rd32 (data + 4) != ICE_STUN_MAGIC_COOKIE)
    return -EBADMSG;
  return (int) (body + ICE_STUN_HEADER_LEN);
}

/* ---------------------------------------------------------------- writing */

static int
writer_fail (ice_stun_writer *w, int err)
{
  if (w->err == 0)
    w->err = err;
  return w->err;
}

void
ice_stun_writer_init (ice_stun_writer *w, uint8_t *buf, size_t cap,
                      uint16_t method, uint8_t cls, const ice_stun_txid *txid)
{
  memset (w, 0, sizeof *w);
  w->buf = buf;
  w->cap = cap;
  if (buf == NULL || cap < ICE_STUN_HEADER_LEN)
    {
      writer_fail (w, -ENOBUFS);
      return;
    }
  if (method > 0xFFF || cls > 3)
    {
      writer_fail (w, -EINVAL);
      return;
    }
  wr16 (buf, ice_stun_msg_type (method, cls));
  wr16 (buf + 2, 0);
  wr32 (buf + 4, ICE_STUN_MAGIC_COOKIE);
  if (txid != NULL)
    memcpy (buf + 8, txid->b, ICE_STUN_TXID_LEN);
  else if (RAND_bytes (buf + 8, ICE_STUN_TXID_LEN) != 1)
    {
      writer_fail (w, -EIO);
      return;
    }
  w->len = ICE_STUN_HEADER_LEN;
}

void
ice_stun_writer_init_response (ice_stun_writer *w, uint8_t *buf, size_t cap,
                               const struct ice_stun_msg *request,
                               uint8_t cls)
{
  ice_stun_writer_init (w, buf, cap, request->method, cls, &request->txid);
}

void
ice_stun_writer_txid (const ice_stun_writer *w, ice_stun_txid *out)
{
  if (w->buf != NULL && w->cap >= ICE_STUN_HEADER_LEN)
    memcpy (out->b, w->buf + 8, ICE_STUN_TXID_LEN);
  else
    memset (out->b, 0, ICE_STUN_TXID_LEN);
}

/* Reserves an attribute of value length len and returns where its value
 * goes (padding already zeroed), or NULL with w->err set.  The header
 * length always covers what is written, so the buffer is a valid message
 * after every step (integrity and fingerprint rely on it). */
static uint8_t *
writer_reserve (ice_stun_writer *w, uint16_t type, size_t len)
{
  if (w->err != 0)
    return NULL;
  if (w->has_fingerprint)
    {
      writer_fail (w, -EINVAL);
      return NULL;
    }
  /* Receivers ignore whatever follows the integrity attributes. */
  if (w->has_integrity_sha256 && type != ICE_STUN_ATTR_FINGERPRINT)
    {
      writer_fail (w, -EINVAL);
      return NULL;
    }
  if (w->has_integrity && type != ICE_STUN_ATTR_FINGERPRINT
      && type != ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
    {
      writer_fail (w, -EINVAL);
      return NULL;
    }
  if (len > 0xFFFF)
    {
      writer_fail (w, -EINVAL);
      return NULL;
    }
  size_t total = ICE_STUN_ATTR_HEADER_LEN + pad4 (len);
  if (total > w->cap - w->len || w->len + total > ICE_STUN_MAX_MSG_LEN)
    {
      writer_fail (w, -ENOBUFS);
      return NULL;
    }
  uint8_t *p = w->buf + w->len;
  wr16 (p, type);
  wr16 (p + 2, (uint16_t) len);
  memset (p + ICE_STUN_ATTR_HEADER_LEN + len, 0, pad4 (len) - len);
  w->len += total;
  wr16 (w->buf + 2, (uint16_t) (w->len - ICE_STUN_HEADER_LEN));
  return p + ICE_STUN_ATTR_HEADER_LEN;
}

int
ice_stun_add_bytes (ice_stun_writer *w, uint16_t type, const void *value,
                    size_t len)
{
  if (value == NULL && len > 0)
    return writer_fail (w, -EINVAL);
  uint8_t *p = writer_reserve (w, type, len);
  if (p == NULL)
    return w->err;
  if (len > 0)
    memcpy (p, value, len);
  return 0;
}

int
ice_stun_add_string (ice_stun_writer *w, uint16_t type, const char *s)
{
  if (s == NULL)
    return writer_fail (w, -EINVAL);
  return ice_stun_add_bytes (w, type, s, strlen (s));
}

int
ice_stun_add_empty (ice_stun_writer *w, uint16_t type)
{
  return ice_stun_add_bytes (w, type, NULL, 0);
}

int
ice_stun_add_u32 (ice_stun_writer *w, uint16_t type, uint32_t v)
{
  uint8_t b[4];
  wr32 (b, v);
  return ice_stun_add_bytes (w, type, b, sizeof b);
}

int
ice_stun_add_u64 (ice_stun_writer *w, uint16_t type, uint64_t v)
{
  uint8_t b[8];
  wr32 (b, (uint32_t) (v >> 32));
  wr32 (b + 4, (uint32_t) v);
  return ice_stun_add_bytes (w, type, b, sizeof b);
}

/* Encodes an address value (family, port, IP) with an optional XOR mask
 * built from the cookie and transaction ID of the message being written. */
static int
add_address (ice_stun_writer *w, uint16_t type, const ice_addr *a, bool xored)
{
  if (w->err != 0)
    return w->err;
  if (a == NULL || (a->family != AF_INET && a->family != AF_INET6))
    return writer_fail (w, -EINVAL);
  size_t iplen = a->family == AF_INET ? 4 : 16;
  uint8_t v[20];
  v[0] = 0;
  v[1] = a->family == AF_INET ? FAMILY_IPV4 : FAMILY_IPV6;
  uint16_t port = a->port;
  memcpy (v + 4, a->ip, iplen);
  if (xored)
    {
      /* mask = magic cookie || transaction ID, already in the header */
      const uint8_t *mask = w->buf + 4;
      port ^= (uint16_t) (ICE_STUN_MAGIC_COOKIE >> 16);
      for (size_t i = 0; i < iplen; i++)
        v[4 + i] ^= mask[i];
    }
  wr16 (v + 2, port);
  return ice_stun_add_bytes (w, type, v, 4 + iplen);
}

int
ice_stun_add_addr (ice_stun_writer *w, uint16_t type, const ice_addr *a)
{
  return add_address (w, type, a, false);
}

int
ice_stun_add_xor_addr (ice_stun_writer *w, uint16_t type, const ice_addr *a)
{
  return add_address (w, type, a, true);
}

int
ice_stun_add_error (ice_stun_writer *w, int code, const char *reason)
{
  if (code < 300 || code > 699)
    return writer_fail (w, -EINVAL);
  if (reason == NULL)
    reason = ice_stun_error_reason (code);
  size_t rlen = strlen (reason);
  if (rlen > MAX_REASON_LEN)
    return writer_fail (w, -EINVAL);
  uint8_t *p = writer_reserve (w, ICE_STUN_ATTR_ERROR_CODE, 4 + rlen);
  if (p == NULL)
    return w->err;
  p[0] = 0;
  p[1] = 0;
  p[2] = (uint8_t) (code / 100);
  p[3] = (uint8_t) (code % 100);
  memcpy (p + 4, reason, rlen);
  return 0;
}

static int
add_u16_list (ice_stun_writer *w, uint16_t type, const uint16_t *v, size_t n,
              bool with_params)
{
  size_t each = with_params ? 4 : 2;
  if (v == NULL && n > 0)
    return writer_fail (w, -EINVAL);
  if (n > 0xFFFF / each)
    return writer_fail (w, -EINVAL);
  uint8_t *p = writer_reserve (w, type, n * each);
  if (p == NULL)
    return w->err;
  for (size_t i = 0; i < n; i++)
    {
      wr16 (p + i * each, v[i]);
      if (with_params)
        wr16 (p + i * each + 2, 0); /* no algorithm parameters */
    }
  return 0;
}

int
ice_stun_add_unknown_attrs (ice_stun_writer *w, const uint16_t *types,
                            size_t n)
{
  return add_u16_list (w, ICE_STUN_ATTR_UNKNOWN_ATTRIBUTES, types, n, false);
}

int
ice_stun_add_password_algorithm (ice_stun_writer *w, uint16_t alg)
{
  return add_u16_list (w, ICE_STUN_ATTR_PASSWORD_ALGORITHM, &alg, 1, true);
}

int
ice_stun_add_password_algorithms (ice_stun_writer *w, const uint16_t *algs,
                                  size_t n)
{
  return add_u16_list (w, ICE_STUN_ATTR_PASSWORD_ALGORITHMS, algs, n, true);
}

int
ice_stun_add_channel_number (ice_stun_writer *w, uint16_t channel)
{
  return ice_stun_add_u32 (w, ICE_STUN_ATTR_CHANNEL_NUMBER,
                           (uint32_t) channel << 16);
}

int
ice_stun_add_requested_transport (ice_stun_writer *w, uint8_t proto)
{
  return ice_stun_add_u32 (w, ICE_STUN_ATTR_REQUESTED_TRANSPORT,
                           (uint32_t) proto << 24);
}

int
ice_stun_add_address_family (ice_stun_writer *w, uint16_t type, int family)
{
  uint8_t f;
  if (family == AF_INET)
    f = FAMILY_IPV4;
  else if (family == AF_INET6)
    f = FAMILY_IPV6;
  else
    return writer_fail (w, -EINVAL);
  return ice_stun_add_u32 (w, type, (uint32_t) f << 24);
}

int
ice_stun_add_even_port (ice_stun_writer *w, bool reserve_next)
{
  uint8_t v = reserve_next ? 0x80 : 0;
  return ice_stun_add_bytes (w, ICE_STUN_ATTR_EVEN_PORT, &v, 1);
}

int
ice_stun_writer_finish (ice_stun_writer *w)
{
  if (w->err != 0)
    return w->err;
  return (int) w->len;
}

/* ---------------------------------------------------------------- reading */

int
ice_stun_msg_parse (const uint8_t *data, size_t len, ice_stun_msg *msg)
{
  memset (msg, 0, sizeof *msg);
  msg->integrity_idx = -1;
  msg->integrity_sha256_idx = -1;
  msg->fingerprint_idx = -1;
  if (!ice_stun_is_message (data, len))
    return -EBADMSG;

  msg->data = data;
  msg->len = len;
  msg->type = rd16 (data);
  msg->method = ice_stun_type_method (msg->type);
  msg->cls = ice_stun_type_class (msg->type);
  memcpy (msg->txid.b, data + 8, ICE_STUN_TXID_LEN);

  size_t pos = ICE_STUN_HEADER_LEN;
  while (pos < len)
    {
      if (len - pos < ICE_STUN_ATTR_HEADER_LEN)
        return -EBADMSG;
      uint16_t type = rd16 (data + pos);
      size_t alen = rd16 (data + pos + 2);
      size_t vpos = pos + ICE_STUN_ATTR_HEADER_LEN;
      if (pad4 (alen) > len - vpos)
        return -EBADMSG;

      /* Nothing may follow FINGERPRINT. */
      if (msg->fingerprint_idx >= 0)
        return -EBADMSG;

      bool index = true;
      if (msg->integrity_sha256_idx >= 0)
        index = type == ICE_STUN_ATTR_FINGERPRINT;
      else if (msg->integrity_idx >= 0)
        index = type == ICE_STUN_ATTR_FINGERPRINT
                || type == ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256;

      if (index)
        {
          switch (type)
            {
            case ICE_STUN_ATTR_MESSAGE_INTEGRITY:
              if (alen != 20)
                return -EBADMSG;
              msg->integrity_idx = (int) msg->n_attrs;
              break;
            case ICE_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
              /* RFC 8489 14.6: 16 to 32 bytes, a multiple of 4 */
              if (alen < 16 || alen > 32 || (alen & 3) != 0)
                return -EBADMSG;
              msg->integrity_sha256_idx = (int) msg->n_attrs;
              break;
            case ICE_STUN_ATTR_FINGERPRINT:
              if (alen != 4 || vpos + 4 != len)
                return -EBADMSG;
              if (rd32 (data + vpos) != ice_stun_fingerprint (data, pos))
                return -EBADMSG;
              msg->fingerprint_idx = (int) msg->n_attrs;
              break;
            default:
              break;
            }
          if (msg->n_attrs == ICE_STUN_MAX_ATTRS)
            return -EBADMSG;
          ice_stun_attr *a = &msg->attrs[msg->n_attrs++];
          a->type = type;
          a->len = (uint16_t) alen;
          a->value = data + vpos;
          a->offset = (uint16_t) pos;
        }
      pos = vpos + pad4 (alen);
    }
  return 0;
}

const ice_stun_attr *
ice_stun_msg_find (const ice_stun_msg *msg, uint16_t type)
{
  for (size_t i = 0; i < msg->n_attrs; i++)
    if (msg->attrs[i].type == type)
      return &msg->attrs[i];
  return NULL;
}

bool
ice_stun_msg_has (const ice_stun_msg *msg, uint16_t type)
{
  return ice_stun_msg_find (msg, type) != NULL;
}

static int
get_address (const ice_stun_msg *msg, uint16_t type, ice_addr *out,
             bool xored)
{
  const ice_stun_attr *a = ice_stun_msg_find (msg, type);
  if (a == NULL)
    return -ENOENT;
  if (a->len < 4)
    return -EBADMSG;
  size_t iplen;
  switch (a->value[1])
    {
    case FAMILY_IPV4:
      iplen = 4;
      break;
    case FAMILY_IPV6:
      iplen = 16;
      break;
    default:
      return -EBADMSG;
    }
  if (a->len != 4 + iplen)
    return -EBADMSG;
  memset (out, 0, sizeof *out);
  out->family = iplen == 4 ? AF_INET : AF_INET6;
  out->port = rd16 (a->value + 2);
  memcpy (out->ip, a->value + 4, iplen);
  if (xored)
    {
      const uint8_t *mask = msg->data + 4; /* cookie || transaction ID */
      out->port ^= (uint16_t) (ICE_STUN_MAGIC_COOKIE >> 16);
      for (size_t i = 0; i < iplen; i++)
        out->ip[i] ^= mask[i];
    }
  return 0;
}

int
ice_stun_msg_get_addr (const ice_stun_msg *msg, uint16_t type, ice_addr *out)
{
  return get_address (msg, type, out, false);
}

int
ice_stun_msg_get_xor_addr (const ice_stun_msg *msg, uint16_t type,
                           ice_addr *out)
{
  return get_address (msg, type, out, true);
}

int
ice_stun_msg_get_u32 (const ice_stun_msg *msg, uint16_t type, uint32_t *out)
{
  const ice_stun_attr *a = ice_stun_msg_find (msg, type);
  if (a == NULL)
    return -ENOENT;
  if (a->len != 4)
    return -EBADMSG;
  *out = rd32 (a->value);
  return 0;
}

int
ice_stun_msg_get_u64 (const ice_stun_msg *msg, uint16_t type, uint64_t *out)
{
  const ice_stun_attr *a = ice_stun_msg_find (msg, type);
  if (a == NULL)
    return -ENOENT;
  if (a->len != 8)
    return -EBADMSG;
  *out = ((uint64_t) rd32 (a->value) << 32) | rd32 (a->value + 4);
  return 0;
}

int
ice_stun_msg_get_bytes (const ice_stun_msg *msg, uint16_t type,
                        const uint8_t **value, size_t *len)
{
  const ice_stun_attr *a = ice_stun_msg_find (msg, type);
  if (a == NULL)
    return -ENOENT;
  *value = a->value;
  *len = a->len;
  return 0;
}

int
ice_stun_msg_get_string (const ice_stun_msg *msg, uint16_t type, char *buf,
                         size_t cap)
{
  const ice_stun_attr *a = ice_stun_msg_find (msg, type);
  if (a == NULL)
    return -ENOENT;
  if (buf == NULL || cap <= a->len)
    return -ENOBUFS;
  memcpy (buf, a->value, a->len);
  buf[a->len] = '\0';
  return a->len;
}

int
ice_stun_msg_get_error (const ice_stun_msg *msg, int *code, char *reason,
                        size_t reason_cap)
{
  const ice_stun_attr *a = ice_stun_msg_find (msg, ICE_STUN_ATTR_ERROR_CODE);
  if (a == NULL)
    return -ENOENT;
  if (a->len < 4)
    return -EBADMSG;
  int cls = a->value[2] & 0x07;
  int number = a->value[3];
  if (cls < 3 || cls > 6 || number > 99)
    return -EBADMSG;
  *code = cls * 100 + number;
  if (reason != NULL && reason_cap > 0)
    {
      size_t n = a->len - 4u;
      if (n > reason_cap - 1)
        n = reason_cap - 1;
      memcpy (reason, a->value + 4, n);
      reason[n] = '\0';
    }
  return 0;
}

static int
get_u16_list (const ice_stun_msg *msg, uint16_t type, size_t each,
              uint16_t *out, size_t max)
{
  const ice_stun_attr *a = ice_stun_msg_find (msg, type);
  if (a == NULL)
    return -ENOENT;
  size_t n = 0;
  size_t pos = 0;
  while (pos < a->len)
    {
      if (a->len - pos < each)
        return -EBADMSG;
      size_t step = each;
      if (each == 4)
        {
          /* algorithm, parameter length, parameters padded to 4 */
          size_t plen = rd16 (a->value + pos + 2);
          if (pad4 (plen) > a->len - pos - 4)
            return -EBADMSG;
          step = 4 + pad4 (plen);
        }
      if (n < max && out != NULL)
        out[n] = rd16 (a->value + pos);
      n++;
      pos += step;
    }
  return (int) n;
}

int
ice_stun_msg_get_unknown_attrs (const ice_stun_msg *msg, uint16_t *types,
                                size_t max)
{
  return get_u16_list (msg, ICE_STUN_ATTR_UNKNOWN_ATTRIBUTES, 2, types, max);
}

int
ice_stun_msg_get_password_algorithms (const ice_stun_msg *msg,
                                      uint16_t *algs, size_t max)
{
  return get_u16_list (msg, ICE_STUN_ATTR_PASSWORD_ALGORITHMS, 4, algs, max);
}

int
ice_stun_msg_get_password_algorithm (const ice_stun_msg *msg, uint16_t *alg)
{
  uint16_t v;
  int n = get_u16_list (msg, ICE_STUN_ATTR_PASSWORD_ALGORITHM, 4, &v, 1);
  if (n < 0)
    return n;
  if (n != 1)
    return -EBADMSG;
  *alg = v;
  return 0;
}

int
ice_stun_msg_get_channel_number (const ice_stun_msg *msg, uint16_t *channel)
{
  uint32_t v;
  int r = ice_stun_msg_get_u32 (msg, ICE_STUN_ATTR_CHANNEL_NUMBER, &v);
  if (r < 0)
    return r;
  *channel = (uint16_t) (v >> 16);
  return 0;
}

int
ice_stun_msg_get_address_family (const ice_stun_msg *msg, uint16_t type,
                                 int *family)
{
  uint32_t v;
  int r = ice_stun_msg_get_u32 (msg, type, &v);
  if (r < 0)
    return r;
  switch (v >> 24)
    {
    case FAMILY_IPV4:
      *family = AF_INET;
      return 0;
    case FAMILY_IPV6:
      *family = AF_INET6;
      return 0;
    default:
      return -EBADMSG;
    }
}

int
ice_stun_msg_unknown_required (const ice_stun_msg *msg, uint16_t *out,
                               size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < msg->n_attrs; i++)
    {
      uint16_t t = msg->attrs[i].type;
      if (t >= 0x8000 || ice_stun_attr_is_known (t))
        continue;
      /* report each unknown type once */
      bool seen = false;
      for (size_t j = 0; j < i && !seen; j++)
        seen = msg->attrs[j].type == t;
      if (seen)
        continue;
      if (n < max && out != NULL)
        out[n] = t;
      n++;
    }
  return (int) n;
}
