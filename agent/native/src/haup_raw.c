/*
 * haup_raw: the agent's Node-API addon for VRRP raw sockets (IP protocol 112, RFC 3768 / RFC 5798)
 * and for sending whole Ethernet frames (gratuitous ARP, unsolicited neighbour advertisements).
 *
 * It only moves bytes: encoding, decoding and checksums live in agent/vrrp (TypeScript).
 * Receiving uses a libuv poll handle on the non-blocking socket, so packets arrive on the Node
 * event loop without threads. Only node_api.h and uv.h (both shipped with Node) are used; the
 * module targets Node-API 8 so one binary loads on Node 18 and later.
 *
 * Exports:
 *   openVrrp({ family: 4|6, ifname, srcAddr?, multicast?, kernelChecksum? }) -> socket object
 *     socket.start(onPacket(buf, src, dst, ttlOrHopLimit, ifindex, truncated, ageMs), onError?(err))
 *       ageMs: how long ago the kernel received the packet (SO_TIMESTAMPNS), measured just before
 *       the callback; 0 when the kernel gave no timestamp.
 *     socket.send(buf, dstAddr) -> bytes sent
 *     socket.setVridFilter(ownVrids, excludeVrids) / setVridFilter(null): only packets of the agent's
 *       own VRIDs (and packets too short to have one) wake the event loop; the rest queue on a second,
 *       unpolled socket that socket.drain() -> { packets: [onPacket args...], dropped } reads in one batch;
 *       drain(true) groups packets the agent classifies alike: [onPacket args..., count] per group.
 *     socket.close(), socket.ref(), socket.unref(); socket.fd, socket.ifindex, socket.family, socket.ifname
 *   sendFrame(ifname, frame) -> bytes sent
 *   ifIndex(ifname) -> interface index
 *   changeAddress(add, ifname, address, prefixLength, label?) -> undefined: adds or removes an
 *     interface address through rtnetlink, like `ip addr add/del` (IPv6: nodad) but in-process, so a
 *     takeover does not wait for an `ip` process to start. Throws EEXIST / EADDRNOTAVAIL / ...
 *   readInterface(ifname) -> Buffer | null: the interface's RTM_NEWLINK message followed by the
 *     RTM_NEWADDR messages of its addresses (whole netlink messages, host byte order, as the kernel
 *     sends them; agent/net/netlink.ts decodes them), or null when there is no such interface. Like
 *     `ip -j addr show dev IF`, synchronously and without a child process.
 *   openLinkMonitor() -> monitor object: a NETLINK_ROUTE socket bound to RTMGRP_LINK (`ip monitor
 *     link` in-process). monitor.start(onMessages(buf), onError?(err)) hands JS each datagram read
 *     (one or more RTM_NEWLINK / RTM_DELLINK messages); an ENOBUFS overrun goes to onError (events
 *     were lost: re-read). monitor.close(), ref(), unref(), fd, like the VRRP sockets.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define IPPROTO_VRRP_NUM 112
#define VRRP_GROUP_V4 "224.0.0.18"
#define VRRP_GROUP_V6 "ff02::12"
#define RECV_BUF_SIZE 65536
/* Packets read per poll wake-up; the poll is level-triggered, so the rest is read on the next turn
 * of the loop and a flood cannot starve timers. */
#define MAX_PACKETS_PER_WAKEUP 64
/* RFC 2474 class selector 6 (network control), as keepalived sets it (IP_TOS / IPV6_TCLASS). */
#define TOS_NETWORK_CONTROL 0xc0
/* RFC 5798 §5.2.8: the VRRP checksum field sits at byte offset 6 of the VRRP header. */
#define VRRP_CHECKSUM_OFFSET 6
/* Receive buffer of a drain socket (see setVridFilter): read once a second, it must hold a second of
 * other routers' adverts; 1 MiB is several hundred packets' worth of kernel buffers. */
#define DRAIN_RCVBUF (1 << 20)
/* Packets one drain() call reads at most (a bound on the time it takes; the rest waits for the next). */
#define MAX_PACKETS_PER_DRAIN 4096

#define NAPI_CALL(env, call)                                                                        \
  do {                                                                                              \
    if ((call) != napi_ok) {                                                                        \
      throw_napi_failure((env), #call);                                                             \
      return NULL;                                                                                  \
    }                                                                                               \
  } while (0)

typedef struct vrrp_sock {
  napi_env env;
  int fd;
  int drain_fd; /* -1 until setVridFilter(): the socket that queues the packets fd's filter rejects */
  int family; /* 4 or 6; 0 for a link monitor (NETLINK_ROUTE, RTMGRP_LINK) */
  int multicast;
  int kernel_checksum;
  uint32_t drain_drops; /* the drain socket's kernel drop count (SO_RXQ_OVFL) last reported to JS */
  unsigned int ifindex;
  char ifname[IF_NAMESIZE];
  int has_src;
  struct in_addr src4;
  struct in6_addr src6;
  uv_poll_t *poll; /* NULL until start(), and again after close() */
  napi_ref self;   /* strong reference while started: a live socket is never collected */
  napi_ref on_packet;
  napi_ref on_error;
  napi_async_context async_ctx;
  int closed;
  int in_callback; /* close() from inside a callback defers releasing JS references */
  int refed;       /* 1: a started socket keeps the event loop alive */
  unsigned char buf[RECV_BUF_SIZE];
} vrrp_sock;

static napi_value js_start(napi_env env, napi_callback_info info);
static napi_value js_send(napi_env env, napi_callback_info info);
static napi_value js_close(napi_env env, napi_callback_info info);
static napi_value js_ref(napi_env env, napi_callback_info info);
static napi_value js_unref(napi_env env, napi_callback_info info);
static napi_value js_set_vrid_filter(napi_env env, napi_callback_info info);
static napi_value js_drain(napi_env env, napi_callback_info info);

/* ---------------------------------------------------------------------------------------------- */
/* Errors */

static const char *errno_name(int err) {
  switch (err) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case ENXIO: return "ENXIO";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOSPC: return "ENOSPC";
    case EPIPE: return "EPIPE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETDOWN: return "ENETDOWN";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOBUFS: return "ENOBUFS";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTDOWN: return "EHOSTDOWN";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    default: return "UNKNOWN";
  }
}

static void throw_napi_failure(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_HAUP_RAW_NAPI", what);
}

/* An Error like Node's system errors: message names the call and the interface, plus code, errno
 * (positive, as in <errno.h>) and syscall properties. */
static napi_value make_errno_error(napi_env env, int err, const char *syscall, const char *detail) {
  char msg[320];
  napi_value code, message, error, num, sc;
  snprintf(msg, sizeof msg, "%s failed%s%s: %s (%s)", syscall, detail ? " " : "", detail ? detail : "",
           strerror(err), errno_name(err));
  if (napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok) return NULL;
  if (napi_create_error(env, code, message, &error) != napi_ok) return NULL;
  if (napi_create_int32(env, err, &num) == napi_ok) napi_set_named_property(env, error, "errno", num);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc) == napi_ok)
    napi_set_named_property(env, error, "syscall", sc);
  return error;
}

static void throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  napi_value error = make_errno_error(env, err, syscall, detail);
  if (error) napi_throw(env, error);
  else throw_napi_failure(env, syscall);
}

/* ---------------------------------------------------------------------------------------------- */
/* Argument helpers: 1 = found, 0 = absent (undefined), -1 = exception thrown */

static int get_prop(napi_env env, napi_value obj, const char *name, napi_valuetype want, napi_value *out) {
  napi_valuetype t;
  char msg[128];
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return -1;
  if (napi_typeof(env, *out, &t) != napi_ok) return -1;
  if (t == napi_undefined) return 0;
  if (t != want) {
    snprintf(msg, sizeof msg, "openVrrp: option \"%s\" has the wrong type", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  return 1;
}

static int value_to_string(napi_env env, napi_value v, char *buf, size_t len, const char *what) {
  size_t n = 0;
  char msg[128];
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t != napi_string) {
    snprintf(msg, sizeof msg, "%s must be a string", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != napi_ok) return -1;
  if (n == 0 || n >= len) {
    snprintf(msg, sizeof msg, "%s must be 1..%zu characters long", what, len - 1);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return -1;
  }
  if (napi_get_value_string_utf8(env, v, buf, len, &n) != napi_ok) return -1;
  return 1;
}

/* Accepts a Buffer or any Uint8Array. */
static int get_bytes(napi_env env, napi_value v, void **data, size_t *len, const char *what) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  char msg[128];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok) return -1;
  if (is_ta && napi_get_typedarray_info(env, v, &type, len, data, &ab, &offset) == napi_ok &&
      type == napi_uint8_array)
    return 1;
  snprintf(msg, sizeof msg, "%s must be a Buffer or Uint8Array", what);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return -1;
}

static vrrp_sock *unwrap_this(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                              napi_value *this_out) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "not a haup_raw VRRP socket");
    return NULL;
  }
  if (this_out) *this_out = self;
  return (vrrp_sock *)data;
}

/* ---------------------------------------------------------------------------------------------- */
/* Socket life cycle */

static int set_int_opt(napi_env env, int fd, const char *ifname, int level, int opt, int value, const char *name) {
  if (setsockopt(fd, level, opt, &value, sizeof value) < 0) {
    char detail[96];
    snprintf(detail, sizeof detail, "(%s) on %s", name, ifname);
    throw_errno(env, errno, "setsockopt", detail);
    return -1;
  }
  return 0;
}

static void free_poll(uv_handle_t *h) { free(h); }

/* Stops polling and closes the descriptor; leaving the multicast group is implicit in close(). */
static void close_fd(vrrp_sock *s) {
  if (s->poll) {
    s->poll->data = NULL;
    uv_close((uv_handle_t *)s->poll, free_poll); /* stops the poll before the fd goes away */
    s->poll = NULL;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  if (s->drain_fd >= 0) {
    close(s->drain_fd);
    s->drain_fd = -1;
  }
}

static void release_js(vrrp_sock *s) {
  napi_env env = s->env;
  if (s->on_packet) napi_delete_reference(env, s->on_packet);
  if (s->on_error) napi_delete_reference(env, s->on_error);
  if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
  if (s->self) napi_delete_reference(env, s->self);
  s->on_packet = s->on_error = s->self = NULL;
  s->async_ctx = NULL;
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  vrrp_sock *s = (vrrp_sock *)data;
  (void)env;
  (void)hint;
  /* Only reached when not started or already closed (a started socket holds a strong reference
   * to itself), or at environment teardown, where the references die with the environment. */
  close_fd(s);
  free(s);
}

/* The JS object of a socket: fd, ifindex, family, ifname and the methods; owns `s` once wrapped. */
static int wrap_sock(napi_env env, vrrp_sock *s, napi_value *out) {
  napi_value obj, fd_v, ifindex_v, family_v, ifname_v;
  napi_value start_fn, close_fn, ref_fn, unref_fn, send_fn = NULL, filter_fn = NULL, drain_fn = NULL;
  if (napi_create_object(env, &obj) != napi_ok) return -1;
  if (napi_create_int32(env, s->fd, &fd_v) != napi_ok) return -1;
  if (napi_create_uint32(env, s->ifindex, &ifindex_v) != napi_ok) return -1;
  if (napi_create_int32(env, s->family, &family_v) != napi_ok) return -1;
  if (napi_create_string_utf8(env, s->ifname, NAPI_AUTO_LENGTH, &ifname_v) != napi_ok) return -1;
  if (napi_create_function(env, "start", NAPI_AUTO_LENGTH, js_start, NULL, &start_fn) != napi_ok) return -1;
  if (s->family != 0 && napi_create_function(env, "send", NAPI_AUTO_LENGTH, js_send, NULL, &send_fn) != napi_ok) return -1;
  if (s->family != 0 && napi_create_function(env, "setVridFilter", NAPI_AUTO_LENGTH, js_set_vrid_filter, NULL, &filter_fn) != napi_ok) return -1;
  if (s->family != 0 && napi_create_function(env, "drain", NAPI_AUTO_LENGTH, js_drain, NULL, &drain_fn) != napi_ok) return -1;
  if (napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &close_fn) != napi_ok) return -1;
  if (napi_create_function(env, "ref", NAPI_AUTO_LENGTH, js_ref, NULL, &ref_fn) != napi_ok) return -1;
  if (napi_create_function(env, "unref", NAPI_AUTO_LENGTH, js_unref, NULL, &unref_fn) != napi_ok) return -1;
  {
    napi_property_descriptor props[] = {
      {"fd", NULL, NULL, NULL, NULL, fd_v, napi_enumerable, NULL},
      {"ifindex", NULL, NULL, NULL, NULL, ifindex_v, napi_enumerable, NULL},
      {"family", NULL, NULL, NULL, NULL, family_v, napi_enumerable, NULL},
      {"ifname", NULL, NULL, NULL, NULL, ifname_v, napi_enumerable, NULL},
      {"start", NULL, NULL, NULL, NULL, start_fn, napi_default, NULL},
      {"close", NULL, NULL, NULL, NULL, close_fn, napi_default, NULL},
      {"ref", NULL, NULL, NULL, NULL, ref_fn, napi_default, NULL},
      {"unref", NULL, NULL, NULL, NULL, unref_fn, napi_default, NULL},
      {"send", NULL, NULL, NULL, NULL, send_fn, napi_default, NULL},
      {"setVridFilter", NULL, NULL, NULL, NULL, filter_fn, napi_default, NULL},
      {"drain", NULL, NULL, NULL, NULL, drain_fn, napi_default, NULL},
    };
    size_t count = sizeof props / sizeof props[0] - (send_fn ? 0 : 3); /* a link monitor cannot send or filter */
    if (napi_define_properties(env, obj, count, props) != napi_ok) return -1;
  }
  if (napi_wrap(env, obj, s, finalize_sock, NULL, NULL) != napi_ok) return -1;
  *out = obj;
  return 0;
}

/* Attaches a classic BPF program (SO_ATTACH_FILTER; replaces the one attached before). 0 or an errno. */
static int attach_filter(int fd, struct sock_filter *code, unsigned short len) {
  struct sock_fprog prog;
  prog.len = len;
  prog.filter = code;
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0 ? errno : 0;
}

/* A new socket of the drain kind starts with this: nothing is queued until its real filter is set. */
static int attach_drop_all(int fd) {
  struct sock_filter drop[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
  return attach_filter(fd, drop, 1);
}

/*
 * A raw VRRP socket on s's interface with every option of the agent's socket: device binding, receive
 * timestamps, TTL / hop limit 255 both ways, packet info, the multicast group (when s->multicast).
 * drain = 1: the second socket of a filtered VRRP socket (see setVridFilter). It receives exactly what
 * the first receives (same device, same group, IP_MULTICAST_ALL 0), starts with a drop-all filter so that
 * nothing arrives before its real one, asks the kernel for its drop count (SO_RXQ_OVFL), and has a
 * larger receive buffer, since it is read only once a second. Returns the descriptor, or -1 with a
 * JS exception pending.
 */
static int open_vrrp_fd(napi_env env, vrrp_sock *s, int drain) {
  int family = s->family, err;
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP_NUM);
  if (fd < 0) {
    char detail[64];
    snprintf(detail, sizeof detail, "(raw IPv%d, protocol 112) for %s", family, s->ifname);
    throw_errno(env, errno, "socket", detail);
    return -1;
  }
  if (drain) {
    int on = 1, size = DRAIN_RCVBUF;
    if ((err = attach_drop_all(fd)) != 0) {
      throw_errno(env, err, "setsockopt(SO_ATTACH_FILTER)", s->ifname);
      goto fail;
    }
    /* Root may go past net.core.rmem_max (SO_RCVBUFFORCE); otherwise the kernel caps SO_RCVBUF there. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
      (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (set_int_opt(env, fd, s->ifname, SOL_SOCKET, SO_RXQ_OVFL, on, "SO_RXQ_OVFL") < 0) goto fail;
  }
  /* Only packets of this interface, and sent out of it (keepalived does the same). */
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->ifname, (socklen_t)strlen(s->ifname) + 1) < 0) {
    throw_errno(env, errno, "setsockopt(SO_BINDTODEVICE)", s->ifname);
    goto fail;
  }
  /* Kernel receive timestamps (SCM_TIMESTAMPNS on every recvmsg): the Master_Down_Timer counts from
   * when the advert arrived (RFC 5798 §6.4.2), not from when the event loop got round to reading it.
   * Best effort: without them the packet's age is reported as 0 and the read time is used. */
  {
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  }
  if (family == 4) {
    struct ip_mreqn mreq;
    /* RFC 3768 §7.1 / RFC 5798 §5.1.1.3: TTL must be 255, for multicast and unicast peers. */
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IP, IP_TTL, 255, "IP_TTL") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IP, IP_MULTICAST_TTL, 255, "IP_MULTICAST_TTL") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP") < 0) goto fail;
    /* Receive only the groups this socket joined, not those joined by other sockets. */
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IP, IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IP, IP_TOS, TOS_NETWORK_CONTROL, "IP_TOS") < 0) goto fail;
    /* No DF bit: keepalived builds its own header with frag_off 0; match it on the wire. */
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT, "IP_MTU_DISCOVER") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO") < 0) goto fail;
    memset(&mreq, 0, sizeof mreq);
    mreq.imr_ifindex = (int)s->ifindex;
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof mreq) < 0) {
      throw_errno(env, errno, "setsockopt(IP_MULTICAST_IF)", s->ifname);
      goto fail;
    }
    if (s->multicast) {
      inet_pton(AF_INET, VRRP_GROUP_V4, &mreq.imr_multiaddr);
      if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) {
        throw_errno(env, errno, "setsockopt(IP_ADD_MEMBERSHIP 224.0.0.18)", s->ifname);
        goto fail;
      }
    }
  } else {
    struct ipv6_mreq mreq6;
    /* RFC 5798 §5.1.2.3: hop limit must be 255. */
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)s->ifindex, "IPV6_MULTICAST_IF") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_TCLASS, TOS_NETWORK_CONTROL, "IPV6_TCLASS") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT") < 0) goto fail;
    if (set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO") < 0) goto fail;
    /* keepalived lets the kernel fill in and verify the checksum; off by default so that the agent
     * sees (and counts) packets with bad checksums instead of the kernel dropping them silently. */
    if (s->kernel_checksum &&
        set_int_opt(env, fd, s->ifname, IPPROTO_IPV6, IPV6_CHECKSUM, VRRP_CHECKSUM_OFFSET, "IPV6_CHECKSUM") < 0)
      goto fail;
    if (s->multicast) {
      memset(&mreq6, 0, sizeof mreq6);
      inet_pton(AF_INET6, VRRP_GROUP_V6, &mreq6.ipv6mr_multiaddr);
      mreq6.ipv6mr_interface = s->ifindex;
      if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq6, sizeof mreq6) < 0) {
        throw_errno(env, errno, "setsockopt(IPV6_JOIN_GROUP ff02::12)", s->ifname);
        goto fail;
      }
    }
  }
  return fd;
fail:
  close(fd);
  return -1;
}

static napi_value js_open_vrrp(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], v, obj;
  napi_valuetype t;
  int32_t family = 0;
  bool multicast = true, kernel_checksum = false;
  char src_text[INET6_ADDRSTRLEN + 1] = "";
  int r;
  vrrp_sock *s;

  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_object) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "openVrrp(options): options must be an object");
    return NULL;
  }
  s = calloc(1, sizeof *s);
  if (!s) {
    throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }
  s->env = env;
  s->fd = -1;
  s->drain_fd = -1;
  s->refed = 1;

  if ((r = get_prop(env, argv[0], "family", napi_number, &v)) < 0) goto fail;
  if (r == 1) napi_get_value_int32(env, v, &family);
  if (family != 4 && family != 6) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "openVrrp: option \"family\" must be 4 or 6");
    goto fail;
  }
  s->family = family;
  if ((r = get_prop(env, argv[0], "ifname", napi_string, &v)) < 0) goto fail;
  if (r == 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "openVrrp: option \"ifname\" is required");
    goto fail;
  }
  if (value_to_string(env, v, s->ifname, sizeof s->ifname, "openVrrp: option \"ifname\"") < 0) goto fail;
  if ((r = get_prop(env, argv[0], "srcAddr", napi_string, &v)) < 0) goto fail;
  if (r == 1) {
    if (value_to_string(env, v, src_text, sizeof src_text, "openVrrp: option \"srcAddr\"") < 0) goto fail;
    if (inet_pton(family == 4 ? AF_INET : AF_INET6, src_text, family == 4 ? (void *)&s->src4 : (void *)&s->src6) != 1) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "openVrrp: option \"srcAddr\" is not an address of the given family");
      goto fail;
    }
    s->has_src = 1;
  }
  if ((r = get_prop(env, argv[0], "multicast", napi_boolean, &v)) < 0) goto fail;
  if (r == 1) napi_get_value_bool(env, v, &multicast);
  if ((r = get_prop(env, argv[0], "kernelChecksum", napi_boolean, &v)) < 0) goto fail;
  if (r == 1) napi_get_value_bool(env, v, &kernel_checksum);

  s->ifindex = if_nametoindex(s->ifname);
  if (s->ifindex == 0) {
    throw_errno(env, errno, "if_nametoindex", s->ifname);
    goto fail;
  }
  s->multicast = multicast;
  s->kernel_checksum = kernel_checksum;
  s->fd = open_vrrp_fd(env, s, 0);
  if (s->fd < 0) goto fail;

  if (wrap_sock(env, s, &obj) < 0) goto fail_napi;
  return obj;

fail_napi:
  throw_napi_failure(env, "openVrrp: creating the socket object");
fail:
  close_fd(s);
  free(s);
  return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Receiving */

static void call_js(vrrp_sock *s, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn, recv;
  napi_status st;
  if (!fn_ref || napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  if (!s->self || napi_get_reference_value(env, s->self, &recv) != napi_ok || recv == NULL)
    napi_get_undefined(env, &recv);
  s->in_callback = 1;
  st = napi_make_callback(env, s->async_ctx, recv, fn, argc, argv, NULL);
  s->in_callback = 0;
  if (st == napi_pending_exception) {
    /* A throwing handler is the caller's bug: surface it as an uncaught exception, as an event
     * emitter would, instead of losing it inside the poll callback. */
    napi_value exc;
    if (napi_get_and_clear_last_exception(env, &exc) == napi_ok) napi_fatal_exception(env, exc);
  }
}

static void report_error(vrrp_sock *s, int err, const char *syscall) {
  napi_value error;
  if (!s->on_error) return;
  error = make_errno_error(s->env, err, syscall, s->ifname);
  if (error) call_js(s, s->on_error, 1, &error);
}

/* Milliseconds from the kernel's receive timestamp to now (both CLOCK_REALTIME), never negative. */
static double packet_age_ms(const struct timespec *rx) {
  struct timespec now;
  double age;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) return 0;
  age = (double)(now.tv_sec - rx->tv_sec) * 1e3 + (double)(now.tv_nsec - rx->tv_nsec) / 1e6;
  return age > 0 ? age : 0;
}

/* One packet read from a VRRP socket into s->buf, with what its ancillary data says. */
typedef struct {
  ssize_t len;
  char src[INET6_ADDRSTRLEN];
  char dst[INET6_ADDRSTRLEN];
  int ttl;
  unsigned int ifindex;
  int truncated;
  int has_rx_time;
  struct timespec rx_time;
  int has_drops;
  uint32_t drops; /* SO_RXQ_OVFL: packets the kernel dropped on this socket so far (wraps) */
} rx_packet;

/* Reads one packet without blocking: 1 read, 0 nothing queued, -1 EINTR (try again), -2 error (errno). */
static int read_packet(vrrp_sock *s, int fd, rx_packet *p) {
  struct sockaddr_storage from;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +
             CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t))];
  } control;
  struct iovec iov;
  struct msghdr msg;
  struct cmsghdr *c;
  ssize_t n;

  memset(p, 0, sizeof *p);
  p->ttl = -1;
  memset(&msg, 0, sizeof msg);
  iov.iov_base = s->buf;
  iov.iov_len = sizeof s->buf;
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = sizeof control.buf;
  n = recvmsg(fd, &msg, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return errno == EINTR ? -1 : -2;
  }
  p->len = n;
  p->truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      p->ifindex = (unsigned int)pi.ipi_ifindex;
      inet_ntop(AF_INET, &pi.ipi_addr, p->dst, sizeof p->dst);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi6;
      memcpy(&pi6, CMSG_DATA(c), sizeof pi6);
      p->ifindex = pi6.ipi6_ifindex;
      inet_ntop(AF_INET6, &pi6.ipi6_addr, p->dst, sizeof p->dst);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      memcpy(&p->ttl, CMSG_DATA(c), sizeof p->ttl);
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
               c->cmsg_len >= CMSG_LEN(sizeof p->rx_time)) {
      memcpy(&p->rx_time, CMSG_DATA(c), sizeof p->rx_time);
      p->has_rx_time = 1;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof p->drops)) {
      memcpy(&p->drops, CMSG_DATA(c), sizeof p->drops);
      p->has_drops = 1;
    }
  }
  if (s->family == 4) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&from;
    inet_ntop(AF_INET, &sin->sin_addr, p->src, sizeof p->src);
    /* The IPv4 raw socket hands over the whole datagram: TTL and destination come from its header. */
    if (n >= 20) {
      p->ttl = s->buf[8];
      inet_ntop(AF_INET, s->buf + 16, p->dst, sizeof p->dst);
    }
  } else {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&from;
    inet_ntop(AF_INET6, &sin6->sin6_addr, p->src, sizeof p->src);
  }
  return 1;
}

/* The onPacket arguments of a packet (its bytes at data): buf, src, dst, ttl, ifindex, truncated, ageMs. */
static int packet_args(vrrp_sock *s, const rx_packet *p, const unsigned char *data, napi_value *argv) {
  napi_env env = s->env;
  /* Measured last, just before the callback, so JS can subtract it from its own clock reading. */
  double age_ms = p->has_rx_time ? packet_age_ms(&p->rx_time) : 0;
  return napi_create_buffer_copy(env, (size_t)p->len, data, NULL, &argv[0]) == napi_ok &&
                 napi_create_string_utf8(env, p->src, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
                 napi_create_string_utf8(env, p->dst, NAPI_AUTO_LENGTH, &argv[2]) == napi_ok &&
                 napi_create_int32(env, p->ttl, &argv[3]) == napi_ok &&
                 napi_create_uint32(env, p->ifindex, &argv[4]) == napi_ok &&
                 napi_get_boolean(env, p->truncated != 0, &argv[5]) == napi_ok &&
                 napi_create_double(env, age_ms, &argv[6]) == napi_ok
             ? 0
             : -1;
}

static int deliver_one(vrrp_sock *s) {
  napi_env env = s->env;
  rx_packet p;
  napi_value argv[7];
  napi_handle_scope scope;
  int r = read_packet(s, s->fd, &p);
  if (r == 0) return 0;
  if (r == -1) return 1;
  if (r == -2) {
    report_error(s, errno, "recvmsg");
    return 0;
  }
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  if (packet_args(s, &p, s->buf, argv) == 0) call_js(s, s->on_packet, 7, argv);
  napi_close_handle_scope(env, scope);
  return 1;
}

/* A link monitor's datagram: one or more rtnetlink messages, handed over as they are. */
static int deliver_netlink(vrrp_sock *s) {
  napi_env env = s->env;
  napi_value arg;
  napi_handle_scope scope;
  ssize_t n = recv(s->fd, s->buf, sizeof s->buf, 0);
  if (n < 0) {
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) return 0;
    if (err == EINTR) return 1;
    report_error(s, err, "recv"); /* ENOBUFS: the kernel dropped events; the socket stays usable */
    return err == ENOBUFS;
  }
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  if (napi_create_buffer_copy(env, (size_t)n, s->buf, NULL, &arg) == napi_ok) call_js(s, s->on_packet, 1, &arg);
  napi_close_handle_scope(env, scope);
  return 1;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  vrrp_sock *s = (vrrp_sock *)handle->data;
  napi_handle_scope scope;
  int i;
  (void)events;
  if (!s || s->closed) return;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  if (status < 0) {
    report_error(s, -status, "uv_poll");
  } else {
    for (i = 0; i < MAX_PACKETS_PER_WAKEUP && !s->closed; i++)
      if (!(s->family == 0 ? deliver_netlink(s) : deliver_one(s))) break;
  }
  napi_close_handle_scope(s->env, scope);
  if (s->closed) release_js(s); /* close() was called from a callback */
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self, name;
  napi_valuetype t0 = napi_undefined, t1 = napi_undefined;
  uv_loop_t *loop = NULL;
  vrrp_sock *s = unwrap_this(env, info, &argc, argv, &self);
  int r;
  if (!s) return NULL;
  if (s->closed) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "start(): the VRRP socket is closed");
    return NULL;
  }
  if (s->poll) {
    napi_throw_error(env, "ERR_SOCKET_STARTED", "start(): the VRRP socket is already started");
    return NULL;
  }
  if (argc >= 1) napi_typeof(env, argv[0], &t0);
  if (argc >= 2) napi_typeof(env, argv[1], &t1);
  if (t0 != napi_function || (t1 != napi_function && t1 != napi_undefined)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "start(onPacket, onError?): handlers must be functions");
    return NULL;
  }
  NAPI_CALL(env, napi_get_uv_event_loop(env, (struct uv_loop_s **)&loop));
  s->poll = malloc(sizeof *s->poll);
  if (!s->poll) {
    throw_errno(env, ENOMEM, "malloc", NULL);
    return NULL;
  }
  if ((r = uv_poll_init(loop, s->poll, s->fd)) < 0) {
    free(s->poll);
    s->poll = NULL;
    throw_errno(env, -r, "uv_poll_init", s->ifname);
    return NULL;
  }
  s->poll->data = s;
  if ((r = uv_poll_start(s->poll, UV_READABLE, on_readable)) < 0) {
    uv_close((uv_handle_t *)s->poll, free_poll);
    s->poll = NULL;
    throw_errno(env, -r, "uv_poll_start", s->ifname);
    return NULL;
  }
  if (!s->refed) uv_unref((uv_handle_t *)s->poll);
  NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &s->on_packet));
  if (t1 == napi_function) NAPI_CALL(env, napi_create_reference(env, argv[1], 1, &s->on_error));
  NAPI_CALL(env, napi_create_reference(env, self, 1, &s->self));
  NAPI_CALL(env, napi_create_string_utf8(env, "haup_raw:vrrp-socket", NAPI_AUTO_LENGTH, &name));
  NAPI_CALL(env, napi_async_init(env, self, name, &s->async_ctx));
  return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* VRID filters: the polled socket only wakes the event loop for this agent's own VRIDs */

/* What a socket filter returns to keep the whole packet (the kernel trims to this length) or drop it. */
#define BPF_KEEP 0xffffffffu
#define BPF_DROP 0u
#define MAX_FILTER_INSNS (8 + 255)

/*
 * A classic BPF program over what a raw VRRP socket receives. X = where the VRRP header starts: IPv4
 * raw sockets see the IP header first (IHL * 4, BPF_MSH), IPv6 raw sockets the VRRP header at 0. A
 * packet too short to hold the VRID byte (RFC 5798 §5.2.3, offset 1) gets ret_short; one whose VRID
 * is in `vrids` (a 256-entry membership table) gets ret_match; every other one ret_other. Loads past
 * the end of a packet would make the kernel drop it, hence the length test first. Returns the length.
 */
static unsigned short build_vrid_filter(struct sock_filter *out, int family, const unsigned char *vrids, uint32_t ret_match,
                                        uint32_t ret_other, uint32_t ret_short) {
  unsigned short n = 0, count = 0, v, i;
  for (v = 1; v <= 255; v++) count += vrids[v] != 0;
  out[n++] = family == 4 ? (struct sock_filter)BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0)
                         : (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0);
  out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0);
  out[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0);
  out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 2, 1, 0);
  out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret_short);
  out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_IND, 1);
  /* Each test jumps over the remaining tests and ret_other to ret_match (at most 255 ahead). */
  for (v = 1, i = 0; v <= 255; v++) {
    if (!vrids[v]) continue;
    out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v, (unsigned char)(count - i), 0);
    i++;
  }
  out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret_other);
  out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret_match);
  return n;
}

/* Reads a JS array of VRIDs (integers 1..255) into a membership table; -1 with an exception pending. */
static int get_vrid_set(napi_env env, napi_value arr, unsigned char *set, const char *what) {
  bool is_array = false;
  uint32_t len = 0, i;
  char msg[128];
  if (napi_is_array(env, arr, &is_array) != napi_ok || !is_array || napi_get_array_length(env, arr, &len) != napi_ok) {
    snprintf(msg, sizeof msg, "setVridFilter(own, exclude): %s must be an array of VRIDs", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  for (i = 0; i < len; i++) {
    napi_value e;
    int32_t v = 0;
    if (napi_get_element(env, arr, i, &e) != napi_ok || napi_get_value_int32(env, e, &v) != napi_ok || v < 1 || v > 255) {
      snprintf(msg, sizeof msg, "setVridFilter(own, exclude): %s must hold integers 1..255", what);
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
      return -1;
    }
    set[v] = 1;
  }
  return 0;
}

/*
 * setVridFilter(own, exclude) / setVridFilter(null).
 * With arrays: the polled socket's filter passes only packets whose VRID is in `own`, plus packets too
 * short to have a VRID (so they are still classified and counted as malformed). Everything else is
 * queued on a second socket (the drain socket: same interface, same multicast membership, so it sees
 * the same packets), which is not polled: drain() reads it in one batch. The drain socket keeps what
 * has a VRID outside own and exclude (exclude: VRIDs another socket of the agent on this link
 * serves; that socket counts them). The drain socket is opened on the first call; later calls swap
 * both programs (SO_ATTACH_FILTER replaces). The polled socket's filter is swapped first: for the few
 * microseconds between the two calls, a packet of a VRID that moves into `own` can be queued on both
 * sockets (drain() hands it over like any other; the agent then ignores the drained copy).
 * With null: no filter (every packet wakes the loop, as before) and no drain socket.
 */
static napi_value js_set_vrid_filter(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype t = napi_undefined;
  unsigned char own[256], skip[256];
  struct sock_filter code[MAX_FILTER_INSNS];
  unsigned short len;
  int err, v;
  vrrp_sock *s = unwrap_this(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  if (s->closed) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "setVridFilter(): the VRRP socket is closed");
    return NULL;
  }
  if (argc >= 1) napi_typeof(env, argv[0], &t);
  if (t == napi_null || t == napi_undefined) {
    if (setsockopt(s->fd, SOL_SOCKET, SO_DETACH_FILTER, NULL, 0) < 0 && errno != ENOENT) {
      throw_errno(env, errno, "setsockopt(SO_DETACH_FILTER)", s->ifname);
      return NULL;
    }
    if (s->drain_fd >= 0) close(s->drain_fd);
    s->drain_fd = -1;
    return NULL;
  }
  memset(own, 0, sizeof own);
  memset(skip, 0, sizeof skip);
  if (get_vrid_set(env, argv[0], own, "own") < 0) return NULL;
  if (argc >= 2 && get_vrid_set(env, argv[1], skip, "exclude") < 0) return NULL;
  for (v = 0; v < 256; v++) skip[v] |= own[v];
  if (s->drain_fd < 0) {
    s->drain_fd = open_vrrp_fd(env, s, 1);
    if (s->drain_fd < 0) return NULL;
    s->drain_drops = 0;
  }
  len = build_vrid_filter(code, s->family, own, BPF_KEEP, BPF_DROP, BPF_KEEP);
  if ((err = attach_filter(s->fd, code, len)) != 0) {
    throw_errno(env, err, "setsockopt(SO_ATTACH_FILTER)", s->ifname);
    return NULL;
  }
  len = build_vrid_filter(code, s->family, skip, BPF_DROP, BPF_KEEP, BPF_DROP);
  if ((err = attach_filter(s->drain_fd, code, len)) != 0) {
    /* Without its drain socket the polled one must see everything again, or packets go uncounted. */
    (void)setsockopt(s->fd, SOL_SOCKET, SO_DETACH_FILTER, NULL, 0);
    close(s->drain_fd);
    s->drain_fd = -1;
    throw_errno(env, err, "setsockopt(SO_ATTACH_FILTER)", s->ifname);
    return NULL;
  }
  return NULL;
}

/*
 * Groups of drained packets the agent classifies alike (receive.ts classificationKey): the same source,
 * destination, TTL, truncation, interface and bytes, the IPv4 header fields that change from packet to packet
 * (TOS, identification, flags and fragment offset, checksum) aside. Other routers send the same advert every
 * interval, so a second of them is a few groups: JS gets one entry per group instead of an object per packet.
 */
typedef struct {
  rx_packet p;
  unsigned char *data;
  uint32_t count;
  int32_t next; /* next group in the same hash bucket, or -1 */
} drain_group;

#define DRAIN_BUCKETS 256

/* Bytes of a whole IPv4 datagram that change from packet to packet (TOS, identification, flags and fragment
 * offset, header checksum); receive.ts classificationKey leaves the same ones out. */
static int varies(const vrrp_sock *s, const rx_packet *p, ssize_t i) {
  return s->family == 4 && p->len >= 20 && (i == 1 || (i >= 4 && i < 8) || i == 10 || i == 11);
}

/* FNV-1a over what same_class compares (the addresses aside): the bytes that do not vary, and the TTL. */
static uint32_t class_hash(const vrrp_sock *s, const rx_packet *p, const unsigned char *data) {
  uint32_t h = 2166136261u;
  ssize_t i;
  for (i = 0; i < p->len; i++) {
    if (!varies(s, p, i)) h = (h ^ data[i]) * 16777619u;
  }
  return (h ^ (uint32_t)p->ttl) * 16777619u;
}

static int same_class(const vrrp_sock *s, const drain_group *g, const rx_packet *p, const unsigned char *data) {
  ssize_t i;
  if (g->p.len != p->len || g->p.ttl != p->ttl || g->p.truncated != p->truncated || g->p.ifindex != p->ifindex) return 0;
  if (strcmp(g->p.src, p->src) != 0 || strcmp(g->p.dst, p->dst) != 0) return 0;
  for (i = 0; i < p->len; i++) {
    if (!varies(s, p, i) && g->data[i] != data[i]) return 0;
  }
  return 1;
}

static void free_groups(drain_group *groups, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; i++) free(groups[i].data);
  free(groups);
}

/*
 * drain() -> { packets, dropped } | null: reads everything queued on the drain socket without blocking
 * (at most MAX_PACKETS_PER_DRAIN). packets: [buf, src, dst, ttl, ifindex, truncated, ageMs] each, the
 * onPacket arguments. dropped: packets the kernel dropped on the drain socket since the last drain()
 * (its receive buffer was full): the socket's drop counter, read with SO_MEMINFO after the batch (so
 * drops after the last queued packet count too), else as SO_RXQ_OVFL reported it with the packets
 * queued after them (kernels without SO_MEMINFO). null when there is no drain socket (no filter set).
 * drain(true): one entry per group of packets classified alike, the group's first packet with an 8th
 * element, how many packets it stands for.
 */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv0, result, packets, dropped;
  uint32_t count = 0, ngroups = 0, cap = 0, total, meminfo[SK_MEMINFO_VARS], i;
  int32_t buckets[DRAIN_BUCKETS];
  bool grouped = false;
  drain_group *groups = NULL;
  socklen_t meminfo_len = sizeof meminfo;
  vrrp_sock *s = unwrap_this(env, info, &argc, &argv0, NULL);
  if (!s) return NULL;
  if (s->closed || s->drain_fd < 0) {
    NAPI_CALL(env, napi_get_null(env, &result));
    return result;
  }
  if (argc >= 1) {
    napi_valuetype t;
    if (napi_typeof(env, argv0, &t) == napi_ok && t == napi_boolean) napi_get_value_bool(env, argv0, &grouped);
  }
  for (i = 0; i < DRAIN_BUCKETS; i++) buckets[i] = -1;
  total = s->drain_drops;
  while (count < MAX_PACKETS_PER_DRAIN) {
    rx_packet p;
    uint32_t h;
    int32_t g;
    int r = read_packet(s, s->drain_fd, &p);
    if (r == -1) continue;
    if (r == 0) break;
    if (r == -2) {
      if (count > 0) break; /* hand over what was read; the next drain() reports it if it persists */
      free_groups(groups, ngroups);
      throw_errno(env, errno, "recvmsg", s->ifname);
      return NULL;
    }
    if (p.has_drops) total = p.drops;
    count++;
    h = grouped ? class_hash(s, &p, s->buf) % DRAIN_BUCKETS : 0;
    for (g = grouped ? buckets[h] : -1; g >= 0; g = groups[g].next) {
      if (same_class(s, &groups[g], &p, s->buf)) break;
    }
    if (g >= 0) {
      groups[g].count++;
      continue;
    }
    if (ngroups == cap) {
      drain_group *more = realloc(groups, (cap ? cap * 2 : 32) * sizeof *groups);
      if (!more) {
        free_groups(groups, ngroups);
        throw_errno(env, ENOMEM, "drain()", s->ifname);
        return NULL;
      }
      groups = more;
      cap = cap ? cap * 2 : 32;
    }
    groups[ngroups].p = p;
    groups[ngroups].count = 1;
    groups[ngroups].data = malloc(p.len > 0 ? (size_t)p.len : 1);
    if (!groups[ngroups].data) {
      free_groups(groups, ngroups);
      throw_errno(env, ENOMEM, "drain()", s->ifname);
      return NULL;
    }
    memcpy(groups[ngroups].data, s->buf, (size_t)p.len);
    groups[ngroups].next = grouped ? buckets[h] : -1;
    if (grouped) buckets[h] = (int32_t)ngroups;
    ngroups++;
  }
  if (napi_create_object(env, &result) != napi_ok || napi_create_array_with_length(env, ngroups, &packets) != napi_ok) {
    free_groups(groups, ngroups);
    throw_napi_failure(env, "drain(): building the batch");
    return NULL;
  }
  for (i = 0; i < ngroups; i++) {
    napi_value argv[8], entry;
    napi_handle_scope scope;
    uint32_t n = grouped ? 8 : 7, k;
    int ok;
    if (napi_open_handle_scope(env, &scope) != napi_ok) break;
    ok = packet_args(s, &groups[i].p, groups[i].data, argv) == 0 && (!grouped || napi_create_uint32(env, groups[i].count, &argv[7]) == napi_ok) &&
         napi_create_array_with_length(env, n, &entry) == napi_ok;
    for (k = 0; ok && k < n; k++) ok = napi_set_element(env, entry, k, argv[k]) == napi_ok;
    if (ok) ok = napi_set_element(env, packets, i, entry) == napi_ok;
    napi_close_handle_scope(env, scope);
    if (!ok) {
      free_groups(groups, ngroups);
      throw_napi_failure(env, "drain(): building the batch");
      return NULL;
    }
  }
  free_groups(groups, ngroups);
  /* The same counter as SO_RXQ_OVFL (sk_drops), read now: drops after the last queued packet count too. */
  if (getsockopt(s->drain_fd, SOL_SOCKET, SO_MEMINFO, meminfo, &meminfo_len) == 0 && meminfo_len > SK_MEMINFO_DROPS * sizeof(uint32_t))
    total = meminfo[SK_MEMINFO_DROPS];
  NAPI_CALL(env, napi_set_named_property(env, result, "packets", packets));
  NAPI_CALL(env, napi_create_uint32(env, total - s->drain_drops, &dropped)); /* unsigned: right across a wrap */
  s->drain_drops = total;
  NAPI_CALL(env, napi_set_named_property(env, result, "dropped", dropped));
  return result;
}

/* ---------------------------------------------------------------------------------------------- */
/* Sending */

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0;
  napi_value argv[2], result;
  void *data = NULL;
  char dst_text[INET6_ADDRSTRLEN + 1], detail[96];
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
  struct msghdr msg;
  struct iovec iov;
  struct cmsghdr *c;
  struct sockaddr_in dst4;
  struct sockaddr_in6 dst6;
  ssize_t n;
  vrrp_sock *s = unwrap_this(env, info, &argc, argv, NULL);
  if (!s) return NULL;
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "send(buf, dstAddr): two arguments are required");
    return NULL;
  }
  if (get_bytes(env, argv[0], &data, &len, "send(buf, dstAddr): buf") < 0) return NULL;
  if (value_to_string(env, argv[1], dst_text, sizeof dst_text, "send(buf, dstAddr): dstAddr") < 0) return NULL;
  if (s->closed) {
    napi_throw_error(env, "ERR_SOCKET_CLOSED", "send(): the VRRP socket is closed");
    return NULL;
  }

  memset(&msg, 0, sizeof msg);
  memset(&control, 0, sizeof control);
  iov.iov_base = data;
  iov.iov_len = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  c = (struct cmsghdr *)control.buf;
  if (s->family == 4) {
    struct in_pktinfo pi;
    memset(&dst4, 0, sizeof dst4);
    dst4.sin_family = AF_INET;
    if (inet_pton(AF_INET, dst_text, &dst4.sin_addr) != 1) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "send(buf, dstAddr): dstAddr is not an IPv4 address");
      return NULL;
    }
    msg.msg_name = &dst4;
    msg.msg_namelen = sizeof dst4;
    /* The source address is set per packet (not with bind(), which would also filter what the
     * socket receives to that address and so lose the multicast adverts). */
    memset(&pi, 0, sizeof pi);
    pi.ipi_ifindex = (int)s->ifindex;
    if (s->has_src) pi.ipi_spec_dst = s->src4;
    msg.msg_controllen = CMSG_SPACE(sizeof pi);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
  } else {
    struct in6_pktinfo pi6;
    memset(&dst6, 0, sizeof dst6);
    dst6.sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, dst_text, &dst6.sin6_addr) != 1) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "send(buf, dstAddr): dstAddr is not an IPv6 address");
      return NULL;
    }
    if (IN6_IS_ADDR_LINKLOCAL(&dst6.sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&dst6.sin6_addr))
      dst6.sin6_scope_id = s->ifindex;
    msg.msg_name = &dst6;
    msg.msg_namelen = sizeof dst6;
    memset(&pi6, 0, sizeof pi6);
    pi6.ipi6_ifindex = s->ifindex;
    if (s->has_src) pi6.ipi6_addr = s->src6;
    msg.msg_controllen = CMSG_SPACE(sizeof pi6);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi6);
    memcpy(CMSG_DATA(c), &pi6, sizeof pi6);
  }
  do {
    n = sendmsg(s->fd, &msg, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    snprintf(detail, sizeof detail, "on %s to %s", s->ifname, dst_text);
    throw_errno(env, errno, "sendmsg", detail);
    return NULL;
  }
  NAPI_CALL(env, napi_create_int64(env, (int64_t)n, &result));
  return result;
}

/* ---------------------------------------------------------------------------------------------- */
/* close / ref / unref */

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  vrrp_sock *s = unwrap_this(env, info, &argc, NULL, NULL);
  if (!s || s->closed) return NULL;
  s->closed = 1;
  close_fd(s);
  if (!s->in_callback) release_js(s);
  return NULL;
}

static napi_value set_ref(napi_env env, napi_callback_info info, int refed) {
  size_t argc = 0;
  napi_value self;
  vrrp_sock *s = unwrap_this(env, info, &argc, NULL, &self);
  if (!s) return NULL;
  s->refed = refed;
  if (s->poll) {
    if (refed) uv_ref((uv_handle_t *)s->poll);
    else uv_unref((uv_handle_t *)s->poll);
  }
  return self;
}

static napi_value js_ref(napi_env env, napi_callback_info info) { return set_ref(env, info, 1); }
static napi_value js_unref(napi_env env, napi_callback_info info) { return set_ref(env, info, 0); }

/* ---------------------------------------------------------------------------------------------- */
/* sendFrame(ifname, frame): one whole Ethernet frame out of an interface (AF_PACKET). */

static napi_value js_send_frame(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0;
  napi_value argv[2], result;
  char ifname[IF_NAMESIZE];
  void *data = NULL;
  const unsigned char *frame;
  struct sockaddr_ll sll;
  unsigned int ifindex;
  ssize_t n;
  int fd, err;

  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "sendFrame(ifname, frame): two arguments are required");
    return NULL;
  }
  if (value_to_string(env, argv[0], ifname, sizeof ifname, "sendFrame(ifname, frame): ifname") < 0) return NULL;
  if (get_bytes(env, argv[1], &data, &len, "sendFrame(ifname, frame): frame") < 0) return NULL;
  if (len < ETH_HLEN) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "sendFrame(ifname, frame): frame is shorter than an Ethernet header");
    return NULL;
  }
  frame = (const unsigned char *)data;
  ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    throw_errno(env, errno, "if_nametoindex", ifname);
    return NULL;
  }
  /* Protocol 0: a send-only socket, it never queues received frames. */
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "(AF_PACKET)");
    return NULL;
  }
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = (int)ifindex;
  sll.sll_halen = ETH_ALEN;
  memcpy(sll.sll_addr, frame, ETH_ALEN);                  /* destination MAC */
  memcpy(&sll.sll_protocol, frame + 2 * ETH_ALEN, 2);     /* EtherType, network order */
  do {
    n = sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof sll);
  } while (n < 0 && errno == EINTR);
  err = errno;
  close(fd);
  if (n < 0) {
    char detail[64];
    snprintf(detail, sizeof detail, "(AF_PACKET) on %s", ifname);
    throw_errno(env, err, "sendto", detail);
    return NULL;
  }
  NAPI_CALL(env, napi_create_int64(env, (int64_t)n, &result));
  return result;
}

static napi_value js_if_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  char ifname[IF_NAMESIZE];
  unsigned int ifindex;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ifIndex(ifname): ifname is required");
    return NULL;
  }
  if (value_to_string(env, argv[0], ifname, sizeof ifname, "ifIndex(ifname): ifname") < 0) return NULL;
  ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    throw_errno(env, errno, "if_nametoindex", ifname);
    return NULL;
  }
  NAPI_CALL(env, napi_create_uint32(env, ifindex, &result));
  return result;
}

/* ---------------------------------------------------------------------------------------------- */
/* changeAddress(add, ifname, address, prefixLength, label?): RTM_NEWADDR / RTM_DELADDR with an ACK. */

static int nl_add_attr(struct nlmsghdr *n, size_t maxlen, unsigned short type, const void *data, size_t alen) {
  size_t len = RTA_LENGTH(alen);
  struct rtattr *rta;
  if (NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(len) > maxlen) return -1;
  rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = (unsigned short)len;
  if (alen) memcpy(RTA_DATA(rta), data, alen);
  n->nlmsg_len = (unsigned int)(NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(len));
  return 0;
}

/* Sends one request and returns the kernel's answer: 0 or a positive errno. */
static int nl_transact(struct nlmsghdr *req) {
  struct sockaddr_nl sa;
  struct timeval tv = {1, 0};
  char buf[8192];
  ssize_t n;
  int fd, err = EIO;
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* never hang the event loop */
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  do {
    n = sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    err = errno;
    close(fd);
    return err;
  }
  for (;;) {
    struct nlmsghdr *h;
    do {
      n = recv(fd, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      err = errno;
      break;
    }
    for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != req->nlmsg_seq || h->nlmsg_type != NLMSG_ERROR) continue;
      err = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
      close(fd);
      return err;
    }
  }
  close(fd);
  return err;
}

static napi_value js_change_address(napi_env env, napi_callback_info info) {
  static unsigned int seq = 0;
  size_t argc = 5;
  napi_value argv[5];
  bool add = false;
  char ifname[IF_NAMESIZE], text[INET6_ADDRSTRLEN + 1], label[IF_NAMESIZE], detail[128];
  unsigned char addr[16];
  uint32_t prefix = 0;
  unsigned int ifindex;
  int family, has_label = 0, err;
  napi_valuetype t;
  struct {
    struct nlmsghdr n;
    struct ifaddrmsg ifa;
    char attrs[256];
  } req;

  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "changeAddress(add, ifname, address, prefixLength, label?): four arguments are required");
    return NULL;
  }
  NAPI_CALL(env, napi_get_value_bool(env, argv[0], &add));
  if (value_to_string(env, argv[1], ifname, sizeof ifname, "changeAddress: ifname") < 0) return NULL;
  if (value_to_string(env, argv[2], text, sizeof text, "changeAddress: address") < 0) return NULL;
  NAPI_CALL(env, napi_get_value_uint32(env, argv[3], &prefix));
  if (argc >= 5 && napi_typeof(env, argv[4], &t) == napi_ok && t == napi_string) {
    if (value_to_string(env, argv[4], label, sizeof label, "changeAddress: label") < 0) return NULL;
    has_label = 1;
  }
  if (inet_pton(AF_INET, text, addr) == 1) family = AF_INET;
  else if (inet_pton(AF_INET6, text, addr) == 1) family = AF_INET6;
  else {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "changeAddress: address is not an IPv4 or IPv6 address");
    return NULL;
  }
  if (prefix > (family == AF_INET ? 32u : 128u)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "changeAddress: prefixLength is too long for the address family");
    return NULL;
  }
  ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    throw_errno(env, errno, "if_nametoindex", ifname);
    return NULL;
  }

  memset(&req, 0, sizeof req);
  req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  req.n.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  req.n.nlmsg_seq = ++seq;
  req.ifa.ifa_family = (unsigned char)family;
  req.ifa.ifa_prefixlen = (unsigned char)prefix;
  req.ifa.ifa_index = ifindex;
  if (add) {
    /* iproute2 default_scope(): fe80::/10 is link scope, 127.0.0.0/8 host scope, the rest global. */
    if (family == AF_INET6 && addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80) req.ifa.ifa_scope = RT_SCOPE_LINK;
    else if (family == AF_INET && addr[0] == 127) req.ifa.ifa_scope = RT_SCOPE_HOST;
    /* Like `ip addr add ... nodad` (and keepalived): the VIP is usable at once, not tentative. */
    if (family == AF_INET6) req.ifa.ifa_flags = IFA_F_NODAD;
  }
  nl_add_attr(&req.n, sizeof req, IFA_LOCAL, addr, family == AF_INET ? 4 : 16);
  nl_add_attr(&req.n, sizeof req, IFA_ADDRESS, addr, family == AF_INET ? 4 : 16);
  if (has_label && family == AF_INET) nl_add_attr(&req.n, sizeof req, IFA_LABEL, label, strlen(label) + 1);

  err = nl_transact(&req.n);
  if (err != 0) {
    snprintf(detail, sizeof detail, "%s/%u dev %s", text, (unsigned)prefix, ifname);
    throw_errno(env, err, add ? "RTM_NEWADDR" : "RTM_DELADDR", detail);
    return NULL;
  }
  return NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* Interface facts and link events through rtnetlink, without an `ip` process. */

static napi_value js_open_link_monitor(napi_env env, napi_callback_info info) {
  struct sockaddr_nl sa;
  napi_value obj;
  vrrp_sock *s;
  (void)info;
  s = calloc(1, sizeof *s);
  if (!s) {
    throw_errno(env, ENOMEM, "calloc", NULL);
    return NULL;
  }
  s->env = env;
  s->drain_fd = -1;
  s->refed = 1;
  s->family = 0;
  snprintf(s->ifname, sizeof s->ifname, "%s", "rtnetlink");
  s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s->fd < 0) {
    throw_errno(env, errno, "socket", "(NETLINK_ROUTE)");
    free(s);
    return NULL;
  }
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK;
  if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    throw_errno(env, errno, "bind", "(NETLINK_ROUTE, RTMGRP_LINK)");
    close_fd(s);
    free(s);
    return NULL;
  }
  if (wrap_sock(env, s, &obj) < 0) {
    throw_napi_failure(env, "openLinkMonitor: creating the monitor object");
    close_fd(s);
    free(s);
    return NULL;
  }
  return obj;
}

typedef struct {
  char *data;
  size_t len, cap;
} byte_buf;

static int buf_append(byte_buf *b, const void *data, size_t len) {
  if (b->len + len > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    char *p;
    while (cap < b->len + len) cap *= 2;
    p = realloc(b->data, cap);
    if (!p) return ENOMEM;
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

/* Sends one request and appends every answer message of type `want` (for a dump, those with ifindex
 * `ifindex`; index_at is the offset of the index in the message body) to out, until the ACK, the
 * answer (no dump) or NLMSG_DONE. Returns 0 or a positive errno. */
static int nl_collect(int fd, struct nlmsghdr *req, unsigned short want, size_t index_at, int ifindex, byte_buf *out) {
  static char buf[65536];
  struct sockaddr_nl sa;
  ssize_t n;
  int dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  do {
    n = sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  for (;;) {
    struct nlmsghdr *h;
    do {
      n = recv(fd, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != req->nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return -((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (h->nlmsg_type != want || h->nlmsg_len < NLMSG_LENGTH(index_at + sizeof(int))) continue;
      if (dump) {
        int idx;
        memcpy(&idx, (char *)NLMSG_DATA(h) + index_at, sizeof idx);
        if (idx != ifindex) continue;
      }
      if (buf_append(out, h, h->nlmsg_len) != 0) return ENOMEM;
      if (!dump) return 0;
    }
  }
}

static napi_value js_read_interface(napi_env env, napi_callback_info info) {
  static unsigned int seq = 0;
  size_t argc = 1;
  napi_value argv[1], result;
  char ifname[IF_NAMESIZE], detail[64];
  struct timeval tv = {1, 0};
  unsigned int ifindex;
  byte_buf out = {NULL, 0, 0};
  int fd, err;
  struct {
    struct nlmsghdr n;
    struct ifinfomsg ifi;
  } link_req;
  struct {
    struct nlmsghdr n;
    struct ifaddrmsg ifa;
  } addr_req;

  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "readInterface(ifname): ifname is required");
    return NULL;
  }
  if (value_to_string(env, argv[0], ifname, sizeof ifname, "readInterface(ifname): ifname") < 0) return NULL;
  ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    if (errno == ENODEV || errno == ENXIO) {
      NAPI_CALL(env, napi_get_null(env, &result));
      return result;
    }
    throw_errno(env, errno, "if_nametoindex", ifname);
    return NULL;
  }
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw_errno(env, errno, "socket", "(NETLINK_ROUTE)");
    return NULL;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* never hang the event loop */

  memset(&link_req, 0, sizeof link_req);
  link_req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
  link_req.n.nlmsg_type = RTM_GETLINK;
  link_req.n.nlmsg_flags = NLM_F_REQUEST;
  link_req.n.nlmsg_seq = ++seq;
  link_req.ifi.ifi_family = AF_UNSPEC;
  link_req.ifi.ifi_index = (int)ifindex;
  err = nl_collect(fd, &link_req.n, RTM_NEWLINK, offsetof(struct ifinfomsg, ifi_index), (int)ifindex, &out);
  if (err == 0) {
    memset(&addr_req, 0, sizeof addr_req);
    addr_req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    addr_req.n.nlmsg_type = RTM_GETADDR;
    addr_req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    addr_req.n.nlmsg_seq = ++seq;
    addr_req.ifa.ifa_family = AF_UNSPEC;
    err = nl_collect(fd, &addr_req.n, RTM_NEWADDR, offsetof(struct ifaddrmsg, ifa_index), (int)ifindex, &out);
  }
  close(fd);
  if (err == ENODEV || (err == 0 && out.len == 0)) { /* deleted between if_nametoindex and the request */
    free(out.data);
    NAPI_CALL(env, napi_get_null(env, &result));
    return result;
  }
  if (err != 0) {
    free(out.data);
    snprintf(detail, sizeof detail, "(RTM_GETLINK / RTM_GETADDR) for %s", ifname);
    throw_errno(env, err, "rtnetlink", detail);
    return NULL;
  }
  if (napi_create_buffer_copy(env, out.len, out.data, NULL, &result) != napi_ok) {
    free(out.data);
    throw_napi_failure(env, "readInterface: creating the Buffer");
    return NULL;
  }
  free(out.data);
  return result;
}

/* makeFifo(path, mode): mkfifo(3); true when made, false when something already is at path (EEXIST). Node has no
 * mkfifo, and a `mkfifo` process per host is what the agent's wake FIFO would otherwise cost deploy's scripts. */
static napi_value js_make_fifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  char path[4096];
  size_t len = 0;
  uint32_t mode = 0600;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len == 0 || len >= sizeof path - 1) {
    napi_throw_type_error(env, NULL, "makeFifo(path, mode): path must be a non-empty string");
    return NULL;
  }
  if (argc >= 2 && napi_get_value_uint32(env, argv[1], &mode) != napi_ok) {
    napi_throw_type_error(env, NULL, "makeFifo(path, mode): mode must be a number");
    return NULL;
  }
  if (mkfifo(path, (mode_t)(mode & 0777)) != 0) {
    if (errno != EEXIST) {
      throw_errno(env, errno, "mkfifo", path);
      return NULL;
    }
    NAPI_CALL(env, napi_get_boolean(env, false, &result));
    return result;
  }
  NAPI_CALL(env, napi_get_boolean(env, true, &result));
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"openVrrp", NULL, js_open_vrrp, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sendFrame", NULL, js_send_frame, NULL, NULL, NULL, napi_enumerable, NULL},
    {"ifIndex", NULL, js_if_index, NULL, NULL, NULL, napi_enumerable, NULL},
    {"changeAddress", NULL, js_change_address, NULL, NULL, NULL, napi_enumerable, NULL},
    {"readInterface", NULL, js_read_interface, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openLinkMonitor", NULL, js_open_link_monitor, NULL, NULL, NULL, napi_enumerable, NULL},
    {"makeFifo", NULL, js_make_fifo, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
