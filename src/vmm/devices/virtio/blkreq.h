/*
 * blkreq.h: virtio-blk requests, parsed and validated. Pure: no syscalls,
 * no globals; the backend (block.c) does the I/O on what this accepts.
 *
 * A request is one descriptor chain (already checked by virtq_pop):
 *   readable:  struct virtio_blk_req header (le32 type, le32 reserved,
 *              le64 sector), then for OUT the data to write;
 *   writable:  for IN the buffers to read into, for GET_ID the 20-byte ID
 *              buffer; then the 1-byte status, the very last writable
 *              byte of the chain.
 * The header and the data may share descriptors, and so may the data and
 * the status byte: the parser works on byte offsets, not descriptors.
 * blkreq_parse checks, in this order: a status byte exists (else no answer
 * can be given: BLKREQ_ESTATUS), a whole header, the type, the direction
 * of every data byte for that type, IN/OUT data a multiple of 512 bytes
 * and at most the device's limit, the sector range against the capacity
 * (with overflow), and a write to a read-only device.
 * Inputs: every byte of the chain is guest-controlled; the limits are ours.
 * Spec: Virtio 1.2, 5.2 "Block Device" (5.2.6 "Device Operation").
 */
#ifndef MOAT_VMM_VIRTIO_BLKREQ_H
#define MOAT_VMM_VIRTIO_BLKREQ_H

#include <stdbool.h>
#include <stdint.h>

#include "virtq.h"

#define BLKREQ_SECTOR_SIZE 512
#define BLKREQ_SECTOR_SHIFT 9
#define BLKREQ_HDR_SIZE 16
#define BLKREQ_ID_BYTES 20

/* Request types (struct virtio_blk_req.type). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8

/* Status byte values. */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Errors of blkreq_parse. All but ESTATUS leave req->status set, so the
 * request can be failed with blkreq_status(code). */
#define BLKREQ_ESTATUS (-1) /* no writable byte for the status */
#define BLKREQ_EHDR (-2)    /* fewer than 16 readable bytes */
#define BLKREQ_ETYPE (-3)   /* a type we do not implement */
#define BLKREQ_EDIR (-4)    /* data in the wrong direction for the type */
#define BLKREQ_EALIGN (-5)  /* data length not a multiple of 512 */
#define BLKREQ_ETOOBIG (-6) /* more data than the device takes at once */
#define BLKREQ_ERANGE (-7)  /* sectors beyond the capacity */
#define BLKREQ_ERO (-8)	    /* a write to a read-only device */

struct blkreq_limits {
	uint64_t capacity; /* in 512-byte sectors */
	uint64_t max_data; /* bytes of data per request */
	bool ro;
};

struct blkreq_seg {
	uint8_t *host; /* GUEST: inside a buffer virtq_pop checked */
	uint32_t len;  /* never 0 */
};

struct blkreq {
	uint32_t type;
	uint64_t sector;   /* IN/OUT: first sector */
	uint64_t data_len; /* bytes in seg[] */
	unsigned nseg;
	struct blkreq_seg seg[VIRTQ_MAX_SIZE];
	uint8_t *status; /* GUEST: the chain's last writable byte */
};

/* Parse chain c for a device with limits lim into r. Returns 0 or a
 * BLKREQ_E* code (r->status is set unless the code is BLKREQ_ESTATUS). */
int blkreq_parse(const struct virtq_chain *c, const struct blkreq_limits *lim,
		 struct blkreq *r);

/* The status byte to report for a blkreq_parse error. */
uint8_t blkreq_status(int err);

/* Fill id (BLKREQ_ID_BYTES) from the NUL-terminated string s: at most 20
 * bytes, NUL-padded (no terminator when it is exactly 20 long). */
void blkreq_id(uint8_t id[BLKREQ_ID_BYTES], const char *s);

#endif
