# make soak — 1000 programs exchanging messages under one broker for a
# fixed time (tools/soak); not part of make check. SOAK_PAIRS and
# SOAK_SECONDS override the size and the length.
.PHONY: soak
soak: all
	@tools/soak
