/*
 * log.c - formats log lines and hands them to the owner's callback.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>

#include "core/stack_int.h"

int umk_log_enabled(const struct umk_stack *s, int level)
{
	return s->cfg.log && level <= s->cfg.log_level;
}

/* A token bucket on the injected clock: hostile traffic that makes the stack log (a
 * flood of bogus RAs, say) must not turn into a flood of log lines. What is held back is
 * counted and said once the bucket refills. */
#define LOG_BURST 200
#define LOG_PER_SECOND 20

static bool log_pass(struct umk_stack *s)
{
	if (s->now > s->log_refill) {
		uint64_t add = (s->now - s->log_refill) * LOG_PER_SECOND / 1000;
		if (add) {
			s->log_tokens = (uint32_t)(s->log_tokens + add > LOG_BURST ? LOG_BURST :
									  s->log_tokens + add);
			s->log_refill = s->now;
		}
	}
	if (!s->log_tokens) {
		COUNT(s, LOG_SUPPRESSED);
		s->log_held++;
		return false;
	}
	s->log_tokens--;
	return true;
}

void umk_log(struct umk_stack *s, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!umk_log_enabled(s, level) || !log_pass(s))
		return;
	if (s->log_held) {
		snprintf(msg, sizeof(msg), "umk_log: %llu messages suppressed (rate limit)",
			 (unsigned long long)s->log_held);
		s->log_held = 0;
		s->cfg.log(s->cfg.log_ctx, UMK_LOG_WARN, msg);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.log_ctx, level, msg);
}

const char *addr_str(const struct in6_addr *a, char buf[ADDRSTRLEN])
{
	if (!inet_ntop(AF_INET6, a, buf, ADDRSTRLEN))
		snprintf(buf, ADDRSTRLEN, "?");
	return buf;
}
