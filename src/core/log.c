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

void umk_log(struct umk_stack *s, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!umk_log_enabled(s, level))
		return;
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
