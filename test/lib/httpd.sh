# httpd.sh — starts a real nginx on 127.0.0.1 for the demo and the tests.
# Source it, then:
#   httpd_start ROOT [EXTRA_SERVER_CONFIG]  serves ROOT; sets HTTPD_PORT,
#                         HTTPD_TLS_PORT, HTTPD_URL, HTTPD_TLS_URL,
#                         HTTPD_CA (the CA file for https) and HTTPD_LOG
#   httpd_requests        how many requests nginx has logged so far
#   httpd_stop            stops it (also done at exit)
# Set HTTPD_LOG_FORMAT before httpd_start to log each request in that
# nginx log_format (escape=none, no single quotes in it) instead of
# "combined", e.g. '$request_method $request_uri $status
# inm=$http_if_none_match' to see conditional requests and their answers.
# The server listens on loopback only, on a free port it finds itself.

HTTPD_DIR=""
HTTPD_PID=""

httpd_stop() {
	if [ -n "$HTTPD_PID" ]; then
		kill "$HTTPD_PID" 2>/dev/null
		wait "$HTTPD_PID" 2>/dev/null
		HTTPD_PID=""
	fi
	if [ -n "$HTTPD_DIR" ]; then
		rm -rf "$HTTPD_DIR"
		HTTPD_DIR=""
	fi
}

# A self-signed certificate for 127.0.0.1, made once per server. An EC key
# takes milliseconds where RSA takes a quarter of a second, which adds up
# over a test file that starts a server per test.
httpd_make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$HTTPD_DIR/key.pem" -out "$HTTPD_DIR/cert.pem" \
		>/dev/null 2>&1
}

httpd_start() {
	local root extra port tls tries
	root=$(cd "$1" && pwd)
	extra=${2:-}
	HTTPD_DIR=$(mktemp -d /tmp/fakeos-httpd.XXXXXX)
	chmod 755 "$HTTPD_DIR"
	mkdir -p "$HTTPD_DIR/tmp"
	httpd_make_cert || { echo "httpd: openssl failed" >&2; return 1; }
	HTTPD_LOG="$HTTPD_DIR/access.log"
	: >"$HTTPD_LOG"
	trap httpd_stop EXIT

	# Ports below the kernel's ephemeral range: a client connection (or
	# its TIME_WAIT) on the TLS port would make nginx retry that bind for
	# seconds while the plain port already takes connections, then exit
	# and reset them (seen: "Connection reset by peer" mid-suite).
	local lo=20000 hi=50000 eph
	eph=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	if [ -n "$eph" ] && [ $((eph - 2 - lo)) -ge 1000 ]; then
		[ $((eph - 2)) -lt "$hi" ] && hi=$((eph - 2))
	fi
	for tries in 1 2 3 4 5 6 7 8 9 10; do
		port=$((lo + RANDOM % (hi - lo)))
		tls=$((port + 1))
		cat >"$HTTPD_DIR/nginx.conf" <<-EOF
			daemon off;
			worker_processes 1;
			error_log $HTTPD_DIR/error.log warn;
			pid $HTTPD_DIR/nginx.pid;
			$( [ "$(id -u)" -eq 0 ] && echo "user root;" )
			events { worker_connections 256; }
			http {
			    $( [ -n "${HTTPD_LOG_FORMAT:-}" ] &&
			       echo "log_format httpd_test escape=none '$HTTPD_LOG_FORMAT';" )
			    access_log $HTTPD_LOG${HTTPD_LOG_FORMAT:+ httpd_test};
			    client_body_temp_path $HTTPD_DIR/tmp;
			    proxy_temp_path $HTTPD_DIR/tmp;
			    fastcgi_temp_path $HTTPD_DIR/tmp;
			    uwsgi_temp_path $HTTPD_DIR/tmp;
			    scgi_temp_path $HTTPD_DIR/tmp;
			    types { application/octet-stream bin; }
			    default_type application/octet-stream;
			    server {
			        listen 127.0.0.1:$port;
			        listen 127.0.0.1:$tls ssl;
			        ssl_certificate $HTTPD_DIR/cert.pem;
			        ssl_certificate_key $HTTPD_DIR/key.pem;
			        root $root;
			        $extra
			    }
			}
		EOF
		nginx -c "$HTTPD_DIR/nginx.conf" -p "$HTTPD_DIR" \
			2>>"$HTTPD_DIR/error.log" &
		HTTPD_PID=$!
		# Ready when both ports answer (nginx listens on each as it
		# binds it); a taken port makes nginx exit.
		local i
		for i in $(seq 1 50); do
			if ! kill -0 "$HTTPD_PID" 2>/dev/null; then
				break
			fi
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
				(exec 3<>"/dev/tcp/127.0.0.1/$tls") 2>/dev/null; then
				HTTPD_PORT=$port
				HTTPD_TLS_PORT=$tls
				HTTPD_URL="http://127.0.0.1:$port"
				HTTPD_TLS_URL="https://127.0.0.1:$tls"
				HTTPD_CA="$HTTPD_DIR/cert.pem"
				: >"$HTTPD_LOG"
				return 0
			fi
			sleep 0.05
		done
		kill "$HTTPD_PID" 2>/dev/null
		wait "$HTTPD_PID" 2>/dev/null
		HTTPD_PID=""
	done
	echo "httpd: nginx did not start:" >&2
	cat "$HTTPD_DIR/error.log" >&2
	return 1
}

httpd_requests() {
	wc -l <"$HTTPD_LOG" | tr -d ' '
}
