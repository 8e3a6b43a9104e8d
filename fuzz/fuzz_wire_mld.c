/*
 * fuzz_wire_mld.c - libFuzzer target for wire/mld.c: every parser on arbitrary bytes, the
 * records of any report that parses walked to the end, and parse-emit-parse round trips
 * for what parses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/mld.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* copy so that a read past the end is caught exactly by ASan */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);

	struct mld_query q;
	if (mld_query_parse(p, size, &q) == 0) {
		struct in6_addr a;
		for (unsigned i = 0; i < q.nsrcs; i++)
			mld_source_get(q.srcs, i, &a);
		if (q.version == 2) {
			uint16_t n = q.nsrcs > 64 ? 64 : q.nsrcs;
			struct in6_addr srcs[64];
			for (unsigned i = 0; i < n; i++)
				mld_source_get(q.srcs, i, &srcs[i]);
			uint8_t out[28 + 64 * 16];
			size_t len = mld_v2_query_emit(out, sizeof(out), &q, srcs, n);
			struct mld_query r;
			if (!len || mld_query_parse(out, len, &r) || r.nsrcs != n ||
			    r.max_resp_code != q.max_resp_code || r.qrv != q.qrv)
				abort();
		}
	}
	struct mld_v1 m;
	if (mld_v1_parse(p, size, &m) == 0) {
		uint8_t out[24];
		struct mld_v1 r;
		if (mld_v1_emit(out, sizeof(out), m.type, m.max_resp_delay, &m.group) != 24 ||
		    mld_v1_parse(out, 24, &r) || r.type != m.type ||
		    r.max_resp_delay != m.max_resp_delay || memcmp(&r.group, &m.group, 16))
			abort();
	}
	struct mld_report rep;
	if (mld_v2_report_parse(p, size, &rep) == 0) {
		struct mld_record rec;
		unsigned n = 0;
		while (mld_v2_record_next(&rep, &rec)) {
			struct in6_addr a;
			for (unsigned i = 0; i < rec.nsrcs; i++)
				mld_source_get(rec.srcs, i, &a);
			(void)mld_record_type_name(rec.type);
			n++;
		}
		if (n != rep.nrecords)
			abort();
	}
	if (size >= 2) {
		uint16_t c = (uint16_t)(p[0] << 8 | p[1]);
		if (mld_mrc_encode(mld_mrc_decode(c)) != c ||
		    mld_qqic_encode(mld_qqic_decode(p[0])) != p[0])
			abort();
	}
	free(p);
	return 0;
}
