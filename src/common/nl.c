/*
 * nl.c: a small rtnetlink client (see nl.h). RFC 3549 and
 * include/uapi/linux/{netlink,rtnetlink}.h describe the format.
 *
 * Inputs: the kernel's replies on a NETLINK_ROUTE socket of this process;
 * every header and attribute length is checked against what was received.
 */
#include "nl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint32_t nl_seq;

void nl_init(struct nl_req *r, void *buf, size_t cap, uint16_t type,
	     uint16_t flags, const void *hdr, size_t hlen)
{
	memset(buf, 0, cap);
	r->h = buf;
	r->cap = cap;
	r->overflow = 0;
	r->h->nlmsg_len = NLMSG_LENGTH(hlen);
	r->h->nlmsg_type = type;
	r->h->nlmsg_flags = NLM_F_REQUEST | flags;
	r->h->nlmsg_seq = ++nl_seq;
	if (NLMSG_LENGTH(hlen) > cap) {
		r->overflow = 1;
		r->h->nlmsg_len = NLMSG_LENGTH(0);
		return;
	}
	memcpy(NLMSG_DATA(r->h), hdr, hlen);
}

void nl_put(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->h->nlmsg_len);
	struct rtattr *a;

	if (r->overflow || len > 0xffff - RTA_LENGTH(0) ||
	    off + RTA_SPACE(len) > r->cap) {
		r->overflow = 1;
		return;
	}
	a = (struct rtattr *)((char *)r->h + off);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->h->nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

void nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	nl_put(r, type, &v, sizeof(v));
}

void nl_put_str(struct nl_req *r, uint16_t type, const char *s)
{
	nl_put(r, type, s, strlen(s) + 1);
}

struct rtattr *nl_nest_begin(struct nl_req *r, uint16_t type)
{
	size_t off = NLMSG_ALIGN(r->h->nlmsg_len);

	nl_put(r, type, NULL, 0);
	if (r->overflow)
		return NULL;
	return (struct rtattr *)((char *)r->h + off);
}

void nl_nest_end(struct nl_req *r, struct rtattr *nest)
{
	size_t len;

	if (!nest || r->overflow)
		return;
	len = (size_t)((char *)r->h + r->h->nlmsg_len - (char *)nest);
	if (len > 0xffff) {
		r->overflow = 1;
		return;
	}
	nest->rta_len = (unsigned short)len;
}

int nl_open(void)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static int nl_send(int fd, struct nl_req *r)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (r->overflow)
		return -EMSGSIZE;
	do
		n = sendto(fd, r->h, r->h->nlmsg_len, 0, (struct sockaddr *)&k,
			   sizeof(k));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)r->h->nlmsg_len ? 0 : -EIO;
}

/*
 * Receive replies to seq: for each message call cb (when not NULL) until
 * an ERROR (its code is returned: 0 for an ACK) or DONE (0).
 */
static int nl_recv(int fd, uint32_t seq,
		   int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
	union {
		struct nlmsghdr h;
		char b[NL_BUF * 4];
	} u;
	const struct nlmsghdr *h;
	const struct nlmsgerr *er;
	ssize_t n;
	size_t left;
	int r;

	for (;;) {
		n = recv(fd, u.b, sizeof(u.b), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		left = (size_t)n;
		for (h = &u.h; left >= sizeof(*h) &&
			       h->nlmsg_len >= sizeof(*h) &&
			       h->nlmsg_len <= left;) {
			if (h->nlmsg_seq != seq)
				goto next;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*er)))
					return -EIO;
				er = NLMSG_DATA(h);
				return er->error > 0 ? -EIO : er->error;
			}
			if (cb && (r = cb(h, arg)) < 0)
				return r;
next:
			if (NLMSG_ALIGN(h->nlmsg_len) >= left)
				break;
			left -= NLMSG_ALIGN(h->nlmsg_len);
			h = (const struct nlmsghdr *)((const char *)h +
						      NLMSG_ALIGN(
							      h->nlmsg_len));
		}
	}
}

int nl_talk(int fd, struct nl_req *r)
{
	int err;

	r->h->nlmsg_flags |= NLM_F_ACK;
	err = nl_send(fd, r);
	return err ? err : nl_recv(fd, r->h->nlmsg_seq, NULL, NULL);
}

int nl_dump(int fd, struct nl_req *r,
	    int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
	int err;

	r->h->nlmsg_flags |= NLM_F_DUMP;
	err = nl_send(fd, r);
	return err ? err : nl_recv(fd, r->h->nlmsg_seq, cb, arg);
}

void nl_attrs(const void *p, size_t len, const struct rtattr **tb, int max)
{
	const struct rtattr *a = p;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	while (len >= sizeof(*a) && a->rta_len >= sizeof(*a) &&
	       a->rta_len <= len) {
		if ((a->rta_type & NLA_TYPE_MASK) <= max)
			tb[a->rta_type & NLA_TYPE_MASK] = a;
		if (RTA_ALIGN(a->rta_len) >= len)
			break;
		len -= RTA_ALIGN(a->rta_len);
		a = (const struct rtattr *)((const char *)a +
					    RTA_ALIGN(a->rta_len));
	}
}

void nl_msg_attrs(const struct nlmsghdr *h, size_t hlen,
		  const struct rtattr **tb, int max)
{
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(hlen));

	if (h->nlmsg_len < off) {
		memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
		return;
	}
	nl_attrs((const char *)h + off, h->nlmsg_len - off, tb, max);
}
