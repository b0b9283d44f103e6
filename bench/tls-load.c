/*
 * Cheap STARTTLS load client for the TLS benchmark (bench/tls.ts compiles it on first use when a C
 * compiler and OpenSSL headers exist; otherwise the benchmark uses its Node client and says so).
 *
 *   tls-load PORT SESSIONS CONCURRENCY full|resumed|plain DEADLINE_MS
 *
 * Talks to 127.0.0.1:PORT only. CONCURRENCY threads share a counter of SESSIONS; each session is
 * connect, banner, EHLO, STARTTLS, TLS handshake, QUIT (plain: no STARTTLS). "resumed": every thread
 * offers the newest session ticket it got on its previous session. No certificate verification (the
 * client's cost is not what is measured; the server's work is the same). Bounded: a fixed count, a 10 s
 * socket timeout, and nothing new starts after DEADLINE_MS. Prints one JSON line, with the key exchange
 * group of the first handshake and the OpenSSL it ran with. Built against the host's OpenSSL 3.0 headers,
 * it runs unchanged on OpenSSL 3.5's libssl.so.3 (the bench runs it in the trixie image, host network, to
 * offer X25519MLKEM768). TLS_LOAD_GROUPS=X25519 (etc.) sets the client's groups.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int port, sessions, concurrency, mode; /* mode: 0 full, 1 resumed, 2 plain */
static long long deadline_us;
static SSL_CTX *ctx;
static atomic_int next_session, completed, failed, offered, reused;
static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_error[256];
static char group[64];
static int ex_index;

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void note_error(const char *what) {
  pthread_mutex_lock(&error_lock);
  if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", what);
  pthread_mutex_unlock(&error_lock);
}

struct reader {
  int fd;
  SSL *ssl;
  char buf[4096];
  int len;
};

/* Reads one complete SMTP reply; returns its code or -1. */
static int read_reply(struct reader *r) {
  for (;;) {
    char *start = r->buf;
    for (;;) {
      char *nl = memchr(start, '\n', (size_t)(r->buf + r->len - start));
      if (!nl) break;
      if (nl - start >= 4 && start[3] == ' ') {
        int code = atoi(start);
        int consumed = (int)(nl + 1 - r->buf);
        memmove(r->buf, nl + 1, (size_t)(r->len - consumed));
        r->len -= consumed;
        return code;
      }
      start = nl + 1;
    }
    if (r->len >= (int)sizeof r->buf - 1) return -1;
    int n = r->ssl ? SSL_read(r->ssl, r->buf + r->len, (int)sizeof r->buf - 1 - r->len)
                   : (int)recv(r->fd, r->buf + r->len, sizeof r->buf - 1 - (size_t)r->len, 0);
    if (n <= 0) return -1;
    r->len += n;
  }
}

static int send_line(struct reader *r, const char *line) {
  int n = (int)strlen(line);
  return (r->ssl ? SSL_write(r->ssl, line, n) : (int)send(r->fd, line, (size_t)n, MSG_NOSIGNAL)) == n ? 0 : -1;
}

/*
 * A saved session, serialized: OpenSSL marks a TLS 1.3 session object as used once it resumed, so each
 * connection offers a fresh copy of the newest ticket (as Node's `session` option does). Postfix renews
 * tickets only when its key rotates, so a client keeps offering the ticket it has.
 */
struct ticket {
  unsigned char *der;
  int len;
};

static int new_session_cb(SSL *ssl, SSL_SESSION *session) {
  struct ticket *t = SSL_get_ex_data(ssl, ex_index);
  if (t) {
    int len = i2d_SSL_SESSION(session, NULL);
    unsigned char *der = len > 0 ? malloc((size_t)len) : NULL;
    if (der) {
      unsigned char *p = der;
      i2d_SSL_SESSION(session, &p);
      free(t->der);
      t->der = der;
      t->len = len;
    }
  }
  return 0; /* not kept: OpenSSL frees it */
}

/* One session; returns 0 on success. */
static int one_session(struct ticket *ticket) {
  int ok = -1;
  SSL *ssl = NULL;
  struct reader r = {.fd = -1};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) { note_error("socket"); return -1; }
  r.fd = fd;
  struct timeval tv = {.tv_sec = 10};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) { note_error("connect failed"); goto out; }
  if (read_reply(&r) != 220) { note_error("no 220 banner"); goto out; }
  if (send_line(&r, "EHLO bench.client.test\r\n") || read_reply(&r) != 250) { note_error("EHLO failed"); goto out; }
  if (mode == 2) {
    if (send_line(&r, "QUIT\r\n") || read_reply(&r) != 221) { note_error("QUIT failed"); goto out; }
    ok = 0;
    goto out;
  }
  if (send_line(&r, "STARTTLS\r\n") || read_reply(&r) != 220) { note_error("STARTTLS refused"); goto out; }
  if (r.len != 0) { note_error("data after 220 to STARTTLS"); goto out; }
  ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  SSL_set_ex_data(ssl, ex_index, ticket);
  int offered_ticket = 0;
  if (mode == 1 && ticket->der) {
    const unsigned char *p = ticket->der;
    SSL_SESSION *saved = d2i_SSL_SESSION(NULL, &p, ticket->len);
    if (saved) {
      SSL_set_session(ssl, saved);
      SSL_SESSION_free(saved);
      offered_ticket = 1;
    }
  }
  if (SSL_connect(ssl) != 1) {
    char reason[160], e[200];
    ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
    snprintf(e, sizeof e, "handshake failed: %s", reason);
    note_error(e);
    SSL_set_ex_data(ssl, ex_index, NULL);
    goto out;
  }
  r.ssl = ssl;
  if (!group[0]) {
    /* The key exchange group of the first handshake (OpenSSL 3.5 names X25519MLKEM768; 3.0 knows none). */
    const char *name = SSL_group_to_name(ssl, (int)SSL_get_negotiated_group(ssl));
    pthread_mutex_lock(&error_lock);
    if (!group[0]) snprintf(group, sizeof group, "%s", name ? name : "?");
    pthread_mutex_unlock(&error_lock);
  }
  if (offered_ticket) {
    atomic_fetch_add(&offered, 1);
    if (SSL_session_reused(ssl)) atomic_fetch_add(&reused, 1);
  }
  int quit = send_line(&r, "QUIT\r\n") == 0 && read_reply(&r) == 221;
  SSL_set_ex_data(ssl, ex_index, NULL);
  if (!quit) { note_error("QUIT over TLS failed"); goto out; }
  ok = 0;
out:
  if (ssl) {
    /* Mark the connection as cleanly shut down: an SSL freed otherwise makes its session not resumable. */
    if (ok == 0) SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(ssl);
  }
  close(fd);
  ERR_clear_error();
  return ok;
}

static void *worker(void *unused) {
  (void)unused;
  struct ticket ticket = {0};
  for (;;) {
    if (now_us() > deadline_us) break;
    if (atomic_fetch_add(&next_session, 1) >= sessions) break;
    if (one_session(&ticket) == 0) atomic_fetch_add(&completed, 1);
    else atomic_fetch_add(&failed, 1);
  }
  free(ticket.der);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s PORT SESSIONS CONCURRENCY full|resumed|plain DEADLINE_MS\n", argv[0]);
    return 2;
  }
  port = atoi(argv[1]);
  sessions = atoi(argv[2]);
  concurrency = atoi(argv[3]);
  mode = strcmp(argv[4], "full") == 0 ? 0 : strcmp(argv[4], "resumed") == 0 ? 1 : strcmp(argv[4], "plain") == 0 ? 2 : -1;
  if (port <= 0 || port > 65535 || sessions <= 0 || concurrency <= 0 || concurrency > 1024 || mode < 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, new_session_cb);
  /* TLS_LOAD_GROUPS: the client's groups (default: the library's, e.g. OpenSSL 3.5 offers X25519MLKEM768 first). */
  const char *groups = getenv("TLS_LOAD_GROUPS");
  if (groups && *groups && SSL_CTX_set1_groups_list(ctx, groups) != 1) {
    fprintf(stderr, "TLS_LOAD_GROUPS=%s: not supported by this OpenSSL (%s)\n", groups, OpenSSL_version(OPENSSL_VERSION));
    return 2;
  }
  ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  long long t0 = now_us();
  deadline_us = t0 + atoll(argv[5]) * 1000;
  for (int i = 0; i < concurrency; i++) pthread_create(&threads[i], NULL, worker, NULL);
  for (int i = 0; i < concurrency; i++) pthread_join(threads[i], NULL);
  long long wall = now_us() - t0;
  getrusage(RUSAGE_SELF, &ru1);
  long long cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1000000LL + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                  (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1000000LL + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
  for (char *p = first_error; *p; p++) if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = ' ';
  printf("{\"completed\":%d,\"failed\":%d,\"offered\":%d,\"reused\":%d,\"wallUs\":%lld,\"cpuUs\":%lld,\"error\":\"%s\",\"group\":\"%s\",\"openssl\":\"%s\"}\n",
         atomic_load(&completed), atomic_load(&failed), atomic_load(&offered), atomic_load(&reused), wall, cpu, first_error, group,
         OpenSSL_version(OPENSSL_VERSION));
  SSL_CTX_free(ctx);
  free(threads);
  return 0;
}
