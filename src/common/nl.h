/*
 * nl.h: a small rtnetlink client: build a request in a caller's buffer,
 * send it and wait for its acknowledgement, or walk the replies of a dump.
 *
 * Used by the shim (src/sandbox/net.c: the container's network namespace
 * on the host) and by moat-agent (src/agent/net.c: the guest's NICs).
 * Inputs: replies from the local kernel (trusted, but every length is
 * still checked against the buffer before it is used).
 */
#ifndef MOAT_COMMON_NL_H
#define MOAT_COMMON_NL_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#define NL_BUF 8192 /* a request, or one datagram of replies */

struct nl_req {
	struct nlmsghdr *h; /* at the start of the caller's buffer */
	size_t cap;	    /* the buffer's size */
	int overflow;	    /* set when a put did not fit */
};

/* Start a request of type with flags (NLM_F_REQUEST is added) and the
 * family header hdr[0..hlen) in buf[0..cap). */
void nl_init(struct nl_req *r, void *buf, size_t cap, uint16_t type,
	     uint16_t flags, const void *hdr, size_t hlen);

/* Append an attribute; on overflow the request is marked and nothing is
 * appended (nl_talk then fails with -EMSGSIZE). */
void nl_put(struct nl_req *r, uint16_t type, const void *data, size_t len);
void nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v);
void nl_put_str(struct nl_req *r, uint16_t type, const char *s);

/* A nested attribute: nl_nest_end() with what nl_nest_begin() returned
 * (NULL on overflow: nl_nest_end ignores it). */
struct rtattr *nl_nest_begin(struct nl_req *r, uint16_t type);
void nl_nest_end(struct nl_req *r, struct rtattr *nest);

/* A NETLINK_ROUTE socket (close-on-exec), or -errno. */
int nl_open(void);

/* Send r with NLM_F_ACK and wait for the answer: 0 or -errno. */
int nl_talk(int fd, struct nl_req *r);

/* Send the dump request r and call cb for each reply message until
 * NLMSG_DONE; a negative return of cb stops the walk and is returned.
 * Returns 0 or -errno. */
int nl_dump(int fd, struct nl_req *r,
	    int (*cb)(const struct nlmsghdr *h, void *arg), void *arg);

/* Index the attributes in p[0..len) by type into tb[0..max] (later ones
 * win, types above max skipped); tb is cleared first. An attribute whose
 * length runs past len ends the walk. */
void nl_attrs(const void *p, size_t len, const struct rtattr **tb, int max);

/* The attributes of message h after its family header of hlen bytes
 * (nothing when h is too short). */
void nl_msg_attrs(const struct nlmsghdr *h, size_t hlen,
		  const struct rtattr **tb, int max);

/* An attribute's payload and its length. */
#define NL_DATA(a) ((const void *)RTA_DATA(a))
#define NL_LEN(a) ((size_t)RTA_PAYLOAD(a))

#endif
